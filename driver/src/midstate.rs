//! The midstate/tail split of a block header, as consumed by the gateware.
//!
//! SHA-256 hashes the 80-byte header in two 64-byte blocks. The first block
//! (header bytes 0..64) does not depend on the nonce, so the host compresses
//! it once into the [`Midstate`]. The second block holds the remaining 16
//! header bytes, 64..80: the [`Tail`] (bytes 64..76) followed by the nonce
//! (bytes 76..80), then SHA-256 padding. The hardware only has to run the
//! second compression plus one more SHA-256 per nonce.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

use crate::hash::Hash256;
use crate::header::BlockHeader;

/// The standard SHA-256 initial hash value (FIPS 180-4, section 5.3.3).
pub const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Length in bits of the 80-byte header, as written in the SHA-256 padding.
const HEADER_BITS: u32 = 80 * 8;

/// Converts a header nonce to the SHA-256 message word that carries it.
///
/// The header stores the nonce little-endian (bytes 76..80) but SHA-256
/// reads message words big-endian, so word 3 of the second block is the
/// byte-swapped nonce.
pub const fn nonce_word(nonce: u32) -> u32 {
    nonce.swap_bytes()
}

/// The SHA-256 state after compressing header bytes 0..64 from [`SHA256_IV`].
///
/// Words are SHA-256 state words `a..h` (`H0..H7`); as bytes the state is
/// the eight words big-endian, concatenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Midstate(pub [u32; 8]);

impl Midstate {
    /// Compresses the header's first 64 bytes with `sha2::compress256`.
    pub fn from_header(header: &BlockHeader) -> Midstate {
        let mut state = SHA256_IV;
        let block = GenericArray::clone_from_slice(&header.as_bytes()[..64]);
        sha2::compress256(&mut state, &[block]);
        Midstate(state)
    }

    /// The eight state words.
    pub const fn words(&self) -> &[u32; 8] {
        &self.0
    }

    /// The state as 32 bytes: each word big-endian, in order.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// [`to_bytes`](Self::to_bytes) as 64 lower-case hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Software model of the gateware datapath: finishes the first SHA-256
    /// with the padded second block (`tail`, `nonce`), then hashes the
    /// 32-byte digest again with SHA-256.
    ///
    /// For a midstate and tail taken from `header`, this equals
    /// `header.with_nonce(nonce).block_hash()`.
    pub fn finish(&self, tail: &Tail, nonce: u32) -> Hash256 {
        let mut words = [0u32; 16];
        words[..3].copy_from_slice(&tail.0);
        words[3] = nonce_word(nonce);
        words[4] = 0x8000_0000; // the '1' padding bit
        words[15] = HEADER_BITS; // message length; words 5..15 stay zero
        let mut block = GenericArray::default();
        for (chunk, word) in block.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        let mut state = self.0;
        sha2::compress256(&mut state, &[block]);
        let first = Midstate(state).to_bytes();
        Hash256::new(Sha256::digest(first).into())
    }
}

/// Header bytes 64..76 (the last 4 bytes of the merkle root, the time and
/// the bits) as three **big-endian** `u32` words.
///
/// Big-endian because that is how SHA-256 reads message words: these are
/// words 0..3 of the second SHA-256 block. Note that this means `tail[1]`
/// and `tail[2]` are the byte-swapped `time` and `bits` fields, not their
/// integer values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tail(pub [u32; 3]);

impl Tail {
    /// Reads header bytes 64..76 as three big-endian words.
    pub fn from_header(header: &BlockHeader) -> Tail {
        let b = header.as_bytes();
        let word = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        Tail([word(64), word(68), word(72)])
    }

    /// The three message words.
    pub const fn words(&self) -> &[u32; 3] {
        &self.0
    }

    /// The words as 12 bytes, big-endian (equal to header bytes 64..76).
    pub fn to_bytes(&self) -> [u8; 12] {
        let mut out = [0u8; 12];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.0) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// [`to_bytes`](Self::to_bytes) as 24 lower-case hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{block, blocks};

    fn header(name: &str) -> BlockHeader {
        BlockHeader::from_hex(&block(name).header).unwrap()
    }

    /// Finishes the hash by hand: second block = header bytes 64..80,
    /// 0x80, zeros, 64-bit big-endian bit length 640; then SHA-256 again.
    fn finish_by_hand(midstate: &Midstate, header_bytes: &[u8; 80]) -> [u8; 32] {
        let mut block = [0u8; 64];
        block[..16].copy_from_slice(&header_bytes[64..]);
        block[16] = 0x80;
        block[56..].copy_from_slice(&640u64.to_be_bytes());
        let mut state = midstate.0;
        sha2::compress256(&mut state, &[GenericArray::clone_from_slice(&block)]);
        let mut first = [0u8; 32];
        for (i, w) in state.iter().enumerate() {
            first[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        Sha256::digest(first).into()
    }

    #[test]
    fn midstate_plus_second_block_reproduces_block_hash() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            let mut hash = finish_by_hand(&Midstate::from_header(&h), h.as_bytes());
            hash.reverse();
            assert_eq!(hex::encode(hash), v.hash, "{}", v.name);
        }
    }

    #[test]
    fn finish_matches_vectors_and_other_nonces() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            let (m, t) = (Midstate::from_header(&h), Tail::from_header(&h));
            assert_eq!(m.finish(&t, v.nonce).to_display_hex(), v.hash, "{}", v.name);
            for nonce in [0, 1, 0x1234_5678, u32::MAX] {
                let other = h.with_nonce(nonce);
                let mut expected = finish_by_hand(&m, other.as_bytes());
                expected.reverse();
                assert_eq!(m.finish(&t, nonce).to_display_hex(), hex::encode(expected));
            }
        }
    }

    #[test]
    fn midstate_ignores_the_tail_and_nonce() {
        let h = header("mainnet-0");
        let mut bytes = *h.as_bytes();
        bytes[64..].fill(0xaa);
        assert_eq!(
            Midstate::from_header(&h),
            Midstate::from_header(&BlockHeader::new(bytes))
        );
        bytes[63] ^= 1;
        assert_ne!(
            Midstate::from_header(&h),
            Midstate::from_header(&BlockHeader::new(bytes))
        );
    }

    #[test]
    fn genesis_tail_words() {
        let t = Tail::from_header(&header("mainnet-0"));
        assert_eq!(t.0, [0x4b1e_5e4a, 0x29ab_5f49, 0xffff_001d]);
        assert_eq!(t.to_hex(), "4b1e5e4a29ab5f49ffff001d");
    }

    #[test]
    fn tail_bytes_are_header_bytes_64_to_76() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            assert_eq!(&Tail::from_header(&h).to_bytes()[..], &h.as_bytes()[64..76]);
            assert_eq!(Tail::from_header(&h).to_hex(), v.header[128..152]);
        }
    }

    #[test]
    fn midstate_hex_is_big_endian_words() {
        let m = Midstate::from_header(&header("mainnet-1"));
        let hex = m.to_hex();
        assert_eq!(hex.len(), 64);
        for (i, w) in m.words().iter().enumerate() {
            assert_eq!(hex[8 * i..8 * i + 8], format!("{w:08x}"));
        }
    }

    #[test]
    fn nonce_word_is_byte_swapped() {
        assert_eq!(nonce_word(0x7c2b_ac1d), 0x1dac_2b7c);
    }
}
