//! Helpers for the block tests: settling a block in rust-hdl's evaluation
//! model, and plain-Rust software models of the SHA-256 pieces.

use rust_hdl::prelude::*;

/// Run `update_all` until nothing changes.
pub fn settle<B: Block>(b: &mut B) {
    for _ in 0..100 {
        b.update_all();
        if !b.has_changed() {
            return;
        }
    }
    panic!("block did not settle");
}

/// One rising and one falling edge on the clock input `clock` picks out,
/// settling the block before and after each.
pub fn tick<B: Block>(b: &mut B, clock: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
    settle(b);
    clock(b).next = Clock { clk: true };
    settle(b);
    clock(b).next = Clock { clk: false };
    settle(b);
}

/// One half of yosys's `CCU2C` model (`ecp5/ccu2c_sim.vh`) with
/// `INJECT1 = "NO"`, for LUT inputs `A..D` = `a..d` and truth table `init`:
/// `(sum, carry out)`. The carry out is `cin` where the LUT4 is high, else
/// the LUT2 of `A` and `B` that reads the same table at `C = D = 0`.
pub fn ccu2c_half(init: u16, a: bool, b: bool, c: bool, d: bool, cin: bool) -> (bool, bool) {
    let lut = |i: usize| init >> i & 1 == 1;
    let p = lut(usize::from(a) | usize::from(b) << 1 | usize::from(c) << 2 | usize::from(d) << 3);
    let g = lut(usize::from(a) | usize::from(b) << 1);
    (p ^ cin, if p { cin } else { g })
}

/// Native word to a datapath [`Word`](crate::word::Word).
pub fn w(x: u32) -> crate::word::Word {
    crate::word::Word(x)
}

/// Software models, written from FIPS 180-4 independently of the gateware.
pub mod model {
    pub fn big_sigma0(x: u32) -> u32 {
        x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
    }
    pub fn big_sigma1(x: u32) -> u32 {
        x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
    }
    pub fn small_sigma0(x: u32) -> u32 {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }
    pub fn small_sigma1(x: u32) -> u32 {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }
    pub fn ch(x: u32, y: u32, z: u32) -> u32 {
        (x & y) ^ (!x & z)
    }
    pub fn maj(x: u32, y: u32, z: u32) -> u32 {
        (x & y) ^ (x & z) ^ (y & z)
    }
    /// One round on state `s` with round constant `k` and message word `w`.
    pub fn round(s: [u32; 8], k: u32, w: u32) -> [u32; 8] {
        let [a, b, c, d, e, f, g, h] = s;
        let t1 = h
            .wrapping_add(big_sigma1(e))
            .wrapping_add(ch(e, f, g))
            .wrapping_add(k)
            .wrapping_add(w);
        let t2 = big_sigma0(a).wrapping_add(maj(a, b, c));
        [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g]
    }
}
