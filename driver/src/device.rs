//! One board speaking ferrominer's native protocol over a [`Transport`].
//!
//! Commands are sent again when their reply does not come (or an `ERROR`
//! comes back: noise on the line), which is safe because every command is
//! idempotent. `RESULT` frames may arrive at any time: each one is
//! acknowledged, and repeats (the board resends until it sees the
//! acknowledgement) are recognised by their sequence number.

use crate::protocol::{Command, FrameDecoder, Ident, Reply, SetWork, Status};
use crate::transport::{Transport, TransportError};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long to wait for a reply before sending a command again.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(400);
/// How many times a command is sent before giving up.
pub const ATTEMPTS: u32 = 8;

/// A nonce a board reported (not yet verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported {
    /// The job id it carries.
    pub job_id: u8,
    /// The nonce.
    pub nonce: u32,
}

/// Why talking to a board failed.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The transport failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The board did not answer.
    #[error("the board on {port} does not answer {what} (after {attempts} tries): is it a ferrominer board with the native protocol, at the right baud rate?")]
    NoAnswer {
        /// The port.
        port: String,
        /// The command.
        what: &'static str,
        /// Tries made.
        attempts: u32,
    },
    /// The board speaks another protocol version.
    #[error("the board on {port} speaks protocol version {got}; this host speaks version {want}")]
    Version {
        /// The port.
        port: String,
        /// The board's version.
        got: u8,
        /// Ours.
        want: u8,
    },
}

/// Counters of what happened on the line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Frames decoded.
    pub frames: u64,
    /// Candidate frames with a bad CRC or length.
    pub bad_frames: u64,
    /// `ERROR` replies from the board.
    pub board_errors: u64,
    /// Commands sent again.
    pub retries: u64,
    /// `RESULT` frames that repeated one already taken.
    pub repeated_results: u64,
    /// Frames sent (commands and acknowledgements).
    pub sent: u64,
}

/// A board on a transport.
pub struct Device<T: Transport> {
    transport: T,
    decoder: FrameDecoder,
    results: VecDeque<Reported>,
    last_seq: Option<u8>,
    stats: LineStats,
}

impl<T: Transport> Device<T> {
    /// A device on `transport` (nothing is sent yet).
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            decoder: FrameDecoder::new(),
            results: VecDeque::new(),
            last_seq: None,
            stats: LineStats::default(),
        }
    }

    /// The port's name.
    pub fn name(&self) -> String {
        self.transport.name()
    }

    /// Line counters.
    pub fn stats(&self) -> LineStats {
        self.stats
    }

    /// The transport (to reopen it after a disconnect).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Forget line state after the port was reopened (the board may have
    /// been reset, restarting its sequence numbers).
    pub fn reset_line(&mut self) {
        self.decoder = FrameDecoder::new();
        self.last_seq = None;
    }

    /// Read for up to `timeout`, handling what arrives; returns replies
    /// other than results.
    fn pump(&mut self, timeout: Duration) -> Result<Vec<Reply>, DeviceError> {
        let mut buf = [0u8; 512];
        let n = self.transport.read(&mut buf, timeout)?;
        self.decoder.push(&buf[..n]);
        let mut replies = Vec::new();
        while let Some(frame) = self.decoder.next_frame() {
            let Ok(frame) = frame else {
                self.stats.bad_frames += 1;
                continue;
            };
            let Ok(reply) = Reply::from_frame(&frame) else {
                self.stats.bad_frames += 1;
                continue;
            };
            self.stats.frames += 1;
            match reply {
                Reply::Result { seq, job_id, nonce } => {
                    self.transport
                        .write_all(&Command::AckResult { seq }.to_frame().encode())?;
                    self.stats.sent += 1;
                    if self.last_seq == Some(seq) {
                        self.stats.repeated_results += 1;
                    } else {
                        self.last_seq = Some(seq);
                        self.results.push_back(Reported { job_id, nonce });
                    }
                }
                Reply::Error(_) => {
                    self.stats.board_errors += 1;
                    replies.push(reply);
                }
                r => replies.push(r),
            }
        }
        Ok(replies)
    }

    /// Send `cmd` until a reply accepted by `want` arrives.
    fn request<R>(
        &mut self,
        cmd: Command,
        what: &'static str,
        mut want: impl FnMut(&Reply) -> Option<R>,
    ) -> Result<R, DeviceError> {
        let bytes = cmd.to_frame().encode();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                self.stats.retries += 1;
            }
            self.transport.write_all(&bytes)?;
            self.stats.sent += 1;
            let deadline = Instant::now() + REPLY_TIMEOUT;
            'wait: loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break 'wait;
                }
                for r in self.pump(left.min(Duration::from_millis(50)))? {
                    if let Some(v) = want(&r) {
                        return Ok(v);
                    }
                    if matches!(r, Reply::Error(_)) {
                        // The command was damaged on the way: send it again.
                        break 'wait;
                    }
                }
            }
        }
        Err(DeviceError::NoAnswer {
            port: self.transport.name(),
            what,
            attempts: ATTEMPTS,
        })
    }

    /// Ask the board what it is.
    pub fn identify(&mut self) -> Result<Ident, DeviceError> {
        let ident = self.request(Command::Identify, "IDENTIFY", |r| match r {
            Reply::Ident(i) => Some(*i),
            _ => None,
        })?;
        if ident.version != crate::protocol::PROTOCOL_VERSION {
            return Err(DeviceError::Version {
                port: self.transport.name(),
                got: ident.version,
                want: crate::protocol::PROTOCOL_VERSION,
            });
        }
        Ok(ident)
    }

    /// Give the board new work (replacing its current work).
    pub fn set_work(&mut self, work: &SetWork) -> Result<(), DeviceError> {
        let job = work.job_id;
        self.request(Command::SetWork(*work), "SET_WORK", |r| match r {
            Reply::WorkAck { job_id } if *job_id == job => Some(()),
            _ => None,
        })
    }

    /// The board's progress.
    pub fn status(&mut self) -> Result<Status, DeviceError> {
        self.request(Command::Status, "STATUS", |r| match r {
            Reply::Status(s) => Some(*s),
            _ => None,
        })
    }

    /// Listen for up to `timeout` and return the new results so far.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<Reported>, DeviceError> {
        if self.results.is_empty() {
            self.pump(timeout)?;
        }
        Ok(self.results.drain(..).collect())
    }

    /// Results received while waiting for replies, not yet taken.
    pub fn take_results(&mut self) -> Vec<Reported> {
        self.results.drain(..).collect()
    }
}
