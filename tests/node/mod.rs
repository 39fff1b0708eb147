//! A strict fake bitcoind JSON-RPC server on 127.0.0.1, for the solo-mining
//! (`getblocktemplate`) tests.
//!
//! It speaks HTTP/1.1 as bitcoind does: `POST` to `/` (or `/wallet/<name>`),
//! bodies framed by `Content-Length` (at most 8 MiB), keep-alive unless the
//! client asks for `Connection: close`, and HTTP Basic auth with the
//! configured user and password (anything else gets 401 with an empty body).
//! Requests are JSON-RPC 1.0 objects (or batches of them); replies are
//! `{"result":..,"error":..,"id":..}` with HTTP 200, or 500 for errors
//! (400 for a request that is not a JSON-RPC object, 404 for an unknown
//! method). Malformed HTTP is answered with an error status and a JSON-RPC
//! error, then the connection is closed; nothing a client sends makes the
//! node panic.
//!
//! Methods: `getblocktemplate` (real-shaped templates: version 2
//! transactions spending random outpoints to P2WPKH outputs, every other one
//! with a witness, `default_witness_commitment`, BIP 34 height, target and
//! bits), `validateaddress` (only the configured address is valid),
//! `getbestblockhash` and `submitblock`.
//!
//! Every submitted block is decoded and validated here, independently of the
//! miner's library, in the order Bitcoin Core checks and with its reject
//! reasons (the `submitblock` result string):
//!
//! - hex or header that does not decode: JSON-RPC error -22
//!   `Block decode failed`; a header that meets its target followed by
//!   transactions that do not decode (count and data disagree, trailing
//!   bytes): `bad-blk-length`,
//! - `duplicate` (already accepted), `high-hash` (hash above the target of
//!   the header's bits), `bad-txnmrklroot`, `bad-txns-duplicate` (a merkle
//!   tree with identical siblings), `bad-blk-length` (no transactions or too
//!   big), `bad-cb-missing`, `bad-cb-multiple`, per-transaction checks
//!   (`bad-txns-vin-empty`, `bad-txns-vout-empty`, `bad-txns-vout-negative`,
//!   `bad-txns-vout-toolarge`, `bad-txns-txouttotal-toolarge`,
//!   `bad-txns-inputs-duplicate`, `bad-cb-length`, `bad-txns-prevout-null`),
//! - `prev-blk-not-found` (previous hash is not the current tip, which is
//!   also how a stale block is refused), `bad-diffbits`, `time-too-old`
//!   (before the template's `mintime`), `time-too-new` (more than 2 hours
//!   ahead), `bad-version(0x........)` (neither the template's version nor
//!   the same top three bits),
//! - `bad-cb-height` (scriptSig does not start with the BIP 34 height push),
//!   with segwit `bad-witness-nonce-size` and `bad-witness-merkle-match`
//!   (which here also covers a missing commitment), without segwit
//!   `unexpected-witness`, then `bad-blk-weight`,
//! - test-only rules: `bad-txns-missing` (a template transaction is not in
//!   the block) and `bad-txns` (the other transactions are not exactly the
//!   template's, byte for byte and in order),
//! - `bad-cb-amount` (coinbase pays more than `coinbasevalue`) and, test
//!   only, `bad-cb-payee` (no coinbase output pays the configured address).
//!
//! An accepted block becomes the tip: the height goes up and the next
//! template has fresh transactions. Calls, templates, accepted blocks and
//! reject reasons are recorded for assertions.

// Each test binary that includes this module uses only part of it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrominer::{sha256d, BlockHeader, Hash256, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

/// Version of every template: BIP 9 top bits, no deployment signalled.
const TEMPLATE_VERSION: u32 = 0x2000_0000;
/// The top three bits of a block version, which must match the template's.
const VERSION_TOP_BITS: u32 = 0xe000_0000;
/// Fee of each template transaction, in satoshis.
const TX_FEE: u64 = 1000;
/// Signature operations reported for each template transaction.
const TX_SIGOPS: u64 = 4;
/// The block subsidy at a regtest height below 150 (50 BTC).
const SUBSIDY: u64 = 50_0000_0000;
/// 21 million BTC in satoshis.
const MAX_MONEY: u64 = 21_000_000 * 1_0000_0000;
const MAX_BLOCK_WEIGHT: usize = 4_000_000;
const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// How far past the node's clock a block's time may be, in seconds.
const MAX_FUTURE_BLOCK_TIME: u64 = 2 * 60 * 60;
/// Number of blocks whose median time a new block must exceed.
const MEDIAN_TIME_SPAN: usize = 11;
/// Largest size a CompactSize may encode in Core's deserializer.
const MAX_COMPACT_SIZE: u64 = 0x0200_0000;
/// Start of a witness commitment output script: `OP_RETURN`, a push of 36
/// bytes, and the BIP 141 tag `aa21a9ed`.
const WITNESS_COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
/// Request bodies larger than this are refused with 413.
const MAX_BODY: usize = 8 * 1024 * 1024;
/// The request line and headers together may not be longer than this.
const MAX_HEAD: usize = 64 * 1024;
/// Most header fields accepted in one request.
const MAX_HEADERS: usize = 100;

/// JSON-RPC error codes the node answers with, as bitcoind's `RPCErrorCode`.
pub mod code {
    /// Generic error, e.g. a wrong number of parameters.
    pub const MISC_ERROR: i64 = -1;
    /// A parameter has the wrong JSON type.
    pub const TYPE_ERROR: i64 = -3;
    /// A parameter has an invalid value.
    pub const INVALID_PARAMETER: i64 = -8;
    /// The submitted block could not be decoded.
    pub const DESERIALIZATION_ERROR: i64 = -22;
    /// Not a JSON-RPC request object (HTTP 400).
    pub const INVALID_REQUEST: i64 = -32600;
    /// Unknown method (HTTP 404).
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The body is not JSON (HTTP 500).
    pub const PARSE_ERROR: i64 = -32700;
}

/// Settings of a [`FakeNode`].
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// RPC user (default `alice`).
    pub user: String,
    /// RPC password (default `s3cret`).
    pub pass: String,
    /// Height of the next block (default 101, as on a fresh regtest chain).
    pub height: u64,
    /// Compact target of every block (default 0x207fffff, regtest).
    pub bits: u32,
    /// Hash of the initial tip, internal byte order (default: random, with
    /// a display form below the regtest target).
    pub prev_hash: [u8; 32],
    /// `coinbasevalue` of every template (default 5_000_003_000: the 50 BTC
    /// subsidy and the fees of the 3 default transactions).
    pub coinbase_value: u64,
    /// Transactions besides the coinbase in each template (default 3).
    pub transactions: usize,
    /// Whether segwit is active (default true): templates then have the
    /// `segwit` rule and a `default_witness_commitment`, `getblocktemplate`
    /// requires the `segwit` rule, and every other template transaction
    /// has a witness. Without it all transactions are legacy.
    pub segwit: bool,
    /// The only address `validateaddress` accepts (default a regtest bech32
    /// P2WPKH address).
    pub address: String,
    /// Its scriptPubKey; some coinbase output of a block must pay it.
    pub address_script: Vec<u8>,
    /// RNG seed for the transactions (default: random).
    pub seed: Option<u64>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        let mut prev_hash: [u8; 32] = rand::thread_rng().gen();
        prev_hash[31] &= 0x7f; // Below the regtest target, like a real tip.
        NodeConfig {
            user: "alice".to_owned(),
            pass: "s3cret".to_owned(),
            height: 101,
            bits: 0x207f_ffff,
            prev_hash,
            coinbase_value: SUBSIDY + 3 * TX_FEE,
            transactions: 3,
            segwit: true,
            address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080".to_owned(),
            address_script: [&[0x00, 0x14][..], &DEFAULT_PROGRAM].concat(),
            seed: None,
        }
    }
}

