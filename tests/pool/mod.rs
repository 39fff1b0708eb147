//! A strict Stratum v1 test pool on 127.0.0.1, for the client tests.
//!
//! It serves real-shaped jobs (a coinbase with a BIP 34 height push and a
//! P2WPKH output, a merkle branch computed from a few random txids, a
//! realistic previous hash, version, nBits and nTime), and checks every
//! share independently of the client library: it rebuilds the coinbase,
//! merkle root and 80-byte header from its own job data and the submitted
//! extranonce2/ntime/nonce, hashes it with the reference `sha256d`, and
//! rejects with the usual codes:
//!
//! - 20 other/malformed (bad parameters, extranonce2 size, ntime range),
//! - 21 job not found / stale (unknown, replaced by a `clean_jobs` notify,
//!   or never sent to this session),
//! - 22 duplicate (same extranonce1, job, extranonce2, ntime and nonce),
//! - 23 low difficulty (hash above the target of the difficulty in force
//!   when the job was sent to the session),
//! - 24 unauthorized worker, 25 not subscribed.
//!
//! Sessions are resumable: a `mining.subscribe` offering a known
//! extranonce1 as session id gets it back (unless disabled), so shares of a
//! still-valid job remain valid across a reconnect. On authorization the
//! pool sends `mining.set_difficulty` and the current job, with
//! `clean_jobs` set for a new session, or for a resumed one when a clean
//! job was issued since the last job it saw.
//!
//! Commands (new jobs, difficulty, dropping or refusing connections,
//! `client.reconnect`, junk lines) act on every connected client at once,
//! and everything is recorded for assertions.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ferrominer::{sha256d, Hash256, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Settings of a [`TestPool`].
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Extranonce1 size in bytes (default 4).
    pub extranonce1_size: usize,
    /// Extranonce2 size in bytes (default 4).
    pub extranonce2_size: usize,
    /// Initial share difficulty (default 2^-20: a share every ~4000 hashes).
    pub difficulty: f64,
    /// Transactions besides the coinbase in each job (default 5).
    pub transactions: usize,
    /// Resume sessions by extranonce1 (default true).
    pub resume_sessions: bool,
    /// Password every worker must give (default `None`: any).
    pub password: Option<String>,
    /// How far past the job's ntime a share may roll (default 600 s).
    pub ntime_roll: u32,
    /// RNG seed (default: from the clock).
    pub seed: Option<u64>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            extranonce1_size: 4,
            extranonce2_size: 4,
            difficulty: 1.0 / f64::from(1u32 << 20),
            transactions: 5,
            resume_sessions: true,
            password: None,
            ntime_roll: 600,
            seed: None,
        }
    }
}

/// Stratum error codes.
pub mod code {
    /// Other / unknown / malformed.
    pub const OTHER: i64 = 20;
    /// Job not found (or stale).
    pub const JOB_NOT_FOUND: i64 = 21;
    /// Duplicate share.
    pub const DUPLICATE: i64 = 22;
    /// Low difficulty share.
    pub const LOW_DIFFICULTY: i64 = 23;
    /// Unauthorized worker.
    pub const UNAUTHORIZED: i64 = 24;
    /// Not subscribed.
    pub const NOT_SUBSCRIBED: i64 = 25;
}

/// One `mining.submit` the pool received, with its verdict.
#[derive(Debug, Clone)]
pub struct ShareRecord {
    /// Connection number (1-based, in accept order).
    pub conn: u64,
    /// When it arrived.
    pub at: Instant,
    /// The raw `params` array.
    pub params: Value,
    /// The job id submitted.
    pub job_id: String,
    /// The session's extranonce1.
    pub extranonce1: Vec<u8>,
    /// The block hash of the rebuilt header, when it could be rebuilt.
    pub hash: Option<Hash256>,
    /// The difficulty the hash achieves.
    pub share_difficulty: Option<f64>,
    /// The difficulty the job was sent at to this session.
    pub job_difficulty: Option<f64>,
    /// `Ok` if accepted, else the error code and message sent back.
    pub result: Result<(), (i64, String)>,
}

