//! Double SHA-256 and the 32-byte hash type used for block hashes.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::header::BlockHeader;
use crate::hexparse::{decode_fixed, HexProblem};
use crate::target::Target;

/// `SHA-256(SHA-256(data))`, Bitcoin's block and transaction hash.
pub fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// Why a hash could not be parsed from hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The hex string (after trimming whitespace) is not 64 characters long.
    #[error("hash hex must be 64 hex characters (32 bytes), got {got} characters")]
    HexLength {
        /// Number of characters in the trimmed input.
        got: usize,
    },
    /// The hex string contains a character that is not a hex digit.
    #[error("invalid hex character {ch:?} at position {position} (0-based) of hash hex")]
    InvalidHexChar {
        /// 0-based character index in the trimmed input.
        position: usize,
        /// The offending character.
        ch: char,
    },
}

impl From<HexProblem> for HashError {
    fn from(p: HexProblem) -> Self {
        match p {
            HexProblem::Length { got } => HashError::HexLength { got },
            HexProblem::Char { position, ch } => HashError::InvalidHexChar { position, ch },
        }
    }
}

/// A 32-byte hash in internal byte order: exactly the bytes SHA-256 outputs.
///
/// Bitcoin treats these bytes as a **little-endian** 256-bit integer when
/// comparing against a target, and block explorers show them byte-reversed
/// (see [`to_display_hex`](Self::to_display_hex)). `Display` and `FromStr`
/// use that display (reversed) form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash256([u8; 32]);

impl Hash256 {
    /// Wraps 32 bytes in internal byte order (as output by SHA-256).
    pub const fn new(bytes: [u8; 32]) -> Self {
        Hash256(bytes)
    }

    /// The bytes in internal byte order.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash as a big-endian 256-bit number, i.e. the bytes reversed.
    pub fn to_be_bytes(&self) -> [u8; 32] {
        let mut b = self.0;
        b.reverse();
        b
    }

    /// Hex of the bytes in internal byte order (64 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Hex of the byte-reversed hash, as block explorers show block hashes.
    pub fn to_display_hex(&self) -> String {
        hex::encode(self.to_be_bytes())
    }

    /// Parses the display (byte-reversed) form produced by
    /// [`to_display_hex`](Self::to_display_hex); whitespace is trimmed.
    pub fn from_display_hex(s: &str) -> Result<Self, HashError> {
        let mut b = decode_fixed::<32>(s)?;
        b.reverse();
        Ok(Hash256(b))
    }

    /// The most significant 32 bits of the hash read as a little-endian
    /// 256-bit integer: `u32::from_le_bytes(bytes[28..32])`.
    ///
    /// This is the word the gateware compares against [`Work::threshold`](crate::Work::threshold).
    pub fn top_word(&self) -> u32 {
        let b = &self.0;
        u32::from_le_bytes([b[28], b[29], b[30], b[31]])
    }

    /// Whether the hash, as a little-endian 256-bit integer, is `<= target`
    /// (Bitcoin's proof-of-work rule).
    pub fn meets_target(&self, target: &Target) -> bool {
        self.to_be_bytes() <= *target.as_be_bytes()
    }
}

impl BlockHeader {
    /// The block hash: [`sha256d`] of the 80 header bytes.
    pub fn block_hash(&self) -> Hash256 {
        Hash256(sha256d(self.as_bytes()))
    }
}

impl From<[u8; 32]> for Hash256 {
    fn from(bytes: [u8; 32]) -> Self {
        Hash256(bytes)
    }
}

impl AsRef<[u8]> for Hash256 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for Hash256 {
    type Err = HashError;

    /// Parses the display (byte-reversed) form.
    fn from_str(s: &str) -> Result<Self, HashError> {
        Hash256::from_display_hex(s)
    }
}

impl fmt::Display for Hash256 {
    /// Writes the display (byte-reversed) hex form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display_hex())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({})", self.to_display_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{bits_of, blocks};

    #[test]
    fn sha256d_of_empty_input() {
        // Independent fact: SHA-256(SHA-256("")).
        assert_eq!(
            hex::encode(sha256d(b"")),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }

    #[test]
    fn block_hashes_match_vectors() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            let hash = h.block_hash();
            assert_eq!(hash.to_display_hex(), v.hash, "{}", v.name);
            assert_eq!(hash.to_string(), v.hash, "{}", v.name);
            assert_eq!(v.hash.parse::<Hash256>().unwrap(), hash, "{}", v.name);
        }
    }

    #[test]
    fn every_header_meets_its_own_target() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            let target = Target::from_compact(bits_of(&v)).unwrap();
            let hash = h.block_hash();
            assert!(hash.meets_target(&target), "{}", v.name);
            assert!(hash.top_word() <= target.top_word(), "{}", v.name);
        }
    }

    #[test]
    fn top_word_is_the_first_eight_display_hex_digits() {
        for v in blocks() {
            let hash = BlockHeader::from_hex(&v.header).unwrap().block_hash();
            let expected = u32::from_str_radix(&v.hash[..8], 16).unwrap();
            assert_eq!(hash.top_word(), expected, "{}", v.name);
        }
    }

    #[test]
    fn meets_target_boundaries() {
        // A hash equal to the target meets it; one more does not.
        let mut be = [0u8; 32];
        be[4] = 0x12;
        be[31] = 0x34;
        let target = Target::from_be_bytes(be);
        let mut le = be;
        le.reverse();
        assert!(Hash256::new(le).meets_target(&target));
        le[0] += 1;
        assert!(!Hash256::new(le).meets_target(&target));
        le[0] -= 2;
        assert!(Hash256::new(le).meets_target(&target));
        assert!(Hash256::new([0xff; 32]).meets_target(&Target::MAX));
    }

    #[test]
    fn display_hex_errors() {
        assert_eq!(
            Hash256::from_display_hex("00"),
            Err(HashError::HexLength { got: 2 })
        );
        let bad = format!("{}z", "0".repeat(63));
        assert_eq!(
            bad.parse::<Hash256>(),
            Err(HashError::InvalidHexChar {
                position: 63,
                ch: 'z'
            })
        );
    }
}
