//! A blocking, thread-based Stratum v1 client.
//!
//! [`StratumClient::start`] spawns a session thread that owns the
//! connection (plus one reader thread per TCP connection) and returns at
//! once. The miner reads [`Event`]s from [`StratumClient::events`] — new
//! jobs, difficulty changes, share results — and hands found shares to
//! [`StratumClient::submit`].
//!
//! Behaviour:
//!
//! - Handshake: `mining.subscribe` (offering the previous session's
//!   `mining.notify` subscription id, else its extranonce1, as the session
//!   id to resume after a reconnect), then `mining.authorize`.
//! - Every submitted share is checked with the reference first: shares for
//!   a job that is unknown or was replaced by a `clean_jobs` notify, and
//!   shares whose hash is above the job's share target, are dropped
//!   ([`Event::ShareDropped`]) and never sent.
//! - On disconnect the client reconnects with exponential backoff
//!   (`backoff_initial`, doubling up to `backoff_max`, reset after a
//!   successful authorization). Shares found while disconnected, and shares
//!   sent but not answered before the connection dropped, are queued and
//!   submitted after the first job of the new connection, as long as their
//!   job is still valid: a `clean_jobs` notify drops them, and so does a new
//!   connection with a different extranonce1 (the pool did not resume the
//!   session).
//! - `client.reconnect` is followed to the same host (another port is fine);
//!   another host only with `allow_reconnect_to_other_host`. After three
//!   failed attempts at a redirect target the client returns to the
//!   configured URL.
//! - Junk from the pool (malformed JSON, over-long lines, bad parameters)
//!   is reported as [`Event::Error`] and skipped; it never panics and does
//!   not drop the connection. Failures that do end a connection (refused
//!   authorization, timeouts, the pool hanging up) are the `error` of
//!   [`Event::Disconnected`]; failed connection attempts are
//!   [`Event::Error`]s.
//! - The password is only ever written to the socket: [`Password`],
//!   [`ClientConfig`] and [`StratumClient`] redact it in `Debug`, errors
//!   never contain it, and the protocol trace ([`Event::Trace`]) shows the
//!   authorize request with the password replaced by `<redacted>`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::job::{Job, Notify, Share};
use super::message::{
    authorize_params, notify_subscription_id, parse_subscribe_result, request_line, response_line,
    subscribe_params, Incoming, LineReader, Response, RpcError, ServerMessage,
    DEFAULT_MAX_LINE_LEN,
};
use super::url::PoolUrl;
use super::{snippet, StratumError};
use crate::target::Target;

/// What the password is replaced with in traces and `Debug` output.
pub const REDACTED: &str = "<redacted>";

/// How many jobs the client remembers (older ones are forgotten, so shares
/// for them are dropped as stale).
const MAX_JOBS: usize = 64;

/// Notifies kept when they arrive before the subscribe answer.
const MAX_EARLY_NOTIFIES: usize = 8;

/// Failed attempts at a `client.reconnect` target before falling back to
/// the configured URL.
const REDIRECT_ATTEMPTS: u32 = 3;

/// A worker password. `Debug` prints `<redacted>`; there is no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password itself, for the `mining.authorize` request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Password {
        Password(s.to_owned())
    }
}

impl From<String> for Password {
    fn from(s: String) -> Password {
        Password(s)
    }
}

/// Settings of a [`StratumClient`]. Fields are public; [`new`](Self::new)
/// fills in the defaults listed on each field.
#[derive(Clone)]
pub struct ClientConfig {
    /// The pool.
    pub url: PoolUrl,
    /// Worker name for `mining.authorize` (often `account.worker`).
    pub user: String,
    /// Worker password (never logged).
    pub password: Password,
    /// User agent sent in `mining.subscribe` (default `ferrominer/<version>`).
    pub user_agent: String,
    /// TCP connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// How long to wait for the subscribe and authorize answers, and for
    /// the answer to each share (default 30 s). A pool that leaves a share
    /// unanswered that long is reconnected to, and its unanswered shares
    /// are submitted again on the new connection.
    pub response_timeout: Duration,
    /// Reconnect when nothing at all arrives for this long (default 300 s).
    pub idle_timeout: Duration,
    /// First reconnect delay (default 1 s); it doubles after each failure.
    pub backoff_initial: Duration,
    /// Largest reconnect delay (default 60 s).
    pub backoff_max: Duration,
    /// Most shares kept while disconnected; the oldest are dropped beyond
    /// (default 1024).
    pub max_pending_shares: usize,
    /// Follow `client.reconnect` (default true).
    pub follow_reconnect: bool,
    /// Let `client.reconnect` move to another host, not just another port
    /// (default false).
    pub allow_reconnect_to_other_host: bool,
    /// Cap on the wait a `client.reconnect` may ask for (default 300 s).
    pub max_reconnect_wait: Duration,
    /// Longest line accepted from the pool (default [`DEFAULT_MAX_LINE_LEN`]).
    pub max_line_len: usize,
    /// Emit every line sent and received as [`Event::Trace`] (default false).
    pub trace_lines: bool,
    /// Send `mining.extranonce.subscribe` after authorizing, to accept
    /// `mining.set_extranonce` (default false).
    pub extranonce_subscribe: bool,
}

