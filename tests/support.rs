//! Shared helpers for ferrominer's workspace-level integration tests.

pub mod node;
pub mod pool;

use ferrominer::{BlockHeader, Work};
use ferrominer_sim::{FoundNonce, Job};
use rand::{Rng, SeedableRng};
use serde::Deserialize;

/// One real block from `shared/vectors/blocks.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Block {
    /// Short name, e.g. `mainnet-0`.
    pub name: String,
    /// The 80-byte header in hex, wire order.
    pub header: String,
    /// Block hash in display order.
    pub hash: String,
    /// The header's nonce.
    pub nonce: u32,
}

#[derive(Deserialize)]
struct BlocksFile {
    blocks: Vec<Block>,
}

/// A board running the real gateware in rust-hdl's simulator, in-process
/// (the driver's hardware-free back end), with short protocol timeouts.
pub fn sim_board(unroll: usize, cores: usize) -> ferrominer::transport::SimulatedBoard {
    let cfg = ferrominer_hdl::protocol::EngineConfig {
        unroll,
        cores,
        clock_hz: 1_000_000,
        timeout_cycles: 2_000,
        resend_cycles: 4_000,
        icarus_first_nonce: 0,
        t1: ferrominer_hdl::round::T1Adder::Plain,
    };
    ferrominer::transport::SimulatedBoard::start(cfg, ferrominer_hdl::board::Protocol::Native)
        .expect("the simulated board starts")
}

/// Path of the shared test vectors, next to the repository checkout.
pub fn vectors_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/blocks.json")
}

/// The real block headers of `shared/vectors/blocks.json`.
pub fn real_blocks() -> Vec<Block> {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: BlocksFile = serde_json::from_str(&text).expect("blocks.json is malformed");
    assert!(!file.blocks.is_empty());
    file.blocks
}

/// The nonces of `work` whose sha256d (computed with `sha2`) meets its
/// threshold, in order: what the hardware must report.
pub fn reference_hits(work: &Work) -> Vec<u32> {
    work.nonces()
        .filter(|n| work.check_nonce(*n).meets_threshold)
        .collect()
}

/// The nonces of `found`, checking every tag is `tag`.
pub fn nonces_tagged(found: &[FoundNonce], tag: u8) -> Vec<u32> {
    found
        .iter()
        .map(|f| {
            assert_eq!(f.tag, tag, "result {f:?} carries the wrong tag");
            f.nonce
        })
        .collect()
}

/// A header with random bytes (so a random midstate and tail), except for a
/// valid `bits` field (random bits are rarely a valid compact target).
pub fn random_header(rng: &mut impl Rng) -> BlockHeader {
    let mut bytes = [0u8; 80];
    rng.fill(&mut bytes[..]);
    bytes[72..76].copy_from_slice(&0x1d00_ffff_u32.to_le_bytes());
    BlockHeader::new(bytes)
}

/// A seeded RNG, so a failure can be reproduced; the seed is printed.
pub fn seeded_rng(name: &str) -> rand::rngs::StdRng {
    let seed: u64 = std::env::var("FERROMINER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("{name}: FERROMINER_SEED={seed}");
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// Work on the block `b` from `below` nonces under its nonce to `after` past it,
/// with the header's own target as threshold.
pub fn block_window(b: &Block, below: u32, after: u32) -> Work {
    let header: BlockHeader = b.header.parse().expect("bad header in blocks.json");
    let start = b.nonce.saturating_sub(below);
    Work::from_header(&header, start, u64::from(b.nonce - start + after) + 1).unwrap()
}

/// The sim crate's job for a `Work`.
pub fn job(work: &Work) -> Job {
    Job::from(work)
}
