//! `ferrominer fit`: find the best (unroll, cores, clock) for a board.
//!
//! Candidates are tried from the smallest hashing capacity (U × N) up. Each
//! one is built at a starting clock; if timing fails, it is built again just
//! below the Fmax nextpnr achieved, and if timing is met with room to spare,
//! it is built again just below the Fmax too, keeping the first build if the
//! faster one misses (see [`next_clock`]). Area grows linearly with the number of
//! round stages, so once two builds are known the next candidate's area is
//! predicted, and candidates predicted not to fit are skipped (and so are
//! those larger than one that did not fit). The best fitting, timing-clean
//! build (highest hash rate at the clock it was built for) wins. With
//! `seeds`, the winner is then placed again with other nextpnr seeds, each
//! aiming a little above the best clean clock so far (see [`seed_clock`]).

use super::report::BuildReport;
use super::{build, BuildError, BuildOptions, BuildProgress, Design};
use crate::boards::Board;
use ferrominer_hdl::CoreShape;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Unroll factors `fit` tries.
pub const FIT_UNROLLS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Core counts `fit` tries.
pub const FIT_CORES: [usize; 4] = [1, 2, 4, 8];

/// How a fit runs.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Where each attempt's build directory goes.
    pub out_dir: std::path::PathBuf,
    /// Stop starting builds after this long.
    pub budget: Option<Duration>,
    /// The clock each candidate is first built at, MHz.
    pub start_mhz: f64,
    /// Only try these unroll factors (default [`FIT_UNROLLS`]).
    pub unrolls: Vec<usize>,
    /// Only try these core counts (default [`FIT_CORES`]).
    pub cores: Vec<usize>,
    /// How synthesis maps multi-word sums.
    pub adders: super::Adders,
    /// Which nextpnr router to run.
    pub router: super::Router,
    /// nextpnr's random seed for every build (`None` = its default).
    pub seed: Option<u64>,
    /// After the search, build the best candidate again with nextpnr seeds
    /// 1 to `seeds` (0: don't).
    pub seeds: u64,
}

/// What happened to one candidate.
#[derive(Debug, Clone, Serialize)]
pub struct FitAttempt {
    /// Round stages per transform.
    pub unroll: usize,
    /// Cores.
    pub cores: usize,
    /// The hash clock built for (MHz), if a build ran.
    pub clock_mhz: Option<f64>,
    /// The nextpnr seed of a seed-sweep build (`None`: the fit's own seed).
    pub seed: Option<u64>,
    /// The build directory of the report below.
    pub dir: Option<std::path::PathBuf>,
    /// The outcome in words: "fits", "timing failed", "does not fit", ...
    pub outcome: String,
    /// The build report of the last build of this candidate.
    pub report: Option<BuildReport>,
    /// Hash rate at the clock built for, if it fits and meets timing (H/s).
    pub hash_rate: Option<f64>,
}

impl FitAttempt {
    fn new(unroll: usize, cores: usize, seed: Option<u64>) -> Self {
        Self {
            unroll,
            cores,
            clock_mhz: None,
            seed,
            dir: None,
            outcome: String::new(),
            report: None,
            hash_rate: None,
        }
    }
}

/// The result of a fit.
#[derive(Debug, Clone, Serialize)]
pub struct FitResult {
    /// Board id.
    pub board: String,
    /// Every candidate, in the order tried.
    pub attempts: Vec<FitAttempt>,
    /// Index of the best attempt.
    pub best: Option<usize>,
    /// Seconds spent.
    pub seconds: f64,
}

/// Fit progress callbacks.
pub trait FitProgress {
    /// A build of a candidate starts (`seed`: in the seed sweep).
    fn building(&mut self, _unroll: usize, _cores: usize, _clock_mhz: f64, _seed: Option<u64>) {}
    /// A candidate is settled.
    fn attempt(&mut self, _attempt: &FitAttempt) {}
    /// While a build's tool runs: what it is doing (see
    /// [`BuildProgress::step_status`]).
    fn build_status(&mut self, _step: super::Step, _status: &str) {}
}

/// Round stages a configuration has (both transforms, all cores).
pub fn stage_count(unroll: usize, cores: usize) -> usize {
    CoreShape::new(unroll).map_or(usize::MAX, |s| (s.unroll + s.second_stages) * cores)
}

/// Makes the design for `(unroll, cores, clock_mhz)` and returns it with the
/// hash clock the PLL really gives.
pub type DesignFn<'a> = dyn FnMut(usize, usize, f64) -> anyhow::Result<(Design, f64)> + 'a;

