//! The `mine` subcommand: a thin layer over `ferrominer::miner`.

use anyhow::{bail, Context, Result};
use clap::Args;
use ferrominer::device::DeviceError;
use ferrominer::miner::{
    FoundShare, HeaderSource, Miner, MinerObserver, MinerStats, SourceEvent, StopAfter,
    StratumSource, WorkSource,
};
use ferrominer::protocol::Ident;
use ferrominer::stratum::ClientConfig;
use ferrominer::transport::discover::find_ports;
use ferrominer::transport::{SerialTransport, Transport};
use ferrominer::BlockHeader;
use std::io::{IsTerminal, Write};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct MineArgs {
    /// Re-mine this header (160 hex characters) over --start/--count and
    /// print the nonces that meet its target.
    #[arg(long, conflicts_with = "url")]
    pub header: Option<String>,
    /// First nonce of the window (with --header).
    #[arg(long, default_value_t = 0, value_parser = crate::parse_u32)]
    pub start: u32,
    /// Nonces in the window (with --header; default: all 2^32).
    #[arg(long)]
    pub count: Option<u64>,
    /// Stratum v1 pool, e.g. stratum+tcp://pool.example.com:3333.
    #[arg(short = 'o', long = "url", requires = "user")]
    pub url: Option<String>,
    /// Pool worker name.
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Pool password (never printed or logged).
    #[arg(short = 'p', long, default_value = "x", hide_default_value = true)]
    pub pass: String,
    /// Serial port of a board; repeat for several boards, or `auto` to find
    /// every supported board by its USB id.
    #[arg(long = "port", value_name = "PATH|auto")]
    pub ports: Vec<String>,
    /// Baud rate of the boards.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Print one JSON object per event per line on stdout.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Stop after this many shares.
    #[arg(long, value_name = "K")]
    pub max_shares: Option<u64>,
}

/// Open the boards named by `--port` (or found by `--port auto`).
pub fn open_ports(ports: &[String], baud: u32) -> Result<Vec<Box<dyn Transport>>> {
    let mut paths: Vec<String> = Vec::new();
    for p in ports {
        if p == "auto" {
            let found = find_ports();
            if found.is_empty() {
                bail!("--port auto found no supported board (looked for the USB ids in `ferrominer boards`); give the port with --port /dev/ttyUSB1, or use --emulate");
            }
            for f in found {
                eprintln!(
                    "found {} ({:04x}:{:04x} interface {}, {}) -> possibly {}",
                    f.path,
                    f.vid,
                    f.pid,
                    f.interface,
                    f.product.as_deref().unwrap_or("no product string"),
                    f.boards.join(", ")
                );
                paths.push(f.path);
            }
        } else {
            paths.push(p.clone());
        }
    }
    paths
        .iter()
        .map(|p| {
            SerialTransport::open(p, baud)
                .map(|t| Box::new(t) as Box<dyn Transport>)
                .with_context(|| format!("cannot open board on {p}"))
        })
        .collect()
}

/// The work source for the arguments.
pub fn source_for(a: &MineArgs) -> Result<Box<dyn WorkSource>> {
    match (&a.header, &a.url) {
        (Some(h), None) => {
            let header = BlockHeader::from_hex(h).context("invalid block header")?;
            let count = a.count.unwrap_or((1u64 << 32) - u64::from(a.start));
            Ok(Box::new(
                HeaderSource::new(header, a.start, count)
                    .with_context(|| format!("cannot mine {count} nonces from {}", a.start))?,
            ))
        }
        (None, Some(url)) => {
            let user = a.user.as_deref().unwrap_or_default();
            let cfg = ClientConfig::new(url, user, a.pass.clone())?;
            Ok(Box::new(StratumSource::connect(cfg)?))
        }
        _ => bail!("say what to mine: --header HEX (with --start/--count), or -o stratum+tcp://HOST:PORT -u USER"),
    }
}