/// The witness program of the default address.
const DEFAULT_PROGRAM: [u8; 20] = [
    0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23,
    0xf1, 0x43, 0x3b, 0xd6,
];

/// A block the node accepted.
#[derive(Debug, Clone)]
pub struct AcceptedBlock {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: Hash256,
    /// Its 80-byte header, wire order.
    pub header: [u8; 80],
    /// Number of transactions, coinbase included.
    pub tx_count: usize,
    /// The coinbase's scriptSig.
    pub coinbase_script_sig: Vec<u8>,
}

/// A transaction of the current template.
#[derive(Debug, Clone)]
struct TemplateTx {
    /// Full serialization, witness included.
    data: Vec<u8>,
    /// Internal byte order.
    txid: [u8; 32],
    /// Internal byte order.
    wtxid: [u8; 32],
    weight: usize,
}

struct State {
    rng: StdRng,
    /// Hash of the chain tip, internal byte order.
    tip: [u8; 32],
    /// Height of the next block.
    height: u64,
    /// Times of the last blocks, oldest first.
    times: Vec<u32>,
    /// Transactions of the template on the current tip.
    txs: Vec<TemplateTx>,
    /// Bumped whenever the tip changes, for `longpollid`.
    tip_changes: u64,
    accepted: Vec<AcceptedBlock>,
    accepted_hashes: HashSet<[u8; 32]>,
    rejected: Vec<String>,
    calls: Vec<String>,
    templates: usize,
}

impl State {
    fn new(cfg: &NodeConfig) -> State {
        let seed = cfg.seed.unwrap_or_else(|| rand::thread_rng().gen());
        let now = unix_time();
        // Eleven blocks ten minutes apart, the last one ten minutes ago.
        let times = (1..=MEDIAN_TIME_SPAN as u64)
            .rev()
            .map(|i| to_u32(now.saturating_sub(600 * i)))
            .collect();
        let mut st = State {
            rng: StdRng::seed_from_u64(seed),
            tip: cfg.prev_hash,
            height: cfg.height,
            times,
            txs: Vec::new(),
            tip_changes: 0,
            accepted: Vec::new(),
            accepted_hashes: HashSet::new(),
            rejected: Vec::new(),
            calls: Vec::new(),
            templates: 0,
        };
        st.txs = make_transactions(&mut st.rng, cfg.transactions, cfg.segwit);
        st
    }

    /// Median time of the last eleven blocks, as Core's `GetMedianTimePast`.
    fn median_time_past(&self) -> u64 {
        let mut last: Vec<u32> = self
            .times
            .iter()
            .rev()
            .take(MEDIAN_TIME_SPAN)
            .copied()
            .collect();
        last.sort_unstable();
        last.get(last.len() / 2).copied().map_or(0, u64::from)
    }

    /// The earliest time a new block may have (`mintime`).
    fn min_time(&self) -> u64 {
        self.median_time_past() + 1
    }

    /// Makes `hash` the new tip, with fresh template transactions.
    fn advance(&mut self, cfg: &NodeConfig, hash: [u8; 32], time: u32) {
        self.tip = hash;
        self.height += 1;
        self.times.push(time);
        if self.times.len() > MEDIAN_TIME_SPAN {
            self.times.remove(0);
        }
        self.txs = make_transactions(&mut self.rng, cfg.transactions, cfg.segwit);
        self.tip_changes += 1;
    }

    /// Records and connects a block that passed [`check_block`].
    fn accept(&mut self, cfg: &NodeConfig, header: &BlockHeader, txs: &[Tx]) {
        let hash = header.block_hash();
        let script_sig = txs
            .first()
            .and_then(|cb| cb.inputs.first())
            .map(|i| i.script_sig.clone())
            .unwrap_or_default();
        self.accepted.push(AcceptedBlock {
            height: self.height,
            hash,
            header: *header.as_bytes(),
            tx_count: txs.len(),
            coinbase_script_sig: script_sig,
        });
        self.accepted_hashes.insert(*hash.as_bytes());
        self.advance(cfg, *hash.as_bytes(), header.time());
    }
}

struct Inner {
    cfg: NodeConfig,
    /// The token `Authorization: Basic <token>` must carry.
    auth_token: String,
    state: Mutex<State>,
    stop: AtomicBool,
    /// Open client connections (id and a handle), closed on drop.
    conns: Mutex<Vec<(u64, TcpStream)>>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conns(&self) -> MutexGuard<'_, Vec<(u64, TcpStream)>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new_tip(&self) {
        let mut st = self.state();
        let mut hash: [u8; 32] = st.rng.gen();
        hash[31] &= 0x7f;
        let time = to_u32(unix_time().max(st.min_time()));
        st.advance(&self.cfg, hash, time);
    }
}

/// A cloneable, `Send` handle on a [`FakeNode`], for acting on it from
/// another thread while a test holds the node. It does not keep the server
/// running: once the node is dropped, the handle only changes its state.
#[derive(Clone)]
pub struct NodeHandle {
    inner: Arc<Inner>,
}

impl NodeHandle {
    /// Same as [`FakeNode::new_tip`].
    pub fn new_tip(&self) {
        self.inner.new_tip();
    }

    /// Same as [`FakeNode::template_count`].
    pub fn template_count(&self) -> usize {
        self.inner.state().templates
    }

    /// Same as [`FakeNode::height`].
    pub fn height(&self) -> u64 {
        self.inner.state().height
    }
}

