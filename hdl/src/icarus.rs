//! The Icarus-compatible protocol (a build option), so cgminer and
//! bfgminer can drive the board with their Icarus driver.
//!
//! Facts from cgminer's `driver-icarus.c`:
//! - work is 64 bytes: the 32-byte midstate reversed byte for byte, 20 fill
//!   bytes (zero, or CMR2 commands), then header bytes 64..76 reversed byte
//!   for byte, all in cgminer's word-swapped copy of the header. So the
//!   board reads the midstate words H0..H7 and the tail words W0..W2 as
//!   *little-endian* words of the bytes it receives (checked against
//!   cgminer's golden work, nonce 0x000187a2, in `tests/icarus.rs`);
//! - the answer is 4 bytes, read as `nonce = be32(bytes)` and written into
//!   the (word-swapped) header, so the 4 bytes are the nonce bytes exactly
//!   as they appear in the header;
//! - cgminer estimates the work done as `(nonce & mask) + 1` times the
//!   number of FPGAs, so each core counts that big-endian value upward from
//!   the bottom of its share of the 32-bit space, and the cores split the
//!   space by its top bits;
//! - the device hashes until it finds a nonce or exhausts the range, and
//!   new work interrupts it at once.
//!
//! Work that stops arriving half way (no byte for `timeout_cycles`) is
//! dropped, so a lost byte costs one work item, not the framing of every
//! later one. Results of superseded work are dropped, not sent.

use crate::reg::DataReg;
use crate::slot::{Found, State8, Tail};
use crate::word::Word;
use rust_hdl::prelude::*;

/// The last 64 received bytes as little-endian words: byte `4i` is the low
/// byte of `p_i`.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct IcarusBuf {
    pub p0: Word,
    pub p1: Word,
    pub p2: Word,
    pub p3: Word,
    pub p4: Word,
    pub p5: Word,
    pub p6: Word,
    pub p7: Word,
    pub p8: Word,
    pub p9: Word,
    pub p10: Word,
    pub p11: Word,
    pub p12: Word,
    pub p13: Word,
    pub p14: Word,
    pub p15: Word,
}

/// The Icarus protocol engine.
#[derive(LogicBlock)]
pub struct IcarusEngine {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Received byte.
    pub rx_data: Signal<In, Bits<8>>,
    /// `rx_data` holds a new byte.
    pub rx_valid: Signal<In, Bit>,
    /// Byte to send.
    pub tx_data: Signal<Out, Bits<8>>,
    /// `tx_data` is valid.
    pub tx_valid: Signal<Out, Bit>,
    /// The transmitter takes `tx_data` this cycle.
    pub tx_ready: Signal<In, Bit>,
    /// Work for the cores.
    pub midstate: Signal<Out, State8>,
    /// Work for the cores.
    pub tail: Signal<Out, Tail>,
    /// Work tag (counts work items).
    pub tag: Signal<Out, Bits<8>>,
    /// Pulse: start the work (whole 32-bit range, difficulty 1).
    pub start: Signal<Out, Bit>,
    /// Pulse: stop the cores (a nonce was found).
    pub stop: Signal<Out, Bit>,
    /// The cores have a result.
    pub result_valid: Signal<In, Bit>,
    /// That result.
    pub result: Signal<In, Found>,
    /// Pop the result.
    pub result_ack: Signal<Out, Bit>,
    rxbuf: DataReg<IcarusBuf>,
    rx_word: Signal<Local, Word>,
    count: DFF<Bits<7>>,
    timer: DFF<Bits<24>>,
    load: DFF<Bit>,
    w_mid: DataReg<State8>,
    w_tail: DataReg<Tail>,
    w_tag: DFF<Bits<8>>,
    start_pulse: DFF<Bit>,
    stop_pulse: DFF<Bit>,
    stopped: DFF<Bit>,
    tx_word: DFF<Word>,
    tx_left: DFF<Bits<3>>,
    timeout: Constant<Bits<24>>,
}

impl IcarusEngine {
    /// An engine that drops partial work after `timeout_cycles` of silence.
    pub fn new(timeout_cycles: u32) -> Self {
        Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_ready: Default::default(),
            midstate: Default::default(),
            tail: Default::default(),
            tag: Default::default(),
            start: Default::default(),
            stop: Default::default(),
            result_valid: Default::default(),
            result: Default::default(),
            result_ack: Default::default(),
            rxbuf: Default::default(),
            rx_word: Default::default(),
            count: Default::default(),
            timer: Default::default(),
            load: Default::default(),
            w_mid: Default::default(),
            w_tail: Default::default(),
            w_tag: Default::default(),
            start_pulse: Default::default(),
            stop_pulse: Default::default(),
            stopped: Default::default(),
            tx_word: Default::default(),
            tx_left: Default::default(),
            timeout: Constant::new(u64::from(timeout_cycles.clamp(2, (1 << 24) - 1)).into()),
        }
    }
}

