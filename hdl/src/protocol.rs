//! The board side of the native protocol (`docs/protocol.md`).

use crate::crc::Crc16Byte;
use crate::reg::DataReg;
use crate::slot::{Found, State8, Tail};
use crate::word::Word;
use rust_hdl::prelude::*;

/// Protocol version reported by `IDENT`.
pub const PROTOCOL_VERSION: u8 = 1;

/// Receive states.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum RxState {
    /// Looking for the sync byte.
    Hunt,
    /// Next byte is the length.
    Len,
    /// Next byte is the type.
    Kind,
    /// Receiving the payload.
    Payload,
    /// Next byte is the CRC's high byte.
    CrcHi,
    /// Next byte is the CRC's low byte.
    CrcLo,
}

/// Transmit states: which byte of the frame is on `tx_data`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, LogicState)]
pub enum TxState {
    /// Nothing to send.
    Idle,
    /// The sync byte.
    Sync,
    /// The length.
    Len,
    /// The type.
    Kind,
    /// The payload.
    Payload,
    /// The CRC's high byte.
    CrcHi,
    /// The CRC's low byte.
    CrcLo,
}

/// The last 60 received payload bytes, oldest first, as big-endian words.
/// A 57-byte `SET_WORK` payload ends up word-aligned: job id in the low byte
/// of `p0`, midstate in `p1..p8`, tail in `p9..p11`, start, end and
/// threshold in `p12..p14`.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct PayloadBuf {
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
}

/// Up to 12 payload bytes to send, most significant byte of `w0` first.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct TxBuf {
    pub w0: Word,
    pub w1: Word,
    pub w2: Word,
}

/// How a protocol engine is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Round stages per transform (reported by `IDENT`).
    pub unroll: usize,
    /// Number of cores (reported by `IDENT`).
    pub cores: usize,
    /// Hash clock in Hz (reported by `IDENT`).
    pub clock_hz: u32,
    /// Cycles without a byte after which a partial frame is dropped.
    pub timeout_cycles: u32,
    /// Cycles after which an unacknowledged `RESULT` is sent again.
    pub resend_cycles: u32,
    /// Icarus mode only: the first value the cores count from (0 for
    /// cgminer; tests start just below a known nonce).
    pub icarus_first_nonce: u32,
}

impl EngineConfig {
    /// The protocol's timings for a hash clock: 10 ms frame timeout, 50 ms
    /// resend interval.
    pub fn new(unroll: usize, cores: usize, clock_hz: u32) -> Self {
        Self {
            unroll,
            cores,
            clock_hz,
            timeout_cycles: clock_hz / 100,
            resend_cycles: clock_hz / 20,
            icarus_first_nonce: 0,
        }
    }

    /// The `IDENT` payload as the engine sends it (9 bytes).
    pub fn ident_payload(&self) -> [u8; 9] {
        let c = self.clock_hz.to_be_bytes();
        let hpc = ((self.unroll * self.cores) as u16).to_be_bytes();
        [
            PROTOCOL_VERSION,
            self.unroll as u8,
            self.cores as u8,
            c[0],
            c[1],
            c[2],
            c[3],
            hpc[0],
            hpc[1],
        ]
    }
}

