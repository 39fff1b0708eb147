//! `a + f(x, y, z)` in one carry chain, with `f` (Ch or Maj) inside it.
//!
//! On ECP5 each carry cell (`CCU2C`) holds two LUT4s, one per bit. A plain
//! adder uses two of each LUT's four inputs (`a` and `b`, propagate
//! `a ⊕ b`); the other two are tied high. A 3-input function `f` of the
//! bits `x`, `y`, `z` fits in the same LUT as the propagate
//! `p = a ⊕ f(x, y, z)`, so `a + Ch(e, f, g)` and `a + Maj(a, b, c)` cost
//! one carry chain and no LUTs of their own, where they cost 32 LUTs plus
//! the chain before.
//!
//! The catch is the carry's generate input. The cell's carry out is `cin`
//! when `p` is high and otherwise a LUT2 of the inputs `A` and `B`, whose
//! truth table is the LUT4's own for `C = D = 0` (yosys's `CCU2C` model,
//! `INIT[3:0]`). When `p` is low, `a = f` and the carry out must be `a`.
//! With `a` on `B` and `x, y, z` on `A, C, D`, that LUT2 is
//! `B ⊕ f(A, 0, 0)`, which is `a` exactly when `f(x, 0, 0) = 0`: true of
//! Ch and Maj (not of a 3-input XOR such as Σ0, which stays a LUT of its
//! own). [`FusedFn::init`] computes the table and checks that condition;
//! the tests below check every input combination of the cell against a
//! full adder.
//!
//! The `CCU2C` cells are used only where the Verilog defines
//! [`ECP5_CARRY_DEFINE`] (ECP5 board tops); elsewhere (iCE40, the
//! simulators) the block is a plain `a + f(x, y, z)`. Both forms are
//! checked against the model: in rust-hdl here, and in Icarus with yosys's
//! cell models in `tests/`.

use crate::word::Word;
use rust_hdl::prelude::*;

/// The Verilog macro that makes [`FusedAdd`] a chain of ECP5 `CCU2C`
/// cells. The board top level defines it for ECP5 builds.
pub const ECP5_CARRY_DEFINE: &str = "FERROMINER_ECP5_CARRY";

/// The function added in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusedFn {
    /// `Ch(x, y, z) = (x ∧ y) ⊕ (¬x ∧ z)`.
    Ch,
    /// `Maj(x, y, z)`, the bitwise majority.
    Maj,
}

impl FusedFn {
    /// The function on native words.
    pub fn apply(self, x: u32, y: u32, z: u32) -> u32 {
        match self {
            FusedFn::Ch => (x & y) ^ (!x & z),
            FusedFn::Maj => (x & y) ^ (x & z) ^ (y & z),
        }
    }

    /// The function on one bit of each input.
    pub fn bit(self, x: bool, y: bool, z: bool) -> bool {
        self.apply(u32::from(x), u32::from(y), u32::from(z)) & 1 == 1
    }

    /// The `CCU2C` LUT4 table for one bit, with inputs `A = x`, `B = a`,
    /// `C = y`, `D = z` (bit `8D + 4C + 2B + A`): `p = a ⊕ f(x, y, z)`.
    ///
    /// Panics if the cell's carry would be wrong (see the module docs):
    /// `f(x, 0, 0)` must be 0.
    pub fn init(self) -> u16 {
        assert!(
            !self.bit(false, false, false) && !self.bit(true, false, false),
            "f(x, 0, 0) must be 0 for the carry's generate"
        );
        let mut init = 0u16;
        for i in 0..16u16 {
            let (x, a, y, z) = (i & 1 != 0, i & 2 != 0, i & 4 != 0, i & 8 != 0);
            if a ^ self.bit(x, y, z) {
                init |= 1 << i;
            }
        }
        init
    }
}

/// `out = a + f(x, y, z)` (wrapping), as one carry chain on ECP5.
#[derive(LogicBlock)]
pub struct FusedAdd {
    /// The plain addend.
    pub a: Signal<In, Word>,
    /// `f`'s first input (Ch: the chooser).
    pub x: Signal<In, Word>,
    /// `f`'s second input.
    pub y: Signal<In, Word>,
    /// `f`'s third input.
    pub z: Signal<In, Word>,
    /// The sum.
    pub out: Signal<Out, Word>,
    _f: FusedFn,
}

impl FusedAdd {
    /// `a + f(x, y, z)`.
    pub fn new(f: FusedFn) -> Self {
        Self {
            a: Default::default(),
            x: Default::default(),
            y: Default::default(),
            z: Default::default(),
            out: Default::default(),
            _f: f,
        }
    }
}

impl Logic for FusedAdd {
    fn update(&mut self) {
        let f = self
            ._f
            .apply(self.x.val().0, self.y.val().0, self.z.val().0);
        self.out.next = Word(self.a.val().0.wrapping_add(f));
    }

