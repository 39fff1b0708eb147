//! The SHA-256d mining core.

use crate::constants::{BLOCK2_PADDING, DIGEST_PADDING, IV, K, SECOND_HASH_ROUNDS};
use crate::global_buffer::GlobalBuffer;
use crate::reg::DataReg;
use crate::round::T1Adder;
use crate::slot::{Found, MessageWord, Slot, State8, Tail};
use crate::transform::Transform;
use crate::wiring::{WordFn, WordFnKind};
use crate::word::Word;
use rust_hdl::prelude::*;

fn word(x: u32) -> Word {
    Word(x)
}

/// The constant part of the first transform's entry slot: the padding
/// words `W4..W15` of the header's second block. The rest comes from the job.
fn first_init() -> Slot {
    let p = BLOCK2_PADDING.map(word);
    Slot {
        w4: p[0],
        w5: p[1],
        w6: p[2],
        w7: p[3],
        w8: p[4],
        w9: p[5],
        w10: p[6],
        w11: p[7],
        w12: p[8],
        w13: p[9],
        w14: p[10],
        w15: p[11],
        ..Default::default()
    }
}

/// The constant part of the second transform's entry slot: the IV as the
/// starting state and the padding words `W8..W15` of a 32-byte message.
fn second_init() -> Slot {
    let iv = IV.map(word);
    let p = DIGEST_PADDING.map(word);
    Slot {
        a: iv[0],
        b: iv[1],
        c: iv[2],
        d: iv[3],
        e: iv[4],
        f: iv[5],
        g: iv[6],
        h: iv[7],
        w8: p[0],
        w9: p[1],
        w10: p[2],
        w11: p[3],
        w12: p[4],
        w13: p[5],
        w14: p[6],
        w15: p[7],
        ..Default::default()
    }
}

/// How the core's nonce counter maps to the header's nonce field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonceOrder {
    /// The counter is the header's nonce (the little-endian integer at
    /// bytes 76..80): ferrominer's native protocol.
    #[default]
    Header,
    /// The counter is the big-endian reading of the header's nonce bytes,
    /// as Icarus devices count (cgminer's `nonce = be32(bytes)`).
    BigEndian,
}

/// Unroll factors the core supports: round stages per transform.
pub const SUPPORTED_UNROLLS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// Depth of the found-nonce FIFO, as log2 of its entries.
pub const FOUND_FIFO_LOG2: usize = 4;

/// Free FIFO entries below which the core stalls (one result can still
/// arrive after the stall is decided; the second is margin).
pub const FOUND_FIFO_HEADROOM: u32 = 2;

/// When streaming, the second ring's period lags the first's by this many
/// cycles: the second ring streams the next digest in from cycle 48 of its
/// period, reading the finalize register. That register takes the digest at
/// the end of the first ring's cycle 0, so the second ring's cycle 48 must
/// be the first ring's cycle 1 or later: a lag of 17.
pub const STREAM_SECOND_LAG: usize = 17;

/// The cycle of the period in which a streaming ring starts shifting in the
/// next slot's message (its last 16 rounds).
pub const FEED_FROM: usize = 48;

// `#[hdl_gen]` takes no named constants: the core tests `g[5:4] == 3` for
// `g >= FEED_FROM`.
const _: () = assert!(FEED_FROM == 48);

/// The compare register between the second transform and the FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Compare {
    /// The nonce met the threshold.
    pub hit: Bit,
    /// The nonce, recovered from the issue counter and the latency.
    pub nonce: Word,
    /// The job it belongs to.
    pub tag: Bits<8>,
}

/// Error for an unroll factor the core cannot be built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedUnroll(pub usize);

impl std::fmt::Display for UnsupportedUnroll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unroll {} is not supported: use one of 64, 32, 16, 8, 4, 2, 1 (round stages per transform)",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedUnroll {}

