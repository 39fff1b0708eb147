//! `ferrominer mine` with bad input: clear errors, a non-zero exit, no
//! panic, and never the password in the output.

mod common;

use common::*;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

fn fails_with(args: &[&str], needle: &str) -> String {
    let o = ferrominer(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} succeeded");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in:\n{err}"
    );
    err
}

#[test]
fn a_port_that_does_not_exist() {
    fails_with(
        &[
            "mine",
            "--header",
            GENESIS,
            "--count",
            "10",
            "--port",
            "/dev/ttyFERROMINER404",
        ],
        "does not exist",
    );
}

#[test]
fn no_board_and_nothing_to_mine() {
    fails_with(&["mine", "--header", GENESIS, "--count", "10"], "no board");
    fails_with(&["mine", "--port", "/dev/null"], "say what to mine");
}

#[test]
fn a_bad_pool_url() {
    let err = fails_with(
        &[
            "mine",
            "-o",
            "http://pool.example:3333",
            "-u",
            "me",
            "-p",
            "hunter2",
            "--port",
            "/dev/null",
        ],
        "bad pool URL",
    );
    assert!(!err.contains("hunter2"));
    fails_with(
        &[
            "mine",
            "-o",
            "stratum+tcp://pool",
            "-u",
            "me",
            "--port",
            "/dev/null",
        ],
        "bad pool URL",
    );
}

#[test]
fn bad_node_settings() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let url = format!("http://{closed}");
    let err = fails_with(
        &[
            "mine",
            "--rpc-url",
            &url,
            "--address",
            "bcrt1qxyz",
            "--rpc-user",
            "me",
            "--rpc-pass",
            "hunter2",
            "--port",
            "/dev/null",
        ],
        "cannot reach the node",
    );
    assert!(err.contains(&closed), "{err}");
    assert!(!err.contains("hunter2"));
    fails_with(
        &[
            "mine",
            "--rpc-url",
            "https://node:8332",
            "--address",
            "x",
            "--rpc-cookie",
            "/dev/null",
            "--port",
            "/dev/null",
        ],
        "https is not supported",
    );
    fails_with(
        &[
            "mine",
            "--rpc-url",
            &url,
            "--address",
            "x",
            "--rpc-cookie",
            "/nonexistent/.cookie",
            "--port",
            "/dev/null",
        ],
        "cookie",
    );
    fails_with(
        &["mine", "--rpc-url", &url, "--port", "/dev/null"],
        "--address",
    );
}

#[test]
fn a_malformed_header() {
    fails_with(
        &["mine", "--header", "00zz", "--port", "/dev/null"],
        "invalid block header",
    );
}

/// A port where nothing answers (one end of a socat pseudo-terminal pair,
/// the other end held open by socat and silent): a clear error after the
/// retries, naming the port.
#[test]
fn a_board_that_answers_nothing() {
    let mut socat = Command::new("socat")
        .args(["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "socat is needed for this test (apt-get install socat; scripts/setup.sh installs it)",
        );
    let stderr = socat.stderr.take().unwrap();
    let mut ptys = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(i) = line.find("/dev/pts/") {
            ptys.push(line[i..].trim().to_string());
        }
        if ptys.len() == 2 || Instant::now() > deadline {
            break;
        }
    }
    assert_eq!(ptys.len(), 2, "socat did not report its ptys");
    let err = fails_with(
        &[
            "mine", "--header", GENESIS, "--count", "10", "--port", &ptys[0],
        ],
        "does not answer IDENTIFY",
    );
    assert!(err.contains(&ptys[0]), "{err}");
    let _ = socat.kill();
    let _ = socat.wait();
}
