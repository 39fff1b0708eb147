//! Jobs: from a `mining.notify` and the session's extranonce to a block
//! header, a share target, and the `mining.submit` of a share.
//!
//! See the [module documentation](super) for the byte-order conventions.

use serde_json::Value;

use super::message::{hex_param, u32_param};
use super::StratumError;
use crate::hash::{sha256d, Hash256};
use crate::header::{BlockHeader, HEADER_LEN};
use crate::target::Target;
use crate::work::Work;

/// Most merkle-branch entries a notify may carry (a block of 2^32 transactions).
pub const MAX_MERKLE_BRANCH: usize = 32;

/// Longest job id accepted from a pool, in bytes.
pub const MAX_JOB_ID_LEN: usize = 256;

/// The previous-block hash from its Stratum form: 64 hex digits that are
/// the header bytes with each 4-byte word reversed.
///
/// Equivalently, the display (block-explorer) hash with its eight 4-byte
/// words in reverse order, digits within each word unchanged.
pub fn prevhash_from_stratum(s: &str) -> Result<Hash256, StratumError> {
    let b = hex_param("mining.notify", "prevhash", Some(&Value::from(s)), Some(32))?;
    let mut out = [0u8; 32];
    for (dst, src) in out.chunks_exact_mut(4).zip(b.chunks_exact(4)) {
        dst.copy_from_slice(&[src[3], src[2], src[1], src[0]]);
    }
    Ok(Hash256::new(out))
}

/// The Stratum form of a previous-block hash (inverse of
/// [`prevhash_from_stratum`]).
pub fn prevhash_to_stratum(h: &Hash256) -> String {
    let mut out = [0u8; 32];
    for (dst, src) in out.chunks_exact_mut(4).zip(h.as_bytes().chunks_exact(4)) {
        dst.copy_from_slice(&[src[3], src[2], src[1], src[0]]);
    }
    hex::encode(out)
}

/// The merkle root of a block whose coinbase transaction is `coinbase`:
/// `h = sha256d(coinbase)`, then `h = sha256d(h || b)` for each branch hash
/// `b` in order (all in internal byte order).
pub fn merkle_root(coinbase: &[u8], branch: &[[u8; 32]]) -> Hash256 {
    let mut h = sha256d(coinbase);
    let mut pair = [0u8; 64];
    for b in branch {
        pair[..32].copy_from_slice(&h);
        pair[32..].copy_from_slice(b);
        h = sha256d(&pair);
    }
    Hash256::new(h)
}

/// The parameters of a `mining.notify`, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notify {
    /// The pool's job id, echoed back in `mining.submit`.
    pub job_id: String,
    /// Previous block hash, internal byte order (as in the header).
    pub prev_hash: Hash256,
    /// Coinbase transaction bytes before extranonce1.
    pub coinb1: Vec<u8>,
    /// Coinbase transaction bytes after extranonce2.
    pub coinb2: Vec<u8>,
    /// Merkle branch of the coinbase, internal byte order.
    pub merkle_branch: Vec<[u8; 32]>,
    /// Block version.
    pub version: u32,
    /// Compact network target (nBits).
    pub nbits: u32,
    /// Block time.
    pub ntime: u32,
    /// Whether older jobs are invalid (new block).
    pub clean_jobs: bool,
}

