//! Byte transports to a board, in the style of probe-rs's probe back ends:
//! one trait, a real serial port behind it, and a noisy wrapper for tests.
//!
//! The emulator needs no back end of its own: it serves a real
//! pseudo-terminal, which [`SerialTransport`] opens like any serial port, so
//! the driver's serial code path is the one being tested.

pub mod discover;
pub mod noisy;
pub mod serial;
pub mod simulated;

pub use noisy::{NoiseConfig, NoisyTransport};
pub use serial::SerialTransport;
pub use simulated::SimulatedBoard;

use std::time::Duration;

/// Why a transport failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The port does not exist.
    #[error("serial port {path} does not exist (is the board plugged in? try `ferrominer mine --port auto` or list /dev/tty*)")]
    NotFound {
        /// The path that was tried.
        path: String,
    },
    /// Another program has the port open.
    #[error("serial port {path} is busy: another program has it open (close any terminal, cgminer or `ferrominer` using it)")]
    Busy {
        /// The port.
        path: String,
    },
    /// No permission to open the port.
    #[error("no permission to open serial port {path} (add yourself to the `dialout` group, or fix the udev rules)")]
    Permission {
        /// The port.
        path: String,
    },
    /// The port went away while in use.
    #[error("serial port {path} disappeared: {detail}")]
    Disconnected {
        /// The port.
        path: String,
        /// What the OS said.
        detail: String,
    },
    /// Any other I/O failure.
    #[error("serial port {path}: {detail}")]
    Io {
        /// The port.
        path: String,
        /// What the OS said.
        detail: String,
    },
}

impl TransportError {
    /// The port is gone or unusable until it is opened again.
    pub fn is_disconnect(&self) -> bool {
        matches!(
            self,
            TransportError::Disconnected { .. } | TransportError::NotFound { .. }
        )
    }
}

/// A byte stream to one board.
pub trait Transport: Send {
    /// Write all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Read what is available into `buf`, waiting up to `timeout` for the
    /// first byte; `Ok(0)` on timeout.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;
    /// Close and open the port again (after a disconnect).
    fn reopen(&mut self) -> Result<(), TransportError>;
    /// A name for messages, e.g. the port path.
    fn name(&self) -> String;
}

impl Transport for Box<dyn Transport> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        (**self).write_all(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).read(buf, timeout)
    }
    fn reopen(&mut self) -> Result<(), TransportError> {
        (**self).reopen()
    }
    fn name(&self) -> String {
        (**self).name()
    }
}
