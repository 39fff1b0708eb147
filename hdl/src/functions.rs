//! The SHA-256 bitwise choice and majority functions.

use crate::word::Word;
use rust_hdl::prelude::*;

/// `Ch(x, y, z) = (x ∧ y) ⊕ (¬x ∧ z)`: each bit of `x` chooses `y` or `z`.
#[derive(LogicBlock, Default)]
pub struct Ch {
    pub x: Signal<In, Word>,
    pub y: Signal<In, Word>,
    pub z: Signal<In, Word>,
    pub out: Signal<Out, Word>,
}

impl Logic for Ch {
    #[hdl_gen]
    fn update(&mut self) {
        self.out.next = (self.x.val() & self.y.val()) ^ ((!self.x.val()) & self.z.val());
    }
}

/// `Maj(x, y, z) = (x ∧ y) ⊕ (x ∧ z) ⊕ (y ∧ z)`: the bitwise majority.
#[derive(LogicBlock, Default)]
pub struct Maj {
    pub x: Signal<In, Word>,
    pub y: Signal<In, Word>,
    pub z: Signal<In, Word>,
    pub out: Signal<Out, Word>,
}

impl Logic for Maj {
    #[hdl_gen]
    fn update(&mut self) {
        self.out.next = ((self.x.val() & self.y.val()) ^ (self.x.val() & self.z.val()))
            ^ (self.y.val() & self.z.val());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model, settle, w};
    use rand::Rng;

    #[test]
    fn ch_and_maj_match_model() {
        let mut ch = Ch::default();
        let mut maj = Maj::default();
        ch.connect_all();
        maj.connect_all();
        let mut rng = rand::thread_rng();
        for _ in 0..500 {
            let (x, y, z): (u32, u32, u32) = (rng.gen(), rng.gen(), rng.gen());
            ch.x.next = w(x);
            ch.y.next = w(y);
            ch.z.next = w(z);
            maj.x.next = w(x);
            maj.y.next = w(y);
            maj.z.next = w(z);
            settle(&mut ch);
            settle(&mut maj);
            assert_eq!(ch.out.val().0, model::ch(x, y, z));
            assert_eq!(maj.out.val().0, model::maj(x, y, z));
        }
    }
}
