//! The 80-byte Bitcoin block header, in wire order.

use std::fmt;
use std::str::FromStr;

use crate::hash::Hash256;
use crate::hexparse::{decode_fixed, HexProblem};
use crate::target::{Target, TargetError};

/// Length of a block header in bytes.
pub const HEADER_LEN: usize = 80;

/// Length of a block header in hex characters.
pub const HEADER_HEX_LEN: usize = 2 * HEADER_LEN;

const VERSION_AT: usize = 0;
const PREV_HASH_AT: usize = 4;
const MERKLE_ROOT_AT: usize = 36;
const TIME_AT: usize = 68;
const BITS_AT: usize = 72;
const NONCE_AT: usize = 76;

/// Why a block header could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The hex string (after trimming whitespace) has the wrong length.
    #[error(
        "block header hex must be {HEADER_HEX_LEN} hex characters ({HEADER_LEN} bytes), \
         got {got} characters"
    )]
    HexLength {
        /// Number of characters in the trimmed input.
        got: usize,
    },
    /// The hex string contains a character that is not a hex digit.
    #[error("invalid hex character {ch:?} at position {position} (0-based) of block header hex")]
    InvalidHexChar {
        /// 0-based character index in the trimmed input.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// A byte slice of the wrong length was given.
    #[error("block header must be {HEADER_LEN} bytes, got {got} bytes")]
    ByteLength {
        /// Number of bytes given.
        got: usize,
    },
}

impl From<HexProblem> for HeaderError {
    fn from(p: HexProblem) -> Self {
        match p {
            HexProblem::Length { got } => HeaderError::HexLength { got },
            HexProblem::Char { position, ch } => HeaderError::InvalidHexChar { position, ch },
        }
    }
}

/// An 80-byte Bitcoin block header, stored exactly as serialised on the wire.
///
/// Layout (all integers little-endian, hashes in internal byte order):
///
/// | bytes   | field         |
/// |---------|---------------|
/// | 0..4    | version       |
/// | 4..36   | previous hash |
/// | 36..68  | merkle root   |
/// | 68..72  | time          |
/// | 72..76  | bits (nBits)  |
/// | 76..80  | nonce         |
///
/// `Display` and `FromStr` use the 160-character hex form of these bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockHeader([u8; HEADER_LEN]);

impl BlockHeader {
    /// Wraps 80 header bytes in wire order.
    pub const fn new(bytes: [u8; HEADER_LEN]) -> Self {
        BlockHeader(bytes)
    }

    /// Builds a header from a byte slice, which must be exactly 80 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeaderError> {
        <[u8; HEADER_LEN]>::try_from(bytes)
            .map(BlockHeader)
            .map_err(|_| HeaderError::ByteLength { got: bytes.len() })
    }

    /// Parses 160 hex characters (upper or lower case) in wire order.
    ///
    /// Surrounding whitespace is ignored. The length is checked first, then
    /// each character; errors report the length found or the 0-based
    /// position of the first non-hex character.
    pub fn from_hex(s: &str) -> Result<Self, HeaderError> {
        Ok(BlockHeader(decode_fixed::<HEADER_LEN>(s)?))
    }

    /// The 80 header bytes in wire order.
    pub const fn as_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.0
    }

    /// The header as 160 lower-case hex characters in wire order.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn le_u32(&self, at: usize) -> u32 {
        let b = &self.0;
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn hash_at(&self, at: usize) -> Hash256 {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0[at..at + 32]);
        Hash256::new(out)
    }

    /// Block version (bytes 0..4, little-endian), as an unsigned integer.
    pub fn version(&self) -> u32 {
        self.le_u32(VERSION_AT)
    }

    /// Hash of the previous block (bytes 4..36, internal byte order).
    pub fn prev_hash(&self) -> Hash256 {
        self.hash_at(PREV_HASH_AT)
    }

    /// Merkle root of the block's transactions (bytes 36..68, internal byte order).
    pub fn merkle_root(&self) -> Hash256 {
        self.hash_at(MERKLE_ROOT_AT)
    }

    /// Block timestamp in Unix seconds (bytes 68..72, little-endian).
    pub fn time(&self) -> u32 {
        self.le_u32(TIME_AT)
    }

    /// Compact target, nBits (bytes 72..76, little-endian).
    pub fn bits(&self) -> u32 {
        self.le_u32(BITS_AT)
    }

    /// Nonce (bytes 76..80, little-endian).
    pub fn nonce(&self) -> u32 {
        self.le_u32(NONCE_AT)
    }

    /// A copy of this header with the nonce replaced.
    #[must_use]
    pub fn with_nonce(mut self, nonce: u32) -> BlockHeader {
        self.0[NONCE_AT..].copy_from_slice(&nonce.to_le_bytes());
        self
    }

    /// The target encoded by [`bits`](Self::bits), see [`Target::from_compact`].
    pub fn target(&self) -> Result<Target, TargetError> {
        Target::from_compact(self.bits())
    }
}

