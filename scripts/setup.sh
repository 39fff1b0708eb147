#!/usr/bin/env bash
# Installs everything ferrominer's tests need on a fresh Debian/Ubuntu machine:
#   - Icarus Verilog and Verilator, which run the core's generated Verilog;
#   - rustfmt and clippy, for the style checks.
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

echo "setup: iverilog $(iverilog -V 2>&1 | head -n1 | awk '{print $4}'), $(verilator --version)"