impl ClientConfig {
    /// A configuration for the pool at `url` (see [`PoolUrl::parse`]) with
    /// default settings.
    pub fn new(
        url: &str,
        user: &str,
        password: impl Into<Password>,
    ) -> Result<ClientConfig, StratumError> {
        Ok(ClientConfig {
            url: PoolUrl::parse(url)?,
            user: user.to_owned(),
            password: password.into(),
            user_agent: format!("ferrominer/{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_pending_shares: 1024,
            follow_reconnect: true,
            allow_reconnect_to_other_host: false,
            max_reconnect_wait: Duration::from_secs(300),
            max_line_len: DEFAULT_MAX_LINE_LEN,
            trace_lines: false,
            extranonce_subscribe: false,
        })
    }

    /// Checks the settings are usable.
    pub fn validate(&self) -> Result<(), StratumError> {
        let bad = |m: &str| Err(StratumError::Config(m.to_owned()));
        if self.user.is_empty() {
            return bad("the worker name is empty");
        }
        if self.user.chars().any(char::is_control) || self.user_agent.chars().any(char::is_control)
        {
            return bad("the worker name and user agent must not contain control characters");
        }
        let zero = Duration::ZERO;
        if self.connect_timeout == zero
            || self.response_timeout == zero
            || self.idle_timeout == zero
        {
            return bad("timeouts must be greater than zero");
        }
        if self.backoff_initial == zero || self.backoff_max < self.backoff_initial {
            return bad("need 0 < backoff_initial <= backoff_max");
        }
        if self.max_pending_shares == 0 {
            return bad("max_pending_shares must be at least 1");
        }
        if self.max_line_len < 1024 {
            return bad("max_line_len must be at least 1024 bytes");
        }
        Ok(())
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url.to_string())
            .field("user", &self.user)
            .field("password", &self.password)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("backoff_initial", &self.backoff_initial)
            .field("backoff_max", &self.backoff_max)
            .field("max_pending_shares", &self.max_pending_shares)
            .field("follow_reconnect", &self.follow_reconnect)
            .field(
                "allow_reconnect_to_other_host",
                &self.allow_reconnect_to_other_host,
            )
            .field("max_reconnect_wait", &self.max_reconnect_wait)
            .field("max_line_len", &self.max_line_len)
            .field("trace_lines", &self.trace_lines)
            .field("extranonce_subscribe", &self.extranonce_subscribe)
            .finish()
    }
}

/// The pool's verdict on a submitted share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareOutcome {
    /// The pool accepted the share.
    Accepted,
    /// The pool rejected it, with its error (e.g. code 21 stale, 22
    /// duplicate, 23 low difficulty).
    Rejected(RpcError),
}

/// Why the client dropped a share instead of submitting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Its job is unknown or was invalidated by a `clean_jobs` notify.
    StaleJob,
    /// Its hash does not meet the job's share target.
    BelowTarget,
    /// Its extranonce2 does not have the pool's size.
    BadExtranonce2,
    /// The new connection has a different extranonce1, so the share's
    /// coinbase is not the pool's any more.
    ExtranonceChanged,
    /// Too many shares were waiting for a connection; the oldest went.
    QueueFull,
}

/// Direction of a traced line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceDirection {
    /// Client to pool.
    Sent,
    /// Pool to client.
    Received,
}

