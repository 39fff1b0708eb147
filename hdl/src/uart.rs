//! A UART: an 8N1 transmitter ([`UartTx`]) and receiver ([`UartRx`]).
//!
//! Frames are 8N1: one start bit (0), eight data bits LSB first, one stop
//! bit (1); the line idles high. Both blocks count `divisor` clock cycles
//! per bit, where `divisor` is `clock_hz / baud` rounded to the nearest
//! integer ([`BaudDivisor`]). Rounding makes the real baud rate differ from
//! the one asked for:
//!
//! | clock      | baud    | divisor | real baud  | error    |
//! |------------|---------|---------|------------|----------|
//! | 12 MHz     | 115 200 | 104     | 115 384.6  | +0.160 % |
//! | 16 MHz     | 115 200 | 139     | 115 107.9  | −0.080 % |
//! | 25 MHz     | 115 200 | 217     | 115 207.4  | +0.006 % |
//! | 48 MHz     | 115 200 | 417     | 115 107.9  | −0.080 % |
//! | 100 MHz    | 115 200 | 868     | 115 207.4  | +0.006 % |
//! | 12 MHz     | 921 600 | 13      | 923 076.9  | +0.160 % |
//!
//! The receiver samples each bit at its middle and decides on the stop bit
//! 9.5 bit times after the start edge, so in theory it accepts a sender
//! whose bit period is up to ±5.5 % off its own. Measured in simulation with
//! back-to-back frames: −4.3 % … +5.5 % at divisor 16 and −4.9 % … +5.5 % at
//! divisor 104 (a sender with longer bits is tolerated better, because the
//! start bit is re-checked at cycle `divisor / 2`, a little after its true
//! middle). The tests check ±2 % (the usual budget for both ends together)
//! and ±4 %, and that ±8 % fails.
//!
//! Size: each block has a 16-bit cycle counter (divisors up to 65 535, e.g.
//! 9600 baud from a 600 MHz clock), a 4-bit bit counter and an 8-bit shift
//! register; the receiver adds a 2-flop synchroniser, 2 state bits and two
//! strobe flops. Nothing else.
//!
//! # rust-hdl notes (0.46)
//!
//! Facts found while writing these blocks, beyond the project's notes:
//! - `DFF` always powers up as `T::default()` (all zeros, or the first
//!   variant of a `LogicState` enum), in simulation and as an `initial` in
//!   Verilog; there is no way to give it another initial value. A UART line
//!   must idle *high*, so both blocks store the line inverted (`tx_n`,
//!   `sync*_n`): the all-zero power-up state is then an idle line.
//! - A `Signal<In, Bit>` starts at `false` in simulation. A testbench that
//!   forgets to drive `rx` high shows the receiver a break at time 0.
//! - `replace_bit(i, v)` is emitted as `(x & ~(1 << (i)) | ((v) << (i)))`
//!   and `x >> 1` as `x >> 32'h1`; Verilog's width rules make both right
//!   here (checked in Icarus, `tests/uart_verilog.rs`). Every literal in
//!   `hdl_gen` code comes out 32 bits wide (`count$d = 32'h0`,
//!   `bit_index$q == 32'h9`), so Verilator `-Wall` reports WIDTH warnings
//!   for each; there are no other lint warnings.
//! - A `DFF` of a `LogicState` enum gets `initial q = 64'h0` (a 64-bit
//!   literal into a 2-bit register), and the enum's `localparam`s are
//!   declared in both the parent and the DFF module (unused in the latter).
//! - `match` on a `LogicState` enum becomes a Verilog `case` on
//!   `localparam`s named `RxState$Idle` etc.; every arm must be listed (or a
//!   `_` arm, which becomes `default`).
//! - Shifts (`>>`) on `Bits` go through `BigUint` in simulation; for a
//!   once-per-bit shift of 8 bits the cost does not matter: the unit tests
//!   simulate some 400 000 cycles in under a second.
//! - `#[derive(LogicBlock)]` treats every field as a sub-block unless its
//!   name starts with `_`, so plain Rust data kept in a block (here the
//!   [`BaudDivisor`]) must be named `_something`.

use rust_hdl::prelude::*;

/// The usual baud rate for the ferrominer host link.
pub const DEFAULT_BAUD: u64 = 115_200;

/// Width of the cycles-per-bit counter and of the divisor constant.
pub const DIVISOR_BITS: usize = 16;

/// The smallest divisor the blocks accept: below 4 clock cycles per bit
/// the receiver's half-bit re-check and synchroniser latency leave no margin.
pub const MIN_DIVISOR: u64 = 4;

/// The largest divisor the blocks accept (it must fit in [`DIVISOR_BITS`]).
pub const MAX_DIVISOR: u64 = (1 << DIVISOR_BITS) - 1;