/// The shape of a core for one unroll factor: all the numbers the host and
/// the tests need, derived in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreShape {
    /// Round stages in the first transform (the unroll `U`).
    pub unroll: usize,
    /// Times a slot goes round each transform's ring of stages, `64 / U`.
    /// The core issues `U` nonces in a burst every 64 cycles: on average one
    /// every `passes` cycles.
    pub passes: usize,
    /// Round stages in the second transform: 61 for a pipeline (its last 3
    /// rounds are not needed), otherwise `U` (a ring must take its slots on
    /// the same cycles as the first transform delivers them).
    pub second_stages: usize,
    /// Whether both rings stream their message words in (rings of one
    /// stage, `U = 1`; see [`crate::round::RoundStage`]).
    pub stream: bool,
    /// Whether both rings load their new slots into their last stage, a
    /// cycle before stage 0 needs them (rings of several stages and passes,
    /// `1 < U < 64`; see [`Transform`]).
    pub loads_at_last_stage: bool,
    /// Issue slots from a nonce's issue to its compare register:
    /// `U` first-transform stages, the finalize register, the second
    /// transform's stages. The reported nonce is the issue counter minus this.
    pub latency_issues: usize,
}

impl CoreShape {
    /// The shape for unroll `u`.
    pub fn new(u: usize) -> Result<Self, UnsupportedUnroll> {
        if !SUPPORTED_UNROLLS.contains(&u) {
            return Err(UnsupportedUnroll(u));
        }
        let r = 64 / u;
        let second_stages = if r == 1 { SECOND_HASH_ROUNDS } else { u };
        Ok(Self {
            unroll: u,
            passes: r,
            second_stages,
            stream: u == 1,
            loads_at_last_stage: Transform::loads_at_last_stage(u, r),
            latency_issues: u + 1 + second_stages,
        })
    }

    /// Nonces hashed per clock cycle: `U / 64`.
    pub fn hashes_per_clock(&self) -> f64 {
        self.unroll as f64 / 64.0
    }

    /// Cycles by which the second ring's period lags the first's: one for
    /// the finalize register, one more where the rings load their new slots
    /// a cycle early (the second ring loads the finalize register's digest
    /// the cycle after it is written), or when streaming
    /// [`STREAM_SECOND_LAG`].
    pub fn second_lag(&self) -> usize {
        if self.stream {
            STREAM_SECOND_LAG
        } else if self.loads_at_last_stage {
            2
        } else {
            1
        }
    }

    /// Clock cycles from a nonce's issue to its compare register: 64
    /// rounds, the wait for the second ring, the second transform's rounds.
    pub fn latency_cycles(&self) -> usize {
        64 + self.second_lag() + self.second_stages * self.passes
    }

    /// Which word of the second transform's final slot holds `e61`:
    /// 0 = e (61 rounds run), 1 = f (62), 2 = g (63), 3 = h (64).
    fn tap(&self) -> usize {
        self.second_stages * self.passes - SECOND_HASH_ROUNDS
    }
}

