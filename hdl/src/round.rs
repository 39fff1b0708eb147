//! One SHA-256 round stage.

use crate::carry_save::CarrySave;
use crate::constants::K;
use crate::delay_line::DelayLine;
use crate::functions::{Ch, Maj};
use crate::fused_add::{FusedAdd, FusedFn};
use crate::krom::KRom;
use crate::load_add::LoadAdd;
use crate::reg::DataReg;
use crate::schedule::ScheduleStep;
use crate::slot::Slot;
use crate::wiring::{WordFn, WordFnKind};
use crate::word::Word;
use rust_hdl::prelude::*;

/// One round stage: a SHA-256 round plus one message-schedule step, and the
/// register that holds the slot.
///
/// Stages form a ring of `stride` stages (see [`crate::transform`]); a slot
/// goes round it `passes` times, so stage `index` runs rounds
/// `index + k·stride` for passes `k = 0..passes`. With `passes = 1` it is a
/// plain pipeline stage. The stage itself only needs to know which pass the
/// slot it works on is in, to pick the round constant.
///
/// Per round, with the slot holding `a..h`, `w0..w15 = W[t..t+15]` and
/// `hkw = h + K[t] + W[t]`:
/// - `T1 = hkw + Σ1(e) + Ch(e, f, g)`, `T2 = Σ0(a) + Maj(a, b, c)`;
/// - `a' = T1 + T2`, `e' = d + T1`, the other words shift;
/// - with [`T1Adder::CarrySave`], `T1`'s three addends first go through a
///   [`CarrySave`] compressor (see [`T1Adder`] for why);
/// - the window shifts by one word and takes `W[t+16]` from the schedule step;
/// - `hkw' = g + K[t+1] + W[t+1]` is precomputed for the next round.
///
/// Window words 2 to 8 and 10 to 13 are only ever shifted along, so they
/// are skipped with delay lines:
/// - from stage [`LINE_STAGE`] of a ring on, the stage takes its new `w1`
///   from a [`DelayLine`] in block RAM instead of from `w2`. The line is
///   written with `far_w`, the `w9` that stage `index - 7` of the ring saw:
///   the same word, seven stages and seven cycles earlier;
/// - in a ring that slots go round more than once, from stage
///   [`LINE9_STAGE`] on, it takes its new `w9` from a line in LUT RAM
///   (there are not block RAMs enough for both on the 85F) instead of from
///   `w10`. That line is written with `far_new`, the `w15` register of
///   stage `index - 6`, which holds the new schedule word that stage made:
///   again the same word, five cycles earlier (the register, not the
///   adder's output: stage 0's new word comes through the ring's entry
///   multiplexer, and from there to a line six stages on was the 45F's
///   critical path). Those
///   rings are the configurations that run out of flip-flops (U=32 on the
///   45F); a full pipeline (U=64 on the 85F) has flip-flops to spare, and
///   there a line would cost about 56 LUT4s to save 128 flip-flops.
///
/// Both sources are within one pass round the ring. Registers for `w2..w8`
/// and `w10..w13` that nothing reads any more are then removed by
/// synthesis: on a 64-stage pipeline that is eleven of the 25 words of
/// nearly every stage.
///
/// **Stream mode** (a ring of one stage, the smallest cores): the window is
/// never loaded in parallel. A slot's last 16 rounds compute schedule words
/// `W[64..79]` that nothing uses, so in those rounds (`feeding` high) the
/// stage shifts in the *next* slot's message words from `feed` instead;
/// when the next slot enters, its window is already in place, and the ring
/// takes only `a..h` and `hkw` from its entry. With no parallel load, the
/// stage keeps only the window words it reads (`w0`, `w1`, `w9`, `w14`,
/// `w15`) in registers: `w1` comes from a line of [`STREAM_W1_DELAY`]
/// and `w9` from one of [`STREAM_W9_DELAY`], both written with the new word.
/// That removes eleven of the window's sixteen registers.
///
/// **The ring's entry** (the last stage of a ring that slots go round more
/// than once, see [`crate::transform`]): on cycles where its `loads` are
/// high, the register takes the ring's new slot on `entry` instead of the
/// round's result, which goes out on `result` for the ring's exit
/// register. Stage 0 then reads the last stage's register directly, with
/// no multiplexer on the ring's loop. The words that come out of an adder
/// (`a'`, `e'`, `hkw`) are selected inside that adder's carry chain
/// ([`LoadAdd`]), so that the select adds no LUT level to the round.
#[derive(LogicBlock)]
pub struct RoundStage {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Low to hold everything (the core stalls while its result FIFO is full).
    pub enable: Signal<In, Bit>,
    /// High to drop every slot in flight (new work).
    pub flush: Signal<In, Bit>,
    /// The pass of the slot this stage works on in the *next* cycle (the K
    /// table is a synchronous ROM, addressed a cycle ahead so that it can
    /// live in block RAM).
    pub pass_next: Signal<In, Bits<6>>,
    /// The slot this cycle's round works on (the previous stage's slot).
    pub slot_in: Signal<In, Slot>,
    /// Whether `slot_in` holds a nonce.
    pub in_valid: Signal<In, Bit>,
    /// The `w9` of stage `index - 7`'s `slot_in` (ignored below
    /// [`LINE_STAGE`]).
    pub far_w: Signal<In, Word>,
    /// The `w15` register of stage `index - 6`: the new schedule word it
    /// made, a cycle later (used only from [`LINE9_STAGE`] on in rings of
    /// more than one pass).
    pub far_new: Signal<In, Word>,
    /// This stage's slot.
    pub out: Signal<Out, Slot>,
    /// Whether this stage's slot holds a nonce.
    pub out_valid: Signal<Out, Bit>,
    /// `slot_in.w9`, for the delay line of the stage seven places on.
    pub in_w9: Signal<Out, Word>,
    /// The new schedule word this stage made, from its `w15` register, for
    /// the `w9` line of the stage six places on.
    pub made: Signal<Out, Word>,
    /// Stream mode: the next slot's message word to shift in while
    /// `feeding`.
    pub feed: Signal<In, Word>,
    /// Stream mode: high in the slot's last 16 rounds.
    pub feeding: Signal<In, Bit>,
    /// The ring's entry stage only: bit `k` high loads word `k` of `entry`
    /// (`a..h`, `hkw`, `w0..w15`) into the register in place of the
    /// round's result, bit 25 loads `entry_valid`. Ignored elsewhere.
    pub loads: Signal<In, Bits<32>>,
    /// The ring's new slot, for the entry stage.
    pub entry: Signal<In, Slot>,
    /// Whether `entry` holds a nonce.
    pub entry_valid: Signal<In, Bit>,
    /// The round's result: what the register takes when it does not load
    /// `entry`.
    pub result: Signal<Out, Slot>,
    data: DataReg<Slot>,
    valid: DFF<Bit>,
    line: DelayLine,
    use_line: Constant<Bit>,
    // Stream mode, and stages from LINE9_STAGE on (none otherwise, to keep
    // the simulation lean).
    line9: Vec<DelayLine>,
    _line9s: usize,
    stream: Constant<Bit>,
    new_word: Signal<Local, Word>,
    k_rom: KRom,
    k_const: Constant<Word>,
    use_rom: Constant<Bit>,
    k_next: Signal<Local, Word>,
    sigma0: WordFn,
    sigma1: WordFn,
    ch: Ch,
    maj: Maj,
    // `T1Adder::CarrySave` only: one compressor, else none.
    t1_parts: Vec<CarrySave>,
    _compressors: usize,
    // `T1Adder::Fused` only: `hkw + Ch` and `Σ0 + Maj` in carry chains.
    hkw_ch: Vec<FusedAdd>,
    sigma0_maj: Vec<FusedAdd>,
    _fused: usize,
    t1: Signal<Local, Word>,
    t2: Signal<Local, Word>,
    schedule: ScheduleStep,
    // `g + K[t+1]`, the first sum of the next `hkw`.
    gk: Signal<Local, Word>,
    // The next `w9`.
    w9_new: Signal<Local, Word>,
    // The ring's entry stage only: `a'`, `e'` and `hkw`, or the entry's.
    load_a: Vec<LoadAdd>,
    load_e: Vec<LoadAdd>,
    load_hkw: Vec<LoadAdd>,
    // 1 for the ring's entry stage, else 0.
    _entries: usize,
}

