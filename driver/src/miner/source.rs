//! Where work comes from: a given header, or a Stratum v1 pool (a node's
//! templates are in [`super::node`]).

use crate::stratum::{ClientConfig, Event, Job, StratumClient, StratumError};
use crate::target::Target;
use crate::work::{NonceCheck, Work};
use crate::BlockHeader;
use std::sync::Arc;
use std::time::Duration;

/// Where a piece of work came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A header given on the command line.
    Header,
    /// A pool job with the extranonce2 chosen for it.
    Stratum {
        /// The job.
        job: Arc<Job>,
        /// The extranonce2 in the coinbase.
        extranonce2: Vec<u8>,
    },
    /// A node's block template with this miner's coinbase.
    Node(Arc<crate::gbt::Candidate>),
}

/// One board's share of work: a header and a nonce range, with the target
/// a nonce must meet to be worth submitting.
#[derive(Debug, Clone)]
pub struct WorkUnit {
    /// What the board hashes (its `job_id` is set per board).
    pub work: Work,
    /// A verified nonce meeting this target is a share (header mode: the
    /// header's own target, so a share is a block).
    pub share_target: Target,
    /// Where it came from.
    pub origin: Origin,
    /// Bumped by every `clean_jobs` notify: older units are stale.
    pub generation: u64,
}

/// What a source tells the miner after [`WorkSource::poll`].
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// Older work is void: give every board new work now.
    Restart,
    /// A pool's verdict on a share.
    ShareResult {
        /// Accepted by the pool.
        accepted: bool,
        /// The pool's reason for a rejection.
        reason: Option<String>,
    },
    /// A share was dropped before submission (stale job, queue full...).
    ShareDropped(String),
    /// Something the user should see (connection state, pool messages).
    Note(String),
    /// The share difficulty changed.
    Difficulty(f64),
}

/// A supplier of work units and a sink for what they yield.
pub trait WorkSource {
    /// Work for board `board` of `boards`, or `None` if there is none (yet).
    fn next_unit(&mut self, board: usize, boards: usize) -> Option<WorkUnit>;
    /// A verified nonce of `unit` that meets its share target. Returns
    /// whether it was handed on (submitted, or recorded).
    fn share(&mut self, unit: &WorkUnit, nonce: u32, check: &NonceCheck) -> bool;
    /// News since the last call.
    fn poll(&mut self, wait: Duration) -> Vec<SourceEvent>;
    /// Whether `unit` is still worth hashing.
    fn is_current(&self, unit: &WorkUnit) -> bool;
    /// No more work will come (header mode, once every part was handed out).
    fn is_exhausted(&self) -> bool;
}

/// Re-mine a header over a nonce window, split between the boards.
pub struct HeaderSource {
    header: BlockHeader,
    start: u32,
    count: u64,
    parts: Option<Vec<Option<WorkUnit>>>,
}

impl HeaderSource {
    /// Mine `header` over `count` nonces from `start` (its nonce field is
    /// ignored).
    pub fn new(header: BlockHeader, start: u32, count: u64) -> Result<Self, crate::WorkError> {
        // Validate now, so a bad window is an error before any board is used.
        Work::from_header(&header, start, count)?;
        Ok(Self {
            header,
            start,
            count,
            parts: None,
        })
    }
}

impl WorkSource for HeaderSource {
    fn next_unit(&mut self, board: usize, boards: usize) -> Option<WorkUnit> {
        let (header, start, count) = (self.header, self.start, self.count);
        let parts = self.parts.get_or_insert_with(|| {
            let boards = boards.max(1) as u64;
            let size = count.div_ceil(boards);
            (0..boards)
                .map(|i| {
                    let first = i * size;
                    if first >= count {
                        return None;
                    }
                    let n = size.min(count - first);
                    let work = Work::from_header(&header, start + first as u32, n).ok()?;
                    let share_target = work.target().ok()?;
                    Some(WorkUnit {
                        work,
                        share_target,
                        origin: Origin::Header,
                        generation: 0,
                    })
                })
                .collect()
        });
        parts.get_mut(board).and_then(Option::take)
    }

    fn share(&mut self, _unit: &WorkUnit, _nonce: u32, _check: &NonceCheck) -> bool {
        true
    }

    fn poll(&mut self, _wait: Duration) -> Vec<SourceEvent> {
        // Nothing to wait for: the boards' reads pace the loop.
        Vec::new()
    }

    fn is_current(&self, _unit: &WorkUnit) -> bool {
        true
    }

    fn is_exhausted(&self) -> bool {
        self.parts
            .as_ref()
            .is_some_and(|p| p.iter().all(Option::is_none))
    }
}

/// Mine for a Stratum v1 pool. Each work unit gets its own extranonce2
/// and the whole 32-bit nonce range of the header that makes; when the
/// pool's extranonce2 is too small to give every board its own (0 bytes),
/// the boards split the nonce range of each extranonce2 instead.
pub struct StratumSource {
    client: StratumClient,
    job: Option<Arc<Job>>,
    generation: u64,
    /// Work units handed out; wraps round the job's unit space.
    units: u64,
}

impl StratumSource {
    /// Connect to the pool (the client reconnects by itself from then on).
    pub fn connect(config: ClientConfig) -> Result<Self, StratumError> {
        Ok(Self {
            client: StratumClient::start(config)?,
            job: None,
            generation: 0,
            units: 0,
        })
    }

    /// Share counters of the client.
    pub fn stats(&self) -> crate::stratum::ClientStats {
        self.client.stats()
    }
}