impl ShareRecord {
    /// Whether the share was accepted.
    pub fn accepted(&self) -> bool {
        self.result.is_ok()
    }

    /// The rejection code, if rejected.
    pub fn code(&self) -> Option<i64> {
        self.result.as_ref().err().map(|(c, _)| *c)
    }
}

/// A job as the pool issued it.
#[derive(Debug, Clone)]
pub struct PoolJob {
    /// Issue order.
    pub seq: u64,
    /// The job id.
    pub id: String,
    /// Block height in the coinbase.
    pub height: u32,
    /// Previous block hash, internal byte order.
    pub prev_hash: [u8; 32],
    /// Coinbase part 1.
    pub coinb1: Vec<u8>,
    /// Coinbase part 2.
    pub coinb2: Vec<u8>,
    /// Merkle branch, internal byte order.
    pub branch: Vec<[u8; 32]>,
    /// Block version.
    pub version: u32,
    /// nBits.
    pub nbits: u32,
    /// nTime.
    pub ntime: u32,
    /// Whether it was issued with `clean_jobs`.
    pub clean: bool,
}

impl PoolJob {
    /// The `mining.notify` params, written independently of the client
    /// library: prevhash with each 4-byte word byte-reversed, numbers as
    /// big-endian hex.
    pub fn notify_params(&self, clean: bool) -> Value {
        let mut prev = String::new();
        for w in self.prev_hash.chunks(4) {
            prev.push_str(&hex::encode([w[3], w[2], w[1], w[0]]));
        }
        json!([
            self.id,
            prev,
            hex::encode(&self.coinb1),
            hex::encode(&self.coinb2),
            self.branch.iter().map(hex::encode).collect::<Vec<_>>(),
            format!("{:08x}", self.version),
            format!("{:08x}", self.nbits),
            format!("{:08x}", self.ntime),
            clean,
        ])
    }

    /// The block hash of this job's header for the given extranonces, time
    /// and nonce: coinbase, merkle fold and header assembled here.
    pub fn hash(&self, extranonce1: &[u8], extranonce2: &[u8], ntime: u32, nonce: u32) -> Hash256 {
        let coinbase = [&self.coinb1[..], extranonce1, extranonce2, &self.coinb2[..]].concat();
        let mut root = sha256d(&coinbase);
        for b in &self.branch {
            root = sha256d(&[root, *b].concat());
        }
        let mut header = Vec::with_capacity(80);
        header.extend_from_slice(&self.version.to_le_bytes());
        header.extend_from_slice(&self.prev_hash);
        header.extend_from_slice(&root);
        header.extend_from_slice(&ntime.to_le_bytes());
        header.extend_from_slice(&self.nbits.to_le_bytes());
        header.extend_from_slice(&nonce.to_le_bytes());
        Hash256::new(sha256d(&header))
    }
}

struct Session {
    difficulty: f64,
    /// Difficulty in force when each job was sent to this session.
    job_difficulty: HashMap<String, f64>,
    last_sent_seq: Option<u64>,
    connected: bool,
}

struct Conn {
    id: u64,
    writer: Arc<Mutex<TcpStream>>,
    extranonce1: Option<Vec<u8>>,
    worker: Option<String>,
    alive: bool,
}

/// What makes a share a duplicate: extranonce1, job id, extranonce2, ntime, nonce.
type ShareKey = (Vec<u8>, String, Vec<u8>, u32, u32);

struct State {
    rng: StdRng,
    jobs: Vec<PoolJob>,
    stale_before: u64,
    height: u32,
    prev_hash: [u8; 32],
    ntime: u32,
    difficulty: f64,
    sessions: HashMap<Vec<u8>, Session>,
    next_extranonce1: u64,
    conns: Vec<Conn>,
    next_conn: u64,
    shares: Vec<ShareRecord>,
    seen: HashSet<ShareKey>,
    auths: Vec<(String, String)>,
    attempts: Vec<Instant>,
    refuse: bool,
    ignore_shares: bool,
    received: Vec<String>,
}

struct Inner {
    cfg: PoolConfig,
    state: Mutex<State>,
    stop: AtomicBool,
}