/// Why a clock rate and baud rate cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaudError {
    /// The baud rate is zero.
    ZeroBaud,
    /// Fewer than [`MIN_DIVISOR`] clock cycles per bit.
    DivisorTooSmall {
        /// Clock frequency, Hz.
        clock_hz: u64,
        /// Requested baud rate.
        baud: u64,
        /// The rounded divisor.
        divisor: u64,
    },
    /// More than [`MAX_DIVISOR`] clock cycles per bit.
    DivisorTooLarge {
        /// Clock frequency, Hz.
        clock_hz: u64,
        /// Requested baud rate.
        baud: u64,
        /// The rounded divisor.
        divisor: u64,
    },
}

impl std::fmt::Display for BaudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            BaudError::ZeroBaud => write!(f, "the baud rate must not be zero"),
            BaudError::DivisorTooSmall {
                clock_hz,
                baud,
                divisor,
            } => write!(
                f,
                "{clock_hz} Hz / {baud} baud gives {divisor} clock cycles per bit; \
                 the UART needs at least {MIN_DIVISOR}: use a faster clock or a lower baud rate"
            ),
            BaudError::DivisorTooLarge {
                clock_hz,
                baud,
                divisor,
            } => write!(
                f,
                "{clock_hz} Hz / {baud} baud gives {divisor} clock cycles per bit; \
                 the UART's {DIVISOR_BITS}-bit counter allows at most {MAX_DIVISOR}: \
                 use a slower clock or a higher baud rate"
            ),
        }
    }
}

impl std::error::Error for BaudError {}

/// Clock cycles per bit for a clock and a baud rate, and the error that
/// rounding to a whole number of cycles makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaudDivisor {
    /// Clock frequency, Hz.
    pub clock_hz: u64,
    /// Requested baud rate.
    pub baud: u64,
    /// Clock cycles per bit: `clock_hz / baud`, rounded to nearest.
    pub divisor: u64,
}

impl BaudDivisor {
    /// The divisor for `clock_hz` and `baud`, if the blocks can use it
    /// (between [`MIN_DIVISOR`] and [`MAX_DIVISOR`]).
    pub fn new(clock_hz: u64, baud: u64) -> Result<Self, BaudError> {
        if baud == 0 {
            return Err(BaudError::ZeroBaud);
        }
        let divisor = (u128::from(clock_hz) + u128::from(baud / 2)) / u128::from(baud);
        let divisor = u64::try_from(divisor).unwrap_or(u64::MAX);
        if divisor < MIN_DIVISOR {
            return Err(BaudError::DivisorTooSmall {
                clock_hz,
                baud,
                divisor,
            });
        }
        if divisor > MAX_DIVISOR {
            return Err(BaudError::DivisorTooLarge {
                clock_hz,
                baud,
                divisor,
            });
        }
        Ok(Self {
            clock_hz,
            baud,
            divisor,
        })
    }

    /// The baud rate the blocks really run at: `clock_hz / divisor`.
    pub fn actual_baud(&self) -> f64 {
        self.clock_hz as f64 / self.divisor as f64
    }

    /// How far the real baud rate is from the requested one, in percent
    /// (positive: faster).
    pub fn error_percent(&self) -> f64 {
        (self.actual_baud() / self.baud as f64 - 1.0) * 100.0
    }
}

fn counter_value(x: u64) -> Bits<DIVISOR_BITS> {
    x.into()
}

/// An 8N1 UART transmitter.
///
/// Present a byte on `data` and pulse `start` for one cycle while `ready`
/// is high: the byte is latched and its frame starts on `tx` in the next
/// cycle. Each frame is exactly `10 × divisor` cycles long (start bit, 8
/// data bits LSB first, stop bit), and `ready` is high while idle and in the
/// last cycle of the stop bit. A `start` in that last cycle sends the next
/// start bit right after the stop bit, so a stream written whenever `ready`
/// is high has no gaps. `start` while `ready` is low is ignored.
///
/// `tx` comes straight from a flip-flop (no glitches) and is high from
/// power-up.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The byte to send, latched when `start` and `ready` are both high.
    pub data: Signal<In, Bits<8>>,
    /// One-cycle strobe: send `data`.
    pub start: Signal<In, Bit>,
    /// The transmitter can take a byte in this cycle.
    pub ready: Signal<Out, Bit>,
    /// The serial line (idle high).
    pub tx: Signal<Out, Bit>,
    load: Signal<Local, Bit>,
    /// `count == last`, kept in a register (computed from the count's next
    /// value), so that `ready` is one LUT from flip-flops: the compare was
    /// on the critical path of the 25F's U=8 build for 100 MHz, through
    /// `ready` into the protocol engine.
    bit_end: DFF<Bit>,
    busy: DFF<Bit>,
    /// The line, inverted, so that the power-up state (0) is idle high.
    tx_n: DFF<Bit>,
    shift: DFF<Bits<8>>,
    count: DFF<Bits<DIVISOR_BITS>>,
    /// 0 = start bit, 1..=8 = data bits, 9 = stop bit.
    bit_index: DFF<Bits<4>>,
    /// `divisor - 1`, the count of a bit's last cycle, less one (at least 2).
    before_last: Constant<Bits<DIVISOR_BITS>>,
    _baud: BaudDivisor,
}