/// Work unit number `unit` of a job whose extranonce2 has `size` bytes,
/// shared by `boards` boards: `(extranonce2 counter, first nonce, nonces)`.
/// Units wrap round the job's space, so mining never stops for want of an
/// extranonce2. With at least as many extranonce2 values as boards, each
/// unit is a whole 2^32 nonce range; with fewer, each extranonce2's range
/// is split into `boards` parts.
pub fn unit_of(unit: u64, size: usize, boards: usize) -> (u64, u32, u64) {
    let space = if size >= 8 {
        u64::MAX
    } else {
        1u64 << (8 * size)
    };
    let boards = boards.max(1) as u64;
    let split = if space >= boards { 1 } else { boards };
    let unit = unit % space.saturating_mul(split);
    let part_len = (1u64 << 32).div_ceil(split);
    let start = (unit % split) * part_len;
    let count = part_len.min((1u64 << 32) - start);
    (unit / split, start as u32, count)
}

impl WorkSource for StratumSource {
    fn next_unit(&mut self, _board: usize, boards: usize) -> Option<WorkUnit> {
        let job = self.job.clone()?;
        let (en2, nonce_start, count) = unit_of(self.units, job.extranonce2_size(), boards);
        self.units = self.units.wrapping_add(1);
        let en2 = job.extranonce2(en2).ok()?;
        let work = job.work(&en2, nonce_start, count).ok()?;
        Some(WorkUnit {
            work,
            share_target: *job.target(),
            origin: Origin::Stratum {
                job,
                extranonce2: en2,
            },
            generation: self.generation,
        })
    }

    fn share(&mut self, unit: &WorkUnit, nonce: u32, _check: &NonceCheck) -> bool {
        let Origin::Stratum { job, extranonce2 } = &unit.origin else {
            return false;
        };
        self.client.submit(job.share(extranonce2, nonce)).is_ok()
    }

    fn poll(&mut self, wait: Duration) -> Vec<SourceEvent> {
        let mut out = Vec::new();
        let mut wait = wait;
        while let Some(ev) = self.client.next_event(wait) {
            wait = Duration::ZERO;
            match ev {
                Event::NewJob(job) => {
                    if job.clean() || self.job.is_none() {
                        self.generation += 1;
                        out.push(SourceEvent::Restart);
                    }
                    self.job = Some(job);
                }
                Event::Difficulty(d) => out.push(SourceEvent::Difficulty(d)),
                Event::ShareResult { outcome, .. } => out.push(match outcome {
                    crate::stratum::ShareOutcome::Accepted => SourceEvent::ShareResult {
                        accepted: true,
                        reason: None,
                    },
                    crate::stratum::ShareOutcome::Rejected(e) => SourceEvent::ShareResult {
                        accepted: false,
                        reason: Some(e.to_string()),
                    },
                }),
                Event::ShareDropped { reason, .. } => {
                    out.push(SourceEvent::ShareDropped(format!("{reason:?}")))
                }
                Event::Connected {
                    url, extranonce1, ..
                } => {
                    out.push(SourceEvent::Note(format!("connected to {url}")));
                    // A new session (not resumed): work of the old one is void.
                    if self
                        .job
                        .as_ref()
                        .is_some_and(|j| j.extranonce1() != extranonce1.as_slice())
                    {
                        self.job = None;
                        self.generation += 1;
                        out.push(SourceEvent::Restart);
                    }
                }
                Event::Disconnected { error } => out.push(SourceEvent::Note(match error {
                    Some(e) => format!("pool connection lost: {e}"),
                    None => "pool connection closed".to_string(),
                })),
                Event::Reconnecting { delay, url, .. } => out.push(SourceEvent::Note(format!(
                    "reconnecting to {url} in {:.1} s",
                    delay.as_secs_f64()
                ))),
                Event::PoolMessage(m) => out.push(SourceEvent::Note(format!("pool says: {m}"))),
                Event::Error(e) => out.push(SourceEvent::Note(format!("pool error: {e}"))),
                _ => {}
            }
        }
        out
    }

    fn is_current(&self, unit: &WorkUnit) -> bool {
        unit.generation == self.generation
    }

    fn is_exhausted(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::unit_of;

    #[test]
    fn units_cover_each_extranonce2_once_then_wrap() {
        // 4-byte extranonce2: a whole range per unit, counters 0, 1, 2...
        assert_eq!(unit_of(0, 4, 3), (0, 0, 1 << 32));
        assert_eq!(unit_of(7, 4, 3), (7, 0, 1 << 32));
        // 1 byte: 256 values, then round again instead of stopping.
        assert_eq!(unit_of(255, 1, 2), (255, 0, 1 << 32));
        assert_eq!(unit_of(256, 1, 2), (0, 0, 1 << 32));
        // 8 bytes: no wrap before the counter itself does.
        assert_eq!(unit_of(u64::MAX - 1, 8, 1), (u64::MAX - 1, 0, 1 << 32));
    }

    #[test]
    fn without_extranonce2_the_boards_split_the_nonce_range() {
        // Size 0: one extranonce2 value, three boards: three disjoint parts
        // covering all 2^32 nonces, then round again.
        let parts: Vec<_> = (0..3).map(|u| unit_of(u, 0, 3)).collect();
        let third = (1u64 << 32).div_ceil(3);
        assert_eq!(parts[0], (0, 0, third));
        assert_eq!(parts[1], (0, third as u32, third));
        assert_eq!(parts[2], (0, (2 * third) as u32, (1 << 32) - 2 * third));
        assert_eq!(parts.iter().map(|p| p.2).sum::<u64>(), 1 << 32);
        assert_eq!(unit_of(3, 0, 3), parts[0]);
        // One board: the whole range.
        assert_eq!(unit_of(5, 0, 1), (0, 0, 1 << 32));
    }
}