/// The strict Stratum v1 test pool; see the [module documentation](self).
/// Dropping it closes everything.
pub struct TestPool {
    inner: Arc<Inner>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

fn send(writer: &Mutex<TcpStream>, line: &str) {
    let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
    let _ = w.write_all(format!("{line}\n").as_bytes());
}

fn random_hash(rng: &mut StdRng) -> [u8; 32] {
    rng.gen()
}

/// The merkle branch of the coinbase (index 0) in a block with these other
/// transactions, with Bitcoin's rule of pairing an odd last node with itself.
fn coinbase_branch(txids: &[[u8; 32]]) -> Vec<[u8; 32]> {
    // Level entries; index 0 stands for the (unknown) coinbase-side node.
    let mut level: Vec<[u8; 32]> = std::iter::once([0u8; 32])
        .chain(txids.iter().copied())
        .collect();
    let mut branch = Vec::new();
    while level.len() > 1 {
        branch.push(level[1]);
        let mut next = vec![[0u8; 32]];
        for pair in level.chunks(2).skip(1) {
            let right = pair.get(1).unwrap_or(&pair[0]);
            next.push(sha256d(&[pair[0], *right].concat()));
        }
        level = next;
    }
    branch
}

impl State {
    fn current_job(&self) -> &PoolJob {
        self.jobs.last().expect("the pool always has a job")
    }

    fn make_job(&mut self, cfg: &PoolConfig, clean: bool) -> PoolJob {
        if clean || self.jobs.is_empty() {
            self.height += 1;
            let mut prev = random_hash(&mut self.rng);
            prev[24..].fill(0); // Display form starts with 16 zero digits.
            self.prev_hash = prev;
            self.ntime += 600;
        } else {
            self.ntime += 1;
        }
        let seq = self.jobs.len() as u64;
        let txids: Vec<[u8; 32]> = (0..cfg.transactions)
            .map(|_| random_hash(&mut self.rng))
            .collect();
        let tag = b"/ferrominer-testpool/";
        let en_len = cfg.extranonce1_size + cfg.extranonce2_size;
        let script_len = 4 + 1 + en_len + 1 + tag.len();
        assert!(en_len <= 75 && script_len <= 100);
        let mut coinb1 = Vec::new();
        coinb1.extend_from_slice(&1u32.to_le_bytes()); // tx version
        coinb1.push(1); // one input
        coinb1.extend_from_slice(&[0u8; 32]); // null outpoint
        coinb1.extend_from_slice(&u32::MAX.to_le_bytes());
        coinb1.push(script_len as u8);
        coinb1.push(3); // BIP 34 height push
        coinb1.extend_from_slice(&self.height.to_le_bytes()[..3]);
        coinb1.push(en_len as u8); // push of extranonce1 + extranonce2
        let mut coinb2 = vec![tag.len() as u8];
        coinb2.extend_from_slice(tag);
        coinb2.extend_from_slice(&u32::MAX.to_le_bytes()); // sequence
        coinb2.push(1); // one output
        coinb2.extend_from_slice(&312_500_000u64.to_le_bytes());
        coinb2.extend_from_slice(&[22, 0x00, 0x14]); // P2WPKH
        let pkh: [u8; 20] = self.rng.gen();
        coinb2.extend_from_slice(&pkh);
        coinb2.extend_from_slice(&0u32.to_le_bytes()); // lock time
        let job = PoolJob {
            seq,
            id: format!("{:x}", 0x1000 + seq),
            height: self.height,
            prev_hash: self.prev_hash,
            coinb1,
            coinb2,
            branch: coinbase_branch(&txids),
            version: 0x2000_0000,
            nbits: 0x1703_4219,
            ntime: self.ntime,
            clean,
        };
        if clean {
            self.stale_before = seq;
        }
        self.jobs.push(job.clone());
        job
    }

