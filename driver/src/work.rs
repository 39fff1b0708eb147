//! A unit of work for the gateware, and the host's reference check of the
//! nonces the board reports.

use std::ops::RangeInclusive;

use crate::hash::Hash256;
use crate::header::BlockHeader;
use crate::midstate::{Midstate, Tail};
use crate::target::{Target, TargetError};

/// Why a [`Work`] could not be built.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum WorkError {
    /// The nonce count is zero.
    #[error("nonce count must be at least 1")]
    EmptyRange,
    /// The nonce range runs past `u32::MAX`.
    #[error(
        "nonce range of {count} nonces starting at {start:#010x} runs past u32::MAX \
         (at most {max} nonces fit)"
    )]
    RangeOverflow {
        /// First nonce requested.
        start: u32,
        /// Number of nonces requested.
        count: u64,
        /// Number of nonces from `start` to `u32::MAX` inclusive.
        max: u64,
    },
    /// The header's bits field is not a valid compact target.
    #[error("header has invalid bits: {0}")]
    InvalidBits(#[from] TargetError),
}

/// Exactly what the gateware consumes for one job, plus the header it came from.
///
/// The hardware hashes every nonce in `nonce_start..=nonce_end` from
/// `midstate` and `tail` and reports a nonce when
/// `hash.top_word() <= threshold` (see [`Hash256::top_word`]). That is only
/// a pre-filter: the host re-checks every reported nonce with
/// [`check_nonce`](Self::check_nonce).
///
/// Fields are public so that drivers and simulations can build or tweak jobs
/// directly; [`from_header`](Self::from_header) keeps `midstate` and `tail`
/// consistent with `header`, and code that edits the fields must do so too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Work {
    /// The original 80-byte header (its nonce field is ignored).
    pub header: BlockHeader,
    /// SHA-256 state after header bytes 0..64.
    pub midstate: Midstate,
    /// Header bytes 64..76 as big-endian message words.
    pub tail: Tail,
    /// First nonce to try.
    pub nonce_start: u32,
    /// Last nonce to try (inclusive).
    pub nonce_end: u32,
    /// Report a nonce when `hash.top_word() <= threshold`.
    pub threshold: u32,
    /// Job tag echoed back by the hardware with each reported nonce.
    pub job_id: u8,
}

/// The host's verdict on one nonce, computed in software with `sha2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NonceCheck {
    /// Block hash of the header with this nonce.
    pub hash: Hash256,
    /// `hash.top_word() <= threshold`: the hardware should have reported it.
    pub meets_threshold: bool,
    /// The hash meets the header's own target (a valid block).
    pub meets_target: bool,
}

impl Work {
    /// Builds work for `count` nonces starting at `nonce_start`.
    ///
    /// `count` is a `u64` so that the full 2^32 range can be requested. The
    /// threshold defaults to the top word of the header's own target and
    /// `job_id` to 0.
    ///
    /// Errors: `count == 0`, a range past `u32::MAX`, or header bits that
    /// are not a valid compact target.
    pub fn from_header(
        header: &BlockHeader,
        nonce_start: u32,
        count: u64,
    ) -> Result<Work, WorkError> {
        if count == 0 {
            return Err(WorkError::EmptyRange);
        }
        let max = u64::from(u32::MAX) - u64::from(nonce_start) + 1;
        let nonce_end = u32::try_from(u64::from(nonce_start) + (count - 1)).map_err(|_| {
            WorkError::RangeOverflow {
                start: nonce_start,
                count,
                max,
            }
        })?;
        let target = header.target()?;
        Ok(Work {
            header: *header,
            midstate: Midstate::from_header(header),
            tail: Tail::from_header(header),
            nonce_start,
            nonce_end,
            threshold: target.top_word(),
            job_id: 0,
        })
    }

    /// This work with a different compare threshold.
    #[must_use]
    pub fn with_threshold(mut self, threshold: u32) -> Work {
        self.threshold = threshold;
        self
    }