/// The protocol engine: parses command frames from received bytes, drives
/// the cores' work, and sends replies and results as frames.
///
/// Bytes come in on `rx_data`/`rx_valid` (one per strobe) and go out on
/// `tx_data` while `tx_valid`, taken by the transmitter when `tx_ready`.
/// One `RESULT` is in flight at a time; it is sent again every
/// `resend_cycles` until an `ACK_RESULT` with its sequence number arrives.
#[derive(LogicBlock)]
pub struct ProtocolEngine {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Received byte.
    pub rx_data: Signal<In, Bits<8>>,
    /// `rx_data` holds a new byte (one-cycle strobe).
    pub rx_valid: Signal<In, Bit>,
    /// Byte to send.
    pub tx_data: Signal<Out, Bits<8>>,
    /// `tx_data` is valid.
    pub tx_valid: Signal<Out, Bit>,
    /// The transmitter takes `tx_data` this cycle if `tx_valid`.
    pub tx_ready: Signal<In, Bit>,
    /// Work for the cores.
    pub midstate: Signal<Out, State8>,
    /// Work for the cores.
    pub tail: Signal<Out, Tail>,
    /// Work for the cores.
    pub nonce_start: Signal<Out, Word>,
    /// Work for the cores.
    pub nonce_end: Signal<Out, Word>,
    /// Work for the cores.
    pub threshold: Signal<Out, Word>,
    /// Job id of the work.
    pub tag: Signal<Out, Bits<8>>,
    /// One-cycle pulse: new work.
    pub start: Signal<Out, Bit>,
    /// The cores have a result.
    pub result_valid: Signal<In, Bit>,
    /// That result.
    pub result: Signal<In, Found>,
    /// Pop the result.
    pub result_ack: Signal<Out, Bit>,
    /// Nonces issued per core (for `STATUS`).
    pub progress: Signal<In, Word>,
    /// The cores are busy (for `STATUS`).
    pub busy: Signal<In, Bit>,
    /// The cores are stalled (for `STATUS`).
    pub stalled: Signal<In, Bit>,
    /// More results wait behind `result` (for `STATUS`).
    pub more: Signal<In, Bit>,
    // Receive side.
    rx_state: DFF<RxState>,
    rx_len: DFF<Bits<8>>,
    rx_kind: DFF<Bits<8>>,
    rx_count: DFF<Bits<8>>,
    rx_crc: DFF<Bits<16>>,
    rx_timer: DFF<Bits<24>>,
    rx_crc_fn: Crc16Byte,
    rx_word: Signal<Local, Word>,
    rxbuf: DataReg<PayloadBuf>,
    // Work registers.
    w_mid: DataReg<State8>,
    w_tail: DataReg<Tail>,
    w_start: DataReg<Word>,
    w_end: DataReg<Word>,
    w_threshold: DataReg<Word>,
    w_job: DFF<Word>,
    start_pulse: DFF<Bit>,
    // Reply to send: a frame type, or 0.
    reply: DFF<Bits<8>>,
    reply_code: DFF<Word>,
    // The result in flight.
    res_valid: DFF<Bit>,
    res_sent: DFF<Bit>,
    res_seq: DFF<Word>,
    res_job: DFF<Word>,
    res_nonce: DFF<Word>,
    res_timer: DFF<Bits<24>>,
    // Transmit side.
    tx_state: DFF<TxState>,
    tx_len: DFF<Bits<8>>,
    tx_kind: DFF<Bits<8>>,
    tx_count: DFF<Bits<8>>,
    tx_crc: DFF<Bits<16>>,
    tx_buf: DFF<TxBuf>,
    tx_crc_fn: Crc16Byte,
    tx_byte: Signal<Local, Bits<8>>,
    status_w0: Signal<Local, Word>,
    status_w1: Signal<Local, Word>,
    flag_word: Signal<Local, Word>,
    flags_busy: Constant<Word>,
    flags_stalled: Constant<Word>,
    flags_busy_stalled: Constant<Word>,
    pending_one: Constant<Word>,
    pending_more: Constant<Word>,
    ident: Constant<TxBuf>,
    timeout: Constant<Bits<24>>,
    resend: Constant<Bits<24>>,
    byte_mask: Constant<Word>,
}

