//! The board emulator through a real pseudo-terminal, opened with the
//! `serialport` crate as a host opens a USB serial port: the real gateware
//! answers `IDENTIFY`, mines a genesis-block window, resends nothing once
//! acknowledged, speaks Icarus in Icarus mode, and leaves no thread, child
//! process or pty behind when stopped. Verilator is tested when it is
//! installed (it is in CI), rust-hdl always.

use ferrominer::protocol::{Command, FrameDecoder, Reply, SetWork};
use ferrominer::{BlockHeader, Work};
use ferrominer_hdl::board::Protocol;
use ferrominer_sim::emulator::{Backend, Emulator, EmulatorConfig, EmulatorError};
use ferrominer_tests::*;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("emulator")
}

fn have_verilator() -> bool {
    let yes = Backend::Auto.resolve() == Backend::Verilator;
    if !yes {
        eprintln!("verilator is not installed: skipping the Verilator back end");
    }
    yes
}

/// Held while an emulator starts (allocating a pty) and while one is
/// stopped and checked, so that no test's new pty reuses the number of one
/// being checked.
static PTYS: Mutex<()> = Mutex::new(());

fn pty_lock() -> MutexGuard<'static, ()> {
    PTYS.lock().unwrap_or_else(|e| e.into_inner())
}

fn start(config: EmulatorConfig) -> Emulator {
    let _pty = pty_lock();
    let emu = Emulator::start(config.with_work_dir(work_dir())).expect("emulator start");
    eprintln!(
        "emulator on {} ({}, built in {:.1} s)",
        emu.port_path().display(),
        emu.backend(),
        emu.build_seconds()
    );
    emu
}

fn open_port(path: &Path) -> Box<dyn serialport::SerialPort> {
    serialport::new(path.to_string_lossy(), 115_200)
        .timeout(Duration::from_millis(20))
        .open()
        .unwrap_or_else(|e| panic!("cannot open {} as a serial port: {e}", path.display()))
}

/// Read from `port` until `want` bytes came or `timeout` passed.
fn read_bytes(port: &mut dyn serialport::SerialPort, want: usize, timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    while out.len() < want && Instant::now() < deadline {
        match port.read(&mut buf) {
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => panic!("reading the port: {e}"),
        }
    }
    out
}

/// A native-protocol host on a serial port.
struct Host {
    port: Box<dyn serialport::SerialPort>,
    decoder: FrameDecoder,
}

impl Host {
    fn open(path: &Path) -> Self {
        Self {
            port: open_port(path),
            decoder: FrameDecoder::new(),
        }
    }

    fn send(&mut self, cmd: Command) {
        self.port.write_all(&cmd.to_frame().encode()).unwrap();
        self.port.flush().unwrap();
    }

    /// Replies until `want` have arrived or `timeout` passed.
    fn replies(&mut self, want: usize, timeout: Duration) -> Vec<Reply> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        while out.len() < want && Instant::now() < deadline {
            let bytes = read_bytes(self.port.as_mut(), 1, Duration::from_millis(50));
            self.decoder.push(&bytes);
            while let Some(f) = self.decoder.next_frame() {
                let f = f.expect("the emulator sent a bad frame");
                out.push(Reply::from_frame(&f).expect("the emulator sent an unknown reply"));
            }
        }
        out
    }

    fn one(&mut self, cmd: Command) -> Reply {
        self.send(cmd);
        let r = self.replies(1, Duration::from_secs(10));
        assert_eq!(r.len(), 1, "expected one reply to {cmd:?}, got {r:?}");
        r[0]
    }
}

fn set_work(w: &Work) -> Command {
    Command::SetWork(SetWork::from(w))
}

/// Whether a descriptor of this process refers to `path`.
fn fd_open(path: &Path) -> bool {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| target == path)
}

fn thread_exists(name: &str) -> bool {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .any(|comm| comm.trim_end() == name)
}

/// Stop the emulator (or drop it) and check that its thread, its child
/// process and its pty are gone.
fn stop_and_check(emu: Emulator, drop_it: bool) {
    let _pty = pty_lock();
    let thread = emu.thread_name();
    let child = emu.child_pid();
    let path = emu.port_path().to_path_buf();
    assert!(emu.is_running(), "{:?}", emu.failure());
    assert!(thread_exists(&thread), "no thread {thread} while running");
    assert!(
        fd_open(&path),
        "the emulator does not hold {}",
        path.display()
    );
    if let Some(pid) = child {
        assert!(Path::new(&format!("/proc/{pid}")).exists());
    }
    if drop_it {
        drop(emu);
    } else {
        emu.stop().expect("the emulator failed while running");
    }
    assert!(!thread_exists(&thread), "thread {thread} survived");
    if let Some(pid) = child {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "the Verilator child {pid} survived (or is an unreaped zombie)"
        );
    }
    // The serving thread owned the master side; the slave side is closed.
    assert!(!fd_open(&path), "{} is still open", path.display());
}