    /// This work with the threshold set to `target.top_word()`, e.g. for a
    /// pool share target that is easier than the block target.
    #[must_use]
    pub fn with_target(self, target: &Target) -> Work {
        self.with_threshold(target.top_word())
    }

    /// This work with a different job id.
    #[must_use]
    pub fn with_job_id(mut self, job_id: u8) -> Work {
        self.job_id = job_id;
        self
    }

    /// The nonces to try, `nonce_start..=nonce_end` (empty if the fields
    /// were edited so that `nonce_end < nonce_start`).
    pub fn nonces(&self) -> RangeInclusive<u32> {
        self.nonce_start..=self.nonce_end
    }

    /// Number of nonces in the range (0 if `nonce_end < nonce_start`).
    pub fn count(&self) -> u64 {
        (u64::from(self.nonce_end) + 1).saturating_sub(u64::from(self.nonce_start))
    }

    /// Whether `nonce` lies in `nonce_start..=nonce_end`.
    pub fn contains(&self, nonce: u32) -> bool {
        self.nonces().contains(&nonce)
    }

    /// The header with `nonce` filled in.
    pub fn header_for(&self, nonce: u32) -> BlockHeader {
        self.header.with_nonce(nonce)
    }

    /// The header's own target, decoded from its bits.
    pub fn target(&self) -> Result<Target, TargetError> {
        self.header.target()
    }

    /// Reference check of a nonce: full double SHA-256 of the 80-byte header
    /// (not the midstate), compared with `threshold` and the header's target.
    ///
    /// If the header's bits are invalid, `meets_target` is `false`.
    pub fn check_nonce(&self, nonce: u32) -> NonceCheck {
        let hash = self.header_for(nonce).block_hash();
        NonceCheck {
            hash,
            meets_threshold: hash.top_word() <= self.threshold,
            meets_target: self.target().is_ok_and(|t| hash.meets_target(&t)),
        }
    }
}

