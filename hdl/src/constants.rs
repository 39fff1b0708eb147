//! SHA-256 constants used by the gateware and by its software models.
//!
//! Everything here is plain data from FIPS 180-4, plus the Bitcoin-specific
//! padding words of the two blocks the mining core hashes.

/// The 64 SHA-256 round constants `K[t]` (FIPS 180-4, section 4.2.2).
pub const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The SHA-256 initial hash value `H(0)` (FIPS 180-4, section 5.3.3).
pub const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Message words 4..=15 of the header's second 64-byte block.
///
/// The block holds the 12-byte tail (words 0..=2), the nonce (word 3), then
/// the SHA-256 padding of an 80-byte message: a `1` bit, zeros, and the
/// length 640 bits. These are constants, folded into the schedule.
pub const BLOCK2_PADDING: [u32; 12] = [0x8000_0000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 640];

/// Message words 8..=15 of the second SHA-256, whose message is the 32-byte
/// digest of the first: a `1` bit, zeros, and the length 256 bits.
pub const DIGEST_PADDING: [u32; 8] = [0x8000_0000, 0, 0, 0, 0, 0, 0, 256];

/// Rounds of the second SHA-256 that the core must run.
///
/// Only the hash's most significant word, `H7 = IV[7] + h64`, is compared,
/// and `h64 = g63 = f62 = e61`, so everything after round 61 is skipped.
pub const SECOND_HASH_ROUNDS: usize = 61;

#[cfg(test)]
mod tests {
    use super::*;

    /// K[t] is the first 32 bits of the fractional part of the cube root of
    /// the t-th prime; IV[i] the same for the square root of the i-th prime.
    /// Computed here with integer arithmetic, independently of the tables.
    #[test]
    fn tables_match_their_definition() {
        let primes: Vec<u64> = (2u64..)
            .filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| n % d != 0))
            .take(64)
            .collect();
        // floor(root(p) * 2^32) mod 2^32, by bisection on integers.
        let frac_root = |p: u64, cube: bool| -> u32 {
            let scale: u128 = 1 << 32;
            let target: u128 = if cube {
                p as u128 * scale * scale * scale
            } else {
                p as u128 * scale * scale
            };
            let (mut lo, mut hi) = (0u128, 1u128 << 40);
            while lo + 1 < hi {
                let mid = (lo + hi) / 2;
                let v = if cube { mid * mid * mid } else { mid * mid };
                if v <= target {
                    lo = mid
                } else {
                    hi = mid
                }
            }
            lo as u32
        };
        for (t, p) in primes.iter().enumerate() {
            assert_eq!(K[t], frac_root(*p, true), "K[{t}]");
        }
        for (i, p) in primes.iter().take(8).enumerate() {
            assert_eq!(IV[i], frac_root(*p, false), "IV[{i}]");
        }
    }
}
