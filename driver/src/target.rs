//! 256-bit proof-of-work targets: compact nBits, difficulty and comparison.

use std::fmt;
use std::str::FromStr;

use crate::hexparse::{decode_fixed, HexProblem};

/// The sign bit of a compact target.
const COMPACT_SIGN_BIT: u32 = 0x0080_0000;
/// The 23-bit mantissa of a compact target.
const COMPACT_MANTISSA: u32 = 0x007f_ffff;

/// Why a target could not be built.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum TargetError {
    /// The compact target has the sign bit (0x00800000) set.
    #[error("compact target {bits:#010x} has the sign bit (0x00800000) set")]
    Negative {
        /// The rejected nBits.
        bits: u32,
    },
    /// The compact target does not fit in 256 bits.
    #[error("compact target {bits:#010x} overflows 256 bits")]
    Overflow {
        /// The rejected nBits.
        bits: u32,
    },
    /// The compact target expands to zero, which no hash can meet.
    #[error("compact target {bits:#010x} expands to zero")]
    Zero {
        /// The rejected nBits.
        bits: u32,
    },
    /// The difficulty is NaN, infinite, zero or negative.
    #[error("difficulty must be finite and greater than 0, got {0}")]
    InvalidDifficulty(f64),
    /// The difficulty is so high that the target would round down to zero.
    #[error("difficulty {0} is too high: the target would be zero")]
    DifficultyTooHigh(f64),
    /// The target hex string (after trimming whitespace) is not 64 characters long.
    #[error("target hex must be 64 hex characters (32 bytes), got {got} characters")]
    HexLength {
        /// Number of characters in the trimmed input.
        got: usize,
    },
    /// The target hex string contains a character that is not a hex digit.
    #[error("invalid hex character {ch:?} at position {position} (0-based) of target hex")]
    InvalidHexChar {
        /// 0-based character index in the trimmed input.
        position: usize,
        /// The offending character.
        ch: char,
    },
}

impl From<HexProblem> for TargetError {
    fn from(p: HexProblem) -> Self {
        match p {
            HexProblem::Length { got } => TargetError::HexLength { got },
            HexProblem::Char { position, ch } => TargetError::InvalidHexChar { position, ch },
        }
    }
}

/// A 256-bit unsigned target, stored as 32 **big-endian** bytes
/// (`bytes[0]` is the most significant).
///
/// A hash meets the target when the hash, read as a little-endian 256-bit
/// integer, is `<=` the target (see [`Hash256::meets_target`](crate::Hash256::meets_target)).
/// `Ord` is numeric order. `Display`/`FromStr` use 64 big-endian hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target([u8; 32]);

impl Target {
    /// The largest target, 2^256 - 1 (every hash meets it).
    pub const MAX: Target = Target([0xff; 32]);

    /// The difficulty-1 target, `0x00000000ffff0000…0` (= compact 0x1d00ffff).
    pub const DIFF1: Target = {
        let mut b = [0u8; 32];
        b[4] = 0xff;
        b[5] = 0xff;
        Target(b)
    };

    /// Wraps 32 big-endian bytes.
    pub const fn from_be_bytes(bytes: [u8; 32]) -> Self {
        Target(bytes)
    }

    /// The target as 32 big-endian bytes.
    pub const fn as_be_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Expands a compact target (Bitcoin nBits).
    ///
    /// `bits = exponent << 24 | sign << 23 | mantissa` and the value is
    /// `mantissa * 256^(exponent - 3)`. For `exponent <= 3` the mantissa is
    /// shifted right by `8 * (3 - exponent)` bits, dropping its low bytes
    /// (as Bitcoin Core does), so e.g. `0x01123456` is `0x12` and exponent 0
    /// always gives zero.
    ///
    /// Errors: [`Negative`](TargetError::Negative) whenever the sign bit is
    /// set (stricter than Bitcoin Core, which ignores the sign bit when the
    /// mantissa is zero); [`Overflow`](TargetError::Overflow) when a non-zero
    /// mantissa byte would land above bit 255; [`Zero`](TargetError::Zero)
    /// when the value is zero.
    pub fn from_compact(bits: u32) -> Result<Target, TargetError> {
        if bits & COMPACT_SIGN_BIT != 0 {
            return Err(TargetError::Negative { bits });
        }
        let exponent = (bits >> 24) as usize;
        let mantissa = bits & COMPACT_MANTISSA;
        let mut out = [0u8; 32];
        if exponent <= 3 {
            let value = mantissa >> (8 * (3 - exponent));
            out[28..].copy_from_slice(&value.to_be_bytes());
        } else {
            // Mantissa bytes, most significant first, have weights
            // 256^(exponent-1), 256^(exponent-2), 256^(exponent-3).
            for (i, &byte) in mantissa.to_be_bytes()[1..].iter().enumerate() {
                if byte == 0 {
                    continue;
                }
                let weight = exponent - 1 - i;
                if weight > 31 {
                    return Err(TargetError::Overflow { bits });
                }
                out[31 - weight] = byte;
            }
        }
        if out == [0u8; 32] {
            return Err(TargetError::Zero { bits });
        }
        Ok(Target(out))
    }

