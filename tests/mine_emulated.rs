//! End to end over real pseudo-terminals: the miner and its serial driver
//! against emulated boards running the real gateware (Verilator where it is
//! installed, as in CI). A header window is re-mined, two boards split one
//! job, and a noisy line loses and invents no nonce over 10,000+ frames.

use ferrominer::miner::{FoundShare, HeaderSource, Miner, MinerObserver, StopAfter};
use ferrominer::transport::{NoiseConfig, NoisyTransport, SerialTransport, Transport};
use ferrominer::{BlockHeader, Work};
use ferrominer_sim::emulator::{Emulator, EmulatorConfig};
use ferrominer_tests::*;
use std::time::Duration;

fn emulator(unroll: usize, cores: usize) -> Emulator {
    Emulator::start(EmulatorConfig::new(unroll, cores)).expect("start the emulator")
}

fn serial(e: &Emulator) -> SerialTransport {
    SerialTransport::open(&e.port_path().display().to_string(), 115_200).expect("open the pty")
}

#[derive(Default)]
struct Collect {
    shares: Vec<FoundShare>,
    hw: u64,
}

impl MinerObserver for Collect {
    fn share_found(&mut self, f: &FoundShare) {
        self.shares.push(f.clone());
    }
    fn hardware_error(&mut self, _: usize, _: u8, _: u32) {
        self.hw += 1;
    }
}

fn sorted(c: &Collect) -> Vec<u32> {
    let mut v: Vec<u32> = c.shares.iter().map(|s| s.nonce).collect();
    v.sort();
    v
}

fn run(
    boards: Vec<Box<dyn Transport>>,
    source: &mut HeaderSource,
    secs: u64,
) -> (Collect, ferrominer::miner::MinerStats) {
    let mut obs = Collect::default();
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    let stats = miner.run(
        source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(secs)),
            shares: None,
        },
    );
    (obs, stats)
}

/// Mainnet block 100000 from a window below its nonce.
#[test]
fn header_window_remined_over_a_pty() {
    let b = real_blocks()
        .into_iter()
        .find(|b| b.name == "mainnet-100000")
        .unwrap();
    let header: BlockHeader = b.header.parse().unwrap();
    let emu = emulator(8, 1);
    let mut source = HeaderSource::new(header, b.nonce - 5_000, 5_010).unwrap();
    let (obs, stats) = run(vec![Box::new(serial(&emu))], &mut source, 300);
    assert_eq!(sorted(&obs), vec![b.nonce]);
    assert_eq!(obs.shares[0].check.hash.to_display_hex(), b.hash);
    assert_eq!((stats.blocks, obs.hw), (1, 0));
    assert!(stats.hashes >= 5_010);
}

/// Two emulated boards split one regtest window: together exactly the
/// reference set, each board a part of it.
#[test]
fn two_emulated_boards_split_one_job() {
    let rt = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let header: BlockHeader = rt.header.parse().unwrap();
    let work = Work::from_header(&header, 0, 400).unwrap();
    let (e1, e2) = (emulator(8, 1), emulator(4, 2));
    let mut source = HeaderSource::new(header, 0, 400).unwrap();
    let (obs, stats) = run(
        vec![Box::new(serial(&e1)), Box::new(serial(&e2))],
        &mut source,
        300,
    );
    let expect: Vec<u32> = work
        .nonces()
        .filter(|n| work.check_nonce(*n).meets_target)
        .collect();
    assert_eq!(sorted(&obs), expect);
    for i in 0..2 {
        assert!(
            obs.shares.iter().any(|s| s.board == i),
            "board {i} found nothing"
        );
    }
    assert_eq!(stats.hardware_errors, 0);
}

/// Bit flips, dropped bytes and garbage in both directions over a real
/// pty: every reference nonce found exactly once, nothing invented, over
/// more than 10,000 frames.
#[test]
fn noisy_pty_loses_and_invents_no_nonce_over_10000_frames() {
    let rt = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let header: BlockHeader = rt.header.parse().unwrap();
    let (start, count) = (50_000, 12_000);
    let work = Work::from_header(&header, start, count).unwrap();
    let emu = emulator(8, 1);
    let noise = NoiseConfig {
        flip: 0.002,
        drop: 0.002,
        garbage: 0.002,
        seed: 0xfe55_0001,
    };
    let noisy = NoisyTransport::new(serial(&emu), noise);
    let mut source = HeaderSource::new(header, start, count).unwrap();
    let (obs, stats) = run(vec![Box::new(noisy)], &mut source, 600);
    let expect: Vec<u32> = work
        .nonces()
        .filter(|n| work.check_nonce(*n).meets_target)
        .collect();
    assert_eq!(sorted(&obs), expect, "lost or invented nonces");
    let l = stats.line;
    eprintln!("{l:?}");
    assert!(
        l.frames + l.sent >= 10_000,
        "only {} frames",
        l.frames + l.sent
    );
    assert!(
        l.bad_frames > 0 && l.retries + l.repeated_results > 0,
        "the noise did nothing: {l:?}"
    );
}