impl UartTx {
    /// A transmitter clocked at `clock_hz`, sending at `baud` (rounded to a
    /// whole number of clock cycles per bit; see [`BaudDivisor`]).
    pub fn new(clock_hz: u64, baud: u64) -> Result<Self, BaudError> {
        let baud = BaudDivisor::new(clock_hz, baud)?;
        Ok(Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            ready: Default::default(),
            tx: Default::default(),
            load: Default::default(),
            bit_end: Default::default(),
            busy: Default::default(),
            tx_n: Default::default(),
            shift: Default::default(),
            count: Default::default(),
            bit_index: Default::default(),
            before_last: Constant::new(counter_value(baud.divisor - 2)),
            _baud: baud,
        })
    }

    /// The divisor and the baud-rate error it gives.
    pub fn baud(&self) -> BaudDivisor {
        self._baud
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, bit_end, busy, tx_n, shift, count, bit_index);
        self.tx.next = !self.tx_n.q.val();
        self.ready.next =
            (!self.busy.q.val()) | (self.bit_end.q.val() & (self.bit_index.q.val() == 9));
        self.load.next = self.start.val() & self.ready.val();
        if self.busy.q.val() {
            if self.bit_end.q.val() {
                // The count restarts at 0, which is not the last count
                // (the divisor is at least 4).
                self.bit_end.d.next = false;
                self.count.d.next = 0.into();
                self.bit_index.d.next = self.bit_index.q.val() + 1;
                if self.bit_index.q.val() == 8 {
                    // Stop bit: the line goes high.
                    self.tx_n.d.next = false;
                } else if self.bit_index.q.val() == 9 {
                    // End of the stop bit.
                    self.busy.d.next = false;
                } else {
                    // The next data bit, LSB first.
                    self.tx_n.d.next = !self.shift.q.val().get_bit(0);
                    self.shift.d.next = self.shift.q.val() >> 1;
                }
            } else {
                self.bit_end.d.next = self.count.q.val() == self.before_last.val();
                self.count.d.next = self.count.q.val() + 1;
            }
        }
        if self.load.val() {
            // Start bit: the line goes low.
            self.bit_end.d.next = false;
            self.busy.d.next = true;
            self.tx_n.d.next = true;
            self.shift.d.next = self.data.val();
            self.count.d.next = 0.into();
            self.bit_index.d.next = 0.into();
        }
    }
}

/// The receiver's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum RxState {
    /// Waiting for the line to be high (after power-up and after a framing
    /// error, e.g. a break), before looking for a start bit.
    WaitIdle,
    /// Line idle: looking for a falling edge.
    Idle,
    /// Seen a falling edge: re-check the line half a bit later.
    Start,
    /// Sampling the data bits and the stop bit at their middles.
    Data,
}

/// An 8N1 UART receiver.
///
/// `rx` goes through a 2-flop synchroniser. A low line starts a frame only
/// if it is still low half a bit later (a glitch shorter than half a bit is
/// ignored); from that point every bit is sampled one bit time apart, i.e.
/// at its middle. At the middle of the stop bit:
/// - stop bit 1: `valid` is high for one cycle, with the byte on `data`;
/// - stop bit 0: `framing_error` is high for one cycle, `valid` stays low,
///   and the receiver waits for the line to go high again before it looks
///   for a start bit, so a break (line held low) gives one framing error.
///
/// `data` is the receive shift register: it holds the byte from the `valid`
/// strobe until the first data bit of the next frame is sampled (at least
/// 1.5 bit times later), so latch it on `valid`.
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The serial line (idle high). Asynchronous: it is synchronised here.
    pub rx: Signal<In, Bit>,
    /// The last byte received; read it when `valid` is high.
    pub data: Signal<Out, Bits<8>>,
    /// One-cycle strobe: a byte with a good stop bit is on `data`.
    pub valid: Signal<Out, Bit>,
    /// One-cycle strobe: a frame ended with a 0 stop bit (its byte is dropped).
    pub framing_error: Signal<Out, Bit>,
    /// The synchronised line.
    line: Signal<Local, Bit>,
    bit_end: Signal<Local, Bit>,
    /// The synchroniser, storing the line inverted so that the power-up
    /// state (0) is idle high.
    sync1_n: DFF<Bit>,
    sync2_n: DFF<Bit>,
    state: DFF<RxState>,
    count: DFF<Bits<DIVISOR_BITS>>,
    /// Data bits sampled so far (0..=8); at 8 the next sample is the stop bit.
    bit_index: DFF<Bits<4>>,
    shift: DFF<Bits<8>>,
    valid_q: DFF<Bit>,
    error_q: DFF<Bit>,
    /// `divisor - 1`: the count at which a bit's middle is sampled.
    last: Constant<Bits<DIVISOR_BITS>>,
    /// `divisor / 2 - 1`: the count at which the start bit is re-checked.
    half: Constant<Bits<DIVISOR_BITS>>,
    _baud: BaudDivisor,
}

