//! Reading what the tools wrote (nextpnr's `--report` JSON and yosys' JSON
//! netlist) and the [`BuildReport`] made from them.

use crate::boards::{Board, Family};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// nextpnr's `--report` file: utilisation per cell type and Fmax per clock.
/// (The critical paths it also holds are not read.)
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct NextpnrReport {
    /// Per clock net: achieved and constrained frequency in MHz.
    #[serde(default)]
    pub fmax: BTreeMap<String, NextpnrFmax>,
    /// Per bel type (`ICESTORM_LC`, `TRELLIS_COMB`, `DP16KD`, ...).
    #[serde(default)]
    pub utilization: BTreeMap<String, NextpnrUse>,
}

/// One clock of [`NextpnrReport::fmax`].
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct NextpnrFmax {
    /// Fmax that place and route achieved, MHz.
    pub achieved: f64,
    /// The constraint, MHz.
    pub constraint: f64,
}

/// One entry of [`NextpnrReport::utilization`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct NextpnrUse {
    /// Bels used.
    pub used: u64,
    /// Bels in the device.
    pub available: u64,
}

impl NextpnrReport {
    /// Parses the report's JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[derive(Deserialize)]
struct Netlist {
    modules: BTreeMap<String, NetlistModule>,
}

#[derive(Deserialize)]
struct NetlistModule {
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    cells: BTreeMap<String, NetlistCell>,
}

#[derive(Deserialize)]
struct NetlistCell {
    #[serde(rename = "type")]
    kind: String,
}

/// Counts the primitive cells of module `top` in a yosys JSON netlist (after
/// `synth_*`), by type. Sub-modules defined in the netlist (if the design
/// was not flattened) are counted into their instances.
pub fn netlist_cell_counts(json: &str, top: &str) -> Result<BTreeMap<String, u64>, String> {
    let netlist: Netlist = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if !netlist.modules.contains_key(top) {
        return Err(format!("the netlist has no module `{top}`"));
    }
    let mut counts = BTreeMap::new();
    count_cells(&netlist, top, 1, 0, &mut counts)?;
    Ok(counts)
}

fn count_cells(
    netlist: &Netlist,
    module: &str,
    times: u64,
    depth: usize,
    counts: &mut BTreeMap<String, u64>,
) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("module hierarchy too deep at `{module}`"));
    }
    let Some(m) = netlist.modules.get(module) else {
        return Ok(());
    };
    for cell in m.cells.values() {
        let sub = netlist
            .modules
            .get(&cell.kind)
            .filter(|s| !s.attributes.contains_key("blackbox"));
        match sub {
            Some(_) => count_cells(netlist, &cell.kind, times, depth + 1, counts)?,
            None => *counts.entry(cell.kind.clone()).or_insert(0) += times,
        }
    }
    Ok(())
}

/// Used and available amount of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Used by the design.
    pub used: u64,
    /// In the device.
    pub available: u64,
    /// Where the numbers come from, e.g. `nextpnr ICESTORM_LC`.
    pub from: String,
}

impl Resource {
    /// Used as a percentage of available (0 if nothing is available).
    pub fn percent(&self) -> f64 {
        if self.available == 0 {
            0.0
        } else {
            100.0 * self.used as f64 / self.available as f64
        }
    }
}

/// Achieved and constrained frequency of one clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockFmax {
    /// The clock net, as nextpnr names it.
    pub name: String,
    /// Achieved Fmax, MHz.
    pub achieved_mhz: f64,
    /// Constraint, MHz.
    pub constraint_mhz: f64,
    /// `achieved >= constraint`.
    pub met: bool,
}

/// Wall-clock time of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTime {
    /// The step, e.g. `synthesis`.
    pub step: String,
    /// Seconds it took.
    pub seconds: f64,
    /// Its log file (stdout and stderr of the tool).
    pub log: PathBuf,
}

