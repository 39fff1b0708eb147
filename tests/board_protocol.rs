//! The board's gateware (protocol engine + cores) in rust-hdl's simulator,
//! spoken to with the host's protocol codec: work in, results out and
//! acknowledged, bad frames rejected, unacknowledged results resent.

use ferrominer::protocol::{Command, ErrorCode, FrameDecoder, Reply, SetWork};
use ferrominer::Work;
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::round::T1Adder;
use ferrominer_sim::board_sim::BoardSim;
use ferrominer_tests::*;

fn config(unroll: usize, cores: usize) -> EngineConfig {
    EngineConfig {
        unroll,
        cores,
        clock_hz: 48_000_000,
        timeout_cycles: 3_000,
        resend_cycles: 6_000,
        icarus_first_nonce: 0,
        t1: T1Adder::CarrySave,
    }
}

struct Host {
    board: BoardSim,
    decoder: FrameDecoder,
}

impl Host {
    fn new(cfg: EngineConfig) -> Self {
        Self::with_gap(cfg, 3)
    }

    /// A board fed one byte every `gap + 1` cycles.
    fn with_gap(cfg: EngineConfig, gap: u32) -> Self {
        Self {
            board: BoardSim::new(cfg, gap).unwrap(),
            decoder: FrameDecoder::new(),
        }
    }

    fn send(&mut self, cmd: Command) {
        self.board.send(&cmd.to_frame().encode());
    }

    /// Run up to `cycles`, returning the replies decoded (stopping early once
    /// `want` replies have arrived).
    fn replies(&mut self, cycles: u64, want: usize) -> Vec<Reply> {
        let mut out = Vec::new();
        for _ in 0..cycles {
            self.board.step().unwrap();
            self.decoder.push(&self.board.take_output());
            while let Some(f) = self.decoder.next_frame() {
                let f = f.expect("the board sent a bad frame");
                out.push(Reply::from_frame(&f).expect("the board sent an unknown reply"));
            }
            if out.len() >= want {
                break;
            }
        }
        out
    }

    fn one(&mut self, cmd: Command) -> Reply {
        self.send(cmd);
        let r = self.replies(20_000, 1);
        assert_eq!(r.len(), 1, "expected one reply to {cmd:?}, got {r:?}");
        r[0]
    }
}

fn set_work(w: &Work) -> Command {
    Command::SetWork(SetWork::from(w))
}

#[test]
fn identify_reports_the_build() {
    let mut h = Host::new(config(8, 2));
    match h.one(Command::Identify) {
        Reply::Ident(i) => {
            assert_eq!((i.version, i.unroll, i.cores), (1, 8, 2));
            assert_eq!(i.clock_hz, 48_000_000);
            assert_eq!(i.hashes_per_clock_x64, 16);
        }
        r => panic!("{r:?}"),
    }
}

/// The genesis block: work in, the block's nonce out as a RESULT, the
/// acknowledgement stops it, and STATUS reports the finished range.
#[test]
fn work_in_result_out_acknowledged() {
    let b = &real_blocks()[0];
    let work = block_window(b, 30, 5).with_job_id(42);
    let mut h = Host::new(config(8, 1));
    assert_eq!(h.one(set_work(&work)), Reply::WorkAck { job_id: 42 });
    let r = h.replies(200_000, 1);
    assert_eq!(
        r,
        vec![Reply::Result {
            seq: 0,
            job_id: 42,
            nonce: b.nonce
        }]
    );
    h.send(Command::AckResult { seq: 0 });
    // Acknowledged: no resend within several resend intervals.
    let later = h.replies(30_000, 1);
    assert!(later.is_empty(), "{later:?}");
    match h.one(Command::Status) {
        Reply::Status(s) => {
            assert_eq!(s.job_id, 42);
            assert!(!s.busy);
            assert_eq!(s.progress as u64, work.count());
            assert_eq!(s.pending, 0);
        }
        r => panic!("{r:?}"),
    }
}

#[test]
fn unacknowledged_result_is_sent_again() {
    let b = &real_blocks()[0];
    let work = block_window(b, 10, 0).with_job_id(9);
    let mut h = Host::new(config(8, 1));
    assert_eq!(h.one(set_work(&work)), Reply::WorkAck { job_id: 9 });
    let first = h.replies(200_000, 1);
    let again = h.replies(20_000, 2);
    let expect = Reply::Result {
        seq: 0,
        job_id: 9,
        nonce: b.nonce,
    };
    assert_eq!(first, vec![expect]);
    assert_eq!(again, vec![expect, expect], "resent with the same seq");
    // A wrong seq does not acknowledge it.
    h.send(Command::AckResult { seq: 1 });
    assert_eq!(h.replies(20_000, 1), vec![expect]);
    h.send(Command::AckResult { seq: 0 });
    assert!(h.replies(20_000, 1).is_empty());
}

