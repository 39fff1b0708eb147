//! A board emulator: the real gateware behind a pseudo-terminal.
//!
//! [`Emulator::start`] opens a pseudo-terminal pair, puts the slave side in
//! raw mode and serves the board on the master side. A host opens
//! [`Emulator::port_path`] (e.g. `/dev/pts/7`) as it would open a USB
//! serial port (`serialport::new(path, 115200).open()` works), and talks to
//! the board's real protocol engine and mining cores ([`MinerBoard`]),
//! bytes going in where the UART receiver would deliver them and coming out
//! where the UART transmitter would take them. Nothing of the protocol or
//! of the hashing is modelled in software.
//!
//! Two back ends run the gateware:
//!
//! - **Verilator** (the fast path): rust-hdl generates the Verilog of the
//!   `MinerBoard`, Verilator compiles it once with a small C++ harness
//!   (`sim/verilog/emulator_harness.cpp`) into an executable, cached in a
//!   work directory by a hash of the Verilog, the harness and the flags.
//!   The executable runs as a child process whose stdin and stdout carry
//!   the bytes; a bridge thread copies them to and from the pty.
//! - **rust-hdl**: [`BoardSim`](crate::board_sim::BoardSim) on a thread,
//!   reading and writing the pty itself. Much slower, but needs no tool.
//!
//! # Timings
//!
//! The board's timers count clock cycles, so an emulated board needs a
//! clock that means something in wall-clock time. Each back end has a
//! *nominal clock* ([`nominal_clock_hz`]): roughly the cycles per second it
//! runs for that unroll and core count on a 2-core CI machine. It is what
//! `IDENT` reports (so the host's nominal hash rate is about what it will
//! see), and the timers are set from it ([`EmulatorConfig::engine_config`]):
//!
//! - frame timeout ([`FRAME_TIMEOUT`], 50 ms): a frame that stops arriving
//!   mid-way for that long is dropped (the protocol specifies about 10 ms
//!   on a real board; the emulator allows more because its clock is only
//!   an estimate and a busy host may write a frame in pieces);
//! - result resend interval ([`RESEND_INTERVAL`], 50 ms, as on a real
//!   board): an unacknowledged `RESULT` is sent again after that long.
//!
//! Received bytes are put on the board's byte interface one every
//! [`BYTE_GAP`]` + 1` cycles. The board's `tx_ready` is always 1.
//!
//! # Idle
//!
//! The clock runs at full speed while anything happens: bytes in or out,
//! the cores busy, and for a *linger* period afterwards that covers the
//! frame timeout and one resend interval (so those fire in wall-clock time
//! after the last activity). After that the emulator is idle: it waits for
//! input (up to 1 ms at a time with Verilator, 10 ms with rust-hdl) and
//! advances the clock by only [`IDLE_CYCLES`] cycles per wait (1 with
//! rust-hdl), so an idle emulator costs a few percent of a core at most
//! (its timers then run slowly, which only matters for a result that
//! nobody acknowledged for longer than the linger period). A result that
//! is never acknowledged keeps the board resending, so the clock stays at
//! full speed until the pty's and the pipe's buffers (a few KiB each) are
//! full; then the board waits, as it would behind a stalled UART.
//!
//! # The pseudo-terminal
//!
//! The emulator keeps the slave side open itself, so a host can close and
//! reopen the port (the pty is not hung up in between); bytes the board
//! sends while no host has the port open wait in the pty (hosts flush them
//! when they open a port). The `serialport` crate takes the port
//! exclusively (`TIOCEXCL`) and releases it when the port is dropped.
//!
//! [`MinerBoard`]: ferrominer_hdl::board::MinerBoard

mod bench;
mod pty;
mod rust_hdl_backend;
mod signals;
mod verilator;

pub use bench::{bench, bench_table, BenchRow};
pub use signals::ShutdownSignals;
pub use verilator::{VerilatorModel, HARNESS};

use crate::SimError;
use ferrominer_hdl::board::Protocol;
use ferrominer_hdl::core_array::SUPPORTED_CORES;
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::round::T1Adder;
use ferrominer_hdl::{CoreShape, SUPPORTED_UNROLLS};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Idle clock cycles between two bytes put on the board's byte interface.
pub const BYTE_GAP: u32 = 3;

/// How long a frame may stop arriving mid-way before the board drops it.
pub const FRAME_TIMEOUT: Duration = Duration::from_millis(50);