    /// Sends the current job to an authorized connection's session.
    fn send_job(&mut self, conn_at: usize, clean: bool) {
        let job = self.current_job().clone();
        let Some(e1) = self.conns[conn_at].extranonce1.clone() else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&e1) else {
            return;
        };
        s.job_difficulty.insert(job.id.clone(), s.difficulty);
        s.last_sent_seq = Some(job.seq);
        let line =
            json!({"id": null, "method": "mining.notify", "params": job.notify_params(clean)});
        send(&self.conns[conn_at].writer, &line.to_string());
    }

    /// Closes a connection; from now on nothing is sent to it and its
    /// session may be resumed.
    fn kill(&mut self, at: usize) {
        let c = &mut self.conns[at];
        if !c.alive {
            return;
        }
        c.alive = false;
        let _ = c.writer.lock().map(|w| w.shutdown(Shutdown::Both));
        if let Some(s) = c
            .extranonce1
            .as_ref()
            .and_then(|e1| self.sessions.get_mut(e1))
        {
            s.connected = false;
        }
    }

    fn authorized(&self) -> Vec<usize> {
        (0..self.conns.len())
            .filter(|&i| self.conns[i].alive && self.conns[i].worker.is_some())
            .collect()
    }
}

impl TestPool {
    /// Starts a pool with default settings.
    pub fn start() -> TestPool {
        TestPool::with_config(PoolConfig::default())
    }

