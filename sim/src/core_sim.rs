//! The mining core in rust-hdl's simulator.
//!
//! This uses rust-hdl's own evaluation model (`update_all` until nothing
//! changes, twice per clock period), driven by a plain loop rather than
//! `Simulation`'s testbench threads, which costs ~1.6× in speed.

use crate::{FoundNonce, Job, RunStats, SimError};
use ferrominer_hdl::{CoreShape, MinerCore, State8, Tail, Word};
use rust_hdl::prelude::*;
use std::time::Instant;

/// rust-hdl's own limit on update passes per settle.
const MAX_PASSES: usize = 100;

/// A mining core under simulation.
pub struct CoreSim {
    core: Box<MinerCore>,
    cycles: u64,
    passes: u64,
}

impl CoreSim {
    /// A core with `unroll` round stages per transform, reset and idle.
    pub fn new(unroll: usize) -> Result<Self, SimError> {
        let mut core = Box::new(MinerCore::new(unroll)?);
        core.connect_all();
        let mut sim = Self {
            core,
            cycles: 0,
            passes: 0,
        };
        sim.settle()?;
        Ok(sim)
    }

    /// The shape of the simulated core.
    pub fn shape(&self) -> CoreShape {
        self.core.shape()
    }

    /// Clock cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Average `update_all` passes per clock cycle so far.
    pub fn passes_per_cycle(&self) -> f64 {
        self.passes as f64 / self.cycles.max(1) as f64
    }

    fn settle(&mut self) -> Result<(), SimError> {
        for pass in 1..=MAX_PASSES {
            self.core.update_all();
            if !self.core.has_changed() {
                self.passes += pass as u64;
                return Ok(());
            }
        }
        Err(SimError::NoConvergence(MAX_PASSES))
    }

    /// One full clock period. Inputs set before the call settle with the
    /// clock low, then the rising edge samples them.
    pub fn step(&mut self) -> Result<(), SimError> {
        self.core.clock.next = Clock { clk: false };
        self.settle()?;
        self.core.clock.next = Clock { clk: true };
        self.settle()?;
        self.cycles += 1;
        Ok(())
    }

    /// Present `job` and pulse `start` for one cycle.
    pub fn start(&mut self, job: &Job) -> Result<(), SimError> {
        let c = &mut self.core;
        c.midstate.next = State8::from_words(job.midstate);
        c.tail.next = Tail::from_words(job.tail);
        c.nonce_start.next = Word(job.nonce_start);
        c.nonce_end.next = Word(job.nonce_end);
        c.threshold.next = Word(job.threshold);
        c.tag.next = u64::from(job.tag).into();
        c.start.next = true;
        c.run.next = true;
        self.step()?;
        self.core.start.next = false;
        Ok(())
    }

    /// One cycle that also pops a result if the FIFO holds one.
    pub fn step_collect(&mut self, out: &mut Vec<FoundNonce>) -> Result<(), SimError> {
        let valid = self.core.found_valid.val();
        if valid {
            let f = self.core.found.val();
            out.push(FoundNonce {
                nonce: f.nonce.0,
                tag: f.tag.to_u8(),
            });
        }
        self.core.found_ack.next = valid;
        self.step()?;
        self.core.found_ack.next = false;
        Ok(())
    }

    /// The core has hashed its whole range and queued every result.
    pub fn done(&self) -> bool {
        self.core.done.val()
    }

    /// The next nonce the core will issue.
    pub fn nonce(&self) -> u32 {
        self.core.nonce.val().0
    }

    /// Run `job` to completion and return every nonce reported, in order.
    pub fn run(&mut self, job: &Job) -> Result<(Vec<FoundNonce>, RunStats), SimError> {
        self.run_with_progress(job, &mut |_| {})
    }

    /// Like [`run`](Self::run), calling `progress` with the number of
    /// nonces issued so far every few thousand cycles.
    pub fn run_with_progress(
        &mut self,
        job: &Job,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(Vec<FoundNonce>, RunStats), SimError> {
        let shape = self.shape();
        let budget = job.count() * shape.passes as u64 + 4 * shape.latency_cycles() as u64 + 1000;
        let t0 = Instant::now();
        let c0 = self.cycles;
        let mut found = Vec::new();
        self.start(job)?;
        while !self.done() || self.core.found_valid.val() {
            if self.cycles - c0 > budget {
                return Err(SimError::Timeout(budget));
            }
            self.step_collect(&mut found)?;
            if (self.cycles - c0).is_multiple_of(4096) {
                let issued = u64::from(self.nonce().wrapping_sub(job.nonce_start));
                progress(issued.min(job.count()));
            }
        }
        progress(job.count());
        Ok((
            found,
            RunStats {
                cycles: self.cycles - c0,
                hashes: job.count(),
                seconds: t0.elapsed().as_secs_f64(),
            },
        ))
    }
}
