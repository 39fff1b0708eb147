//! A chain of round stages: one SHA-256 transform.

use crate::round::RoundStage;
use crate::slot::Slot;
use rust_hdl::prelude::*;

/// One SHA-256 transform (compression) of a slot, as `stages` round stages
/// of `R` rounds each.
///
/// A slot enters stage 0 on a cycle where `load` is high and leaves the last
/// stage, with `stages × R` rounds done, `stages` loads later. `load` must be
/// high once every `R` cycles (the phase-0 cycle) and `phase` must count
/// `0..R` in between.
#[derive(LogicBlock)]
pub struct Transform {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Low to hold everything.
    pub enable: Signal<In, Bit>,
    /// High on phase-0 cycles: every stage takes its predecessor's slot
    /// (independent of `enable`: a stalled stage holds anyway).
    pub load: Signal<In, Bit>,
    /// High to drop every slot in flight.
    pub flush: Signal<In, Bit>,
    /// Round within each stage, `0..R`.
    pub phase: Signal<In, Bits<6>>,
    /// The phase of the next cycle.
    pub phase_next: Signal<In, Bits<6>>,
    /// The slot entering round 0.
    pub entry: Signal<In, Slot>,
    /// Whether `entry` holds a nonce.
    pub entry_valid: Signal<In, Bit>,
    /// The last stage's slot; complete on phase-0 cycles.
    pub out: Signal<Out, Slot>,
    /// Whether `out` holds a nonce.
    pub out_valid: Signal<Out, Bit>,
    stages: Vec<RoundStage>,
    _count: usize,
    _last: usize,
}

impl Transform {
    /// A transform of `stages` stages, each running `rounds_per_stage` rounds.
    pub fn new(stages: usize, rounds_per_stage: usize) -> Self {
        assert!(stages >= 1 && stages * rounds_per_stage <= 64);
        Self {
            clock: Default::default(),
            enable: Default::default(),
            load: Default::default(),
            flush: Default::default(),
            phase: Default::default(),
            phase_next: Default::default(),
            entry: Default::default(),
            entry_valid: Default::default(),
            out: Default::default(),
            out_valid: Default::default(),
            stages: (0..stages)
                .map(|j| RoundStage::new(j * rounds_per_stage, rounds_per_stage))
                .collect(),
            _count: stages,
            _last: stages - 1,
        }
    }

    /// Number of round stages.
    pub fn stages(&self) -> usize {
        self._count
    }
}

impl Logic for Transform {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..self._count {
            self.stages[i].clock.next = self.clock.val();
            self.stages[i].enable.next = self.enable.val();
            self.stages[i].flush.next = self.flush.val();
            self.stages[i].phase.next = self.phase.val();
            self.stages[i].phase_next.next = self.phase_next.val();
            // Off phase 0, a stage iterates on its own slot.
            self.stages[i].slot_in.next = self.stages[i].out.val();
            self.stages[i].in_valid.next = self.stages[i].out_valid.val();
        }
        // On phase 0, each stage takes its predecessor's slot.
        if self.load.val() {
            self.stages[0].slot_in.next = self.entry.val();
            self.stages[0].in_valid.next = self.entry_valid.val();
            for i in 1..self._count {
                self.stages[i].slot_in.next = self.stages[i - 1].out.val();
                self.stages[i].in_valid.next = self.stages[i - 1].out_valid.val();
            }
        }
        for i in self._last..self._count {
            self.out.next = self.stages[i].out.val();
            self.out_valid.next = self.stages[i].out_valid.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{IV, K};
    use crate::testing::{settle, w};
    use rand::Rng;

    /// A slot ready for round 0 of a compression of `block` from `state`.
    fn entry(state: [u32; 8], block: [u32; 16]) -> Slot {
        let m = block.map(w);
        let s = state.map(w);
        Slot {
            a: s[0],
            b: s[1],
            c: s[2],
            d: s[3],
            e: s[4],
            f: s[5],
            g: s[6],
            h: s[7],
            w0: m[0],
            w1: m[1],
            w2: m[2],
            w3: m[3],
            w4: m[4],
            w5: m[5],
            w6: m[6],
            w7: m[7],
            w8: m[8],
            w9: m[9],
            w10: m[10],
            w11: m[11],
            w12: m[12],
            w13: m[13],
            w14: m[14],
            w15: m[15],
            hkw: w(state[7].wrapping_add(K[0]).wrapping_add(block[0])),
        }
    }

    fn words(s: &Slot) -> [u32; 8] {
        [s.a, s.b, s.c, s.d, s.e, s.f, s.g, s.h].map(|x| x.0)
    }

    /// Full 64-round transforms, for several stage splits, against
    /// `sha2::compress256` on a random block from a random state.
    #[test]
    fn transform_matches_sha2_compress() {
        let mut rng = rand::thread_rng();
        for (stages, r) in [(64, 1), (8, 8), (1, 64), (32, 2)] {
            let mut t = Transform::new(stages, r);
            t.connect_all();
            let state: [u32; 8] = if stages == 8 { IV } else { rng.gen() };
            let block: [u32; 16] = rng.gen();
            t.entry.next = entry(state, block);
            t.entry_valid.next = true;
            let mut phase = 0;
            // The K ROMs are read a cycle ahead: one idle cycle first.
            t.phase_next.next = 0.into();
            t.clock.next = Clock { clk: true };
            settle(&mut t);
            t.clock.next = Clock { clk: false };
            settle(&mut t);
            t.enable.next = true;
            // A slot needs `stages` loads to reach the last stage's register,
            // then R - 1 more cycles to finish its rounds there.
            for _ in 0..stages * r {
                t.load.next = phase == 0;
                t.phase.next = (phase as u64).into();
                t.phase_next.next = (((phase + 1) % r) as u64).into();
                settle(&mut t);
                t.clock.next = Clock { clk: true };
                settle(&mut t);
                t.clock.next = Clock { clk: false };
                settle(&mut t);
                t.entry_valid.next = false;
                phase = (phase + 1) % r;
            }
            let mut expect = state;
            let bytes: Vec<u8> = block.iter().flat_map(|x| x.to_be_bytes()).collect();
            let arr: [u8; 64] = bytes.try_into().unwrap();
            sha2::compress256(&mut expect, &[arr.into()]);
            let got = words(&t.out.val());
            let sum: Vec<u32> = (0..8).map(|i| got[i].wrapping_add(state[i])).collect();
            assert_eq!(sum, expect.to_vec(), "stages={stages} r={r}");
            assert!(t.out_valid.val());
        }
    }
}