impl From<[u8; HEADER_LEN]> for BlockHeader {
    fn from(bytes: [u8; HEADER_LEN]) -> Self {
        BlockHeader(bytes)
    }
}

impl TryFrom<&[u8]> for BlockHeader {
    type Error = HeaderError;

    fn try_from(bytes: &[u8]) -> Result<Self, HeaderError> {
        BlockHeader::from_bytes(bytes)
    }
}

impl AsRef<[u8]> for BlockHeader {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for BlockHeader {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Self, HeaderError> {
        BlockHeader::from_hex(s)
    }
}

impl fmt::Display for BlockHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlockHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockHeader({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{bits_of, block, blocks};

    #[test]
    fn fields_match_vectors() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            assert_eq!(h.nonce(), v.nonce, "{}", v.name);
            assert_eq!(h.bits(), bits_of(&v), "{}", v.name);
            assert_eq!(h.to_hex(), v.header.to_lowercase(), "{}", v.name);
            assert_eq!(h.to_string(), h.to_hex());
            assert_eq!(v.header.parse::<BlockHeader>().unwrap(), h);
            assert_eq!(BlockHeader::from_bytes(h.as_bytes()).unwrap(), h);
        }
    }

    #[test]
    fn genesis_fields() {
        let h = BlockHeader::from_hex(&block("mainnet-0").header).unwrap();
        assert_eq!(h.version(), 1);
        assert_eq!(h.prev_hash().as_bytes(), &[0u8; 32]);
        // Well-known genesis merkle root and timestamp (2009-01-03 18:15:05 UTC).
        assert_eq!(
            h.merkle_root().to_display_hex(),
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
        );
        assert_eq!(h.time(), 1_231_006_505);
    }

    #[test]
    fn block1_links_to_genesis() {
        let h = BlockHeader::from_hex(&block("mainnet-1").header).unwrap();
        assert_eq!(h.prev_hash().to_display_hex(), block("mainnet-0").hash);
    }

    #[test]
    fn trims_whitespace_and_accepts_upper_case() {
        let v = block("mainnet-0");
        let padded = format!("  \t{}\r\n", v.header.to_uppercase());
        assert_eq!(
            BlockHeader::from_hex(&padded).unwrap(),
            BlockHeader::from_hex(&v.header).unwrap()
        );
    }

    #[test]
    fn with_nonce_changes_only_the_nonce() {
        let h = BlockHeader::from_hex(&block("mainnet-0").header).unwrap();
        let g = h.with_nonce(0x0102_0304);
        assert_eq!(g.nonce(), 0x0102_0304);
        assert_eq!(&g.as_bytes()[76..], &[4, 3, 2, 1]);
        assert_eq!(&g.as_bytes()[..76], &h.as_bytes()[..76]);
        assert_eq!(g.with_nonce(h.nonce()), h);
    }

    #[test]
    fn wrong_hex_length() {
        let v = block("mainnet-0");
        let short = &v.header[..158];
        let err = BlockHeader::from_hex(short).unwrap_err();
        assert_eq!(err, HeaderError::HexLength { got: 158 });
        let msg = err.to_string();
        assert!(
            msg.contains("160") && msg.contains("80 bytes") && msg.contains("158"),
            "{msg}"
        );
        assert_eq!(
            BlockHeader::from_hex(&format!("{}0", v.header)),
            Err(HeaderError::HexLength { got: 161 })
        );
        assert_eq!(
            BlockHeader::from_hex("   "),
            Err(HeaderError::HexLength { got: 0 })
        );
    }

    #[test]
    fn bad_hex_character() {
        let v = block("mainnet-0");
        let mut s = v.header.clone();
        s.replace_range(10..11, "g");
        let err = BlockHeader::from_hex(&s).unwrap_err();
        assert_eq!(
            err,
            HeaderError::InvalidHexChar {
                position: 10,
                ch: 'g'
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("'g'") && msg.contains("10"), "{msg}");
    }

    #[test]
    fn wrong_byte_length() {
        let err = BlockHeader::from_bytes(&[0u8; 79]).unwrap_err();
        assert_eq!(err, HeaderError::ByteLength { got: 79 });
        assert!(err.to_string().contains("80 bytes"));
        assert!(BlockHeader::try_from(&[0u8; 81][..]).is_err());
    }
}
