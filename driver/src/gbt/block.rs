//! What a miner adds to a block template: the coinbase transaction, the
//! merkle root, the header, and the block to submit.

use super::template::BlockTemplate;
use super::GbtError;
use crate::hash::sha256d;
use crate::header::{BlockHeader, HEADER_LEN};
use std::sync::Arc;

/// Longest coinbase `scriptSig` allowed by consensus.
pub const MAX_COINBASE_SCRIPT: usize = 100;

/// Longest coinbase tag accepted.
pub const MAX_TAG: usize = 64;

/// Version of the coinbase transaction.
const COINBASE_TX_VERSION: u32 = 2;

/// How the miner's coinbase looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinbaseConfig {
    /// The output script that gets the block reward (from the node's
    /// `validateaddress`).
    pub payout_script: Vec<u8>,
    /// Bytes pushed after the height and extranonce (e.g. `/ferrominer/`).
    pub tag: Vec<u8>,
}

/// The coinbase `scriptSig` prefix that BIP 34 requires: the height as
/// Bitcoin Core's `CScript() << height` writes it, which is what its
/// consensus check compares byte for byte. Height 0 is `OP_0`, heights 1 to
/// 16 are `OP_1`..`OP_16`, and larger ones are a push of the minimal
/// little-endian script number (with a `0x00` byte added when the top bit
/// of the last byte is set, since script numbers are signed).
pub fn bip34_height_script(height: u64) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let mut num = Vec::new();
            let mut h = height;
            while h > 0 {
                num.push(h as u8);
                h >>= 8;
            }
            if num.last().is_some_and(|b| b & 0x80 != 0) {
                num.push(0);
            }
            let mut out = vec![num.len() as u8];
            out.extend(num);
            out
        }
    }
}

/// The merkle root of a block's txids (internal byte order, coinbase
/// first): pairs are hashed with double SHA-256 level by level, and an odd
/// last hash is paired with itself.
pub fn merkle_root(txids: &[[u8; 32]]) -> [u8; 32] {
    let Some(first) = txids.first() else {
        return [0; 32];
    };
    let mut level: Vec<[u8; 32]> = txids.to_vec();
    if level.len() == 1 {
        return *first;
    }
    let mut pair = [0u8; 64];
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| {
                pair[..32].copy_from_slice(&c[0]);
                pair[32..].copy_from_slice(c.get(1).unwrap_or(&c[0]));
                sha256d(&pair)
            })
            .collect();
    }
    level[0]
}