/// How long the board waits for an `ACK_RESULT` before resending a result
/// (as `docs/protocol.md` says a board does).
pub const RESEND_INTERVAL: Duration = Duration::from_millis(50);

/// Clock cycles run per 1 ms wait once the emulator is idle (Verilator).
pub const IDLE_CYCLES: u32 = 4;

/// Which simulator runs the gateware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Verilator if `verilator` is on `PATH`, else rust-hdl.
    #[default]
    Auto,
    /// The generated Verilog, compiled by Verilator (fast; needs verilator
    /// and a C++ compiler).
    Verilator,
    /// rust-hdl's own simulator (slow; needs nothing).
    RustHdl,
}

impl Backend {
    /// The back end `Auto` stands for on this machine (the others are
    /// returned as they are).
    pub fn resolve(self) -> Backend {
        match self {
            Backend::Auto if crate::verilog_sim::which("verilator").is_some() => Backend::Verilator,
            Backend::Auto => Backend::RustHdl,
            b => b,
        }
    }

    /// `"verilator"`, `"rust-hdl"` or `"auto"`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Verilator => "verilator",
            Backend::RustHdl => "rust-hdl",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The name of a protocol: `"native"` or `"icarus"`.
pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Native => "native",
        Protocol::Icarus => "icarus",
    }
}

/// How to build and run an emulated board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Round stages per transform: 64, 32, 16, 8, 4, 2 or 1.
    pub unroll: usize,
    /// Cores: 1, 2, 4 or 8.
    pub cores: usize,
    /// The protocol the board speaks.
    pub protocol: Protocol,
    /// Which simulator runs the gateware.
    pub backend: Backend,
    /// Where Verilator builds are cached; `None` = [`default_work_dir`].
    pub work_dir: Option<PathBuf>,
    /// Icarus mode only: the first value the cores count from (0 for
    /// cgminer; tests start just below a known nonce).
    pub icarus_first_nonce: u32,
    /// The clock `IDENT` reports and the timers are based on; `None` =
    /// [`nominal_clock_hz`] for the back end.
    pub clock_hz: Option<u32>,
}

impl EmulatorConfig {
    /// A native-protocol board of `cores` cores of unroll `unroll`, on the
    /// `Auto` back end, with the default work directory and timings.
    pub fn new(unroll: usize, cores: usize) -> Self {
        Self {
            unroll,
            cores,
            protocol: Protocol::Native,
            backend: Backend::Auto,
            work_dir: None,
            icarus_first_nonce: 0,
            clock_hz: None,
        }
    }

    /// The same with `protocol`.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The same with `backend`.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The same with Verilator builds cached in `dir`.
    pub fn with_work_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.work_dir = Some(dir.into());
        self
    }

    /// Check the unroll and core count.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        CoreShape::new(self.unroll).map_err(|e| {
            EmulatorError::Config(format!("{e} (supported: {SUPPORTED_UNROLLS:?})"))
        })?;
        if !SUPPORTED_CORES.contains(&self.cores) {
            return Err(EmulatorError::Config(format!(
                "{} cores is not supported (supported: {SUPPORTED_CORES:?})",
                self.cores
            )));
        }
        if self.clock_hz == Some(0) {
            return Err(EmulatorError::Config("the clock must be above 0 Hz".into()));
        }
        Ok(())
    }

    /// The work directory: the configured one or [`default_work_dir`].
    pub fn work_dir(&self) -> PathBuf {
        self.work_dir.clone().unwrap_or_else(default_work_dir)
    }

    /// The board's engine configuration on `backend` (`Auto` is resolved
    /// first): the nominal clock, and the frame timeout and resend interval
    /// converted to cycles of it.
    pub fn engine_config(&self, backend: Backend) -> EngineConfig {
        let clock_hz = self
            .clock_hz
            .unwrap_or_else(|| nominal_clock_hz(backend.resolve(), self.unroll, self.cores));
        let cycles = |d: Duration| -> u32 {
            let c = (f64::from(clock_hz) * d.as_secs_f64()).round();
            // The engine's timers are 24 bits wide.
            c.clamp(2.0, f64::from((1u32 << 24) - 1)) as u32
        };
        EngineConfig {
            unroll: self.unroll,
            cores: self.cores,
            clock_hz,
            timeout_cycles: cycles(FRAME_TIMEOUT),
            resend_cycles: cycles(RESEND_INTERVAL),
            icarus_first_nonce: self.icarus_first_nonce,
            t1: T1Adder::Plain,
        }
    }
}