/// What the client reports to the miner.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Subscribed and authorized.
    Connected {
        /// The pool (the configured one, or a `client.reconnect` target).
        url: PoolUrl,
        /// The session's extranonce1.
        extranonce1: Vec<u8>,
        /// The extranonce2 size in bytes.
        extranonce2_size: usize,
        /// The pool resumed the previous session (same extranonce1).
        resumed: bool,
    },
    /// The connection ended (`error` is `None` for an orderly close or a
    /// `client.reconnect`).
    Disconnected {
        /// Why, if it was a failure.
        error: Option<StratumError>,
    },
    /// Waiting before the next connection attempt.
    Reconnecting {
        /// Consecutive failed attempts so far.
        attempt: u32,
        /// The delay before the next attempt.
        delay: Duration,
        /// Where the next attempt goes.
        url: PoolUrl,
    },
    /// A new job. When [`Job::clean`] is true, all older jobs are void.
    NewJob(Arc<Job>),
    /// The share difficulty changed; it applies to jobs from the next notify.
    Difficulty(f64),
    /// The pool sent `client.reconnect`.
    ReconnectRequested {
        /// The requested endpoint.
        url: PoolUrl,
        /// The requested wait (capped at `max_reconnect_wait`).
        wait: Duration,
        /// Whether the client follows it (see `ClientConfig`).
        followed: bool,
    },
    /// A share was queued while not connected.
    ShareQueued(Share),
    /// A share was sent to the pool.
    ShareSubmitted(Share),
    /// The pool answered a share.
    ShareResult {
        /// The share.
        share: Share,
        /// Accepted or rejected.
        outcome: ShareOutcome,
    },
    /// A share was dropped without being sent.
    ShareDropped {
        /// The share.
        share: Share,
        /// Why.
        reason: DropReason,
    },
    /// `client.show_message` from the pool.
    PoolMessage(String),
    /// A problem: junk from the pool, a refused authorization, a failed
    /// connection. The client carries on (reconnecting if needed).
    Error(StratumError),
    /// A line sent or received (only with `trace_lines`; the password is redacted).
    Trace {
        /// Sent or received.
        direction: TraceDirection,
        /// The line, without its newline.
        line: String,
    },
}

/// Share and connection counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ClientStats {
    /// Shares sent to the pool (a share re-sent after a reconnect counts twice).
    pub submitted: u64,
    /// Shares the pool accepted.
    pub accepted: u64,
    /// Shares the pool rejected.
    pub rejected: u64,
    /// Shares dropped by the client.
    pub dropped: u64,
    /// Shares queued while not connected.
    pub queued: u64,
    /// Successful handshakes.
    pub connects: u64,
    /// Connections lost or closed.
    pub disconnects: u64,
}

enum Input {
    Submit(Share),
    Shutdown,
    Line {
        conn: u64,
        line: Result<String, StratumError>,
    },
    Closed {
        conn: u64,
        error: Option<StratumError>,
    },
}

/// A running Stratum client; see the [module documentation](self).
///
/// Dropping it (or [`stop`](Self::stop)) closes the connection and joins
/// its threads.
pub struct StratumClient {
    url: PoolUrl,
    user: String,
    inbox: Sender<Input>,
    events: Receiver<Event>,
    stats: Arc<Mutex<ClientStats>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for StratumClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StratumClient")
            .field("url", &self.url.to_string())
            .field("user", &self.user)
            .field("password", &REDACTED)
            .field("stats", &self.stats())
            .finish()
    }
}

impl StratumClient {
    /// Validates `config` and starts the client; the first connection
    /// attempt happens in the background (watch the events).
    pub fn start(config: ClientConfig) -> Result<StratumClient, StratumError> {
        config.validate()?;
        let (inbox_tx, inbox_rx) = mpsc::channel();
        let (event_tx, event_rx) = mpsc::channel();
        let stats = Arc::new(Mutex::new(ClientStats::default()));
        let session = Session::new(
            config.clone(),
            inbox_tx.clone(),
            inbox_rx,
            event_tx,
            stats.clone(),
        );
        let thread = thread::Builder::new()
            .name("stratum-session".into())
            .spawn(move || session.run())
            .map_err(|e| StratumError::io("spawning the Stratum session thread", &e))?;
        Ok(StratumClient {
            url: config.url,
            user: config.user,
            inbox: inbox_tx,
            events: event_rx,
            stats,
            thread: Some(thread),
        })
    }

    /// Hands a share to the client: it is checked, then submitted (or
    /// queued while disconnected). The outcome arrives as an event.
    pub fn submit(&self, share: Share) -> Result<(), StratumError> {
        self.inbox
            .send(Input::Submit(share))
            .map_err(|_| StratumError::Stopped)
    }