    fn connect(&mut self) {
        self.out.connect();
    }

    fn hdl(&self) -> Verilog {
        let f = match self._f {
            FusedFn::Ch => "(x & y) ^ (~x & z)",
            FusedFn::Maj => "(x & y) ^ (x & z) ^ (y & z)",
        };
        ccu2c_chain(
            self._f.init(),
            ["x[#]", "a[#]", "y[#]", "z[#]"],
            &format!("a + ({f})"),
        )
    }
}

/// Verilog for a block whose 32-bit `out` is one chain of ECP5 `CCU2C`
/// cells with LUT table `init` where [`ECP5_CARRY_DEFINE`] is defined, and
/// `out = plain` elsewhere. `inputs` are the LUT inputs `A`, `B`, `C`, `D`
/// of bit `k`, with `#` standing for `k`.
pub(crate) fn ccu2c_chain(init: u16, inputs: [&str; 4], plain: &str) -> Verilog {
    let ports = |half: usize, bit: &str| -> String {
        ["A", "B", "C", "D"]
            .iter()
            .zip(inputs)
            .map(|(port, input)| format!(".{port}{half}({})", input.replace('#', bit)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (low, high) = (ports(0, "2*i"), ports(1, "2*i+1"));
    Verilog::Custom(format!(
        "`ifdef {ECP5_CARRY_DEFINE}\n\
         wire [31:0] s;\n\
         wire [16:0] c;\n\
         assign c[0] = 1'b0;\n\
         genvar i;\n\
         generate for (i = 0; i < 16; i = i + 1) begin : pair\n\
         CCU2C #(.INIT0(16'h{init:04x}), .INIT1(16'h{init:04x}), .INJECT1_0(\"NO\"), .INJECT1_1(\"NO\")) cc (\n\
         .CIN(c[i]), {low},\n\
         {high},\n\
         .S0(s[2*i]), .S1(s[2*i+1]), .COUT(c[i+1]));\n\
         end endgenerate\n\
         always @(*) out = s;\n\
         `else\n\
         always @(*) out = {plain};\n\
         `endif\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ccu2c_half, model, settle, w};
    use rand::Rng;

    /// `f` from the test models (not from [`FusedFn::apply`]).
    fn model_f(f: FusedFn, x: u32, y: u32, z: u32) -> u32 {
        match f {
            FusedFn::Ch => model::ch(x, y, z),
            FusedFn::Maj => model::maj(x, y, z),
        }
    }

    /// Every input of one bit's cell, against a full adder of `a`,
    /// `f(x, y, z)` and the carry in.
    #[test]
    fn cell_table_is_a_full_adder_of_a_and_f() {
        for f in [FusedFn::Ch, FusedFn::Maj] {
            let init = f.init();
            for i in 0..32u8 {
                let bit = |k: u8| i >> k & 1 == 1;
                let (x, a, y, z, cin) = (bit(0), bit(1), bit(2), bit(3), bit(4));
                let total = u8::from(a) + u8::from(f.bit(x, y, z)) + u8::from(cin);
                let (s, cout) = ccu2c_half(init, x, a, y, z, cin);
                assert_eq!(
                    (s, cout),
                    (total & 1 == 1, total >= 2),
                    "{f:?} input {i:05b}"
                );
            }
        }
    }

    /// A whole chain of cells, bit by bit, against the model's sum.
    #[test]
    fn chain_of_cells_adds_words() {
        let mut rng = rand::thread_rng();
        for f in [FusedFn::Ch, FusedFn::Maj] {
            let init = f.init();
            for _ in 0..200 {
                let v: [u32; 4] = rng.gen();
                let (a, x, y, z) = (v[0], v[1], v[2], v[3]);
                let (mut sum, mut carry) = (0u32, false);
                for k in 0..32 {
                    let b = |word: u32| word >> k & 1 == 1;
                    let (s, c) = ccu2c_half(init, b(x), b(a), b(y), b(z), carry);
                    sum |= u32::from(s) << k;
                    carry = c;
                }
                assert_eq!(sum, a.wrapping_add(model_f(f, x, y, z)), "{f:?}");
            }
        }
    }

    #[test]
    fn block_matches_model() {
        let mut rng = rand::thread_rng();
        for f in [FusedFn::Ch, FusedFn::Maj] {
            let mut b = FusedAdd::new(f);
            b.connect_all();
            for _ in 0..200 {
                let v: [u32; 4] = rng.gen();
                b.a.next = w(v[0]);
                b.x.next = w(v[1]);
                b.y.next = w(v[2]);
                b.z.next = w(v[3]);
                settle(&mut b);
                let want = v[0].wrapping_add(model_f(f, v[1], v[2], v[3]));
                assert_eq!(b.out.val().0, want, "{f:?}");
            }
        }
    }
}