impl Notify {
    /// Decodes the `params` array of a `mining.notify`:
    /// `[job_id, prevhash, coinb1, coinb2, merkle_branch, version, nbits, ntime, clean_jobs]`.
    ///
    /// Extra trailing parameters are ignored. Errors name the bad field.
    pub fn from_params(params: &Value) -> Result<Notify, StratumError> {
        const M: &str = "mining.notify";
        let p = params
            .as_array()
            .ok_or_else(|| StratumError::field(M, "params", "must be an array"))?;
        if p.len() < 9 {
            return Err(StratumError::field(
                M,
                "params",
                format!("must have at least 9 elements, got {}", p.len()),
            ));
        }
        let job_id = match &p[0] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(StratumError::field(M, "job_id", "must be a string")),
        };
        if job_id.is_empty() || job_id.len() > MAX_JOB_ID_LEN {
            return Err(StratumError::field(
                M,
                "job_id",
                format!("must be 1 to {MAX_JOB_ID_LEN} bytes long"),
            ));
        }
        let prev_hash = match &p[1] {
            Value::String(s) => prevhash_from_stratum(s)?,
            _ => return Err(StratumError::field(M, "prevhash", "must be a hex string")),
        };
        let coinb1 = hex_param(M, "coinb1", Some(&p[2]), None)?;
        let coinb2 = hex_param(M, "coinb2", Some(&p[3]), None)?;
        let branch = p[4]
            .as_array()
            .ok_or_else(|| StratumError::field(M, "merkle_branch", "must be an array"))?;
        if branch.len() > MAX_MERKLE_BRANCH {
            return Err(StratumError::field(
                M,
                "merkle_branch",
                format!(
                    "has {} entries, at most {MAX_MERKLE_BRANCH} allowed",
                    branch.len()
                ),
            ));
        }
        let merkle_branch = branch
            .iter()
            .map(|h| {
                let b = hex_param(M, "merkle_branch", Some(h), Some(32))?;
                Ok(<[u8; 32]>::try_from(b.as_slice()).expect("length checked"))
            })
            .collect::<Result<Vec<_>, StratumError>>()?;
        let version = u32_param(M, "version", Some(&p[5]))?;
        let nbits = u32_param(M, "nbits", Some(&p[6]))?;
        let ntime = u32_param(M, "ntime", Some(&p[7]))?;
        let clean_jobs = p[8]
            .as_bool()
            .ok_or_else(|| StratumError::field(M, "clean_jobs", "must be true or false"))?;
        Ok(Notify {
            job_id,
            prev_hash,
            coinb1,
            coinb2,
            merkle_branch,
            version,
            nbits,
            ntime,
            clean_jobs,
        })
    }

    /// The `params` array of this notify, as a pool sends it.
    pub fn to_params(&self) -> Value {
        serde_json::json!([
            self.job_id,
            prevhash_to_stratum(&self.prev_hash),
            hex::encode(&self.coinb1),
            hex::encode(&self.coinb2),
            self.merkle_branch
                .iter()
                .map(hex::encode)
                .collect::<Vec<_>>(),
            format!("{:08x}", self.version),
            format!("{:08x}", self.nbits),
            format!("{:08x}", self.ntime),
            self.clean_jobs,
        ])
    }

    /// The coinbase transaction: `coinb1 + extranonce1 + extranonce2 + coinb2`.
    pub fn coinbase(&self, extranonce1: &[u8], extranonce2: &[u8]) -> Vec<u8> {
        [&self.coinb1[..], extranonce1, extranonce2, &self.coinb2[..]].concat()
    }

    /// The merkle root for these extranonces.
    pub fn merkle_root(&self, extranonce1: &[u8], extranonce2: &[u8]) -> Hash256 {
        merkle_root(
            &self.coinbase(extranonce1, extranonce2),
            &self.merkle_branch,
        )
    }

    /// The 80-byte header for these extranonces, time and nonce.
    pub fn header(
        &self,
        extranonce1: &[u8],
        extranonce2: &[u8],
        ntime: u32,
        nonce: u32,
    ) -> BlockHeader {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&self.version.to_le_bytes());
        b[4..36].copy_from_slice(self.prev_hash.as_bytes());
        b[36..68].copy_from_slice(self.merkle_root(extranonce1, extranonce2).as_bytes());
        b[68..72].copy_from_slice(&ntime.to_le_bytes());
        b[72..76].copy_from_slice(&self.nbits.to_le_bytes());
        b[76..80].copy_from_slice(&nonce.to_le_bytes());
        BlockHeader::new(b)
    }
}

/// A share: what a miner found and `mining.submit` reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Share {
    /// The job id from the notify.
    pub job_id: String,
    /// The extranonce2 the miner chose (exactly the pool's extranonce2 size).
    pub extranonce2: Vec<u8>,
    /// The block time used (the job's `ntime` unless the miner rolled it).
    pub ntime: u32,
    /// The nonce.
    pub nonce: u32,
}

impl Share {
    /// The `mining.submit` parameters:
    /// `[worker, job_id, extranonce2, ntime, nonce]`, with extranonce2 as
    /// raw hex and `ntime` and `nonce` as 8 hex digits of the integer
    /// big-endian (nonce 0x7c2bac1d, stored `1d ac 2b 7c` in the header, is
    /// sent as `"7c2bac1d"`; this is how ckpool, cgminer and the slush pool
    /// documentation handle it).
    pub fn submit_params(&self, worker: &str) -> Value {
        serde_json::json!([
            worker,
            self.job_id,
            hex::encode(&self.extranonce2),
            format!("{:08x}", self.ntime),
            format!("{:08x}", self.nonce),
        ])
    }
}