/// Prints events: a status line and share lines as text, or JSON lines.
pub struct Printer {
    pub json: bool,
    pub tty: bool,
    pub status_line: bool,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            tty: std::io::stderr().is_terminal(),
            status_line: false,
        }
    }

    fn clear(&mut self) {
        if self.status_line {
            eprint!("\r\x1b[2K");
            self.status_line = false;
        }
    }

    fn json_line(&mut self, v: serde_json::Value) {
        println!("{v}");
        let _ = std::io::stdout().flush();
    }

    fn note(&mut self, msg: String) {
        if self.json {
            self.json_line(serde_json::json!({"event": "note", "message": msg}));
        } else {
            self.clear();
            eprintln!("{msg}");
        }
    }
}

fn rate(h: f64) -> String {
    match h {
        h if h >= 1e9 => format!("{:.2} GH/s", h / 1e9),
        h if h >= 1e6 => format!("{:.2} MH/s", h / 1e6),
        h if h >= 1e3 => format!("{:.1} kH/s", h / 1e3),
        h => format!("{h:.0} H/s"),
    }
}

impl MinerObserver for Printer {
    fn board_ready(&mut self, board: usize, port: &str, ident: &Ident) {
        if self.json {
            self.json_line(serde_json::json!({
                "event": "board", "board": board, "port": port, "unroll": ident.unroll,
                "cores": ident.cores, "clock_hz": ident.clock_hz,
                "nominal_hash_rate": ident.nominal_hash_rate(),
            }));
        } else {
            self.clear();
            eprintln!(
                "board {board} on {port}: U={} N={} at {:.1} MHz (nominal {})",
                ident.unroll,
                ident.cores,
                ident.clock_hz as f64 / 1e6,
                rate(ident.nominal_hash_rate())
            );
        }
    }

    fn share_found(&mut self, f: &FoundShare) {
        let block = f.check.meets_target;
        if self.json {
            self.json_line(serde_json::json!({
                "event": "share", "board": f.board, "nonce": f.nonce,
                "hash": f.check.hash.to_display_hex(), "block": block, "submitted": f.submitted,
            }));
        } else {
            self.clear();
            println!(
                "board {}: nonce {:>10} ({:#010x}) hash {}{}",
                f.board,
                f.nonce,
                f.nonce,
                f.check.hash.to_display_hex(),
                if block { "  BLOCK" } else { "" }
            );
        }
    }

    fn hardware_error(&mut self, board: usize, job_id: u8, nonce: u32) {
        if self.json {
            self.json_line(serde_json::json!({"event": "hardware_error", "board": board, "job": job_id, "nonce": nonce}));
        } else {
            self.note(format!(
                "board {board}: HARDWARE ERROR: nonce {nonce:#010x} (job {job_id}) fails the sha2 check"
            ));
        }
    }

    fn board_lost(&mut self, board: usize, error: &DeviceError) {
        if self.json {
            self.json_line(serde_json::json!({"event": "board_lost", "board": board, "error": error.to_string()}));
        } else {
            self.note(format!("board {board} lost: {error}; reconnecting"));
        }
    }

    fn board_back(&mut self, board: usize) {
        if self.json {
            self.json_line(serde_json::json!({"event": "board_back", "board": board}));
        } else {
            self.note(format!("board {board} is back; its work was sent again"));
        }
    }

    fn source_event(&mut self, ev: &SourceEvent) {
        match ev {
            SourceEvent::ShareResult { accepted, reason } if self.json => {
                self.json_line(serde_json::json!({"event": "share_result", "accepted": accepted, "reason": reason}));
            }
            SourceEvent::ShareResult {
                accepted: false,
                reason,
            } => self.note(format!(
                "share rejected: {}",
                reason.as_deref().unwrap_or("?")
            )),
            SourceEvent::ShareResult { .. } => {}
            SourceEvent::Restart => {
                if self.json {
                    self.json_line(serde_json::json!({"event": "new_job", "clean": true}));
                }
            }
            SourceEvent::Difficulty(d) => {
                if self.json {
                    self.json_line(serde_json::json!({"event": "difficulty", "difficulty": d}));
                } else {
                    self.note(format!("share difficulty {d}"));
                }
            }
            SourceEvent::ShareDropped(why) => self.note(format!("share dropped: {why}")),
            SourceEvent::Note(msg) => self.note(msg.clone()),
        }
    }

