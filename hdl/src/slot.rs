//! The values carried from one round stage to the next.

use crate::word::Word;
use rust_hdl::prelude::*;

/// Everything one SHA-256 transform carries between rounds for one nonce.
///
/// Before round `t` the slot holds the working variables `a..h` (after round
/// `t - 1`), the schedule window `w0..w15 = W[t] .. W[t+15]`, and
/// `hkw = h + K[t] + W[t]`, the part of T1 that does not depend on `e..g`,
/// added one stage early to shorten the round's adder chain.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Slot {
    pub a: Word,
    pub b: Word,
    pub c: Word,
    pub d: Word,
    pub e: Word,
    pub f: Word,
    pub g: Word,
    pub h: Word,
    pub w0: Word,
    pub w1: Word,
    pub w2: Word,
    pub w3: Word,
    pub w4: Word,
    pub w5: Word,
    pub w6: Word,
    pub w7: Word,
    pub w8: Word,
    pub w9: Word,
    pub w10: Word,
    pub w11: Word,
    pub w12: Word,
    pub w13: Word,
    pub w14: Word,
    pub w15: Word,
    pub hkw: Word,
}

/// A SHA-256 state of eight words (a midstate, or a digest).
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct State8 {
    pub a: Word,
    pub b: Word,
    pub c: Word,
    pub d: Word,
    pub e: Word,
    pub f: Word,
    pub g: Word,
    pub h: Word,
}

impl State8 {
    /// From eight native words, `H0` first.
    pub fn from_words(w: [u32; 8]) -> Self {
        let b = |i: usize| Word(w[i]);
        Self {
            a: b(0),
            b: b(1),
            c: b(2),
            d: b(3),
            e: b(4),
            f: b(5),
            g: b(6),
            h: b(7),
        }
    }
}

/// The 12-byte tail of a block header (end of the merkle root, time, bits)
/// as the three big-endian message words `W0..W2` of its second block.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Tail {
    pub w0: Word,
    pub w1: Word,
    pub w2: Word,
}

impl Tail {
    /// From three native words, `W0` first.
    pub fn from_words(w: [u32; 3]) -> Self {
        Self {
            w0: Word(w[0]),
            w1: Word(w[1]),
            w2: Word(w[2]),
        }
    }
}

/// A nonce the core found, tagged with the job it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Found {
    pub nonce: Word,
    pub tag: Bits<8>,
}

/// Word `index` of a slot's message window `w0..w15` (combinational): the
/// word a streaming ring takes next (see [`crate::round::RoundStage`]).
#[derive(LogicBlock, Default)]
pub struct MessageWord {
    /// The slot whose window to read.
    pub slot: Signal<In, Slot>,
    /// Which word, 0 to 15.
    pub index: Signal<In, Bits<4>>,
    /// `slot.w<index>`.
    pub word: Signal<Out, Word>,
}

impl Logic for MessageWord {
    // A `match` becomes a Verilog `case`, which yosys maps to a balanced
    // multiplexer; a chain of `if`s became a chain of 15 multiplexers.
    #[hdl_gen]
    fn update(&mut self) {
        match self.index.val().index() {
            0 => self.word.next = self.slot.val().w0,
            1 => self.word.next = self.slot.val().w1,
            2 => self.word.next = self.slot.val().w2,
            3 => self.word.next = self.slot.val().w3,
            4 => self.word.next = self.slot.val().w4,
            5 => self.word.next = self.slot.val().w5,
            6 => self.word.next = self.slot.val().w6,
            7 => self.word.next = self.slot.val().w7,
            8 => self.word.next = self.slot.val().w8,
            9 => self.word.next = self.slot.val().w9,
            10 => self.word.next = self.slot.val().w10,
            11 => self.word.next = self.slot.val().w11,
            12 => self.word.next = self.slot.val().w12,
            13 => self.word.next = self.slot.val().w13,
            14 => self.word.next = self.slot.val().w14,
            _ => self.word.next = self.slot.val().w15,
        }
    }
}