/// The reference verdict on a share, computed with `sha2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareCheck {
    /// The block hash of the share's header.
    pub hash: Hash256,
    /// The difficulty the hash achieves (`DIFF1 / hash`).
    pub difficulty: f64,
    /// The hash meets the job's share target.
    pub meets_share_target: bool,
    /// The hash meets the network target of the job's nBits (a block!).
    pub meets_block_target: bool,
}

/// A job ready to mine: a notify, the session's extranonce1 and
/// extranonce2 size, and the share difficulty in force when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    notify: Notify,
    extranonce1: Vec<u8>,
    extranonce2_size: usize,
    difficulty: f64,
    target: Target,
}

impl Job {
    /// A job for `notify` in a session with `extranonce1` and
    /// `extranonce2_size`, at share difficulty `difficulty`.
    ///
    /// Errors if the difficulty is not a positive finite number, or if the
    /// notify's nbits is not a valid compact target (no header could be
    /// hashed against it).
    pub fn new(
        notify: Notify,
        extranonce1: Vec<u8>,
        extranonce2_size: usize,
        difficulty: f64,
    ) -> Result<Job, StratumError> {
        if let Err(e) = Target::from_compact(notify.nbits) {
            return Err(StratumError::field(
                "mining.notify",
                "nbits",
                format!("{:08x}: {e}", notify.nbits),
            ));
        }
        let target = Target::from_difficulty(difficulty)?;
        Ok(Job {
            notify,
            extranonce1,
            extranonce2_size,
            difficulty,
            target,
        })
    }

    /// The notify this job came from.
    pub fn notify(&self) -> &Notify {
        &self.notify
    }

    /// The pool's job id.
    pub fn job_id(&self) -> &str {
        &self.notify.job_id
    }

    /// Whether the notify invalidated all older jobs.
    pub fn clean(&self) -> bool {
        self.notify.clean_jobs
    }

    /// The session's extranonce1.
    pub fn extranonce1(&self) -> &[u8] {
        &self.extranonce1
    }

    /// Size of the extranonce2 the miner chooses, in bytes.
    pub fn extranonce2_size(&self) -> usize {
        self.extranonce2_size
    }

    /// The share difficulty of this job.
    pub fn difficulty(&self) -> f64 {
        self.difficulty
    }

    /// The share target, `Target::from_difficulty(difficulty)`.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Extranonce2 number `counter`: the counter little-endian (as cgminer
    /// does), zero-padded to the extranonce2 size.
    ///
    /// Errors if the counter does not fit in the size.
    pub fn extranonce2(&self, counter: u64) -> Result<Vec<u8>, StratumError> {
        let size = self.extranonce2_size;
        let le = counter.to_le_bytes();
        let used = 8 - counter.leading_zeros() as usize / 8;
        if used > size {
            return Err(StratumError::Extranonce2Overflow { counter, size });
        }
        let mut out = vec![0u8; size];
        out[..used].copy_from_slice(&le[..used]);
        Ok(out)
    }

    fn check_extranonce2(&self, extranonce2: &[u8]) -> Result<(), StratumError> {
        if extranonce2.len() == self.extranonce2_size {
            Ok(())
        } else {
            Err(StratumError::Extranonce2Size {
                expected: self.extranonce2_size,
                got: extranonce2.len(),
            })
        }
    }

    /// The coinbase transaction for `extranonce2`.
    pub fn coinbase(&self, extranonce2: &[u8]) -> Result<Vec<u8>, StratumError> {
        self.check_extranonce2(extranonce2)?;
        Ok(self.notify.coinbase(&self.extranonce1, extranonce2))
    }

    /// The header for `extranonce2` with the job's ntime and nonce 0.
    pub fn header(&self, extranonce2: &[u8]) -> Result<BlockHeader, StratumError> {
        self.check_extranonce2(extranonce2)?;
        Ok(self
            .notify
            .header(&self.extranonce1, extranonce2, self.notify.ntime, 0))
    }

    /// The full header of a share.
    pub fn share_header(&self, share: &Share) -> Result<BlockHeader, StratumError> {
        self.check_extranonce2(&share.extranonce2)?;
        Ok(self.notify.header(
            &self.extranonce1,
            &share.extranonce2,
            share.ntime,
            share.nonce,
        ))
    }

