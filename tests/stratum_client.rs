//! The Stratum client against the strict test pool, with a software share
//! finder (the `sha2` reference iterating nonces at tiny difficulties).
//!
//! Everything runs on 127.0.0.1; every wait is bounded by [`TIMEOUT`].

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrominer::stratum::{
    ClientConfig, DropReason, Event, Job, Notify, PoolUrl, Share, ShareOutcome, StratumClient,
    StratumError, TraceDirection,
};
use ferrominer::Target;
use ferrominer_tests::pool::{code, PoolConfig, TestPool};
use serde_json::{json, Value};

/// Upper bound on any single wait.
const TIMEOUT: Duration = Duration::from_secs(10);

const WORKER: &str = "alice.rig1";

/// Difficulty 2^-20: a share every ~4096 hashes.
fn tiny() -> f64 {
    1.0 / f64::from(1u32 << 20)
}

fn config(pool: &TestPool) -> ClientConfig {
    let mut c = ClientConfig::new(&pool.url(), WORKER, "x").unwrap();
    c.connect_timeout = Duration::from_secs(1);
    c.response_timeout = Duration::from_secs(2);
    c.backoff_initial = Duration::from_millis(25);
    c.backoff_max = Duration::from_millis(400);
    c
}

/// Distinct extranonce2 counters across the whole test binary, so that
/// two batches of shares never collide.
fn next_counter() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// The software share finder: the first `n` nonces from 0 whose header
/// (reference `sha256d`) meets `target`, for a fresh extranonce2.
fn find_shares(job: &Job, target: &Target, n: usize) -> Vec<Share> {
    let en2 = job.extranonce2(next_counter()).unwrap();
    let header = job.header(&en2).unwrap();
    let mut out = Vec::new();
    let mut nonce = 0u32;
    while out.len() < n {
        if header.with_nonce(nonce).block_hash().meets_target(target) {
            out.push(job.share(&en2, nonce));
        }
        nonce = nonce.checked_add(1).expect("nonce space exhausted");
    }
    out
}

/// Shares of `job` at its own share target.
fn shares(job: &Job, n: usize) -> Vec<Share> {
    find_shares(job, job.target(), n)
}

/// A client plus the log of every event it produced.
struct Harness {
    client: StratumClient,
    log: Vec<Event>,
    consumed: Vec<bool>,
}

impl Harness {
    fn start(cfg: ClientConfig) -> Harness {
        Harness {
            client: StratumClient::start(cfg).unwrap(),
            log: Vec::new(),
            consumed: Vec::new(),
        }
    }

    /// The first not-yet-consumed event matching `pred`, waiting for it if
    /// needed; panics with the event log after [`TIMEOUT`].
    fn expect(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        if let Some(i) = (0..self.log.len()).find(|&i| !self.consumed[i] && pred(&self.log[i])) {
            self.consumed[i] = true;
            return self.log[i].clone();
        }
        let end = Instant::now() + TIMEOUT;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let Some(e) = self.client.next_event(left) else {
                panic!(
                    "timed out waiting for {what}; events so far: {:#?}",
                    self.log
                );
            };
            self.log.push(e.clone());
            let hit = pred(&e);
            self.consumed.push(hit);
            if hit {
                return e;
            }
        }
    }

    /// Collects events for `d` without waiting for anything in particular.
    fn idle(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while let Some(e) = self
            .client
            .next_event(end.saturating_duration_since(Instant::now()))
        {
            self.log.push(e);
            self.consumed.push(false);
        }
    }

    fn job(&mut self) -> Arc<Job> {
        match self.expect("a job", |e| matches!(e, Event::NewJob(_))) {
            Event::NewJob(j) => j,
            _ => unreachable!(),
        }
    }

    fn connected(&mut self) -> Event {
        self.expect("a connection", |e| matches!(e, Event::Connected { .. }))
    }

    fn submit_all(&self, shares: &[Share]) {
        for s in shares {
            self.client.submit(s.clone()).unwrap();
        }
    }

    /// The pool's answers to `n` shares.
    fn results(&mut self, n: usize) -> Vec<(Share, ShareOutcome)> {
        (0..n)
            .map(|_| {
                match self.expect("a share result", |e| matches!(e, Event::ShareResult { .. })) {
                    Event::ShareResult { share, outcome } => (share, outcome),
                    _ => unreachable!(),
                }
            })
            .collect()
    }

    fn accepted(&mut self, n: usize) -> Vec<Share> {
        self.results(n)
            .into_iter()
            .map(|(s, o)| {
                assert_eq!(
                    o,
                    ShareOutcome::Accepted,
                    "share {s:?} rejected; log {:#?}",
                    self.log
                );
                s
            })
            .collect()
    }

    fn drops(&mut self, n: usize) -> Vec<(Share, DropReason)> {
        (0..n)
            .map(|_| {
                match self.expect("a dropped share", |e| {
                    matches!(e, Event::ShareDropped { .. })
                }) {
                    Event::ShareDropped { share, reason } => (share, reason),
                    _ => unreachable!(),
                }
            })
            .collect()
    }

    fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.log.iter().filter(|e| pred(e)).count()
    }

    fn errors(&self) -> Vec<StratumError> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Event::Error(err) => Some(err.clone()),
                _ => None,
            })
            .collect()
    }
}