/// The strict fake bitcoind; see the [module documentation](self).
/// Dropping it stops the server and closes every connection.
pub struct FakeNode {
    inner: Arc<Inner>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeNode {
    /// Starts a node on 127.0.0.1 with an ephemeral port.
    pub fn start(cfg: NodeConfig) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("local address of the listener");
        let auth_token = base64(format!("{}:{}", cfg.user, cfg.pass).as_bytes());
        let state = State::new(&cfg);
        let inner = Arc::new(Inner {
            cfg,
            auth_token,
            state: Mutex::new(state),
            stop: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
        });
        let acc = inner.clone();
        let acceptor = thread::Builder::new()
            .name("fakenode-accept".into())
            .spawn(move || accept_loop(acc, listener))
            .expect("spawn the accept thread");
        FakeNode {
            inner,
            addr,
            acceptor: Some(acceptor),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state()
    }

    /// The node's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The blocks accepted so far, in order.
    pub fn accepted(&self) -> Vec<AcceptedBlock> {
        self.state().accepted.clone()
    }

    /// The reasons of the rejected `submitblock` calls, in order
    /// (`Block decode failed` for blocks that did not decode).
    pub fn rejected(&self) -> Vec<String> {
        self.state().rejected.clone()
    }

    /// The method of every authorized JSON-RPC call, in order (unknown
    /// methods included).
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// How many `getblocktemplate` calls were answered with a template.
    pub fn template_count(&self) -> usize {
        self.state().templates
    }

    /// Height of the next block.
    pub fn height(&self) -> u64 {
        self.state().height
    }

    /// Hash of the current tip.
    pub fn tip(&self) -> Hash256 {
        Hash256::new(self.state().tip)
    }

    /// Moves the tip as if another miner had found a block: a new random
    /// tip hash, the height goes up, fresh transactions. Blocks built on the
    /// old tip are refused with `prev-blk-not-found` from now on.
    pub fn new_tip(&self) {
        self.inner.new_tip();
    }

    /// A handle that can move the tip from another thread.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor, blocked in accept().
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for (_, c) in self.inner.conns().iter() {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    let mut next_id = 0u64;
    for stream in listener.incoming() {
        if inner.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        next_id += 1;
        let id = next_id;
        inner.conns().push((id, handle));
        let conn_inner = inner.clone();
        let spawned = thread::Builder::new()
            .name(format!("fakenode-conn-{id}"))
            .spawn(move || serve(conn_inner, id, stream));
        if spawned.is_err() {
            inner.conns().retain(|(c, _)| *c != id);
        }
    }
}

/// Serves the requests of one connection until it closes.
fn serve(inner: Arc<Inner>, id: u64, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    if let Ok(read_half) = stream.try_clone() {
        let mut reader = BufReader::new(read_half);
        let mut writer = &stream;
        loop {
            let request = read_request(&mut reader, &mut writer);
            if inner.stop.load(Ordering::SeqCst) {
                break;
            }
            let (response, keep_alive) = match request {
                Ok(None) => break,
                Ok(Some(req)) => respond(&inner, &req),
                Err(e) => (e.response(), false),
            };
            if writer.write_all(&response).is_err() || !keep_alive {
                break;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    inner.conns().retain(|(c, _)| *c != id);
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/// One HTTP request.
struct Request {
    method: String,
    path: String,
    /// Whether the request line said HTTP/1.0.
    http10: bool,
    /// Header fields in order, values trimmed.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// The first value of a header field (names are case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after the response.
    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
        if self.http10 {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// A request that could not be read: answered with `status` and a JSON-RPC
/// error, then the connection is closed.
#[derive(Debug)]
struct HttpError {
    status: u16,
    message: String,
}

impl HttpError {
    fn new(status: u16, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            message: message.into(),
        }
    }

    fn response(&self) -> Vec<u8> {
        let body = error_reply(&Value::Null, code::INVALID_REQUEST, &self.message);
        http_response(self.status, Some(&body), false)
    }
}

/// Reads one line of the request head, charging its length to `budget`;
/// `Ok(None)` at the end of the input. The line ending is removed.
fn read_head_line(
    reader: &mut impl BufRead,
    budget: &mut usize,
) -> Result<Option<String>, HttpError> {
    let mut line = Vec::new();
    let limit = *budget as u64 + 1;
    let n = reader
        .by_ref()
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|e| HttpError::new(400, format!("cannot read the request: {e}")))?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(HttpError::new(431, "request head too large"));
    }
    if line.last() != Some(&b'\n') {
        return Err(HttpError::new(400, "truncated request head"));
    }
    *budget -= n;
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| HttpError::new(400, "request head is not UTF-8"))
}

/// Reads one request; `Ok(None)` when the client closed the connection
/// between requests. Answers `Expect: 100-continue` on `writer`.
fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> Result<Option<Request>, HttpError> {
    let mut budget = MAX_HEAD;
    // Empty lines before the request line are ignored (RFC 9112, 2.2).
    let line = loop {
        match read_head_line(reader, &mut budget)? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, path, version] = parts[..] else {
        return Err(HttpError::new(400, "malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(HttpError::new(400, "malformed request method"));
    }
    if !path.starts_with('/') {
        return Err(HttpError::new(400, "malformed request target"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        v if v.starts_with("HTTP/") => {
            return Err(HttpError::new(
                505,
                "only HTTP/1.0 and HTTP/1.1 are supported",
            ))
        }
        _ => return Err(HttpError::new(400, "malformed HTTP version")),
    };
    let mut headers = Vec::new();
    loop {
        let Some(l) = read_head_line(reader, &mut budget)? else {
            return Err(HttpError::new(400, "truncated request head"));
        };
        if l.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(HttpError::new(431, "too many header fields"));
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(HttpError::new(400, "malformed header field"));
        };
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(HttpError::new(400, "malformed header field name"));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut req = Request {
        method: method.to_owned(),
        path: path.to_owned(),
        http10,
        headers,
        body: Vec::new(),
    };
    if req.header("transfer-encoding").is_some() {
        return Err(HttpError::new(
            501,
            "Transfer-Encoding is not supported: send Content-Length",
        ));
    }
    let lengths: Vec<&str> = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let len = match lengths[..] {
        [] if req.method == "POST" => return Err(HttpError::new(411, "Content-Length required")),
        [] => 0,
        [first, ref rest @ ..] if rest.iter().all(|v| *v == first) => {
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HttpError::new(400, "invalid Content-Length"));
            }
            first.parse::<usize>().unwrap_or(usize::MAX)
        }
        _ => return Err(HttpError::new(400, "conflicting Content-Length fields")),
    };
    if len > MAX_BODY {
        return Err(HttpError::new(
            413,
            format!("request body of {len} bytes is larger than {MAX_BODY}"),
        ));
    }
    let expect = req.header("expect").unwrap_or("");
    if len > 0 && !http10 && expect.eq_ignore_ascii_case("100-continue") {
        let _ = writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = vec![0; len];
    reader
        .read_exact(&mut body)
        .map_err(|_| HttpError::new(400, "truncated request body"))?;
    req.body = body;
    Ok(Some(req))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A complete HTTP response; a JSON body is followed by a newline, as
/// bitcoind writes it.
fn http_response(status: u16, body: Option<&Value>, keep_alive: bool) -> Vec<u8> {
    let body = body.map(|v| format!("{v}\n")).unwrap_or_default();
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    if status == 401 {
        head.push_str("WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n");
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Whether the request carries `Authorization: Basic <token>`.
fn authorized(req: &Request, token: &str) -> bool {
    let Some(value) = req.header("authorization") else {
        return false;
    };
    let mut parts = value.split_ascii_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(t), None) => scheme.eq_ignore_ascii_case("basic") && t == token,
        _ => false,
    }
}

/// Answers one complete request: the response bytes and whether the
/// connection stays open.
fn respond(inner: &Inner, req: &Request) -> (Vec<u8>, bool) {
    let keep_alive = req.keep_alive();
    let fail = |status: u16, message: &str| {
        let body = error_reply(&Value::Null, code::INVALID_REQUEST, message);
        (http_response(status, Some(&body), keep_alive), keep_alive)
    };
    if req.path != "/" && !req.path.starts_with("/wallet/") {
        return fail(404, "Not found");
    }
    if req.method != "POST" {
        return fail(405, "JSONRPC server handles only POST requests");
    }
    if !authorized(req, &inner.auth_token) {
        return (http_response(401, None, keep_alive), keep_alive);
    }
    let (status, body) = handle_rpc(inner, &req.body);
    (http_response(status, Some(&body), keep_alive), keep_alive)
}

// ---------------------------------------------------------------------------
// JSON-RPC
// ---------------------------------------------------------------------------

/// A method's result, or its error code and message.
type RpcResult = Result<Value, (i64, String)>;

fn error_reply(id: &Value, code: i64, message: &str) -> Value {
    json!({"result": null, "error": {"code": code, "message": message}, "id": id})
}

/// The HTTP status bitcoind gives a JSON-RPC error.
fn error_status(code: i64) -> u16 {
    match code {
        code::INVALID_REQUEST => 400,
        code::METHOD_NOT_FOUND => 404,
        _ => 500,
    }
}

/// Answers a request body: a single call or a batch (HTTP 200 with one
/// reply per call).
fn handle_rpc(inner: &Inner, body: &[u8]) -> (u16, Value) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (
            500,
            error_reply(&Value::Null, code::PARSE_ERROR, "Parse error"),
        );
    };
    match request {
        Value::Array(batch) => {
            let replies = batch.iter().map(|r| handle_call(inner, r).1).collect();
            (200, Value::Array(replies))
        }
        single => handle_call(inner, &single),
    }
}

fn handle_call(inner: &Inner, request: &Value) -> (u16, Value) {
    let fail = |id: &Value, c: i64, message: &str| (error_status(c), error_reply(id, c, message));
    let Some(obj) = request.as_object() else {
        return fail(
            &Value::Null,
            code::INVALID_REQUEST,
            "Invalid Request object",
        );
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let method = match obj.get("method") {
        Some(Value::String(m)) => m.as_str(),
        None => return fail(&id, code::INVALID_REQUEST, "Missing method"),
        Some(_) => return fail(&id, code::INVALID_REQUEST, "Method must be a string"),
    };
    let params = match obj.get("params") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(p @ (Value::Array(_) | Value::Object(_))) => p.clone(),
        Some(_) => {
            return fail(
                &id,
                code::INVALID_REQUEST,
                "Params must be an array or object",
            )
        }
    };
    let cfg = &inner.cfg;
    let mut st = inner.state();
    st.calls.push(method.to_owned());
    let result = match method {
        "getblocktemplate" => get_block_template(cfg, &mut st, &params),
        "submitblock" => submit_block(cfg, &mut st, &params),
        "validateaddress" => validate_address(cfg, &params),
        "getbestblockhash" => check_arity(&params, 0, "getbestblockhash")
            .map(|()| Value::String(display_hex(&st.tip))),
        _ => Err((code::METHOD_NOT_FOUND, "Method not found".to_owned())),
    };
    drop(st);
    match result {
        Ok(v) => (200, json!({"result": v, "error": null, "id": id})),
        Err((c, m)) => fail(&id, c, &m),
    }
}

/// Positional parameter `index`, or `name` when the parameters are named;
/// JSON null counts as absent.
fn param<'a>(params: &'a Value, index: usize, name: &str) -> Option<&'a Value> {
    let v = match params {
        Value::Array(a) => a.get(index),
        Value::Object(o) => o.get(name),
        _ => None,
    };
    v.filter(|v| !v.is_null())
}

/// Errors with the usage text, as bitcoind does, when more than `max`
/// positional parameters are given.
fn check_arity(params: &Value, max: usize, usage: &str) -> Result<(), (i64, String)> {
    match params {
        Value::Array(a) if a.len() > max => Err((code::MISC_ERROR, usage.to_owned())),
        _ => Ok(()),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(expected: &str, got: &Value) -> (i64, String) {
    let message = format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type(got)
    );
    (code::TYPE_ERROR, message)
}

fn get_block_template(cfg: &NodeConfig, st: &mut State, params: &Value) -> RpcResult {
    const USAGE: &str = "getblocktemplate ( \"template_request\" )";
    check_arity(params, 1, USAGE)?;
    let empty = Map::new();
    let request = match param(params, 0, "template_request") {
        None => &empty,
        Some(Value::Object(o)) => o,
        Some(v) => return Err(type_error("object", v)),
    };
    match request.get("mode") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m == "template" => {}
        Some(Value::String(_)) => return Err((code::INVALID_PARAMETER, "Invalid mode".to_owned())),
        Some(v) => return Err(type_error("string", v)),
    }
    let mut rules = Vec::new();
    match request.get("rules") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for r in list {
                let Some(r) = r.as_str() else {
                    return Err(type_error("string", r));
                };
                rules.push(r);
            }
        }
        Some(v) => return Err(type_error("array", v)),
    }
    if cfg.segwit && !rules.contains(&"segwit") {
        return Err((
            code::INVALID_PARAMETER,
            "getblocktemplate must be called with the segwit rule set \
             (call with {\"rules\": [\"segwit\"]})"
                .to_owned(),
        ));
    }
    st.templates += 1;
    let target = Target::from_compact(cfg.bits).map_or_else(|_| "0".repeat(64), |t| t.to_hex());
    let min_time = st.min_time();
    let transactions: Vec<Value> = st
        .txs
        .iter()
        .map(|t| {
            json!({
                "data": hex::encode(&t.data),
                "txid": display_hex(&t.txid),
                "hash": display_hex(&t.wtxid),
                "depends": [],
                "fee": TX_FEE,
                "sigops": TX_SIGOPS,
                "weight": t.weight,
            })
        })
        .collect();
    let active_rules: &[&str] = if cfg.segwit {
        &["csv", "segwit"]
    } else {
        &["csv"]
    };
    let mut template = json!({
        "capabilities": ["proposal"],
        "version": TEMPLATE_VERSION,
        "rules": active_rules,
        "vbavailable": {},
        "vbrequired": 0,
        "previousblockhash": display_hex(&st.tip),
        "transactions": transactions,
        "coinbaseaux": {},
        "coinbasevalue": cfg.coinbase_value,
        "longpollid": format!("{}{}", display_hex(&st.tip), st.tip_changes),
        "target": target,
        "mintime": min_time,
        "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff",
        "sigoplimit": MAX_BLOCK_SIGOPS_COST,
        "sizelimit": MAX_BLOCK_WEIGHT,
        "weightlimit": MAX_BLOCK_WEIGHT,
        "curtime": unix_time().max(min_time),
        "bits": format!("{:08x}", cfg.bits),
        "height": st.height,
    });
    if cfg.segwit {
        let wtxids: Vec<[u8; 32]> = st.txs.iter().map(|t| t.wtxid).collect();
        let script = commitment_script(&witness_commitment(&wtxids, &[0; 32]));
        template["default_witness_commitment"] = json!(hex::encode(script));
    }
    Ok(template)
}

fn validate_address(cfg: &NodeConfig, params: &Value) -> RpcResult {
    const USAGE: &str = "validateaddress \"address\"";
    check_arity(params, 1, USAGE)?;
    let Some(v) = param(params, 0, "address") else {
        return Err((code::MISC_ERROR, USAGE.to_owned()));
    };
    let Some(address) = v.as_str() else {
        return Err(type_error("string", v));
    };
    if address != cfg.address {
        return Ok(json!({
            "isvalid": false,
            "error_locations": [],
            "error": "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
        }));
    }
    let script = &cfg.address_script;
    let program = witness_program(script);
    let p2sh = script.len() == 23 && script[..2] == [0xa9, 0x14] && script[22] == 0x87;
    let p2wsh = matches!(program, Some((0, p)) if p.len() == 32);
    let mut reply = json!({
        "isvalid": true,
        "address": address,
        "scriptPubKey": hex::encode(script),
        "isscript": p2sh || p2wsh,
        "iswitness": program.is_some(),
    });
    if let Some((version, program)) = program {
        reply["witness_version"] = json!(version);
        reply["witness_program"] = json!(hex::encode(program));
    }
    Ok(reply)
}

/// The version and program of a witness output script.
fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    let (&op, rest) = script.split_first()?;
    let version = match op {
        0x00 => 0,
        0x51..=0x60 => op - 0x50,
        _ => return None,
    };
    let (&len, program) = rest.split_first()?;
    (program.len() == usize::from(len) && (2..=40).contains(&program.len()))
        .then_some((version, program))
}

fn submit_block(cfg: &NodeConfig, st: &mut State, params: &Value) -> RpcResult {
    const USAGE: &str = "submitblock \"hexdata\" ( \"dummy\" )";
    check_arity(params, 2, USAGE)?;
    let Some(v) = param(params, 0, "hexdata") else {
        return Err((code::MISC_ERROR, USAGE.to_owned()));
    };
    let Some(hexdata) = v.as_str() else {
        return Err(type_error("string", v));
    };
    match check_block(cfg, st, hexdata, unix_time()) {
        Ok((header, txs)) => {
            st.accept(cfg, &header, &txs);
            Ok(Value::Null)
        }
        Err(Reject::Decode) => {
            st.rejected.push("Block decode failed".to_owned());
            Err((
                code::DESERIALIZATION_ERROR,
                "Block decode failed".to_owned(),
            ))
        }
        Err(Reject::Invalid(reason)) => {
            st.rejected.push(reason.clone());
            Ok(Value::String(reason))
        }
    }
}

// ---------------------------------------------------------------------------
// Block validation
// ---------------------------------------------------------------------------

/// Why `submitblock` refused a block.
#[derive(Debug, PartialEq)]
enum Reject {
    /// Not decodable: JSON-RPC error -22.
    Decode,
    /// Decoded but invalid: the reason is the call's result.
    Invalid(String),
}

fn bad(reason: impl Into<String>) -> Reject {
    Reject::Invalid(reason.into())
}

/// Validates a submitted block against the current tip and template, in
/// Bitcoin Core's order (see the module documentation); `now` is the
/// node's clock in Unix seconds.
fn check_block(
    cfg: &NodeConfig,
    st: &State,
    hexdata: &str,
    now: u64,
) -> Result<(BlockHeader, Vec<Tx>), Reject> {
    let data = hex::decode(hexdata).map_err(|_| Reject::Decode)?;
    if data.len() < 80 {
        return Err(Reject::Decode);
    }
    let header = BlockHeader::from_bytes(&data[..80]).map_err(|_| Reject::Decode)?;
    let hash = header.block_hash();
    let pow_ok = Target::from_compact(header.bits()).is_ok_and(|t| hash.meets_target(&t));
    let Some(txs) = parse_transactions(&data[80..]) else {
        // A mined header with a broken body is a miner's bug worth naming;
        // anything else is junk.
        return Err(if pow_ok {
            bad("bad-blk-length")
        } else {
            Reject::Decode
        });
    };

    // CheckBlock: context-free checks.
    if st.accepted_hashes.contains(hash.as_bytes()) {
        return Err(bad("duplicate"));
    }
    if !pow_ok {
        return Err(bad("high-hash"));
    }
    let txids: Vec<[u8; 32]> = txs.iter().map(Tx::txid).collect();
    let (root, mutated) = merkle_root(&txids);
    if root != *header.merkle_root().as_bytes() {
        return Err(bad("bad-txnmrklroot"));
    }
    if mutated {
        return Err(bad("bad-txns-duplicate"));
    }
    let stripped_size =
        80 + compact_size_len(txs.len()) + txs.iter().map(|t| t.stripped.len()).sum::<usize>();
    if txs.is_empty() || stripped_size * 4 > MAX_BLOCK_WEIGHT {
        return Err(bad("bad-blk-length"));
    }
    let coinbase = &txs[0];
    if !coinbase.is_coinbase() {
        return Err(bad("bad-cb-missing"));
    }
    if txs[1..].iter().any(Tx::is_coinbase) {
        return Err(bad("bad-cb-multiple"));
    }
    for tx in &txs {
        check_transaction(tx).map_err(bad)?;
    }

    // AcceptBlockHeader and ContextualCheckBlockHeader.
    if *header.prev_hash().as_bytes() != st.tip {
        return Err(bad("prev-blk-not-found"));
    }
    if header.bits() != cfg.bits {
        return Err(bad("bad-diffbits"));
    }
    let time = u64::from(header.time());
    if time < st.min_time() {
        return Err(bad("time-too-old"));
    }
    if time > now + MAX_FUTURE_BLOCK_TIME {
        return Err(bad("time-too-new"));
    }
    let version = header.version();
    if version != TEMPLATE_VERSION
        && version & VERSION_TOP_BITS != TEMPLATE_VERSION & VERSION_TOP_BITS
    {
        return Err(bad(format!("bad-version(0x{version:08x})")));
    }

    // ContextualCheckBlock.
    if !coinbase.inputs[0]
        .script_sig
        .starts_with(&bip34_height(st.height))
    {
        return Err(bad("bad-cb-height"));
    }
    if cfg.segwit {
        check_witness_commitment(&txs)?;
    } else if txs.iter().any(Tx::has_witness) {
        return Err(bad("unexpected-witness"));
    }
    if stripped_size * 3 + data.len() > MAX_BLOCK_WEIGHT {
        return Err(bad("bad-blk-weight"));
    }

    // Test-only: exactly the template's transactions.
    let have: HashSet<[u8; 32]> = txids[1..].iter().copied().collect();
    if st.txs.iter().any(|t| !have.contains(&t.txid)) {
        return Err(bad("bad-txns-missing"));
    }
    let same =
        txs.len() - 1 == st.txs.len() && txs[1..].iter().zip(&st.txs).all(|(b, t)| b.raw == t.data);
    if !same {
        return Err(bad("bad-txns"));
    }

    // ConnectBlock (check_transaction bounded the total by MAX_MONEY).
    let paid: u64 = coinbase.outputs.iter().map(|o| o.value).sum();
    if paid > cfg.coinbase_value {
        return Err(bad("bad-cb-amount"));
    }
    // Test-only: the block pays the configured address.
    if !coinbase
        .outputs
        .iter()
        .any(|o| o.script == cfg.address_script)
    {
        return Err(bad("bad-cb-payee"));
    }
    Ok((header, txs))
}

/// Core's `CheckTransaction`, minus the size and sigop limits.
fn check_transaction(tx: &Tx) -> Result<(), &'static str> {
    if tx.inputs.is_empty() {
        return Err("bad-txns-vin-empty");
    }
    if tx.outputs.is_empty() {
        return Err("bad-txns-vout-empty");
    }
    let mut total = 0u64;
    for out in &tx.outputs {
        if out.value > i64::MAX as u64 {
            return Err("bad-txns-vout-negative");
        }
        if out.value > MAX_MONEY {
            return Err("bad-txns-vout-toolarge");
        }
        total += out.value;
        if total > MAX_MONEY {
            return Err("bad-txns-txouttotal-toolarge");
        }
    }
    let mut spent = HashSet::new();
    if !tx.inputs.iter().all(|i| spent.insert(i.prevout)) {
        return Err("bad-txns-inputs-duplicate");
    }
    if tx.is_coinbase() {
        if !(2..=100).contains(&tx.inputs[0].script_sig.len()) {
            return Err("bad-cb-length");
        }
    } else if tx.inputs.iter().any(TxIn::has_null_prevout) {
        return Err("bad-txns-prevout-null");
    }
    Ok(())
}

