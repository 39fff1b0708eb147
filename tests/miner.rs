//! The host driver and miner against the board's real gateware, simulated
//! in-process (`SimulatedBoard`, the hardware-free back end): re-mining a
//! block, two boards splitting one job, and a noisy line that must lose
//! and invent no nonce.

use ferrominer::miner::{
    FoundShare, HeaderSource, Miner, MinerObserver, SourceEvent, StopAfter, WorkSource, WorkUnit,
};
use ferrominer::transport::{NoiseConfig, NoisyTransport, SimulatedBoard, Transport};
use ferrominer::{BlockHeader, NonceCheck, Work};
use ferrominer_tests::*;
use std::time::Duration;

#[derive(Default)]
struct Collect {
    shares: Vec<FoundShare>,
    hw: Vec<u32>,
}

impl MinerObserver for Collect {
    fn share_found(&mut self, f: &FoundShare) {
        self.shares.push(f.clone());
    }
    fn hardware_error(&mut self, _board: usize, _job: u8, nonce: u32) {
        self.hw.push(nonce);
    }
}

fn nonces(c: &Collect) -> Vec<u32> {
    let mut v: Vec<u32> = c.shares.iter().map(|s| s.nonce).collect();
    v.sort();
    v
}

/// The genesis block's nonce, found on a simulated board and verified.
#[test]
fn miner_remines_the_genesis_block() {
    let b = &real_blocks()[0];
    let header: BlockHeader = b.header.parse().unwrap();
    let mut source = HeaderSource::new(header, b.nonce - 100, 120).unwrap();
    let mut obs = Collect::default();
    let boards: Vec<Box<dyn Transport>> = vec![Box::new(sim_board(8, 1))];
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    let stats = miner.run(
        &mut source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(60)),
            shares: None,
        },
    );
    assert_eq!(nonces(&obs), vec![b.nonce]);
    assert_eq!(obs.shares[0].check.hash.to_display_hex(), b.hash);
    assert_eq!((stats.blocks, stats.hardware_errors), (1, 0));
    assert!(stats.hashes >= 120, "progress reported {}", stats.hashes);
}

/// A source whose work goes void (a `Restart`) right after it was handed
/// out, with no new work to follow, as after a pool's `clean_jobs` when
/// the next job is late.
struct RestartAfterFirst {
    inner: HeaderSource,
    handed_out: bool,
    restarted: bool,
}

impl WorkSource for RestartAfterFirst {
    fn next_unit(&mut self, board: usize, boards: usize) -> Option<WorkUnit> {
        let unit = self.inner.next_unit(board, boards);
        self.handed_out |= unit.is_some();
        unit
    }
    fn share(&mut self, unit: &WorkUnit, nonce: u32, check: &NonceCheck) -> bool {
        self.inner.share(unit, nonce, check)
    }
    fn poll(&mut self, _wait: Duration) -> Vec<SourceEvent> {
        if self.handed_out && !self.restarted {
            self.restarted = true;
            return vec![SourceEvent::Restart];
        }
        Vec::new()
    }
    fn is_current(&self, _unit: &WorkUnit) -> bool {
        true
    }
    fn is_exhausted(&self) -> bool {
        false
    }
}

/// A nonce the board reports for work that went void after it was sent is
/// still verified (and handed on), not counted as unknown.
#[test]
fn nonce_of_work_voided_by_a_restart_is_still_verified() {
    let b = &real_blocks()[0];
    let header: BlockHeader = b.header.parse().unwrap();
    let mut source = RestartAfterFirst {
        inner: HeaderSource::new(header, b.nonce - 2_000, 2_100).unwrap(),
        handed_out: false,
        restarted: false,
    };
    let mut obs = Collect::default();
    let boards: Vec<Box<dyn Transport>> = vec![Box::new(sim_board(8, 1))];
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    let stats = miner.run(
        &mut source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(60)),
            shares: Some(1),
        },
    );
    assert!(source.restarted);
    assert_eq!(nonces(&obs), vec![b.nonce]);
    assert_eq!(
        (stats.blocks, stats.unknown_job, stats.hardware_errors),
        (1, 0, 0)
    );
}

/// Two boards split one regtest window: together they report exactly the
/// reference set, each nonce once.
#[test]
fn two_boards_split_one_job() {
    let rt = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let header: BlockHeader = rt.header.parse().unwrap();
    let work = Work::from_header(&header, 0, 100).unwrap();
    let mut source = HeaderSource::new(header, 0, 100).unwrap();
    let mut obs = Collect::default();
    let boards: Vec<Box<dyn Transport>> =
        vec![Box::new(sim_board(8, 1)), Box::new(sim_board(4, 2))];
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    let stats = miner.run(
        &mut source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(120)),
            shares: None,
        },
    );
    let expect: Vec<u32> = work
        .nonces()
        .filter(|n| work.check_nonce(*n).meets_target)
        .collect();
    assert_eq!(nonces(&obs), expect);
    let by_board: Vec<usize> = (0..2)
        .map(|i| obs.shares.iter().filter(|s| s.board == i).count())
        .collect();
    assert!(
        by_board.iter().all(|&n| n > 0),
        "both boards found some: {by_board:?}"
    );
    assert_eq!(stats.hardware_errors, 0);
}