/// The pipelined SHA-256d mining core.
///
/// The host gives it the midstate of the header's first 64 bytes, the
/// 12-byte tail, a nonce range and a 32-bit threshold. For every nonce in the
/// range the core runs the second block of the first SHA-256 (from the
/// midstate) and the second SHA-256 (61 of its 64 rounds), and reports the
/// nonce when the hash's most significant word is at or below the threshold.
///
/// **Interface.** Present the work on `midstate`, `tail`, `nonce_start`,
/// `nonce_end` (inclusive, wrapping), `threshold` and `tag`, and pulse
/// `start` for one cycle with `run` high (`run` low makes the core idle). Keep `midstate`, `tail`, `nonce_end` and
/// `threshold` stable while the job runs (`tag` is latched). `start` flushes
/// every nonce in flight, so no result of the old work can carry the new tag;
/// results already found stay in the FIFO with their own tag. `nonce` is the
/// next nonce to be issued; `done` rises once the whole range has been hashed
/// and every result is in the FIFO.
///
/// **Results.** Found nonces wait in a FIFO of 16 entries: `found_valid` says
/// one is at its head (`found`); pulse `found_ack` to pop it. When fewer than
/// [`FOUND_FIFO_HEADROOM`] entries are free, the whole core stalls (every
/// register holds, from the next cycle) until the FIFO has room: a burst of
/// hits loses nothing, it only slows hashing down.
///
/// **Optimisations used** (all checked bit-exactly against `sha2`):
/// - the padding words of both blocks are constants at the transform inputs,
///   and the data registers have no initial value, so yosys replaces the
///   registers that would carry them by constants;
/// - `h + K[t] + W[t]` is added one stage early (the slot's `hkw`);
/// - only the second hash's most significant word is compared, so its last 3
///   rounds are skipped when the unroll allows (`h64 = e61`), and no other
///   output word is computed;
/// - the found nonce is not carried down the pipeline: it is the issue
///   counter minus the pipeline latency [`CoreShape::latency_issues`];
/// - at `1 < U < 64` both rings load each new slot into their last stage's
///   register a cycle before stage 0 needs it (see [`Transform`]), so the
///   ring's loop has no multiplexer: the first ring's entry reads the nonce
///   counter's next value, the second ring runs a cycle further behind
///   (reading the finalize register), and the compare reads the counter a
///   cycle late to match. A load in `start`'s own cycle would read the old
///   work's `h + K[0] + W[0]`: it is flushed, and the counter skips the
///   `take` after it;
/// - at `U = 1` both rings stream each slot's message in during the last 16
///   rounds of the slot before it, so a stage keeps only five window words
///   in registers and two delay lines in block RAM (see
///   [`crate::round::RoundStage`]); the second ring then runs
///   [`STREAM_SECOND_LAG`] cycles behind the first, and `start` restarts the
///   period 16 cycles before the first `take`.
#[derive(LogicBlock)]
pub struct MinerCore {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// SHA-256 state after the header's first 64 bytes.
    pub midstate: Signal<In, State8>,
    /// Header bytes 64..76 as three big-endian words.
    pub tail: Signal<In, Tail>,
    /// First nonce of the range.
    pub nonce_start: Signal<In, Word>,
    /// Last nonce of the range (inclusive).
    pub nonce_end: Signal<In, Word>,
    /// Report nonces whose hash's top word (as Bitcoin compares) is <= this.
    pub threshold: Signal<In, Word>,
    /// Job tag carried by every result of this work.
    pub tag: Signal<In, Bits<8>>,
    /// Pulse to load the work above and start hashing.
    pub start: Signal<In, Bit>,
    /// Sampled with `start`: low flushes the core and leaves it idle (for a
    /// core that gets no share of a small range).
    pub run: Signal<In, Bit>,
    /// Head of the found-nonce FIFO.
    pub found: Signal<Out, Found>,
    /// `found` holds a result.
    pub found_valid: Signal<Out, Bit>,
    /// Pulse to pop `found`.
    pub found_ack: Signal<In, Bit>,
    /// Next nonce to be issued.
    pub nonce: Signal<Out, Word>,
    /// Still issuing nonces of the range.
    pub issuing_range: Signal<Out, Bit>,
    /// Tag of the current work.
    pub job_tag: Signal<Out, Bits<8>>,
    /// The range is finished and all its results are in the FIFO.
    pub done: Signal<Out, Bit>,
    /// Low while the core is stalled on a full FIFO.
    pub running: Signal<Out, Bit>,
    enable: Signal<Local, Bit>,
    enable_global: GlobalBuffer,
    advance: Signal<Local, Bit>,
    skip: DFF<Bit>,
    phase_next: Signal<Local, Bits<6>>,
    pass_next: Signal<Local, Bits<6>>,
    phase: DFF<Bits<6>>,
    take: DFF<Bit>,
    taking: Signal<Local, Bit>,
    phase2_next: Signal<Local, Bits<6>>,
    pass2_next: Signal<Local, Bits<6>>,
    phase2: DFF<Bits<6>>,
    take2: DFF<Bit>,
    taking2: Signal<Local, Bit>,
    nonce_ctr: DFF<Word>,
    nonce_issued: Signal<Local, Word>,
    nonce_lag: DFF<Word>,
    nonce_seen: Signal<Local, Word>,
    issuing: DFF<Bit>,
    entry_valid: Signal<Local, Bit>,
    drain: DFF<Bits<8>>,
    tag_reg: DFF<Bits<8>>,
    nonce_word: WordFn,
    nonce_msg: Signal<Local, Word>,
    entry1: Signal<Local, Slot>,
    msg1: MessageWord,
    msg2: MessageWord,
    entry_hkw: DataReg<Word>,
    first: Transform,
    fin: DataReg<Slot>,
    fin_valid: DFF<Bit>,
    second: Transform,
    top: WordFn,
    cmp: DFF<Compare>,
    hold: DFF<Bit>,
    fifo: SynchronousFIFO<Found, FOUND_FIFO_LOG2, { FOUND_FIFO_LOG2 + 1 }, FOUND_FIFO_HEADROOM>,
    shift: Constant<Bits<6>>,
    pipeline: Constant<Bit>,
    stream: Constant<Bit>,
    looped: Constant<Bit>,
    last_phase: Constant<Bits<6>>,
    load_below: Constant<Bits<6>>,
    feed_from: Constant<Bits<6>>,
    second_lag: Constant<Bits<6>>,
    latency: Constant<Word>,
    drain_done: Constant<Bits<8>>,
    tap: Constant<Bits<2>>,
    iv7_k0: Constant<Word>,
    header_order: Constant<Bit>,
    iv7: Constant<Word>,
    k0: Constant<Word>,
    first_init: Constant<Slot>,
    second_init: Constant<Slot>,
    _shape: CoreShape,
}