fn submitted_job_ids(pool: &TestPool) -> Vec<String> {
    pool.shares().into_iter().map(|s| s.job_id).collect()
}

#[test]
fn shares_are_accepted() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let Event::Connected {
        extranonce1,
        extranonce2_size,
        resumed,
        ..
    } = h.connected()
    else {
        unreachable!()
    };
    assert_eq!((extranonce2_size, resumed), (4, false));
    let job = h.job();
    assert!(job.clean());
    assert_eq!(job.difficulty(), tiny());
    assert_eq!(job.extranonce1(), extranonce1.as_slice());
    let found = shares(&job, 5);
    h.submit_all(&found);
    let accepted = h.accepted(5);
    assert_eq!(accepted, found);
    let recs = pool.accepted();
    assert_eq!(recs.len(), 5);
    assert!(pool.rejected().is_empty());
    for r in &recs {
        assert_eq!(r.extranonce1, extranonce1);
        assert!(r.share_difficulty.unwrap() >= r.job_difficulty.unwrap());
    }
    let stats = h.client.stats();
    assert_eq!((stats.submitted, stats.accepted, stats.rejected), (5, 5, 0));
}

#[test]
fn clean_jobs_switch_leads_to_no_stale_submit() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let job_a = h.job();
    // Found on job A, but only handed over after the switch (hardware lag).
    let late = shares(&job_a, 3);
    let id_b = pool.new_job(true);
    let job_b = h.job();
    assert_eq!((job_b.job_id(), job_b.clean()), (id_b.as_str(), true));
    h.submit_all(&late);
    for (share, reason) in h.drops(3) {
        assert_eq!(reason, DropReason::StaleJob);
        assert_eq!(share.job_id, job_a.job_id());
    }
    // A non-clean job keeps job B valid.
    let on_b = shares(&job_b, 2);
    let id_c = pool.new_job(false);
    let job_c = h.job();
    assert_eq!((job_c.job_id(), job_c.clean()), (id_c.as_str(), false));
    h.submit_all(&on_b);
    h.submit_all(&shares(&job_c, 1));
    h.accepted(3);
    assert!(pool.rejected().is_empty(), "{:#?}", pool.rejected());
    assert!(!submitted_job_ids(&pool).contains(&job_a.job_id().to_owned()));
    assert_eq!(pool.accepted().len(), 3);
    assert_eq!(h.client.stats().dropped, 3);
}

