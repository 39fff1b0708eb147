//! One step of the SHA-256 message schedule.

use crate::wiring::{WordFn, WordFnKind};
use crate::word::Word;
use rust_hdl::prelude::*;

/// `W[t+16] = σ1(W[t+14]) + W[t+9] + σ0(W[t+1]) + W[t]`.
#[derive(LogicBlock)]
pub struct ScheduleStep {
    /// `W[t]`
    pub w0: Signal<In, Word>,
    /// `W[t+1]`
    pub w1: Signal<In, Word>,
    /// `W[t+9]`
    pub w9: Signal<In, Word>,
    /// `W[t+14]`
    pub w14: Signal<In, Word>,
    /// `W[t+16]`
    pub out: Signal<Out, Word>,
    s0: WordFn,
    s1: WordFn,
}

impl Default for ScheduleStep {
    fn default() -> Self {
        Self {
            w0: Default::default(),
            w1: Default::default(),
            w9: Default::default(),
            w14: Default::default(),
            out: Default::default(),
            s0: WordFn::new(WordFnKind::SmallSigma0),
            s1: WordFn::new(WordFnKind::SmallSigma1),
        }
    }
}

impl Logic for ScheduleStep {
    #[hdl_gen]
    fn update(&mut self) {
        self.s0.x.next = self.w1.val();
        self.s1.x.next = self.w14.val();
        // Two sums side by side, then one more: two carry chains deep
        // when each addition is a chain of its own, not three.
        self.out.next = (self.s1.y.val() + self.s0.y.val()) + (self.w9.val() + self.w0.val());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model, settle, w};
    use rand::Rng;

    #[test]
    fn schedule_step_matches_model() {
        let mut step = ScheduleStep::default();
        step.connect_all();
        let mut rng = rand::thread_rng();
        for _ in 0..500 {
            let v: [u32; 4] = rng.gen();
            step.w0.next = w(v[0]);
            step.w1.next = w(v[1]);
            step.w9.next = w(v[2]);
            step.w14.next = w(v[3]);
            settle(&mut step);
            let expect = model::small_sigma1(v[3])
                .wrapping_add(v[2])
                .wrapping_add(model::small_sigma0(v[1]))
                .wrapping_add(v[0]);
            assert_eq!(step.out.val().0, expect);
        }
    }
}