    /// The event stream.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// The next event, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ClientStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection and waits for the client's threads to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.inbox.send(Input::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for StratumClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug)]
enum Request {
    Subscribe,
    Authorize,
    ExtranonceSubscribe,
    Submit(Share),
}

struct Conn {
    id: u64,
    url: PoolUrl,
    stream: TcpStream,
    reader: Option<JoinHandle<()>>,
    requests: HashMap<u64, Request>,
    /// When each unanswered share was sent, by request id (oldest first).
    submits_sent: BTreeMap<u64, Instant>,
    handshake_deadline: Option<Instant>,
    subscribed: bool,
    authorized: bool,
    got_job: bool,
    resumed: bool,
    early_notifies: Vec<Notify>,
    last_rx: Instant,
}

/// What to do with the connection after handling an input.
enum Flow {
    Stay,
    Leave(Option<StratumError>),
}

struct Session {
    cfg: ClientConfig,
    inbox_tx: Sender<Input>,
    inbox: Receiver<Input>,
    events: Sender<Event>,
    stats: Arc<Mutex<ClientStats>>,
    conn_seq: u64,
    conn: Option<Conn>,
    next_id: u64,
    jobs: VecDeque<Arc<Job>>,
    extranonce1: Option<Vec<u8>>,
    extranonce2_size: usize,
    /// The pool that gave `extranonce1` (sessions resume only there).
    session_url: Option<PoolUrl>,
    /// The pool's `mining.notify` subscription id, offered back to resume.
    session_id: Option<String>,
    difficulty: f64,
    pending: VecDeque<Share>,
    redirect: Option<PoolUrl>,
    redirect_failures: u32,
    reconnect_wait: Option<Duration>,
    backoff: Duration,
    attempt: u32,
    shutdown: bool,
}

impl Session {
    fn new(
        cfg: ClientConfig,
        inbox_tx: Sender<Input>,
        inbox: Receiver<Input>,
        events: Sender<Event>,
        stats: Arc<Mutex<ClientStats>>,
    ) -> Session {
        let backoff = cfg.backoff_initial;
        Session {
            cfg,
            inbox_tx,
            inbox,
            events,
            stats,
            conn_seq: 0,
            conn: None,
            next_id: 1,
            jobs: VecDeque::new(),
            extranonce1: None,
            extranonce2_size: 0,
            session_url: None,
            session_id: None,
            difficulty: 1.0,
            pending: VecDeque::new(),
            redirect: None,
            redirect_failures: 0,
            reconnect_wait: None,
            backoff,
            attempt: 0,
            shutdown: false,
        }
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    fn stat(&self, f: impl FnOnce(&mut ClientStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    fn current_url(&self) -> PoolUrl {
        self.redirect
            .clone()
            .unwrap_or_else(|| self.cfg.url.clone())
    }

    fn run(mut self) {
        while !self.shutdown {
            let url = self.current_url();
            match self.connect(&url) {
                Ok(()) => self.serve(),
                Err(e) => {
                    self.emit(Event::Error(e));
                    self.note_redirect_failure();
                }
            }
            if self.shutdown {
                break;
            }
            if let Some(wait) = self.reconnect_wait.take() {
                self.sleep(wait);
                continue;
            }
            self.attempt += 1;
            let delay = self.backoff;
            self.backoff = (self.backoff * 2).min(self.cfg.backoff_max);
            self.emit(Event::Reconnecting {
                attempt: self.attempt,
                delay,
                url: self.current_url(),
            });
            self.sleep(delay);
        }
        self.close(None);
    }

    fn note_redirect_failure(&mut self) {
        if self.redirect.is_some() {
            self.redirect_failures += 1;
            if self.redirect_failures >= REDIRECT_ATTEMPTS {
                self.redirect = None;
                self.redirect_failures = 0;
            }
        }
    }

    /// Waits `d`, still accepting shares (queued) and a shutdown.
    fn sleep(&mut self, d: Duration) {
        let until = Instant::now() + d;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match self.inbox.recv_timeout(left) {
                Ok(Input::Submit(share)) => {
                    // Not connected: the share is queued.
                    let _ = self.submit(share);
                }
                Ok(Input::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    self.shutdown = true;
                    return;
                }
                Ok(Input::Line { .. } | Input::Closed { .. }) => {}
                Err(RecvTimeoutError::Timeout) => return,
            }
        }
    }

    fn connect(&mut self, url: &PoolUrl) -> Result<(), StratumError> {
        let what = format!("connecting to {url}");
        let addrs = url
            .authority()
            .to_socket_addrs()
            .map_err(|e| StratumError::io(what.clone(), &e))?;
        let mut last = None;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.cfg.connect_timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(StratumError::io(what, &e)),
            (None, None) => {
                return Err(StratumError::BadUrl {
                    url: url.to_string(),
                    reason: "the host has no address".into(),
                })
            }
        };
        let io = |e: std::io::Error| StratumError::io(what.clone(), &e);
        stream.set_nodelay(true).map_err(io)?;
        stream
            .set_write_timeout(Some(self.cfg.response_timeout))
            .map_err(io)?;
        let read_half = stream.try_clone().map_err(io)?;
        self.conn_seq += 1;
        let id = self.conn_seq;
        let tx = self.inbox_tx.clone();
        let max = self.cfg.max_line_len;
        let reader = thread::Builder::new()
            .name("stratum-reader".into())
            .spawn(move || read_lines(id, read_half, max, tx))
            .map_err(io)?;
        self.conn = Some(Conn {
            id,
            url: url.clone(),
            stream,
            reader: Some(reader),
            requests: HashMap::new(),
            submits_sent: BTreeMap::new(),
            handshake_deadline: Some(Instant::now() + self.cfg.response_timeout),
            subscribed: false,
            authorized: false,
            got_job: false,
            resumed: false,
            early_notifies: Vec::new(),
            last_rx: Instant::now(),
        });
        self.difficulty = 1.0;
        // The session to resume: the pool's id of the `mining.notify`
        // subscription, as cgminer offers it, else the extranonce1 in hex
        // (which is that id on ckpool).
        let session = self
            .extranonce1
            .as_ref()
            .filter(|_| self.session_url.as_ref() == Some(url))
            .map(|e1| self.session_id.clone().unwrap_or_else(|| hex::encode(e1)));
        let params = subscribe_params(&self.cfg.user_agent, session.as_deref());
        if let Err(e) = self.send_request("mining.subscribe", params, None, Request::Subscribe) {
            // Reported once, as the reason of the disconnect.
            self.note_redirect_failure();
            self.close(Some(e));
        }
        Ok(())
    }

    /// Handles inputs until the connection ends.
    fn serve(&mut self) {
        loop {
            let Some(conn) = &self.conn else { return };
            let mut deadline = conn.last_rx + self.cfg.idle_timeout;
            if let Some(h) = conn.handshake_deadline {
                deadline = deadline.min(h);
            }
            let share_deadline = conn
                .submits_sent
                .values()
                .next()
                .map(|sent| *sent + self.cfg.response_timeout);
            if let Some(d) = share_deadline {
                deadline = deadline.min(d);
            }
            let conn_id = conn.id;
            let timeout = deadline.saturating_duration_since(Instant::now());
            let flow = match self.inbox.recv_timeout(timeout) {
                Ok(Input::Line { conn, line }) if conn == conn_id => {
                    if let Some(c) = self.conn.as_mut() {
                        c.last_rx = Instant::now();
                    }
                    match line {
                        Ok(line) => self.handle_line(&line),
                        Err(e) => {
                            self.emit(Event::Error(e));
                            Flow::Stay
                        }
                    }
                }
                Ok(Input::Closed { conn, error }) if conn == conn_id => {
                    Flow::Leave(Some(error.unwrap_or_else(|| StratumError::Io {
                        context: "reading from the pool".into(),
                        kind: std::io::ErrorKind::UnexpectedEof,
                        message: "the pool closed the connection".into(),
                    })))
                }
                Ok(Input::Line { .. } | Input::Closed { .. }) => Flow::Stay,
                Ok(Input::Submit(share)) => self.submit(share),
                Ok(Input::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    self.shutdown = true;
                    Flow::Leave(None)
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    let what = match self.conn.as_ref().and_then(|c| c.handshake_deadline) {
                        Some(h) if now >= h => "the subscribe/authorize answers",
                        _ if share_deadline.is_some_and(|d| now >= d) => "the answer to a share",
                        _ => "any message from the pool (idle timeout)",
                    };
                    Flow::Leave(Some(StratumError::Timeout { what: what.into() }))
                }
            };
            if let Flow::Leave(error) = flow {
                let authorized = self.conn.as_ref().is_some_and(|c| c.authorized);
                if !authorized && error.is_some() {
                    self.note_redirect_failure();
                }
                self.close(error);
                return;
            }
        }
    }

    /// Closes the connection (if any), re-queueing unanswered shares.
    fn close(&mut self, error: Option<StratumError>) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let _ = conn.stream.shutdown(Shutdown::Both);
        if let Some(r) = conn.reader.take() {
            let _ = r.join();
        }
        let mut unanswered: Vec<(u64, Share)> = conn
            .requests
            .drain()
            .filter_map(|(id, r)| match r {
                Request::Submit(s) => Some((id, s)),
                _ => None,
            })
            .collect();
        unanswered.sort_by_key(|(id, _)| *id);
        for (_, share) in unanswered.into_iter().rev() {
            self.pending.push_front(share);
        }
        self.stat(|s| s.disconnects += 1);
        self.emit(Event::Disconnected { error });
    }

