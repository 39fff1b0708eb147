//! Running the `ferrominer` binary from integration tests.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Run `ferrominer` with `args` and wait for it.
pub fn ferrominer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrominer"))
        .args(args)
        .output()
        .expect("run ferrominer")
}

/// What it printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What it printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
