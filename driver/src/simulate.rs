//! Mining a header on the simulated core, with every reported nonce checked
//! against the software reference.

use crate::hash::Hash256;
use crate::work::Work;
use ferrominer_sim::{CoreSim, SimError};

/// A nonce the simulated core reported, verified with `sha2`.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFound {
    /// The nonce.
    pub nonce: u32,
    /// The block hash with that nonce.
    pub hash: Hash256,
    /// The hash meets the header's full target (it would be a block).
    pub meets_target: bool,
}

/// The outcome of [`simulate`].
#[derive(Debug, Clone, PartialEq)]
pub struct SimReport {
    /// Verified nonces at or below the threshold, in the order reported.
    pub found: Vec<SimFound>,
    /// Nonces the core reported that fail the reference check (hardware
    /// errors); always empty for a correct core.
    pub hardware_errors: Vec<u32>,
    /// Nonces hashed.
    pub hashes: u64,
    /// Clock cycles simulated.
    pub cycles: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Run `work` on a simulated core with `unroll` round stages per transform,
/// in rust-hdl's simulator. `progress` gets the nonces issued so far.
pub fn simulate(
    work: &Work,
    unroll: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<SimReport, SimError> {
    let mut sim = CoreSim::new(unroll)?;
    let (found, stats) = sim.run_with_progress(&work.into(), progress)?;
    let mut report = SimReport {
        found: Vec::new(),
        hardware_errors: Vec::new(),
        hashes: stats.hashes,
        cycles: stats.cycles,
        seconds: stats.seconds,
    };
    for f in found {
        let check = work.check_nonce(f.nonce);
        if f.tag == work.job_id && work.contains(f.nonce) && check.meets_threshold {
            report.found.push(SimFound {
                nonce: f.nonce,
                hash: check.hash,
                meets_target: check.meets_target,
            });
        } else {
            report.hardware_errors.push(f.nonce);
        }
    }
    Ok(report)
}