    fn write_line(&mut self, line: &str, trace: &str) -> Result<(), StratumError> {
        let conn = self.conn.as_mut().ok_or(StratumError::Stopped)?;
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        conn.stream
            .write_all(&bytes)
            .map_err(|e| StratumError::io("writing to the pool", &e))?;
        if self.cfg.trace_lines {
            self.emit(Event::Trace {
                direction: TraceDirection::Sent,
                line: trace.to_owned(),
            });
        }
        Ok(())
    }

    /// Sends a request; `trace_params` replaces the parameters in the trace.
    fn send_request(
        &mut self,
        method: &str,
        params: Value,
        trace_params: Option<Value>,
        kind: Request,
    ) -> Result<(), StratumError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = request_line(id, method, &params);
        let trace = match trace_params {
            Some(p) => request_line(id, method, &p),
            None => line.clone(),
        };
        self.write_line(&line, &trace)?;
        if let Some(c) = self.conn.as_mut() {
            if matches!(kind, Request::Submit(_)) {
                c.submits_sent.insert(id, Instant::now());
            }
            c.requests.insert(id, kind);
        }
        Ok(())
    }

    fn handle_line(&mut self, line: &str) -> Flow {
        if self.cfg.trace_lines {
            self.emit(Event::Trace {
                direction: TraceDirection::Received,
                line: line.to_owned(),
            });
        }
        match Incoming::parse(line) {
            Ok(Incoming::Response(r)) => self.handle_response(r, line),
            Ok(Incoming::Request { id, message }) => self.handle_message(id, message),
            Err(e) => {
                self.emit(Event::Error(e));
                Flow::Stay
            }
        }
    }