impl From<&Work> for ferrominer_sim::Job {
    /// The gateware's view of the work: midstate, tail, range, threshold, tag.
    fn from(w: &Work) -> Self {
        ferrominer_sim::Job {
            midstate: w.midstate.0,
            tail: w.tail.0,
            nonce_start: w.nonce_start,
            nonce_end: w.nonce_end,
            threshold: w.threshold,
            tag: w.job_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_vectors::{bits_of, block, blocks};

    fn header(name: &str) -> BlockHeader {
        BlockHeader::from_hex(&block(name).header).unwrap()
    }

    #[test]
    fn real_nonces_pass_the_check() {
        for v in blocks() {
            let h = BlockHeader::from_hex(&v.header).unwrap();
            let work = Work::from_header(&h, v.nonce.saturating_sub(5), 10).unwrap();
            assert!(work.contains(v.nonce), "{}", v.name);
            let check = work.check_nonce(v.nonce);
            assert_eq!(check.hash.to_display_hex(), v.hash, "{}", v.name);
            assert!(check.meets_target && check.meets_threshold, "{}", v.name);
            let expected_threshold = Target::from_compact(bits_of(&v)).unwrap().top_word();
            assert_eq!(work.threshold, expected_threshold, "{}", v.name);
            assert_eq!(work.header_for(v.nonce), h, "{}", v.name);
        }
    }

    #[test]
    fn other_nonces_fail_a_hard_target() {
        let h = header("mainnet-100000");
        let work = Work::from_header(&h, 0, 4).unwrap();
        for nonce in work.nonces() {
            let check = work.check_nonce(nonce);
            assert_eq!(check.hash, h.with_nonce(nonce).block_hash());
            assert!(!check.meets_target, "nonce {nonce}");
        }
    }

    #[test]
    fn threshold_is_a_prefilter() {
        let v = block("mainnet-0");
        let h = BlockHeader::from_hex(&v.header).unwrap();
        let everything = Work::from_header(&h, 0, 1)
            .unwrap()
            .with_threshold(u32::MAX);
        let check = everything.check_nonce(0);
        assert!(check.meets_threshold);
        assert!(!check.meets_target);
        // The regtest hash's top word is 0x0f9188f1 (first 8 display hex digits).
        let r = block("regtest-0");
        let top = u32::from_str_radix(&r.hash[..8], 16).unwrap();
        assert!(top > 0);
        let rh = BlockHeader::from_hex(&r.header).unwrap();
        let work = Work::from_header(&rh, r.nonce, 1).unwrap();
        assert!(
            work.with_threshold(top)
                .check_nonce(r.nonce)
                .meets_threshold
        );
        let strict = work.with_threshold(top - 1).check_nonce(r.nonce);
        assert!(!strict.meets_threshold && strict.meets_target);
        let share = Target::from_difficulty(1.0 / 65536.0).unwrap();
        assert_eq!(everything.with_target(&share).threshold, 0x0000_ffff);
    }

    #[test]
    fn midstate_and_tail_follow_the_header() {
        let h = header("mainnet-0");
        let work = Work::from_header(&h, 7, 1).unwrap().with_job_id(42);
        assert_eq!(work.midstate, Midstate::from_header(&h));
        assert_eq!(work.tail.0, [0x4b1e_5e4a, 0x29ab_5f49, 0xffff_001d]);
        assert_eq!(work.job_id, 42);
        assert_eq!((work.nonce_start, work.nonce_end, work.count()), (7, 7, 1));
        assert_eq!(work.nonces().collect::<Vec<_>>(), vec![7]);
        assert!(!work.contains(6) && !work.contains(8));
    }

    #[test]
    fn full_range_is_allowed() {
        let h = header("mainnet-0");
        let work = Work::from_header(&h, 0, 1 << 32).unwrap();
        assert_eq!((work.nonce_start, work.nonce_end), (0, u32::MAX));
        assert_eq!(work.count(), 1 << 32);
        let last = Work::from_header(&h, u32::MAX, 1).unwrap();
        assert_eq!((last.nonce_start, last.nonce_end), (u32::MAX, u32::MAX));
    }

    #[test]
    fn range_errors() {
        let h = header("mainnet-0");
        assert_eq!(Work::from_header(&h, 0, 0), Err(WorkError::EmptyRange));
        assert_eq!(
            Work::from_header(&h, 0, (1 << 32) + 1),
            Err(WorkError::RangeOverflow {
                start: 0,
                count: (1 << 32) + 1,
                max: 1 << 32
            })
        );
        let err = Work::from_header(&h, u32::MAX, 2).unwrap_err();
        assert_eq!(
            err,
            WorkError::RangeOverflow {
                start: u32::MAX,
                count: 2,
                max: 1
            }
        );
        assert!(err.to_string().contains("u32::MAX"));
        assert!(Work::from_header(&h, 1, u64::MAX).is_err());
    }

    #[test]
    fn invalid_bits_are_rejected() {
        let mut bytes = *header("mainnet-0").as_bytes();
        bytes[72..76].copy_from_slice(&0x1d80_ffff_u32.to_le_bytes());
        let h = BlockHeader::new(bytes);
        assert_eq!(
            Work::from_header(&h, 0, 1),
            Err(WorkError::InvalidBits(TargetError::Negative {
                bits: 0x1d80_ffff
            }))
        );
        // A hand-built Work with bad bits still checks without panicking.
        let mut work = Work::from_header(&header("mainnet-0"), 0, 1).unwrap();
        work.header = h;
        assert!(!work.check_nonce(0).meets_target);
    }

    #[test]
    fn edited_empty_range_is_handled() {
        let mut work = Work::from_header(&header("mainnet-0"), 10, 1).unwrap();
        work.nonce_end = 5;
        assert_eq!(work.count(), 0);
        assert_eq!(work.nonces().count(), 0);
        assert!(!work.contains(7));
    }
}