impl UartRx {
    /// A receiver clocked at `clock_hz`, receiving at `baud` (rounded to a
    /// whole number of clock cycles per bit; see [`BaudDivisor`]).
    pub fn new(clock_hz: u64, baud: u64) -> Result<Self, BaudError> {
        let baud = BaudDivisor::new(clock_hz, baud)?;
        Ok(Self {
            clock: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            framing_error: Default::default(),
            line: Default::default(),
            bit_end: Default::default(),
            sync1_n: Default::default(),
            sync2_n: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bit_index: Default::default(),
            shift: Default::default(),
            valid_q: Default::default(),
            error_q: Default::default(),
            last: Constant::new(counter_value(baud.divisor - 1)),
            half: Constant::new(counter_value(baud.divisor / 2 - 1)),
            _baud: baud,
        })
    }

    /// The divisor and the baud-rate error it gives.
    pub fn baud(&self) -> BaudDivisor {
        self._baud
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1_n, sync2_n, state, count, bit_index, shift, valid_q, error_q);
        self.sync1_n.d.next = !self.rx.val();
        self.sync2_n.d.next = self.sync1_n.q.val();
        self.line.next = !self.sync2_n.q.val();
        self.data.next = self.shift.q.val();
        self.valid.next = self.valid_q.q.val();
        self.framing_error.next = self.error_q.q.val();
        self.valid_q.d.next = false;
        self.error_q.d.next = false;
        self.bit_end.next = self.count.q.val() == self.last.val();
        self.count.d.next = self.count.q.val() + 1;
        match self.state.q.val() {
            RxState::WaitIdle => {
                if self.line.val() {
                    self.state.d.next = RxState::Idle;
                }
            }
            RxState::Idle => {
                if !self.line.val() {
                    self.state.d.next = RxState::Start;
                    self.count.d.next = 0.into();
                }
            }
            RxState::Start => {
                if self.count.q.val() == self.half.val() {
                    if self.line.val() {
                        // Back high within half a bit: a glitch.
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.state.d.next = RxState::Data;
                        self.count.d.next = 0.into();
                        self.bit_index.d.next = 0.into();
                    }
                }
            }
            RxState::Data => {
                if self.bit_end.val() {
                    self.count.d.next = 0.into();
                    if self.bit_index.q.val() == 8 {
                        if self.line.val() {
                            self.valid_q.d.next = true;
                            self.state.d.next = RxState::Idle;
                        } else {
                            self.error_q.d.next = true;
                            self.state.d.next = RxState::WaitIdle;
                        }
                    } else {
                        self.bit_index.d.next = self.bit_index.q.val() + 1;
                        self.shift.d.next =
                            (self.shift.q.val() >> 1).replace_bit(7, self.line.val());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{settle, tick};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Divisors used by the simulation tests: a small one for speed and the
    /// real one for a 12 MHz board at 115 200 baud.
    const SMALL: u64 = 16;
    const REAL_CLOCK: u64 = 12_000_000;

    fn small_tx() -> UartTx {
        UartTx::new(SMALL * DEFAULT_BAUD, DEFAULT_BAUD).unwrap()
    }

    fn small_rx() -> UartRx {
        UartRx::new(SMALL * DEFAULT_BAUD, DEFAULT_BAUD).unwrap()
    }

    /// Transmitter and receiver pairs for both test divisors.
    fn both_divisors() -> [(u64, u64); 2] {
        [
            (SMALL * DEFAULT_BAUD, DEFAULT_BAUD),
            (REAL_CLOCK, DEFAULT_BAUD),
        ]
    }

    // ---- bit-level driver: a waveform for `rx` ----

    /// A line waveform, one level per clock cycle. Bit `k` of a stream
    /// starting at fractional time `t` covers cycles `round(t + k·p)` up to
    /// `round(t + (k+1)·p)`, so a non-integer period `p` models a sender
    /// whose clock differs from the receiver's.
    struct Wave {
        levels: Vec<bool>,
        period: f64,
        t: f64,
    }

    impl Wave {
        /// `idle_cycles` of idle line, then bits of `period` cycles.
        fn new(period: f64, idle_cycles: usize) -> Self {
            Self {
                levels: vec![true; idle_cycles],
                period,
                t: idle_cycles as f64,
            }
        }

        /// The line at `level` for `cycles` (fractional) cycles.
        fn level(&mut self, level: bool, cycles: f64) -> &mut Self {
            self.t += cycles;
            let end = self.t.round() as usize;
            while self.levels.len() < end {
                self.levels.push(level);
            }
            self
        }

        /// Whole bits at `level`.
        fn bits(&mut self, level: bool, n: f64) -> &mut Self {
            let p = self.period;
            self.level(level, n * p)
        }

        /// One 8N1 frame; `stop` is the level of the stop bit.
        fn frame_with_stop(&mut self, byte: u8, stop: bool) -> &mut Self {
            self.bits(false, 1.0);
            for k in 0..8 {
                self.bits(byte >> k & 1 == 1, 1.0);
            }
            self.bits(stop, 1.0)
        }

        fn frame(&mut self, byte: u8) -> &mut Self {
            self.frame_with_stop(byte, true)
        }
    }

    // ---- bit-level monitor: decoding `tx` ----

    /// A frame seen on a line: the cycle of its start edge, the byte and
    /// whether the stop bit was 1.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Seen {
        edge: usize,
        byte: u8,
        stop: bool,
    }

    /// Decode 8N1 frames from a line recorded once per cycle, sampling each
    /// bit at its centre, `d / 2` cycles after its start.
    fn decode(line: &[bool], d: usize) -> Vec<Seen> {
        let mut seen = vec![];
        let mut i = 1;
        while i < line.len() {
            if !line[i - 1] || line[i] {
                i += 1;
                continue;
            }
            let at = |k: usize| line.get(i + d / 2 + k * d).copied();
            let Some(stop) = at(9) else { break };
            assert_eq!(
                at(0),
                Some(false),
                "start bit at {i} is not low at its centre"
            );
            let byte = (0..8).fold(0u8, |b, k| b | (u8::from(at(k + 1).unwrap()) << k));
            seen.push(Seen {
                edge: i,
                byte,
                stop,
            });
            i += d / 2 + 9 * d;
        }
        seen
    }

    /// The exact line, cycle by cycle, for one frame of divisor `d`.
    fn frame_levels(byte: u8, d: usize) -> Vec<bool> {
        let mut bits = vec![false];
        bits.extend((0..8).map(|k| byte >> k & 1 == 1));
        bits.push(true);
        bits.iter()
            .flat_map(|&b| std::iter::repeat_n(b, d))
            .collect()
    }

    /// Run a transmitter for `cycles`. Each cycle `feed(cycle, ready)` may
    /// return a byte to strobe in. Returns the line, one level per cycle,
    /// and `ready`, one level per cycle.
    fn run_tx(
        tx: &mut UartTx,
        cycles: usize,
        mut feed: impl FnMut(usize, bool) -> Option<u8>,
    ) -> (Vec<bool>, Vec<bool>) {
        let mut line = Vec::with_capacity(cycles);
        let mut ready = Vec::with_capacity(cycles);
        for c in 0..cycles {
            settle(tx);
            let r = tx.ready.val();
            match feed(c, r) {
                Some(b) => {
                    tx.data.next = u64::from(b).into();
                    tx.start.next = true;
                }
                None => tx.start.next = false,
            }
            settle(tx);
            line.push(tx.tx.val());
            ready.push(r);
            tick(tx, |b| &mut b.clock);
        }
        (line, ready)
    }

    /// What a receiver reported.
    #[derive(Debug, Default)]
    struct RxLog {
        /// (cycle, byte) for each `valid` strobe.
        bytes: Vec<(usize, u8)>,
        /// Cycles of `framing_error` strobes.
        errors: Vec<usize>,
    }

    impl RxLog {
        fn data(&self) -> Vec<u8> {
            self.bytes.iter().map(|&(_, b)| b).collect()
        }

        /// Record one cycle's outputs, checking that strobes last one cycle.
        fn record(&mut self, c: usize, rx: &UartRx) {
            let (valid, error) = (rx.valid.val(), rx.framing_error.val());
            assert!(!(valid && error), "valid and framing_error together at {c}");
            if valid {
                assert!(
                    self.bytes.last().is_none_or(|&(p, _)| p + 1 != c),
                    "valid longer than one cycle at {c}"
                );
                self.bytes.push((c, rx.data.val().to_u32() as u8));
            }
            if error {
                assert!(
                    self.errors.last().is_none_or(|&p| p + 1 != c),
                    "framing_error longer than one cycle at {c}"
                );
                self.errors.push(c);
            }
        }
    }

    /// Drive a receiver with `wave`, then `tail` more idle cycles.
    fn run_rx(rx: &mut UartRx, wave: &[bool], tail: usize) -> RxLog {
        let mut log = RxLog::default();
        for (c, &level) in wave
            .iter()
            .chain(std::iter::repeat_n(&true, tail))
            .enumerate()
        {
            rx.rx.next = level;
            settle(rx);
            log.record(c, rx);
            tick(rx, |b| &mut b.clock);
        }
        log
    }

    fn connected<B: Block>(mut b: B) -> B {
        b.connect_all();
        b
    }

    // ---- baud rate ----

    #[test]
    fn divisors_and_baud_errors_of_real_clocks() {
        // (clock, baud, divisor, error in percent) as documented above.
        let cases = [
            (12_000_000, 115_200, 104, 0.160),
            (16_000_000, 115_200, 139, -0.080),
            (25_000_000, 115_200, 217, 0.006),
            (48_000_000, 115_200, 417, -0.080),
            (100_000_000, 115_200, 868, 0.006),
            (12_000_000, 921_600, 13, 0.160),
        ];
        for (clock, baud, divisor, error) in cases {
            let b = BaudDivisor::new(clock, baud).unwrap();
            assert_eq!(b.divisor, divisor, "{clock} / {baud}");
            assert!(
                (b.error_percent() - error).abs() < 0.001,
                "{clock} / {baud}: {}",
                b.error_percent()
            );
        }
        // Rounded to nearest, not truncated.
        assert_eq!(BaudDivisor::new(1_000, 100).unwrap().divisor, 10);
        assert_eq!(BaudDivisor::new(1_049, 100).unwrap().divisor, 10);
        assert_eq!(BaudDivisor::new(1_050, 100).unwrap().divisor, 11);
        let tx = UartTx::new(REAL_CLOCK, DEFAULT_BAUD).unwrap();
        assert_eq!(tx.baud().divisor, 104);
        let rx = UartRx::new(REAL_CLOCK, DEFAULT_BAUD).unwrap();
        assert_eq!(rx.baud().divisor, 104);
    }

    #[test]
    fn unusable_divisors_are_rejected() {
        assert_eq!(BaudDivisor::new(12_000_000, 0), Err(BaudError::ZeroBaud));
        // 12 MHz / 4 Mbaud = 3 cycles per bit.
        let small = UartTx::new(12_000_000, 4_000_000).err().unwrap();
        assert_eq!(
            small,
            BaudError::DivisorTooSmall {
                clock_hz: 12_000_000,
                baud: 4_000_000,
                divisor: 3
            }
        );
        assert!(small.to_string().contains("at least 4"), "{small}");
        // 12 MHz / 3 Mbaud = 4: the smallest usable.
        assert!(UartRx::new(12_000_000, 3_000_000).is_ok());
        // 100 MHz / 1200 baud = 83 333 cycles per bit.
        let large = UartRx::new(100_000_000, 1_200).err().unwrap();
        assert!(matches!(
            large,
            BaudError::DivisorTooLarge {
                divisor: 83_333,
                ..
            }
        ));
        assert!(large.to_string().contains("at most 65535"), "{large}");
        assert_eq!(BaudDivisor::new(65_535, 1).unwrap().divisor, MAX_DIVISOR);
        assert!(BaudDivisor::new(u64::MAX, 1).is_err());
    }

    // ---- transmitter ----

    #[test]
    fn tx_idles_high_and_sends_exact_frames() {
        for (clock, baud) in both_divisors() {
            let mut tx = connected(UartTx::new(clock, baud).unwrap());
            let d = tx.baud().divisor as usize;
            let mut rng = StdRng::seed_from_u64(1);
            let mut bytes = vec![0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80];
            bytes.extend((0..4).map(|_| rng.gen::<u8>()));
            for &byte in &bytes {
                // Idle for a while, strobe once at cycle 5, then let it run.
                let (line, ready) =
                    run_tx(&mut tx, 5 + 10 * d + 5, |c, _| (c == 5).then_some(byte));
                assert!(line[..6].iter().all(|&l| l), "idle line is high");
                assert!(ready[..6].iter().all(|&r| r), "ready while idle");
                assert_eq!(
                    line[6..6 + 10 * d],
                    frame_levels(byte, d),
                    "frame of {byte:#04x}"
                );
                assert!(
                    line[6 + 10 * d..].iter().all(|&l| l),
                    "idle after the frame"
                );
                // Not ready while sending, except in the stop bit's last cycle.
                for (c, &r) in ready.iter().enumerate().skip(6) {
                    assert_eq!(r, c >= 5 + 10 * d, "ready at cycle {c}, divisor {d}");
                }
                assert_eq!(
                    decode(&line, d),
                    vec![Seen {
                        edge: 6,
                        byte,
                        stop: true
                    }]
                );
            }
        }
    }

    #[test]
    fn tx_back_to_back_stream_has_no_gaps() {
        for (clock, baud) in both_divisors() {
            let mut tx = connected(UartTx::new(clock, baud).unwrap());
            let d = tx.baud().divisor as usize;
            let mut rng = StdRng::seed_from_u64(2);
            let bytes: Vec<u8> = (0..32).map(|_| rng.gen()).collect();
            let mut next = bytes.iter();
            let mut pending = next.next();
            // Strobe the next byte whenever `ready` is high.
            let (line, _) = run_tx(&mut tx, 3 + 32 * 10 * d + 3 * d, |_, ready| {
                let byte = pending.filter(|_| ready).copied();
                if byte.is_some() {
                    pending = next.next();
                }
                byte
            });
            assert!(pending.is_none(), "all bytes taken");
            let seen = decode(&line, d);
            assert_eq!(seen.iter().map(|s| s.byte).collect::<Vec<_>>(), bytes);
            assert!(seen.iter().all(|s| s.stop));
            // Each start bit directly follows the previous stop bit.
            for w in seen.windows(2) {
                assert_eq!(w[1].edge - w[0].edge, 10 * d, "gap between frames");
            }
            // And the line is exactly the concatenated frames.
            let start = seen[0].edge;
            let want: Vec<bool> = bytes.iter().flat_map(|&b| frame_levels(b, d)).collect();
            assert_eq!(line[start..start + want.len()], want[..]);
        }
    }

    #[test]
    fn tx_ignores_start_while_busy() {
        let mut tx = connected(small_tx());
        let d = SMALL as usize;
        // Strobe 0x3C, then keep strobing 0xFF in every other cycle until
        // the frame ends: only 0x3C may go out.
        let (line, _) = run_tx(&mut tx, 12 * d, |c, _| match c {
            0 => Some(0x3C),
            c if c < 10 * d && c % 2 == 1 => Some(0xFF),
            _ => None,
        });
        let seen = decode(&line, d);
        assert_eq!(
            seen,
            vec![Seen {
                edge: 1,
                byte: 0x3C,
                stop: true
            }]
        );
    }

    // ---- receiver ----

    #[test]
    fn rx_receives_random_bytes() {
        for (clock, baud) in both_divisors() {
            let mut rx = connected(UartRx::new(clock, baud).unwrap());
            let d = rx.baud().divisor as f64;
            let mut rng = StdRng::seed_from_u64(3);
            let bytes: Vec<u8> = (0..32).map(|_| rng.gen()).collect();
            let mut wave = Wave::new(d, 10);
            for &b in &bytes {
                wave.frame(b);
                // Back to back, or an idle gap of up to 2.5 bits.
                if rng.gen_bool(0.5) {
                    wave.bits(true, rng.gen_range(0.0..2.5));
                }
            }
            let log = run_rx(&mut rx, &wave.levels, 2 * d as usize);
            assert_eq!(log.data(), bytes, "divisor {d}");
            assert!(log.errors.is_empty());
        }
    }

    #[test]
    fn rx_samples_at_bit_centres() {
        // With an exact sender, `valid` rises at a fixed point: the middle of
        // the stop bit plus the synchroniser and output registers.
        for (clock, baud) in both_divisors() {
            let mut rx = connected(UartRx::new(clock, baud).unwrap());
            let d = rx.baud().divisor as usize;
            let mut wave = Wave::new(d as f64, 10);
            wave.frame(0x5A);
            let log = run_rx(&mut rx, &wave.levels, 2 * d);
            // Start edge at cycle 10 on the pin, 12 after the synchroniser;
            // start re-check at 12 + d/2, stop sample d·9 later, strobe one
            // cycle after that.
            assert_eq!(log.bytes, vec![(12 + d / 2 + 9 * d + 1, 0x5A)]);
        }
    }

    #[test]
    fn rx_tolerates_two_percent_clock_mismatch() {
        for (clock, baud) in both_divisors() {
            for mismatch in [-0.02, 0.02] {
                let mut rx = connected(UartRx::new(clock, baud).unwrap());
                let d = rx.baud().divisor as f64;
                let mut rng = StdRng::seed_from_u64(4);
                let bytes: Vec<u8> = (0..32).map(|_| rng.gen()).collect();
                // Back-to-back frames from a sender with a different clock.
                let mut wave = Wave::new(d * (1.0 + mismatch), 7);
                for &b in &bytes {
                    wave.frame(b);
                }
                let log = run_rx(&mut rx, &wave.levels, 2 * d as usize);
                assert_eq!(log.data(), bytes, "divisor {d}, mismatch {mismatch}");
                assert!(log.errors.is_empty());
            }
        }
    }

    #[test]
    fn rx_tolerance_window() {
        // Within ±4 % every byte arrives; at ±8 % they do not, which shows
        // that the driver's fractional bit timing really reaches the receiver.
        for (clock, baud) in both_divisors() {
            for (mismatch, works) in [(-0.08, false), (-0.04, true), (0.04, true), (0.08, false)] {
                let mut rx = connected(UartRx::new(clock, baud).unwrap());
                let d = rx.baud().divisor as f64;
                let mut rng = StdRng::seed_from_u64(6);
                let bytes: Vec<u8> = (0..32).map(|_| rng.gen()).collect();
                let mut wave = Wave::new(d * (1.0 + mismatch), 7);
                for &b in &bytes {
                    wave.frame(b);
                }
                let log = run_rx(&mut rx, &wave.levels, 2 * d as usize);
                let ok = log.data() == bytes && log.errors.is_empty();
                assert_eq!(ok, works, "divisor {d}, mismatch {mismatch}");
            }
        }
    }

    #[test]
    fn rx_reports_framing_error_and_recovers() {
        for (clock, baud) in both_divisors() {
            let mut rx = connected(UartRx::new(clock, baud).unwrap());
            let d = rx.baud().divisor as f64;
            let mut wave = Wave::new(d, 10);
            // A frame whose stop bit is 0, then the line goes high.
            wave.frame(0x11)
                .frame_with_stop(0x22, false)
                .bits(true, 2.0);
            wave.frame(0x33);
            // A break: low for 3 frames' worth, then idle, then a byte.
            wave.bits(false, 30.0).bits(true, 1.0);
            wave.frame(0x44);
            // A bad stop bit directly followed by a start bit (the line
            // never returns high): the next frame is lost, as it should be,
            // then the receiver recovers.
            wave.frame_with_stop(0x55, false).frame(0x00).frame(0x66);
            let log = run_rx(&mut rx, &wave.levels, 2 * d as usize);
            assert_eq!(log.data(), vec![0x11, 0x33, 0x44, 0x66], "divisor {d}");
            assert_eq!(log.errors.len(), 3, "{:?}", log.errors);
            // Each error strobe comes in order, in the bad frame's stop bit.
            let when = |b: u8| log.bytes.iter().find(|&&(_, x)| x == b).unwrap().0;
            assert!(when(0x11) < log.errors[0] && log.errors[0] < when(0x33));
            assert!(when(0x33) < log.errors[1] && log.errors[1] < when(0x44));
            assert!(when(0x44) < log.errors[2] && log.errors[2] < when(0x66));
        }
    }

    #[test]
    fn rx_break_from_power_up_is_one_framing_error() {
        // The line low from power-up reads as a break.
        let mut rx = connected(small_rx());
        let d = SMALL as f64;
        let mut wave = Wave::new(d, 0);
        wave.bits(false, 25.0).bits(true, 3.0).frame(0xC3);
        let log = run_rx(&mut rx, &wave.levels, 32);
        assert_eq!(log.data(), vec![0xC3]);
        assert_eq!(log.errors.len(), 1);
    }

    #[test]
    fn rx_ignores_glitches_shorter_than_half_a_bit() {
        for (clock, baud, widths) in [
            (
                SMALL * DEFAULT_BAUD,
                DEFAULT_BAUD,
                (1..=8).collect::<Vec<_>>(),
            ),
            (REAL_CLOCK, DEFAULT_BAUD, vec![1, 2, 10, 30, 51, 52]),
        ] {
            let mut rx = connected(UartRx::new(clock, baud).unwrap());
            let d = rx.baud().divisor as f64;
            let mut wave = Wave::new(d, 10);
            for &w in &widths {
                wave.level(false, w as f64).bits(true, 1.5);
            }
            // A glitch right before a real frame does not disturb it.
            wave.level(false, 2.0)
                .level(true, d / 2.0 + 2.0)
                .frame(0xA7);
            let log = run_rx(&mut rx, &wave.levels, 2 * d as usize);
            assert_eq!(log.data(), vec![0xA7], "divisor {d}");
            assert!(log.errors.is_empty());
        }
    }

    #[test]
    fn rx_takes_a_long_low_pulse_as_a_start_bit() {
        // The counterpart of the glitch test: low for just over half a bit
        // is a start bit, and with the line then high it reads 0xFF.
        let mut rx = connected(small_rx());
        let d = SMALL as f64;
        let mut wave = Wave::new(d, 10);
        wave.level(false, d / 2.0 + 1.0);
        let log = run_rx(&mut rx, &wave.levels, 12 * d as usize);
        assert_eq!(log.data(), vec![0xFF]);
    }

    // ---- both ----

    #[test]
    fn loopback_of_a_random_stream() {
        for (clock, baud, n) in [
            (SMALL * DEFAULT_BAUD, DEFAULT_BAUD, 64),
            (REAL_CLOCK, DEFAULT_BAUD, 24),
        ] {
            let mut tx = connected(UartTx::new(clock, baud).unwrap());
            let mut rx = connected(UartRx::new(clock, baud).unwrap());
            let d = tx.baud().divisor as usize;
            let mut rng = StdRng::seed_from_u64(5);
            let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let mut sent = 0;
            let mut log = RxLog::default();
            let cycles = n * 10 * d + 3 * d;
            for c in 0..cycles {
                settle(&mut tx);
                // Back to back, except for an occasional pause.
                let send = sent < n && tx.ready.val() && rng.gen_bool(0.8);
                tx.start.next = send;
                if send {
                    tx.data.next = u64::from(bytes[sent]).into();
                    sent += 1;
                }
                settle(&mut tx);
                rx.rx.next = tx.tx.val();
                settle(&mut rx);
                log.record(c, &rx);
                tick(&mut tx, |b| &mut b.clock);
                tick(&mut rx, |b| &mut b.clock);
            }
            assert!(sent > n / 2, "sent {sent}");
            assert_eq!(log.data(), bytes[..sent], "divisor {d}");
            assert!(log.errors.is_empty());
        }
    }
}