    fn handle_response(&mut self, r: Response, line: &str) -> Flow {
        if let Some(c) = self.conn.as_mut() {
            c.submits_sent.remove(&r.id);
        }
        let Some(kind) = self.conn.as_mut().and_then(|c| c.requests.remove(&r.id)) else {
            self.emit(Event::Error(StratumError::UnexpectedMessage {
                reason: format!("response to unknown request id {}", r.id),
                snippet: snippet(line),
            }));
            return Flow::Stay;
        };
        match kind {
            Request::Subscribe => self.on_subscribed(r),
            Request::Authorize => self.on_authorized(r),
            Request::ExtranonceSubscribe => Flow::Stay,
            Request::Submit(share) => {
                let outcome = match (&r.error, &r.result) {
                    (None, Value::Bool(true)) => ShareOutcome::Accepted,
                    (Some(e), _) => ShareOutcome::Rejected(e.clone()),
                    (None, other) => ShareOutcome::Rejected(RpcError {
                        code: None,
                        message: format!("result {}", snippet(&other.to_string())),
                    }),
                };
                match outcome {
                    ShareOutcome::Accepted => self.stat(|s| s.accepted += 1),
                    ShareOutcome::Rejected(_) => self.stat(|s| s.rejected += 1),
                }
                self.emit(Event::ShareResult { share, outcome });
                Flow::Stay
            }
        }
    }

    fn on_subscribed(&mut self, r: Response) -> Flow {
        if let Some(e) = r.error {
            return Flow::Leave(Some(StratumError::SubscribeFailed {
                reason: e.to_string(),
            }));
        }
        let (extranonce1, size) = match parse_subscribe_result(&r.result) {
            Ok(v) => v,
            Err(e) => return Flow::Leave(Some(e)),
        };
        let url = self.conn.as_ref().map(|c| c.url.clone());
        let resumed = self.session_url.is_some()
            && self.session_url == url
            && self.extranonce1.as_ref() == Some(&extranonce1)
            && self.extranonce2_size == size;
        if !resumed {
            // Jobs and queued shares of another session are useless here.
            self.jobs.clear();
            let dropped: Vec<Share> = self.pending.drain(..).collect();
            for share in dropped {
                self.drop_share(share, DropReason::ExtranonceChanged);
            }
        }
        self.extranonce1 = Some(extranonce1);
        self.extranonce2_size = size;
        self.session_url = url;
        self.session_id = notify_subscription_id(&r.result);
        let early = match self.conn.as_mut() {
            Some(c) => {
                c.subscribed = true;
                c.resumed = resumed;
                std::mem::take(&mut c.early_notifies)
            }
            None => return Flow::Stay,
        };
        let params = authorize_params(&self.cfg.user, self.cfg.password.expose());
        let traced = authorize_params(&self.cfg.user, REDACTED);
        if let Err(e) =
            self.send_request("mining.authorize", params, Some(traced), Request::Authorize)
        {
            return Flow::Leave(Some(e));
        }
        for n in early {
            self.on_notify(n);
        }
        Flow::Stay
    }

    fn on_authorized(&mut self, r: Response) -> Flow {
        let ok = r.error.is_none() && r.result == Value::Bool(true);
        if !ok {
            let reason = match r.error {
                Some(e) => e.to_string(),
                None => format!("result {}", snippet(&r.result.to_string())),
            };
            return Flow::Leave(Some(StratumError::AuthorizationFailed {
                user: self.cfg.user.clone(),
                reason,
            }));
        }
        let Some(conn) = self.conn.as_mut() else {
            return Flow::Stay;
        };
        conn.authorized = true;
        conn.handshake_deadline = None;
        let url = conn.url.clone();
        let resumed = conn.resumed;
        self.backoff = self.cfg.backoff_initial;
        self.attempt = 0;
        self.redirect_failures = 0;
        self.stat(|s| s.connects += 1);
        self.emit(Event::Connected {
            url,
            extranonce1: self.extranonce1.clone().unwrap_or_default(),
            extranonce2_size: self.extranonce2_size,
            resumed,
        });
        if self.cfg.extranonce_subscribe {
            if let Err(e) = self.send_request(
                "mining.extranonce.subscribe",
                Value::Array(vec![]),
                None,
                Request::ExtranonceSubscribe,
            ) {
                return Flow::Leave(Some(e));
            }
        }
        self.flush_pending()
    }

