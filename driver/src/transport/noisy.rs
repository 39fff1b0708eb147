//! A transport wrapper that damages the line, for testing that noise loses
//! and invents no nonce.

use super::{Transport, TransportError};
use std::time::Duration;

/// How often each kind of damage happens, per byte.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseConfig {
    /// Probability that a byte has one bit flipped.
    pub flip: f64,
    /// Probability that a byte is dropped.
    pub drop: f64,
    /// Probability that a garbage byte is inserted before a byte.
    pub garbage: f64,
    /// Seed of the noise, so a failure can be replayed.
    pub seed: u64,
}

/// Flips bits, drops bytes and adds garbage in both directions.
pub struct NoisyTransport<T: Transport> {
    inner: T,
    cfg: NoiseConfig,
    state: u64,
    /// Bytes damaged so far (both directions).
    pub damaged: u64,
}

impl<T: Transport> NoisyTransport<T> {
    /// Wrap `inner`.
    pub fn new(inner: T, cfg: NoiseConfig) -> Self {
        Self {
            inner,
            cfg,
            state: cfg.seed | 1,
            damaged: 0,
        }
    }

    /// A uniform number in [0, 1) from a xorshift generator.
    fn roll(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    fn damage(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 4);
        for &b in bytes {
            if self.roll() < self.cfg.garbage {
                out.push((self.state >> 24) as u8);
                self.damaged += 1;
            }
            if self.roll() < self.cfg.drop {
                self.damaged += 1;
                continue;
            }
            if self.roll() < self.cfg.flip {
                out.push(b ^ (1 << (self.state % 8)));
                self.damaged += 1;
            } else {
                out.push(b);
            }
        }
        out
    }
}

impl<T: Transport> Transport for NoisyTransport<T> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let noisy = self.damage(bytes);
        self.inner.write_all(&noisy)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let mut tmp = vec![0u8; buf.len()];
        let n = self.inner.read(&mut tmp, timeout)?;
        let noisy = self.damage(&tmp[..n]);
        let m = noisy.len().min(buf.len());
        buf[..m].copy_from_slice(&noisy[..m]);
        Ok(m)
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        self.inner.reopen()
    }

    fn name(&self) -> String {
        format!("{} (noisy)", self.inner.name())
    }
}