/// The first stage of a ring that takes `w1` from a delay line: the word
/// it needs, `w2` at its input, was `w10` at the input of the stage
/// `LINE_STAGE` places before it, which must be in the same ring.
pub const LINE_STAGE: usize = crate::delay_line::LINE_DELAY;

/// The first stage of a ring that takes `w9` from a delay line: the word it
/// needs, `W[t+10]`, was the new word of the stage `LINE9_STAGE` places
/// before it, which must be in the same ring. The line is one shorter
/// ([`crate::delay_line::LINE9_DELAY`]): it takes the word from that
/// stage's register.
pub const LINE9_STAGE: usize = crate::delay_line::LINE9_DELAY + 1;

/// Stream mode: the new word `W[t+16]` of round `t` is the `w1` that round
/// `t + 14` writes (round `t'` writes `w1 = W[t'+2]`): a line of 14.
pub const STREAM_W1_DELAY: usize = 14;

/// Stream mode: the new word of round `t` is the `w9` that round `t + 6`
/// writes (round `t'` writes `w9 = W[t'+10]`).
pub const STREAM_W9_DELAY: usize = 6;

/// How a round stage adds up `T1 = hkw + Σ1(e) + Ch(e, f, g)`.
///
/// Which is faster depends on how synthesis maps additions. yosys's default
/// (`alumacc`) turns each sum of several words, such as `a' = T1 + T2`,
/// into a carry-save tree in LUTs feeding one carry chain, and does that
/// best from plain sums. When every two-word addition is mapped to its own
/// carry chain instead (fewer LUTs), the plain form puts three 32-bit
/// chains in a row (`hkw + Σ1`, `+ Ch`, then `+ T2` or `d +`), and on ECP5
/// each hop from one chain's sum into the next costs 2 to 3.6 ns; the
/// compressor replaces one of those chains by a level of LUTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum T1Adder {
    /// `T1 = (hkw + Σ1) + Ch`, as written.
    #[default]
    Plain,
    /// `hkw`, `Σ1` and `Ch` go through a 3:2 [`CarrySave`] compressor, and
    /// one carry chain adds its two outputs.
    CarrySave,
    /// `T1 = (hkw + Ch) + Σ1` and `T2 = Σ0 + Maj`, with Ch and Maj
    /// computed inside the carry chain that adds them ([`FusedAdd`]: on
    /// ECP5, no LUTs of their own). Fewer LUTs than `CarrySave` (about 96
    /// per stage) and one LUT level less before `T1`'s chain, for a
    /// second chain in a row on the way from `hkw` (which starts at a
    /// register, not after LUTs).
    Fused,
}

