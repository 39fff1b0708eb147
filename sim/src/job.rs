//! The work given to a simulated core and what it reports.

/// Work for one core, in the form the gateware consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: [u32; 8],
    /// Header bytes 64..76 as three big-endian words.
    pub tail: [u32; 3],
    /// First nonce.
    pub nonce_start: u32,
    /// Last nonce, inclusive.
    pub nonce_end: u32,
    /// Report nonces whose hash's top word is at or below this.
    pub threshold: u32,
    /// Job tag carried by the results.
    pub tag: u8,
}

impl Job {
    /// How many nonces the range covers (1 ..= 2^32).
    pub fn count(&self) -> u64 {
        u64::from(self.nonce_end.wrapping_sub(self.nonce_start)) + 1
    }
}

/// A nonce the core reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FoundNonce {
    /// The nonce, as the header's nonce field holds it.
    pub nonce: u32,
    /// The tag of the job it belongs to.
    pub tag: u8,
}

/// What one simulated run cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunStats {
    /// Clock cycles simulated.
    pub cycles: u64,
    /// Nonces hashed.
    pub hashes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}
