//! The `emulate` subcommand: a thin layer over
//! `ferrominer_sim::emulator`.
//!
//! SIGINT, SIGTERM and SIGHUP are blocked before the emulator starts and
//! waited for with `sigtimedwait` (no signal handler, no extra crate), so a
//! Ctrl-C stops the emulator cleanly: thread joined, Verilator child
//! killed, pty closed.

use anyhow::{bail, Context, Result};
use clap::Args;
use ferrominer_sim::emulator::{
    protocol_name, Backend, Emulator, EmulatorConfig, ShutdownSignals, FRAME_TIMEOUT,
    RESEND_INTERVAL,
};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Which simulator runs the emulated board, on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// Verilator if it is on PATH, else rust-hdl.
    Auto,
    /// The generated Verilog compiled by Verilator (fast).
    Verilator,
    /// rust-hdl's simulator (slow, needs no tool).
    RustHdl,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Auto => Backend::Auto,
            BackendArg::Verilator => Backend::Verilator,
            BackendArg::RustHdl => Backend::RustHdl,
        }
    }
}

#[derive(Args, Debug)]
pub struct EmulateArgs {
    /// Round stages per transform: 64, 32, 16, 8, 4, 2 or 1.
    #[arg(long, default_value_t = 8, value_parser = crate::parse_unroll)]
    pub unroll: usize,
    /// Cores: 1, 2, 4 or 8.
    #[arg(long, default_value_t = 1)]
    pub cores: usize,
    /// The protocol the board speaks.
    #[arg(long, value_enum, default_value_t = crate::ProtocolArg::Native)]
    pub protocol: crate::ProtocolArg,
    /// Which simulator runs the gateware.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
    /// Where Verilator builds are cached (default:
    /// $XDG_CACHE_HOME/ferrominer/emulator or ~/.cache/ferrominer/emulator).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Icarus mode: the value the cores count from (cgminer expects 0).
    #[arg(long, default_value_t = 0, value_parser = crate::parse_u32)]
    pub icarus_first_nonce: u32,
}

pub fn cmd_emulate(a: EmulateArgs) -> Result<()> {
    let mut config = EmulatorConfig::new(a.unroll, a.cores)
        .with_protocol(a.protocol.into())
        .with_backend(a.backend.into());
    config.work_dir = a.work_dir;
    config.icarus_first_nonce = a.icarus_first_nonce;
    config.validate()?;
    // Before any thread exists, so that every thread inherits the mask.
    let signals = ShutdownSignals::block().context("cannot set up Ctrl-C handling")?;
    if config.backend != Backend::RustHdl && Backend::Auto.resolve() == Backend::Verilator {
        eprintln!(
            "building the Verilator model if it is not cached in {} (seconds for U=8, about a minute for U=64)...",
            config.work_dir().display()
        );
    }
    let emu = Emulator::start(config).context("cannot start the emulator")?;
    let engine = emu.engine_config();
    println!(
        "ferrominer emulator ready on {} (U={}, N={}, {}, {})",
        emu.port_path().display(),
        engine.unroll,
        engine.cores,
        protocol_name(emu.config().protocol),
        emu.backend()
    );
    std::io::stdout().flush()?;
    eprintln!(
        "nominal clock {} Hz ({:.0} hashes/s); frame timeout {} ms, result resend {} ms; Ctrl-C to stop",
        engine.clock_hz,
        f64::from(engine.clock_hz) * (engine.unroll * engine.cores) as f64 / 64.0,
        FRAME_TIMEOUT.as_millis(),
        RESEND_INTERVAL.as_millis()
    );
    let signal = loop {
        if let Some(s) = signals.wait(Duration::from_millis(200)) {
            break s;
        }
        if !emu.is_running() {
            let why = emu.failure().unwrap_or_else(|| "unknown reason".into());
            bail!("the emulator stopped: {why}");
        }
    };
    emu.stop().context("the emulator failed")?;
    eprintln!("{signal}: emulator stopped");
    Ok(())
}
