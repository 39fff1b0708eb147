//! A clocked rust-hdl design under simulation.

use crate::SimError;
use ferrominer_hdl::board::{BoardLogic, MinerBoard};
use ferrominer_hdl::MinerCore;
use rust_hdl::prelude::*;

/// rust-hdl's own limit on update passes per settle.
const MAX_PASSES: usize = 100;

/// A top-level block with one clock input.
pub trait HasClock: Block {
    /// The clock input.
    fn clock_signal(&mut self) -> &mut Signal<In, Clock>;
}

impl HasClock for MinerCore {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

impl HasClock for MinerBoard {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

impl HasClock for BoardLogic {
    fn clock_signal(&mut self) -> &mut Signal<In, Clock> {
        &mut self.clock
    }
}

/// A design in rust-hdl's evaluation model (`update_all` until nothing
/// changes), stepped one clock period at a time.
pub struct Clocked<B: HasClock> {
    /// The design; set its inputs' `.next` before [`step`](Self::step).
    pub dut: Box<B>,
    cycles: u64,
    passes: u64,
}

impl<B: HasClock> Clocked<B> {
    /// Connect and settle `dut`.
    pub fn new(dut: B) -> Result<Self, SimError> {
        let mut dut = Box::new(dut);
        dut.connect_all();
        let mut s = Self {
            dut,
            cycles: 0,
            passes: 0,
        };
        s.settle()?;
        Ok(s)
    }

    fn settle(&mut self) -> Result<(), SimError> {
        for pass in 1..=MAX_PASSES {
            self.dut.update_all();
            if !self.dut.has_changed() {
                self.passes += pass as u64;
                return Ok(());
            }
        }
        Err(SimError::NoConvergence(MAX_PASSES))
    }

    /// One clock period: inputs settle with the clock low, then the rising
    /// edge samples them.
    pub fn step(&mut self) -> Result<(), SimError> {
        self.dut.clock_signal().next = Clock { clk: false };
        self.settle()?;
        self.dut.clock_signal().next = Clock { clk: true };
        self.settle()?;
        self.cycles += 1;
        Ok(())
    }

    /// Clock cycles so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Average `update_all` passes per cycle.
    pub fn passes_per_cycle(&self) -> f64 {
        self.passes as f64 / self.cycles.max(1) as f64
    }
}