impl RoundStage {
    /// Stage `index` of a ring of `stride` stages that slots go round
    /// `passes` times: it runs rounds `index + k·stride`, `k = 0..passes`.
    /// `T1` is added as written ([`T1Adder::Plain`]).
    pub fn new(index: usize, stride: usize, passes: usize) -> Self {
        Self::with_t1(index, stride, passes, T1Adder::Plain)
    }

    /// Like [`new`](Self::new), adding `T1` as `t1` says.
    pub fn with_t1(index: usize, stride: usize, passes: usize, t1: T1Adder) -> Self {
        Self::build(index, stride, passes, t1, false)
    }

    /// Like [`with_t1`](Self::with_t1), for the ring's entry stage: its
    /// register can load the ring's new slot (see `loads`).
    pub fn entry_stage(index: usize, stride: usize, passes: usize, t1: T1Adder) -> Self {
        Self::build(index, stride, passes, t1, true)
    }

    fn build(index: usize, stride: usize, passes: usize, t1: T1Adder, entry: bool) -> Self {
        assert!(
            passes >= 1 && index < stride && index + (passes - 1) * stride < 64,
            "rounds out of range"
        );
        // K[t+1] for the round of each pass (K[64] does not exist: 0).
        let k_next = |k: usize| Word(K.get(index + k * stride + 1).copied().unwrap_or(0));
        let table: Vec<u32> = (0..passes).map(|k| k_next(k).0).collect();
        let stream = stride == 1;
        let compressors = usize::from(t1 == T1Adder::CarrySave);
        let fused = usize::from(t1 == T1Adder::Fused);
        let line9s = usize::from(stream || (passes > 1 && index >= LINE9_STAGE));
        let line_delay = if stream {
            STREAM_W1_DELAY
        } else {
            crate::delay_line::LINE_DELAY
        };
        Self {
            clock: Default::default(),
            enable: Default::default(),
            flush: Default::default(),
            pass_next: Default::default(),
            slot_in: Default::default(),
            in_valid: Default::default(),
            far_w: Default::default(),
            far_new: Default::default(),
            made: Default::default(),
            out: Default::default(),
            out_valid: Default::default(),
            in_w9: Default::default(),
            feed: Default::default(),
            feeding: Default::default(),
            loads: Default::default(),
            entry: Default::default(),
            entry_valid: Default::default(),
            result: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            line: DelayLine::new(line_delay),
            use_line: Constant::new(stream || index >= LINE_STAGE),
            line9: (0..line9s)
                .map(|_| {
                    if stream {
                        DelayLine::new(STREAM_W9_DELAY)
                    } else {
                        DelayLine::in_luts(crate::delay_line::LINE9_DELAY)
                    }
                })
                .collect(),
            _line9s: line9s,
            stream: Constant::new(stream),
            new_word: Default::default(),
            k_rom: KRom::new(table),
            k_const: Constant::new(k_next(0)),
            use_rom: Constant::new(passes > 1),
            k_next: Default::default(),
            sigma0: WordFn::new(WordFnKind::BigSigma0),
            sigma1: WordFn::new(WordFnKind::BigSigma1),
            ch: Default::default(),
            maj: Default::default(),
            t1_parts: (0..compressors).map(|_| Default::default()).collect(),
            _compressors: compressors,
            hkw_ch: (0..fused).map(|_| FusedAdd::new(FusedFn::Ch)).collect(),
            sigma0_maj: (0..fused).map(|_| FusedAdd::new(FusedFn::Maj)).collect(),
            _fused: fused,
            t1: Default::default(),
            t2: Default::default(),
            schedule: Default::default(),
            gk: Default::default(),
            w9_new: Default::default(),
            load_a: (0..usize::from(entry))
                .map(|_| Default::default())
                .collect(),
            load_e: (0..usize::from(entry))
                .map(|_| Default::default())
                .collect(),
            load_hkw: (0..usize::from(entry))
                .map(|_| Default::default())
                .collect(),
            _entries: usize::from(entry),
        }
    }
}