/// Passes a build's tool status on to the fit's progress.
struct StatusOnly<'a>(&'a mut dyn FitProgress);

impl BuildProgress for StatusOnly<'_> {
    fn step_status(&mut self, step: super::Step, status: &str) {
        self.0.build_status(step, status);
    }
}

/// Try configurations for `board`; see the module docs.
pub fn fit(
    board: &Board,
    opts: &FitOptions,
    design: &mut DesignFn<'_>,
    progress: &mut dyn FitProgress,
) -> FitResult {
    let t0 = Instant::now();
    let mut cands: Vec<(usize, usize)> = opts
        .unrolls
        .iter()
        .flat_map(|&u| opts.cores.iter().map(move |&n| (u, n)))
        .collect();
    cands.sort_by_key(|&(u, n)| (u * n, stage_count(u, n)));
    let capacity = board.capacity.lut4 as f64;
    let mut points: Vec<(f64, f64)> = Vec::new(); // (stages, LUTs used)
    let mut too_big: Option<usize> = None; // smallest stage count that did not fit
    let mut result = FitResult {
        board: board.id.to_string(),
        attempts: Vec::new(),
        best: None,
        seconds: 0.0,
    };
    for (u, n) in cands {
        let stages = stage_count(u, n);
        let mut attempt = FitAttempt::new(u, n, None);
        let predicted = predict(&points, stages as f64);
        if too_big.is_some_and(|s| stages >= s) {
            attempt.outcome = "skipped: larger than a configuration that did not fit".into();
        } else if predicted.is_some_and(|p| p > 1.02 * capacity) {
            attempt.outcome = format!(
                "skipped: predicted {:.0} of {} LUTs",
                predicted.unwrap_or(0.0),
                board.capacity.lut4
            );
        } else if opts.budget.is_some_and(|b| t0.elapsed() >= b) {
            attempt.outcome = "skipped: budget spent".into();
        } else {
            let mut clock = opts.start_mhz;
            for round in 0..2 {
                progress.building(u, n, clock, None);
                let dir = opts.out_dir.join(format!("u{u}-n{n}-{clock:.1}mhz"));
                match build_one(
                    board,
                    opts,
                    &dir,
                    (u, n, clock),
                    opts.seed,
                    design,
                    progress,
                ) {
                    Ok((report, actual)) => {
                        points.push((stages as f64, report.lut4.used as f64));
                        let fmax = report.fmax_mhz.unwrap_or(0.0);
                        let met = report.timing_met;
                        let clean_before = attempt.hash_rate.is_some();
                        if met {
                            attempt.clock_mhz = Some(actual);
                            attempt.dir = Some(dir);
                            attempt.report = Some(report);
                            attempt.outcome = "fits, timing met".into();
                            attempt.hash_rate = Some(hash_rate(u, n, actual));
                        } else if clean_before {
                            // The faster rebuild missed: keep the clean one.
                            attempt.outcome = format!(
                                "fits, timing met (a rebuild at {actual:.1} MHz missed it)"
                            );
                        } else {
                            attempt.clock_mhz = Some(actual);
                            attempt.dir = Some(dir);
                            attempt.report = Some(report);
                            attempt.outcome = format!("fits, timing failed ({fmax:.1} MHz)");
                        }
                        match next_clock(round, actual, met, fmax) {
                            Some(faster_or_safer) => clock = faster_or_safer,
                            None => break,
                        }
                    }
                    Err(FitBuildError::DoesNotFit(why)) => {
                        attempt.outcome = format!("does not fit: {why}");
                        too_big = Some(too_big.map_or(stages, |s| s.min(stages)));
                        break;
                    }
                    Err(FitBuildError::Other(why)) => {
                        if attempt.hash_rate.is_none() {
                            attempt.outcome = format!("build failed: {why}");
                        }
                        break;
                    }
                }
            }
        }
        progress.attempt(&attempt);
        result.attempts.push(attempt);
    }
    result.best = best_of(&result.attempts);
    if let Some(best) = result.best {
        let sweep = SeedSweep {
            board,
            opts,
            started: t0,
        };
        sweep.run(&mut result.attempts, best, design, progress);
        result.best = best_of(&result.attempts);
    }
    result.seconds = t0.elapsed().as_secs_f64();
    result
}

/// Hashes per second of `cores` cores unrolled `unroll` times at `mhz`.
fn hash_rate(unroll: usize, cores: usize, mhz: f64) -> f64 {
    mhz * 1e6 * (unroll * cores) as f64 / 64.0
}

