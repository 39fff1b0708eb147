//! Simulation speed benchmark: the mining core in rust-hdl's simulator and
//! its generated Verilog in Verilator, measured in the same run so that the
//! ratio between them is meaningful on a shared, noisy machine.

use crate::header::BlockHeader;
use crate::work::Work;
use ferrominer_hdl::round::T1Adder;
use ferrominer_sim::verilog_sim::{Simulator, TbJob, VerilogCore};
use ferrominer_sim::{CoreSim, SimError};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// The genesis block header: the benchmark hashes windows of it.
const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";

/// One measured configuration.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// `rust-hdl` or `verilator`.
    pub backend: &'static str,
    /// Round stages per transform.
    pub unroll: usize,
    /// Nonces hashed.
    pub hashes: u64,
    /// Clock cycles simulated.
    pub cycles: u64,
    /// Wall-clock seconds of simulation (excluding any build).
    pub seconds: f64,
    /// Seconds spent building the simulator (Verilator only; 0 if cached).
    pub build_seconds: f64,
    /// `update_all` passes per clock cycle (rust-hdl only).
    pub passes_per_cycle: Option<f64>,
}

impl BenchRow {
    /// Simulated clock cycles per second.
    pub fn cycles_per_second(&self) -> f64 {
        self.cycles as f64 / self.seconds
    }

    /// Simulated hashes per second.
    pub fn hashes_per_second(&self) -> f64 {
        self.hashes as f64 / self.seconds
    }
}

/// How much work each backend does per configuration.
#[derive(Debug, Clone, Copy)]
pub struct BenchSize {
    /// Nonces per rust-hdl run.
    pub rust_hdl_hashes: u64,
    /// Nonces per Verilator run.
    pub verilator_hashes: u64,
}

fn genesis_work(count: u64) -> Work {
    let header: BlockHeader = GENESIS.parse().expect("genesis header is valid");
    // Threshold 0: the benchmark measures hashing, not result traffic.
    Work::from_header(&header, 1 << 20, count)
        .expect("range fits")
        .with_threshold(0)
}

/// Measure the rust-hdl simulator on `unroll`.
pub fn bench_rust_hdl(unroll: usize, hashes: u64) -> Result<BenchRow, SimError> {
    let mut sim = CoreSim::new(unroll)?;
    let t0 = Instant::now();
    let (_, stats) = sim.run(&(&genesis_work(hashes)).into())?;
    Ok(BenchRow {
        backend: "rust-hdl",
        unroll,
        hashes,
        cycles: stats.cycles,
        seconds: t0.elapsed().as_secs_f64(),
        build_seconds: 0.0,
        passes_per_cycle: Some(sim.passes_per_cycle()),
    })
}

/// Measure Verilator on the generated Verilog of `unroll`, building it in
/// `work_dir` (cached between runs).
pub fn bench_verilator(unroll: usize, hashes: u64, work_dir: &Path) -> Result<BenchRow, SimError> {
    let core = VerilogCore::build(Simulator::Verilator, unroll, T1Adder::Plain, work_dir)?;
    let job = TbJob {
        job: (&genesis_work(hashes)).into(),
        switch_after: None,
    };
    let t0 = Instant::now();
    let results = core.run(&[job])?;
    let seconds = t0.elapsed().as_secs_f64();
    Ok(BenchRow {
        backend: "verilator",
        unroll,
        hashes,
        cycles: results.first().map_or(0, |r| r.end_cycle),
        seconds,
        build_seconds: core.build_seconds,
        passes_per_cycle: None,
    })
}

/// Render rows as a Markdown table, with each Verilator row's speed-up over
/// the rust-hdl row of the same unroll.
pub fn table(rows: &[BenchRow]) -> String {
    let mut out = String::from(
        "| backend | U | hashes | cycles | seconds | cycles/s | hashes/s | vs rust-hdl | passes/cycle |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let base = rows
            .iter()
            .find(|b| b.backend == "rust-hdl" && b.unroll == r.unroll)
            .map(|b| b.cycles_per_second());
        let ratio = match base {
            Some(b) if r.backend != "rust-hdl" => format!("{:.0}×", r.cycles_per_second() / b),
            Some(_) => "1×".to_string(),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.0} | {:.0} | {} | {} |\n",
            r.backend,
            r.unroll,
            r.hashes,
            r.cycles,
            r.seconds,
            r.cycles_per_second(),
            r.hashes_per_second(),
            ratio,
            r.passes_per_cycle
                .map_or("-".to_string(), |p| format!("{p:.1}")),
        ));
    }
    out
}