/// Round to two significant digits (a nominal figure should not look
/// more precise than it is).
fn two_digits(x: f64) -> u32 {
    if x < 100.0 {
        return x.max(1.0) as u32;
    }
    let scale = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / scale).round() * scale) as u32
}

/// The emulated clock rate of `backend` for a board of `cores` cores of
/// unroll `unroll`: an estimate of the cycles per second it runs, from
/// measurements on a 2-core machine (per cycle, about 0.2 µs + 0.045 µs ×
/// U × N with Verilator, 7 µs + 2.8 µs × U × N in rust-hdl), rounded to
/// two significant digits. `Auto` is resolved first.
pub fn nominal_clock_hz(backend: Backend, unroll: usize, cores: usize) -> u32 {
    let un = (unroll * cores) as f64;
    let micros = match backend.resolve() {
        Backend::RustHdl => 7.0 + 2.8 * un,
        _ => 0.2 + 0.045 * un,
    };
    two_digits(1e6 / micros)
}

/// The default work directory for Verilator builds:
/// `$XDG_CACHE_HOME/ferrominer/emulator`, else
/// `$HOME/.cache/ferrominer/emulator`, else one under the temporary
/// directory.
pub fn default_work_dir() -> PathBuf {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = non_empty("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("ferrominer").join("emulator");
    }
    if let Some(h) = non_empty("HOME") {
        return PathBuf::from(h)
            .join(".cache")
            .join("ferrominer")
            .join("emulator");
    }
    let user = non_empty("USER")
        .map(|u| u.to_string_lossy().into_owned())
        .unwrap_or_else(|| "user".into());
    std::env::temp_dir()
        .join(format!("ferrominer-{user}"))
        .join("emulator")
}

/// Why an emulator could not start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Bad unroll, core count or clock.
    #[error("bad emulator configuration: {0}")]
    Config(String),
    /// The Verilator back end was asked for but Verilator is not installed.
    #[error("verilator was not found on PATH; install it (`apt-get install -y verilator`, or scripts/setup.sh) or use the rust-hdl back end")]
    MissingVerilator,
    /// Verilator could not build the model.
    #[error("building the Verilator model in {dir} failed: {detail}")]
    Build {
        /// The build directory.
        dir: PathBuf,
        /// What the tools printed, or why they could not run.
        detail: String,
    },
    /// The pseudo-terminal could not be opened or configured.
    #[error("pseudo-terminal: {0}")]
    Pty(String),
    /// rust-hdl's simulator failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The back end stopped on its own.
    #[error("the emulator's back end stopped: {0}")]
    Stopped(String),
    /// The benchmark's host got no answer, or a wrong one.
    #[error("benchmark: {0}")]
    Bench(String),
    /// File-system or process trouble.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmulatorError {
    let context = context.into();
    move |source| EmulatorError::Io { context, source }
}

/// What the serving thread shares with the [`Emulator`].
#[derive(Default)]
pub(crate) struct Shared {
    /// Set by `stop()`: the thread ends.
    pub stop: AtomicBool,
    /// Why the back end stopped on its own, if it did.
    pub failure: Mutex<Option<String>>,
}