/// BIP 141: the last output whose script starts with the commitment header
/// must commit to the witness merkle root and the coinbase's single
/// 32-byte witness item. A missing commitment is refused too.
fn check_witness_commitment(txs: &[Tx]) -> Result<(), Reject> {
    let coinbase = &txs[0];
    let Some(out) = coinbase
        .outputs
        .iter()
        .rev()
        .find(|o| o.script.len() >= 38 && o.script.starts_with(&WITNESS_COMMITMENT_HEADER))
    else {
        return Err(bad("bad-witness-merkle-match"));
    };
    let stack = &coinbase.inputs[0].witness;
    if stack.len() != 1 || stack[0].len() != 32 {
        return Err(bad("bad-witness-nonce-size"));
    }
    let wtxids: Vec<[u8; 32]> = txs[1..].iter().map(Tx::wtxid).collect();
    if out.script[6..38] != witness_commitment(&wtxids, &stack[0]) {
        return Err(bad("bad-witness-merkle-match"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Consensus encoding
// ---------------------------------------------------------------------------

/// A decoded transaction.
#[derive(Debug, Clone)]
struct Tx {
    inputs: Vec<TxIn>,
    outputs: Vec<TxOut>,
    /// The full serialization, witness included.
    raw: Vec<u8>,
    /// The serialization without marker, flag and witnesses.
    stripped: Vec<u8>,
}

#[derive(Debug, Clone)]
struct TxIn {
    /// Spent txid (internal byte order) and output index.
    prevout: ([u8; 32], u32),
    script_sig: Vec<u8>,
    witness: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct TxOut {
    value: u64,
    script: Vec<u8>,
}

impl TxIn {
    fn has_null_prevout(&self) -> bool {
        self.prevout == ([0; 32], u32::MAX)
    }
}

impl Tx {
    fn txid(&self) -> [u8; 32] {
        sha256d(&self.stripped)
    }

    fn wtxid(&self) -> [u8; 32] {
        sha256d(&self.raw)
    }

    fn weight(&self) -> usize {
        self.stripped.len() * 3 + self.raw.len()
    }

    fn has_witness(&self) -> bool {
        self.inputs.iter().any(|i| !i.witness.is_empty())
    }

    fn is_coinbase(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0].has_null_prevout()
    }
}

/// A cursor over consensus-encoded bytes; every read is bounds-checked.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A CompactSize, rejected (as Core does) when not minimally encoded or
    /// above 0x02000000.
    fn compact_size(&mut self) -> Option<u64> {
        let (value, min) = match self.u8()? {
            0xfd => (u64::from(u16::from_le_bytes(self.array()?)), 0xfd),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xff => (self.u64()?, 0x1_0000_0000),
            n => return Some(u64::from(n)),
        };
        (value >= min && value <= MAX_COMPACT_SIZE).then_some(value)
    }

    /// A CompactSize length followed by that many bytes.
    fn var_bytes(&mut self) -> Option<Vec<u8>> {
        let len = usize::try_from(self.compact_size()?).ok()?;
        self.take(len).map(<[u8]>::to_vec)
    }
}

/// Decodes one transaction, with or without the segwit marker and flag.
fn parse_tx(r: &mut Reader<'_>) -> Option<Tx> {
    let start = r.pos;
    r.u32()?; // version
    let after_version = r.pos;
    let segwit = r.peek()? == 0x00;
    if segwit {
        r.u8()?;
        if r.u8()? != 0x01 {
            return None; // Unknown optional data.
        }
    }
    let io_start = r.pos;
    let mut inputs = Vec::new();
    for _ in 0..r.compact_size()? {
        let txid = r.array::<32>()?;
        let vout = r.u32()?;
        let script_sig = r.var_bytes()?;
        r.u32()?; // sequence
        inputs.push(TxIn {
            prevout: (txid, vout),
            script_sig,
            witness: Vec::new(),
        });
    }
    let mut outputs = Vec::new();
    for _ in 0..r.compact_size()? {
        let value = r.u64()?;
        let script = r.var_bytes()?;
        outputs.push(TxOut { value, script });
    }
    let io_end = r.pos;
    if segwit {
        for input in &mut inputs {
            for _ in 0..r.compact_size()? {
                input.witness.push(r.var_bytes()?);
            }
        }
        if inputs.iter().all(|i| i.witness.is_empty()) {
            return None; // Superfluous witness record.
        }
    }
    let lock_time_at = r.pos;
    r.u32()?; // lock time
    let data = r.data;
    let stripped = [
        &data[start..after_version],
        &data[io_start..io_end],
        &data[lock_time_at..r.pos],
    ]
    .concat();
    Some(Tx {
        inputs,
        outputs,
        raw: data[start..r.pos].to_vec(),
        stripped,
    })
}

/// Decodes the transactions after a block header: a count, then exactly
/// that many transactions and nothing more.
fn parse_transactions(data: &[u8]) -> Option<Vec<Tx>> {
    let mut r = Reader::new(data);
    let count = r.compact_size()?;
    let mut txs = Vec::new();
    for _ in 0..count {
        txs.push(parse_tx(&mut r)?);
    }
    r.is_empty().then_some(txs)
}

fn compact_size_len(n: usize) -> usize {
    match n as u64 {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Bitcoin's merkle root of `leaves` (internal byte order): pairs hashed
/// with `sha256d(left || right)`, an odd last node paired with itself,
/// zero for no leaves. The flag tells whether two identical siblings were
/// paired (the CVE-2012-2459 mutation Core refuses).
fn merkle_root(leaves: &[[u8; 32]]) -> ([u8; 32], bool) {
    if leaves.is_empty() {
        return ([0; 32], false);
    }
    let mut level = leaves.to_vec();
    let mut mutated = false;
    while level.len() > 1 {
        mutated |= level.chunks_exact(2).any(|p| p[0] == p[1]);
        level = level
            .chunks(2)
            .map(|p| sha256d(&[p[0], *p.get(1).unwrap_or(&p[0])].concat()))
            .collect();
    }
    (level[0], mutated)
}

/// The BIP 141 commitment: `sha256d(witness root || nonce)`, where the
/// witness root is the merkle root of a zero hash (the coinbase) and the
/// other transactions' wtxids.
fn witness_commitment(wtxids: &[[u8; 32]], nonce: &[u8]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = std::iter::once([0; 32])
        .chain(wtxids.iter().copied())
        .collect();
    let (root, _) = merkle_root(&leaves);
    sha256d(&[&root[..], nonce].concat())
}

/// The commitment output script: `6a24aa21a9ed` and the commitment.
fn commitment_script(commitment: &[u8; 32]) -> Vec<u8> {
    [&WITNESS_COMMITMENT_HEADER[..], commitment].concat()
}

/// The push a coinbase scriptSig must start with at `height` (BIP 34),
/// as Core's `CScript() << height`: `OP_0`, `OP_1`..`OP_16`, or a push of
/// the minimal little-endian number with a sign byte when the top bit is set.
fn bip34_height(height: u64) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let mut num: Vec<u8> = height.to_le_bytes().into_iter().collect();
            while num.last() == Some(&0) {
                num.pop();
            }
            if num.last().is_some_and(|b| b & 0x80 != 0) {
                num.push(0);
            }
            let mut push = vec![num.len() as u8];
            push.extend_from_slice(&num);
            push
        }
    }
}

/// Fresh template transactions: version 2, one input spending a random
/// outpoint, one or two P2WPKH outputs. Even-numbered ones spend a P2WPKH
/// output (empty scriptSig, signature and public key as witness), the
/// others a P2PKH one (both in the scriptSig); without segwit all do.
fn make_transactions(rng: &mut StdRng, count: usize, segwit: bool) -> Vec<TemplateTx> {
    (0..count)
        .map(|i| {
            let data = make_transaction(rng, segwit && i % 2 == 0);
            let tx = parse_tx(&mut Reader::new(&data)).expect("generated transactions decode");
            TemplateTx {
                txid: tx.txid(),
                wtxid: tx.wtxid(),
                weight: tx.weight(),
                data,
            }
        })
        .collect()
}

fn make_transaction(rng: &mut StdRng, witness: bool) -> Vec<u8> {
    let signature = fake_signature(rng);
    let mut pubkey = vec![if rng.gen() { 0x02 } else { 0x03 }];
    pubkey.extend_from_slice(&rng.gen::<[u8; 32]>());
    let mut tx = 2u32.to_le_bytes().to_vec();
    if witness {
        tx.extend_from_slice(&[0x00, 0x01]);
    }
    tx.push(1);
    tx.extend_from_slice(&rng.gen::<[u8; 32]>());
    tx.extend_from_slice(&rng.gen_range(0u32..4).to_le_bytes());
    if witness {
        tx.push(0);
    } else {
        tx.push((2 + signature.len() + pubkey.len()) as u8);
        tx.push(signature.len() as u8);
        tx.extend_from_slice(&signature);
        tx.push(pubkey.len() as u8);
        tx.extend_from_slice(&pubkey);
    }
    tx.extend_from_slice(&0xffff_fffdu32.to_le_bytes());
    let outputs = rng.gen_range(1u8..=2);
    tx.push(outputs);
    for _ in 0..outputs {
        tx.extend_from_slice(&rng.gen_range(10_000u64..100_000_000).to_le_bytes());
        tx.extend_from_slice(&[22, 0x00, 0x14]);
        tx.extend_from_slice(&rng.gen::<[u8; 20]>());
    }
    if witness {
        tx.push(2);
        tx.push(signature.len() as u8);
        tx.extend_from_slice(&signature);
        tx.push(pubkey.len() as u8);
        tx.extend_from_slice(&pubkey);
    }
    tx.extend_from_slice(&0u32.to_le_bytes());
    tx
}

/// A DER-shaped ECDSA signature with `SIGHASH_ALL` (71 bytes): random but
/// well-formed, with minimal positive integers.
fn fake_signature(rng: &mut StdRng) -> Vec<u8> {
    let mut sig = vec![0x30, 0x44];
    for _ in 0..2 {
        sig.extend_from_slice(&[0x02, 0x20, rng.gen_range(0x01..0x7f)]);
        sig.extend_from_slice(&rng.gen::<[u8; 31]>());
    }
    sig.push(0x01);
    sig
}

fn display_hex(hash: &[u8; 32]) -> String {
    Hash256::new(*hash).to_display_hex()
}

fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn to_u32(secs: u64) -> u32 {
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// Standard base64 with padding (RFC 4648), for the Basic auth token.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_display(s: &str) -> [u8; 32] {
        let mut b: [u8; 32] = hex::decode(s).unwrap().try_into().unwrap();
        b.reverse();
        b
    }

    fn test_config() -> NodeConfig {
        NodeConfig {
            prev_hash: [0x11; 32],
            seed: Some(7),
            ..NodeConfig::default()
        }
    }

    /// A block being built from a template, as a miner would.
    #[derive(Clone)]
    struct Draft {
        version: u32,
        prev: [u8; 32],
        time: u32,
        bits: u32,
        script_sig: Vec<u8>,
        outputs: Vec<(u64, Vec<u8>)>,
        witness_nonce: Option<Vec<u8>>,
        txs: Vec<Vec<u8>>,
        txids: Vec<[u8; 32]>,
        /// Bytes appended after the transactions.
        trailing: Vec<u8>,
    }

    impl Draft {
        fn from_template(t: &Value, payee: &[u8]) -> Draft {
            let mut script_sig = bip34_height(t["height"].as_u64().unwrap());
            script_sig.extend_from_slice(&[4, 0xde, 0xad, 0xbe, 0xef]); // extranonce
            let mut outputs = vec![(t["coinbasevalue"].as_u64().unwrap(), payee.to_vec())];
            let commitment = t["default_witness_commitment"].as_str();
            if let Some(c) = commitment {
                outputs.push((0, hex::decode(c).unwrap()));
            }
            let list = t["transactions"].as_array().unwrap();
            Draft {
                version: t["version"].as_u64().unwrap() as u32,
                prev: from_display(t["previousblockhash"].as_str().unwrap()),
                time: t["curtime"].as_u64().unwrap() as u32,
                bits: u32::from_str_radix(t["bits"].as_str().unwrap(), 16).unwrap(),
                script_sig,
                outputs,
                witness_nonce: commitment.map(|_| vec![0; 32]),
                txs: list
                    .iter()
                    .map(|x| hex::decode(x["data"].as_str().unwrap()).unwrap())
                    .collect(),
                txids: list
                    .iter()
                    .map(|x| from_display(x["txid"].as_str().unwrap()))
                    .collect(),
                trailing: Vec::new(),
            }
        }

        /// Recomputes the witness commitment (output 1) for the current
        /// transactions.
        fn recommit(&mut self) {
            let wtxids: Vec<[u8; 32]> = self.txs.iter().map(|t| sha256d(t)).collect();
            let nonce = self.witness_nonce.clone().unwrap();
            self.outputs[1].1 = commitment_script(&witness_commitment(&wtxids, &nonce));
        }

        fn coinbase(&self, with_witness: bool) -> Vec<u8> {
            let witness = self.witness_nonce.as_ref().filter(|_| with_witness);
            let mut tx = 2u32.to_le_bytes().to_vec();
            if witness.is_some() {
                tx.extend_from_slice(&[0x00, 0x01]);
            }
            tx.push(1);
            tx.extend_from_slice(&[0; 32]);
            tx.extend_from_slice(&u32::MAX.to_le_bytes());
            tx.push(self.script_sig.len() as u8);
            tx.extend_from_slice(&self.script_sig);
            tx.extend_from_slice(&u32::MAX.to_le_bytes());
            tx.push(self.outputs.len() as u8);
            for (value, script) in &self.outputs {
                tx.extend_from_slice(&value.to_le_bytes());
                tx.push(script.len() as u8);
                tx.extend_from_slice(script);
            }
            if let Some(nonce) = witness {
                tx.push(1);
                tx.push(nonce.len() as u8);
                tx.extend_from_slice(nonce);
            }
            tx.extend_from_slice(&0u32.to_le_bytes());
            tx
        }

        /// The block's hex, its nonce ground until the hash meets (`pow`)
        /// or misses the target of `bits`.
        fn mine(&self, pow: bool) -> String {
            let leaves: Vec<[u8; 32]> = std::iter::once(sha256d(&self.coinbase(false)))
                .chain(self.txids.iter().copied())
                .collect();
            let mut head = Vec::with_capacity(80);
            head.extend_from_slice(&self.version.to_le_bytes());
            head.extend_from_slice(&self.prev);
            head.extend_from_slice(&merkle_root(&leaves).0);
            head.extend_from_slice(&self.time.to_le_bytes());
            head.extend_from_slice(&self.bits.to_le_bytes());
            head.extend_from_slice(&[0; 4]);
            let target = Target::from_compact(self.bits).unwrap();
            let header = (0u32..)
                .map(|n| {
                    head[76..].copy_from_slice(&n.to_le_bytes());
                    BlockHeader::from_bytes(&head).unwrap()
                })
                .find(|h| h.block_hash().meets_target(&target) == pow)
                .unwrap();
            let mut block = header.as_bytes().to_vec();
            block.push((1 + self.txs.len()) as u8);
            block.extend_from_slice(&self.coinbase(true));
            for tx in &self.txs {
                block.extend_from_slice(tx);
            }
            block.extend_from_slice(&self.trailing);
            hex::encode(block)
        }
    }

    #[test]
    fn bip34_height_pushes() {
        let cases = [
            (0, "00"),
            (1, "51"),
            (16, "60"),
            (17, "0111"),
            (127, "017f"),
            (128, "028000"),
            (255, "02ff00"),
            (256, "020001"),
            (227_836, "03fc7903"),
            (8_388_608, "0400008000"),
        ];
        for (height, want) in cases {
            assert_eq!(hex::encode(bip34_height(height)), want, "height {height}");
        }
    }

    #[test]
    fn merkle_root_of_block_100000() {
        let txids: Vec<[u8; 32]> = [
            "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
            "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
            "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
            "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
        ]
        .iter()
        .map(|s| from_display(s))
        .collect();
        let (root, mutated) = merkle_root(&txids);
        assert_eq!(
            display_hex(&root),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
        );
        assert!(!mutated);
        // An odd count pairs the last node with itself, which is not a
        // mutation; a repeated last pair is.
        let three = merkle_root(&txids[..3]);
        let four = merkle_root(&[txids[0], txids[1], txids[2], txids[2]]);
        assert_eq!(three.0, four.0);
        assert!(!three.1 && four.1);
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"alice:s3cret"), "YWxpY2U6czNjcmV0");
    }

    #[test]
    fn generated_transactions_are_real_shaped() {
        let cfg = test_config();
        let st = State::new(&cfg);
        assert_eq!(st.txs.len(), 3);
        for (i, t) in st.txs.iter().enumerate() {
            let tx = parse_tx(&mut Reader::new(&t.data)).unwrap();
            assert_eq!(tx.has_witness(), i % 2 == 0, "tx {i}");
            assert_eq!(tx.inputs.len(), 1);
            assert!((1..=2).contains(&tx.outputs.len()));
            assert!(tx
                .outputs
                .iter()
                .all(|o| witness_program(&o.script).is_some()));
            assert_eq!(t.wtxid == t.txid, i % 2 == 1, "tx {i}");
            assert_eq!(check_transaction(&tx), Ok(()));
        }
    }

    #[test]
    fn submitblock_checks_like_core() {
        let cfg = test_config();
        let mut st = State::new(&cfg);
        let t = get_block_template(&cfg, &mut st, &json!([{"rules": ["segwit"]}])).unwrap();
        let good = Draft::from_template(&t, &cfg.address_script);
        let min_time = st.min_time() as u32;
        let now = unix_time();
        // Each tweak gets the template's mintime and the clock.
        type Tweak = fn(&mut Draft, u32, u64);
        let tweaks: Vec<(&str, Tweak)> = vec![
            ("bad-cb-height", |d, _, _| d.script_sig[1] += 1),
            ("bad-cb-length", |d, _, _| d.script_sig.resize(101, 0)),
            ("bad-cb-amount", |d, _, _| d.outputs[0].0 += 1),
            ("bad-cb-payee", |d, _, _| d.outputs[0].1[5] ^= 1),
            ("bad-witness-merkle-match", |d, _, _| {
                d.outputs[1].1[20] ^= 1
            }),
            ("bad-witness-merkle-match", |d, _, _| {
                d.outputs.pop();
            }),
            ("bad-witness-nonce-size", |d, _, _| {
                d.witness_nonce = Some(vec![0; 31])
            }),
            ("bad-txns-missing", |d, _, _| {
                d.txs.pop();
                d.txids.pop();
                d.recommit();
            }),
            ("bad-txns", |d, _, _| {
                d.txs.swap(0, 1);
                d.txids.swap(0, 1);
                d.recommit();
            }),
            ("bad-txnmrklroot", |d, _, _| d.txids[0][0] ^= 1),
            ("prev-blk-not-found", |d, _, _| d.prev[0] ^= 1),
            ("bad-diffbits", |d, _, _| d.bits = 0x2100_ffff),
            ("time-too-old", |d, min, _| d.time = min - 1),
            ("time-too-new", |d, _, now| d.time = (now + 7300) as u32),
            ("bad-version(0x00000001)", |d, _, _| d.version = 1),
            ("bad-blk-length", |d, _, _| d.trailing.push(0)),
        ];
        for (want, tweak) in &tweaks {
            let mut d = good.clone();
            tweak(&mut d, min_time, now);
            let got = submit_block(&cfg, &mut st, &json!([d.mine(true)]));
            assert_eq!(got, Ok(json!(want)));
        }
        let got = submit_block(&cfg, &mut st, &json!([good.mine(false)]));
        assert_eq!(got, Ok(json!("high-hash")));
        for junk in ["zz", "00", &format!("{}05", "00".repeat(80))] {
            let got = submit_block(&cfg, &mut st, &json!([junk]));
            assert_eq!(got.unwrap_err().0, code::DESERIALIZATION_ERROR, "{junk}");
        }
        assert!(st.accepted.is_empty());
        assert_eq!(st.rejected.len(), tweaks.len() + 4);

        // The good block is accepted and becomes the tip.
        let block = good.mine(true);
        assert_eq!(
            submit_block(&cfg, &mut st, &json!([block])),
            Ok(Value::Null)
        );
        let accepted = st.accepted[0].clone();
        assert_eq!(accepted.height, 101);
        assert_eq!(accepted.tx_count, 4);
        assert_eq!(accepted.coinbase_script_sig, good.script_sig);
        assert_eq!(st.tip, *accepted.hash.as_bytes());
        assert_eq!(st.height, 102);
        assert_eq!(
            submit_block(&cfg, &mut st, &json!([block])),
            Ok(json!("duplicate"))
        );
        // A block on the old tip, with the old transactions, is stale.
        let mut stale = good.clone();
        stale.script_sig.push(0x51);
        assert_eq!(
            submit_block(&cfg, &mut st, &json!([stale.mine(true)])),
            Ok(json!("prev-blk-not-found"))
        );
        let next = get_block_template(&cfg, &mut st, &json!([{"rules": ["segwit"]}])).unwrap();
        assert_eq!(next["height"], 102);
        assert_eq!(next["previousblockhash"], accepted.hash.to_display_hex());
        assert_ne!(next["transactions"], t["transactions"]);
        let d = Draft::from_template(&next, &cfg.address_script);
        assert_eq!(
            submit_block(&cfg, &mut st, &json!([d.mine(true)])),
            Ok(Value::Null)
        );
        assert_eq!(st.height, 103);
    }

    /// A keep-alive HTTP client connection.
    struct Client {
        writer: TcpStream,
        reader: BufReader<TcpStream>,
    }

    impl Client {
        fn connect(addr: SocketAddr) -> Client {
            let writer = TcpStream::connect(addr).unwrap();
            writer
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let reader = BufReader::new(writer.try_clone().unwrap());
            Client { writer, reader }
        }

        fn send(&mut self, credentials: &[u8], body: &str) -> (u16, Vec<u8>) {
            let request = format!(
                "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                base64(credentials),
                body.len()
            );
            self.writer.write_all(request.as_bytes()).unwrap();
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let status = line.split(' ').nth(1).unwrap().parse().unwrap();
            let mut len = 0;
            loop {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
                let field = line.trim_end();
                if field.is_empty() {
                    break;
                }
                let (name, value) = field.split_once(':').unwrap();
                if name.eq_ignore_ascii_case("content-length") {
                    len = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            self.reader.read_exact(&mut body).unwrap();
            (status, body)
        }

        fn call(&mut self, method: &str, params: Value) -> (u16, Value) {
            let request = json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params});
            let (status, body) = self.send(b"alice:s3cret", &request.to_string());
            (status, serde_json::from_slice(&body).unwrap())
        }
    }

    #[test]
    fn mines_over_http() {
        let cfg = test_config();
        let payee = cfg.address_script.clone();
        let node = FakeNode::start(cfg);
        let mut c = Client::connect(node.addr());
        assert_eq!(c.send(b"alice:wrong", "{}"), (401, Vec::new()));
        let (status, reply) = c.call("getblocktemplate", json!([{}]));
        assert_eq!((status, &reply["error"]["code"]), (500, &json!(-8)));
        let (status, reply) = c.call("getblocktemplate", json!([{"rules": ["segwit"]}]));
        assert_eq!(status, 200);
        let t = reply["result"].clone();
        assert_eq!(t["height"], 101);
        assert_eq!(t["previousblockhash"], "11".repeat(32));
        assert_eq!(t["target"], format!("7fffff{}", "0".repeat(58)));
        assert_eq!(t["bits"], "207fffff");
        let (status, reply) = c.call("validateaddress", json!([node.inner.cfg.address]));
        assert_eq!(status, 200);
        assert_eq!(reply["result"]["scriptPubKey"], hex::encode(&payee));
        let (status, reply) = c.call("getnetworkinfo", json!([]));
        assert_eq!((status, &reply["error"]["code"]), (404, &json!(-32601)));
        let (status, body) = c.send(b"alice:s3cret", "{\"method\":");
        assert_eq!(status, 500);
        let reply: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(reply["error"]["code"], -32700);

        let block = Draft::from_template(&t, &payee).mine(true);
        let (status, reply) = c.call("submitblock", json!([block]));
        assert_eq!(
            (status, &reply["result"], &reply["error"]),
            (200, &Value::Null, &Value::Null)
        );
        let accepted = node.accepted();
        assert_eq!(accepted.len(), 1);
        assert_eq!(node.tip(), accepted[0].hash);
        let (_, reply) = c.call("submitblock", json!([block]));
        assert_eq!(reply["result"], "duplicate");
        node.new_tip();
        let (_, reply) = c.call("getblocktemplate", json!([{"rules": ["segwit"]}]));
        assert_eq!(reply["result"]["height"], 103);
        assert_eq!(node.template_count(), 2);
        assert_eq!(node.rejected(), ["duplicate"]);
        assert_eq!(
            node.calls(),
            [
                "getblocktemplate",
                "getblocktemplate",
                "validateaddress",
                "getnetworkinfo",
                "submitblock",
                "submitblock",
                "getblocktemplate"
            ]
        );
    }
}
