//! End-to-end FPGA build flow: tests/fixtures/blinky_uart.v through yosys,
//! nextpnr-ice40 and icepack for the iCEBreaker, with the tools found as
//! `ferrominer build` finds them (native on PATH, else the YoWASP venv of
//! scripts/setup-fpga-tools.sh).
//!
//! The tools are required: without them these tests fail with the install
//! instructions. Set FERROMINER_SKIP_FPGA_FLOW=1 to skip them explicitly.

use ferrominer::boards::Board;
use ferrominer::build::{
    build_with, BuildError, BuildOptions, BuildProgress, Design, Step, ToolPath, ToolSearch,
    Toolchain,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn skip() -> bool {
    let skip = std::env::var_os("FERROMINER_SKIP_FPGA_FLOW").is_some_and(|v| v == "1");
    if skip {
        eprintln!("SKIPPED: FERROMINER_SKIP_FPGA_FLOW=1");
    }
    skip
}

fn tools(board: &Board) -> Toolchain {
    match ToolSearch::from_env().toolchain(board.family) {
        Ok(t) => t,
        Err(e) => panic!("{e}\n(set FERROMINER_SKIP_FPGA_FLOW=1 to skip this test)"),
    }
}

fn fixture() -> Design {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/blinky_uart.v");
    Design {
        verilog: std::fs::read_to_string(&path).expect("read the fixture"),
        top: "ferrominer_top".to_string(),
    }
}

fn out_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("build-flow-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[derive(Default)]
struct Recorder {
    events: Vec<(Step, bool, f64)>,
}

impl BuildProgress for Recorder {
    fn step_started(&mut self, step: Step, tool: &ToolPath) {
        assert!(tool.path.exists(), "{}", tool.path.display());
        self.events.push((step, false, 0.0));
    }
    fn step_finished(&mut self, step: Step, seconds: f64) {
        self.events.push((step, true, seconds));
    }
}

#[test]
fn blinky_builds_for_the_icebreaker_and_the_report_matches_nextpnr() {
    if skip() {
        return;
    }
    let board = Board::find("icebreaker").unwrap();
    let tools = tools(board);
    let mut opts = BuildOptions::new(out_dir("icebreaker"));
    opts.cores = 2;
    opts.unroll = 8;
    let mut rec = Recorder::default();
    let report = build_with(&fixture(), board, &opts, &tools, &mut rec)
        .unwrap_or_else(|e| panic!("build failed: {e}"));
    let out = &opts.out_dir;

    // Progress: each step started then finished, in order.
    let order: Vec<(Step, bool)> = rec.events.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        order,
        [
            (Step::Synthesis, false),
            (Step::Synthesis, true),
            (Step::PlaceAndRoute, false),
            (Step::PlaceAndRoute, true),
            (Step::Pack, false),
            (Step::Pack, true),
        ]
    );
    assert_eq!(report.steps.len(), 3);
    for s in &report.steps {
        assert!(s.seconds > 0.0 && s.log.is_file(), "{s:?}");
    }

    // The bitstream: an UP5K image is 104090 bytes.
    let bin = out.join("ferrominer.bin");
    assert_eq!(report.bitstream.as_deref(), Some(bin.as_path()));
    assert_eq!(std::fs::metadata(&bin).unwrap().len(), 104_090);
    assert!(out.join("build.sh").is_file());
    assert!(out.join("icebreaker.pcf").is_file());

    // The numbers equal nextpnr's report, read here on its own.
    let pnr = read_json(&out.join("report.json"));
    let util = |k: &str, f: &str| pnr["utilization"][k][f].as_u64().unwrap();
    assert_eq!(report.lut4.used, util("ICESTORM_LC", "used"));
    assert_eq!(report.lut4.available, util("ICESTORM_LC", "available"));
    assert_eq!(report.lut4.available, 5280);
    assert_eq!(report.bram.used, util("ICESTORM_RAM", "used"));
    assert_eq!(report.bram.available, 30);
    assert_eq!(report.ff.available, 5280);
    let clocks = pnr["fmax"].as_object().unwrap();
    assert_eq!(clocks.len(), 1, "{clocks:?}");
    let (name, clk) = clocks.iter().next().unwrap();
    assert!(name.contains("clk_in"), "{name}");
    let achieved = clk["achieved"].as_f64().unwrap();
    let constraint = clk["constraint"].as_f64().unwrap();
    assert_eq!(report.fmax_mhz, Some(achieved));
    assert_eq!(report.constraint_mhz, Some(constraint));
    assert!(
        (constraint - 12.0).abs() < 0.01,
        "pin file constrains clk_in to 12 MHz"
    );
    assert_eq!(report.timing_met, achieved >= constraint);
    assert!(report.timing_met);
    assert_eq!(report.requested_mhz, 12.0);
    assert_eq!(
        report.expected_hash_rate,
        Some(achieved * 1e6 * 2.0 * 8.0 / 64.0)
    );

    // FF and carry equal the netlist's cells, also read here on its own:
    // a 24-bit counter and a 2-bit synchroniser are 26 FFs.
    let net = read_json(&out.join("synth.json"));
    let cells = net["modules"]["ferrominer_top"]["cells"]
        .as_object()
        .unwrap();
    let count = |f: &dyn Fn(&str) -> bool| {
        cells
            .values()
            .filter(|c| f(c["type"].as_str().unwrap()))
            .count() as u64
    };
    assert_eq!(report.ff.used, count(&|t| t.starts_with("SB_DFF")));
    assert_eq!(report.ff.used, 26);
    assert_eq!(report.carry.used, count(&|t| t == "SB_CARRY"));

    // build-report.json is the same report.
    // (Step times are compared loosely: serde_json's float parsing is not
    // exact to the last bit.)
    let mut saved = read_json(&out.join("build-report.json"));
    let mut expected = serde_json::to_value(&report).unwrap();
    let saved_steps = saved["steps"].take();
    let expected_steps = expected["steps"].take();
    assert_eq!(saved, expected);
    for (a, b) in saved_steps
        .as_array()
        .unwrap()
        .iter()
        .zip(expected_steps.as_array().unwrap())
    {
        assert_eq!(a["step"], b["step"]);
        assert!((a["seconds"].as_f64().unwrap() - b["seconds"].as_f64().unwrap()).abs() < 1e-9);
    }

    // build.sh replays the build to the same bitstream.
    let first = std::fs::read(&bin).unwrap();
    std::fs::remove_file(&bin).unwrap();
    let status = Command::new("sh")
        .arg(out.join("build.sh"))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(&bin).unwrap(), first);
}