    /// Starts a pool on 127.0.0.1 with an ephemeral port.
    pub fn with_config(cfg: PoolConfig) -> TestPool {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let seed = cfg.seed.unwrap_or_else(|| rand::thread_rng().gen());
        let mut state = State {
            rng: StdRng::seed_from_u64(seed),
            jobs: Vec::new(),
            stale_before: 0,
            height: 840_000,
            prev_hash: [0; 32],
            ntime: 1_714_000_000,
            difficulty: cfg.difficulty,
            sessions: HashMap::new(),
            next_extranonce1: 0,
            conns: Vec::new(),
            next_conn: 1,
            shares: Vec::new(),
            seen: HashSet::new(),
            auths: Vec::new(),
            attempts: Vec::new(),
            refuse: false,
            ignore_shares: false,
            received: Vec::new(),
        };
        // Extranonce1 values differ between pools, as on the real network.
        state.next_extranonce1 = u64::from(state.rng.gen::<u32>() >> 1) << 8;
        state.make_job(&cfg, true);
        let inner = Arc::new(Inner {
            cfg,
            state: Mutex::new(state),
            stop: AtomicBool::new(false),
        });
        let acc = inner.clone();
        let acceptor = thread::Builder::new()
            .name("testpool-accept".into())
            .spawn(move || accept_loop(acc, listener))
            .unwrap();
        TestPool {
            inner,
            addr,
            acceptor: Some(acceptor),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pool's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The pool's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `stratum+tcp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("stratum+tcp://{}", self.addr)
    }

    /// Issues a new job and sends it to every authorized client; returns its id.
    /// A clean job makes all earlier jobs stale.
    pub fn new_job(&self, clean: bool) -> String {
        let mut st = self.state();
        let job = st.make_job(&self.inner.cfg, clean);
        for i in st.authorized() {
            st.send_job(i, clean);
        }
        job.id
    }

    /// Sets the share difficulty of every session (and of new ones) and
    /// sends `mining.set_difficulty`; it applies to jobs sent afterwards.
    pub fn set_difficulty(&self, difficulty: f64) {
        let mut st = self.state();
        st.difficulty = difficulty;
        for s in st.sessions.values_mut() {
            s.difficulty = difficulty;
        }
        let line = json!({"id": null, "method": "mining.set_difficulty", "params": [difficulty]});
        for i in st.authorized() {
            send(&st.conns[i].writer, &line.to_string());
        }
    }

    /// Closes every client connection.
    pub fn drop_connections(&self) {
        let mut st = self.state();
        for at in 0..st.conns.len() {
            st.kill(at);
        }
    }

    /// While set, `mining.submit` gets no answer and the share is not
    /// recorded (a pool that lost it).
    pub fn ignore_shares(&self, ignore: bool) {
        self.state().ignore_shares = ignore;
    }

    /// While set, new TCP connections are accepted and closed at once.
    pub fn refuse_connections(&self, refuse: bool) {
        self.state().refuse = refuse;
    }

    /// Sends `client.reconnect` with these parameters to every client.
    pub fn send_reconnect(&self, host: Option<&str>, port: Option<u16>, wait: Option<u64>) {
        let line = json!({"id": null, "method": "client.reconnect", "params": [host, port, wait]});
        self.send_raw(&line.to_string());
    }

    /// Writes `line` and a newline to every connected client, as is.
    pub fn send_raw(&self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    /// Writes raw bytes to every connected client.
    pub fn send_bytes(&self, bytes: &[u8]) {
        let st = self.state();
        for c in st.conns.iter().filter(|c| c.alive) {
            let mut w = c.writer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = w.write_all(bytes);
        }
    }

    /// Sends a line that is not JSON.
    pub fn send_malformed_json(&self) {
        self.send_raw(r#"{"id":null,"method":"mining.notify","params":["#);
    }

    /// Sends a line of `len` bytes (a JSON string, so only its length is wrong).
    pub fn send_overlong_line(&self, len: usize) {
        let filler = "a".repeat(len.saturating_sub(2));
        self.send_raw(&format!("\"{filler}\""));
    }

    /// Every share received so far.
    pub fn shares(&self) -> Vec<ShareRecord> {
        self.state().shares.clone()
    }

    /// The accepted shares.
    pub fn accepted(&self) -> Vec<ShareRecord> {
        self.shares()
            .into_iter()
            .filter(ShareRecord::accepted)
            .collect()
    }

    /// The rejected shares.
    pub fn rejected(&self) -> Vec<ShareRecord> {
        self.shares()
            .into_iter()
            .filter(|s| !s.accepted())
            .collect()
    }

    /// Every `(worker, password)` pair given to `mining.authorize`.
    pub fn authorizations(&self) -> Vec<(String, String)> {
        self.state().auths.clone()
    }

    /// When each TCP connection was accepted (refused ones included).
    pub fn connection_attempts(&self) -> Vec<Instant> {
        self.state().attempts.clone()
    }

    /// Number of clients connected now.
    pub fn connected(&self) -> usize {
        self.state().conns.iter().filter(|c| c.alive).count()
    }

    /// Number of clients connected and authorized now.
    pub fn authorized(&self) -> usize {
        self.state().authorized().len()
    }

    /// The job issued last.
    pub fn current_job(&self) -> PoolJob {
        self.state().current_job().clone()
    }

    /// The job with this id, if it was issued.
    pub fn job(&self, id: &str) -> Option<PoolJob> {
        self.state().jobs.iter().find(|j| j.id == id).cloned()
    }

    /// Every line received from clients, in order (this is the pool's own
    /// log; it holds what clients sent, passwords included).
    pub fn received_lines(&self) -> Vec<String> {
        self.state().received.clone()
    }

    /// Polls `cond` every 5 ms until it holds or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, mut cond: impl FnMut(&TestPool) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for TestPool {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        self.drop_connections();
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    for stream in listener.incoming() {
        if inner.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
        st.attempts.push(Instant::now());
        if st.refuse {
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(writer) = stream.try_clone() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let id = st.next_conn;
        st.next_conn += 1;
        st.conns.push(Conn {
            id,
            writer: Arc::new(Mutex::new(writer)),
            extranonce1: None,
            worker: None,
            alive: true,
        });
        drop(st);
        let conn_inner = inner.clone();
        let _ = thread::Builder::new()
            .name(format!("testpool-conn-{id}"))
            .spawn(move || serve(conn_inner, id, stream));
    }
}

fn serve(inner: Arc<Inner>, id: u64, stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if inner.stop.load(Ordering::SeqCst) {
            break;
        }
        let text = line.trim_end().to_owned();
        if text.is_empty() {
            continue;
        }
        let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
        if !st.conns.iter().any(|c| c.id == id && c.alive) {
            break;
        }
        st.received.push(text.clone());
        handle(&inner.cfg, &mut st, id, &text);
    }
    let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(at) = st.conns.iter().position(|c| c.id == id) {
        st.kill(at);
        st.conns.remove(at);
    }
}

fn reply(st: &State, at: usize, id: &Value, result: Value, error: Value) {
    let line = json!({"id": id, "result": result, "error": error});
    send(&st.conns[at].writer, &line.to_string());
}

fn err(code: i64, msg: &str) -> Value {
    json!([code, msg, null])
}

fn handle(cfg: &PoolConfig, st: &mut State, conn_id: u64, text: &str) {
    let Some(at) = st.conns.iter().position(|c| c.id == conn_id) else {
        return;
    };
    let Ok(msg) = serde_json::from_str::<Value>(text) else {
        reply(
            st,
            at,
            &Value::Null,
            Value::Null,
            err(code::OTHER, "Parse error"),
        );
        return;
    };
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    let params = msg.get("params").cloned().unwrap_or(Value::Null);
    let empty = Vec::new();
    let list = params.as_array().unwrap_or(&empty);
    match msg.get("method").and_then(Value::as_str) {
        Some("mining.subscribe") => {
            let offered = list
                .get(1)
                .and_then(Value::as_str)
                .and_then(|s| hex::decode(s).ok());
            let resumable = |e1: &Vec<u8>| st.sessions.get(e1).is_some_and(|s| !s.connected);
            let e1 = match offered {
                Some(e1) if cfg.resume_sessions && resumable(&e1) => e1,
                _ => {
                    let n = st.next_extranonce1;
                    st.next_extranonce1 += 1;
                    let e1 = n.to_be_bytes()[8 - cfg.extranonce1_size.min(8)..].to_vec();
                    let session = Session {
                        difficulty: st.difficulty,
                        job_difficulty: HashMap::new(),
                        last_sent_seq: None,
                        connected: false,
                    };
                    st.sessions.insert(e1.clone(), session);
                    e1
                }
            };
            st.sessions.get_mut(&e1).unwrap().connected = true;
            st.conns[at].extranonce1 = Some(e1.clone());
            let sid = hex::encode(&e1);
            let result = json!([
                [["mining.set_difficulty", sid], ["mining.notify", sid]],
                sid,
                cfg.extranonce2_size
            ]);
            reply(st, at, &id, result, Value::Null);
        }
        Some("mining.authorize") => {
            let user = list
                .first()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let pass = list.get(1).and_then(Value::as_str).unwrap_or("").to_owned();
            st.auths.push((user.clone(), pass.clone()));
            let Some(e1) = st.conns[at].extranonce1.clone() else {
                reply(
                    st,
                    at,
                    &id,
                    Value::Null,
                    err(code::NOT_SUBSCRIBED, "Not subscribed"),
                );
                return;
            };
            if user.is_empty() || cfg.password.as_ref().is_some_and(|p| *p != pass) {
                reply(
                    st,
                    at,
                    &id,
                    Value::Bool(false),
                    err(code::UNAUTHORIZED, "Unauthorized worker"),
                );
                return;
            }
            st.conns[at].worker = Some(user);
            reply(st, at, &id, Value::Bool(true), Value::Null);
            let session = &st.sessions[&e1];
            let difficulty = session.difficulty;
            let clean = match session.last_sent_seq {
                None => true,
                Some(last) => st.jobs.iter().any(|j| j.seq > last && j.clean),
            };
            let line =
                json!({"id": null, "method": "mining.set_difficulty", "params": [difficulty]});
            send(&st.conns[at].writer, &line.to_string());
            st.send_job(at, clean);
        }
        Some("mining.extranonce.subscribe") => reply(st, at, &id, Value::Bool(true), Value::Null),
        Some("mining.submit") if st.ignore_shares => {}
        Some("mining.submit") => {
            let record = check_submit(cfg, st, at, &params);
            let (result, error) = match &record.result {
                Ok(()) => (Value::Bool(true), Value::Null),
                Err((c, m)) => (Value::Null, err(*c, m)),
            };
            reply(st, at, &id, result, error);
            st.shares.push(record);
        }
        _ => reply(st, at, &id, Value::Null, err(code::OTHER, "Unknown method")),
    }
}

fn check_submit(cfg: &PoolConfig, st: &mut State, at: usize, params: &Value) -> ShareRecord {
    let conn = &st.conns[at];
    let mut rec = ShareRecord {
        conn: conn.id,
        at: Instant::now(),
        params: params.clone(),
        job_id: String::new(),
        extranonce1: conn.extranonce1.clone().unwrap_or_default(),
        hash: None,
        share_difficulty: None,
        job_difficulty: None,
        result: Ok(()),
    };
    let reject = |mut rec: ShareRecord, code: i64, msg: &str| {
        rec.result = Err((code, msg.to_owned()));
        rec
    };
    let strs: Option<Vec<&str>> = params
        .as_array()
        .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .unwrap_or(None);
    let Some(p) = strs else {
        return reject(
            rec,
            code::OTHER,
            "Malformed submit: params must be 5 strings",
        );
    };
    if p.len() == 6 {
        return reject(rec, code::OTHER, "Version rolling not negotiated");
    }
    if p.len() != 5 {
        return reject(
            rec,
            code::OTHER,
            "Malformed submit: params must be 5 strings",
        );
    }
    rec.job_id = p[1].to_owned();
    let Some(e1) = conn.extranonce1.clone() else {
        return reject(rec, code::NOT_SUBSCRIBED, "Not subscribed");
    };
    if conn.worker.as_deref() != Some(p[0]) {
        return reject(rec, code::UNAUTHORIZED, "Unauthorized worker");
    }
    let Some(job) = st.jobs.iter().find(|j| j.id == p[1]).cloned() else {
        return reject(rec, code::JOB_NOT_FOUND, "Job not found");
    };
    if job.seq < st.stale_before {
        return reject(rec, code::JOB_NOT_FOUND, "Stale job");
    }
    let Some(&job_diff) = st
        .sessions
        .get(&e1)
        .and_then(|s| s.job_difficulty.get(&job.id))
    else {
        return reject(
            rec,
            code::JOB_NOT_FOUND,
            "Job not found (not sent to this session)",
        );
    };
    rec.job_difficulty = Some(job_diff);
    let en2 = match hex::decode(p[2]) {
        Ok(b) if b.len() == cfg.extranonce2_size => b,
        _ => return reject(rec, code::OTHER, "Invalid extranonce2 size"),
    };
    let word = |s: &str| {
        (s.len() == 8)
            .then(|| u32::from_str_radix(s, 16).ok())
            .flatten()
    };
    let Some(ntime) = word(p[3]) else {
        return reject(rec, code::OTHER, "Invalid ntime");
    };
    if ntime < job.ntime || ntime - job.ntime > cfg.ntime_roll {
        return reject(rec, code::OTHER, "ntime out of range");
    }
    let Some(nonce) = word(p[4]) else {
        return reject(rec, code::OTHER, "Invalid nonce");
    };
    let key = (e1.clone(), job.id.clone(), en2.clone(), ntime, nonce);
    if st.seen.contains(&key) {
        return reject(rec, code::DUPLICATE, "Duplicate share");
    }
    let hash = job.hash(&e1, &en2, ntime, nonce);
    rec.hash = Some(hash);
    rec.share_difficulty = Some(Target::from_be_bytes(hash.to_be_bytes()).difficulty());
    let target = Target::from_difficulty(job_diff).expect("pool difficulties are valid");
    if !hash.meets_target(&target) {
        return reject(rec, code::LOW_DIFFICULTY, "Low difficulty share");
    }
    st.seen.insert(key);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_matches_a_full_merkle_tree() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in 0..9 {
            let coinbase: [u8; 32] = rng.gen();
            let txids: Vec<[u8; 32]> = (0..n).map(|_| rng.gen()).collect();
            // Full tree.
            let mut level: Vec<[u8; 32]> = std::iter::once(coinbase).chain(txids.clone()).collect();
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|p| sha256d(&[p[0], *p.get(1).unwrap_or(&p[0])].concat()))
                    .collect();
            }
            let mut root = coinbase;
            for b in coinbase_branch(&txids) {
                root = sha256d(&[root, b].concat());
            }
            assert_eq!(root, level[0], "{n} transactions");
        }
    }
}
