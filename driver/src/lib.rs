//! ferrominer host library: the software reference for the mining gateware.
//!
//! The gateware hashes Bitcoin block headers with double SHA-256. This crate
//! is the host-side model of that job, built on the `sha2` crate:
//!
//! - [`BlockHeader`]: the 80-byte header in wire order, parsed from hex.
//! - [`Hash256`] and [`sha256d`]: block hashes, their display form and the
//!   proof-of-work comparison.
//! - [`Target`]: 256-bit targets from compact nBits or pool difficulty.
//! - [`Midstate`] and [`Tail`]: the header split the hardware consumes.
//! - [`Work`]: one hardware job, and [`Work::check_nonce`], the reference
//!   verification of every nonce the board reports.
//!
//! ```
//! use ferrominer::{BlockHeader, Work};
//!
//! // Bitcoin's genesis block header.
//! let header: BlockHeader = "0100000000000000000000000000000000000000000000000000000000000000\
//!     000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a\
//!     29ab5f49ffff001d1dac2b7c".parse()?;
//! let work = Work::from_header(&header, header.nonce() - 8, 16)?;
//! let check = work.check_nonce(header.nonce());
//! assert!(check.meets_target);
//! assert_eq!(
//!     check.hash.to_display_hex(),
//!     "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod bench;
pub mod boards;
pub mod build;
pub mod device;
pub mod gbt;
pub mod hash;
pub mod header;
mod hexparse;
pub mod midstate;
pub mod miner;
pub mod protocol;
pub mod simulate;
pub mod stratum;
pub mod target;
#[cfg(test)]
mod test_vectors;
pub mod transport;
pub mod work;

pub use hash::{sha256d, Hash256, HashError};
pub use header::{BlockHeader, HeaderError, HEADER_HEX_LEN, HEADER_LEN};
pub use midstate::{nonce_word, Midstate, Tail, SHA256_IV};
pub use target::{Target, TargetError};
pub use work::{NonceCheck, Work, WorkError};