    fn handle_message(&mut self, id: Value, message: ServerMessage) -> Flow {
        match message {
            ServerMessage::Notify(n) => {
                let subscribed = self.conn.as_ref().is_some_and(|c| c.subscribed);
                if !subscribed {
                    if let Some(c) = self.conn.as_mut() {
                        // Only the latest few matter (bounded against a noisy pool).
                        if c.early_notifies.len() >= MAX_EARLY_NOTIFIES {
                            c.early_notifies.remove(0);
                        }
                        c.early_notifies.push(n);
                    }
                    return Flow::Stay;
                }
                self.on_notify(n);
                self.flush_pending()
            }
            ServerMessage::SetDifficulty(d) => {
                match Target::from_difficulty(d) {
                    Ok(_) => {
                        self.difficulty = d;
                        self.emit(Event::Difficulty(d));
                    }
                    Err(e) => self.emit(Event::Error(StratumError::field(
                        "mining.set_difficulty",
                        "difficulty",
                        e.to_string(),
                    ))),
                }
                Flow::Stay
            }
            ServerMessage::SetExtranonce {
                extranonce1,
                extranonce2_size,
            } => {
                self.extranonce1 = Some(extranonce1);
                self.extranonce2_size = extranonce2_size;
                self.reply(&id, Value::Bool(true), Value::Null)
            }
            ServerMessage::Reconnect { host, port, wait } => self.on_reconnect(host, port, wait),
            ServerMessage::ShowMessage(m) => {
                self.emit(Event::PoolMessage(m));
                Flow::Stay
            }
            ServerMessage::GetVersion => {
                let ua = Value::String(self.cfg.user_agent.clone());
                self.reply(&id, ua, Value::Null)
            }
            ServerMessage::Ping => self.reply(&id, Value::from("pong"), Value::Null),
            ServerMessage::Unknown { method } => {
                self.emit(Event::Error(StratumError::UnexpectedMessage {
                    reason: "unsupported method (ignored)".into(),
                    snippet: method,
                }));
                let err = serde_json::json!([20, "Method not supported", null]);
                self.reply(&id, Value::Null, err)
            }
        }
    }

    /// Answers a request from the pool (not a notification).
    fn reply(&mut self, id: &Value, result: Value, error: Value) -> Flow {
        if id.is_null() {
            return Flow::Stay;
        }
        let line = response_line(id, &result, &error);
        match self.write_line(&line, &line) {
            Ok(()) => Flow::Stay,
            Err(e) => Flow::Leave(Some(e)),
        }
    }

    fn on_reconnect(&mut self, host: Option<String>, port: Option<u16>, wait: Option<u64>) -> Flow {
        let Some(conn) = self.conn.as_ref() else {
            return Flow::Stay;
        };
        let target = match conn.url.redirect(host.as_deref(), port) {
            Ok(t) => t,
            Err(e) => {
                self.emit(Event::Error(e));
                return Flow::Stay;
            }
        };
        let wait = Duration::from_secs(wait.unwrap_or(0)).min(self.cfg.max_reconnect_wait);
        let same_host = target.host().eq_ignore_ascii_case(conn.url.host());
        let followed =
            self.cfg.follow_reconnect && (same_host || self.cfg.allow_reconnect_to_other_host);
        self.emit(Event::ReconnectRequested {
            url: target.clone(),
            wait,
            followed,
        });
        if !followed {
            return Flow::Stay;
        }
        self.redirect = (target != self.cfg.url).then_some(target);
        self.redirect_failures = 0;
        self.reconnect_wait = Some(wait);
        self.backoff = self.cfg.backoff_initial;
        Flow::Leave(None)
    }

    fn on_notify(&mut self, n: Notify) {
        let Some(extranonce1) = self.extranonce1.clone() else {
            return;
        };
        let clean = n.clean_jobs;
        let job = match Job::new(n, extranonce1, self.extranonce2_size, self.difficulty) {
            Ok(j) => Arc::new(j),
            Err(e) => {
                self.emit(Event::Error(e));
                return;
            }
        };
        if clean {
            self.jobs.clear();
        } else {
            self.jobs.retain(|j| j.job_id() != job.job_id());
        }
        self.jobs.push_back(job.clone());
        while self.jobs.len() > MAX_JOBS {
            self.jobs.pop_front();
        }
        if let Some(c) = self.conn.as_mut() {
            c.got_job = true;
        }
        if clean {
            let pending = std::mem::take(&mut self.pending);
            let (keep, stale): (VecDeque<Share>, VecDeque<Share>) = pending
                .into_iter()
                .partition(|s| self.job(&s.job_id).is_some());
            self.pending = keep;
            for share in stale {
                self.drop_share(share, DropReason::StaleJob);
            }
        }
        self.emit(Event::NewJob(job));
    }

