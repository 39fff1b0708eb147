//! The Verilator back end: the board's generated Verilog compiled with a
//! C++ harness, run as a child process that speaks bytes on its stdin and
//! stdout, bridged to the pty by a thread.

use super::pty::{set_nonblocking, Pty};
use super::{io_err, linger_cycles, protocol_name, EmulatorError, Shared, BYTE_GAP, IDLE_CYCLES};
use ferrominer_hdl::board::{MinerBoard, Protocol};
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_hdl::verilog::to_verilog;
use nix::poll::{poll, PollFd, PollFlags};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// The C++ harness, compiled into this crate.
pub const HARNESS: &str = include_str!("../../verilog/emulator_harness.cpp");

/// Top module name of the generated Verilog.
const TOP: &str = "miner_board";

/// Verilator's arguments (part of the cache key).
const VERILATOR_ARGS: &[&str] = &[
    "--cc",
    "--exe",
    "--build",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "-Wno-fatal",
    "-Wno-WIDTH",
    "-Wno-lint",
    "-Wno-style",
    "--top-module",
    TOP,
    "-j",
    "2",
    "-o",
    "Vemulator",
    "emulator_harness.cpp",
    "miner_board.v",
];

/// Bytes buffered in each direction before the bridge stops reading (the
/// back-pressure then reaches the harness, which blocks writing).
const CAP: usize = 4096;

/// A compiled emulator executable for one board configuration.
#[derive(Debug, Clone)]
pub struct VerilatorModel {
    /// The executable.
    pub exe: PathBuf,
    /// Its build directory (Verilog, harness, Verilator's `obj_dir`).
    pub dir: PathBuf,
    /// Seconds spent generating and compiling (0 when cached).
    pub build_seconds: f64,
    /// The engine configuration it was built with.
    pub engine: EngineConfig,
    /// The protocol it speaks.
    pub protocol: Protocol,
}

/// 64-bit FNV-1a: a stable hash for the build cache key.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.iter().chain(&[0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl VerilatorModel {
    /// Generate the Verilog of the `MinerBoard` for `engine` and
    /// `protocol` and compile it with the harness under `work_dir`, or
    /// reuse an earlier build of exactly the same Verilog, harness and
    /// flags. Concurrent builds of one configuration (threads or
    /// processes) wait for each other through a lock file.
    pub fn build(
        engine: EngineConfig,
        protocol: Protocol,
        work_dir: &Path,
    ) -> Result<Self, EmulatorError> {
        if crate::verilog_sim::which("verilator").is_none() {
            return Err(EmulatorError::MissingVerilator);
        }
        let t0 = Instant::now();
        let mut board = MinerBoard::with_protocol(engine, protocol)
            .map_err(|e| EmulatorError::Config(e.to_string()))?;
        let verilog = to_verilog(&mut board, TOP);
        let args = VERILATOR_ARGS.join(" ");
        let key = fnv1a(&[HARNESS.as_bytes(), args.as_bytes(), verilog.as_bytes()]);
        let name = format!(
            "board-u{}-n{}-{}-{key:016x}",
            engine.unroll,
            engine.cores,
            protocol_name(protocol)
        );
        std::fs::create_dir_all(work_dir)
            .map_err(io_err(format!("creating {}", work_dir.display())))?;
        let dir = work_dir.join(&name);
        let lock_path = work_dir.join(format!("{name}.lock"));
        let lock = File::create(&lock_path)
            .map_err(io_err(format!("creating {}", lock_path.display())))?;
        nix::fcntl::flock(lock.as_raw_fd(), nix::fcntl::FlockArg::LockExclusive).map_err(|e| {
            EmulatorError::Io {
                context: format!("locking {}", lock_path.display()),
                source: e.into(),
            }
        })?;
        let exe = dir.join("obj_dir").join("Vemulator");
        let marker = dir.join("built");
        let model = |build_seconds| VerilatorModel {
            exe: exe.clone(),
            dir: dir.clone(),
            build_seconds,
            engine,
            protocol,
        };
        if marker.is_file() && exe.is_file() {
            return Ok(model(0.0));
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
        std::fs::write(dir.join("miner_board.v"), &verilog)
            .map_err(io_err("writing the board's Verilog"))?;
        std::fs::write(dir.join("emulator_harness.cpp"), HARNESS)
            .map_err(io_err("writing the emulator harness"))?;
        let out = Command::new("verilator")
            .current_dir(&dir)
            .args(VERILATOR_ARGS)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| EmulatorError::Build {
                dir: dir.clone(),
                detail: format!("cannot run verilator: {e}"),
            })?;
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::write(dir.join("build.log"), &log);
        if !out.status.success() || !exe.is_file() {
            return Err(EmulatorError::Build {
                dir: dir.clone(),
                detail: format!("{}:\n{}", out.status, last_lines(&log, 30)),
            });
        }
        std::fs::write(&marker, b"").map_err(io_err("marking the build done"))?;
        drop(lock);
        Ok(model(t0.elapsed().as_secs_f64()))
    }

    /// Start the executable as a child process in its own process group (a
    /// Ctrl-C on the terminal goes to the emulator, which then stops the
    /// child), with piped stdin and stdout.
    pub(crate) fn spawn(&self) -> Result<Child, EmulatorError> {
        let linger = linger_cycles(&self.engine);
        Command::new(&self.exe)
            .arg(BYTE_GAP.to_string())
            .arg(linger.to_string())
            .arg(IDLE_CYCLES.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(io_err(format!("starting {}", self.exe.display())))
    }
}

