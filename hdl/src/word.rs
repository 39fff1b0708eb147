//! A 32-bit signal type that simulates fast.

use rust_hdl::prelude::*;
use std::ops::{Add, BitAnd, BitOr, BitXor, Not, Sub};

/// A 32-bit word for the SHA-256 datapath: to rust-hdl's Verilog generator
/// it is exactly a `Bits<32>` (same width, same type descriptor, same
/// operators), but in simulation it is a plain `u32`.
///
/// `Bits<32>` is a 32-byte enum (its long variant is a `[bool; 32]`), so a
/// slot of 25 words is 800 bytes, and copying and comparing such slots on
/// every `update_all` pass took ~60% of simulation time. As a `u32` the same
/// slot is 100 bytes. Arithmetic wraps, as 32-bit hardware does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Word(pub u32);

impl Synth for Word {
    const BITS: usize = 32;

    fn descriptor() -> TypeDescriptor {
        Bits::<32>::descriptor()
    }

    fn vcd(self) -> VCDValue {
        Bits::<32>::from(self).vcd()
    }

    fn verilog(self) -> VerilogLiteral {
        Bits::<32>::from(self).verilog()
    }
}

impl From<Word> for Bits<32> {
    fn from(w: Word) -> Self {
        u64::from(w.0).into()
    }
}

impl From<Bits<32>> for Word {
    fn from(b: Bits<32>) -> Self {
        Word(b.to_u32())
    }
}

impl From<u32> for Word {
    fn from(x: u32) -> Self {
        Word(x)
    }
}

impl From<Word> for u32 {
    fn from(w: Word) -> Self {
        w.0
    }
}

impl Add for Word {
    type Output = Word;
    fn add(self, rhs: Word) -> Word {
        Word(self.0.wrapping_add(rhs.0))
    }
}

impl Add<u32> for Word {
    type Output = Word;
    fn add(self, rhs: u32) -> Word {
        Word(self.0.wrapping_add(rhs))
    }
}

impl Sub for Word {
    type Output = Word;
    fn sub(self, rhs: Word) -> Word {
        Word(self.0.wrapping_sub(rhs.0))
    }
}

impl Sub<u32> for Word {
    type Output = Word;
    fn sub(self, rhs: u32) -> Word {
        Word(self.0.wrapping_sub(rhs))
    }
}

impl BitAnd for Word {
    type Output = Word;
    fn bitand(self, rhs: Word) -> Word {
        Word(self.0 & rhs.0)
    }
}

impl BitOr for Word {
    type Output = Word;
    fn bitor(self, rhs: Word) -> Word {
        Word(self.0 | rhs.0)
    }
}

impl BitXor for Word {
    type Output = Word;
    fn bitxor(self, rhs: Word) -> Word {
        Word(self.0 ^ rhs.0)
    }
}

impl Not for Word {
    type Output = Word;
    fn not(self) -> Word {
        Word(!self.0)
    }
}

impl std::ops::Shl<u32> for Word {
    type Output = Word;
    fn shl(self, rhs: u32) -> Word {
        Word(self.0.checked_shl(rhs).unwrap_or(0))
    }
}

impl std::ops::Shr<u32> for Word {
    type Output = Word;
    fn shr(self, rhs: u32) -> Word {
        Word(self.0.checked_shr(rhs).unwrap_or(0))
    }
}

impl std::ops::Shr<Word> for Word {
    type Output = Word;
    fn shr(self, rhs: Word) -> Word {
        Word(self.0.checked_shr(rhs.0).unwrap_or(0))
    }
}

impl From<Bits<8>> for Word {
    fn from(b: Bits<8>) -> Self {
        Word(b.to_u32())
    }
}

impl From<Word> for Bits<8> {
    fn from(w: Word) -> Self {
        u64::from(w.0 & 0xff).into()
    }
}
