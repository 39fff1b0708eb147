//! The board side of the native protocol (`docs/protocol.md`).

use crate::byte_ram::ByteRam;
use crate::crc::Crc16Byte;
use crate::reg::DataReg;
use crate::round::T1Adder;
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

/// Cycles from the `stop` pulse that flushes the cores for new work to the
/// `start` pulse that starts it (the copy from the receive buffer into the
/// work registers; see [`ProtocolEngine`]).
pub const COPY_CYCLES: usize = 57;

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
    /// How the cores' rounds add `T1` (not visible to the host).
    pub t1: T1Adder,
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
            t1: T1Adder::Plain,
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
///
/// **Receive buffer.** Payload bytes go into a 64-byte block RAM
/// ([`ByteRam`]), byte `i` at address `i`, instead of a shift register
/// (about 450 flip-flops, a logic cell each on iCE40). The read port rests
/// at address 0, so the job id of a frame is on it when the frame's last
/// byte arrives. `ACK_RESULT` needs only one flag: whether its payload byte
/// equalled `res_seq` (nothing changes `res_seq` between that byte and the
/// frame's CRC).
///
/// **Loading work.** On the last byte of a good `SET_WORK` (cycle `C`), the
/// job id is loaded into `w_job` and `WORK_ACK` is queued as before, and
/// the copy phase starts:
/// - `stop` pulses in cycle `C + 1`. The board flushes every core and
///   leaves it idle (a `start` with `run` low). Up to that edge the
///   midstate, tail, range and threshold are still the old work's, so
///   whatever the cores compare or queue there is entirely old work.
/// - Cycles `C + 1 ..= C + 56` read bytes 1..=56; each is shifted into the
///   work registers one cycle later (edges `C + 2 ..= C + 57`). They form
///   one byte-wide shift chain, `w_mid.a` .. `w_threshold`, so each
///   flip-flop takes its neighbour's bit through its enable and needs no
///   multiplexer. While the chain shifts, the cores hold nothing valid.
/// - `start` pulses in cycle `C + 58` ([`COPY_CYCLES`] after `stop`), with
///   the new work complete on the outputs, as it was before.
///
/// So no result ever comes from a mix of old and new work; the only cost is
/// [`COPY_CYCLES`] idle cycles per `SET_WORK`.
///
/// Bytes may keep arriving during the copy (even one per cycle) and are
/// handled as usual: the copy reads address `k` in cycle `C + k`, and a new
/// frame's payload byte `k` cannot be written before cycle `C + 4 + k`
/// (sync, length and type come first), so the copy always reads a byte
/// before anything overwrites it. A second good `SET_WORK` needs 62 bytes,
/// so it cannot end before the copy has. A `STATUS` answered during the
/// copy (within 58 cycles of a `SET_WORK`, so never over a real UART)
/// would report a meaningless progress.
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
    /// One-cycle pulse: new work (the work outputs are final from this
    /// cycle on).
    pub start: Signal<Out, Bit>,
    /// One-cycle pulse: flush the cores and leave them idle, because the
    /// work outputs are about to change (see [`COPY_CYCLES`]).
    pub stop: Signal<Out, Bit>,
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
    // The payload, byte `i` at address `i`, in block RAM.
    rxbuf: ByteRam,
    ram_word: Signal<Local, Word>,
    // The last payload byte equalled `res_seq` (for `ACK_RESULT`).
    seq_match: DFF<Bit>,
    // Copy phase: `copying` while `copy_addr` reads payload bytes 1..=56;
    // `copy_valid` while `rxbuf.read_data` holds one of them.
    copying: DFF<Bit>,
    copy_addr: DFF<Bits<6>>,
    copy_valid: DFF<Bit>,
    stop_pulse: DFF<Bit>,
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
    // The timer has reached `resend` (registered, a cycle late: the 24-bit
    // compare was on the 25F's critical path into the transmitter).
    res_due: DFF<Bit>,
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
            stop: Default::default(),
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
            ram_word: Default::default(),
            seq_match: Default::default(),
            copying: Default::default(),
            copy_addr: Default::default(),
            copy_valid: Default::default(),
            stop_pulse: Default::default(),
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
            res_due: Default::default(),
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
            seq_match,
            copying,
            copy_addr,
            copy_valid,
            stop_pulse,
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
            res_due,
            tx_state,
            tx_len,
            tx_kind,
            tx_count,
            tx_crc,
            tx_buf
        );
        self.w_mid.clock.next = self.clock.val();
        self.w_tail.clock.next = self.clock.val();
        self.w_start.clock.next = self.clock.val();
        self.w_end.clock.next = self.clock.val();
        self.w_threshold.clock.next = self.clock.val();
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
        self.stop.next = self.stop_pulse.q.val();
        self.stop_pulse.d.next = false;

        // ---- Payload buffer and copy phase ----
        // Payload byte `i` is written at address `i`. The read port sits at
        // address 0 (the job id) except in the copy phase.
        self.rxbuf.clock.next = self.clock.val();
        self.rxbuf.write_enable.next =
            self.rx_valid.val() & (self.rx_state.q.val() == RxState::Payload);
        self.rxbuf.write_addr.next = self.rx_count.q.val().get_bits::<6>(0);
        self.rxbuf.write_data.next = self.rx_data.val();
        self.rxbuf.read_addr.next = self.copy_addr.q.val();
        self.ram_word.next = self.rxbuf.read_data.val().into();
        // After a good SET_WORK the copy reads bytes 1..=56, one per cycle,
        // and shifts them into the work registers, which form one byte-wide
        // shift chain: w_mid.a (oldest byte) .. w_threshold (newest).
        self.copy_valid.d.next = self.copying.q.val();
        if self.copying.q.val() {
            self.copy_addr.d.next = self.copy_addr.q.val() + 1;
            if self.copy_addr.q.val() == 56 {
                self.copying.d.next = false;
                self.copy_addr.d.next = 0.into();
            }
        }
        if self.copy_valid.q.val() {
            self.w_mid.d.next.a = (self.w_mid.q.val().a << 8) | (self.w_mid.q.val().b >> 24);
            self.w_mid.d.next.b = (self.w_mid.q.val().b << 8) | (self.w_mid.q.val().c >> 24);
            self.w_mid.d.next.c = (self.w_mid.q.val().c << 8) | (self.w_mid.q.val().d >> 24);
            self.w_mid.d.next.d = (self.w_mid.q.val().d << 8) | (self.w_mid.q.val().e >> 24);
            self.w_mid.d.next.e = (self.w_mid.q.val().e << 8) | (self.w_mid.q.val().f >> 24);
            self.w_mid.d.next.f = (self.w_mid.q.val().f << 8) | (self.w_mid.q.val().g >> 24);
            self.w_mid.d.next.g = (self.w_mid.q.val().g << 8) | (self.w_mid.q.val().h >> 24);
            self.w_mid.d.next.h = (self.w_mid.q.val().h << 8) | (self.w_tail.q.val().w0 >> 24);
            self.w_tail.d.next.w0 = (self.w_tail.q.val().w0 << 8) | (self.w_tail.q.val().w1 >> 24);
            self.w_tail.d.next.w1 = (self.w_tail.q.val().w1 << 8) | (self.w_tail.q.val().w2 >> 24);
            self.w_tail.d.next.w2 = (self.w_tail.q.val().w2 << 8) | (self.w_start.q.val() >> 24);
            self.w_start.d.next = (self.w_start.q.val() << 8) | (self.w_end.q.val() >> 24);
            self.w_end.d.next = (self.w_end.q.val() << 8) | (self.w_threshold.q.val() >> 24);
            self.w_threshold.d.next = (self.w_threshold.q.val() << 8) | self.ram_word.val();
            // The last byte goes in on this edge: the work is complete from
            // the next cycle, which is the start pulse's.
            if !self.copying.q.val() {
                self.start_pulse.d.next = true;
            }
        }

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
                    // The byte itself goes to `rxbuf` (above).
                    self.seq_match.d.next = self.rx_word.val() == self.res_seq.q.val();
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
                            // The job id (byte 0) is on the read port now;
                            // the rest is copied in the next 57 cycles,
                            // with the cores flushed and idle meanwhile.
                            self.w_job.d.next = self.ram_word.val();
                            self.copying.d.next = true;
                            self.copy_addr.d.next = 1.into();
                            self.stop_pulse.d.next = true;
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
                            if self.res_valid.q.val() & self.seq_match.q.val() {
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
        self.res_due.d.next = self.res_timer.q.val() == self.resend.val();

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
            } else if self.res_valid.q.val() & ((!self.res_sent.q.val()) | self.res_due.q.val()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc::{crc16_byte, INIT};
    use crate::testing::tick;

    /// The work outputs, as words in payload order (bytes 1..=56) plus the
    /// tag, for comparing snapshots.
    fn work_words(e: &ProtocolEngine) -> (Vec<u32>, u8) {
        let m = e.midstate.val();
        let t = e.tail.val();
        let words = [
            m.a,
            m.b,
            m.c,
            m.d,
            m.e,
            m.f,
            m.g,
            m.h,
            t.w0,
            t.w1,
            t.w2,
            e.nonce_start.val(),
            e.nonce_end.val(),
            e.threshold.val(),
        ];
        (words.iter().map(|w| w.0).collect(), e.tag.val().to_u8())
    }

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![payload.len() as u8, kind];
        body.extend_from_slice(payload);
        let crc = body.iter().fold(INIT, |c, b| crc16_byte(c, *b));
        let mut f = vec![0xA5];
        f.extend(body);
        f.extend(crc.to_be_bytes());
        f
    }

    /// A SET_WORK payload: job id, then 56 bytes derived from `seed`.
    fn payload(job: u8, seed: u8) -> Vec<u8> {
        let mut p = vec![job];
        p.extend((0..56u8).map(|i| i.wrapping_mul(29).wrapping_add(seed) ^ 0xC3));
        p
    }

    fn expected(p: &[u8]) -> (Vec<u32>, u8) {
        let words = p[1..]
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        (words, p[0])
    }

    /// The engine alone, fed bytes with `gap` idle cycles between them.
    struct Bench {
        e: ProtocolEngine,
        cycle: u64,
        tx: Vec<u8>,
        stops: Vec<u64>,
        starts: Vec<u64>,
        /// Cycles whose work outputs differ from the previous cycle's.
        changes: Vec<u64>,
        last: (Vec<u32>, u8),
    }

    impl Bench {
        fn new() -> Self {
            let mut config = EngineConfig::new(1, 1, 1_000_000);
            config.timeout_cycles = 500;
            config.resend_cycles = 100_000;
            let mut e = ProtocolEngine::new(config);
            e.connect_all();
            e.tx_ready.next = true;
            let last = work_words(&e);
            Self {
                e,
                cycle: 0,
                tx: vec![],
                stops: vec![],
                starts: vec![],
                changes: vec![],
                last,
            }
        }

        /// One cycle with `byte` (if any) on the receive strobe.
        fn step(&mut self, byte: Option<u8>) {
            self.e.rx_valid.next = byte.is_some();
            self.e.rx_data.next = u64::from(byte.unwrap_or(0)).into();
            if self.e.tx_valid.val() {
                self.tx.push(self.e.tx_data.val().to_u8());
            }
            tick(&mut self.e, |b| &mut b.clock);
            self.cycle += 1;
            if self.e.stop.val() {
                self.stops.push(self.cycle);
            }
            if self.e.start.val() {
                self.starts.push(self.cycle);
            }
            let now = work_words(&self.e);
            if now != self.last {
                self.changes.push(self.cycle);
                self.last = now;
            }
        }

        /// Feeds `bytes`, `gap` idle cycles after each; returns the cycle
        /// of each byte.
        fn send(&mut self, bytes: &[u8], gap: usize) -> Vec<u64> {
            let mut at = vec![];
            for b in bytes {
                at.push(self.cycle);
                self.step(Some(*b));
                for _ in 0..gap {
                    self.step(None);
                }
            }
            at
        }

        fn idle(&mut self, n: usize) {
            for _ in 0..n {
                self.step(None);
            }
        }
    }

    /// A good SET_WORK: `stop` the cycle after its last byte, the work
    /// outputs unchanged up to and including that cycle, `start`
    /// [`COPY_CYCLES`] later with the payload on the outputs, and a
    /// `WORK_ACK` with the job id.
    #[test]
    fn set_work_copies_the_payload_between_stop_and_start() {
        for gap in [0, 3] {
            let mut b = Bench::new();
            let p = payload(0x42, 7);
            let at = b.send(&frame(0x02, &p), gap);
            let last = *at.last().unwrap();
            b.idle(100);
            assert_eq!(b.stops, vec![last + 1], "gap {gap}");
            assert_eq!(b.starts, vec![last + 1 + COPY_CYCLES as u64], "gap {gap}");
            // The tag changes with the last byte (it is latched by the
            // cores at `stop`, when nothing is in flight); everything else
            // only after the `stop` cycle.
            assert_eq!(b.changes.first(), Some(&(last + 1)), "gap {gap}");
            assert!(
                b.changes.iter().skip(1).all(|c| *c > last + 1),
                "gap {gap}: {:?}",
                b.changes
            );
            assert!(b.changes.iter().all(|c| *c <= b.starts[0]));
            assert_eq!(work_words(&b.e), expected(&p));
            assert_eq!(b.tx, frame(0x82, &[0x42]));
        }
    }

    /// Frames back to back at one byte per cycle, starting right after a
    /// SET_WORK: nothing is lost. A second SET_WORK replaces the first, a
    /// STATUS and an IDENTIFY in the copy phase are answered.
    #[test]
    fn frames_during_the_copy_phase_are_handled() {
        let mut b = Bench::new();
        let p1 = payload(1, 11);
        let p2 = payload(2, 99);
        let mut bytes = frame(0x02, &p1);
        bytes.extend(frame(0x01, &[]));
        bytes.extend(frame(0x02, &p2));
        let at = b.send(&bytes, 0);
        b.idle(200);
        assert_eq!(work_words(&b.e), expected(&p2));
        assert_eq!(b.stops.len(), 2);
        assert_eq!(b.starts.len(), 2);
        // The first start comes after the second frame's payload began
        // arriving (the copy overlapped it), and before the second stop.
        assert!(b.starts[0] > at[p1.len() + 5 + 3]);
        assert!(b.starts[0] < b.stops[1]);
        let mut want = frame(0x82, &[1]);
        want.extend(frame(
            0x81,
            &EngineConfig::new(1, 1, 1_000_000).ident_payload(),
        ));
        want.extend(frame(0x82, &[2]));
        assert_eq!(b.tx, want);
    }

    /// Bad CRC, bad length or a truncated SET_WORK changes nothing.
    #[test]
    fn bad_set_work_changes_nothing() {
        let mut b = Bench::new();
        let p = payload(5, 1);
        b.send(&frame(0x02, &p), 0);
        b.idle(100);
        let good = work_words(&b.e);
        assert_eq!(good, expected(&p));
        b.tx.clear();
        b.stops.clear();
        b.starts.clear();
        b.changes.clear();
        let mut bad_crc = frame(0x02, &payload(6, 2));
        bad_crc[30] ^= 0x10;
        b.send(&bad_crc, 0);
        b.idle(100);
        b.send(&frame(0x02, &payload(7, 3)[..56]), 1);
        b.idle(100);
        b.send(&[0xA5, 57, 0x02, 8, 9, 10], 0);
        b.idle(1_000);
        assert!(b.stops.is_empty() && b.starts.is_empty());
        assert!(b.changes.is_empty(), "{:?}", b.changes);
        let mut want = frame(0xEE, &[1]);
        want.extend(frame(0xEE, &[2]));
        want.extend(frame(0xEE, &[4]));
        assert_eq!(b.tx, want);
    }

    /// ACK_RESULT acknowledges the result in flight only with its `seq`.
    #[test]
    fn ack_result_checks_the_sequence_number() {
        let mut b = Bench::new();
        b.e.result_valid.next = true;
        b.e.result.next.nonce = Word(0x1234_5678);
        b.e.result.next.tag = 3u64.into();
        b.step(None);
        b.e.result_valid.next = false;
        b.idle(20);
        assert_eq!(b.tx, frame(0x84, &[0, 3, 0x12, 0x34, 0x56, 0x78]));
        b.tx.clear();
        // A wrong seq, then the right one in a frame whose previous
        // payload bytes (of a SET_WORK) did not match.
        b.send(&frame(0x04, &[1]), 0);
        b.send(&frame(0x02, &payload(0, 0)), 0);
        b.idle(100);
        assert!(b.e.res_valid.q.val());
        b.send(&frame(0x04, &[0]), 0);
        b.idle(5);
        assert!(!b.e.res_valid.q.val());
        assert_eq!(b.e.res_seq.q.val().0, 1);
        assert_eq!(b.tx, frame(0x82, &[0]));
    }
}
