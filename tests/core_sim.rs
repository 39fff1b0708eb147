//! The mining core in rust-hdl's simulator, checked bit-exactly against the
//! `sha2` reference, for every supported unroll.

use ferrominer::Work;
use ferrominer_hdl::SUPPORTED_UNROLLS;
use ferrominer_sim::CoreSim;
use ferrominer_tests::*;

/// A short window of each real block below its known nonce, with the
/// header's own target as threshold: the core reports exactly the
/// reference set, which holds the block's nonce (and, for mainnet blocks,
/// nothing else).
#[test]
fn real_blocks_report_their_nonce() {
    for unroll in SUPPORTED_UNROLLS {
        let mut sim = CoreSim::new(unroll).unwrap();
        for b in real_blocks() {
            let work = block_window(&b, 40, 3).with_job_id(b.nonce as u8);
            let (found, _) = sim.run(&job(&work)).unwrap();
            let got = nonces_tagged(&found, work.job_id);
            assert_eq!(got, reference_hits(&work), "{} at U={unroll}", b.name);
            assert!(got.contains(&b.nonce), "{} at U={unroll}", b.name);
            if b.name.starts_with("mainnet") {
                assert_eq!(got, vec![b.nonce], "{} at U={unroll}", b.name);
            }
        }
    }
}

/// Random midstates and tails with a 1-in-16 threshold: every reported
/// nonce is right and no nonce within the threshold is missing.
#[test]
fn random_work_matches_reference() {
    let mut rng = seeded_rng("random_work_matches_reference");
    for unroll in SUPPORTED_UNROLLS {
        let mut sim = CoreSim::new(unroll).unwrap();
        for i in 0..3u8 {
            let header = random_header(&mut rng);
            let start: u32 = rand::Rng::gen(&mut rng);
            let work = Work::from_header(&header, start.min(u32::MAX - 95), 96)
                .unwrap()
                .with_threshold(0x0fff_ffff)
                .with_job_id(i);
            let (found, _) = sim.run(&job(&work)).unwrap();
            assert_eq!(
                nonces_tagged(&found, i),
                reference_hits(&work),
                "U={unroll} header {header}"
            );
        }
    }
}

/// A regtest-like threshold that reports about half of all nonces: the
/// reported set equals the reference set exactly (this also fills the FIFO
/// in bursts).
#[test]
fn regtest_threshold_reports_half() {
    let b = real_blocks()
        .into_iter()
        .find(|b| b.name == "regtest-0")
        .expect("regtest-0 in blocks.json");
    for unroll in SUPPORTED_UNROLLS {
        let mut sim = CoreSim::new(unroll).unwrap();
        let work = block_window(&b, 0, 199).with_threshold(0x7fff_ffff);
        let (found, _) = sim.run(&job(&work)).unwrap();
        let expect = reference_hits(&work);
        assert!(expect.len() > 70 && expect.len() < 130, "{}", expect.len());
        assert_eq!(nonces_tagged(&found, 0), expect, "U={unroll}");
    }
}

/// New work mid-range: the old job's results keep the old tag and are all
/// correct for the old work; the new job's results are exactly its
/// reference set. The two ranges are disjoint, so an old nonce reported
/// under the new tag would be caught.
#[test]
fn job_switch_mid_range() {
    let mut rng = seeded_rng("job_switch_mid_range");
    for unroll in SUPPORTED_UNROLLS {
        let mut sim = CoreSim::new(unroll).unwrap();
        let old = Work::from_header(&random_header(&mut rng), 1000, 200)
            .unwrap()
            .with_threshold(0x3fff_ffff)
            .with_job_id(1);
        let new = Work::from_header(&random_header(&mut rng), 5000, 60)
            .unwrap()
            .with_threshold(0x3fff_ffff)
            .with_job_id(2);
        let shape = sim.shape();
        let mut found = Vec::new();
        sim.start(&job(&old)).unwrap();
        // Long enough for some old results, well short of the end.
        let cycles = (shape.latency_cycles() + 80 * shape.passes) as u64;
        for _ in 0..cycles {
            sim.step_collect(&mut found).unwrap();
        }
        let (after, _) = sim.run(&job(&new)).unwrap();
        found.extend(after);
        let old_found: Vec<u32> = found
            .iter()
            .filter(|f| f.tag == 1)
            .map(|f| f.nonce)
            .collect();
        let new_found: Vec<u32> = found
            .iter()
            .filter(|f| f.tag == 2)
            .map(|f| f.nonce)
            .collect();
        assert_eq!(old_found.len() + new_found.len(), found.len());
        assert!(
            !old_found.is_empty(),
            "U={unroll}: no old results before the switch"
        );
        let old_hits = reference_hits(&old);
        assert!(
            old_found.len() < old_hits.len(),
            "the switch came too late to test anything"
        );
        // What the old job reported is a prefix of its reference set.
        assert_eq!(
            old_found,
            old_hits[..old_found.len()].to_vec(),
            "U={unroll}"
        );
        assert_eq!(new_found, reference_hits(&new), "U={unroll}");
    }
}

