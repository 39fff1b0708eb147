//! Several mining cores sharing one piece of work.

use crate::core::{CoreShape, MinerCore, NonceOrder, UnsupportedUnroll};
use crate::round::T1Adder;
use crate::slot::{Found, State8, Tail};
use crate::word::Word;
use rust_hdl::prelude::*;

/// Core counts a board can be built with (powers of two, so the range
/// splits with a shift).
pub const SUPPORTED_CORES: [usize; 4] = [1, 2, 4, 8];

/// `N` cores that split one nonce range and merge their results.
///
/// The range `start..=end` is cut into `N` consecutive parts of
/// `size = ((end - start) >> log2 N) + 1` nonces; the last core also takes
/// the remainder. So with the full 32-bit range, core `i` hashes the nonces
/// whose top `log2 N` bits are `i`. A core whose part starts past `end` (a
/// range smaller than `N`) is flushed and left idle.
///
/// Results come out one at a time: `result` shows the found nonce of the
/// highest-numbered core that has one, and `result_ack` pops it.
#[derive(LogicBlock)]
pub struct CoreArray {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Midstate (hold stable while hashing).
    pub midstate: Signal<In, State8>,
    /// Tail (hold stable while hashing).
    pub tail: Signal<In, Tail>,
    /// First nonce.
    pub nonce_start: Signal<In, Word>,
    /// Last nonce, inclusive.
    pub nonce_end: Signal<In, Word>,
    /// Compare threshold.
    pub threshold: Signal<In, Word>,
    /// Job tag.
    pub tag: Signal<In, Bits<8>>,
    /// Pulse to start the work.
    pub start: Signal<In, Bit>,
    /// Pulse to stop every core (flush, no new nonces); results found so
    /// far stay queued.
    pub stop: Signal<In, Bit>,
    /// A result is available.
    pub result_valid: Signal<Out, Bit>,
    /// The result.
    pub result: Signal<Out, Found>,
    /// Pulse to pop `result`.
    pub result_ack: Signal<In, Bit>,
    /// Nonces core 0 has issued since the work started.
    pub progress: Signal<Out, Word>,
    /// Some core is still hashing or holding results.
    pub busy: Signal<Out, Bit>,
    /// Some core is stalled on a full FIFO.
    pub stalled: Signal<Out, Bit>,
    /// Another result is waiting behind `result`.
    pub more: Signal<Out, Bit>,
    cores: Vec<MinerCore>,
    index: Vec<Constant<Bits<4>>>,
    sel: Signal<Local, Bits<4>>,
    size: Signal<Local, Word>,
    span: Signal<Local, Word>,
    log2n: Constant<Word>,
    _n: usize,
    _last: usize,
    _shape: CoreShape,
}

/// Error for a core count the array cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedCores(pub usize);

impl std::fmt::Display for UnsupportedCores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cores is not supported: use 1, 2, 4 or 8", self.0)
    }
}

impl std::error::Error for UnsupportedCores {}

/// Why a board configuration cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Bad unroll.
    Unroll(UnsupportedUnroll),
    /// Bad core count.
    Cores(UnsupportedCores),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Unroll(e) => e.fmt(f),
            ConfigError::Cores(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<UnsupportedUnroll> for ConfigError {
    fn from(e: UnsupportedUnroll) -> Self {
        ConfigError::Unroll(e)
    }
}

impl CoreArray {
    /// `cores` cores of `unroll` round stages per transform.
    pub fn new(unroll: usize, cores: usize) -> Result<Self, ConfigError> {
        Self::with_order(unroll, cores, NonceOrder::Header, T1Adder::Plain)
    }

    /// Like [`new`](Self::new), with the cores counting in `order`.
    pub fn with_order(
        unroll: usize,
        cores: usize,
        order: NonceOrder,
        t1: T1Adder,
    ) -> Result<Self, ConfigError> {
        if !SUPPORTED_CORES.contains(&cores) {
            return Err(ConfigError::Cores(UnsupportedCores(cores)));
        }
        let shape = CoreShape::new(unroll)?;
        let cores_v = (0..cores)
            .map(|_| MinerCore::with_order(unroll, order, t1))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            clock: Default::default(),
            midstate: Default::default(),
            tail: Default::default(),
            nonce_start: Default::default(),
            nonce_end: Default::default(),
            threshold: Default::default(),
            tag: Default::default(),
            start: Default::default(),
            stop: Default::default(),
            result_valid: Default::default(),
            result: Default::default(),
            result_ack: Default::default(),
            progress: Default::default(),
            busy: Default::default(),
            stalled: Default::default(),
            more: Default::default(),
            cores: cores_v,
            index: (0..cores)
                .map(|i| Constant::new((i as u64).into()))
                .collect(),
            sel: Default::default(),
            size: Default::default(),
            span: Default::default(),
            log2n: Constant::new(Word(cores.trailing_zeros())),
            _n: cores,
            _last: cores - 1,
            _shape: shape,
        })
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self._n
    }

    /// The shape of each core.
    pub fn shape(&self) -> CoreShape {
        self._shape
    }
}

impl Logic for CoreArray {
    #[hdl_gen]
    fn update(&mut self) {
        self.span.next = self.nonce_end.val() - self.nonce_start.val();
        self.size.next = (self.span.val() >> self.log2n.val()) + 1;
        self.cores[0].nonce_start.next = self.nonce_start.val();
        for i in 1..self._n {
            self.cores[i].nonce_start.next = self.cores[i - 1].nonce_start.val() + self.size.val();
        }
        for i in 0..self._last {
            self.cores[i].nonce_end.next = self.cores[i + 1].nonce_start.val() - 1;
        }
        for i in self._last..self._n {
            self.cores[i].nonce_end.next = self.nonce_end.val();
        }
        self.result_valid.next = false;
        self.stalled.next = false;
        self.busy.next = false;
        self.sel.next = 0.into();
        self.result.next = self.cores[0].found.val();
        for i in 0..self._n {
            self.cores[i].clock.next = self.clock.val();
            self.cores[i].midstate.next = self.midstate.val();
            self.cores[i].tail.next = self.tail.val();
            self.cores[i].threshold.next = self.threshold.val();
            self.cores[i].tag.next = self.tag.val();
            self.cores[i].start.next = self.start.val() | self.stop.val();
            // A part that starts past the end of the range stays idle.
            self.cores[i].run.next = (!self.stop.val())
                & ((self.cores[i].nonce_start.val() - self.nonce_start.val()) <= self.span.val());
            // The highest-numbered core with a result wins.
            if self.cores[i].found_valid.val() {
                self.result_valid.next = true;
                self.result.next = self.cores[i].found.val();
                self.sel.next = self.index[i].val();
            }
            if !self.cores[i].done.val() {
                self.busy.next = true;
            }
            if !self.cores[i].running.val() {
                self.stalled.next = true;
            }
        }
        self.more.next = false;
        for i in 0..self._n {
            self.cores[i].found_ack.next =
                self.result_ack.val() & (self.sel.val() == self.index[i].val());
            if self.cores[i].found_valid.val() & (self.sel.val() != self.index[i].val()) {
                self.more.next = true;
            }
        }
        // Core 0's progress; once it has issued its whole part, its counter
        // runs on (for the latency correction) but progress stops.
        if self.cores[0].issuing_range.val() {
            self.progress.next = self.cores[0].nonce.val() - self.nonce_start.val();
        } else {
            self.progress.next = (self.cores[0].nonce_end.val() - self.nonce_start.val()) + 1;
        }
    }
}