impl Shared {
    pub fn fail(&self, why: String) {
        if let Ok(mut f) = self.failure.lock() {
            f.get_or_insert(why);
        }
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A running emulated board, served on a pseudo-terminal.
///
/// Stop it with [`stop`](Self::stop), or drop it: either way the serving
/// thread is joined, the Verilator child (if any) is killed and reaped, and
/// the pty is closed.
pub struct Emulator {
    id: u64,
    path: PathBuf,
    backend: Backend,
    config: EmulatorConfig,
    engine: EngineConfig,
    build_seconds: f64,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    child: Option<Child>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("path", &self.path)
            .field("backend", &self.backend)
            .field("engine", &self.engine)
            .finish()
    }
}

impl Emulator {
    /// Build (or reuse) the back end for `config`, open a pseudo-terminal
    /// and start serving the board on it.
    ///
    /// With Verilator the first start of a configuration generates the
    /// Verilog and compiles it (seconds for U = 8, about 20 s for U = 64);
    /// later starts reuse the build from the work directory.
    pub fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        config.validate()?;
        let backend = match config.backend {
            Backend::Verilator if crate::verilog_sim::which("verilator").is_none() => {
                return Err(EmulatorError::MissingVerilator)
            }
            b => b.resolve(),
        };
        let engine = config.engine_config(backend);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared::default());
        let thread_name = format!("fmemu{id}");
        let (pty, thread, child, build_seconds) = match backend {
            Backend::Verilator => {
                let model = VerilatorModel::build(engine, config.protocol, &config.work_dir())?;
                let pty = pty::Pty::open()?;
                let path = pty.path.clone();
                let (child, thread) = verilator::serve(&model, pty, shared.clone(), thread_name)?;
                (path, thread, Some(child), model.build_seconds)
            }
            _ => {
                let sim =
                    crate::board_sim::BoardSim::with_protocol(engine, config.protocol, BYTE_GAP)?;
                let pty = pty::Pty::open()?;
                let path = pty.path.clone();
                let thread =
                    rust_hdl_backend::serve(sim, engine, pty, shared.clone(), thread_name)?;
                (path, thread, None, 0.0)
            }
        };
        Ok(Emulator {
            id,
            path: pty,
            backend,
            config,
            engine,
            build_seconds,
            shared,
            thread: Some(thread),
            child,
        })
    }

    /// The slave side of the pseudo-terminal, e.g. `/dev/pts/7`: open it
    /// as a serial port (any baud rate; it is ignored).
    pub fn port_path(&self) -> &Path {
        &self.path
    }

    /// The back end that runs the gateware (never `Auto`).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The configuration the emulator was started with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.config
    }

    /// The engine configuration the gateware was built with (nominal clock
    /// and timer cycles).
    pub fn engine_config(&self) -> EngineConfig {
        self.engine
    }

    /// Seconds spent generating and compiling the Verilator model (0 when
    /// it was cached, and for rust-hdl).
    pub fn build_seconds(&self) -> f64 {
        self.build_seconds
    }

    /// The name of the serving thread (`fmemu<N>`, unique in the process).
    pub fn thread_name(&self) -> String {
        format!("fmemu{}", self.id)
    }

    /// The process id of the Verilator child, if that is the back end.
    pub fn child_pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Why the back end stopped on its own, if it did (the pty then no
    /// longer answers).
    pub fn failure(&self) -> Option<String> {
        self.shared.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Whether the back end is still serving.
    pub fn is_running(&self) -> bool {
        self.failure().is_none()
            && self
                .thread
                .as_ref()
                .map(|t| !t.is_finished())
                .unwrap_or(false)
    }

    /// Stop serving: end the thread, kill the Verilator child, close the
    /// pty. Returns an error if the back end had stopped on its own before.
    pub fn stop(mut self) -> Result<(), EmulatorError> {
        self.shutdown();
        match self.failure() {
            Some(why) => Err(EmulatorError::Stopped(why)),
            None => Ok(()),
        }
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                self.shared.fail("the serving thread panicked".into());
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Cycles to keep the clock at full speed after the last activity: the
/// frame timeout plus one resend interval, and a margin.
pub(crate) fn linger_cycles(engine: &EngineConfig) -> u64 {
    (u64::from(engine.timeout_cycles) + u64::from(engine.resend_cycles)) * 5 / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_clocks_are_round_and_ordered() {
        let v8 = nominal_clock_hz(Backend::Verilator, 8, 1);
        let v64 = nominal_clock_hz(Backend::Verilator, 64, 1);
        let r64 = nominal_clock_hz(Backend::RustHdl, 64, 1);
        assert!(v8 > v64 && v64 > r64, "{v8} {v64} {r64}");
        assert_eq!(two_digits(1_234_567.0), 1_200_000);
        assert_eq!(two_digits(45.0), 45);
    }

    #[test]
    fn timers_are_wall_clock() {
        let mut c = EmulatorConfig::new(8, 1);
        c.clock_hz = Some(1_000_000);
        let e = c.engine_config(Backend::Verilator);
        assert_eq!(e.timeout_cycles, 50_000);
        assert_eq!(e.resend_cycles, 50_000);
        assert_eq!(e.clock_hz, 1_000_000);
    }

    #[test]
    fn bad_configurations_are_errors() {
        assert!(EmulatorConfig::new(3, 1).validate().is_err());
        assert!(EmulatorConfig::new(8, 3).validate().is_err());
        assert!(EmulatorConfig::new(8, 2).validate().is_ok());
    }
}
