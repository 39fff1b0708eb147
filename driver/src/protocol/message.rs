//! The protocol's commands (host → board) and replies (board → host).

use super::frame::Frame;

/// The protocol version this host speaks, reported by `IDENT`.
pub const PROTOCOL_VERSION: u8 = 1;

/// Frame type codes.
pub mod kind {
    /// Host → board: ask for [`Ident`](super::Ident).
    pub const IDENTIFY: u8 = 0x01;
    /// Host → board: new work.
    pub const SET_WORK: u8 = 0x02;
    /// Host → board: ask for [`Status`](super::Status).
    pub const STATUS: u8 = 0x03;
    /// Host → board: a result was received.
    pub const ACK_RESULT: u8 = 0x04;
    /// Board → host: identity.
    pub const IDENT: u8 = 0x81;
    /// Board → host: work accepted.
    pub const WORK_ACK: u8 = 0x82;
    /// Board → host: status.
    pub const STATUS_REPLY: u8 = 0x83;
    /// Board → host: a found nonce.
    pub const RESULT: u8 = 0x84;
    /// Board → host: a frame was rejected.
    pub const ERROR: u8 = 0xEE;
}

/// New work for the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetWork {
    /// Job id, carried by every result of this work.
    pub job_id: u8,
    /// SHA-256 state after the header's first 64 bytes (H0..H7).
    pub midstate: [u32; 8],
    /// Header bytes 64..76 as big-endian words.
    pub tail: [u32; 3],
    /// First nonce.
    pub nonce_start: u32,
    /// Last nonce (inclusive).
    pub nonce_end: u32,
    /// Report nonces whose hash's top 32 bits are at or below this.
    pub threshold: u32,
}

/// Host → board commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Ask the board who it is.
    Identify,
    /// Replace the current work (flushes the cores).
    SetWork(SetWork),
    /// Ask for the board's progress.
    Status,
    /// Acknowledge the result with this sequence number.
    AckResult {
        /// The result's sequence number.
        seq: u8,
    },
}

/// What a board is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident {
    /// Protocol version the board speaks.
    pub version: u8,
    /// Round stages per transform in each core.
    pub unroll: u8,
    /// Cores on the board.
    pub cores: u8,
    /// Hash clock in Hz.
    pub clock_hz: u32,
    /// Hashes per clock for the whole board, times 64 (= `unroll × cores`).
    pub hashes_per_clock_x64: u16,
}

impl Ident {
    /// Nominal hash rate in hashes per second.
    pub fn nominal_hash_rate(&self) -> f64 {
        self.clock_hz as f64 * self.hashes_per_clock_x64 as f64 / 64.0
    }
}

/// The board's progress on its current work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Current job id.
    pub job_id: u8,
    /// The cores are still hashing the range.
    pub busy: bool,
    /// The cores are stalled on full result FIFOs.
    pub stalled: bool,
    /// Nonces each core has issued since the work started.
    pub progress: u32,
    /// Results waiting to be acknowledged (saturates at 255).
    pub pending: u8,
}

/// Why the board rejected a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The CRC did not match.
    BadCrc,
    /// The length is too large, or wrong for the type.
    BadLength,
    /// The type is not a command.
    UnknownType,
    /// The frame stopped arriving before it was complete.
    Timeout,
    /// A code this host does not know.
    Other(u8),
}

impl ErrorCode {
    /// The code on the wire.
    pub fn code(self) -> u8 {
        match self {
            ErrorCode::BadCrc => 1,
            ErrorCode::BadLength => 2,
            ErrorCode::UnknownType => 3,
            ErrorCode::Timeout => 4,
            ErrorCode::Other(c) => c,
        }
    }

    /// From the code on the wire.
    pub fn from_code(c: u8) -> Self {
        match c {
            1 => ErrorCode::BadCrc,
            2 => ErrorCode::BadLength,
            3 => ErrorCode::UnknownType,
            4 => ErrorCode::Timeout,
            c => ErrorCode::Other(c),
        }
    }
}

/// Board → host replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Answer to `IDENTIFY`.
    Ident(Ident),
    /// Answer to `SET_WORK`: the job was loaded.
    WorkAck {
        /// The job id loaded.
        job_id: u8,
    },
    /// Answer to `STATUS`.
    Status(Status),
    /// A found nonce; sent again until acknowledged.
    Result {
        /// Sequence number to acknowledge.
        seq: u8,
        /// Job the nonce belongs to.
        job_id: u8,
        /// The nonce.
        nonce: u32,
    },
    /// A frame was rejected and changed nothing.
    Error(ErrorCode),
}

