//! The real miner, end to end: `ferrominer build` turns the gateware into a
//! bitstream for one iCE40 board and for the ULX3S-25F, and the numbers it
//! reports must equal nextpnr's own `report.json`. The 25F's build has a
//! PLL, whose output clock nextpnr must have timed at the hash clock.
//!
//! Each build takes a minute or two, so these are `#[ignore]`d: CI runs
//! them explicitly with `cargo test -p ferrominer --test board_builds --
//! --ignored`, after `scripts/setup-fpga-tools.sh`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("board-build-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Build the miner for `board` with the CLI (and `extra` options) and check
/// its report against nextpnr's. `hash_clock` is the clock asked for with
/// `--freq`, if any.
fn check(board: &str, extra: &[&str], hash_clock: Option<f64>, names: [&str; 3]) {
    let [cell, ram, bitstream] = names;
    let out = out_dir(board);
    let run = Command::new(env!("CARGO_BIN_EXE_ferrominer"))
        .args([
            "build", "--board", board, "--unroll", "1", "--cores", "1", "--json", "--out",
        ])
        .arg(&out)
        .args(extra)
        .output()
        .expect("run ferrominer build");
    assert!(
        run.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ours: Value = serde_json::from_slice(&run.stdout).expect("--json prints one object");
    let theirs = json(&out.join("report.json"));

    // Utilisation, cell for cell.
    let util = &theirs["utilization"];
    assert_eq!(ours["lut4"]["used"], util[cell]["used"], "{board} {cell}");
    assert_eq!(ours["lut4"]["available"], util[cell]["available"]);
    assert_eq!(ours["bram"]["used"], util[ram]["used"], "{board} {ram}");
    assert_eq!(ours["bram"]["available"], util[ram]["available"]);

    // Fmax of the one clock, and the hash rate derived from it (U=1, N=1:
    // 1/64 hash per clock).
    let clocks = theirs["fmax"].as_object().expect("fmax object");
    assert_eq!(clocks.len(), 1, "one clock domain");
    let (_, clk) = clocks.iter().next().unwrap();
    let fmax = clk["achieved"].as_f64().unwrap();
    assert!((ours["fmax_mhz"].as_f64().unwrap() - fmax).abs() < 1e-6);
    let constraint = clk["constraint"].as_f64().unwrap();
    if let Some(hash_clock) = hash_clock {
        // nextpnr derived the clock's constraint from the PLL.
        assert!(
            (constraint - hash_clock).abs() < 1e-3,
            "{constraint} vs {hash_clock}"
        );
    }
    let ours_constraint = ours["constraint_mhz"].as_f64().unwrap();
    assert!(
        (ours_constraint - constraint).abs() < 1e-6,
        "{ours_constraint}"
    );
    let met = fmax >= constraint;
    assert_eq!(ours["timing_met"].as_bool().unwrap(), met);
    let rate = ours["expected_hash_rate"].as_f64().unwrap();
    assert!(
        (rate - fmax * 1e6 / 64.0).abs() < 1.0,
        "{rate} vs {fmax} MHz / 64"
    );

    let bits = std::fs::metadata(out.join(bitstream)).expect("a bitstream");
    assert!(bits.len() > 1000, "{} bytes", bits.len());
    assert!(out.join("build.sh").is_file());
}

#[test]
#[ignore = "a full synthesis run; CI runs it with --ignored"]
fn miner_builds_for_alchitry_cu() {
    check(
        "alchitry-cu",
        &[],
        None,
        ["ICESTORM_LC", "ICESTORM_RAM", "ferrominer.bin"],
    );
}

#[test]
#[ignore = "a full synthesis run; CI runs it with --ignored"]
fn miner_builds_for_ulx3s_25f() {
    // 50 MHz is a step of the PLL from 25 MHz (x2).
    check(
        "ulx3s-25f",
        &["--freq", "50"],
        Some(50.0),
        ["TRELLIS_COMB", "DP16KD", "ferrominer.bit"],
    );
}
