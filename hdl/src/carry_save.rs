//! A 3:2 carry-save compressor on 32-bit words.
//!
//! It turns three addends into two with the same sum (mod 2³²), with no
//! carry chain: bit `i` of `sum` is the XOR of the inputs' bits `i`, and bit
//! `i + 1` of `carry` is their majority. The round can use it for
//! `T1 = hkw + Σ1 + Ch`, so that `T1` takes one carry chain after a level of
//! LUTs instead of two carry chains in a row (see
//! [`crate::round::T1Adder`]).
//!
//! Like [`crate::wiring`], the block is written by hand because `carry`
//! needs a shift: `update` uses native `u32` operations, and `hdl` emits the
//! same function as Verilog with the shift as a bit slice. Both are checked
//! against the definition by the tests below and, in the whole core, by the
//! Icarus and Verilator tests in `tests/`.

use crate::word::Word;
use rust_hdl::prelude::*;

/// `sum = x ⊕ y ⊕ z` and `carry = Maj(x, y, z) << 1`, so that
/// `sum + carry = x + y + z` (wrapping).
#[derive(LogicBlock, Default)]
pub struct CarrySave {
    /// First addend.
    pub x: Signal<In, Word>,
    /// Second addend.
    pub y: Signal<In, Word>,
    /// Third addend.
    pub z: Signal<In, Word>,
    /// The bitwise sum, without carries.
    pub sum: Signal<Out, Word>,
    /// The carries, already moved one bit up.
    pub carry: Signal<Out, Word>,
}

/// The compressor on native words: `(sum, carry)`.
pub fn compress(x: u32, y: u32, z: u32) -> (u32, u32) {
    (x ^ y ^ z, ((x & y) | (x & z) | (y & z)) << 1)
}

impl Logic for CarrySave {
    fn update(&mut self) {
        let (sum, carry) = compress(self.x.val().0, self.y.val().0, self.z.val().0);
        self.sum.next = Word(sum);
        self.carry.next = Word(carry);
    }

    fn connect(&mut self) {
        self.sum.connect();
        self.carry.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) begin\n    \
             sum = x ^ y ^ z;\n    \
             carry = {(x[30:0] & y[30:0]) | (x[30:0] & z[30:0]) | (y[30:0] & z[30:0]), 1'b0};\n\
             end\n"
                .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{settle, w};
    use rand::Rng;

    #[test]
    fn sum_plus_carry_is_the_three_word_sum() {
        let mut block = CarrySave::default();
        block.connect_all();
        let mut rng = rand::thread_rng();
        let edges = [0, 1, 0x8000_0000, 0xffff_ffff];
        let cases = edges
            .iter()
            .flat_map(|&x| edges.iter().map(move |&y| (x, y, 0xffff_ffff)))
            .chain((0..1000).map(|_| rng.gen()));
        for (x, y, z) in cases {
            block.x.next = w(x);
            block.y.next = w(y);
            block.z.next = w(z);
            settle(&mut block);
            let (sum, carry) = (block.sum.val().0, block.carry.val().0);
            assert_eq!(
                sum.wrapping_add(carry),
                x.wrapping_add(y).wrapping_add(z),
                "{x:#x} + {y:#x} + {z:#x}"
            );
            // Bit by bit, from the definition of a full adder.
            for i in 0..32 {
                let bits = (x >> i & 1) + (y >> i & 1) + (z >> i & 1);
                assert_eq!(sum >> i & 1, bits & 1, "sum bit {i}");
                if i < 31 {
                    assert_eq!(carry >> (i + 1) & 1, bits >> 1, "carry bit {}", i + 1);
                }
            }
            assert_eq!(carry & 1, 0);
        }
    }
}