/// A Bitcoin CompactSize integer.
fn compact_size(out: &mut Vec<u8>, n: usize) {
    let n = n as u64;
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend((n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend((n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend(n.to_le_bytes());
        }
    }
}

/// A push of `data` (at most 75 bytes) in a script.
fn push(script: &mut Vec<u8>, data: &[u8]) {
    script.push(data.len() as u8);
    script.extend_from_slice(data);
}

/// The coinbase transaction: `(full serialization, txid)`. With a witness
/// commitment, the full form carries the witness reserved value (32 zero
/// bytes), which the commitment in the template was computed with.
fn coinbase_tx(
    template: &BlockTemplate,
    cfg: &CoinbaseConfig,
    extranonce: u64,
) -> Result<(Vec<u8>, [u8; 32]), GbtError> {
    if cfg.tag.len() > MAX_TAG {
        return Err(GbtError::Coinbase(format!(
            "the tag is {} bytes, at most {MAX_TAG}",
            cfg.tag.len()
        )));
    }
    if cfg.payout_script.is_empty() {
        return Err(GbtError::Coinbase("no payout script".into()));
    }
    let mut script_sig = bip34_height_script(template.height);
    push(&mut script_sig, &extranonce.to_le_bytes());
    if !cfg.tag.is_empty() {
        push(&mut script_sig, &cfg.tag);
    }
    if script_sig.len() > MAX_COINBASE_SCRIPT {
        return Err(GbtError::Coinbase(format!(
            "the scriptSig is {} bytes, at most {MAX_COINBASE_SCRIPT}: shorten the tag",
            script_sig.len()
        )));
    }
    let mut outputs = vec![(template.coinbase_value, cfg.payout_script.as_slice())];
    if let Some(c) = &template.witness_commitment {
        outputs.push((0, c.as_slice()));
    }
    // The parts shared by both serializations.
    let mut inputs = Vec::new();
    compact_size(&mut inputs, 1);
    inputs.extend([0u8; 32]);
    inputs.extend(u32::MAX.to_le_bytes());
    compact_size(&mut inputs, script_sig.len());
    inputs.extend(&script_sig);
    inputs.extend(u32::MAX.to_le_bytes());
    compact_size(&mut inputs, outputs.len());
    for (value, script) in outputs {
        inputs.extend(value.to_le_bytes());
        compact_size(&mut inputs, script.len());
        inputs.extend(script);
    }
    let locktime = 0u32.to_le_bytes();
    let mut stripped = COINBASE_TX_VERSION.to_le_bytes().to_vec();
    stripped.extend(&inputs);
    stripped.extend(locktime);
    let txid = sha256d(&stripped);
    if template.witness_commitment.is_none() {
        return Ok((stripped, txid));
    }
    let mut full = COINBASE_TX_VERSION.to_le_bytes().to_vec();
    full.extend([0x00, 0x01]);
    full.extend(&inputs);
    // One witness stack item: the 32-byte reserved value.
    compact_size(&mut full, 1);
    compact_size(&mut full, 32);
    full.extend([0u8; 32]);
    full.extend(locktime);
    Ok((full, txid))
}

/// A block ready to mine: a template with this miner's coinbase (for one
/// extranonce), its merkle root and header.
#[derive(Debug, Clone)]
pub struct Candidate {
    template: Arc<BlockTemplate>,
    coinbase: Vec<u8>,
    header: BlockHeader,
}

impl Candidate {
    /// The candidate for `template` with the coinbase `cfg` describes and
    /// `extranonce` in its scriptSig (each extranonce gives a different
    /// merkle root, so a fresh 2^32 nonce range).
    pub fn new(
        template: Arc<BlockTemplate>,
        cfg: &CoinbaseConfig,
        extranonce: u64,
    ) -> Result<Candidate, GbtError> {
        let (coinbase, coinbase_txid) = coinbase_tx(&template, cfg, extranonce)?;
        let txids: Vec<[u8; 32]> = std::iter::once(coinbase_txid)
            .chain(template.transactions.iter().map(|t| t.txid))
            .collect();
        let root = merkle_root(&txids);
        let mut h = [0u8; HEADER_LEN];
        h[0..4].copy_from_slice(&template.version.to_le_bytes());
        h[4..36].copy_from_slice(template.prev_hash.as_bytes());
        h[36..68].copy_from_slice(&root);
        h[68..72].copy_from_slice(&template.curtime.max(template.mintime).to_le_bytes());
        h[72..76].copy_from_slice(&template.bits.to_le_bytes());
        Ok(Candidate {
            template,
            coinbase,
            header: BlockHeader::new(h),
        })
    }

    /// The header, nonce 0.
    pub fn header(&self) -> BlockHeader {
        self.header
    }

    /// The template it was built from.
    pub fn template(&self) -> &Arc<BlockTemplate> {
        &self.template
    }

    /// The coinbase transaction as it goes into the block.
    pub fn coinbase(&self) -> &[u8] {
        &self.coinbase
    }

    /// The whole block with `nonce`, serialized for `submitblock`.
    pub fn block(&self, nonce: u32) -> Vec<u8> {
        let txs = &self.template.transactions;
        let size =
            HEADER_LEN + 9 + self.coinbase.len() + txs.iter().map(|t| t.data.len()).sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(self.header.with_nonce(nonce).as_bytes());
        compact_size(&mut out, 1 + txs.len());
        out.extend_from_slice(&self.coinbase);
        for t in txs {
            out.extend_from_slice(&t.data);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash256;
    use crate::target::Target;

    #[test]
    fn bip34_heights_match_core_serialization() {
        // Block 227,836's coinbase starts 03 fc 79 03 (height 0x0379fc).
        assert_eq!(bip34_height_script(227_836), [0x03, 0xfc, 0x79, 0x03]);
        assert_eq!(bip34_height_script(0), [0x00]);
        assert_eq!(bip34_height_script(1), [0x51]);
        assert_eq!(bip34_height_script(16), [0x60]);
        assert_eq!(bip34_height_script(17), [0x01, 0x11]);
        assert_eq!(bip34_height_script(127), [0x01, 0x7f]);
        // 128 would read as -0 in one byte: a sign byte is added.
        assert_eq!(bip34_height_script(128), [0x02, 0x80, 0x00]);
        assert_eq!(bip34_height_script(256), [0x02, 0x00, 0x01]);
        assert_eq!(
            bip34_height_script(8_388_608),
            [0x04, 0x00, 0x00, 0x80, 0x00]
        );
    }

    #[test]
    fn merkle_root_of_block_100000() {
        // Its four txids (display order) and merkle root, from the chain.
        let txids = [
            "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
            "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
            "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
            "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
        ]
        .map(|t| *Hash256::from_display_hex(t).unwrap().as_bytes());
        let root = Hash256::new(merkle_root(&txids));
        assert_eq!(
            root.to_display_hex(),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
        );
        // Three: the last is paired with itself.
        let three = merkle_root(&txids[..3]);
        let h = |a: &[u8; 32], b: &[u8; 32]| sha256d(&[a.as_slice(), b].concat());
        assert_eq!(three, h(&h(&txids[0], &txids[1]), &h(&txids[2], &txids[2])));
        assert_eq!(merkle_root(&txids[..1]), txids[0]);
    }

    fn template(commitment: bool, height: u64) -> Arc<BlockTemplate> {
        Arc::new(BlockTemplate {
            version: 0x2000_0000,
            prev_hash: Hash256::new([7; 32]),
            height,
            transactions: vec![super::super::TemplateTx {
                data: vec![1; 60],
                txid: [9; 32],
            }],
            coinbase_value: 5_000_000_000,
            bits: 0x207f_ffff,
            target: Target::from_compact(0x207f_ffff).unwrap(),
            curtime: 1_700_000_000,
            mintime: 1_600_000_000,
            witness_commitment: commitment.then(|| {
                let mut s = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
                s.extend([5; 32]);
                s
            }),
            longpoll_id: None,
        })
    }

    fn cfg() -> CoinbaseConfig {
        CoinbaseConfig {
            payout_script: hex::decode("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap(),
            tag: b"/ferrominer/".to_vec(),
        }
    }

    #[test]
    fn coinbase_layout_and_block_assembly() {
        let c = Candidate::new(template(true, 300), &cfg(), 0x0102).unwrap();
        let cb = c.coinbase();
        // Version 2, segwit marker and flag, one input spending nothing.
        assert_eq!(&cb[..7], &[2, 0, 0, 0, 0, 1, 1]);
        assert_eq!(&cb[7..39], &[0; 32]);
        assert_eq!(&cb[39..43], &[0xff; 4]);
        // scriptSig: height 300 (02 2c 01), the extranonce, the tag.
        let script_len = cb[43] as usize;
        let script = &cb[44..44 + script_len];
        assert_eq!(&script[..3], &[0x02, 0x2c, 0x01]);
        assert_eq!(&script[3..12], &[8, 2, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&script[12..], b"\x0c/ferrominer/");
        // Ends with a one-item witness of 32 zero bytes, then locktime 0.
        assert_eq!(
            &cb[cb.len() - 38..],
            &[&[1u8, 32][..], &[0; 36]].concat()[..]
        );
        // The txid hashes the form without marker, flag and witness.
        let stripped = [&cb[..4], &cb[6..cb.len() - 38], &cb[cb.len() - 4..]].concat();
        let root = merkle_root(&[sha256d(&stripped), [9; 32]]);
        let h = c.header();
        assert_eq!(h.merkle_root().as_bytes(), &root);
        assert_eq!(
            (h.version(), h.bits(), h.time()),
            (0x2000_0000, 0x207f_ffff, 1_700_000_000)
        );
        // Block: header with the nonce, 2 transactions, coinbase, the rest.
        let block = c.block(0xdead_beef);
        assert_eq!(&block[..80], h.with_nonce(0xdead_beef).as_bytes());
        assert_eq!(block[80], 2);
        assert_eq!(&block[81..81 + cb.len()], cb);
        assert_eq!(&block[81 + cb.len()..], &[1; 60]);
        // Another extranonce, another merkle root.
        let d = Candidate::new(template(true, 300), &cfg(), 0x0103).unwrap();
        assert_ne!(d.header().merkle_root(), h.merkle_root());
    }

    #[test]
    fn legacy_coinbase_has_no_witness_and_small_heights_use_op_n() {
        let c = Candidate::new(template(false, 5), &cfg(), 0).unwrap();
        let cb = c.coinbase();
        assert_eq!(&cb[..5], &[2, 0, 0, 0, 1]);
        assert_eq!(cb[42], 0x55, "OP_5 starts the scriptSig");
        let root = merkle_root(&[sha256d(cb), [9; 32]]);
        assert_eq!(c.header().merkle_root().as_bytes(), &root);
    }

    #[test]
    fn oversized_tag_is_an_error() {
        let mut cfg = cfg();
        cfg.tag = vec![b'x'; 80];
        let e = Candidate::new(template(true, 1), &cfg, 0).unwrap_err();
        assert!(e.to_string().contains("tag"), "{e}");
    }
}