impl Logic for RoundStage {
    #[hdl_gen]
    fn update(&mut self) {
        self.data.clock.next = self.clock.val();
        dff_setup!(self, clock, valid);
        self.out.next = self.data.q.val();
        self.out_valid.next = self.valid.q.val();
        self.line.clock.next = self.clock.val();
        self.line.enable.next = self.enable.val();
        // The new schedule word: W[t+16], or in stream mode the next slot's
        // message word while feeding.
        self.new_word.next = self.schedule.out.val();
        if self.stream.val() & self.feeding.val() {
            self.new_word.next = self.feed.val();
        }
        self.line.d.next = self.far_w.val();
        if self.stream.val() {
            self.line.d.next = self.new_word.val();
        }
        for i in 0..self._line9s {
            self.line9[i].clock.next = self.clock.val();
            self.line9[i].enable.next = self.enable.val();
            self.line9[i].d.next = self.far_new.val();
            if self.stream.val() {
                self.line9[i].d.next = self.new_word.val();
            }
        }
        self.in_w9.next = self.slot_in.val().w9;
        self.made.next = self.data.q.val().w15;
        // Round functions.
        self.sigma0.x.next = self.slot_in.val().a;
        self.sigma1.x.next = self.slot_in.val().e;
        self.ch.x.next = self.slot_in.val().e;
        self.ch.y.next = self.slot_in.val().f;
        self.ch.z.next = self.slot_in.val().g;
        self.maj.x.next = self.slot_in.val().a;
        self.maj.y.next = self.slot_in.val().b;
        self.maj.z.next = self.slot_in.val().c;
        self.t1.next = (self.slot_in.val().hkw + self.sigma1.y.val()) + self.ch.out.val();
        for i in 0..self._compressors {
            self.t1_parts[i].x.next = self.slot_in.val().hkw;
            self.t1_parts[i].y.next = self.sigma1.y.val();
            self.t1_parts[i].z.next = self.ch.out.val();
            self.t1.next = self.t1_parts[i].sum.val() + self.t1_parts[i].carry.val();
        }
        self.t2.next = self.sigma0.y.val() + self.maj.out.val();
        for i in 0..self._fused {
            self.hkw_ch[i].a.next = self.slot_in.val().hkw;
            self.hkw_ch[i].x.next = self.slot_in.val().e;
            self.hkw_ch[i].y.next = self.slot_in.val().f;
            self.hkw_ch[i].z.next = self.slot_in.val().g;
            self.t1.next = self.hkw_ch[i].out.val() + self.sigma1.y.val();
            self.sigma0_maj[i].a.next = self.sigma0.y.val();
            self.sigma0_maj[i].x.next = self.slot_in.val().a;
            self.sigma0_maj[i].y.next = self.slot_in.val().b;
            self.sigma0_maj[i].z.next = self.slot_in.val().c;
            self.t2.next = self.sigma0_maj[i].out.val();
        }
        self.schedule.w0.next = self.slot_in.val().w0;
        self.schedule.w1.next = self.slot_in.val().w1;
        self.schedule.w9.next = self.slot_in.val().w9;
        self.schedule.w14.next = self.slot_in.val().w14;
        // One round: K is a constant. Several: a ROM read a cycle ahead.
        self.k_rom.clock.next = self.clock.val();
        self.k_rom.address.next = self.pass_next.val();
        if self.use_rom.val() {
            self.k_next.next = self.k_rom.data.val();
        } else {
            self.k_next.next = self.k_const.val();
        }
        // The round's result.
        // a' = T1 + T2 and e' = d + T1.
        self.result.next.a = self.t1.val() + self.t2.val();
        self.result.next.b = self.slot_in.val().a;
        self.result.next.c = self.slot_in.val().b;
        self.result.next.d = self.slot_in.val().c;
        self.result.next.e = self.slot_in.val().d + self.t1.val();
        self.result.next.f = self.slot_in.val().e;
        self.result.next.g = self.slot_in.val().f;
        self.result.next.h = self.slot_in.val().g;
        self.result.next.w0 = self.slot_in.val().w1;
        if self.use_line.val() {
            self.result.next.w1 = self.line.q.val();
        } else {
            self.result.next.w1 = self.slot_in.val().w2;
        }
        self.result.next.w2 = self.slot_in.val().w3;
        self.result.next.w3 = self.slot_in.val().w4;
        self.result.next.w4 = self.slot_in.val().w5;
        self.result.next.w5 = self.slot_in.val().w6;
        self.result.next.w6 = self.slot_in.val().w7;
        self.result.next.w7 = self.slot_in.val().w8;
        self.result.next.w8 = self.slot_in.val().w9;
        // (Through a local signal: `result` is read by the ring's own
        // combinational block, and in the Verilog an output written twice
        // per evaluation would wake that block up every time, and it this
        // one, in an endless zero-time loop in Icarus.)
        self.w9_new.next = self.slot_in.val().w10;
        for i in 0..self._line9s {
            self.w9_new.next = self.line9[i].q.val();
        }
        self.result.next.w9 = self.w9_new.val();
        self.result.next.w10 = self.slot_in.val().w11;
        self.result.next.w11 = self.slot_in.val().w12;
        self.result.next.w12 = self.slot_in.val().w13;
        self.result.next.w13 = self.slot_in.val().w14;
        self.result.next.w14 = self.slot_in.val().w15;
        self.result.next.w15 = self.new_word.val();
        self.gk.next = self.slot_in.val().g + self.k_next.val();
        self.result.next.hkw = self.gk.val() + self.slot_in.val().w1;
        // The ring's entry stage: its adders' words with the entry's
        // selected inside their carry chains.
        for i in 0..self._entries {
            self.load_a[i].load.next = self.loads.val().get_bit(0);
            self.load_a[i].v.next = self.entry.val().a;
            self.load_a[i].x.next = self.t1.val();
            self.load_a[i].y.next = self.t2.val();
            self.load_e[i].load.next = self.loads.val().get_bit(4);
            self.load_e[i].v.next = self.entry.val().e;
            self.load_e[i].x.next = self.slot_in.val().d;
            self.load_e[i].y.next = self.t1.val();
            self.load_hkw[i].load.next = self.loads.val().get_bit(8);
            self.load_hkw[i].v.next = self.entry.val().hkw;
            self.load_hkw[i].x.next = self.gk.val();
            self.load_hkw[i].y.next = self.slot_in.val().w1;
        }
        // The register: the round's result, or hold when stalled. The
        // ring's entry stage takes the new slot where `loads` says (written
        // in this branch, so that synthesis sees one select behind the
        // register's enable). `flush` still wins: the core never loads new
        // work in its cycle.
        if self.enable.val() {
            self.data.d.next = self.result.val();
            self.valid.d.next = self.in_valid.val();
            for i in 0..self._entries {
                self.data.d.next.a = self.load_a[i].out.val();
                if self.loads.val().get_bit(1) {
                    self.data.d.next.b = self.entry.val().b;
                }
                if self.loads.val().get_bit(2) {
                    self.data.d.next.c = self.entry.val().c;
                }
                if self.loads.val().get_bit(3) {
                    self.data.d.next.d = self.entry.val().d;
                }
                self.data.d.next.e = self.load_e[i].out.val();
                if self.loads.val().get_bit(5) {
                    self.data.d.next.f = self.entry.val().f;
                }
                if self.loads.val().get_bit(6) {
                    self.data.d.next.g = self.entry.val().g;
                }
                if self.loads.val().get_bit(7) {
                    self.data.d.next.h = self.entry.val().h;
                }
                self.data.d.next.hkw = self.load_hkw[i].out.val();
                if self.loads.val().get_bit(9) {
                    self.data.d.next.w0 = self.entry.val().w0;
                }
                if self.loads.val().get_bit(10) {
                    self.data.d.next.w1 = self.entry.val().w1;
                }
                if self.loads.val().get_bit(11) {
                    self.data.d.next.w2 = self.entry.val().w2;
                }
                if self.loads.val().get_bit(12) {
                    self.data.d.next.w3 = self.entry.val().w3;
                }
                if self.loads.val().get_bit(13) {
                    self.data.d.next.w4 = self.entry.val().w4;
                }
                if self.loads.val().get_bit(14) {
                    self.data.d.next.w5 = self.entry.val().w5;
                }
                if self.loads.val().get_bit(15) {
                    self.data.d.next.w6 = self.entry.val().w6;
                }
                if self.loads.val().get_bit(16) {
                    self.data.d.next.w7 = self.entry.val().w7;
                }
                if self.loads.val().get_bit(17) {
                    self.data.d.next.w8 = self.entry.val().w8;
                }
                if self.loads.val().get_bit(18) {
                    self.data.d.next.w9 = self.entry.val().w9;
                }
                if self.loads.val().get_bit(19) {
                    self.data.d.next.w10 = self.entry.val().w10;
                }
                if self.loads.val().get_bit(20) {
                    self.data.d.next.w11 = self.entry.val().w11;
                }
                if self.loads.val().get_bit(21) {
                    self.data.d.next.w12 = self.entry.val().w12;
                }
                if self.loads.val().get_bit(22) {
                    self.data.d.next.w13 = self.entry.val().w13;
                }
                if self.loads.val().get_bit(23) {
                    self.data.d.next.w14 = self.entry.val().w14;
                }
                if self.loads.val().get_bit(24) {
                    self.data.d.next.w15 = self.entry.val().w15;
                }
                if self.loads.val().get_bit(25) {
                    self.valid.d.next = self.entry_valid.val();
                }
            }
        } else {
            self.data.d.next = self.data.q.val();
        }
        if self.flush.val() {
            self.valid.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model, tick, w};
    use rand::Rng;

    fn slot_from(state: [u32; 8], window: &[u32], t: usize) -> Slot {
        let v = |i: usize| w(window[i]);
        Slot {
            a: w(state[0]),
            b: w(state[1]),
            c: w(state[2]),
            d: w(state[3]),
            e: w(state[4]),
            f: w(state[5]),
            g: w(state[6]),
            h: w(state[7]),
            w0: v(0),
            w1: v(1),
            w2: v(2),
            w3: v(3),
            w4: v(4),
            w5: v(5),
            w6: v(6),
            w7: v(7),
            w8: v(8),
            w9: v(9),
            w10: v(10),
            w11: v(11),
            w12: v(12),
            w13: v(13),
            w14: v(14),
            w15: v(15),
            hkw: w(state[7].wrapping_add(K[t]).wrapping_add(window[0])),
        }
    }

    fn clock(stage: &mut RoundStage) {
        tick(stage, |b| &mut b.clock);
    }

    /// Stage `index` of a ring of `stride` stages, run for `passes` rounds
    /// against the model. Between its rounds the slot goes round the rest of
    /// the ring: the test plays the other stages with the model, and feeds
    /// the delay lines what stages `index - 7` and `index - 6` would.
    fn check_stage(index: usize, stride: usize, passes: usize, t1: T1Adder) {
        let mut rng = rand::thread_rng();
        let mut stage = RoundStage::with_t1(index, stride, passes, t1);
        stage.connect_all();
        let state: [u32; 8] = rng.gen();
        let mut msg: Vec<u32> = (0..16).map(|_| rng.gen()).collect();
        for t in 16..64 + 16 {
            let next = model::small_sigma1(msg[t - 2])
                .wrapping_add(msg[t - 7])
                .wrapping_add(model::small_sigma0(msg[t - 15]))
                .wrapping_add(msg[t - 16]);
            msg.push(next);
        }
        // The ROM is read a cycle ahead: present pass 0 once first.
        stage.pass_next.next = 0.into();
        stage.enable.next = false;
        clock(&mut stage);
        stage.enable.next = true;
        let mut expect = state;
        for k in 0..passes {
            let t = index + k * stride;
            // The model runs the rounds before this pass's round.
            let first = if k == 0 { 0 } else { t - stride + 1 };
            for r in first..t {
                expect = model::round(expect, K[r], msg[r]);
            }
            // Seven cycles earlier, stage index - 7 saw this slot's w2 as
            // its w9; five cycles earlier, stage index - 6 held W[t+10] (the
            // next w9) in its w15 register, the new word it made the cycle
            // before. The delay lines get them then, and junk in between.
            stage.pass_next.next = (k as u64).into();
            for j in 0..LINE_STAGE {
                let far = if j == 0 { msg[t + 2] } else { rng.gen() };
                stage.far_w.next = w(far);
                let far_new = if j == LINE_STAGE - crate::delay_line::LINE9_DELAY {
                    msg[t + 10]
                } else {
                    rng.gen()
                };
                stage.far_new.next = w(far_new);
                stage.slot_in.next = slot_from(rng.gen(), &[rng.gen(); 16], 0);
                clock(&mut stage);
            }
            stage.far_w.next = w(rng.gen());
            stage.far_new.next = w(rng.gen());
            stage.slot_in.next = slot_from(expect, &msg[t..t + 16], t);
            stage.in_valid.next = true;
            stage.pass_next.next = (((k + 1) % passes) as u64).into();
            clock(&mut stage);
            expect = model::round(expect, K[t], msg[t]);
            let got = stage.out.val();
            let mut want = slot_from(expect, &msg[t + 1..t + 17], (t + 1).min(63));
            if t == 63 {
                // K[64] does not exist: the stage adds 0.
                want.hkw = w(expect[7].wrapping_add(msg[64]));
            }
            assert_eq!(
                got, want,
                "{t1:?}: stage {index} of {stride}, pass {k} (round {t})"
            );
            assert!(stage.out_valid.val());
        }
    }

    #[test]
    fn pipeline_stage_runs_one_round() {
        for t1 in [T1Adder::Plain, T1Adder::CarrySave, T1Adder::Fused] {
            for index in [0, 1, 5, 6, 7, 15, 16, 40, 63] {
                check_stage(index, 64, 1, t1);
            }
        }
    }

    /// (A ring of one stage streams its window; `transform`'s test runs it.)
    #[test]
    fn ring_stage_runs_one_round_per_pass() {
        for t1 in [T1Adder::Plain, T1Adder::CarrySave, T1Adder::Fused] {
            for (index, stride, passes) in
                [(0, 32, 2), (6, 8, 8), (7, 8, 8), (31, 32, 2), (3, 4, 16)]
            {
                check_stage(index, stride, passes, t1);
            }
        }
    }

    #[test]
    fn stage_holds_when_disabled_and_drops_on_flush() {
        let mut stage = RoundStage::new(0, 64, 1);
        stage.connect_all();
        stage.enable.next = true;
        stage.in_valid.next = true;
        stage.slot_in.next = slot_from([1; 8], &[2; 16], 0);
        clock(&mut stage);
        let held = stage.out.val();
        stage.enable.next = false;
        stage.slot_in.next = slot_from([3; 8], &[4; 16], 0);
        clock(&mut stage);
        assert_eq!(stage.out.val(), held);
        assert!(stage.out_valid.val());
        stage.flush.next = true;
        clock(&mut stage);
        assert!(!stage.out_valid.val());
    }
}