/// A host that does not read results for a while: the core stalls on its
/// full FIFO and loses nothing.
#[test]
fn full_fifo_stalls_and_loses_nothing() {
    let mut rng = seeded_rng("full_fifo_stalls_and_loses_nothing");
    for unroll in [64, 8, 4, 1] {
        let mut sim = CoreSim::new(unroll).unwrap();
        let work = Work::from_header(&random_header(&mut rng), 77, 50)
            .unwrap()
            .with_threshold(u32::MAX);
        sim.start(&job(&work)).unwrap();
        let budget = 4 * (sim.shape().latency_cycles() + 50 * sim.shape().passes);
        for _ in 0..budget {
            sim.step().unwrap();
        }
        assert!(!sim.done(), "U={unroll}: finished with a full FIFO");
        let mut found = Vec::new();
        let mut guard = 0;
        while !(sim.done() && found.len() == 50) {
            sim.step_collect(&mut found).unwrap();
            guard += 1;
            assert!(guard < 100_000, "U={unroll}: stuck");
        }
        let got = nonces_tagged(&found, 0);
        assert_eq!(got, (77..127).collect::<Vec<u32>>(), "U={unroll}");
    }
}

/// `done` means done: it only rises after the last result is in the FIFO,
/// and a second job on the same core works as well as the first.
#[test]
fn done_follows_the_last_result() {
    let mut sim = CoreSim::new(16).unwrap();
    let b = &real_blocks()[0];
    for _ in 0..2 {
        let work = block_window(b, 0, 0);
        let (found, _) = sim.run(&job(&work)).unwrap();
        assert_eq!(nonces_tagged(&found, 0), vec![b.nonce]);
        assert!(sim.done());
    }
}

/// New work can arrive at any cycle of the period, including the last 16,
/// where a streaming core (U = 1) is already shifting in the message of the
/// nonce it would issue next, and the cycle before a `take`, where a ring
/// of several stages (U = 8) loads its next slot. Switching from random
/// work to a real block's window that *starts* at the block's nonce, at 16
/// cycle offsets spread over the period, must always find that nonce: it
/// is the first slot of the new work, the one streamed in or loaded around
/// the switch.
#[test]
fn new_work_at_every_phase() {
    let mut rng = seeded_rng("new_work_at_every_phase");
    let b = &real_blocks()[0];
    for unroll in [1, 8] {
        let mut sim = CoreSim::new(unroll).unwrap();
        assert_eq!(sim.shape().stream, unroll == 1);
        assert_eq!(sim.shape().loads_at_last_stage, unroll == 8);
        for offset in (0..64).step_by(4) {
            let old = Work::from_header(&random_header(&mut rng), 0, 1000).unwrap();
            let new = block_window(b, 0, 2).with_job_id(7);
            sim.start(&job(&old)).unwrap();
            for _ in 0..200 + offset {
                sim.step().unwrap();
            }
            let (found, _) = sim.run(&job(&new)).unwrap();
            let got = nonces_tagged(&found, 7);
            assert_eq!(got, reference_hits(&new), "U={unroll} offset {offset}");
            assert!(got.contains(&b.nonce), "U={unroll} offset {offset}");
        }
    }
}
