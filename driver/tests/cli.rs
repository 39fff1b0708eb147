//! The `ferrominer` binary: output snapshots, the `sim --json` shape, and
//! clear errors with a non-zero exit for bad input.

mod common;

use common::*;

const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";
const GENESIS_NONCE: u32 = 2083236893;
const GENESIS_HASH: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

#[test]
fn hash_prints_the_genesis_block() {
    let o = ferrominer(&["hash", GENESIS]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains(GENESIS_HASH));
    insta::assert_snapshot!(text);
}

#[test]
fn hash_json() {
    let o = ferrominer(&["hash", GENESIS, "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["hash"], GENESIS_HASH);
    assert_eq!(v["difficulty"], 1.0);
    assert_eq!(v["meets_target"], true);
}

/// `sim` re-mines the genesis nonce from a window below it, and its JSON
/// has the documented, stable shape.
#[test]
fn sim_json_finds_the_genesis_nonce() {
    let start = (GENESIS_NONCE - 90).to_string();
    let o = ferrominer(&[
        "sim", "--header", GENESIS, "--start", &start, "--count", "100", "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["cycles", "found", "hashes", "seconds"]);
    assert_eq!(v["hashes"], 100);
    assert!(v["cycles"].as_u64().unwrap() >= 100);
    assert!(v["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(
        v["found"],
        serde_json::json!([{"nonce": GENESIS_NONCE, "hash": GENESIS_HASH}])
    );
}

/// A threshold that reports more than the target: every reported nonce is
/// printed with its hash, and the block is marked.
#[test]
fn sim_text_with_threshold() {
    let start = (GENESIS_NONCE - 10).to_string();
    let o = ferrominer(&[
        "sim",
        "--header",
        GENESIS,
        "--start",
        &start,
        "--count",
        "12",
        "--unroll",
        "16",
        "--threshold",
        "0x10000000",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases: &[(&str, &[&str])] = &[
        ("short_header", &["hash", "0100"]),
        (
            "bad_hex_char",
            &[
                "sim",
                "--header",
                &GENESIS.replace("3ba3", "3bz3"),
                "--start",
                "0",
                "--count",
                "1",
            ],
        ),
        (
            "zero_count",
            &["sim", "--header", GENESIS, "--start", "0", "--count", "0"],
        ),
        (
            "unsupported_unroll",
            &[
                "sim", "--header", GENESIS, "--start", "0", "--count", "1", "--unroll", "3",
            ],
        ),
        (
            "range_overflow",
            &[
                "sim",
                "--header",
                GENESIS,
                "--start",
                "4294967295",
                "--count",
                "2",
            ],
        ),
        (
            "bad_threshold",
            &[
                "sim",
                "--header",
                GENESIS,
                "--start",
                "0",
                "--count",
                "1",
                "--threshold",
                "0xzz",
            ],
        ),
    ];
    for (name, args) in cases {
        let o = ferrominer(args);
        assert!(!o.status.success(), "{name} succeeded");
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{name} panicked: {err}");
        insta::assert_snapshot!(*name, err);
    }
}
