//! Test-only loader for the real block headers in `shared/vectors/blocks.json`.

use serde::Deserialize;

/// Path of the shared vector file (the repository is checked out next to `shared/`).
const BLOCKS_JSON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/blocks.json"
);

/// One entry of `blocks.json`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BlockVector {
    /// Short name, e.g. `mainnet-0`.
    pub name: String,
    /// The 80-byte header, hex, wire order.
    pub header: String,
    /// Block hash in display order (byte-reversed sha256d).
    pub hash: String,
    /// The header's nonce.
    pub nonce: u32,
    /// The header's nBits as 8 hex characters.
    pub bits: String,
}

#[derive(Deserialize)]
struct BlocksFile {
    blocks: Vec<BlockVector>,
}

/// Loads every block vector; panics (test-only) if the file is missing or malformed.
pub(crate) fn blocks() -> Vec<BlockVector> {
    let text = std::fs::read_to_string(BLOCKS_JSON)
        .unwrap_or_else(|e| panic!("cannot read {BLOCKS_JSON}: {e}"));
    let file: BlocksFile =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {BLOCKS_JSON}: {e}"));
    assert!(!file.blocks.is_empty(), "{BLOCKS_JSON} has no blocks");
    file.blocks
}

/// Returns the vector called `name`.
pub(crate) fn block(name: &str) -> BlockVector {
    blocks()
        .into_iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no block named {name} in {BLOCKS_JSON}"))
}

/// Parses the vector's `bits` field.
pub(crate) fn bits_of(v: &BlockVector) -> u32 {
    u32::from_str_radix(&v.bits, 16).unwrap_or_else(|e| panic!("bad bits in {}: {e}", v.name))
}