impl MinerCore {
    /// A core with `unroll` round stages per transform, counting nonces
    /// in header order.
    pub fn new(unroll: usize) -> Result<Self, UnsupportedUnroll> {
        Self::with_order(unroll, NonceOrder::Header, T1Adder::Plain)
    }

    /// A core with `unroll` round stages per transform, counting nonces in
    /// `order`, whose rounds add `T1` as `t1` says.
    pub fn with_order(
        unroll: usize,
        order: NonceOrder,
        t1: T1Adder,
    ) -> Result<Self, UnsupportedUnroll> {
        let shape = CoreShape::new(unroll)?;
        let r = shape.passes;
        Ok(Self {
            clock: Default::default(),
            midstate: Default::default(),
            tail: Default::default(),
            nonce_start: Default::default(),
            nonce_end: Default::default(),
            threshold: Default::default(),
            tag: Default::default(),
            start: Default::default(),
            run: Default::default(),
            found: Default::default(),
            found_valid: Default::default(),
            found_ack: Default::default(),
            nonce: Default::default(),
            issuing_range: Default::default(),
            job_tag: Default::default(),
            done: Default::default(),
            running: Default::default(),
            enable: Default::default(),
            enable_global: Default::default(),
            advance: Default::default(),
            skip: Default::default(),
            phase_next: Default::default(),
            pass_next: Default::default(),
            phase: Default::default(),
            take: Default::default(),
            taking: Default::default(),
            phase2_next: Default::default(),
            pass2_next: Default::default(),
            phase2: Default::default(),
            take2: Default::default(),
            taking2: Default::default(),
            nonce_ctr: Default::default(),
            nonce_issued: Default::default(),
            nonce_lag: Default::default(),
            nonce_seen: Default::default(),
            issuing: Default::default(),
            entry_valid: Default::default(),
            drain: Default::default(),
            tag_reg: Default::default(),
            nonce_word: WordFn::new(WordFnKind::ByteSwap),
            nonce_msg: Default::default(),
            entry1: Default::default(),
            msg1: Default::default(),
            msg2: Default::default(),
            entry_hkw: Default::default(),
            first: Transform::new(unroll, r, t1),
            fin: Default::default(),
            fin_valid: Default::default(),
            second: Transform::new(shape.second_stages, r, t1),
            top: WordFn::new(WordFnKind::ByteSwap),
            cmp: Default::default(),
            hold: Default::default(),
            fifo: Default::default(),
            shift: Constant::new((unroll.trailing_zeros() as u64).into()),
            pipeline: Constant::new(r == 1),
            stream: Constant::new(shape.stream),
            looped: Constant::new(shape.loads_at_last_stage),
            last_phase: Constant::new(63.into()),
            load_below: Constant::new(((unroll - 1) as u64).into()),
            feed_from: Constant::new((FEED_FROM as u64).into()),
            second_lag: Constant::new((shape.second_lag() as u64).into()),
            latency: Constant::new(Word(shape.latency_issues as u32)),
            // A few cycles past the last compare, so the FIFO's flags have
            // settled before `done` rises.
            drain_done: Constant::new(((shape.latency_issues + 3) as u64).into()),
            tap: Constant::new((shape.tap() as u64).into()),
            iv7_k0: Constant::new(word(IV[7].wrapping_add(K[0]))),
            header_order: Constant::new(order == NonceOrder::Header),
            iv7: Constant::new(word(IV[7])),
            k0: Constant::new(word(K[0])),
            first_init: Constant::new(first_init()),
            second_init: Constant::new(second_init()),
            _shape: shape,
        })
    }