    fn stats(&mut self, s: &MinerStats) {
        if self.json {
            self.json_line(serde_json::json!({
                "event": "stats", "uptime": s.uptime, "hash_rate": s.total_rate,
                "board_rates": s.board_rates, "hashes": s.hashes, "shares": s.shares,
                "accepted": s.accepted, "rejected": s.rejected,
                "hardware_errors": s.hardware_errors, "below_target": s.below_target,
                "blocks": s.blocks,
            }));
            return;
        }
        if !self.tty {
            return;
        }
        let up = s.uptime as u64;
        let boards: Vec<String> = s.board_rates.iter().map(|r| rate(*r)).collect();
        eprint!(
            "\r\x1b[2K[{:02}:{:02}:{:02}] {} ({}) | accepted {} rejected {} | HW errors {} | {} hashes",
            up / 3600,
            up / 60 % 60,
            up % 60,
            rate(s.total_rate),
            boards.join(", "),
            s.accepted,
            s.rejected,
            s.hardware_errors,
            s.hashes
        );
        let _ = std::io::stderr().flush();
        self.status_line = true;
    }
}

/// Mine with `transports` from `source` until the stop condition.
pub fn mine_with(
    transports: Vec<Box<dyn Transport>>,
    source: &mut dyn WorkSource,
    printer: &mut Printer,
    stop: StopAfter,
) -> Result<MinerStats> {
    let mut miner = Miner::new(transports, printer)?;
    let stats = miner.run(source, printer, stop);
    printer.clear();
    Ok(stats)
}

/// The stop condition of the arguments.
pub fn stop_after(a: &MineArgs) -> Result<StopAfter> {
    let duration = match a.duration {
        Some(d) if !(d.is_finite() && d > 0.0) => {
            bail!("--duration must be a positive number of seconds")
        }
        Some(d) => Some(Duration::from_secs_f64(d)),
        None => None,
    };
    Ok(StopAfter {
        duration,
        shares: a.max_shares,
    })
}

/// Print the closing summary.
pub fn summary(printer: &mut Printer, s: &MinerStats) {
    if printer.json {
        printer.json_line(serde_json::json!({
            "event": "done", "uptime": s.uptime, "hashes": s.hashes, "shares": s.shares,
            "accepted": s.accepted, "rejected": s.rejected, "blocks": s.blocks,
            "hardware_errors": s.hardware_errors, "below_target": s.below_target,
            "hash_rate": if s.uptime > 0.0 { s.hashes as f64 / s.uptime } else { 0.0 },
        }));
    } else {
        eprintln!(
            "{} hashes in {:.1} s ({}); {} shares ({} accepted, {} rejected), {} blocks, {} hardware errors",
            s.hashes,
            s.uptime,
            rate(if s.uptime > 0.0 { s.hashes as f64 / s.uptime } else { 0.0 }),
            s.shares,
            s.accepted,
            s.rejected,
            s.blocks,
            s.hardware_errors
        );
    }
}

pub fn cmd_mine(a: MineArgs) -> Result<()> {
    if a.ports.is_empty() {
        bail!("no board: give --port PATH (repeatable), --port auto, or --emulate to mine on an emulated board");
    }
    let stop = stop_after(&a)?;
    let mut source = source_for(&a)?;
    let transports = open_ports(&a.ports, a.baud)?;
    let mut printer = Printer::new(a.json);
    let stats = mine_with(transports, source.as_mut(), &mut printer, stop)?;
    summary(&mut printer, &stats);
    Ok(())
}
