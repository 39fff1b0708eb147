//! Mining with one or more boards: work from a [`WorkSource`], every nonce
//! a board reports verified with the software reference, progress reported
//! through a [`MinerObserver`].
//!
//! Nothing found is lost: each reported nonce is checked against the work
//! it was reported for (the last few works of each board are kept, so a
//! result that arrives after new work was sent is still checked), and is
//! then either a share (handed to the source), a nonce that meets only the
//! board's threshold (counted and dropped), or a hardware error (counted,
//! never submitted). A board whose port disappears is reopened with
//! backoff, and the work that was in flight is sent again.

pub mod node;
pub mod source;

pub use node::{NodeConfig, NodeSource};
pub use source::{HeaderSource, Origin, SourceEvent, StratumSource, WorkSource, WorkUnit};

use crate::device::{Device, DeviceError, Reported};
use crate::protocol::{Ident, SetWork};
use crate::transport::Transport;
use crate::work::NonceCheck;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

/// How many of a board's past works are kept to verify late results.
const RECENT_WORKS: usize = 8;
/// How often each board is asked for its progress.
const STATUS_INTERVAL: Duration = Duration::from_millis(250);

/// A verified nonce that meets its share target.
#[derive(Debug, Clone)]
pub struct FoundShare {
    /// Board index.
    pub board: usize,
    /// The nonce.
    pub nonce: u32,
    /// Its verification.
    pub check: NonceCheck,
    /// The work it was found in.
    pub unit: WorkUnit,
    /// It was handed on to the source (submitted).
    pub submitted: bool,
}

/// Counters of a mining run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinerStats {
    /// Seconds since the start.
    pub uptime: f64,
    /// Hash rate per board (H/s), from each board's reported progress.
    pub board_rates: Vec<f64>,
    /// Total hash rate (H/s).
    pub total_rate: f64,
    /// Nonces hashed, from progress reports.
    pub hashes: u64,
    /// Verified nonces meeting their share target.
    pub shares: u64,
    /// Shares the pool accepted.
    pub accepted: u64,
    /// Shares the pool rejected.
    pub rejected: u64,
    /// Nonces that meet the board threshold but not the share target.
    pub below_target: u64,
    /// Nonces that fail verification: never submitted.
    pub hardware_errors: u64,
    /// Results for work the host no longer knows (e.g. from before a
    /// restart of the host).
    pub unknown_job: u64,
    /// Blocks found (hash meets the header's network target).
    pub blocks: u64,
    /// Nonces reported again for the same work (after a command was
    /// repeated on a noisy line): counted, never submitted twice.
    pub duplicates: u64,
    /// Line counters summed over the boards.
    pub line: crate::device::LineStats,
}

/// Progress callbacks, in the style of espflash's `ProgressCallbacks`.
/// Every method has an empty default.
pub trait MinerObserver {
    /// A board answered `IDENTIFY`.
    fn board_ready(&mut self, _board: usize, _port: &str, _ident: &Ident) {}
    /// A board got new work.
    fn work_sent(&mut self, _board: usize, _unit: &WorkUnit, _job_id: u8) {}
    /// A verified share (or block) was found.
    fn share_found(&mut self, _found: &FoundShare) {}
    /// A board reported a nonce that fails verification.
    fn hardware_error(&mut self, _board: usize, _job_id: u8, _nonce: u32) {}
    /// A board's port failed; it will be reopened.
    fn board_lost(&mut self, _board: usize, _error: &DeviceError) {}
    /// A board is back; its work was sent again.
    fn board_back(&mut self, _board: usize) {}
    /// News from the source (pool verdicts, connection notes).
    fn source_event(&mut self, _event: &SourceEvent) {}
    /// Periodic counters (about twice a second).
    fn stats(&mut self, _stats: &MinerStats) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl MinerObserver for Quiet {}

/// When a run stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopAfter {
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many shares.
    pub shares: Option<u64>,
}

enum Link {
    Up,
    Down {
        retry_at: Instant,
        backoff: Duration,
    },
}

struct BoardSlot {
    device: Device<Box<dyn Transport>>,
    ident: Option<Ident>,
    link: Link,
    current: Option<(u8, WorkUnit)>,
    recent: VecDeque<(u8, WorkUnit)>,
    next_job: u8,
    last_status: Instant,
    /// When the current work was sent.
    work_sent: Instant,
    last_progress: u32,
    rate: f64,
    hashes: u64,
    /// Shares already taken, per (job id, nonce), for the works kept.
    seen: HashSet<(u8, u32)>,
}

impl BoardSlot {
    /// The board's work is over (done, stale or replaced): keep it among
    /// the recent works, so that nonces the board still reports for it are
    /// verified, not lost.
    fn retire_current(&mut self) {
        if let Some(old) = self.current.take() {
            self.recent.push_back(old);
            while self.recent.len() > RECENT_WORKS {
                self.recent.pop_front();
            }
        }
    }
}

