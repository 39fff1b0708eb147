//! Solo mining from a node: Bitcoin Core's `getblocktemplate` (BIP 22/23)
//! and `submitblock`, over its JSON-RPC interface.
//!
//! - [`rpc`]: a small JSON-RPC client over HTTP/1.1 with Basic or cookie
//!   authentication ([`RpcClient`]).
//! - [`template`]: the `getblocktemplate` result, checked and decoded
//!   ([`BlockTemplate`]).
//! - [`block`]: what the miner adds to a template: the coinbase transaction
//!   (BIP 34 height, payout, witness commitment), the merkle root, the
//!   80-byte header, and the serialized block for `submitblock`
//!   ([`Candidate`]).
//!
//! # Byte orders
//!
//! | template field        | given as                                   | in the header / block          |
//! |-----------------------|--------------------------------------------|--------------------------------|
//! | `version`, `curtime`  | JSON integers                              | 4 bytes little-endian          |
//! | `bits`                | 8 hex digits, the compact value big-endian | 4 bytes little-endian          |
//! | `previousblockhash`   | 64 hex digits, display order (reversed)    | 32 bytes internal order        |
//! | `transactions[].txid` | 64 hex digits, display order               | internal order in the merkle tree |
//! | `transactions[].data` | the serialized transaction                 | copied into the block as is    |
//!
//! The tests check the coinbase, merkle tree and block layout against a
//! strict fake node (`tests/node`) that validates blocks on its own, and
//! the merkle tree against real block 100000.

pub mod block;
pub mod rpc;
pub mod template;

pub use block::{bip34_height_script, merkle_root, Candidate, CoinbaseConfig};
pub use rpc::{RpcAuth, RpcClient, RpcUrl};
pub use template::{BlockTemplate, TemplateTx};

use thiserror::Error;

/// What can go wrong talking to a node or using its template.
#[derive(Debug, Error)]
pub enum GbtError {
    /// The RPC URL is not `http://host[:port][/path]`.
    #[error("bad node RPC URL `{url}`: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The node could not be reached, or the connection broke.
    #[error("cannot reach the node at {addr} ({what}): {error}")]
    Io {
        /// Host and port.
        addr: String,
        /// What was being done.
        what: &'static str,
        /// The I/O error (in the message, so not also a `source`).
        error: std::io::Error,
    },
    /// The node refused the credentials (HTTP 401).
    #[error("the node at {addr} refused the RPC credentials (HTTP 401): check --rpc-user/--rpc-pass or --rpc-cookie")]
    Unauthorized {
        /// Host and port.
        addr: String,
    },
    /// The cookie file could not be read or is malformed.
    #[error("cannot use the RPC cookie file {path}: {reason}")]
    Cookie {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The answer is not HTTP carrying a JSON-RPC reply.
    #[error("bad answer from the node to `{method}`: {reason}")]
    BadResponse {
        /// The RPC method called.
        method: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error("the node answered `{method}` with error {code}: {message}")]
    Rpc {
        /// The RPC method called.
        method: String,
        /// JSON-RPC error code (e.g. -10: still syncing, -9: no peers).
        code: i64,
        /// The node's message.
        message: String,
    },
    /// A template field is missing or malformed.
    #[error("bad block template: field `{field}`: {reason}")]
    BadTemplate {
        /// The field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The template needs a rule this miner does not implement.
    #[error("the block template requires rule `{0}`, which ferrominer does not support")]
    UnsupportedRule(String),
    /// The payout address is not valid for this node's network.
    #[error("the node says `{address}` is not a valid address for its network{}", .reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    BadAddress {
        /// The address given.
        address: String,
        /// The node's reason, if it gave one.
        reason: Option<String>,
    },
    /// The coinbase would break a consensus limit.
    #[error("cannot build the coinbase: {0}")]
    Coinbase(String),
}
