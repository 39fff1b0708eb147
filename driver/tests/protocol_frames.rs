//! Snapshots of the native protocol's frames, a decode of every example in
//! `docs/protocol.md`, and decoder behaviour on bad input.

use ferrominer::protocol::message::{kind, MessageError};
use ferrominer::protocol::{
    Command, ErrorCode, Frame, FrameDecoder, FrameError, Ident, Reply, SetWork, Status,
};
use ferrominer::{BlockHeader, Midstate, Tail};

const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One example of every message, named as in `docs/protocol.md`.
fn examples() -> Vec<(&'static str, Frame)> {
    let h: BlockHeader = GENESIS.parse().unwrap();
    let work = SetWork {
        job_id: 7,
        midstate: Midstate::from_header(&h).0,
        tail: Tail::from_header(&h).0,
        nonce_start: 0x7c2b_ac00,
        nonce_end: 0x7c2b_acff,
        threshold: 0,
    };
    vec![
        ("IDENTIFY", Command::Identify.to_frame()),
        ("SET_WORK", Command::SetWork(work).to_frame()),
        ("STATUS", Command::Status.to_frame()),
        ("ACK_RESULT", Command::AckResult { seq: 3 }.to_frame()),
        (
            "IDENT",
            Reply::Ident(Ident {
                version: 1,
                unroll: 8,
                cores: 2,
                clock_hz: 48_000_000,
                hashes_per_clock_x64: 16,
            })
            .to_frame(),
        ),
        ("WORK_ACK", Reply::WorkAck { job_id: 7 }.to_frame()),
        (
            "STATUS_REPLY",
            Reply::Status(Status {
                job_id: 7,
                busy: true,
                stalled: false,
                progress: 0x1d,
                pending: 1,
            })
            .to_frame(),
        ),
        (
            "RESULT",
            Reply::Result {
                seq: 3,
                job_id: 7,
                nonce: 0x7c2b_ac1d,
            }
            .to_frame(),
        ),
        ("ERROR", Reply::Error(ErrorCode::BadCrc).to_frame()),
    ]
}

#[test]
fn frame_snapshots() {
    let text: String = examples()
        .iter()
        .map(|(name, f)| format!("{name}: {}\n", hex(&f.encode())))
        .collect();
    insta::assert_snapshot!(text);
}

/// Every `NAME: bytes` line in the spec's examples block decodes, and
/// equals what the encoder produces for that example.
#[test]
fn spec_examples_match_the_encoder() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md"))
        .expect("docs/protocol.md");
    let block = spec
        .split("<!-- examples -->")
        .nth(1)
        .expect("an examples block in docs/protocol.md");
    let mut seen = 0;
    for (name, frame) in examples() {
        let line = block
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("{name} missing from the spec"));
        let bytes: Vec<u8> = line[name.len() + 2..]
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        assert_eq!(
            bytes,
            frame.encode(),
            "{name} in the spec differs from the encoder"
        );
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        assert_eq!(d.next_frame(), Some(Ok(frame)));
        seen += 1;
    }
    assert_eq!(seen, 9);
}

#[test]
fn messages_round_trip() {
    for (name, frame) in examples() {
        let again = if frame.kind < 0x80 {
            Command::from_frame(&frame).unwrap().to_frame()
        } else {
            Reply::from_frame(&frame).unwrap().to_frame()
        };
        assert_eq!(again, frame, "{name}");
    }
}

#[test]
fn bad_messages_are_errors() {
    assert_eq!(
        Command::from_frame(&Frame::new(kind::SET_WORK, vec![0; 56]).unwrap()),
        Err(MessageError::BadPayload {
            kind: 2,
            expected: 57,
            got: 56
        })
    );
    assert_eq!(
        Reply::from_frame(&Frame::new(0x99, vec![]).unwrap()),
        Err(MessageError::UnknownType(0x99))
    );
    let mut d = FrameDecoder::new();
    let mut bytes = Command::Status.to_frame().encode();
    bytes[3] ^= 1;
    d.push(&bytes);
    assert!(matches!(
        d.next_frame(),
        Some(Err(FrameError::BadCrc { .. }))
    ));
}