impl ProtocolEngine {
    /// An engine for `config`.
    pub fn new(config: EngineConfig) -> Self {
        let p = config.ident_payload();
        let word = |b: &[u8]| Word(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let ident = TxBuf {
            w0: word(&p[0..4]),
            w1: word(&p[4..8]),
            w2: word(&[p[8], 0, 0, 0]),
        };
        let cycles = |c: u32| -> Bits<24> { u64::from(c.clamp(2, (1 << 24) - 1)).into() };
        Self {
            clock: Default::default(),
            rx_data: Default::default(),
            rx_valid: Default::default(),
            tx_data: Default::default(),
            tx_valid: Default::default(),
            tx_ready: Default::default(),
            midstate: Default::default(),
            tail: Default::default(),
            nonce_start: Default::default(),
            nonce_end: Default::default(),
            threshold: Default::default(),
            tag: Default::default(),
            start: Default::default(),
            result_valid: Default::default(),
            result: Default::default(),
            result_ack: Default::default(),
            progress: Default::default(),
            busy: Default::default(),
            stalled: Default::default(),
            more: Default::default(),
            rx_state: Default::default(),
            rx_len: Default::default(),
            rx_kind: Default::default(),
            rx_count: Default::default(),
            rx_crc: Default::default(),
            rx_timer: Default::default(),
            rx_crc_fn: Default::default(),
            rx_word: Default::default(),
            rxbuf: Default::default(),
            w_mid: Default::default(),
            w_tail: Default::default(),
            w_start: Default::default(),
            w_end: Default::default(),
            w_threshold: Default::default(),
            w_job: Default::default(),
            start_pulse: Default::default(),
            reply: Default::default(),
            reply_code: Default::default(),
            res_valid: Default::default(),
            res_sent: Default::default(),
            res_seq: Default::default(),
            res_job: Default::default(),
            res_nonce: Default::default(),
            res_timer: Default::default(),
            tx_state: Default::default(),
            tx_len: Default::default(),
            tx_kind: Default::default(),
            tx_count: Default::default(),
            tx_crc: Default::default(),
            tx_buf: Default::default(),
            tx_crc_fn: Default::default(),
            tx_byte: Default::default(),
            status_w0: Default::default(),
            status_w1: Default::default(),
            flag_word: Default::default(),
            flags_busy: Constant::new(Word(1 << 16)),
            flags_stalled: Constant::new(Word(2 << 16)),
            flags_busy_stalled: Constant::new(Word(3 << 16)),
            pending_one: Constant::new(Word(1 << 8)),
            pending_more: Constant::new(Word(2 << 8)),
            ident: Constant::new(ident),
            timeout: Constant::new(cycles(config.timeout_cycles)),
            resend: Constant::new(cycles(config.resend_cycles)),
            byte_mask: Constant::new(Word(0xff)),
        }
    }
}

impl Logic for ProtocolEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            rx_state,
            rx_len,
            rx_kind,
            rx_count,
            rx_crc,
            rx_timer,
            w_job,
            start_pulse,
            reply,
            reply_code,
            res_valid,
            res_sent,
            res_seq,
            res_job,
            res_nonce,
            res_timer,
            tx_state,
            tx_len,
            tx_kind,
            tx_count,
            tx_crc,
            tx_buf
        );
        self.rxbuf.clock.next = self.clock.val();
        self.w_mid.clock.next = self.clock.val();
        self.w_tail.clock.next = self.clock.val();
        self.w_start.clock.next = self.clock.val();
        self.w_end.clock.next = self.clock.val();
        self.w_threshold.clock.next = self.clock.val();
        self.rxbuf.d.next = self.rxbuf.q.val();
        self.w_mid.d.next = self.w_mid.q.val();
        self.w_tail.d.next = self.w_tail.q.val();
        self.w_start.d.next = self.w_start.q.val();
        self.w_end.d.next = self.w_end.q.val();
        self.w_threshold.d.next = self.w_threshold.q.val();

        // Work out to the cores.
        self.midstate.next = self.w_mid.q.val();
        self.tail.next = self.w_tail.q.val();
        self.nonce_start.next = self.w_start.q.val();
        self.nonce_end.next = self.w_end.q.val();
        self.threshold.next = self.w_threshold.q.val();
        self.tag.next = self.w_job.q.val().into();
        self.start.next = self.start_pulse.q.val();
        self.start_pulse.d.next = false;

        // ---- Receive ----
        self.rx_crc_fn.crc.next = self.rx_crc.q.val();
        self.rx_crc_fn.data.next = self.rx_data.val();
        self.rx_word.next = self.rx_data.val().into();
        if self.rx_state.q.val() != RxState::Hunt {
            self.rx_timer.d.next = self.rx_timer.q.val() + 1;
        }
        if self.rx_valid.val() {
            self.rx_timer.d.next = 0.into();
            self.rx_crc.d.next = self.rx_crc_fn.out.val();
            match self.rx_state.q.val() {
                RxState::Hunt => {
                    if self.rx_data.val() == 0xA5 {
                        self.rx_state.d.next = RxState::Len;
                        self.rx_crc.d.next = 0xFFFF.into();
                    }
                }
                RxState::Len => {
                    self.rx_len.d.next = self.rx_data.val();
                    if self.rx_data.val() > 64 {
                        self.rx_state.d.next = RxState::Hunt;
                        self.reply.d.next = 0xEE.into();
                        self.reply_code.d.next = 2.into();
                    } else {
                        self.rx_state.d.next = RxState::Kind;
                    }
                }
                RxState::Kind => {
                    self.rx_kind.d.next = self.rx_data.val();
                    self.rx_count.d.next = 0.into();
                    if self.rx_len.q.val() == 0 {
                        self.rx_state.d.next = RxState::CrcHi;
                    } else {
                        self.rx_state.d.next = RxState::Payload;
                    }
                }
                RxState::Payload => {
                    self.rxbuf.d.next.p0 =
                        (self.rxbuf.q.val().p0 << 8) | (self.rxbuf.q.val().p1 >> 24);
                    self.rxbuf.d.next.p1 =
                        (self.rxbuf.q.val().p1 << 8) | (self.rxbuf.q.val().p2 >> 24);
                    self.rxbuf.d.next.p2 =
                        (self.rxbuf.q.val().p2 << 8) | (self.rxbuf.q.val().p3 >> 24);
                    self.rxbuf.d.next.p3 =
                        (self.rxbuf.q.val().p3 << 8) | (self.rxbuf.q.val().p4 >> 24);
                    self.rxbuf.d.next.p4 =
                        (self.rxbuf.q.val().p4 << 8) | (self.rxbuf.q.val().p5 >> 24);
                    self.rxbuf.d.next.p5 =
                        (self.rxbuf.q.val().p5 << 8) | (self.rxbuf.q.val().p6 >> 24);
                    self.rxbuf.d.next.p6 =
                        (self.rxbuf.q.val().p6 << 8) | (self.rxbuf.q.val().p7 >> 24);
                    self.rxbuf.d.next.p7 =
                        (self.rxbuf.q.val().p7 << 8) | (self.rxbuf.q.val().p8 >> 24);
                    self.rxbuf.d.next.p8 =
                        (self.rxbuf.q.val().p8 << 8) | (self.rxbuf.q.val().p9 >> 24);
                    self.rxbuf.d.next.p9 =
                        (self.rxbuf.q.val().p9 << 8) | (self.rxbuf.q.val().p10 >> 24);
                    self.rxbuf.d.next.p10 =
                        (self.rxbuf.q.val().p10 << 8) | (self.rxbuf.q.val().p11 >> 24);
                    self.rxbuf.d.next.p11 =
                        (self.rxbuf.q.val().p11 << 8) | (self.rxbuf.q.val().p12 >> 24);
                    self.rxbuf.d.next.p12 =
                        (self.rxbuf.q.val().p12 << 8) | (self.rxbuf.q.val().p13 >> 24);
                    self.rxbuf.d.next.p13 =
                        (self.rxbuf.q.val().p13 << 8) | (self.rxbuf.q.val().p14 >> 24);
                    self.rxbuf.d.next.p14 = (self.rxbuf.q.val().p14 << 8) | self.rx_word.val();
                    self.rx_count.d.next = self.rx_count.q.val() + 1;
                    if (self.rx_count.q.val() + 1) == self.rx_len.q.val() {
                        self.rx_state.d.next = RxState::CrcHi;
                    }
                }
                RxState::CrcHi => {
                    self.rx_state.d.next = RxState::CrcLo;
                }
                RxState::CrcLo => {
                    self.rx_state.d.next = RxState::Hunt;
                    if self.rx_crc_fn.out.val() != 0 {
                        self.reply.d.next = 0xEE.into();
                        self.reply_code.d.next = 1.into();
                    } else if self.rx_kind.q.val() == 0x01 {
                        if self.rx_len.q.val() == 0 {
                            self.reply.d.next = 0x81.into();
                        } else {
                            self.reply.d.next = 0xEE.into();
                            self.reply_code.d.next = 2.into();
                        }
                    } else if self.rx_kind.q.val() == 0x02 {
                        if self.rx_len.q.val() == 57 {
                            self.w_job.d.next = self.rxbuf.q.val().p0 & self.byte_mask.val();
                            self.w_mid.d.next.a = self.rxbuf.q.val().p1;
                            self.w_mid.d.next.b = self.rxbuf.q.val().p2;
                            self.w_mid.d.next.c = self.rxbuf.q.val().p3;
                            self.w_mid.d.next.d = self.rxbuf.q.val().p4;
                            self.w_mid.d.next.e = self.rxbuf.q.val().p5;
                            self.w_mid.d.next.f = self.rxbuf.q.val().p6;
                            self.w_mid.d.next.g = self.rxbuf.q.val().p7;
                            self.w_mid.d.next.h = self.rxbuf.q.val().p8;
                            self.w_tail.d.next.w0 = self.rxbuf.q.val().p9;
                            self.w_tail.d.next.w1 = self.rxbuf.q.val().p10;
                            self.w_tail.d.next.w2 = self.rxbuf.q.val().p11;
                            self.w_start.d.next = self.rxbuf.q.val().p12;
                            self.w_end.d.next = self.rxbuf.q.val().p13;
                            self.w_threshold.d.next = self.rxbuf.q.val().p14;
                            self.start_pulse.d.next = true;
                            self.reply.d.next = 0x82.into();
                        } else {
                            self.reply.d.next = 0xEE.into();
                            self.reply_code.d.next = 2.into();
                        }
                    } else if self.rx_kind.q.val() == 0x03 {
                        if self.rx_len.q.val() == 0 {
                            self.reply.d.next = 0x83.into();
                        } else {
                            self.reply.d.next = 0xEE.into();
                            self.reply_code.d.next = 2.into();
                        }
                    } else if self.rx_kind.q.val() == 0x04 {
                        if self.rx_len.q.val() == 1 {
                            if self.res_valid.q.val()
                                & ((self.rxbuf.q.val().p14 & self.byte_mask.val())
                                    == self.res_seq.q.val())
                            {
                                self.res_valid.d.next = false;
                                self.res_seq.d.next =
                                    (self.res_seq.q.val() + 1) & self.byte_mask.val();
                            }
                        } else {
                            self.reply.d.next = 0xEE.into();
                            self.reply_code.d.next = 2.into();
                        }
                    } else {
                        self.reply.d.next = 0xEE.into();
                        self.reply_code.d.next = 3.into();
                    }
                }
                _ => {
                    self.rx_state.d.next = RxState::Hunt;
                }
            }
        } else if (self.rx_state.q.val() != RxState::Hunt)
            & (self.rx_timer.q.val() == self.timeout.val())
        {
            self.rx_state.d.next = RxState::Hunt;
            self.reply.d.next = 0xEE.into();
            self.reply_code.d.next = 4.into();
        }

        // ---- The result in flight ----
        self.result_ack.next = false;
        if (!self.res_valid.q.val()) & self.result_valid.val() {
            self.result_ack.next = true;
            self.res_valid.d.next = true;
            self.res_sent.d.next = false;
            self.res_job.d.next = self.result.val().tag.into();
            self.res_nonce.d.next = self.result.val().nonce;
        }
        if self.res_timer.q.val() != self.resend.val() {
            self.res_timer.d.next = self.res_timer.q.val() + 1;
        }

        // ---- Transmit ----
        // STATUS payload: job, flags, progress, pending.
        self.flag_word.next = 0.into();
        if self.busy.val() & self.stalled.val() {
            self.flag_word.next = self.flags_busy_stalled.val();
        } else if self.busy.val() {
            self.flag_word.next = self.flags_busy.val();
        } else if self.stalled.val() {
            self.flag_word.next = self.flags_stalled.val();
        }
        self.status_w0.next =
            ((self.w_job.q.val() << 24) | (self.progress.val() >> 16)) | self.flag_word.val();
        self.status_w1.next = self.progress.val() << 16;
        if self.res_valid.q.val() & (self.result_valid.val() | self.more.val()) {
            self.status_w1.next = (self.progress.val() << 16) | self.pending_more.val();
        } else if self.res_valid.q.val() | self.result_valid.val() {
            self.status_w1.next = (self.progress.val() << 16) | self.pending_one.val();
        }
        self.tx_byte.next = 0xA5.into();
        match self.tx_state.q.val() {
            TxState::Len => {
                self.tx_byte.next = self.tx_len.q.val();
            }
            TxState::Kind => {
                self.tx_byte.next = self.tx_kind.q.val();
            }
            TxState::Payload => {
                self.tx_byte.next = (self.tx_buf.q.val().w0 >> 24).into();
            }
            TxState::CrcHi => {
                self.tx_byte.next = self.tx_crc.q.val().get_bits::<8>(8);
            }
            TxState::CrcLo => {
                self.tx_byte.next = self.tx_crc.q.val().get_bits::<8>(0);
            }
            _ => {}
        }
        self.tx_crc_fn.crc.next = self.tx_crc.q.val();
        self.tx_crc_fn.data.next = self.tx_byte.val();
        self.tx_valid.next = self.tx_state.q.val() != TxState::Idle;
        self.tx_data.next = self.tx_byte.val();
        if self.tx_state.q.val() == TxState::Idle {
            self.tx_crc.d.next = 0xFFFF.into();
            self.tx_buf.d.next.w2 = 0.into();
            // `reply` holds the frame type to send, or 0 for none. (A Rust
            // `const` here would reach the Verilog as an undeclared name.)
            if self.reply.q.val() != 0 {
                self.tx_state.d.next = TxState::Sync;
                self.tx_kind.d.next = self.reply.q.val();
                self.reply.d.next = 0.into();
                if self.reply.q.val() == 0x81 {
                    self.tx_len.d.next = 9.into();
                    self.tx_buf.d.next = self.ident.val();
                } else if self.reply.q.val() == 0x82 {
                    self.tx_len.d.next = 1.into();
                    self.tx_buf.d.next.w0 = self.w_job.q.val() << 24;
                } else if self.reply.q.val() == 0x83 {
                    self.tx_len.d.next = 7.into();
                    self.tx_buf.d.next.w0 = self.status_w0.val();
                    self.tx_buf.d.next.w1 = self.status_w1.val();
                } else {
                    self.tx_len.d.next = 1.into();
                    self.tx_buf.d.next.w0 = self.reply_code.q.val() << 24;
                }
            } else if self.res_valid.q.val()
                & ((!self.res_sent.q.val()) | (self.res_timer.q.val() == self.resend.val()))
            {
                self.tx_state.d.next = TxState::Sync;
                self.tx_kind.d.next = 0x84.into();
                self.tx_len.d.next = 6.into();
                self.tx_buf.d.next.w0 = ((self.res_seq.q.val() << 24)
                    | (self.res_job.q.val() << 16))
                    | (self.res_nonce.q.val() >> 16);
                self.tx_buf.d.next.w1 = self.res_nonce.q.val() << 16;
                self.res_sent.d.next = true;
                self.res_timer.d.next = 0.into();
            }
        } else if self.tx_ready.val() {
            match self.tx_state.q.val() {
                TxState::Sync => {
                    self.tx_state.d.next = TxState::Len;
                }
                TxState::Len => {
                    self.tx_crc.d.next = self.tx_crc_fn.out.val();
                    self.tx_state.d.next = TxState::Kind;
                }
                TxState::Kind => {
                    self.tx_crc.d.next = self.tx_crc_fn.out.val();
                    self.tx_count.d.next = 0.into();
                    if self.tx_len.q.val() == 0 {
                        self.tx_state.d.next = TxState::CrcHi;
                    } else {
                        self.tx_state.d.next = TxState::Payload;
                    }
                }
                TxState::Payload => {
                    self.tx_crc.d.next = self.tx_crc_fn.out.val();
                    self.tx_buf.d.next.w0 =
                        (self.tx_buf.q.val().w0 << 8) | (self.tx_buf.q.val().w1 >> 24);
                    self.tx_buf.d.next.w1 =
                        (self.tx_buf.q.val().w1 << 8) | (self.tx_buf.q.val().w2 >> 24);
                    self.tx_buf.d.next.w2 = self.tx_buf.q.val().w2 << 8;
                    self.tx_count.d.next = self.tx_count.q.val() + 1;
                    if (self.tx_count.q.val() + 1) == self.tx_len.q.val() {
                        self.tx_state.d.next = TxState::CrcHi;
                    }
                }
                TxState::CrcHi => {
                    self.tx_state.d.next = TxState::CrcLo;
                }
                TxState::CrcLo => {
                    self.tx_state.d.next = TxState::Idle;
                }
                _ => {}
            }
        }
    }
}