    /// The numbers that describe this core.
    pub fn shape(&self) -> CoreShape {
        self._shape
    }
}

impl Logic for MinerCore {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, first, second, fifo);
        self.fin.clock.next = self.clock.val();
        self.entry_hkw.clock.next = self.clock.val();
        dff_setup!(
            self, clock, hold, phase, take, phase2, take2, nonce_ctr, nonce_lag, issuing, drain,
            tag_reg, fin_valid, cmp, skip
        );
        self.fin.d.next = self.fin.q.val();

        // The stall is registered, so that the enable of every register in
        // the core starts at a flip-flop: the core holds from the cycle
        // after the FIFO has fewer than FOUND_FIFO_HEADROOM free entries.
        // A result is written only on cycles where the core advances, so at
        // most one more can arrive before the hold takes effect.
        self.hold.d.next = self.fifo.almost_full.val();
        // In the rings it reaches nearly every flip-flop: there it comes
        // from a global network where the build has one to spare (see
        // `GlobalBuffer`). The control logic here and the rings' pass chains
        // take it from the fabric: from a global network into LUTs was the
        // 45F's critical path.
        self.enable_global.i.next = !self.hold.q.val();
        self.enable.next = !self.hold.q.val();
        self.running.next = self.enable.val();
        // The cycle counter `g` of both rings (period 64), and the second
        // ring's, `second_lag` cycles behind (one for the finalize register;
        // more when streaming, see STREAM_SECOND_LAG).
        // A ring takes new slots in the first `U` cycles of each period,
        // where the pass `g / U` is 0; `take` is registered from the next
        // pass so that the ring's input multiplexer has a short select.
        self.phase_next.next = self.phase.q.val();
        if self.enable.val() {
            self.phase_next.next = self.phase.q.val() + 1;
        }
        // A streaming ring needs 16 cycles to stream in its first slot of
        // new work: start restarts the period there.
        if self.start.val() & self.stream.val() {
            self.phase_next.next = self.feed_from.val();
        }
        self.phase.d.next = self.phase_next.val();
        self.phase2.d.next = self.phase_next.val() - self.second_lag.val();
        // The second ring's next phase is also counted from its own
        // register (`phase2` holds `phase - second_lag` from the first clock
        // edge on, long before any work arrives), so that the subtraction
        // stays off the path to its stage 0's K table, which was the 25F's
        // critical path. Counting `phase2` alone instead would need it to
        // power up at `-second_lag`: rust-hdl registers start at zero.
        self.phase2_next.next = self.phase2.q.val();
        if self.enable.val() {
            self.phase2_next.next = self.phase2.q.val() + 1;
        }
        if self.start.val() & self.stream.val() {
            self.phase2_next.next = self.feed_from.val() - self.second_lag.val();
        }
        self.pass_next.next = self.phase_next.val() >> self.shift.val();
        self.pass2_next.next = self.phase2_next.val() >> self.shift.val();
        self.take.d.next = self.pass_next.val() == 0;
        self.take2.d.next = self.pass2_next.val() == 0;
        // The rings that load a cycle early register `load`, high in the
        // cycle before each `take`: phases 63 and 0 to U - 2. (Compared
        // directly, not as `(phase + 1) / U == 0`: a second increment in
        // series was the 45F's critical path.)
        self.first.load_next.next = (self.phase_next.val() == self.last_phase.val())
            | (self.phase_next.val() < self.load_below.val());
        self.second.load_next.next = (self.phase2_next.val() == self.last_phase.val())
            | (self.phase2_next.val() < self.load_below.val());
        // Fully unrolled, every cycle is a `take` cycle: a constant, so
        // synthesis removes the rings' input multiplexers.
        self.taking.next = self.take.q.val() | self.pipeline.val();
        self.taking2.next = self.take2.q.val() | self.pipeline.val();
        self.advance.next = self.enable.val() & self.taking.val();
        // A ring that loads a cycle early may load in `start`'s own cycle,
        // where the registered `h + K[0] + W[0]` is still the old work's:
        // that load is flushed, so the `take` after it issues nothing and
        // the counter waits (`skip`, held through a stall). Restarting the
        // period instead would put `start`, which comes from far away,
        // into the count that addresses the K tables.
        if self.enable.val() {
            self.skip.d.next = false;
        }
        if self.start.val() {
            self.skip.d.next = true;
        }
        if self.looped.val() & self.skip.q.val() {
            self.advance.next = false;
        }

        // Issue: one nonce per `take` cycle. The counter keeps counting
        // after the range ends so that the latency correction stays exact.
        if self.advance.val() {
            self.nonce_ctr.d.next = self.nonce_ctr.q.val() + 1;
            if self.issuing.q.val() & (self.nonce_ctr.q.val() == self.nonce_end.val()) {
                self.issuing.d.next = false;
            }
            if (!self.issuing.q.val()) & (self.drain.q.val() != self.drain_done.val()) {
                self.drain.d.next = self.drain.q.val() + 1;
            }
        }
        if self.start.val() {
            self.nonce_ctr.d.next = self.nonce_start.val();
            self.issuing.d.next = self.run.val();
            self.drain.d.next = 0.into();
            self.tag_reg.d.next = self.tag.val();
        }
        // The nonce of the slot entering the first ring: the counter, or
        // where the ring loads a cycle early, its next value (the nonce the
        // old mux would have taken in the next cycle).
        self.nonce_issued.next = self.nonce_ctr.q.val();
        self.entry_valid.next = self.issuing.q.val();
        if self.looped.val() {
            self.nonce_issued.next = self.nonce_ctr.d.val();
            self.entry_valid.next = self.issuing.d.val();
        }
        // The counter a cycle late, for the compare where the second ring
        // runs a cycle further behind (see `CoreShape::second_lag`).
        if self.enable.val() {
            self.nonce_lag.d.next = self.nonce_ctr.q.val();
        }
        self.nonce_seen.next = self.nonce_ctr.q.val();
        if self.looped.val() {
            self.nonce_seen.next = self.nonce_lag.q.val();
        }

        // First transform: the header's second block from the midstate.
        self.first.enable.next = self.enable_global.o.val();
        self.first.pass_enable.next = self.enable.val();
        // A stalled stage holds its register whatever its input, so the
        // ring's input mux needs only `take`, which the ring registers
        // itself (in copies) from the same next value as `take` here.
        self.first.take_next.next = self.take.d.val();
        self.first.flush.next = self.start.val();
        self.first.pass_next.next = self.pass_next.val();
        self.entry1.next = self.first_init.val();
        self.entry1.next.a = self.midstate.val().a;
        self.entry1.next.b = self.midstate.val().b;
        self.entry1.next.c = self.midstate.val().c;
        self.entry1.next.d = self.midstate.val().d;
        self.entry1.next.e = self.midstate.val().e;
        self.entry1.next.f = self.midstate.val().f;
        self.entry1.next.g = self.midstate.val().g;
        self.entry1.next.h = self.midstate.val().h;
        self.entry1.next.w0 = self.tail.val().w0;
        self.entry1.next.w1 = self.tail.val().w1;
        self.entry1.next.w2 = self.tail.val().w2;
        // The header stores the nonce little-endian; SHA-256 reads words
        // big-endian, so in header order the message word is the counter
        // byte-swapped. In big-endian order it is the counter itself.
        self.nonce_word.x.next = self.nonce_issued.val();
        self.nonce_msg.next = self.nonce_issued.val();
        if self.header_order.val() {
            self.nonce_msg.next = self.nonce_word.y.val();
        }
        self.entry1.next.w3 = self.nonce_msg.val();
        self.first.entry.next = self.entry1.val();
        // `h + K[0] + W[0]` is fixed for the job: registered, so that its
        // adders are not in series with stage 0's round.
        self.entry_hkw.d.next = (self.midstate.val().h + self.k0.val()) + self.tail.val().w0;
        self.first.entry.next.hkw = self.entry_hkw.q.val();
        self.first.entry_valid.next = self.entry_valid.val();

        // Streaming rings (U = 1) take their message words one per cycle in
        // cycles 48..63 of their period: the first ring the block of the
        // nonce it issues next, the second the padded digest in the
        // finalize register. Both are read with the registered count, so
        // that nothing reaches a feed from `start`'s logic.
        self.msg1.slot.next = self.entry1.val();
        self.msg1.index.next = self.phase.q.val().get_bits::<4>(0);
        self.first.feed.next = self.msg1.word.val();
        self.first.feeding.next = self.phase.q.val().get_bits::<2>(4) == 3;
        self.msg2.slot.next = self.fin.q.val();
        self.msg2.index.next = self.phase2.q.val().get_bits::<4>(0);
        self.second.feed.next = self.msg2.word.val();
        self.second.feeding.next = self.phase2.q.val().get_bits::<2>(4) == 3;

        // Finalize: digest = midstate + state, which is the second
        // transform's message, padded for 256 bits; state starts at the IV.
        if self.advance.val() {
            self.fin.d.next = self.second_init.val();
            self.fin.d.next.w0 = self.midstate.val().a + self.first.out.val().a;
            self.fin.d.next.w1 = self.midstate.val().b + self.first.out.val().b;
            self.fin.d.next.w2 = self.midstate.val().c + self.first.out.val().c;
            self.fin.d.next.w3 = self.midstate.val().d + self.first.out.val().d;
            self.fin.d.next.w4 = self.midstate.val().e + self.first.out.val().e;
            self.fin.d.next.w5 = self.midstate.val().f + self.first.out.val().f;
            self.fin.d.next.w6 = self.midstate.val().g + self.first.out.val().g;
            self.fin.d.next.w7 = self.midstate.val().h + self.first.out.val().h;
            self.fin.d.next.hkw =
                self.iv7_k0.val() + (self.midstate.val().a + self.first.out.val().a);
            self.fin_valid.d.next = self.first.out_valid.val();
        }
        if self.start.val() {
            self.fin_valid.d.next = false;
        }

        // Second transform: the digest from the IV, 61 rounds or more.
        self.second.enable.next = self.enable_global.o.val();
        self.second.pass_enable.next = self.enable.val();
        self.second.take_next.next = self.take2.d.val();
        self.second.flush.next = self.start.val();
        self.second.pass_next.next = self.pass2_next.val();
        self.second.entry.next = self.fin.q.val();
        self.second.entry_valid.next = self.fin_valid.q.val();

        // Compare: H7 = IV[7] + e61, byte-swapped into Bitcoin's order.
        if self.tap.val() == 0 {
            self.top.x.next = self.second.out.val().e + self.iv7.val();
        } else if self.tap.val() == 1 {
            self.top.x.next = self.second.out.val().f + self.iv7.val();
        } else if self.tap.val() == 2 {
            self.top.x.next = self.second.out.val().g + self.iv7.val();
        } else {
            self.top.x.next = self.second.out.val().h + self.iv7.val();
        }
        if self.enable.val() {
            self.cmp.d.next.hit = (self.taking2.val() & self.second.out_valid.val())
                & (self.top.y.val() <= self.threshold.val());
            self.cmp.d.next.nonce = self.nonce_seen.val() - self.latency.val();
            self.cmp.d.next.tag = self.tag_reg.q.val();
        }

        // Found-nonce FIFO.
        self.fifo.write.next = self.cmp.q.val().hit & self.enable.val();
        self.fifo.data_in.next.nonce = self.cmp.q.val().nonce;
        self.fifo.data_in.next.tag = self.cmp.q.val().tag;
        self.found.next = self.fifo.data_out.val();
        self.found_valid.next = !self.fifo.empty.val();
        self.fifo.read.next = self.found_ack.val() & (!self.fifo.empty.val());

        self.nonce.next = self.nonce_ctr.q.val();
        self.issuing_range.next = self.issuing.q.val();
        self.job_tag.next = self.tag_reg.q.val();
        self.done.next = (!self.issuing.q.val()) & (self.drain.q.val() == self.drain_done.val());
    }
}