/// IDENTIFY, then the genesis block mined from a window around its nonce
/// (WORK_ACK, RESULT with the genesis nonce, ACK_RESULT, nothing resent),
/// STATUS, and the port closed and opened again.
fn native_protocol(backend: Backend) {
    let emu = start(EmulatorConfig::new(8, 2).with_backend(backend));
    assert_eq!(emu.backend(), backend);
    let engine = emu.engine_config();
    let mut host = Host::open(emu.port_path());
    match host.one(Command::Identify) {
        Reply::Ident(i) => {
            assert_eq!((i.version, i.unroll, i.cores), (1, 8, 2));
            assert_eq!(i.clock_hz, engine.clock_hz);
            assert_eq!(i.hashes_per_clock_x64, 16);
        }
        r => panic!("expected IDENT, got {r:?}"),
    }

    let genesis = &real_blocks()[0];
    let work = block_window(genesis, 300, 40).with_job_id(7);
    host.send(set_work(&work));
    let got = host.replies(2, Duration::from_secs(20));
    assert_eq!(got.first(), Some(&Reply::WorkAck { job_id: 7 }), "{got:?}");
    let seq = match got.get(1) {
        Some(&Reply::Result { seq, job_id, nonce }) => {
            assert_eq!((job_id, nonce), (7, genesis.nonce));
            seq
        }
        r => panic!("expected the genesis RESULT, got {r:?} (all: {got:?})"),
    };
    // Not acknowledged: the same RESULT again after the resend interval
    // (250 ms of the nominal clock).
    let t = Instant::now();
    let again = host.replies(1, Duration::from_secs(5));
    assert_eq!(
        again,
        [Reply::Result {
            seq,
            job_id: 7,
            nonce: genesis.nonce
        }]
    );
    eprintln!("{backend}: RESULT resent after {:?}", t.elapsed());
    host.send(Command::AckResult { seq });
    // Acknowledged: not sent again, even after a few resend intervals.
    let later = host.replies(1, Duration::from_millis(800));
    assert!(later.is_empty(), "after ACK_RESULT: {later:?}");
    match host.one(Command::Status) {
        Reply::Status(s) => {
            assert_eq!(s.job_id, 7);
            assert!(!s.busy, "{s:?}");
            assert_eq!(s.pending, 0, "{s:?}");
            // Core 0 did its half of the range (the larger half if odd).
            assert_eq!(u64::from(s.progress), work.count().div_ceil(2), "{s:?}");
        }
        r => panic!("expected STATUS_REPLY, got {r:?}"),
    }

    // A host closes the port and opens it again (serialport's exclusive
    // lock is released, the pty is still there).
    drop(host);
    let mut host = Host::open(emu.port_path());
    assert!(matches!(host.one(Command::Identify), Reply::Ident(_)));
    drop(host);
    stop_and_check(emu, false);
}

#[test]
fn native_protocol_on_verilator() {
    if have_verilator() {
        native_protocol(Backend::Verilator);
    }
}

#[test]
fn native_protocol_on_rust_hdl() {
    native_protocol(Backend::RustHdl);
}

/// Icarus mode: 64 bytes of the genesis block's work in, its 4 nonce bytes
/// out, nothing more.
fn icarus(backend: Backend) {
    let h: BlockHeader = real_blocks()[0].header.parse().unwrap();
    let nonce_bytes = h.as_bytes()[76..80].to_vec();
    let count = u32::from_be_bytes(nonce_bytes.clone().try_into().unwrap());
    let mut config = EmulatorConfig::new(8, 1)
        .with_protocol(Protocol::Icarus)
        .with_backend(backend);
    config.icarus_first_nonce = count - 300;
    let emu = start(config);
    let mut port = open_port(emu.port_path());
    port.write_all(&ferrominer::protocol::icarus_work(&h))
        .unwrap();
    port.flush().unwrap();
    let got = read_bytes(port.as_mut(), 4, Duration::from_secs(20));
    assert_eq!(got, nonce_bytes);
    let more = read_bytes(port.as_mut(), 1, Duration::from_millis(300));
    assert!(more.is_empty(), "after the nonce: {more:02x?}");
    drop(port);
    stop_and_check(emu, true);
}

#[test]
fn icarus_on_verilator() {
    if have_verilator() {
        icarus(Backend::Verilator);
    }
}

#[test]
fn icarus_on_rust_hdl() {
    icarus(Backend::RustHdl);
}

#[test]
fn bad_configurations_are_rejected() {
    for (u, n) in [(3, 1), (8, 3), (0, 1), (8, 16)] {
        let e = Emulator::start(EmulatorConfig::new(u, n).with_backend(Backend::RustHdl))
            .expect_err("a bad configuration started");
        assert!(matches!(e, EmulatorError::Config(_)), "{e}");
    }
}
