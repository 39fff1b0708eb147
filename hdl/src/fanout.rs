//! A control bit registered in several copies, each driving a share of its
//! loads.

use rust_hdl::prelude::*;

/// Most copies a [`FanoutReg`] has (the width of `q`).
pub const MAX_COPIES: usize = 32;

/// `copies` registers that all take `d`, for a select that drives hundreds
/// of multiplexers (a ring's entry, one per bit of the slot). One register
/// would drive them all through one long, heavily loaded net; with a copy
/// per word, the placer can put each next to its word's multiplexers.
///
/// `q` has [`MAX_COPIES`] bits: bit `i` is copy `i % copies`, so a user can
/// wire bit `k` to the `k`-th group of loads whatever the count. In Verilog
/// each copy's `always` block carries `(* keep *)`, which stops yosys from
/// merging the copies back into one flip-flop (it merges identical cells,
/// and a `keep` on the `reg` alone does not stop that). With one copy the
/// attribute is left out, so that yosys may merge it with an identical
/// register elsewhere. Every copy starts at 0.
#[derive(LogicBlock)]
pub struct FanoutReg {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The bit to register.
    pub d: Signal<In, Bit>,
    /// The copies, repeated to fill 32 bits.
    pub q: Signal<Out, Bits<MAX_COPIES>>,
    _copies: usize,
}

impl FanoutReg {
    /// `copies` copies (1 to [`MAX_COPIES`]).
    pub fn new(copies: usize) -> Self {
        assert!((1..=MAX_COPIES).contains(&copies), "{copies} copies");
        Self {
            clock: Default::default(),
            d: Default::default(),
            q: Default::default(),
            _copies: copies,
        }
    }
}

impl Logic for FanoutReg {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = if self.d.val() {
                Bits::<MAX_COPIES>::mask()
            } else {
                0.into()
            };
        }
    }

    fn connect(&mut self) {
        self.q.connect();
    }

    fn hdl(&self) -> Verilog {
        let n = self._copies;
        let keep = if n > 1 { "(* keep *) " } else { "" };
        // q = {r[31 % n], ..., r[0 % n]}
        let bits: Vec<String> = (0..MAX_COPIES)
            .rev()
            .map(|i| format!("r[{}]", i % n))
            .collect();
        Verilog::Custom(format!(
            "reg [{top}:0] r;\n\
             initial r = 0;\n\
             genvar i;\n\
             generate for (i = 0; i < {n}; i = i + 1) begin : copy\n\
             {keep}always @(posedge clock) r[i] <= d;\n\
             end endgenerate\n\
             always @(*) q = {{{}}};\n",
            bits.join(", "),
            top = n - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "fanout_reg".into(),
            clock: "clock".into(),
            inputs: vec!["d".into()],
            outputs: vec!["q".into()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{settle, tick};

    #[test]
    fn every_copy_follows_d_a_clock_later() {
        for copies in [1, 3, 26, MAX_COPIES] {
            let mut r = FanoutReg::new(copies);
            r.connect_all();
            settle(&mut r);
            let all = |d: bool| -> Bits<MAX_COPIES> {
                if d {
                    u64::from(u32::MAX).into()
                } else {
                    0.into()
                }
            };
            let mut held = false;
            assert_eq!(r.q.val(), all(false), "every copy starts at 0");
            for d in [true, true, false, true, false, false] {
                r.d.next = d;
                settle(&mut r);
                // Before the edge: still the last value taken.
                assert_eq!(r.q.val(), all(held), "{copies} copies");
                tick(&mut r, |b| &mut b.clock);
                assert_eq!(r.q.val(), all(d), "{copies} copies, d={d}");
                held = d;
            }
        }
    }

    #[test]
    fn verilog_keeps_the_copies_apart() {
        let v = |n| match FanoutReg::new(n).hdl() {
            Verilog::Custom(s) => s,
            _ => unreachable!(),
        };
        let three = v(3);
        assert!(three.contains("(* keep *) always @(posedge clock) r[i] <= d;"));
        assert!(three.contains("i < 3;"));
        // Bits 31..0 are copies 31 % 3 = 1, ..., 0.
        assert!(three.contains("always @(*) q = {r[1], r[0], r[2], r[1], r[0]"));
        assert!(three.trim_end().ends_with("r[2], r[1], r[0]};"), "{three}");
        assert!(!v(1).contains("keep"));
    }
}
