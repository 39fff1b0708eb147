//! Fixed wiring functions on one 32-bit word: the SHA-256 Σ/σ functions and a
//! byte swap.
//!
//! These are pure wiring (rotations and shifts by constants) plus XOR. rust-hdl
//! 0.46 evaluates `<<`/`>>` on `Bits` through a big-integer path that costs
//! ~86 ns per shift, which made rotations ~80% of simulation time. So this one
//! block is written by hand: `update` uses native `u32` operations, and `hdl`
//! emits the same function as Verilog bit slices and concatenations. The two
//! are checked against each other by the unit tests below (rust-hdl model
//! against a software model) and by the Verilog tests in `tests/` (Icarus
//! against the same software model).

use crate::word::Word;
use rust_hdl::prelude::*;

/// Which function a [`WordFn`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordFnKind {
    /// Σ0(x) = ROTR²(x) ⊕ ROTR¹³(x) ⊕ ROTR²²(x)
    BigSigma0,
    /// Σ1(x) = ROTR⁶(x) ⊕ ROTR¹¹(x) ⊕ ROTR²⁵(x)
    BigSigma1,
    /// σ0(x) = ROTR⁷(x) ⊕ ROTR¹⁸(x) ⊕ SHR³(x)
    SmallSigma0,
    /// σ1(x) = ROTR¹⁷(x) ⊕ ROTR¹⁹(x) ⊕ SHR¹⁰(x)
    SmallSigma1,
    /// Reverse the byte order of a word.
    ByteSwap,
}

/// One term of a Σ/σ function: a rotation or a logical shift right.
#[derive(Clone, Copy)]
enum Term {
    Rotr(u32),
    Shr(u32),
}

impl WordFnKind {
    /// The three terms XORed together, for the Σ/σ functions.
    fn terms(self) -> Option<[Term; 3]> {
        use Term::*;
        match self {
            WordFnKind::BigSigma0 => Some([Rotr(2), Rotr(13), Rotr(22)]),
            WordFnKind::BigSigma1 => Some([Rotr(6), Rotr(11), Rotr(25)]),
            WordFnKind::SmallSigma0 => Some([Rotr(7), Rotr(18), Shr(3)]),
            WordFnKind::SmallSigma1 => Some([Rotr(17), Rotr(19), Shr(10)]),
            WordFnKind::ByteSwap => None,
        }
    }

    /// The function on a native word: the simulation model of the block.
    pub fn apply(self, x: u32) -> u32 {
        match self.terms() {
            Some(terms) => terms.iter().fold(0, |acc, t| {
                acc ^ match *t {
                    Term::Rotr(n) => x.rotate_right(n),
                    Term::Shr(n) => x >> n,
                }
            }),
            None => x.swap_bytes(),
        }
    }

    /// The function as a Verilog expression of the 32-bit input `x`.
    pub fn verilog_expr(self) -> String {
        match self.terms() {
            Some(terms) => terms
                .iter()
                .map(|t| match *t {
                    Term::Rotr(n) => format!("{{x[{}:0], x[31:{}]}}", n - 1, n),
                    Term::Shr(n) => format!("{{{}'d0, x[31:{}]}}", n, n),
                })
                .collect::<Vec<_>>()
                .join(" ^ "),
            None => "{x[7:0], x[15:8], x[23:16], x[31:24]}".to_string(),
        }
    }
}

/// A combinational block computing one [`WordFnKind`] of its input.
#[derive(LogicBlock)]
pub struct WordFn {
    /// Input word.
    pub x: Signal<In, Word>,
    /// `kind(x)`.
    pub y: Signal<Out, Word>,
    _kind: WordFnKind,
}

impl WordFn {
    /// A block computing `kind`.
    pub fn new(kind: WordFnKind) -> Self {
        Self {
            x: Default::default(),
            y: Default::default(),
            _kind: kind,
        }
    }

    /// Which function this block computes.
    pub fn kind(&self) -> WordFnKind {
        self._kind
    }
}

impl Logic for WordFn {
    fn update(&mut self) {
        self.y.next = Word(self._kind.apply(self.x.val().0));
    }

    fn connect(&mut self) {
        self.y.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "// {:?}\nalways @(*) y = {};\n",
            self._kind,
            self._kind.verilog_expr()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model, settle, w};
    use rand::Rng;

    fn check(kind: WordFnKind, f: fn(u32) -> u32) {
        let mut block = WordFn::new(kind);
        block.connect_all();
        let mut rng = rand::thread_rng();
        for x in [0, 1, 0x8000_0000, 0xffff_ffff, 0x0123_4567]
            .into_iter()
            .chain((0..500).map(|_| rng.gen()))
        {
            block.x.next = w(x);
            settle(&mut block);
            assert_eq!(block.y.val().0, f(x), "{kind:?}({x:#010x})");
        }
    }

    #[test]
    fn big_sigma0_matches_model() {
        check(WordFnKind::BigSigma0, model::big_sigma0);
    }

    #[test]
    fn big_sigma1_matches_model() {
        check(WordFnKind::BigSigma1, model::big_sigma1);
    }

    #[test]
    fn small_sigma0_matches_model() {
        check(WordFnKind::SmallSigma0, model::small_sigma0);
    }

    #[test]
    fn small_sigma1_matches_model() {
        check(WordFnKind::SmallSigma1, model::small_sigma1);
    }

    #[test]
    fn byte_swap_matches_model() {
        check(WordFnKind::ByteSwap, u32::swap_bytes);
    }
}