#[test]
fn difficulty_change_is_respected() {
    let old = tiny();
    let new = old * 32.0;
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let job_a = h.job();
    let on_a = shares(&job_a, 2);
    pool.set_difficulty(new);
    h.expect("the new difficulty", |e| *e == Event::Difficulty(new));
    // Job A was sent at the old difficulty: its shares still count.
    h.submit_all(&on_a);
    h.accepted(2);
    pool.new_job(false);
    let job_b = h.job();
    assert_eq!(job_b.difficulty(), new);
    assert_eq!(*job_b.target(), Target::from_difficulty(new).unwrap());
    // A naive finder still working at the old target: the client must only
    // pass on what meets the new one.
    let old_target = Target::from_difficulty(old).unwrap();
    let mut candidates = Vec::new();
    while candidates.iter().filter(|s| meets(&job_b, s)).count() < 2 {
        candidates.extend(find_shares(&job_b, &old_target, 8));
    }
    let good = candidates.iter().filter(|s| meets(&job_b, s)).count();
    let below = candidates.len() - good;
    assert!(below > 0);
    h.submit_all(&candidates);
    h.accepted(good);
    for (_, reason) in h.drops(below) {
        assert_eq!(reason, DropReason::BelowTarget);
    }
    let recs = pool.shares();
    assert!(recs.iter().all(|r| r.accepted()), "{recs:#?}");
    let on_b: Vec<_> = recs.iter().filter(|r| r.job_id == job_b.job_id()).collect();
    assert_eq!(on_b.len(), good);
    for r in on_b {
        assert_eq!(r.job_difficulty, Some(new));
        assert!(r.share_difficulty.unwrap() >= new);
    }
}

fn meets(job: &Job, s: &Share) -> bool {
    job.check_share(s).unwrap().meets_share_target
}

#[test]
fn disconnect_reconnects_with_backoff_and_loses_no_share() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let Event::Connected { extranonce1, .. } = h.connected() else {
        unreachable!()
    };
    let job = h.job();
    h.submit_all(&shares(&job, 1));
    h.accepted(1);

    pool.refuse_connections(true);
    pool.drop_connections();
    h.expect("the disconnect", |e| {
        matches!(e, Event::Disconnected { .. })
    });
    let while_down = shares(&job, 2);
    h.submit_all(&while_down);
    for s in &while_down {
        h.expect("a queued share", |e| *e == Event::ShareQueued(s.clone()));
    }
    // Let the client fail a few times against the refusing pool.
    let mut delays = Vec::new();
    while delays.len() < 5 {
        match h.expect("a reconnect attempt", |e| {
            matches!(e, Event::Reconnecting { .. })
        }) {
            Event::Reconnecting { attempt, delay, .. } => {
                assert_eq!(attempt as usize, delays.len() + 1);
                delays.push(delay);
            }
            _ => unreachable!(),
        }
    }
    let ms = |d: &Duration| d.as_millis() as u64;
    assert_eq!(
        delays.iter().map(ms).collect::<Vec<_>>(),
        [25, 50, 100, 200, 400]
    );
    pool.refuse_connections(false);

    let Event::Connected {
        extranonce1: again,
        resumed,
        ..
    } = h.connected()
    else {
        unreachable!()
    };
    assert!(resumed);
    assert_eq!(again, extranonce1);
    let resent = h.accepted(2);
    assert_eq!(resent, while_down);
    assert!(pool.rejected().is_empty(), "{:#?}", pool.rejected());
    assert_eq!(pool.accepted().len(), 3);

    // The pool saw the attempts spaced by at least the announced delays.
    let attempts = pool.connection_attempts();
    assert!(attempts.len() >= 6, "{} attempts", attempts.len());
    for (i, d) in delays.iter().enumerate().skip(1).take(3) {
        let gap = attempts[i + 1] - attempts[i];
        assert!(gap >= *d, "attempt gap {gap:?} shorter than backoff {d:?}");
    }
    let stats = h.client.stats();
    assert_eq!((stats.queued, stats.accepted, stats.rejected), (2, 3, 0));
}