/// Start the model and a thread (named `name`) that bridges it to `pty`.
pub(crate) fn serve(
    model: &VerilatorModel,
    pty: Pty,
    shared: Arc<Shared>,
    name: String,
) -> Result<(Child, JoinHandle<()>), EmulatorError> {
    let mut child = model.spawn()?;
    let pipes = (child.stdin.take(), child.stdout.take());
    let started = match pipes {
        (Some(stdin), Some(stdout)) => set_nonblocking(stdin.as_raw_fd())
            .and_then(|_| set_nonblocking(stdout.as_raw_fd()))
            .and_then(|_| {
                // A small pipe keeps back-pressure tight (best effort).
                let _ = nix::fcntl::fcntl(
                    stdout.as_raw_fd(),
                    nix::fcntl::FcntlArg::F_SETPIPE_SZ(CAP as i32),
                );
                std::thread::Builder::new()
                    .name(name)
                    .spawn(move || bridge(pty, stdin, stdout, &shared))
                    .map_err(io_err("starting the emulator thread"))
            }),
        _ => Err(EmulatorError::Stopped(
            "the Verilator model's pipes are missing".into(),
        )),
    };
    match started {
        Ok(thread) => Ok((child, thread)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// Read what `from` has (non-blocking) into `buf` up to `CAP` bytes.
/// `Ok(false)` at end of file.
fn fill(from: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; CAP];
    while buf.len() < CAP {
        match from.read(&mut chunk[..CAP - buf.len()]) {
            Ok(0) => return Ok(false),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Write what `to` takes (non-blocking) from the front of `buf`.
pub(crate) fn drain(to: &mut impl Write, buf: &mut Vec<u8>) -> std::io::Result<()> {
    while !buf.is_empty() {
        match to.write(buf) {
            Ok(0) => break,
            Ok(n) => {
                buf.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn bridge(pty: Pty, mut stdin: ChildStdin, mut stdout: ChildStdout, shared: &Shared) {
    let mut master = &pty.master;
    let mut to_child: Vec<u8> = Vec::with_capacity(CAP);
    let mut to_host: Vec<u8> = Vec::with_capacity(CAP);
    let fail = |what: String| {
        if !shared.stopping() {
            shared.fail(what);
        }
    };
    while !shared.stopping() {
        let mut master_ev = PollFlags::empty();
        if to_child.len() < CAP {
            master_ev |= PollFlags::POLLIN;
        }
        if !to_host.is_empty() {
            master_ev |= PollFlags::POLLOUT;
        }
        let out_ev = if to_host.len() < CAP {
            PollFlags::POLLIN
        } else {
            PollFlags::empty()
        };
        let in_ev = if to_child.is_empty() {
            PollFlags::empty()
        } else {
            PollFlags::POLLOUT
        };
        let mut fds = [
            PollFd::new(master.as_raw_fd(), master_ev),
            PollFd::new(stdout.as_raw_fd(), out_ev),
            PollFd::new(stdin.as_raw_fd(), in_ev),
        ];
        match poll(&mut fds, 10) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return fail(format!("poll: {e}")),
        }
        if let Err(e) = fill(&mut master, &mut to_child) {
            return fail(format!("reading the pty: {e}"));
        }
        if let Err(e) = drain(&mut stdin, &mut to_child) {
            return fail(format!("the Verilator model stopped taking input: {e}"));
        }
        match fill(&mut stdout, &mut to_host) {
            Ok(true) => {}
            Ok(false) => return fail("the Verilator model exited".into()),
            Err(e) => return fail(format!("reading the Verilator model: {e}")),
        }
        if let Err(e) = drain(&mut master, &mut to_host) {
            return fail(format!("writing the pty: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated Verilog declares every name it uses: no Rust `const`
    /// from a `#[hdl_gen]` body leaks into it undeclared (rust-hdl emits
    /// such a name verbatim; Verilator and Icarus then refuse the design).
    #[test]
    fn board_verilog_uses_no_undeclared_rust_constant() {
        use ferrominer_hdl::board::{MinerBoard, Protocol};
        use ferrominer_hdl::protocol::EngineConfig;
        for p in [Protocol::Native, Protocol::Icarus] {
            let mut b = MinerBoard::with_protocol(EngineConfig::new(1, 1, 1_000_000), p).unwrap();
            let v = to_verilog(&mut b, "board");
            let code: String = v
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let shouting: Vec<&str> = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.len() > 3 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                // FPGA primitives and their ports are not Rust constants.
                .filter(|w| !w.starts_with("SB_") && !w.starts_with("EHX"))
                .filter(|w| !["DCCA", "CLKI", "CLKO"].contains(w))
                .collect();
            assert!(shouting.is_empty(), "undeclared constants? {shouting:?}");
        }
    }

    #[test]
    fn cache_key_is_stable() {
        assert_eq!(fnv1a(&[b"a"]), fnv1a(&[b"a"]));
        assert_ne!(fnv1a(&[b"ab", b""]), fnv1a(&[b"a", b"b"]));
    }
}