/// The result of a build: resources, timing and expected hash rate.
///
/// `lut4` and `bram` (and `ff` on ECP5) are nextpnr's post-placement
/// counts from its report; `carry` (and `ff` on iCE40, where one logic cell
/// holds a LUT4, an FF and a carry) are yosys' netlist counts against
/// nextpnr's logic cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildReport {
    /// Board id.
    pub board: String,
    /// FPGA device.
    pub device: String,
    /// Top module.
    pub top: String,
    /// LUT4s: `ICESTORM_LC` (iCE40 logic cells) or `TRELLIS_COMB` (ECP5).
    pub lut4: Resource,
    /// Flip-flops.
    pub ff: Resource,
    /// Carry cells: `SB_CARRY` or `CCU2C`.
    pub carry: Resource,
    /// Block RAMs: `ICESTORM_RAM` or `DP16KD`.
    pub bram: Resource,
    /// Achieved Fmax of the main clock (the one with the highest
    /// constraint), MHz; `None` if the design has no clock.
    pub fmax_mhz: Option<f64>,
    /// The main clock's constraint, MHz.
    pub constraint_mhz: Option<f64>,
    /// The frequency asked for (`--freq`), MHz.
    pub requested_mhz: f64,
    /// Every clock met its constraint.
    pub timing_met: bool,
    /// Every clock.
    pub clocks: Vec<ClockFmax>,
    /// Mining cores (N).
    pub cores: usize,
    /// Round stages per transform (U).
    pub unroll: usize,
    /// Hashes per clock cycle: N × U / 64.
    pub hashes_per_clock: f64,
    /// Expected hash rate at the achieved Fmax: Fmax × N × U / 64, in H/s.
    pub expected_hash_rate: Option<f64>,
    /// Hash rate at the requested clock, in H/s: what the board does if
    /// timing is met and the gateware runs at `requested_mhz`.
    pub requested_hash_rate: f64,
    /// Every utilisation entry of nextpnr's report.
    pub utilization: BTreeMap<String, Resource>,
    /// Primitive cells of the synthesised netlist, by type.
    pub netlist_cells: BTreeMap<String, u64>,
    /// Time per step.
    pub steps: Vec<StepTime>,
    /// The output directory.
    pub out_dir: PathBuf,
    /// The bitstream, if it was written.
    pub bitstream: Option<PathBuf>,
}

/// Everything [`BuildReport::new`] needs besides the tool outputs.
#[derive(Debug, Clone)]
pub struct ReportContext<'a> {
    /// The board.
    pub board: &'a Board,
    /// Top module.
    pub top: &'a str,
    /// Requested frequency, MHz.
    pub requested_mhz: f64,
    /// N.
    pub cores: usize,
    /// U.
    pub unroll: usize,
    /// Output directory.
    pub out_dir: PathBuf,
}