/// A line that flips bits, drops bytes and adds garbage in both directions:
/// every reference nonce is still found exactly once, and nothing else.
#[test]
fn noisy_line_loses_and_invents_no_nonce() {
    let rt = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let header: BlockHeader = rt.header.parse().unwrap();
    let work = Work::from_header(&header, 1000, 400).unwrap();
    let mut source = HeaderSource::new(header, 1000, 400).unwrap();
    let noise = NoiseConfig {
        flip: 0.004,
        drop: 0.004,
        garbage: 0.004,
        seed: 0x5eed_f00d,
    };
    let boards: Vec<Box<dyn Transport>> =
        vec![Box::new(NoisyTransport::new(sim_board(8, 1), noise))];
    let mut obs = Collect::default();
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    let stats = miner.run(
        &mut source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(300)),
            shares: None,
        },
    );
    let expect: Vec<u32> = work
        .nonces()
        .filter(|n| work.check_nonce(*n).meets_target)
        .collect();
    assert_eq!(nonces(&obs), expect, "lost or invented nonces");
    // Anything damaged that slipped past the CRC is caught by verification.
    assert!(obs
        .hw
        .iter()
        .all(|n| !expect.contains(n) || !work.contains(*n)));
    eprintln!("{stats:?}");
}

/// A port that disappears on command (every operation fails, reopening is
/// refused) and comes back later, around a simulated board that keeps
/// running meanwhile, as a board on a replugged USB bridge would not lose
/// its work queue... but the host must assume it did: it re-identifies and
/// sends the work in flight again.
struct Flaky {
    inner: SimulatedBoard,
    state: std::sync::Arc<std::sync::atomic::AtomicU8>,
}

const UP: u8 = 0;
const GONE: u8 = 1;
const BACK: u8 = 2;

impl Transport for Flaky {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), ferrominer::transport::TransportError> {
        self.check()?;
        self.inner.write_all(bytes)
    }
    fn read(
        &mut self,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, ferrominer::transport::TransportError> {
        self.check()?;
        self.inner.read(buf, timeout)
    }
    fn reopen(&mut self) -> Result<(), ferrominer::transport::TransportError> {
        use std::sync::atomic::Ordering;
        match self.state.load(Ordering::SeqCst) {
            GONE => Err(ferrominer::transport::TransportError::NotFound {
                path: "flaky".into(),
            }),
            _ => {
                self.state.store(UP, Ordering::SeqCst);
                Ok(())
            }
        }
    }
    fn name(&self) -> String {
        "flaky".into()
    }
}

impl Flaky {
    fn check(&self) -> Result<(), ferrominer::transport::TransportError> {
        use std::sync::atomic::Ordering;
        match self.state.load(Ordering::SeqCst) {
            UP => Ok(()),
            _ => Err(ferrominer::transport::TransportError::Disconnected {
                path: "flaky".into(),
                detail: "unplugged".into(),
            }),
        }
    }
}

#[derive(Default)]
struct Events {
    shares: Vec<u32>,
    lost: usize,
    back: usize,
}

impl MinerObserver for Events {
    fn share_found(&mut self, f: &FoundShare) {
        self.shares.push(f.nonce);
    }
    fn board_lost(&mut self, _: usize, _: &ferrominer::device::DeviceError) {
        self.lost += 1;
    }
    fn board_back(&mut self, _: usize) {
        self.back += 1;
    }
}

/// The port disappears mid-job and comes back: the miner reopens it,
/// re-identifies the board, sends the work in flight again, and still
/// finds every nonce exactly once.
#[test]
fn port_that_disappears_and_comes_back() {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::Arc;
    let rt = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    let header: BlockHeader = rt.header.parse().unwrap();
    let work = Work::from_header(&header, 0, 3_000).unwrap();
    let state = Arc::new(AtomicU8::new(UP));
    let flaky = Flaky {
        inner: sim_board(8, 1),
        state: state.clone(),
    };
    let control = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        state.store(GONE, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1500));
        state.store(BACK, Ordering::SeqCst);
    });
    let mut source = HeaderSource::new(header, 0, 3_000).unwrap();
    let mut obs = Events::default();
    let boards: Vec<Box<dyn Transport>> = vec![Box::new(flaky)];
    let mut miner = Miner::new(boards, &mut obs).unwrap();
    miner.run(
        &mut source,
        &mut obs,
        StopAfter {
            duration: Some(Duration::from_secs(120)),
            shares: None,
        },
    );
    control.join().unwrap();
    assert!(
        obs.lost >= 1 && obs.back >= 1,
        "lost {} back {}",
        obs.lost,
        obs.back
    );
    let mut got = obs.shares.clone();
    got.sort();
    let expect: Vec<u32> = work
        .nonces()
        .filter(|n| work.check_nonce(*n).meets_target)
        .collect();
    assert_eq!(got, expect);
}