/// The attempt with the highest clean hash rate.
fn best_of(attempts: &[FitAttempt]) -> Option<usize> {
    attempts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.hash_rate.map(|r| (i, r)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// How much faster than the best clean clock a seed-sweep build aims.
/// Seeds move Fmax by a few percent: on the Alchitry Cu's U=1, four seeds
/// aimed at the best seed's Fmax (69.7 MHz) all missed it, reaching 66.4
/// to 69.5 MHz, three of them more than 3% above the clean 65.6 MHz.
const SEED_STEP: f64 = 1.03;

/// The clock a seed-sweep build aims at: [`SEED_STEP`] above the best clean
/// clock so far, rounded down to 0.1 MHz.
pub fn seed_clock(clean_mhz: f64) -> f64 {
    (clean_mhz * SEED_STEP * 10.0).floor() / 10.0
}

/// The seed sweep: the best candidate built again with nextpnr seeds
/// `1..=opts.seeds`, each an attempt of its own.
struct SeedSweep<'a> {
    board: &'a Board,
    opts: &'a FitOptions,
    started: Instant,
}

impl SeedSweep<'_> {
    fn run(
        &self,
        attempts: &mut Vec<FitAttempt>,
        best: usize,
        design: &mut DesignFn<'_>,
        progress: &mut dyn FitProgress,
    ) {
        let (u, n) = (attempts[best].unroll, attempts[best].cores);
        let mut clean = attempts[best].clock_mhz.unwrap_or(0.0);
        for seed in 1..=self.opts.seeds {
            if self
                .opts
                .budget
                .is_some_and(|b| self.started.elapsed() >= b)
            {
                break;
            }
            let target = seed_clock(clean);
            progress.building(u, n, target, Some(seed));
            let dir = self
                .opts
                .out_dir
                .join(format!("u{u}-n{n}-{target:.1}mhz-seed{seed}"));
            let mut attempt = FitAttempt::new(u, n, Some(seed));
            let built = build_one(
                self.board,
                self.opts,
                &dir,
                (u, n, target),
                Some(seed),
                design,
                progress,
            );
            match built {
                Ok((report, actual)) => {
                    let reached = report.fmax_mhz.unwrap_or(0.0);
                    attempt.outcome = if report.timing_met {
                        attempt.hash_rate = Some(hash_rate(u, n, actual));
                        clean = clean.max(actual);
                        format!("fits, timing met (seed {seed})")
                    } else {
                        format!("fits, timing failed ({reached:.1} MHz; seed {seed})")
                    };
                    attempt.clock_mhz = Some(actual);
                    attempt.dir = Some(dir);
                    attempt.report = Some(report);
                }
                Err(FitBuildError::DoesNotFit(why) | FitBuildError::Other(why)) => {
                    attempt.outcome = format!("build failed (seed {seed}): {why}");
                }
            }
            progress.attempt(&attempt);
            attempts.push(attempt);
        }
    }
}

/// Fmax over the clock built for above which a clean build is built again
/// faster.
const RAISE_MARGIN: f64 = 1.08;

/// The share of the Fmax a rebuild aims at (rounded down to 0.1 MHz).
const REBUILD_SHARE: f64 = 0.95;

/// The clock for a candidate's next build after build `round` (0 or 1) ran
/// at `clock` MHz and reached `fmax` MHz, or `None` to stop. A first build
/// that missed timing is built again just below its Fmax; so is one that met
/// it with more than [`RAISE_MARGIN`] to spare (the caller keeps the first
/// if the faster one misses). There are at most two builds.
pub fn next_clock(round: usize, clock: f64, met: bool, fmax: f64) -> Option<f64> {
    // To 0.1 MHz: whole MHz cost the UP5K, at 27 MHz, 4% of its clock.
    let target = (fmax * REBUILD_SHARE * 10.0).floor() / 10.0;
    let retry = if met {
        fmax > clock * RAISE_MARGIN && target > clock
    } else {
        fmax > 1.0
    };
    (round == 0 && retry).then_some(target)
}

enum FitBuildError {
    DoesNotFit(String),
    Other(String),
}