impl BuildReport {
    /// Combines nextpnr's report and yosys' netlist counts. Steps and the
    /// bitstream are filled in by the caller.
    pub fn new(
        ctx: &ReportContext<'_>,
        pnr: &NextpnrReport,
        netlist_cells: BTreeMap<String, u64>,
    ) -> Self {
        let board = ctx.board;
        let cap = &board.capacity;
        let from_report = |name: &str, fallback_avail: u32| -> Resource {
            match pnr.utilization.get(name) {
                Some(u) => Resource {
                    used: u.used,
                    available: u.available,
                    from: format!("nextpnr {name}"),
                },
                None => Resource {
                    used: 0,
                    available: u64::from(fallback_avail),
                    from: format!("{name} missing from nextpnr's report; board capacity"),
                },
            }
        };
        let netlist = |pred: &dyn Fn(&str) -> bool| -> u64 {
            netlist_cells
                .iter()
                .filter(|(k, _)| pred(k))
                .map(|(_, v)| *v)
                .sum()
        };
        let (lut4, ff, carry, bram) = match board.family {
            Family::Ice40 => {
                let lc = from_report("ICESTORM_LC", cap.lut4);
                let ff = Resource {
                    used: netlist(&|k| k.starts_with("SB_DFF")),
                    available: lc.available,
                    from: "yosys SB_DFF* / nextpnr ICESTORM_LC".to_string(),
                };
                let carry = Resource {
                    used: netlist(&|k| k == "SB_CARRY"),
                    available: lc.available,
                    from: "yosys SB_CARRY / nextpnr ICESTORM_LC".to_string(),
                };
                (lc, ff, carry, from_report("ICESTORM_RAM", cap.bram))
            }
            Family::Ecp5 => {
                let comb = from_report("TRELLIS_COMB", cap.lut4);
                let carry = Resource {
                    used: netlist(&|k| k == "CCU2C"),
                    available: comb.available / 2,
                    from: "yosys CCU2C / (nextpnr TRELLIS_COMB / 2)".to_string(),
                };
                (
                    comb,
                    from_report("TRELLIS_FF", cap.ff),
                    carry,
                    from_report("DP16KD", cap.bram),
                )
            }
        };
        let clocks: Vec<ClockFmax> = pnr
            .fmax
            .iter()
            .map(|(name, f)| ClockFmax {
                name: name.clone(),
                achieved_mhz: f.achieved,
                constraint_mhz: f.constraint,
                met: f.achieved >= f.constraint,
            })
            .collect();
        // The main clock: the highest constraint; among equals the slowest.
        let main = clocks.iter().max_by(|a, b| {
            a.constraint_mhz
                .total_cmp(&b.constraint_mhz)
                .then(b.achieved_mhz.total_cmp(&a.achieved_mhz))
        });
        let hashes_per_clock = ctx.cores as f64 * ctx.unroll as f64 / 64.0;
        let fmax_mhz = main.map(|c| c.achieved_mhz);
        BuildReport {
            board: board.id.to_string(),
            device: board.device.to_string(),
            top: ctx.top.to_string(),
            lut4,
            ff,
            carry,
            bram,
            fmax_mhz,
            constraint_mhz: main.map(|c| c.constraint_mhz),
            requested_mhz: ctx.requested_mhz,
            timing_met: clocks.iter().all(|c| c.met),
            clocks,
            cores: ctx.cores,
            unroll: ctx.unroll,
            hashes_per_clock,
            expected_hash_rate: fmax_mhz.map(|f| f * 1e6 * hashes_per_clock),
            requested_hash_rate: ctx.requested_mhz * 1e6 * hashes_per_clock,
            utilization: pnr
                .utilization
                .iter()
                .map(|(k, u)| {
                    (
                        k.clone(),
                        Resource {
                            used: u.used,
                            available: u.available,
                            from: format!("nextpnr {k}"),
                        },
                    )
                })
                .collect(),
            netlist_cells,
            steps: Vec::new(),
            out_dir: ctx.out_dir.clone(),
            bitstream: None,
        }
    }

    /// The report as Markdown tables (readable as plain text too).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Build of `{}` for {} ({}), N={} U={}\n",
            self.top, self.board, self.device, self.cores, self.unroll
        );
        s.push_str("| resource | used | available | use |\n|---|---:|---:|---:|\n");
        for (name, r) in [
            ("LUT4", &self.lut4),
            ("FF", &self.ff),
            ("carry", &self.carry),
            ("BRAM", &self.bram),
        ] {
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {:.1}% |",
                r.used,
                r.available,
                r.percent()
            );
        }
        if !self.clocks.is_empty() {
            s.push_str("\n| clock | achieved MHz | constraint MHz | met |\n|---|---:|---:|---|\n");
            for c in &self.clocks {
                let _ = writeln!(
                    s,
                    "| {} | {:.2} | {:.2} | {} |",
                    c.name.replace('|', "\\|"),
                    c.achieved_mhz,
                    c.constraint_mhz,
                    if c.met { "yes" } else { "NO" }
                );
            }
        }
        s.push('\n');
        match self.fmax_mhz {
            Some(f) => {
                let _ = writeln!(
                    s,
                    "Fmax {f:.2} MHz (requested {:.2} MHz): timing {}",
                    self.requested_mhz,
                    if self.timing_met { "met" } else { "NOT met" }
                );
            }
            None => {
                let _ = writeln!(s, "no clocks (requested {:.2} MHz)", self.requested_mhz);
            }
        }
        if let Some(c) = self.constraint_mhz {
            if (c - self.requested_mhz).abs() > 0.01 * self.requested_mhz {
                let _ = writeln!(
                    s,
                    "Note: the main clock is constrained to {c:.2} MHz, not the requested {:.2} MHz \
                     (the pin file constrains clk_in to the oscillator; only a PLL in the design \
                     changes the clock)",
                    self.requested_mhz
                );
            }
        }
        if let Some(h) = self.expected_hash_rate {
            let _ = writeln!(
                s,
                "Expected hash rate: {} at Fmax ({} at the requested clock), {} hash/clock",
                hash_rate(h),
                hash_rate(self.requested_hash_rate),
                self.hashes_per_clock
            );
        }
        if let Some(b) = &self.bitstream {
            let _ = writeln!(s, "Bitstream: {}", b.display());
        }
        s
    }
}

