//! The whole miner (Stratum source, driver, the board's real gateware in
//! simulation) against the strict test pool, which validates every share
//! with the reference and rejects duplicates, stale and low-difficulty
//! shares.

use ferrominer::miner::{
    FoundShare, Miner, MinerObserver, MinerStats, SourceEvent, StopAfter, StratumSource,
};
use ferrominer::stratum::ClientConfig;
use ferrominer::transport::Transport;
use ferrominer_tests::pool::{code, PoolConfig, TestPool};
use ferrominer_tests::sim_board;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn board() -> Box<dyn Transport> {
    Box::new(sim_board(8, 1))
}

#[derive(Default, Clone)]
struct Log {
    found: Arc<Mutex<Vec<(Instant, FoundShare)>>>,
    dropped: Arc<Mutex<Vec<String>>>,
}

impl MinerObserver for Log {
    fn share_found(&mut self, f: &FoundShare) {
        self.found.lock().unwrap().push((Instant::now(), f.clone()));
    }
    fn source_event(&mut self, ev: &SourceEvent) {
        if let SourceEvent::ShareDropped(why) = ev {
            self.dropped.lock().unwrap().push(why.clone());
        }
    }
}

fn pool(difficulty: f64) -> TestPool {
    TestPool::with_config(PoolConfig {
        difficulty,
        seed: Some(7),
        ..Default::default()
    })
}

/// Mine against `pool` in a thread for `secs` (or `shares` shares).
fn mine(
    pool: &TestPool,
    secs: f64,
    shares: Option<u64>,
    log: Log,
) -> std::thread::JoinHandle<MinerStats> {
    let cfg = ClientConfig::new(&pool.url(), "ferro.worker", "s3cret-pass").unwrap();
    std::thread::spawn(move || {
        let mut source = StratumSource::connect(cfg).unwrap();
        let mut obs = log;
        let mut miner = Miner::new(vec![board()], &mut obs).unwrap();
        miner.run(
            &mut source,
            &mut obs,
            StopAfter {
                duration: Some(Duration::from_secs_f64(secs)),
                shares,
            },
        )
    })
}

#[test]
fn shares_are_accepted() {
    let pool = pool(1.0 / f64::from(1u32 << 26));
    let log = Log::default();
    let stats = mine(&pool, 60.0, Some(25), log.clone()).join().unwrap();
    assert!(stats.shares >= 25);
    assert!(
        pool.wait_until(Duration::from_secs(5), |p| p.shares().len() as u64
            >= stats.shares)
    );
    assert!(pool.rejected().is_empty(), "{:?}", pool.rejected());
    assert_eq!(pool.accepted().len() as u64, stats.shares);
    assert_eq!(stats.hardware_errors, 0);
    // The worker authorized with its name; the password never left the
    // client except in mining.authorize.
    assert!(pool
        .authorizations()
        .iter()
        .any(|(u, _)| u == "ferro.worker"));
}

/// A clean_jobs notify mid-run: nothing is submitted for the old job once
/// the miner has seen the notify, so the strict pool rejects nothing as
/// stale; shares keep coming for the new job.
#[test]
fn clean_jobs_switch_leads_to_no_stale_submit() {
    let pool = pool(1.0 / f64::from(1u32 << 21));
    let log = Log::default();
    let handle = mine(&pool, 9.0, None, log.clone());
    assert!(pool.wait_until(Duration::from_secs(20), |p| !p.accepted().is_empty()));
    let old = pool.current_job().id.clone();
    let switched = Instant::now();
    let new = pool.new_job(true);
    handle.join().unwrap();
    let stale: Vec<_> = pool
        .rejected()
        .into_iter()
        .filter(|s| s.code() == Some(code::JOB_NOT_FOUND))
        .collect();
    assert!(stale.is_empty(), "stale submits: {stale:?}");
    // Anything for the old job arriving well after the switch would have
    // been a stale submit (and the pool would have rejected it).
    let late_old = pool
        .shares()
        .into_iter()
        .filter(|s| s.job_id == old && s.at > switched + Duration::from_millis(200))
        .count();
    assert_eq!(late_old, 0);
    assert!(
        pool.accepted().iter().any(|s| s.job_id == new),
        "no share for the new job"
    );
}

/// A lower difficulty, then a higher one: no share is ever submitted below
/// the difficulty in force for its job.
#[test]
fn difficulty_change_is_respected() {
    let pool = pool(1.0 / f64::from(1u32 << 26));
    let log = Log::default();
    let handle = mine(&pool, 8.0, None, log.clone());
    assert!(pool.wait_until(Duration::from_secs(20), |p| p.accepted().len() >= 5));
    pool.set_difficulty(1.0 / f64::from(1u32 << 22));
    let job = pool.new_job(false);
    handle.join().unwrap();
    let low: Vec<_> = pool
        .rejected()
        .into_iter()
        .filter(|s| s.code() == Some(code::LOW_DIFFICULTY))
        .collect();
    assert!(low.is_empty(), "{low:?}");
    for s in pool.accepted().iter().filter(|s| s.job_id == job) {
        assert!(
            s.share_difficulty.unwrap() >= 1.0 / f64::from(1u32 << 22),
            "{s:?}"
        );
    }
}

/// The pool drops the connection: the miner reconnects and every share it
/// found is accepted, or dropped by the client only because its job died.
#[test]
fn pool_disconnect_loses_no_share() {
    let pool = pool(1.0 / f64::from(1u32 << 24));
    let log = Log::default();
    let handle = mine(&pool, 10.0, None, log.clone());
    assert!(pool.wait_until(Duration::from_secs(20), |p| p.accepted().len() >= 3));
    pool.drop_connections();
    let stats = handle.join().unwrap();
    assert!(pool.connection_attempts().len() >= 2, "did not reconnect");
    assert!(pool.rejected().is_empty(), "{:?}", pool.rejected());
    let dropped = log.dropped.lock().unwrap().clone();
    assert!(dropped.iter().all(|d| d.contains("Stale")), "{dropped:?}");
    assert_eq!(
        pool.accepted().len() + dropped.len(),
        stats.shares as usize,
        "every share found was accepted or dropped as stale"
    );
    let after = pool.accepted().iter().filter(|s| s.conn >= 2).count();
    assert!(after > 0, "no share accepted after the reconnect");
}
