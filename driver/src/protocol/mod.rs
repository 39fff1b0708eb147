//! ferrominer's native wire protocol between host and board (spec:
//! `docs/protocol.md`).
//!
//! Every frame is `A5 LEN TYPE PAYLOAD[LEN] CRC_HI CRC_LO`, with a CRC-16
//! (CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR) over
//! `LEN TYPE PAYLOAD`. Multi-byte integers are big-endian.
//!
//! - [`frame`]: framing, the CRC and a resynchronising stream decoder;
//! - [`message`]: the commands and replies and their payloads.

pub mod frame;
pub mod message;

pub use frame::{Frame, FrameDecoder, FrameError, MAX_PAYLOAD, SYNC};
pub use message::{
    icarus_work, Command, ErrorCode, Ident, Reply, SetWork, Status, PROTOCOL_VERSION,
};