/// A hash rate with a unit: `79.74 MH/s`.
pub fn hash_rate(h: f64) -> String {
    let (v, unit) = if h >= 1e9 {
        (h / 1e9, "GH/s")
    } else if h >= 1e6 {
        (h / 1e6, "MH/s")
    } else if h >= 1e3 {
        (h / 1e3, "kH/s")
    } else {
        (h, "H/s")
    };
    format!("{v:.2} {unit}")
}

/// One row of nextpnr's "Device utilisation" log table: a resource that is
/// over-used when a design does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overuse {
    /// Bel type.
    pub resource: String,
    /// Needed.
    pub used: u64,
    /// In the device.
    pub available: u64,
}

impl Overuse {
    /// More is needed than the device has.
    pub fn is_over(&self) -> bool {
        self.used > self.available
    }
}

/// The resources nextpnr's utilisation table shows over-used, once the
/// table is complete in a log still being written (the blank line after it
/// is there); `None` before that.
pub fn finished_overuse(log: &str) -> Option<Vec<Overuse>> {
    let table = &log[log.find("Device utilisation")?..];
    table.contains("\n\n").then(|| {
        log_utilisation(log)
            .into_iter()
            .filter(Overuse::is_over)
            .collect()
    })
}

/// Reads nextpnr's text "Device utilisation" table from its log. Only used
/// to explain a failed or running place-and-route, when no report JSON has
/// been written.
pub fn log_utilisation(log: &str) -> Vec<Overuse> {
    let mut out = Vec::new();
    let mut in_table = false;
    for line in log.lines() {
        let body = line.trim_start_matches("Info:").trim();
        if body.starts_with("Device utilisation") {
            in_table = true;
            out.clear();
            continue;
        }
        if !in_table {
            continue;
        }
        // `ICESTORM_LC:    8134/   5280   154%`
        let parsed = body.split_once(':').and_then(|(name, rest)| {
            let (used, rest) = rest.split_once('/')?;
            let avail = rest.split_whitespace().next()?;
            Some(Overuse {
                resource: name.trim().to_string(),
                used: used.trim().parse().ok()?,
                available: avail.parse().ok()?,
            })
        });
        match parsed {
            Some(o) if !o.resource.is_empty() && !o.resource.contains(' ') => out.push(o),
            _ => in_table = false,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real report: tests/fixtures/blinky_uart.v on the iCEBreaker with
    /// nextpnr-ice40 0.11.1 (YoWASP), critical paths cut short.
    const ICE40_REPORT: &str = r#"{"critical_paths": [{"from": "posedge clk_in$SB_IO_IN_$glb_clk", "path": [{"delay": 1.3899999856948853, "from": {"cell": "counter_SB_DFF_Q_22_D_SB_LUT4_O_LC", "loc": [16, 1], "port": "O"}, "to": {"cell": "counter_SB_DFF_Q_22_D_SB_LUT4_O_LC", "loc": [16, 1], "port": "O"}, "type": "clk-to-q"}], "to": "posedge clk_in$SB_IO_IN_$glb_clk"}], "fmax": {"clk_in$SB_IO_IN_$glb_clk": {"achieved": 79.744819641113281, "constraint": 12.00004768371582}}, "utilization": {"ICESTORM_DSP": {"available": 8, "used": 0}, "ICESTORM_HFOSC": {"available": 1, "used": 0}, "ICESTORM_LC": {"available": 5280, "used": 29}, "ICESTORM_LFOSC": {"available": 1, "used": 0}, "ICESTORM_PLL": {"available": 1, "used": 0}, "ICESTORM_RAM": {"available": 30, "used": 0}, "ICESTORM_SPRAM": {"available": 4, "used": 0}, "IO_I3C": {"available": 2, "used": 0}, "SB_GB": {"available": 8, "used": 1}, "SB_I2C": {"available": 2, "used": 0}, "SB_IO": {"available": 39, "used": 5}, "SB_LEDDA_IP": {"available": 1, "used": 0}, "SB_RGBA_DRV": {"available": 1, "used": 0}, "SB_SPI": {"available": 2, "used": 0}, "SB_WARMBOOT": {"available": 1, "used": 0}}}"#;

    /// A real report: the same design on the ULX3S 25F with nextpnr-ecp5
    /// 0.11.1 (YoWASP), utilisation trimmed to the entries read.
    const ECP5_REPORT: &str = r#"{"critical_paths": [], "fmax": {"$glbnet$clk_in$TRELLIS_IO_IN": {"achieved": 315.7562255859375, "constraint": 25}}, "utilization": {"DP16KD": {"available": 56, "used": 0}, "EHXPLLL": {"available": 2, "used": 0}, "MULT18X18D": {"available": 28, "used": 0}, "TRELLIS_COMB": {"available": 24288, "used": 32}, "TRELLIS_FF": {"available": 24288, "used": 26}, "TRELLIS_IO": {"available": 197, "used": 5}}}"#;

    fn ctx(board: &str) -> ReportContext<'static> {
        ReportContext {
            board: Board::find(board).unwrap(),
            top: "ferrominer_top",
            requested_mhz: 12.0,
            cores: 2,
            unroll: 8,
            out_dir: PathBuf::from("out"),
        }
    }

    #[test]
    fn parses_a_real_ice40_report() {
        let r = NextpnrReport::from_json(ICE40_REPORT).unwrap();
        assert_eq!(
            r.utilization["ICESTORM_LC"],
            NextpnrUse {
                used: 29,
                available: 5280
            }
        );
        let f = r.fmax["clk_in$SB_IO_IN_$glb_clk"];
        assert_eq!(f.achieved, 79.744_819_641_113_28);
        let cells: BTreeMap<String, u64> = [
            ("SB_CARRY", 22),
            ("SB_DFF", 20),
            ("SB_DFFE", 6),
            ("SB_LUT4", 25),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let b = BuildReport::new(&ctx("icebreaker"), &r, cells);
        assert_eq!((b.lut4.used, b.lut4.available), (29, 5280));
        assert_eq!((b.ff.used, b.ff.available), (26, 5280));
        assert_eq!((b.carry.used, b.carry.available), (22, 5280));
        assert_eq!((b.bram.used, b.bram.available), (0, 30));
        assert_eq!(b.fmax_mhz, Some(79.744_819_641_113_28));
        assert_eq!(b.constraint_mhz, Some(12.00004768371582));
        assert!(b.timing_met);
        assert_eq!(b.hashes_per_clock, 0.25);
        assert_eq!(b.expected_hash_rate, Some(79.744_819_641_113_28e6 * 0.25));
        assert_eq!(b.requested_hash_rate, 3e6);
        assert_eq!(b.utilization.len(), 15);
        let md = b.to_markdown();
        assert!(md.contains("| LUT4 | 29 | 5280 | 0.5% |"), "{md}");
        assert!(
            md.contains("| clk_in$SB_IO_IN_$glb_clk | 79.74 | 12.00 | yes |"),
            "{md}"
        );
        assert!(
            md.contains("Expected hash rate: 19.94 MH/s at Fmax"),
            "{md}"
        );
    }

    #[test]
    fn parses_a_real_ecp5_report() {
        let r = NextpnrReport::from_json(ECP5_REPORT).unwrap();
        let cells: BTreeMap<String, u64> = [("CCU2C", 12), ("LUT4", 2), ("TRELLIS_FF", 26)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let b = BuildReport::new(&ctx("ulx3s-25f"), &r, cells);
        assert_eq!((b.lut4.used, b.lut4.available), (32, 24288));
        assert_eq!((b.ff.used, b.ff.available), (26, 24288));
        assert_eq!((b.carry.used, b.carry.available), (12, 12144));
        assert_eq!((b.bram.used, b.bram.available), (0, 56));
        assert_eq!(b.fmax_mhz, Some(315.7562255859375));
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["lut4"]["used"], 32);
        assert_eq!(json["timing_met"], true);
    }

    #[test]
    fn timing_failure_and_main_clock() {
        let r = NextpnrReport::from_json(
            r#"{"fmax": {"uart": {"achieved": 90.0, "constraint": 12.0},
                         "core": {"achieved": 40.5, "constraint": 48.0}}}"#,
        )
        .unwrap();
        let b = BuildReport::new(&ctx("icebreaker"), &r, BTreeMap::new());
        assert_eq!(b.fmax_mhz, Some(40.5));
        assert_eq!(b.constraint_mhz, Some(48.0));
        assert!(!b.timing_met);
        // Missing utilisation falls back to the board's capacity.
        assert_eq!(b.lut4.available, 5280);
        let md = b.to_markdown();
        assert!(md.contains("timing NOT met"), "{md}");
        // Requested 12 MHz, but the main clock is constrained to 48 MHz.
        assert!(
            md.contains(
                "Note: the main clock is constrained to 48.00 MHz, not the requested 12.00 MHz"
            ),
            "{md}"
        );
    }

    #[test]
    fn malformed_reports_are_errors() {
        assert!(NextpnrReport::from_json("").is_err());
        assert!(NextpnrReport::from_json(r#"{"fmax": {"c": {"achieved": "fast"}}}"#).is_err());
        assert!(NextpnrReport::from_json("{}").unwrap().fmax.is_empty());
    }

    #[test]
    fn netlist_counts_recurse_into_submodules() {
        let json = r#"{"modules": {
            "SB_LUT4": {"attributes": {"blackbox": "1"}, "cells": {}},
            "leaf": {"cells": {"a": {"type": "SB_LUT4"}, "b": {"type": "SB_DFF"}}},
            "top": {"attributes": {"top": "1"}, "cells": {
                "x": {"type": "leaf"}, "y": {"type": "leaf"}, "z": {"type": "SB_CARRY"}}}}}"#;
        let c = netlist_cell_counts(json, "top").unwrap();
        assert_eq!(c["SB_LUT4"], 2);
        assert_eq!(c["SB_DFF"], 2);
        assert_eq!(c["SB_CARRY"], 1);
        assert!(netlist_cell_counts(json, "nope")
            .unwrap_err()
            .contains("no module `nope`"));
        assert!(netlist_cell_counts("[", "top").is_err());
    }

    #[test]
    fn reads_the_utilisation_table_of_a_failed_run() {
        // From nextpnr-ice40 0.11.1 placing 6000 FFs on an UP5K.
        let log = "Info: Checksum: 0x0b91797a\n\nInfo: Device utilisation:\n\
                   Info: \t         ICESTORM_LC:    8134/   5280   154%\n\
                   Info: \t        ICESTORM_RAM:       0/     30     0%\n\
                   Info: \t               SB_IO:       5/     39    12%\n\n\
                   Info: Placed 5 cells based on constraints.\n\
                   ERROR: Unable to place cell 'r_LC', no BELs remaining to implement cell type 'ICESTORM_LC'\n";
        let u = log_utilisation(log);
        assert_eq!(u.len(), 3);
        assert_eq!(
            u[0],
            Overuse {
                resource: "ICESTORM_LC".into(),
                used: 8134,
                available: 5280
            }
        );
        assert!(log_utilisation("nothing here").is_empty());
        // Watching the log: nothing until the table is complete.
        let cut = log.find("SB_IO").unwrap();
        assert_eq!(finished_overuse(&log[..cut]), None);
        let over = finished_overuse(log).unwrap();
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].resource, "ICESTORM_LC");
    }
}
