//! Frames: sync marker, length, type, payload and CRC.

use crc::{Crc, CRC_16_IBM_3740};

/// First byte of every frame.
pub const SYNC: u8 = 0xA5;
/// Largest payload a frame may carry.
pub const MAX_PAYLOAD: usize = 64;
/// Bytes of a frame around its payload: sync, length, type, two CRC bytes.
pub const OVERHEAD: usize = 5;

/// CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740): poly 0x1021, init 0xFFFF.
const CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

/// The CRC of a frame's `LEN TYPE PAYLOAD` bytes.
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// One frame: a type byte and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame type (see [`message`](super::message)).
    pub kind: u8,
    /// The payload, at most [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
}

/// Why bytes on the wire did not make a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length byte is larger than [`MAX_PAYLOAD`].
    #[error("frame length {0} exceeds the maximum payload of {MAX_PAYLOAD} bytes")]
    BadLength(u8),
    /// The CRC does not match.
    #[error("frame CRC mismatch: frame says {got:#06x}, computed {expected:#06x}")]
    BadCrc {
        /// CRC carried by the frame.
        got: u16,
        /// CRC of the bytes received.
        expected: u16,
    },
    /// A payload too long to encode.
    #[error("payload of {0} bytes is too long for a frame (max {MAX_PAYLOAD})")]
    TooLong(usize),
}

impl Frame {
    /// A frame of type `kind` carrying `payload`.
    pub fn new(kind: u8, payload: Vec<u8>) -> Result<Frame, FrameError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(FrameError::TooLong(payload.len()));
        }
        Ok(Frame { kind, payload })
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + OVERHEAD);
        out.push(SYNC);
        out.push(self.payload.len() as u8);
        out.push(self.kind);
        out.extend_from_slice(&self.payload);
        let crc = crc16(&out[1..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }
}

/// A stream decoder that finds frames in a byte stream with noise.
///
/// Bytes before a sync marker are skipped. When a candidate frame fails its
/// length or CRC check, only its sync byte is dropped and the search goes on
/// from the next byte, so a frame hidden behind a false sync is still found.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    skipped: u64,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes dropped so far because they were not part of a valid frame.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Bytes buffered but not yet decoded.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    fn drop_front(&mut self, n: usize) {
        self.buf.drain(..n);
        self.skipped += n as u64;
    }

    /// The next frame or framing error, or `None` if more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        // Skip to the next sync byte.
        let Some(i) = self.buf.iter().position(|&b| b == SYNC) else {
            let n = self.buf.len();
            self.drop_front(n);
            return None;
        };
        self.drop_front(i);
        if self.buf.len() < 2 {
            return None;
        }
        let len = self.buf[1];
        if len as usize > MAX_PAYLOAD {
            self.drop_front(1);
            return Some(Err(FrameError::BadLength(len)));
        }
        let total = len as usize + OVERHEAD;
        if self.buf.len() < total {
            return None;
        }
        let expected = crc16(&self.buf[1..total - 2]);
        let got = u16::from_be_bytes([self.buf[total - 2], self.buf[total - 1]]);
        if got != expected {
            self.drop_front(1);
            return Some(Err(FrameError::BadCrc { got, expected }));
        }
        let frame = Frame {
            kind: self.buf[2],
            payload: self.buf[3..total - 2].to_vec(),
        };
        self.buf.drain(..total);
        Some(Ok(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRC's published check value: CRC-16/CCITT-FALSE("123456789").
    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn round_trip_through_noise() {
        let frames: Vec<Frame> = (0..20u8)
            .map(|i| Frame::new(i, (0..i).map(|j| j ^ SYNC).collect()).unwrap())
            .collect();
        let mut wire = vec![0x00, SYNC, 0x40, SYNC, 0xff];
        for f in &frames {
            wire.extend(f.encode());
            wire.extend([SYNC, 3, 1]);
        }
        let mut d = FrameDecoder::new();
        let mut got = Vec::new();
        for chunk in wire.chunks(7) {
            d.push(chunk);
            while let Some(r) = d.next_frame() {
                if let Ok(f) = r {
                    got.push(f);
                }
            }
        }
        assert_eq!(got, frames);
    }

    #[test]
    fn corrupted_frame_is_an_error_and_the_next_survives() {
        let a = Frame::new(2, vec![1, 2, 3]).unwrap().encode();
        let b = Frame::new(3, vec![]).unwrap().encode();
        let mut bad = a.clone();
        bad[4] ^= 0x10;
        let mut d = FrameDecoder::new();
        d.push(&bad);
        d.push(&b);
        assert!(matches!(
            d.next_frame(),
            Some(Err(FrameError::BadCrc { .. }))
        ));
        let mut rest = Vec::new();
        while let Some(r) = d.next_frame() {
            rest.push(r);
        }
        assert_eq!(rest.last(), Some(&Ok(Frame::new(3, vec![]).unwrap())));
    }

    #[test]
    fn over_long_length_is_rejected() {
        let mut d = FrameDecoder::new();
        d.push(&[SYNC, 65, 1, 2, 3]);
        assert_eq!(d.next_frame(), Some(Err(FrameError::BadLength(65))));
        assert!(Frame::new(1, vec![0; 65]).is_err());
    }
}
