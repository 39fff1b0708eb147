//! Stratum v1: the pool protocol, job building and a reconnecting client.
//!
//! - [`PoolUrl`]: `stratum+tcp://host:port`, parsed by hand.
//! - [`message`]: newline-delimited JSON-RPC framing ([`LineReader`], with a
//!   line-length cap) and the typed messages ([`ServerMessage`], [`Response`]).
//! - [`job`]: a `mining.notify` ([`Notify`]), the job built from it and the
//!   session's extranonce ([`Job`]: coinbase, merkle root, 80-byte
//!   [`BlockHeader`](crate::BlockHeader), share target) and the share a
//!   miner submits ([`Share`]).
//! - [`client`]: [`StratumClient`], which connects, subscribes, authorizes,
//!   delivers [`Event`]s over a channel, submits shares, reconnects with
//!   exponential backoff and follows `client.reconnect`.
//!
//! # Byte-order conventions
//!
//! Stratum v1 has no formal specification; the conventions below are the
//! ones every deployed pool and miner agree on. Sources: the slush pool
//! (Braiins) Stratum v1 documentation and its BTCGuild mirror (coinbase =
//! `coinb1 + extranonce1 + extranonce2 + coinb2`, double SHA-256, then each
//! branch hash appended on the right and double-hashed), and the
//! share-validation code of ckpool (`stratifier.c`: the header is assembled
//! from the notify's hex strings as eight-hex-digit big-endian words, the
//! submitted nonce is parsed with `%x` as an integer, and the whole 80 bytes
//! are then byte-swapped word by word before hashing).
//!
//! | field            | on the wire (`mining.notify` / `mining.submit`)   | in the header                |
//! |------------------|---------------------------------------------------|------------------------------|
//! | `version`        | 8 hex digits, the integer big-endian              | 4 bytes little-endian        |
//! | `prevhash`       | 64 hex digits: the header bytes with each 4-byte word reversed (the display hash with its eight words in reverse order) | 32 bytes internal order |
//! | `coinb1`/`coinb2`| raw transaction bytes                             | —                            |
//! | `merkle_branch`  | 64 hex digits each, internal byte order (as hashed)| —                           |
//! | merkle root      | not sent                                          | 32 bytes internal order      |
//! | `nbits`, `ntime` | 8 hex digits, big-endian                          | 4 bytes little-endian        |
//! | `nonce` (submit) | 8 hex digits, the nonce integer big-endian        | 4 bytes little-endian        |
//! | `extranonce1/2`  | raw bytes in hex, spliced into the coinbase as is | —                            |
//!
//! The unit tests check these against real blocks: a notify written by hand
//! for mainnet blocks 0, 1 and 100000 (their real coinbase transactions and
//! merkle branches, the previous hash in Stratum order) builds exactly the
//! real 80-byte header, which hashes to the known block hash.
//!
//! Share difficulty `d` means target `floor(DIFF1 / d)` with
//! `DIFF1 = 0x00000000ffff0000…` (see [`Target::from_difficulty`](crate::Target::from_difficulty));
//! difficulties below 1 are allowed. A `mining.set_difficulty` applies to
//! jobs received after it: each [`Job`] keeps the difficulty in force when
//! its notify arrived.

pub mod client;
pub mod job;
pub mod message;
pub mod url;

use std::io;

use crate::target::TargetError;
use crate::work::WorkError;

pub use client::{
    ClientConfig, ClientStats, DropReason, Event, Password, ShareOutcome, StratumClient,
    TraceDirection,
};
pub use job::{
    merkle_root, prevhash_from_stratum, prevhash_to_stratum, Job, Notify, Share, ShareCheck,
};
pub use message::{Incoming, LineReader, Response, RpcError, ServerMessage, DEFAULT_MAX_LINE_LEN};
pub use url::PoolUrl;

/// Everything that can go wrong in the Stratum layer.
///
/// Errors never contain the worker password. Errors caused by data from the
/// pool quote at most [`SNIPPET_LEN`] characters of it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StratumError {
    /// The pool URL could not be parsed.
    #[error("bad pool URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given (never contains credentials: URLs with `user@` are rejected).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The pool sent a line longer than the limit; it was discarded up to
    /// the next newline.
    #[error("line from the pool exceeds the {limit}-byte limit; discarded up to the next newline")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The pool sent a line that is not valid UTF-8 JSON.
    #[error("malformed line from the pool ({reason}): {snippet:?}")]
    MalformedLine {
        /// Why it could not be parsed.
        reason: String,
        /// The start of the line.
        snippet: String,
    },
    /// The pool sent valid JSON that is not a message the client understands
    /// in this place (wrong shape, bad parameters, unknown response id).
    #[error("unexpected message from the pool ({reason}): {snippet:?}")]
    UnexpectedMessage {
        /// What is wrong with it.
        reason: String,
        /// The start of the line.
        snippet: String,
    },
    /// A parameter of a message has the wrong type or value.
    #[error("invalid {field} in {method}: {reason}")]
    InvalidField {
        /// The Stratum method (or `response` for a response).
        method: String,
        /// The parameter name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A socket operation failed.
    #[error("{context}: {message}")]
    Io {
        /// What the client was doing.
        context: String,
        /// The I/O error kind.
        kind: io::ErrorKind,
        /// The I/O error message.
        message: String,
    },
    /// The pool did not answer in time.
    #[error("timed out waiting for {what}")]
    Timeout {
        /// What the client was waiting for.
        what: String,
    },
    /// The pool answered `mining.subscribe` with an error.
    #[error("mining.subscribe failed: {reason}")]
    SubscribeFailed {
        /// The pool's error.
        reason: String,
    },
    /// The pool refused `mining.authorize`.
    #[error("pool refused to authorize worker {user:?}: {reason}")]
    AuthorizationFailed {
        /// The worker name (the password is never included).
        user: String,
        /// The pool's error, if any.
        reason: String,
    },
    /// An extranonce2 of the wrong size was given.
    #[error("extranonce2 must be {expected} bytes, got {got}")]
    Extranonce2Size {
        /// The size the pool asked for.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// An extranonce2 counter does not fit in the pool's extranonce2 size.
    #[error("extranonce2 counter {counter} does not fit in {size} bytes")]
    Extranonce2Overflow {
        /// The counter.
        counter: u64,
        /// The extranonce2 size in bytes.
        size: usize,
    },
    /// A share difficulty or job bits could not be turned into a target.
    #[error("invalid target: {0}")]
    Target(#[from] TargetError),
    /// A [`Work`](crate::Work) could not be built from a job.
    #[error("cannot build work: {0}")]
    Work(#[from] WorkError),
    /// The client configuration is invalid.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The client has been stopped.
    #[error("the Stratum client has stopped")]
    Stopped,
}

/// How many characters of a bad line from the pool an error quotes.
pub const SNIPPET_LEN: usize = 120;

impl StratumError {
    pub(crate) fn io(context: impl Into<String>, e: &io::Error) -> StratumError {
        StratumError::Io {
            context: context.into(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    pub(crate) fn field(method: &str, field: &str, reason: impl Into<String>) -> StratumError {
        StratumError::InvalidField {
            method: method.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The first [`SNIPPET_LEN`] characters of `s`, with `…` if cut.
pub(crate) fn snippet(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(SNIPPET_LEN).collect();
    if chars.next().is_some() {
        head + "…"
    } else {
        head
    }
}
