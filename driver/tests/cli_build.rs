//! The `boards`, `build` and `flash` subcommands without FPGA tools:
//! snapshots of the board list and of `flash --dry-run`, and clear errors.

mod common;

use common::*;
use std::process::Command;

#[test]
fn boards_listing() {
    let o = ferrominer(&["boards"]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn boards_json_has_every_board() {
    let o = ferrominer(&["boards", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "icebreaker",
            "alchitry-cu",
            "ulx3s-12f",
            "ulx3s-25f",
            "ulx3s-45f",
            "ulx3s-85f",
            "ecp5-evn"
        ]
    );
    assert_eq!(v[0]["led_polarity"], "active-low");
    assert_eq!(v[0]["programmer"]["tool"], "iceprog");
    assert_eq!(v[6]["programmer"]["board"], "ecp5_evn");
}

/// `flash --dry-run` for every board, default bitstream paths, plus the
/// `--persist` and `--bitstream` variants.
#[test]
fn flash_dry_run_command_lines() {
    let mut lines = String::new();
    let ids = [
        "icebreaker",
        "alchitry-cu",
        "ulx3s-12f",
        "ulx3s-25f",
        "ulx3s-45f",
        "ulx3s-85f",
        "ecp5-evn",
    ];
    let mut cases: Vec<Vec<&str>> = ids
        .iter()
        .map(|id| vec!["flash", "--board", id, "--dry-run"])
        .collect();
    cases.push(vec![
        "flash",
        "--board",
        "ulx3s-85f",
        "--dry-run",
        "--persist",
    ]);
    cases.push(vec![
        "flash",
        "--board",
        "icebreaker",
        "--dry-run",
        "--persist",
    ]);
    cases.push(vec![
        "flash",
        "--board",
        "ecp5_evn",
        "--dry-run",
        "--bitstream",
        "my build/top.bit",
    ]);
    for args in cases {
        let o = ferrominer(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        lines.push_str(&format!("$ ferrominer {}\n{}", args.join(" "), stdout(&o)));
    }
    insta::assert_snapshot!(lines);
}

#[test]
fn unknown_board_lists_the_boards() {
    for args in [
        &["flash", "--board", "icebreakr", "--dry-run"][..],
        &["build", "--board", "icebreakr"][..],
    ] {
        let o = ferrominer(args);
        assert!(!o.status.success());
        assert_eq!(
            stderr(&o),
            "error: unknown board `icebreakr`; known boards: icebreaker, alchitry-cu, \
             ulx3s-12f, ulx3s-25f, ulx3s-45f, ulx3s-85f, ecp5-evn\n"
        );
    }
}

#[test]
fn build_rejects_zero_cores_before_running_anything() {
    let o = ferrominer(&["build", "--board", "ulx3s-25f", "--cores", "0"]);
    assert!(!o.status.success());
    assert_eq!(stderr(&o), "error: --cores must be at least 1\n");
}

#[test]
fn flash_without_a_bitstream_says_how_to_build_one() {
    let o = ferrominer(&[
        "flash",
        "--board",
        "icebreaker",
        "--bitstream",
        "/nonexistent/x.bin",
    ]);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "error: no bitstream at /nonexistent/x.bin: build one with `ferrominer build --board icebreaker`\n"
    );
}

/// With no programmer on PATH (PATH is emptied so nothing is ever
/// programmed), `flash` says what to install.
#[test]
fn flash_without_the_programmer_says_how_to_install_it() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let bit = dir.join("cli-build-flash.bit");
    std::fs::write(&bit, b"not a real bitstream").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_ferrominer"))
        .args(["flash", "--board", "ulx3s-45f", "--bitstream"])
        .arg(&bit)
        .env("PATH", "")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "error: `openFPGALoader` not found on PATH: install openFPGALoader (Debian/Ubuntu: \
         `apt install openfpgaloader`; or build it from trabucayre/openFPGALoader)\n"
    );
}
