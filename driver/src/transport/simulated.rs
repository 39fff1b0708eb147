//! A transport whose far end is the board's real gateware in rust-hdl's
//! simulator, on a thread: the hardware-free back end for tests (like
//! probe-rs's fake probe, but running the real protocol engine and cores).
//! The emulator serves the same gateware on a pseudo-terminal instead.

use super::{Transport, TransportError};
use ferrominer_hdl::board::Protocol;
use ferrominer_hdl::protocol::EngineConfig;
use ferrominer_sim::board_sim::BoardSim;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A simulated board reached through channels.
pub struct SimulatedBoard {
    name: String,
    to_board: Sender<Vec<u8>>,
    from_board: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatedBoard {
    /// Start a simulated board built from `config`, speaking `protocol`.
    pub fn start(config: EngineConfig, protocol: Protocol) -> Result<Self, String> {
        let mut sim = BoardSim::with_protocol(config, protocol, 4).map_err(|e| e.to_string())?;
        let (to_board, rx) = channel::<Vec<u8>>();
        let (tx, from_board) = channel::<Vec<u8>>();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                while let Ok(bytes) = rx.try_recv() {
                    sim.send(&bytes);
                }
                if !sim.busy() && sim.queued() == 0 {
                    // Idle: wait for bytes rather than spin.
                    match rx.recv_timeout(Duration::from_millis(1)) {
                        Ok(bytes) => sim.send(&bytes),
                        Err(RecvTimeoutError::Disconnected) => return,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                }
                if sim.run(64).is_err() {
                    return;
                }
                let out = sim.take_output();
                if !out.is_empty() && tx.send(out).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            name: format!("simulated board (U={}, N={})", config.unroll, config.cores),
            to_board,
            from_board,
            pending: Vec::new(),
            stop,
            thread: Some(thread),
        })
    }

    fn gone(&self) -> TransportError {
        TransportError::Disconnected {
            path: self.name.clone(),
            detail: "the simulation thread stopped".into(),
        }
    }
}

impl Transport for SimulatedBoard {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.to_board.send(bytes.to_vec()).map_err(|_| self.gone())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        if self.pending.is_empty() {
            match self.from_board.recv_timeout(timeout) {
                Ok(b) => self.pending = b,
                Err(RecvTimeoutError::Timeout) => return Ok(0),
                Err(RecvTimeoutError::Disconnected) => return Err(self.gone()),
            }
        }
        while let Ok(more) = self.from_board.try_recv() {
            self.pending.extend(more);
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

impl Drop for SimulatedBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
