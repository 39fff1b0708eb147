//! `load ? v : x + y` in one carry chain: a register's input multiplexer
//! folded into the adder in front of it.
//!
//! The ring's entry stage (see [`crate::transform`]) loads the ring's new
//! slot into its register in place of the round's result. For the words
//! that come out of an adder (`a' = T1 + T2`, `e' = d + T1`, `hkw`), a
//! multiplexer after the adder is one more LUT level, and a wire, at the
//! end of the round's longest path. On ECP5 it fits in the adder's own
//! carry cells instead, as [`crate::fused_add`] fits Ch and Maj.
//!
//! Each `CCU2C` half is a LUT4 whose output `p` is the bit's propagate
//! (the sum bit is `p ⊕ cin`), and whose carry out is `cin` when `p` is
//! high and otherwise a LUT2 of the inputs `A` and `B`, with the LUT4's
//! own truth table for `C = D = 0`. With `A = x`, `B = load`, `C = y`,
//! `D = v` and `p = load ? v : x ⊕ y`:
//! - `load` low: `p = x ⊕ y`, and where `p` is low (`x = y`) the LUT2 is
//!   `x ⊕ 0 = x`, the generate of `x + y`: a full adder;
//! - `load` high: the LUT2 is 0, so no cell generates a carry, every carry
//!   is the chain's carry in (0), and every sum bit is `v`.
//!
//! [`load_add_init`] computes the table; the tests check one cell against
//! a full adder for every input with `load` low, and whole chains against
//! the model with `load` high and low. Elsewhere than ECP5 (iCE40, the
//! simulators) the block is the plain expression.

use crate::fused_add::ccu2c_chain;
use crate::word::Word;
use rust_hdl::prelude::*;

/// The `CCU2C` LUT4 table for one bit, with inputs `A = x`, `B = load`,
/// `C = y`, `D = v` (bit `8D + 4C + 2B + A`): `load ? v : x ⊕ y`.
pub fn load_add_init() -> u16 {
    let mut init = 0u16;
    for i in 0..16u16 {
        let (x, load, y, v) = (i & 1 != 0, i & 2 != 0, i & 4 != 0, i & 8 != 0);
        if if load { v } else { x ^ y } {
            init |= 1 << i;
        }
    }
    init
}

/// `out = load ? v : x + y` (wrapping), as one carry chain on ECP5.
#[derive(LogicBlock, Default)]
pub struct LoadAdd {
    /// High to pass `v` through instead of the sum.
    pub load: Signal<In, Bit>,
    /// The word to load.
    pub v: Signal<In, Word>,
    /// The first addend.
    pub x: Signal<In, Word>,
    /// The second addend.
    pub y: Signal<In, Word>,
    /// `v` or the sum.
    pub out: Signal<Out, Word>,
}

impl Logic for LoadAdd {
    fn update(&mut self) {
        self.out.next = if self.load.val() {
            self.v.val()
        } else {
            Word(self.x.val().0.wrapping_add(self.y.val().0))
        };
    }

    fn connect(&mut self) {
        self.out.connect();
    }

    fn hdl(&self) -> Verilog {
        ccu2c_chain(
            load_add_init(),
            ["x[#]", "load", "y[#]", "v[#]"],
            "load ? v : (x + y)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ccu2c_half, settle, w};
    use rand::Rng;

    /// With `load` low, every input of one bit's cell (`v` included, which
    /// must not matter) against a full adder of `x`, `y` and the carry in.
    #[test]
    fn cell_table_is_a_full_adder_when_not_loading() {
        let init = load_add_init();
        for i in 0..16u8 {
            let bit = |k: u8| i >> k & 1 == 1;
            let (x, y, v, cin) = (bit(0), bit(1), bit(2), bit(3));
            let total = u8::from(x) + u8::from(y) + u8::from(cin);
            assert_eq!(
                ccu2c_half(init, x, false, y, v, cin),
                (total & 1 == 1, total >= 2),
                "input {i:04b}"
            );
        }
    }

    /// Whole chains of cells, bit by bit from a carry in of 0: the sum of
    /// `x` and `y`, or with `load` high exactly `v`.
    #[test]
    fn chain_of_cells_adds_or_loads() {
        let mut rng = rand::thread_rng();
        let init = load_add_init();
        for k in 0..400 {
            let load = k % 2 == 1;
            let (x, y, v): (u32, u32, u32) = rng.gen();
            let (mut out, mut carry) = (0u32, false);
            for j in 0..32 {
                let b = |word: u32| word >> j & 1 == 1;
                let (s, c) = ccu2c_half(init, b(x), load, b(y), b(v), carry);
                out |= u32::from(s) << j;
                carry = c;
            }
            let want = if load { v } else { x.wrapping_add(y) };
            assert_eq!(out, want, "load {load}");
        }
    }

    #[test]
    fn block_matches_model() {
        let mut rng = rand::thread_rng();
        let mut b = LoadAdd::default();
        b.connect_all();
        for k in 0..200 {
            let (x, y, v): (u32, u32, u32) = rng.gen();
            let load = k % 3 == 0;
            b.load.next = load;
            b.x.next = w(x);
            b.y.next = w(y);
            b.v.next = w(v);
            settle(&mut b);
            let want = if load { v } else { x.wrapping_add(y) };
            assert_eq!(b.out.val().0, want);
        }
    }
}