/// A corrupted SET_WORK is answered with ERROR and changes nothing: the
/// board keeps its old job.
#[test]
fn corrupted_frame_is_rejected() {
    let mut h = Host::new(config(8, 1));
    let good = Work::from_header(&real_blocks()[1].header.parse().unwrap(), 0, 8)
        .unwrap()
        .with_job_id(1);
    assert_eq!(h.one(set_work(&good)), Reply::WorkAck { job_id: 1 });
    let mut bytes = set_work(&good.with_job_id(2)).to_frame().encode();
    bytes[20] ^= 0x04;
    h.board.send(&bytes);
    assert_eq!(h.replies(20_000, 1), vec![Reply::Error(ErrorCode::BadCrc)]);
    match h.one(Command::Status) {
        Reply::Status(s) => assert_eq!(s.job_id, 1),
        r => panic!("{r:?}"),
    }
}

#[test]
fn bad_length_unknown_type_and_timeout() {
    let mut h = Host::new(config(4, 1));
    // IDENTIFY with a payload byte.
    let f = ferrominer::protocol::Frame::new(0x01, vec![7]).unwrap();
    h.board.send(&f.encode());
    assert_eq!(
        h.replies(20_000, 1),
        vec![Reply::Error(ErrorCode::BadLength)]
    );
    // A length over 64.
    h.board.send(&[0xA5, 65]);
    assert_eq!(
        h.replies(20_000, 1),
        vec![Reply::Error(ErrorCode::BadLength)]
    );
    // An unknown type.
    let f = ferrominer::protocol::Frame::new(0x33, vec![]).unwrap();
    h.board.send(&f.encode());
    assert_eq!(
        h.replies(20_000, 1),
        vec![Reply::Error(ErrorCode::UnknownType)]
    );
    // A frame that stops half way.
    h.board.send(&[0xA5, 10, 0x02, 1, 2]);
    assert_eq!(h.replies(20_000, 1), vec![Reply::Error(ErrorCode::Timeout)]);
    // And the board still works.
    assert!(matches!(h.one(Command::Identify), Reply::Ident(_)));
}

/// Two cores split a regtest-like job: every nonce the reference finds is
/// reported exactly once, each result acknowledged as it comes.
#[test]
fn two_cores_split_a_job() {
    let regtest = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let work = block_window(&regtest, 0, 40)
        .with_threshold(0x3fff_ffff)
        .with_job_id(5);
    let mut h = Host::new(config(8, 2));
    assert_eq!(h.one(set_work(&work)), Reply::WorkAck { job_id: 5 });
    let expect = reference_hits(&work);
    let mut got = Vec::new();
    let mut next_seq = 0u8;
    for _ in 0..100 {
        for r in h.replies(50_000, 1) {
            if let Reply::Result { seq, job_id, nonce } = r {
                assert_eq!(job_id, 5);
                if seq == next_seq {
                    got.push(nonce);
                    next_seq = next_seq.wrapping_add(1);
                }
                h.send(Command::AckResult { seq });
            }
        }
        if got.len() == expect.len() {
            break;
        }
    }
    got.sort();
    assert_eq!(got, expect);
}

/// New work while the cores are finding results of the old, with every
/// frame sent at one byte per cycle (the engine copies SET_WORK's payload
/// out of its block RAM while the next frames arrive): every result is a
/// genuine hit of the work its job id names, and the new work's hits all
/// arrive.
#[test]
fn new_work_at_one_byte_per_cycle_never_mixes_jobs() {
    let blocks = real_blocks();
    let old = block_window(&blocks[1], 0, 400)
        .with_threshold(0x0fff_ffff)
        .with_job_id(1);
    let new = block_window(&blocks[0], 100, 100)
        .with_threshold(0x0fff_ffff)
        .with_job_id(2);
    let mut h = Host::with_gap(config(8, 1), 0);
    assert_eq!(h.one(set_work(&old)), Reply::WorkAck { job_id: 1 });
    // Let the old work find something, then replace it, with an ACK_RESULT
    // and a STATUS right behind the SET_WORK.
    let first = h.replies(20_000, 1);
    assert!(
        matches!(
            first[..],
            [Reply::Result {
                seq: 0,
                job_id: 1,
                ..
            }]
        ),
        "{first:?}"
    );
    let mut bytes = set_work(&new).to_frame().encode();
    bytes.extend(Command::AckResult { seq: 0 }.to_frame().encode());
    bytes.extend(Command::Status.to_frame().encode());
    h.board.send(&bytes);
    let mut replies = first;
    let mut got_new = Vec::new();
    let mut next_seq = 1u8;
    for _ in 0..40 {
        for r in h.replies(5_000, 1) {
            if let Reply::Result { seq, job_id, nonce } = r {
                if seq == next_seq {
                    next_seq = next_seq.wrapping_add(1);
                    if job_id == 2 {
                        got_new.push(nonce);
                    }
                }
                h.send(Command::AckResult { seq });
            }
            replies.push(r);
        }
    }
    assert!(
        replies.contains(&Reply::WorkAck { job_id: 2 }),
        "{replies:?}"
    );
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, Reply::Status(s) if s.job_id == 2)),
        "{replies:?}"
    );
    for r in &replies {
        if let Reply::Result { job_id, nonce, .. } = *r {
            let work = if job_id == 1 { &old } else { &new };
            assert!(job_id == 1 || job_id == 2, "{r:?}");
            assert!(work.contains(nonce), "{r:?} is outside its job's range");
            assert!(
                work.check_nonce(nonce).meets_threshold,
                "{r:?} is not a hit of its job"
            );
        }
    }
    got_new.sort();
    got_new.dedup();
    assert_eq!(got_new, reference_hits(&new));
}