    /// Encodes the target as compact nBits, normalised as Bitcoin Core does
    /// (precision beyond the 3 mantissa bytes is truncated; zero gives 0).
    pub fn to_compact(&self) -> u32 {
        let Some(first) = self.0.iter().position(|&b| b != 0) else {
            return 0;
        };
        let mut size = 32 - first;
        let mut mantissa = if size <= 3 {
            let b = &self.0;
            u32::from_be_bytes([0, b[29], b[30], b[31]]) << (8 * (3 - size))
        } else {
            let b = &self.0;
            u32::from_be_bytes([0, b[first], b[first + 1], b[first + 2]])
        };
        if mantissa & COMPACT_SIGN_BIT != 0 {
            mantissa >>= 8;
            size += 1;
        }
        // size <= 33, so it fits in the exponent byte.
        mantissa | ((size as u32) << 24)
    }

    /// The most significant 32 bits of the target (`bytes[0..4]`, big-endian).
    pub fn top_word(&self) -> u32 {
        let b = &self.0;
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The target as a floating-point number (nearest `f64`, up to
    /// truncation below the top 128 significant bits).
    pub fn to_f64(&self) -> f64 {
        let Some(first) = self.0.iter().position(|&b| b != 0) else {
            return 0.0;
        };
        let end = (first + 16).min(32);
        let mut chunk = [0u8; 16];
        chunk[..end - first].copy_from_slice(&self.0[first..end]);
        // value ~= chunk * 256^(16 - first); the scale is an exact power of two.
        let scale_bits = 8 * (16 - first as i32);
        u128::from_be_bytes(chunk) as f64 * 2f64.powi(scale_bits)
    }

    /// Difficulty: the [`DIFF1`](Self::DIFF1) target divided by this target.
    ///
    /// Compact 0x1d00ffff gives exactly 1.0. A zero target gives `+inf`.
    pub fn difficulty(&self) -> f64 {
        Target::DIFF1.to_f64() / self.to_f64()
    }

    /// The target for a (pool share) difficulty: `floor(DIFF1 / difficulty)`,
    /// computed exactly for the exact value of `difficulty`.
    ///
    /// Difficulties below 1 give targets above `DIFF1` (0.5 gives twice
    /// `DIFF1`); results above 2^256 - 1 are clamped to [`MAX`](Self::MAX).
    ///
    /// Errors: [`InvalidDifficulty`](TargetError::InvalidDifficulty) for NaN,
    /// infinities, zero and negative values;
    /// [`DifficultyTooHigh`](TargetError::DifficultyTooHigh) when the target
    /// would be zero (difficulty above `DIFF1`, about 2.7e67).
    pub fn from_difficulty(difficulty: f64) -> Result<Target, TargetError> {
        if !difficulty.is_finite() || difficulty <= 0.0 {
            return Err(TargetError::InvalidDifficulty(difficulty));
        }
        // difficulty = m * 2^e exactly, with m odd.
        let raw = difficulty.to_bits();
        let biased = ((raw >> 52) & 0x7ff) as i32;
        let fraction = raw & ((1u64 << 52) - 1);
        let (m, e) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), biased - 1075)
        };
        let tz = m.trailing_zeros();
        let (m, e) = (m >> tz, e + tz as i32);
        // DIFF1 = 0xffff * 2^208, so the quotient is floor(0xffff * 2^k / m).
        let k = 208 - e;
        let too_high = TargetError::DifficultyTooHigh(difficulty);
        if k < 0 {
            // Divisor m * 2^-k >= 2^16 > 0xffff gives zero.
            if k <= -16 {
                return Err(too_high);
            }
            let q = 0xffff_u128 / (u128::from(m) << (-k));
            if q == 0 {
                return Err(too_high);
            }
            let mut out = [0u8; 32];
            out[16..].copy_from_slice(&q.to_be_bytes());
            return Ok(Target(out));
        }
        // quotient > 2^(15 + k) / 2^53, which is >= 2^256 once k >= 294.
        if k >= 294 {
            return Ok(Target::MAX);
        }
        // Numerator 0xffff << k in six 64-bit limbs, least significant first.
        let k = k as usize;
        let mut num = [0u64; 6];
        let v = 0xffff_u128 << (k % 64);
        num[k / 64] = v as u64;
        if let Some(limb) = num.get_mut(k / 64 + 1) {
            *limb = (v >> 64) as u64;
        }
        // Schoolbook division by the single limb m, most significant first.
        let divisor = u128::from(m);
        let mut quotient = [0u64; 6];
        let mut rem = 0u128;
        for i in (0..6).rev() {
            let cur = (rem << 64) | u128::from(num[i]);
            quotient[i] = (cur / divisor) as u64;
            rem = cur % divisor;
        }
        if quotient[4] != 0 || quotient[5] != 0 {
            return Ok(Target::MAX);
        }
        if quotient[..4].iter().all(|&l| l == 0) {
            return Err(too_high);
        }
        let mut out = [0u8; 32];
        for (i, limb) in quotient[..4].iter().enumerate() {
            let at = 32 - 8 * (i + 1);
            out[at..at + 8].copy_from_slice(&limb.to_be_bytes());
        }
        Ok(Target(out))
    }

    /// The target as 64 lower-case big-endian hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 big-endian hex characters; whitespace is trimmed.
    pub fn from_hex(s: &str) -> Result<Target, TargetError> {
        Ok(Target(decode_fixed::<32>(s)?))
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, TargetError> {
        Target::from_hex(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{bits_of, block, blocks};

    fn hex_target(s: &str) -> Target {
        Target::from_hex(s).unwrap()
    }

    #[test]
    fn genesis_target_is_diff1() {
        let t = Target::from_compact(0x1d00_ffff).unwrap();
        assert_eq!(
            t.to_hex(),
            "00000000ffff0000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(t, Target::DIFF1);
        assert_eq!(t.top_word(), 0);
        assert_eq!(t.difficulty(), 1.0);
    }

    #[test]
    fn block_100000_difficulty() {
        let v = block("mainnet-100000");
        let t = Target::from_compact(bits_of(&v)).unwrap();
        assert!(
            (t.difficulty() - 14484.1623612254).abs() < 1e-9,
            "{}",
            t.difficulty()
        );
        // Independent fact: mantissa 0x04864c shifted by 8 * (0x1b - 3) bits.
        assert_eq!(
            t.to_hex(),
            format!("{}04864c{}", "0".repeat(10), "0".repeat(48))
        );
        assert_eq!(t.top_word(), 0);
    }

    #[test]
    fn regtest_target() {
        let t = Target::from_compact(0x207f_ffff).unwrap();
        assert_eq!(t.to_hex(), format!("7fffff{}", "0".repeat(58)));
        assert_eq!(t.top_word(), 0x7fff_ff00);
    }

    #[test]
    fn compact_round_trips_for_vectors() {
        for v in blocks() {
            let bits = bits_of(&v);
            assert_eq!(
                Target::from_compact(bits).unwrap().to_compact(),
                bits,
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn compact_small_exponents() {
        assert_eq!(
            Target::from_compact(0x0312_3456).unwrap().to_compact(),
            0x0312_3456
        );
        assert_eq!(
            Target::from_compact(0x0212_3456).unwrap(),
            hex_target(&format!("{}1234", "0".repeat(60)))
        );
        assert_eq!(
            Target::from_compact(0x0112_3456).unwrap(),
            hex_target(&format!("{}12", "0".repeat(62)))
        );
        assert_eq!(
            Target::from_compact(0x0012_3456),
            Err(TargetError::Zero { bits: 0x0012_3456 })
        );
        // 0x80 needs a leading zero byte in the mantissa to avoid the sign bit.
        let t = hex_target(&format!("{}80", "0".repeat(62)));
        assert_eq!(t.to_compact(), 0x0200_8000);
        assert_eq!(Target::from_compact(0x0200_8000).unwrap(), t);
    }

    #[test]
    fn compact_errors() {
        assert_eq!(
            Target::from_compact(0x1d80_ffff),
            Err(TargetError::Negative { bits: 0x1d80_ffff })
        );
        assert_eq!(
            Target::from_compact(0x0180_0000),
            Err(TargetError::Negative { bits: 0x0180_0000 })
        );
        assert!(Target::from_compact(0x1d80_ffff)
            .unwrap_err()
            .to_string()
            .contains("sign bit"));
        assert_eq!(Target::from_compact(0), Err(TargetError::Zero { bits: 0 }));
        assert_eq!(
            Target::from_compact(0x2300_0001),
            Err(TargetError::Overflow { bits: 0x2300_0001 })
        );
        assert_eq!(
            Target::from_compact(0x2200_0100),
            Err(TargetError::Overflow { bits: 0x2200_0100 })
        );
        assert_eq!(
            Target::from_compact(0x2101_0000),
            Err(TargetError::Overflow { bits: 0x2101_0000 })
        );
        assert_eq!(
            Target::from_compact(0xff00_0000),
            Err(TargetError::Zero { bits: 0xff00_0000 })
        );
        // Largest values that still fit.
        assert_eq!(
            Target::from_compact(0x2200_0001).unwrap().top_word(),
            0x0100_0000
        );
        assert_eq!(
            Target::from_compact(0x2100_ffff).unwrap().top_word(),
            0xffff_0000
        );
        assert_eq!(
            Target::from_compact(0x2000_ffff).unwrap().top_word(),
            0x00ff_ff00
        );
    }

    #[test]
    fn ordering_is_numeric() {
        let easy = Target::from_compact(0x207f_ffff).unwrap();
        let one = Target::from_compact(0x1d00_ffff).unwrap();
        let hard = Target::from_compact(0x1b04_864c).unwrap();
        assert!(hard < one && one < easy && easy < Target::MAX);
        assert!(Target::from_compact(0x0100_0001).is_err());
        assert!(Target::from_compact(0x0101_0000).unwrap() < hard);
    }

    #[test]
    fn from_difficulty_exact_values() {
        assert_eq!(Target::from_difficulty(1.0).unwrap(), Target::DIFF1);
        // 0.5 doubles DIFF1: 0x1fffe * 2^208.
        assert_eq!(
            Target::from_difficulty(0.5).unwrap(),
            Target::from_compact(0x1d01_fffe).unwrap()
        );
        // 0xffff = 3 * 0x5555.
        assert_eq!(
            Target::from_difficulty(3.0).unwrap(),
            Target::from_compact(0x1d00_5555).unwrap()
        );
        assert_eq!(
            Target::from_difficulty(65536.0).unwrap(),
            Target::from_compact(0x1b00_ffff).unwrap()
        );
        // 2^-32 still fits: 0xffff * 2^240.
        assert_eq!(
            Target::from_difficulty(2f64.powi(-32)).unwrap(),
            Target::from_compact(0x2100_ffff).unwrap()
        );
        // DIFF1 itself as the difficulty gives target 1.
        let one = Target::from_difficulty(Target::DIFF1.to_f64()).unwrap();
        assert_eq!(one, hex_target(&format!("{}01", "0".repeat(62))));
        assert_eq!(one.difficulty(), Target::DIFF1.to_f64());
    }

    #[test]
    fn from_difficulty_floors() {
        // floor(0xffff * 2^208 / 7): 0xffff = 7 * 0x2492 + 1, then the
        // remainder 1 * 2^208 / 7 contributes 0x249249... below.
        let t = Target::from_difficulty(7.0).unwrap();
        assert_eq!(&t.to_hex()[..12], "000000002492");
        assert!(t.to_hex()[12..].chars().all(|c| "249".contains(c)));
    }

    #[test]
    fn from_difficulty_clamps_to_max() {
        assert_eq!(
            Target::from_difficulty(2f64.powi(-33)).unwrap(),
            Target::MAX
        );
        assert_eq!(Target::from_difficulty(1e-300).unwrap(), Target::MAX);
        assert_eq!(
            Target::from_difficulty(f64::MIN_POSITIVE).unwrap(),
            Target::MAX
        );
        assert_eq!(Target::from_difficulty(5e-324).unwrap(), Target::MAX);
    }

    #[test]
    fn from_difficulty_rejects_bad_input() {
        for d in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(
                matches!(
                    Target::from_difficulty(d),
                    Err(TargetError::InvalidDifficulty(_))
                ),
                "{d}"
            );
        }
        assert_eq!(
            Target::from_difficulty(1e68),
            Err(TargetError::DifficultyTooHigh(1e68))
        );
        assert_eq!(
            Target::from_difficulty(f64::MAX),
            Err(TargetError::DifficultyTooHigh(f64::MAX))
        );
    }

    #[test]
    fn difficulty_round_trip() {
        for v in blocks() {
            let t = Target::from_compact(bits_of(&v)).unwrap();
            let back = Target::from_difficulty(t.difficulty()).unwrap();
            let rel = (back.to_f64() - t.to_f64()).abs() / t.to_f64();
            assert!(rel < 1e-12, "{}: {t} vs {back}", v.name);
        }
    }

    #[test]
    fn zero_target_has_infinite_difficulty() {
        let zero = Target::from_be_bytes([0; 32]);
        assert_eq!(zero.difficulty(), f64::INFINITY);
        assert_eq!(zero.to_compact(), 0);
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let t = Target::from_compact(0x1b04_864c).unwrap();
        assert_eq!(t.to_string().parse::<Target>().unwrap(), t);
        assert_eq!(
            Target::from_hex("ff"),
            Err(TargetError::HexLength { got: 2 })
        );
        assert_eq!(
            Target::from_hex(&format!("x{}", "0".repeat(63))),
            Err(TargetError::InvalidHexChar {
                position: 0,
                ch: 'x'
            })
        );
    }
}