/// A frame whose type or payload is not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Unknown frame type.
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    /// Payload length does not match the type.
    #[error("frame type {kind:#04x} needs a {expected}-byte payload, got {got}")]
    BadPayload {
        /// The frame type.
        kind: u8,
        /// Length the type requires.
        expected: usize,
        /// Length received.
        got: usize,
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn check_len(f: &Frame, expected: usize) -> Result<(), MessageError> {
    if f.payload.len() == expected {
        Ok(())
    } else {
        Err(MessageError::BadPayload {
            kind: f.kind,
            expected,
            got: f.payload.len(),
        })
    }
}

/// `SET_WORK` payload length.
pub const SET_WORK_LEN: usize = 57;

impl Command {
    /// The frame for this command.
    pub fn to_frame(&self) -> Frame {
        let (kind, payload) = match self {
            Command::Identify => (kind::IDENTIFY, vec![]),
            Command::Status => (kind::STATUS, vec![]),
            Command::AckResult { seq } => (kind::ACK_RESULT, vec![*seq]),
            Command::SetWork(w) => {
                let mut p = Vec::with_capacity(SET_WORK_LEN);
                p.push(w.job_id);
                w.midstate.iter().for_each(|x| p.extend(x.to_be_bytes()));
                w.tail.iter().for_each(|x| p.extend(x.to_be_bytes()));
                p.extend(w.nonce_start.to_be_bytes());
                p.extend(w.nonce_end.to_be_bytes());
                p.extend(w.threshold.to_be_bytes());
                (kind::SET_WORK, p)
            }
        };
        Frame { kind, payload }
    }

    /// Parse a command frame (what a board, or the test board, does).
    pub fn from_frame(f: &Frame) -> Result<Command, MessageError> {
        match f.kind {
            kind::IDENTIFY => check_len(f, 0).map(|_| Command::Identify),
            kind::STATUS => check_len(f, 0).map(|_| Command::Status),
            kind::ACK_RESULT => check_len(f, 1).map(|_| Command::AckResult { seq: f.payload[0] }),
            kind::SET_WORK => {
                check_len(f, SET_WORK_LEN)?;
                let p = &f.payload;
                let word = |i: usize| be32(&p[1 + 4 * i..]);
                Ok(Command::SetWork(SetWork {
                    job_id: p[0],
                    midstate: std::array::from_fn(word),
                    tail: std::array::from_fn(|i| word(8 + i)),
                    nonce_start: word(11),
                    nonce_end: word(12),
                    threshold: word(13),
                }))
            }
            k => Err(MessageError::UnknownType(k)),
        }
    }
}

impl Reply {
    /// The frame for this reply (what a board sends).
    pub fn to_frame(&self) -> Frame {
        let (kind, payload) = match self {
            Reply::Ident(i) => {
                let mut p = vec![i.version, i.unroll, i.cores];
                p.extend(i.clock_hz.to_be_bytes());
                p.extend(i.hashes_per_clock_x64.to_be_bytes());
                (kind::IDENT, p)
            }
            Reply::WorkAck { job_id } => (kind::WORK_ACK, vec![*job_id]),
            Reply::Status(s) => {
                let flags = u8::from(s.busy) | (u8::from(s.stalled) << 1);
                let mut p = vec![s.job_id, flags];
                p.extend(s.progress.to_be_bytes());
                p.push(s.pending);
                (kind::STATUS_REPLY, p)
            }
            Reply::Result { seq, job_id, nonce } => {
                let mut p = vec![*seq, *job_id];
                p.extend(nonce.to_be_bytes());
                (kind::RESULT, p)
            }
            Reply::Error(code) => (kind::ERROR, vec![code.code()]),
        };
        Frame { kind, payload }
    }

    /// Parse a reply frame (what the host does).
    pub fn from_frame(f: &Frame) -> Result<Reply, MessageError> {
        let p = &f.payload;
        match f.kind {
            kind::IDENT => {
                check_len(f, 9)?;
                Ok(Reply::Ident(Ident {
                    version: p[0],
                    unroll: p[1],
                    cores: p[2],
                    clock_hz: be32(&p[3..]),
                    hashes_per_clock_x64: u16::from_be_bytes([p[7], p[8]]),
                }))
            }
            kind::WORK_ACK => check_len(f, 1).map(|_| Reply::WorkAck { job_id: p[0] }),
            kind::STATUS_REPLY => {
                check_len(f, 7)?;
                Ok(Reply::Status(Status {
                    job_id: p[0],
                    busy: p[1] & 1 != 0,
                    stalled: p[1] & 2 != 0,
                    progress: be32(&p[2..]),
                    pending: p[6],
                }))
            }
            kind::RESULT => {
                check_len(f, 6)?;
                Ok(Reply::Result {
                    seq: p[0],
                    job_id: p[1],
                    nonce: be32(&p[2..]),
                })
            }
            kind::ERROR => check_len(f, 1).map(|_| Reply::Error(ErrorCode::from_code(p[0]))),
            k => Err(MessageError::UnknownType(k)),
        }
    }
}

impl From<&crate::work::Work> for SetWork {
    /// The `SET_WORK` for a piece of work (its job id, midstate, tail,
    /// range and threshold).
    fn from(w: &crate::work::Work) -> Self {
        SetWork {
            job_id: w.job_id,
            midstate: w.midstate.0,
            tail: w.tail.0,
            nonce_start: w.nonce_start,
            nonce_end: w.nonce_end,
            threshold: w.threshold,
        }
    }
}

/// The 64 bytes cgminer's Icarus driver sends for a header: its stored
/// midstate (state words little-endian, the 32 bytes then reversed) reversed
/// again, 20 fill bytes, and header bytes 64..76 as cgminer stores them
/// (word-swapped) reversed: in all, the midstate words and the tail words
/// little-endian (see `hdl/src/icarus.rs`).
pub fn icarus_work(header: &crate::BlockHeader) -> [u8; 64] {
    let mut w = [0u8; 64];
    let mid = crate::Midstate::from_header(header);
    for (i, x) in mid.0.iter().enumerate() {
        w[4 * i..4 * i + 4].copy_from_slice(&x.to_le_bytes());
    }
    let tail = crate::Tail::from_header(header);
    for (i, x) in tail.0.iter().enumerate() {
        w[52 + 4 * i..56 + 4 * i].copy_from_slice(&x.to_le_bytes());
    }
    w
}
