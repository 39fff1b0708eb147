//! The core's *generated Verilog*, run in Icarus Verilog and Verilator, on
//! the same vectors as the rust-hdl simulation, against the `sha2`
//! reference. rust-hdl's Verilog generator has had bugs where its own
//! simulation and its Verilog disagree, so this is not optional: a missing
//! simulator fails the test (`.ci/run` and `scripts/setup.sh` install both).

use ferrominer::Work;
use ferrominer_hdl::round::T1Adder;
use ferrominer_sim::verilog_sim::{Simulator, TbJob, VerilogCore};
use ferrominer_sim::FoundNonce;
use ferrominer_tests::*;
use std::path::PathBuf;

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vsim")
}

/// Real blocks, random work, a regtest-like threshold and a job switch.
/// U = 8 and 64 run with `T1` compressed, as the ECP5 builds with
/// `--adders chain` have it; U = 1 and 2 without, as the iCE40 builds.
fn check(sim: Simulator, unroll: usize, t1: T1Adder) {
    let core = VerilogCore::build(sim, unroll, t1, &work_dir())
        .unwrap_or_else(|e| panic!("building {sim:?} U={unroll} {t1:?}: {e}"));
    let mut rng = seeded_rng(&format!("verilog {sim:?} U={unroll}"));
    let mut works: Vec<Work> = Vec::new();
    for (i, b) in real_blocks().iter().enumerate() {
        works.push(block_window(b, 24, 2).with_job_id(10 + i as u8));
    }
    works.push(
        Work::from_header(&random_header(&mut rng), 4096, 64)
            .unwrap()
            .with_threshold(0x0fff_ffff)
            .with_job_id(20),
    );
    let regtest = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .unwrap();
    works.push(
        block_window(&regtest, 0, 63)
            .with_threshold(0x7fff_ffff)
            .with_job_id(21),
    );
    // A job interrupted early, then another on a disjoint range.
    let old = Work::from_header(&random_header(&mut rng), 100, 300)
        .unwrap()
        .with_threshold(0x3fff_ffff)
        .with_job_id(30);
    let new = Work::from_header(&random_header(&mut rng), 9000, 40)
        .unwrap()
        .with_threshold(0x3fff_ffff)
        .with_job_id(31);

    let shape = ferrominer_hdl::CoreShape::new(unroll).unwrap();
    let switch = (shape.latency_cycles() + 60 * shape.passes) as u64;
    let mut jobs: Vec<TbJob> = works
        .iter()
        .map(|w| TbJob {
            job: job(w),
            switch_after: None,
        })
        .collect();
    jobs.push(TbJob {
        job: job(&old),
        switch_after: Some(switch),
    });
    jobs.push(TbJob {
        job: job(&new),
        switch_after: None,
    });

    let results = core
        .run(&jobs)
        .unwrap_or_else(|e| panic!("{sim:?} U={unroll}: {e}"));
    assert_eq!(results.len(), jobs.len(), "one END per job");
    let all: Vec<FoundNonce> = results.iter().flat_map(|r| r.found.clone()).collect();
    let by_tag = |tag: u8| -> Vec<u32> {
        all.iter()
            .filter(|f| f.tag == tag)
            .map(|f| f.nonce)
            .collect()
    };
    for w in &works {
        assert_eq!(
            by_tag(w.job_id),
            reference_hits(w),
            "{sim:?} U={unroll} job {}",
            w.job_id
        );
    }
    for (i, b) in real_blocks().iter().enumerate() {
        assert!(
            by_tag(10 + i as u8).contains(&b.nonce),
            "{} missing",
            b.name
        );
    }
    let old_found = by_tag(30);
    let old_hits = reference_hits(&old);
    assert!(!old_found.is_empty() && old_found.len() < old_hits.len());
    assert_eq!(old_found, old_hits[..old_found.len()].to_vec());
    assert_eq!(by_tag(31), reference_hits(&new));
    let known: Vec<u8> = works.iter().map(|w| w.job_id).chain([30, 31]).collect();
    assert!(
        all.iter().all(|f| known.contains(&f.tag)),
        "a result with an unknown tag"
    );
}

#[test]
fn icarus_unroll_8() {
    check(Simulator::Icarus, 8, T1Adder::CarrySave);
}

/// The ECP5 form of the rounds, with Ch and Maj inside `CCU2C` carry
/// chains, in yosys's models of the cells.
#[test]
fn icarus_unroll_8_ecp5_carry_cells() {
    check(Simulator::Icarus, 8, T1Adder::Fused);
}

#[test]
fn icarus_unroll_1() {
    check(Simulator::Icarus, 1, T1Adder::Plain);
}

#[test]
fn verilator_unroll_64() {
    check(Simulator::Verilator, 64, T1Adder::CarrySave);
}

#[test]
fn verilator_unroll_2() {
    check(Simulator::Verilator, 2, T1Adder::Plain);
}