/// A pool that keeps the connection but never answers a share: after
/// `response_timeout` the client reconnects, says why, and submits the
/// share again, so it is not lost.
#[test]
fn unanswered_share_is_submitted_again_after_a_reconnect() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    h.connected();
    let job = h.job();
    pool.ignore_shares(true);
    let share = shares(&job, 1);
    h.submit_all(&share);
    h.expect("the submit", |e| {
        *e == Event::ShareSubmitted(share[0].clone())
    });
    let sent = Instant::now();
    let Event::Disconnected { error } = h.expect("the disconnect", |e| {
        matches!(e, Event::Disconnected { .. })
    }) else {
        unreachable!()
    };
    let waited = sent.elapsed();
    let message = error.expect("a reason").to_string();
    assert!(message.contains("the answer to a share"), "{message}");
    assert!(
        waited >= Duration::from_millis(1900),
        "gave up after {waited:?}, before response_timeout (2 s)"
    );
    assert!(pool.accepted().is_empty());
    pool.ignore_shares(false);
    h.connected();
    let resent = h.accepted(1);
    assert_eq!(resent, share);
    assert_eq!(pool.accepted().len(), 1);
    assert!(pool.rejected().is_empty(), "{:#?}", pool.rejected());
}

#[test]
fn clean_job_after_reconnect_drops_queued_shares() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let job_a = h.job();
    pool.refuse_connections(true);
    pool.drop_connections();
    h.expect("the disconnect", |e| {
        matches!(e, Event::Disconnected { .. })
    });
    let while_down = shares(&job_a, 2);
    h.submit_all(&while_down);
    let id_b = pool.new_job(true);
    pool.refuse_connections(false);
    h.connected();
    let job_b = h.job();
    assert_eq!((job_b.job_id(), job_b.clean()), (id_b.as_str(), true));
    for (share, reason) in h.drops(2) {
        assert_eq!(reason, DropReason::StaleJob);
        assert!(while_down.contains(&share));
    }
    h.submit_all(&shares(&job_b, 1));
    h.accepted(1);
    assert_eq!(submitted_job_ids(&pool), vec![id_b]);
    assert!(pool.rejected().is_empty());
}

#[test]
fn new_extranonce1_after_reconnect_drops_queued_shares() {
    let pool = TestPool::with_config(PoolConfig {
        resume_sessions: false,
        ..PoolConfig::default()
    });
    let mut h = Harness::start(config(&pool));
    let job_a = h.job();
    pool.refuse_connections(true);
    pool.drop_connections();
    h.expect("the disconnect", |e| {
        matches!(e, Event::Disconnected { .. })
    });
    h.submit_all(&shares(&job_a, 2));
    pool.refuse_connections(false);
    let Event::Connected { resumed, .. } = h.connected() else {
        unreachable!()
    };
    assert!(!resumed);
    for (_, reason) in h.drops(2) {
        assert_eq!(reason, DropReason::ExtranonceChanged);
    }
    let job = h.job();
    assert_ne!(job.extranonce1(), job_a.extranonce1());
    h.submit_all(&shares(&job, 1));
    h.accepted(1);
    assert!(pool.rejected().is_empty());
}

#[test]
fn client_reconnect_is_followed() {
    let pool1 = TestPool::start();
    let pool2 = TestPool::start();
    let mut h = Harness::start(config(&pool1));
    h.connected();
    h.job();
    // Another host is not followed by default.
    pool1.send_reconnect(Some("pool.example.invalid"), Some(3333), Some(0));
    let e = h.expect("a reconnect request", |e| {
        matches!(e, Event::ReconnectRequested { .. })
    });
    assert!(matches!(
        e,
        Event::ReconnectRequested {
            followed: false,
            ..
        }
    ));
    // Same host, another port, after a 1 s wait.
    let asked = Instant::now();
    pool1.send_reconnect(Some("127.0.0.1"), Some(pool2.port()), Some(1));
    let e = h.expect("a reconnect request", |e| {
        matches!(e, Event::ReconnectRequested { .. })
    });
    let want = PoolUrl::new("127.0.0.1", pool2.port()).unwrap();
    assert_eq!(
        e,
        Event::ReconnectRequested {
            url: want.clone(),
            wait: Duration::from_secs(1),
            followed: true
        }
    );
    let Event::Connected { url, .. } = h.connected() else {
        unreachable!()
    };
    assert_eq!(url, want);
    assert!(asked.elapsed() >= Duration::from_secs(1));
    let job = h.job();
    assert_eq!(pool2.job(job.job_id()).unwrap().id, job.job_id());
    h.submit_all(&shares(&job, 2));
    h.accepted(2);
    assert_eq!(pool2.accepted().len(), 2);
    assert!(pool1.shares().is_empty());
    assert_eq!(pool1.connected(), 0);
}