    fn job(&self, job_id: &str) -> Option<&Arc<Job>> {
        self.jobs.iter().rev().find(|j| j.job_id() == job_id)
    }

    fn drop_share(&self, share: Share, reason: DropReason) {
        self.stat(|s| s.dropped += 1);
        self.emit(Event::ShareDropped { share, reason });
    }

    fn can_submit(&self) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.authorized && c.got_job)
    }

    /// Checks a share against its job; `None` if it was dropped.
    fn vet(&self, share: Share) -> Option<Share> {
        let Some(job) = self.job(&share.job_id) else {
            self.drop_share(share, DropReason::StaleJob);
            return None;
        };
        match job.check_share(&share) {
            Err(_) => self.drop_share(share, DropReason::BadExtranonce2),
            Ok(c) if !c.meets_share_target => self.drop_share(share, DropReason::BelowTarget),
            Ok(_) => return Some(share),
        }
        None
    }

    /// Vets a share, then sends it, or queues it while not ready.
    fn submit(&mut self, share: Share) -> Flow {
        let Some(share) = self.vet(share) else {
            return Flow::Stay;
        };
        if !self.can_submit() {
            if self.pending.len() >= self.cfg.max_pending_shares {
                if let Some(old) = self.pending.pop_front() {
                    self.drop_share(old, DropReason::QueueFull);
                }
            }
            self.stat(|s| s.queued += 1);
            self.emit(Event::ShareQueued(share.clone()));
            self.pending.push_back(share);
            return Flow::Stay;
        }
        match self.send_share(share) {
            Ok(()) => Flow::Stay,
            // The share went back to the queue; reconnect.
            Err(e) => Flow::Leave(Some(e)),
        }
    }

    fn send_share(&mut self, share: Share) -> Result<(), StratumError> {
        let params = share.submit_params(&self.cfg.user);
        match self.send_request(
            "mining.submit",
            params,
            None,
            Request::Submit(share.clone()),
        ) {
            Ok(()) => {
                self.stat(|s| s.submitted += 1);
                self.emit(Event::ShareSubmitted(share));
                Ok(())
            }
            Err(e) => {
                self.pending.push_front(share);
                Err(e)
            }
        }
    }

    /// Submits the queued shares once the connection is ready.
    fn flush_pending(&mut self) -> Flow {
        if !self.can_submit() {
            return Flow::Stay;
        }
        while let Some(share) = self.pending.pop_front() {
            let Some(share) = self.vet(share) else {
                continue;
            };
            if let Err(e) = self.send_share(share) {
                return Flow::Leave(Some(e));
            }
        }
        Flow::Stay
    }
}

fn read_lines(conn: u64, stream: TcpStream, max: usize, tx: Sender<Input>) {
    let mut reader = LineReader::new(stream, max);
    loop {
        let input = match reader.read_line() {
            Ok(Some(line)) => Input::Line {
                conn,
                line: Ok(line),
            },
            Ok(None) => Input::Closed { conn, error: None },
            Err(e @ StratumError::Io { .. }) => Input::Closed {
                conn,
                error: Some(e),
            },
            Err(e) => Input::Line { conn, line: Err(e) },
        };
        let last = matches!(input, Input::Closed { .. });
        if tx.send(input).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_password() {
        let mut cfg =
            ClientConfig::new("stratum+tcp://127.0.0.1:3333", "alice.rig1", "hunter2").unwrap();
        cfg.password = Password::new("s3cret-pw");
        let text = format!("{cfg:?} {:?} {:#?}", cfg.password, cfg);
        assert!(!text.contains("s3cret-pw"), "{text}");
        assert!(text.contains(REDACTED), "{text}");
        assert!(text.contains("alice.rig1"), "{text}");
        assert_eq!(cfg.password.expose(), "s3cret-pw");
    }

    #[test]
    fn config_validation() {
        let base = ClientConfig::new("127.0.0.1:1", "u", "p").unwrap();
        assert!(base.validate().is_ok());
        let mut c = base.clone();
        c.user.clear();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("worker name is empty"));
        let mut c = base.clone();
        c.backoff_initial = Duration::from_secs(5);
        c.backoff_max = Duration::from_secs(1);
        assert!(c.validate().unwrap_err().to_string().contains("backoff"));
        let mut c = base.clone();
        c.user = "a\nb".into();
        assert!(c.validate().is_err());
        let mut c = base;
        c.max_line_len = 10;
        assert!(StratumClient::start(c).is_err());
    }
}