/// The ECP5 path: the same fixture on the ULX3S 25F.
#[test]
fn blinky_builds_for_the_ulx3s_25f() {
    if skip() {
        return;
    }
    let board = Board::find("ulx3s-25f").unwrap();
    let tools = tools(board);
    let opts = BuildOptions::new(out_dir("ulx3s-25f"));
    let report = build_with(
        &fixture(),
        board,
        &opts,
        &tools,
        &mut ferrominer::build::NoProgress,
    )
    .unwrap_or_else(|e| panic!("build failed: {e}"));
    let out = &opts.out_dir;
    let bit = out.join("ferrominer.bit");
    assert!(std::fs::metadata(&bit).unwrap().len() > 0);
    assert_eq!(report.bitstream.as_deref(), Some(bit.as_path()));

    let pnr = read_json(&out.join("report.json"));
    let util = |k: &str, f: &str| pnr["utilization"][k][f].as_u64().unwrap();
    assert_eq!(report.lut4.used, util("TRELLIS_COMB", "used"));
    assert_eq!(report.lut4.available, util("TRELLIS_COMB", "available"));
    assert_eq!(report.ff.used, util("TRELLIS_FF", "used"));
    assert_eq!(report.ff.used, 26);
    assert_eq!(report.bram.available, util("DP16KD", "available"));
    assert_eq!(report.lut4.available, u64::from(board.capacity.lut4));
    assert_eq!(report.bram.available, u64::from(board.capacity.bram));
    let clocks = pnr["fmax"].as_object().unwrap();
    assert_eq!(clocks.len(), 1, "{clocks:?}");
    let clk = clocks.values().next().unwrap();
    assert_eq!(report.fmax_mhz, clk["achieved"].as_f64());
    // The LPF's FREQUENCY PORT constrains clk_in to the 25 MHz oscillator.
    assert_eq!(report.constraint_mhz, Some(25.0));
    assert!(report.timing_met);
}

/// 32 block RAMs on a 30-RAM UP5K: nextpnr fails, and the error says why.
const TOO_MANY_RAMS: &str = r#"
module ferrominer_top(input wire clk_in, input wire uart_rx, output wire uart_tx, output wire [1:0] led);
  reg [7:0] addr = 0;
  always @(posedge clk_in) addr <= addr + 8'd1;
  wire [15:0] rd [0:31];
  genvar i;
  generate for (i = 0; i < 32; i = i + 1) begin : bank
    SB_RAM40_4K ram (.RDATA(rd[i]), .RADDR({3'b000, addr}), .RCLK(clk_in), .RCLKE(1'b1), .RE(1'b1),
      .WADDR({3'b000, addr ^ i[7:0]}), .WCLK(clk_in), .WCLKE(1'b1), .WE(uart_rx),
      .WDATA({16{uart_rx}}), .MASK(16'h0000));
  end endgenerate
  reg x = 0;
  integer j;
  always @(posedge clk_in) begin x = 0; for (j = 0; j < 32; j = j + 1) x = x ^ rd[j][j % 16]; end
  assign uart_tx = x;
  assign led = addr[7:6];
endmodule
"#;

#[test]
fn a_design_that_does_not_fit_gives_used_and_available() {
    if skip() {
        return;
    }
    let board = Board::find("icebreaker").unwrap();
    let tools = tools(board);
    let opts = BuildOptions::new(out_dir("too-big"));
    let design = Design {
        verilog: TOO_MANY_RAMS.to_string(),
        top: "ferrominer_top".to_string(),
    };
    let err = build_with(
        &design,
        board,
        &opts,
        &tools,
        &mut ferrominer::build::NoProgress,
    )
    .unwrap_err();
    match &err {
        BuildError::DoesNotFit { over, .. } => {
            assert_eq!(over.len(), 1, "{over:?}");
            assert_eq!(over[0].resource, "ICESTORM_RAM");
            assert_eq!((over[0].used, over[0].available), (32, 30));
        }
        other => panic!("expected DoesNotFit, got: {other}"),
    }
    assert!(err.to_string().starts_with(
        "the design does not fit the iCE40UP5K (icebreaker): ICESTORM_RAM needs 32 of 30 (107%)"
    ));
    assert!(!opts.out_dir.join("ferrominer.bin").exists());
}

/// The CLI end to end: `build --verilog ... --json` prints the report.
#[test]
fn cli_build_json() {
    if skip() {
        return;
    }
    tools(Board::find("icebreaker").unwrap());
    let out = out_dir("cli");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/blinky_uart.v");
    let o = Command::new(env!("CARGO_BIN_EXE_ferrominer"))
        .args(["build", "--board", "icebreaker", "--json", "--verilog"])
        .arg(&fixture)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("[3/3] pack done in"), "{stderr}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["board"], "icebreaker");
    assert_eq!(v["lut4"]["available"], 5280);
    assert_eq!(v["timing_met"], true);
    assert!(out.join("ferrominer.bin").is_file());
}