fn build_one(
    board: &Board,
    fit: &FitOptions,
    dir: &std::path::Path,
    (u, n, clock): (usize, usize, f64),
    seed: Option<u64>,
    design: &mut DesignFn<'_>,
    progress: &mut dyn FitProgress,
) -> Result<(BuildReport, f64), FitBuildError> {
    let (d, actual) = design(u, n, clock).map_err(|e| FitBuildError::Other(format!("{e:#}")))?;
    let opts = BuildOptions {
        out_dir: dir.to_path_buf(),
        freq_mhz: Some(actual),
        strict: false,
        unroll: u,
        cores: n,
        adders: fit.adders,
        router: fit.router,
        seed,
    };
    match build(&d, board, &opts, &mut StatusOnly(progress)) {
        Ok(r) => Ok((r, actual)),
        Err(e @ BuildError::DoesNotFit { .. }) => Err(FitBuildError::DoesNotFit(e.to_string())),
        Err(e) => Err(FitBuildError::Other(e.to_string())),
    }
}

/// Share of a first build's LUTs assumed fixed (UART, protocol engine)
/// until a second build shows the real split.
const FIXED_SHARE: f64 = 0.4;

/// LUTs predicted for `stages` from the builds so far (a line through the
/// last two points; with one point, [`FIXED_SHARE`] of it fixed and the
/// rest proportional to the stages).
fn predict(points: &[(f64, f64)], stages: f64) -> Option<f64> {
    match points {
        [] => None,
        [(s, l)] => Some(l * (FIXED_SHARE + (1.0 - FIXED_SHARE) * stages / s)),
        [.., (s0, l0), (s1, l1)] if (s1 - s0).abs() > f64::EPSILON => {
            Some(l1 + (stages - s1) * (l1 - l0) / (s1 - s0))
        }
        [.., (s, l)] => Some(l * stages / s),
    }
}

impl FitResult {
    /// A Markdown table of the attempts, the best one marked.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| U | N | clock MHz | LUT4 | FF | Fmax MHz | hash rate | outcome |\n|---:|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for (i, a) in self.attempts.iter().enumerate() {
            let r = a.report.as_ref();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {}{} |\n",
                a.unroll,
                a.cores,
                a.clock_mhz.map_or("-".into(), |c| format!("{c:.1}")),
                r.map_or("-".into(), |r| format!(
                    "{}/{}",
                    r.lut4.used, r.lut4.available
                )),
                r.map_or("-".into(), |r| r.ff.used.to_string()),
                r.and_then(|r| r.fmax_mhz)
                    .map_or("-".into(), |f| format!("{f:.1}")),
                a.hash_rate
                    .map_or("-".into(), |h| format!("{:.3} MH/s", h / 1e6)),
                a.outcome,
                if Some(i) == self.best {
                    " **best**"
                } else {
                    ""
                }
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_prediction_is_linear_in_stages() {
        assert_eq!(predict(&[], 10.0), None);
        // One point: 40% fixed, the rest per stage.
        assert!((predict(&[(2.0, 1000.0)], 4.0).unwrap() - 1600.0).abs() < 1e-9);
        // 1000 LUTs of fixed logic plus 500 per stage.
        let p = predict(&[(2.0, 2000.0), (4.0, 3000.0)], 10.0).unwrap();
        assert!((p - 6000.0).abs() < 1e-9);
    }

    #[test]
    fn clock_search() {
        // Missed timing: again just below the Fmax, once.
        assert_eq!(next_clock(0, 100.0, false, 74.7), Some(70.9));
        assert_eq!(next_clock(1, 70.9, false, 69.0), None);
        // No Fmax reported: stop.
        assert_eq!(next_clock(0, 100.0, false, 0.0), None);
        // Met with room to spare (iCE40 U=1: 47.9 MHz, Fmax 65.6): faster.
        assert_eq!(next_clock(0, 47.9, true, 65.6), Some(62.3));
        // The UP5K's U=1 (48 MHz, Fmax 27.34): 25.9, not 25.
        assert_eq!(next_clock(0, 48.0, false, 27.34), Some(25.9));
        // Met, little to gain: done.
        assert_eq!(next_clock(0, 60.0, true, 63.0), None);
        assert_eq!(next_clock(1, 62.0, true, 70.0), None);
    }

    #[test]
    fn seed_sweep_aims_above_the_best_clean_clock() {
        // 3% above, rounded down to 0.1 MHz: 65.6 * 1.03 = 67.568.
        assert_eq!(seed_clock(65.6), 67.5);
        // The UP5K's 27.4 MHz: 28.222.
        assert_eq!(seed_clock(27.4), 28.2);
    }

    #[test]
    fn stage_counts() {
        // U=64: 64 + 61 stages; U=1: 1 + 1.
        assert_eq!(stage_count(64, 1), 125);
        assert_eq!(stage_count(1, 1), 2);
        assert_eq!(stage_count(8, 2), 32);
    }
}