impl Logic for IcarusEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            count,
            timer,
            load,
            w_tag,
            start_pulse,
            stop_pulse,
            stopped,
            tx_word,
            tx_left
        );
        self.rxbuf.clock.next = self.clock.val();
        self.w_mid.clock.next = self.clock.val();
        self.w_tail.clock.next = self.clock.val();
        self.rxbuf.d.next = self.rxbuf.q.val();
        self.w_mid.d.next = self.w_mid.q.val();
        self.w_tail.d.next = self.w_tail.q.val();
        self.midstate.next = self.w_mid.q.val();
        self.tail.next = self.w_tail.q.val();
        self.tag.next = self.w_tag.q.val();
        self.start.next = self.start_pulse.q.val();
        self.stop.next = self.stop_pulse.q.val();
        self.start_pulse.d.next = false;
        self.stop_pulse.d.next = false;
        self.load.d.next = false;

        // Receive 64 bytes into the buffer, shifting right so that each
        // group of 4 bytes becomes a little-endian word.
        self.rx_word.next = self.rx_data.val().into();
        if self.count.q.val() != 0 {
            self.timer.d.next = self.timer.q.val() + 1;
        }
        if self.rx_valid.val() {
            self.timer.d.next = 0.into();
            self.rxbuf.d.next.p0 = (self.rxbuf.q.val().p0 >> 8) | (self.rxbuf.q.val().p1 << 24);
            self.rxbuf.d.next.p1 = (self.rxbuf.q.val().p1 >> 8) | (self.rxbuf.q.val().p2 << 24);
            self.rxbuf.d.next.p2 = (self.rxbuf.q.val().p2 >> 8) | (self.rxbuf.q.val().p3 << 24);
            self.rxbuf.d.next.p3 = (self.rxbuf.q.val().p3 >> 8) | (self.rxbuf.q.val().p4 << 24);
            self.rxbuf.d.next.p4 = (self.rxbuf.q.val().p4 >> 8) | (self.rxbuf.q.val().p5 << 24);
            self.rxbuf.d.next.p5 = (self.rxbuf.q.val().p5 >> 8) | (self.rxbuf.q.val().p6 << 24);
            self.rxbuf.d.next.p6 = (self.rxbuf.q.val().p6 >> 8) | (self.rxbuf.q.val().p7 << 24);
            self.rxbuf.d.next.p7 = (self.rxbuf.q.val().p7 >> 8) | (self.rxbuf.q.val().p8 << 24);
            self.rxbuf.d.next.p8 = (self.rxbuf.q.val().p8 >> 8) | (self.rxbuf.q.val().p9 << 24);
            self.rxbuf.d.next.p9 = (self.rxbuf.q.val().p9 >> 8) | (self.rxbuf.q.val().p10 << 24);
            self.rxbuf.d.next.p10 = (self.rxbuf.q.val().p10 >> 8) | (self.rxbuf.q.val().p11 << 24);
            self.rxbuf.d.next.p11 = (self.rxbuf.q.val().p11 >> 8) | (self.rxbuf.q.val().p12 << 24);
            self.rxbuf.d.next.p12 = (self.rxbuf.q.val().p12 >> 8) | (self.rxbuf.q.val().p13 << 24);
            self.rxbuf.d.next.p13 = (self.rxbuf.q.val().p13 >> 8) | (self.rxbuf.q.val().p14 << 24);
            self.rxbuf.d.next.p14 = (self.rxbuf.q.val().p14 >> 8) | (self.rxbuf.q.val().p15 << 24);
            self.rxbuf.d.next.p15 = (self.rxbuf.q.val().p15 >> 8) | (self.rx_word.val() << 24);
            if self.count.q.val() == 63 {
                self.count.d.next = 0.into();
                self.load.d.next = true;
            } else {
                self.count.d.next = self.count.q.val() + 1;
            }
        } else if self.timer.q.val() == self.timeout.val() {
            self.count.d.next = 0.into();
            self.timer.d.next = 0.into();
        }
        // A complete work item: load it and start; it interrupts any work.
        if self.load.q.val() {
            self.w_mid.d.next.a = self.rxbuf.q.val().p0;
            self.w_mid.d.next.b = self.rxbuf.q.val().p1;
            self.w_mid.d.next.c = self.rxbuf.q.val().p2;
            self.w_mid.d.next.d = self.rxbuf.q.val().p3;
            self.w_mid.d.next.e = self.rxbuf.q.val().p4;
            self.w_mid.d.next.f = self.rxbuf.q.val().p5;
            self.w_mid.d.next.g = self.rxbuf.q.val().p6;
            self.w_mid.d.next.h = self.rxbuf.q.val().p7;
            self.w_tail.d.next.w0 = self.rxbuf.q.val().p13;
            self.w_tail.d.next.w1 = self.rxbuf.q.val().p14;
            self.w_tail.d.next.w2 = self.rxbuf.q.val().p15;
            self.w_tag.d.next = self.w_tag.q.val() + 1;
            self.start_pulse.d.next = true;
            self.stopped.d.next = false;
        }

        // Results: send the current work's, drop superseded work's.
        self.result_ack.next = false;
        if self.result_valid.val() & (self.tx_left.q.val() == 0) & (!self.load.q.val()) {
            self.result_ack.next = true;
            if self.result.val().tag == self.w_tag.q.val() {
                self.tx_word.d.next = self.result.val().nonce;
                self.tx_left.d.next = 4.into();
                if !self.stopped.q.val() {
                    self.stop_pulse.d.next = true;
                    self.stopped.d.next = true;
                }
            }
        }
        self.tx_valid.next = self.tx_left.q.val() != 0;
        self.tx_data.next = (self.tx_word.q.val() >> 24).into();
        if (self.tx_left.q.val() != 0) & self.tx_ready.val() {
            self.tx_word.d.next = self.tx_word.q.val() << 8;
            self.tx_left.d.next = self.tx_left.q.val() - 1;
        }
    }
}