#[test]
fn junk_lines_are_reported_and_survived() {
    let pool = TestPool::start();
    let mut h = Harness::start(config(&pool));
    let job = h.job();
    pool.send_malformed_json();
    pool.send_bytes(b"\xff\xfe not utf-8\n");
    pool.send_raw("[1,2,3]");
    pool.send_raw(r#"{"id":null,"method":"mining.notify","params":[1,2]}"#);
    pool.send_raw(r#"{"id":null,"method":"mining.set_difficulty","params":[-4]}"#);
    pool.send_raw(r#"{"id":999,"result":true,"error":null}"#);
    pool.send_overlong_line(200_000);
    pool.send_raw(r#"{"id":null,"method":"client.show_message","params":["hello"]}"#);
    h.expect("the pool message", |e| {
        *e == Event::PoolMessage("hello".into())
    });
    let errors: Vec<String> = h.errors().iter().map(ToString::to_string).collect();
    let want = [
        "malformed line from the pool (invalid JSON",
        "malformed line from the pool (not valid UTF-8)",
        "unexpected message from the pool (not a JSON object)",
        "invalid params in mining.notify: must have at least 9 elements, got 2",
        "invalid difficulty in mining.set_difficulty: must be finite and greater than 0",
        "unexpected message from the pool (response to unknown request id 999)",
        "line from the pool exceeds the 65536-byte limit",
    ];
    assert_eq!(errors.len(), want.len(), "{errors:#?}");
    for (e, w) in errors.iter().zip(want) {
        assert!(e.starts_with(w), "{e:?} should start with {w:?}");
        assert!(e.len() < 300, "errors quote only a snippet: {e}");
    }
    assert!(matches!(
        h.errors()[6],
        StratumError::LineTooLong { limit: 65536 }
    ));
    // Still connected and mining: the same session, new jobs, accepted shares.
    assert_eq!(h.count(|e| matches!(e, Event::Disconnected { .. })), 0);
    h.submit_all(&shares(&job, 1));
    pool.new_job(false);
    let next = h.job();
    h.submit_all(&shares(&next, 1));
    h.accepted(2);
    assert!(pool.rejected().is_empty());
}

#[test]
fn bad_url_and_unreachable_pool_give_clear_errors() {
    for (url, want) in [
        (
            "http://127.0.0.1:3333",
            "bad pool URL \"http://127.0.0.1:3333\": unsupported scheme",
        ),
        ("stratum+tcp://127.0.0.1", "missing port"),
        ("stratum+tcp://127.0.0.1:70000", "out of range"),
        ("", "empty URL"),
    ] {
        let e = ClientConfig::new(url, WORKER, "x").unwrap_err();
        assert!(matches!(e, StratumError::BadUrl { .. }));
        assert!(e.to_string().contains(want), "{url}: {e}");
    }
    let mut cfg = ClientConfig::new("stratum+tcp://127.0.0.1:1", "", "x").unwrap();
    assert!(matches!(
        StratumClient::start(cfg.clone()),
        Err(StratumError::Config(_))
    ));
    // Nothing listens on the port: errors and backoff, no panic, prompt stop.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    cfg.url = PoolUrl::new("127.0.0.1", port).unwrap();
    cfg.user = WORKER.into();
    cfg.backoff_initial = Duration::from_millis(10);
    cfg.backoff_max = Duration::from_millis(20);
    let mut h = Harness::start(cfg);
    let e = h.expect("a connection error", |e| matches!(e, Event::Error(_)));
    let Event::Error(StratumError::Io { context, .. }) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        *context,
        format!("connecting to stratum+tcp://127.0.0.1:{port}")
    );
    h.expect("a retry", |e| {
        matches!(e, Event::Reconnecting { attempt: 2, .. })
    });
    let t = Instant::now();
    h.client.stop();
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn password_never_appears_in_logs_or_debug_output() {
    const SECRET: &str = "pw-hunter2-XYZ";
    const WRONG: &str = "wrong-pw-QQQ";
    let pool = TestPool::with_config(PoolConfig {
        password: Some(SECRET.into()),
        ..PoolConfig::default()
    });
    let mut cfg = config(&pool);
    cfg.password = SECRET.into();
    cfg.trace_lines = true;
    let mut h = Harness::start(cfg.clone());
    h.connected();
    let job = h.job();
    h.submit_all(&shares(&job, 1));
    h.accepted(1);
    pool.drop_connections();
    h.connected();
    // The password did go to the pool, twice.
    let sent: Vec<_> = pool.authorizations();
    assert_eq!(sent, vec![(WORKER.to_owned(), SECRET.to_owned()); 2]);

    let mut wrong_cfg = cfg.clone();
    wrong_cfg.password = WRONG.into();
    let mut w = Harness::start(wrong_cfg.clone());
    let e = w.expect("an authorization failure", |e| {
        matches!(
            e,
            Event::Disconnected {
                error: Some(StratumError::AuthorizationFailed { .. })
            }
        )
    });
    let Event::Disconnected { error: Some(err) } = &e else {
        unreachable!()
    };
    assert_eq!(
        err.to_string(),
        "pool refused to authorize worker \"alice.rig1\": Unauthorized worker (code 24)"
    );
    w.idle(Duration::from_millis(50));
    h.idle(Duration::from_millis(50));

    let mut text = String::new();
    for e in h.log.iter().chain(&w.log) {
        text += &format!("{e:?}\n{e:#?}\n");
        if let Event::Error(err) = e {
            text += &format!("{err}\n");
        }
    }
    text += &format!(
        "{cfg:?} {cfg:#?} {wrong_cfg:?} {:?} {:?} {:?}",
        h.client, w.client, cfg.password
    );
    assert!(!text.contains(SECRET), "the password leaked:\n{text}");
    assert!(!text.contains(WRONG), "the password leaked:\n{text}");
    // The trace shows the authorize request, redacted.
    let authorize: Vec<&String> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Event::Trace {
                direction: TraceDirection::Sent,
                line,
            } if line.contains("mining.authorize") => Some(line),
            _ => None,
        })
        .collect();
    assert_eq!(authorize.len(), 2);
    assert!(authorize[0]
        .ends_with(r#""method":"mining.authorize","params":["alice.rig1","<redacted>"]}"#));
}

/// A raw connection to the pool, for checking the pool itself.
struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    next_id: u64,
}

impl Raw {
    fn connect(pool: &TestPool) -> Raw {
        let stream = TcpStream::connect(pool.addr()).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Raw {
            stream,
            reader,
            next_id: 1,
        }
    }

    fn read(&mut self) -> Value {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// Sends a request and returns its response; notifications that come
    /// first are returned in the second element.
    fn call(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"id": id, "method": method, "params": params}).to_string();
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut notes = Vec::new();
        loop {
            let v = self.read();
            if v["id"] == json!(id) {
                return (v, notes);
            }
            notes.push(v);
        }
    }

    /// Submits and returns the error code (`None` if accepted).
    fn submit(&mut self, params: Value) -> Option<i64> {
        let (r, _) = self.call("mining.submit", params);
        if r["result"] == json!(true) {
            assert!(r["error"].is_null());
            None
        } else {
            Some(r["error"][0].as_i64().unwrap())
        }
    }
}

#[test]
fn pool_rejects_bad_shares_with_proper_codes() {
    let pool = TestPool::start();
    let mut unsubscribed = Raw::connect(&pool);
    let p = json!([WORKER, "1000", "00000000", "00000000", "00000000"]);
    assert_eq!(unsubscribed.submit(p), Some(code::NOT_SUBSCRIBED));

    let mut raw = Raw::connect(&pool);
    let (sub, _) = raw.call("mining.subscribe", json!(["raw-test/1"]));
    let e1 = hex::decode(sub["result"][1].as_str().unwrap()).unwrap();
    assert_eq!(sub["result"][2], json!(4));
    let p = json!([WORKER, "1000", "00000000", "00000000", "00000000"]);
    assert_eq!(raw.submit(p), Some(code::UNAUTHORIZED));
    let (auth, _) = raw.call("mining.authorize", json!([WORKER, "x"]));
    assert_eq!(auth["result"], json!(true));
    let diff = raw.read();
    assert_eq!(diff["method"], "mining.set_difficulty");
    let notify = raw.read();
    assert_eq!(notify["method"], "mining.notify");
    assert_eq!(notify["params"][8], json!(true));
    // The library's job building agrees with the pool's.
    let n = Notify::from_params(&notify["params"]).unwrap();
    let job = Job::new(n, e1.clone(), 4, diff["params"][0].as_f64().unwrap()).unwrap();
    let pool_job = pool.job(job.job_id()).unwrap();
    let s = &shares(&job, 1)[0];
    assert_eq!(
        pool_job.hash(&e1, &s.extranonce2, s.ntime, s.nonce),
        job.check_share(s).unwrap().hash
    );
    let params = |s: &Share| s.submit_params(WORKER);
    // Coinbase shape: BIP 34 height push right after the script length.
    let cb = job.coinbase(&s.extranonce2).unwrap();
    assert_eq!(cb[42], 3);
    assert_eq!(&cb[43..46], &pool_job.height.to_le_bytes()[..3]);

    assert_eq!(raw.submit(params(s)), None);
    assert_eq!(raw.submit(params(s)), Some(code::DUPLICATE));
    let mut unknown = s.clone();
    unknown.job_id = "nope".into();
    assert_eq!(raw.submit(params(&unknown)), Some(code::JOB_NOT_FOUND));
    let mut wrong_worker = params(s);
    wrong_worker[0] = json!("mallory.rig");
    assert_eq!(raw.submit(wrong_worker), Some(code::UNAUTHORIZED));
    let mut short_en2 = params(s);
    short_en2[2] = json!("0000");
    assert_eq!(raw.submit(short_en2), Some(code::OTHER));
    let mut bad_nonce = params(s);
    bad_nonce[4] = json!("xyz");
    assert_eq!(raw.submit(bad_nonce), Some(code::OTHER));
    let mut early = params(s);
    early[3] = json!(format!("{:08x}", s.ntime - 1));
    assert_eq!(raw.submit(early), Some(code::OTHER));
    let mut rolled = params(s);
    rolled[4] = json!("00000000");
    rolled[3] = json!(format!("{:08x}", s.ntime + 1));
    // Either a share or not: the pool decides from the hash of its own header.
    let rolled_hash = pool_job.hash(&e1, &s.extranonce2, s.ntime + 1, 0);
    let rolled_ok = rolled_hash.meets_target(job.target());
    assert_eq!(
        raw.submit(rolled),
        (!rolled_ok).then_some(code::LOW_DIFFICULTY)
    );
    // A nonce below the share target.
    let en2 = job.extranonce2(next_counter()).unwrap();
    let header = job.header(&en2).unwrap();
    let low = (0..)
        .find(|&n| !header.with_nonce(n).block_hash().meets_target(job.target()))
        .unwrap();
    assert_eq!(
        raw.submit(params(&job.share(&en2, low))),
        Some(code::LOW_DIFFICULTY)
    );
    assert_eq!(
        raw.submit(json!([WORKER, job.job_id(), "00000000", "00000000"])),
        Some(code::OTHER)
    );
    // A clean job makes the old one stale; a later share for it is refused.
    let fresh = shares(&job, 1);
    pool.new_job(true);
    let (r, notes) = raw.call("mining.submit", params(&fresh[0]));
    assert_eq!(r["error"][0], json!(code::JOB_NOT_FOUND));
    assert!(r["error"][1].as_str().unwrap().contains("Stale"));
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["params"][8], json!(true));

    let recs = pool.shares();
    assert_eq!(
        recs.iter().filter(|r| r.accepted()).count(),
        1 + usize::from(rolled_ok)
    );
    assert_eq!(recs.last().unwrap().code(), Some(code::JOB_NOT_FOUND));
}