/// Boards mining together.
pub struct Miner {
    boards: Vec<BoardSlot>,
    stats: MinerStats,
    started: Instant,
    last_stats: Instant,
}

impl Miner {
    /// Boards on `transports`, each identified before mining starts.
    pub fn new(
        transports: Vec<Box<dyn Transport>>,
        observer: &mut dyn MinerObserver,
    ) -> Result<Self, DeviceError> {
        let mut boards = Vec::new();
        for (i, t) in transports.into_iter().enumerate() {
            let mut device = Device::new(t);
            let ident = device.identify()?;
            observer.board_ready(i, &device.name(), &ident);
            boards.push(BoardSlot {
                device,
                ident: Some(ident),
                link: Link::Up,
                current: None,
                recent: VecDeque::new(),
                next_job: 1,
                last_status: Instant::now(),
                work_sent: Instant::now(),
                last_progress: 0,
                rate: 0.0,
                hashes: 0,
                seen: HashSet::new(),
            });
        }
        let n = boards.len();
        Ok(Self {
            boards,
            stats: MinerStats {
                board_rates: vec![0.0; n],
                ..Default::default()
            },
            started: Instant::now(),
            last_stats: Instant::now(),
        })
    }

    /// The identity each board reported.
    pub fn idents(&self) -> Vec<Option<Ident>> {
        self.boards.iter().map(|b| b.ident).collect()
    }

    /// Counters so far.
    pub fn stats(&self) -> &MinerStats {
        &self.stats
    }

    fn line_stats(&self) -> crate::device::LineStats {
        let mut sum = crate::device::LineStats::default();
        for b in &self.boards {
            let s = b.device.stats();
            sum.frames += s.frames;
            sum.bad_frames += s.bad_frames;
            sum.board_errors += s.board_errors;
            sum.retries += s.retries;
            sum.repeated_results += s.repeated_results;
            sum.sent += s.sent;
        }
        sum
    }

    /// Mine until `stop`, or until a header source is exhausted and every
    /// board has finished.
    pub fn run(
        &mut self,
        source: &mut dyn WorkSource,
        observer: &mut dyn MinerObserver,
        stop: StopAfter,
    ) -> MinerStats {
        loop {
            for i in 0..self.boards.len() {
                self.service(i, source, observer);
            }
            for ev in source.poll(Duration::from_millis(2)) {
                match &ev {
                    SourceEvent::Restart => {
                        for b in &mut self.boards {
                            b.retire_current();
                        }
                    }
                    SourceEvent::ShareResult { accepted, .. } => {
                        if *accepted {
                            self.stats.accepted += 1;
                        } else {
                            self.stats.rejected += 1;
                        }
                    }
                    _ => {}
                }
                observer.source_event(&ev);
            }
            self.stats.uptime = self.started.elapsed().as_secs_f64();
            if self.last_stats.elapsed() >= Duration::from_millis(500) {
                self.last_stats = Instant::now();
                observer.stats(&self.stats);
            }
            let done = source.is_exhausted()
                && self
                    .boards
                    .iter()
                    .all(|b| b.current.is_none() && matches!(b.link, Link::Up));
            let timed_out = stop.duration.is_some_and(|d| self.started.elapsed() >= d);
            let enough = stop.shares.is_some_and(|n| self.stats.shares >= n);
            if done || timed_out || enough {
                // A last progress reading, so short runs report their hashes.
                for i in 0..self.boards.len() {
                    if matches!(self.boards[i].link, Link::Up) && self.boards[i].current.is_some() {
                        let _ = self.progress(i);
                    }
                }
                self.stats.uptime = self.started.elapsed().as_secs_f64();
                self.stats.line = self.line_stats();
                observer.stats(&self.stats);
                return self.stats.clone();
            }
        }
    }

    fn service(&mut self, i: usize, source: &mut dyn WorkSource, obs: &mut dyn MinerObserver) {
        if let Link::Down { retry_at, backoff } = self.boards[i].link {
            if Instant::now() < retry_at {
                return;
            }
            match self.reconnect(i) {
                Ok(()) => obs.board_back(i),
                Err(e) => {
                    let backoff = (backoff * 2).min(Duration::from_secs(10));
                    self.boards[i].link = Link::Down {
                        retry_at: Instant::now() + backoff,
                        backoff,
                    };
                    let _ = e;
                    return;
                }
            }
        }
        if let Err(e) = self.step(i, source, obs) {
            obs.board_lost(i, &e);
            let backoff = Duration::from_millis(250);
            self.boards[i].link = Link::Down {
                retry_at: Instant::now() + backoff,
                backoff,
            };
        }
    }

    /// Reopen a lost board and send its work again.
    fn reconnect(&mut self, i: usize) -> Result<(), DeviceError> {
        let b = &mut self.boards[i];
        b.device.transport_mut().reopen()?;
        b.device.reset_line();
        b.ident = Some(b.device.identify()?);
        if let Some((job, unit)) = &b.current {
            b.device.set_work(&set_work(*job, unit))?;
            b.last_progress = 0;
            b.work_sent = Instant::now();
        }
        b.link = Link::Up;
        Ok(())
    }

