//! Snapshots of the Verilog that rust-hdl generates for the core's small
//! blocks, so that any change to the emitted hardware shows up in review.
//! The Verilog's behaviour is checked separately, in Icarus and Verilator.

use ferrominer_hdl::carry_save::CarrySave;
use ferrominer_hdl::fanout::FanoutReg;
use ferrominer_hdl::functions::{Ch, Maj};
use ferrominer_hdl::fused_add::{FusedAdd, FusedFn};
use ferrominer_hdl::reg::DataReg;
use ferrominer_hdl::round::{RoundStage, T1Adder};
use ferrominer_hdl::schedule::ScheduleStep;
use ferrominer_hdl::verilog::to_verilog;
use ferrominer_hdl::wiring::{WordFn, WordFnKind};
use ferrominer_hdl::Word;

#[test]
fn word_functions() {
    for (name, kind) in [
        ("big_sigma0", WordFnKind::BigSigma0),
        ("big_sigma1", WordFnKind::BigSigma1),
        ("small_sigma0", WordFnKind::SmallSigma0),
        ("small_sigma1", WordFnKind::SmallSigma1),
        ("byte_swap", WordFnKind::ByteSwap),
    ] {
        insta::assert_snapshot!(name, to_verilog(&mut WordFn::new(kind), name));
    }
}

#[test]
fn ch_and_maj() {
    insta::assert_snapshot!("ch", to_verilog(&mut Ch::default(), "ch"));
    insta::assert_snapshot!("maj", to_verilog(&mut Maj::default(), "maj"));
}

#[test]
fn carry_save() {
    insta::assert_snapshot!(to_verilog(&mut CarrySave::default(), "carry_save"));
}

/// Both forms of `a + Ch(x, y, z)`: the ECP5 carry cells and the plain sum.
#[test]
fn fused_add() {
    insta::assert_snapshot!(to_verilog(&mut FusedAdd::new(FusedFn::Ch), "fused_add"));
}

/// Three kept copies of one bit, repeated over 32 outputs.
#[test]
fn fanout_register() {
    insta::assert_snapshot!(to_verilog(&mut FanoutReg::new(3), "fanout_reg"));
}

#[test]
fn schedule_step() {
    insta::assert_snapshot!(to_verilog(&mut ScheduleStep::default(), "schedule_step"));
}

#[test]
fn data_register() {
    insta::assert_snapshot!(to_verilog(&mut DataReg::<Word>::default(), "data_reg"));
}

#[test]
fn round_stages() {
    // A pipeline stage (round 12 of 64, which takes w1 from a delay line),
    // a ring stage (stage 3 of 8, rounds 3, 11, .., 59, which has none) and
    // the one stage of a streaming ring (all 64 rounds, w1 and w9 from
    // lines of 14 and 6 written with the new word or the fed one). The
    // pipeline stage compresses T1 (as the ECP5 builds with chained adders
    // do); the others add it as written.
    insta::assert_snapshot!(
        "round_pipelined",
        to_verilog(
            &mut RoundStage::with_t1(12, 64, 1, T1Adder::CarrySave),
            "round"
        )
    );
    insta::assert_snapshot!(
        "round_fused",
        to_verilog(&mut RoundStage::with_t1(12, 64, 1, T1Adder::Fused), "round")
    );
    insta::assert_snapshot!(
        "round_ring",
        to_verilog(&mut RoundStage::new(3, 8, 8), "round")
    );
    // Stage 6 of a ring of 8: its w9 comes from the LUT-RAM line.
    insta::assert_snapshot!(
        "round_ring_line9",
        to_verilog(&mut RoundStage::new(6, 8, 8), "round")
    );
    insta::assert_snapshot!(
        "round_stream",
        to_verilog(&mut RoundStage::new(0, 1, 64), "round")
    );
    // Stage 7 of a ring of 8, the ring's entry stage: its register takes
    // the new slot, word by word, where `loads` says.
    insta::assert_snapshot!(
        "round_ring_entry",
        to_verilog(
            &mut RoundStage::entry_stage(7, 8, 8, T1Adder::Plain),
            "round"
        )
    );
}
