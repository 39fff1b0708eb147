//! The rust-hdl back end: `BoardSim` on a thread that reads and writes the
//! pty itself.

use super::pty::Pty;
use super::verilator::drain;
use super::{io_err, linger_cycles, EmulatorError, Shared};
use crate::board_sim::BoardSim;
use ferrominer_hdl::protocol::EngineConfig;
use nix::poll::{poll, PollFd, PollFlags};
use std::io::{ErrorKind, Read};
use std::os::unix::io::AsRawFd;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Cycles run between two looks at the pty while active.
const CHUNK: u64 = 16;

/// Once idle, wait up to this long for input, then run [`IDLE_STEP`]
/// cycles (a rust-hdl cycle costs tens of microseconds, so an idle board
/// costs well under 1% of a core).
const IDLE_WAIT_MS: i32 = 10;

/// Cycles run per idle wait.
const IDLE_STEP: u64 = 1;

/// Bytes buffered in each direction before the thread stops reading the
/// pty (input) or clocking the board (output).
const CAP: usize = 4096;

/// Start a thread (named `name`) serving `sim` on `pty`.
pub(crate) fn serve(
    sim: BoardSim,
    engine: EngineConfig,
    pty: Pty,
    shared: Arc<Shared>,
    name: String,
) -> Result<JoinHandle<()>, EmulatorError> {
    std::thread::Builder::new()
        .name(name)
        .spawn(move || run(sim, &engine, pty, &shared))
        .map_err(io_err("starting the emulator thread"))
}

fn wait_for(pty: &Pty, events: PollFlags, ms: i32) {
    let mut fds = [PollFd::new(pty.master.as_raw_fd(), events)];
    let _ = poll(&mut fds, ms);
}

fn run(mut sim: BoardSim, engine: &EngineConfig, pty: Pty, shared: &Shared) {
    let linger = linger_cycles(engine);
    let mut master = &pty.master;
    let mut to_host: Vec<u8> = Vec::with_capacity(CAP);
    let mut buf = [0u8; CAP];
    let mut last_activity = 0u64;
    while !shared.stopping() {
        if sim.queued() < CAP {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => {
                    sim.send(&buf[..n]);
                    last_activity = sim.cycles();
                }
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                Err(e) => return shared.fail(format!("reading the pty: {e}")),
            }
        }
        if let Err(e) = drain(&mut master, &mut to_host) {
            return shared.fail(format!("writing the pty: {e}"));
        }
        if to_host.len() >= CAP {
            // Nobody reads the port: hold the board (as a busy UART would).
            wait_for(&pty, PollFlags::POLLOUT, 10);
            continue;
        }
        let active =
            sim.queued() > 0 || sim.busy() || sim.cycles().saturating_sub(last_activity) <= linger;
        let cycles = if active {
            CHUNK
        } else {
            let mut ev = PollFlags::POLLIN;
            if !to_host.is_empty() {
                ev |= PollFlags::POLLOUT;
            }
            wait_for(&pty, ev, IDLE_WAIT_MS);
            IDLE_STEP
        };
        if let Err(e) = sim.run(cycles) {
            return shared.fail(format!("rust-hdl simulation: {e}"));
        }
        let out = sim.take_output();
        if !out.is_empty() {
            to_host.extend_from_slice(&out);
            last_activity = sim.cycles();
        }
        if sim.busy() || sim.queued() > 0 {
            last_activity = sim.cycles();
        }
    }
}