    fn step(
        &mut self,
        i: usize,
        source: &mut dyn WorkSource,
        obs: &mut dyn MinerObserver,
    ) -> Result<(), DeviceError> {
        let n = self.boards.len();
        // New work when the board has none, or its work went stale.
        let stale = self.boards[i]
            .current
            .as_ref()
            .is_some_and(|(_, u)| !source.is_current(u));
        if self.boards[i].current.is_none() || stale {
            if let Some(unit) = source.next_unit(i, n) {
                let b = &mut self.boards[i];
                let job = b.next_job;
                b.next_job = b.next_job.wrapping_add(1).max(1);
                b.device.set_work(&set_work(job, &unit))?;
                obs.work_sent(i, &unit, job);
                b.last_progress = 0;
                b.last_status = Instant::now();
                b.work_sent = Instant::now();
                b.seen.retain(|(j, _)| *j != job);
                b.retire_current();
                b.current = Some((job, unit));
            } else if stale {
                self.boards[i].retire_current();
            }
        }
        let results = self.boards[i].device.poll(Duration::from_millis(3))?;
        for r in results {
            self.verify(i, r, source, obs);
        }
        if self.boards[i].last_status.elapsed() >= STATUS_INTERVAL {
            self.progress(i)?;
            for r in self.boards[i].device.take_results() {
                self.verify(i, r, source, obs);
            }
        }
        Ok(())
    }

    /// Ask for progress; a finished range frees the board for new work.
    fn progress(&mut self, i: usize) -> Result<(), DeviceError> {
        let b = &mut self.boards[i];
        let status = b.device.status()?;
        let dt = b.last_status.elapsed().as_secs_f64();
        b.last_status = Instant::now();
        let cores = b.ident.map_or(1, |id| u64::from(id.cores.max(1)));
        // Per core, the board cannot have issued more nonces since the
        // work was sent than its clock allows (with a wide margin: an
        // emulated board's clock is an estimate). A reading beyond that is
        // one the board gave while still loading the work (its first few
        // dozen cycles), so its progress is not counted.
        let per_core_rate = b.ident.map_or(f64::INFINITY, |id| {
            id.nominal_hash_rate() / f64::from(id.cores.max(1))
        });
        let since_work = b.work_sent.elapsed().as_secs_f64() + 0.05;
        let plausible = f64::from(status.progress) <= per_core_rate * since_work * 8.0 + 65_536.0;
        if let Some((job, unit)) = b.current.as_ref().filter(|_| plausible) {
            if status.job_id == *job {
                let delta = status.progress.saturating_sub(b.last_progress);
                b.last_progress = status.progress;
                let hashed = (u64::from(delta) * cores).min(unit.work.count());
                b.hashes += hashed;
                self.stats.hashes += hashed;
                let inst = hashed as f64 / dt.max(1e-3);
                b.rate = if b.rate == 0.0 {
                    inst
                } else {
                    0.7 * b.rate + 0.3 * inst
                };
                if !status.busy && status.pending == 0 {
                    b.retire_current();
                }
            }
        }
        self.stats.board_rates[i] = b.rate;
        self.stats.total_rate = self.stats.board_rates.iter().sum();
        self.stats.line = self.line_stats();
        Ok(())
    }

    /// Check a reported nonce against the work it was reported for.
    fn verify(
        &mut self,
        i: usize,
        r: Reported,
        source: &mut dyn WorkSource,
        obs: &mut dyn MinerObserver,
    ) {
        let b = &self.boards[i];
        let unit = b
            .current
            .iter()
            .chain(b.recent.iter().rev())
            .find(|(job, _)| *job == r.job_id)
            .map(|(_, u)| u.clone());
        let Some(unit) = unit else {
            self.stats.unknown_job += 1;
            return;
        };
        let check = unit.work.check_nonce(r.nonce);
        if !check.meets_threshold || !unit.work.contains(r.nonce) {
            self.stats.hardware_errors += 1;
            obs.hardware_error(i, r.job_id, r.nonce);
            return;
        }
        if !check.hash.meets_target(&unit.share_target) {
            self.stats.below_target += 1;
            return;
        }
        if !self.boards[i].seen.insert((r.job_id, r.nonce)) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.shares += 1;
        if check.meets_target {
            self.stats.blocks += 1;
        }
        let submitted = source.share(&unit, r.nonce, &check);
        obs.share_found(&FoundShare {
            board: i,
            nonce: r.nonce,
            check,
            unit,
            submitted,
        });
    }
}

/// The protocol's `SET_WORK` for a unit under job id `job`.
pub fn set_work(job: u8, unit: &WorkUnit) -> SetWork {
    SetWork {
        job_id: job,
        ..SetWork::from(&unit.work)
    }
}