    /// Hardware work for `extranonce2` over `count` nonces from
    /// `nonce_start`, with the share target's top word as threshold.
    pub fn work(
        &self,
        extranonce2: &[u8],
        nonce_start: u32,
        count: u64,
    ) -> Result<Work, StratumError> {
        let header = self.header(extranonce2)?;
        Ok(Work::from_header(&header, nonce_start, count)?.with_target(&self.target))
    }

    /// The share for a nonce found with `extranonce2` at the job's ntime.
    pub fn share(&self, extranonce2: &[u8], nonce: u32) -> Share {
        Share {
            job_id: self.notify.job_id.clone(),
            extranonce2: extranonce2.to_vec(),
            ntime: self.notify.ntime,
            nonce,
        }
    }

    /// The reference check of a share against this job's targets.
    ///
    /// Errors if the extranonce2 has the wrong size (the job id is not compared).
    pub fn check_share(&self, share: &Share) -> Result<ShareCheck, StratumError> {
        let hash = self.share_header(share)?.block_hash();
        let as_target = Target::from_be_bytes(hash.to_be_bytes());
        Ok(ShareCheck {
            hash,
            difficulty: as_target.difficulty(),
            meets_share_target: hash.meets_target(&self.target),
            meets_block_target: Target::from_compact(self.notify.nbits)
                .is_ok_and(|t| hash.meets_target(&t)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::block;
    use serde_json::json;

    /// Real coinbase transactions, well known and checked here against
    /// their txids.
    const GENESIS_COINBASE: &str = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
    const BLOCK1_COINBASE: &str = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0704ffff001d0104ffffffff0100f2052a0100000043410496b538e853519c726a2c91e61ec11600ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a82cbf2342c858eeac00000000";
    const BLOCK100K_COINBASE: &str = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff08044c86041b020602ffffffff0100f2052a010000004341041b0e8c2567c12536aa13357b79a073dc4444acb83c4ec7a0e2f99dd7457516c5817242da796924ca4e99947d087fedf9ce467cb9f7c6287078f801df276fdf84ac00000000";
    /// Block 100000's other transactions (display order, as explorers list them).
    const BLOCK100K_TXIDS: [&str; 3] = [
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    ];

    fn internal(display: &str) -> [u8; 32] {
        *Hash256::from_display_hex(display).unwrap().as_bytes()
    }

    /// Splits a real coinbase into coinb1 / extranonce1 / extranonce2 /
    /// coinb2 as a pool would, cutting inside the scriptSig at `at`.
    fn split(
        coinbase_hex: &str,
        at: usize,
        en1: usize,
        en2: usize,
    ) -> (String, String, String, String) {
        let b = hex::decode(coinbase_hex).unwrap();
        let (c1, rest) = b.split_at(at);
        let (e1, rest) = rest.split_at(en1);
        let (e2, c2) = rest.split_at(en2);
        (
            hex::encode(c1),
            hex::encode(e1),
            hex::encode(e2),
            hex::encode(c2),
        )
    }

    /// A notify written by hand from public block data: prevhash in the
    /// Stratum word order, version/nbits/ntime as big-endian hex.
    fn real_notify(
        coinbase: &str,
        branch: Vec<String>,
        prevhash_stratum: &str,
        version: &str,
        nbits: &str,
        ntime: &str,
    ) -> (Notify, Vec<u8>, Vec<u8>) {
        // 41 bytes of version, input count, null outpoint and the script
        // length byte precede the scriptSig; cut 1 byte into it.
        let (c1, e1, e2, c2) = split(coinbase, 43, 4, 2);
        let params = json!([
            "bf",
            prevhash_stratum,
            c1,
            c2,
            branch,
            version,
            nbits,
            ntime,
            true
        ]);
        let n = Notify::from_params(&params).unwrap();
        (n, hex::decode(e1).unwrap(), hex::decode(e2).unwrap())
    }

    fn check_real(name: &str, n: &Notify, e1: &[u8], e2: &[u8]) {
        let b = block(name);
        let job = Job::new(n.clone(), e1.to_vec(), e2.len(), 1.0).unwrap();
        let share = job.share(e2, b.nonce);
        let header = job.share_header(&share).unwrap();
        assert_eq!(header.to_hex(), b.header, "{name}");
        assert_eq!(header.block_hash().to_display_hex(), b.hash, "{name}");
        let check = job.check_share(&share).unwrap();
        assert!(
            check.meets_block_target && check.meets_share_target,
            "{name}"
        );
        assert!(check.difficulty >= 1.0, "{name}");
        // The notify re-serialises to the same parameters.
        assert_eq!(Notify::from_params(&n.to_params()).unwrap(), *n);
    }

    #[test]
    fn coinbase_txids_are_the_real_ones() {
        for (tx, txid) in [
            (
                GENESIS_COINBASE,
                "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
            ),
            (
                BLOCK1_COINBASE,
                "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098",
            ),
            (
                BLOCK100K_COINBASE,
                "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
            ),
        ] {
            let h = Hash256::new(sha256d(&hex::decode(tx).unwrap()));
            assert_eq!(h.to_display_hex(), txid);
        }
    }

    #[test]
    fn genesis_block_from_a_notify() {
        let (n, e1, e2) = real_notify(
            GENESIS_COINBASE,
            vec![],
            &"0".repeat(64),
            "00000001",
            "1d00ffff",
            "495fab29",
        );
        check_real("mainnet-0", &n, &e1, &e2);
    }

    #[test]
    fn block_1_from_a_notify() {
        // Block 1's parent is the genesis block,
        // 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f:
        // the same eight words in reverse order.
        let prev = "0a8ce26f72b3f1b646a2a6c14ff763ae65831e939c085ae10019d66800000000";
        let (n, e1, e2) = real_notify(
            BLOCK1_COINBASE,
            vec![],
            prev,
            "00000001",
            "1d00ffff",
            "4966bc61",
        );
        assert_eq!(
            n.prev_hash.to_display_hex(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        check_real("mainnet-1", &n, &e1, &e2);
    }

    #[test]
    fn block_100000_from_a_notify_with_a_merkle_branch() {
        // Parent 000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250,
        // words reversed.
        let prev = "1901125004612a1701c3a621d930d31d36b607df1fccc2160002d01c00000000";
        let [t1, t2, t3] = BLOCK100K_TXIDS.map(internal);
        let branch = vec![hex::encode(t1), hex::encode(sha256d(&[t2, t3].concat()))];
        let (n, e1, e2) = real_notify(
            BLOCK100K_COINBASE,
            branch,
            prev,
            "00000001",
            "1b04864c",
            "4d1b2237",
        );
        assert_eq!(
            n.merkle_root(&e1, &e2).to_display_hex(),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
        );
        check_real("mainnet-100000", &n, &e1, &e2);
    }

    #[test]
    fn prevhash_word_order() {
        let display = "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250";
        let h = Hash256::from_display_hex(display).unwrap();
        let s = prevhash_to_stratum(&h);
        assert_eq!(
            s,
            "1901125004612a1701c3a621d930d31d36b607df1fccc2160002d01c00000000"
        );
        // Equivalently: the display hex's 8-digit words in reverse order.
        let words: Vec<&str> = (0..8).rev().map(|i| &display[8 * i..8 * i + 8]).collect();
        assert_eq!(s, words.concat());
        assert_eq!(prevhash_from_stratum(&s).unwrap(), h);
        assert!(prevhash_from_stratum("00").is_err());
    }

    #[test]
    fn difficulty_to_target() {
        let t = |d: f64| {
            Job::new(sample_notify(), vec![], 4, d)
                .unwrap()
                .target()
                .to_hex()
        };
        assert_eq!(t(1.0), format!("00000000ffff{}", "0".repeat(52)));
        assert_eq!(t(0.5), format!("00000001fffe{}", "0".repeat(52)));
        assert_eq!(t(1024.0), format!("00000000003fffc{}", "0".repeat(49)));
        assert!(Job::new(sample_notify(), vec![], 4, 0.0).is_err());
        assert!(Job::new(sample_notify(), vec![], 4, f64::NAN).is_err());
    }

    #[test]
    fn a_notify_with_unusable_nbits_is_refused_up_front() {
        // Zero, a negative target (sign bit) and one past 256 bits: no
        // header could be checked against them, so no job is made.
        for nbits in [0, 0x0380_0000, 0x2300_ffff] {
            let n = Notify {
                nbits,
                ..sample_notify()
            };
            let e = Job::new(n, vec![], 4, 1.0).unwrap_err();
            assert!(e.to_string().contains("nbits"), "{nbits:08x}: {e}");
        }
    }

    fn sample_notify() -> Notify {
        Notify {
            job_id: "4a2f".into(),
            prev_hash: Hash256::new([7; 32]),
            coinb1: vec![1, 2, 3],
            coinb2: vec![4, 5],
            merkle_branch: vec![[9; 32]],
            version: 0x2000_0000,
            nbits: 0x1703_4219,
            ntime: 0x6650_0000,
            clean_jobs: false,
        }
    }

    #[test]
    fn extranonce2_counter() {
        let job = Job::new(sample_notify(), vec![0xaa], 3, 1.0).unwrap();
        assert_eq!(job.extranonce2(0).unwrap(), [0, 0, 0]);
        assert_eq!(job.extranonce2(0x0102).unwrap(), [2, 1, 0]);
        assert_eq!(job.extranonce2(0xff_ffff).unwrap(), [0xff; 3]);
        assert_eq!(
            job.extranonce2(0x100_0000),
            Err(StratumError::Extranonce2Overflow {
                counter: 0x100_0000,
                size: 3
            })
        );
        assert_eq!(
            job.header(&[1]),
            Err(StratumError::Extranonce2Size {
                expected: 3,
                got: 1
            })
        );
        assert_eq!(
            job.coinbase(&[7, 8, 9]).unwrap(),
            [1, 2, 3, 0xaa, 7, 8, 9, 4, 5]
        );
    }

    #[test]
    fn work_uses_the_share_target() {
        // Difficulty 2^-28: about one nonce in 16 meets the share target.
        let job = Job::new(sample_notify(), vec![0xaa], 2, 1.0 / f64::from(1u32 << 28)).unwrap();
        let w = job.work(&[0, 1], 100, 64).unwrap();
        assert_eq!(w.threshold, job.target().top_word());
        assert_eq!(w.header, job.header(&[0, 1]).unwrap());
        assert_eq!((w.nonce_start, w.nonce_end), (100, 163));
        // The nonces the work reports are exactly the shares here (the
        // top-word pre-filter is only inexact when a hash's top word equals
        // the target's, odds 2^-32 per nonce).
        let hits: Vec<u32> = w
            .nonces()
            .filter(|&n| w.check_nonce(n).meets_threshold)
            .collect();
        assert!(!hits.is_empty());
        for n in w.nonces() {
            let c = job.check_share(&job.share(&[0, 1], n)).unwrap();
            assert_eq!(c.hash, w.check_nonce(n).hash);
            assert_eq!(c.meets_share_target, hits.contains(&n), "nonce {n}");
            assert_eq!(c.meets_share_target, c.difficulty >= job.difficulty());
        }
    }

    #[test]
    fn notify_errors_name_the_field() {
        let good = sample_notify().to_params();
        for (i, bad, want) in [
            (0, json!(null), "job_id"),
            (0, json!(""), "job_id"),
            (1, json!("abcd"), "prevhash"),
            (2, json!("0g"), "coinb1"),
            (3, json!(12), "coinb2"),
            (4, json!(["00"]), "merkle_branch"),
            (4, json!("x"), "merkle_branch"),
            (5, json!("2000000"), "version"),
            (6, json!(0x1d00ffff), "nbits"),
            (7, json!("zzzzzzzz"), "ntime"),
            (8, json!("true"), "clean_jobs"),
        ] {
            let mut p = good.clone();
            p[i] = bad;
            let e = Notify::from_params(&p).unwrap_err().to_string();
            assert!(
                e.contains(&format!("invalid {want} in mining.notify")),
                "{i}: {e}"
            );
        }
        let mut p = good.clone();
        p[4] = json!(vec![hex::encode([0u8; 32]); 33]);
        assert!(Notify::from_params(&p).is_err());
        // Numeric job ids are accepted and kept as text.
        let mut p = good;
        p[0] = json!(17);
        assert_eq!(Notify::from_params(&p).unwrap().job_id, "17");
    }

    #[test]
    fn submit_line_snapshot() {
        // Genesis nonce 2083236893 = 0x7c2bac1d (header bytes 1d ac 2b 7c).
        let share = Share {
            job_id: "4a2f".into(),
            extranonce2: vec![0, 0, 0, 1],
            ntime: 0x495f_ab29,
            nonce: 2_083_236_893,
        };
        insta::assert_snapshot!(
            super::super::message::request_line(7, "mining.submit", &share.submit_params("alice.rig1")),
            @r#"{"id":7,"method":"mining.submit","params":["alice.rig1","4a2f","00000001","495fab29","7c2bac1d"]}"#
        );
        insta::assert_snapshot!(
            serde_json::to_string(&sample_notify().to_params()).unwrap(),
            @r#"["4a2f","0707070707070707070707070707070707070707070707070707070707070707","010203","0405",["0909090909090909090909090909090909090909090909090909090909090909"],"20000000","17034219","66500000",false]"#
        );
    }
}
