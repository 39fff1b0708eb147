//! The `mine` subcommand: a thin layer over `ferrominer::miner`.

use anyhow::{bail, Context, Result};
use clap::Args;
use ferrominer::device::DeviceError;
use ferrominer::gbt::{RpcAuth, RpcUrl};
use ferrominer::miner::{
    FoundShare, HeaderSource, Miner, MinerObserver, MinerStats, NodeConfig, NodeSource,
    SourceEvent, StopAfter, StratumSource, WorkSource,
};
use ferrominer::protocol::Ident;
use ferrominer::stratum::ClientConfig;
use ferrominer::transport::discover::find_ports;
use ferrominer::transport::{SerialTransport, Transport};
use ferrominer::BlockHeader;
use ferrominer_sim::emulator::{Backend, Emulator, EmulatorConfig};
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
    /// Mine solo for a Bitcoin node: its JSON-RPC URL, e.g.
    /// http://127.0.0.1:8332 (regtest: 18443). Blocks are built from its
    /// `getblocktemplate` and sent with `submitblock`; needs --address.
    #[arg(long, value_name = "URL", conflicts_with_all = ["header", "url"], requires = "address")]
    pub rpc_url: Option<String>,
    /// Node RPC user (with --rpc-pass), as in the node's rpcuser/rpcauth.
    #[arg(long, requires = "rpc_pass", conflicts_with = "rpc_cookie")]
    pub rpc_user: Option<String>,
    /// Node RPC password (never printed or logged).
    #[arg(long, requires = "rpc_user")]
    pub rpc_pass: Option<String>,
    /// The node's cookie file instead of a user and password (default:
    /// ~/.bitcoin/.cookie, or regtest/.cookie etc. below it).
    #[arg(long, value_name = "FILE")]
    pub rpc_cookie: Option<std::path::PathBuf>,
    /// Address that gets the block reward (solo mining; the node checks it
    /// is valid for its network).
    #[arg(long)]
    pub address: Option<String>,
    /// Text put into the coinbase of solo-mined blocks.
    #[arg(long, default_value = "/ferrominer/", value_name = "TEXT")]
    pub coinbase_tag: String,
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
    /// Mine on emulated boards (the real gateware behind a pseudo-terminal,
    /// in Verilator if installed, else rust-hdl's simulator) as well as any
    /// --port.
    #[arg(long)]
    pub emulate: bool,
    /// How many emulated boards (with --emulate).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub emulated_boards: usize,
    /// Unroll of the emulated boards.
    #[arg(long, default_value_t = 8, value_parser = crate::parse_unroll)]
    pub emulate_unroll: usize,
    /// Cores of the emulated boards.
    #[arg(long, default_value_t = 1)]
    pub emulate_cores: usize,
    /// Simulator of the emulated boards.
    #[arg(long, value_enum, default_value_t = EmuBackend::Auto)]
    pub backend: EmuBackend,
}

/// Which simulator runs an emulated board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EmuBackend {
    /// Verilator if installed, else rust-hdl.
    Auto,
    /// The generated Verilog in Verilator (fast).
    Verilator,
    /// rust-hdl's own simulator (slow, needs nothing).
    RustHdl,
}

impl From<EmuBackend> for Backend {
    fn from(b: EmuBackend) -> Self {
        match b {
            EmuBackend::Auto => Backend::Auto,
            EmuBackend::Verilator => Backend::Verilator,
            EmuBackend::RustHdl => Backend::RustHdl,
        }
    }
}

/// Start `count` emulated native-protocol boards.
pub fn start_emulators(
    count: usize,
    unroll: usize,
    cores: usize,
    backend: EmuBackend,
) -> Result<Vec<Emulator>> {
    (0..count)
        .map(|i| {
            let cfg = EmulatorConfig::new(unroll, cores).with_backend(backend.into());
            let emu = Emulator::start(cfg).context("cannot start the emulated board")?;
            eprintln!(
                "emulated board {i} on {} (U={unroll}, N={cores}, {})",
                emu.port_path().display(),
                emu.backend()
            );
            Ok(emu)
        })
        .collect()
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
        (None, None) if a.rpc_url.is_some() => node_source(a),
        _ => bail!("say what to mine: --header HEX (with --start/--count), -o stratum+tcp://HOST:PORT -u USER, or --rpc-url http://HOST:PORT --address ADDR"),
    }
}

/// Solo mining for a node (`--rpc-url`).
fn node_source(a: &MineArgs) -> Result<Box<dyn WorkSource>> {
    let url = RpcUrl::parse(a.rpc_url.as_deref().unwrap_or_default())?;
    let auth = match (&a.rpc_user, &a.rpc_pass, &a.rpc_cookie) {
        (Some(user), Some(pass), _) => RpcAuth::UserPass {
            user: user.clone(),
            pass: pass.clone(),
        },
        (_, _, Some(cookie)) => RpcAuth::Cookie(cookie.clone()),
        _ => RpcAuth::Cookie(default_cookie(url.port()).with_context(|| {
            "give the node's credentials: --rpc-user and --rpc-pass, or --rpc-cookie FILE"
        })?),
    };
    let address = a.address.clone().unwrap_or_default();
    let mut cfg = NodeConfig::new(url.clone(), auth, address);
    cfg.tag = a.coinbase_tag.as_bytes().to_vec();
    eprintln!("asking the node at {url} for a block template");
    let source = NodeSource::connect(cfg).context("cannot mine for the node")?;
    let t = source.template();
    eprintln!(
        "mining block {} on {} ({} transactions, {:.8} BTC to {}, difficulty {})",
        t.height,
        t.prev_hash.to_display_hex(),
        t.transactions.len(),
        t.coinbase_value as f64 / 1e8,
        a.address.as_deref().unwrap_or_default(),
        t.target.difficulty()
    );
    Ok(Box::new(source))
}

/// Bitcoin Core's cookie file for the network its default RPC port says.
fn default_cookie(port: u16) -> Option<std::path::PathBuf> {
    let dir = match port {
        18443 => "regtest/",
        18332 => "testnet3/",
        48332 => "testnet4/",
        38332 => "signet/",
        _ => "",
    };
    let home = std::env::var_os("HOME")?;
    let path = std::path::Path::new(&home).join(format!(".bitcoin/{dir}.cookie"));
    path.exists().then_some(path)
}

/// Prints events: a status line and share lines as text, or JSON lines.
pub struct Printer {
    pub json: bool,
    pub tty: bool,
    pub status_line: bool,
    /// Without a terminal, a plain status line this often.
    last_plain: Option<std::time::Instant>,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            tty: std::io::stderr().is_terminal(),
            status_line: false,
            last_plain: None,
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
        let up = s.uptime as u64;
        let boards: Vec<String> = s.board_rates.iter().map(|r| rate(*r)).collect();
        if !self.tty {
            // Logs: a plain line every 10 seconds instead of a live one.
            if self
                .last_plain
                .is_some_and(|t| t.elapsed() < Duration::from_secs(10))
            {
                return;
            }
            self.last_plain = Some(std::time::Instant::now());
            eprintln!(
                "[{:02}:{:02}:{:02}] {} ({}) | accepted {} rejected {} | HW errors {} | {} hashes",
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
            return;
        }
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
        let pool = if s.accepted + s.rejected > 0 {
            format!(" ({} accepted, {} rejected)", s.accepted, s.rejected)
        } else {
            String::new()
        };
        eprintln!(
            "{} hashes in {:.1} s ({}); {} shares{pool}, {} blocks, {} hardware errors",
            s.hashes,
            s.uptime,
            rate(if s.uptime > 0.0 {
                s.hashes as f64 / s.uptime
            } else {
                0.0
            }),
            s.shares,
            s.blocks,
            s.hardware_errors
        );
    }
}

pub fn cmd_mine(a: MineArgs) -> Result<()> {
    if a.ports.is_empty() && !a.emulate {
        bail!("no board: give --port PATH (repeatable), --port auto, or --emulate to mine on an emulated board");
    }
    let stop = stop_after(&a)?;
    let mut source = source_for(&a)?;
    let emulators = if a.emulate {
        start_emulators(
            a.emulated_boards,
            a.emulate_unroll,
            a.emulate_cores,
            a.backend,
        )?
    } else {
        Vec::new()
    };
    let mut ports = a.ports.clone();
    ports.extend(
        emulators
            .iter()
            .map(|e| e.port_path().display().to_string()),
    );
    let transports = open_ports(&ports, a.baud)?;
    let mut printer = Printer::new(a.json);
    let stats = mine_with(transports, source.as_mut(), &mut printer, stop)?;
    summary(&mut printer, &stats);
    drop(emulators);
    Ok(())
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Nonces to hash below the genesis block's nonce. Default: 200000 with
    /// Verilator, 3000 with rust-hdl's simulator.
    #[arg(long)]
    pub window: Option<u32>,
    /// Unroll of the emulated board.
    #[arg(long, default_value_t = 8, value_parser = crate::parse_unroll)]
    pub unroll: usize,
    /// Cores of the emulated board.
    #[arg(long, default_value_t = 1)]
    pub cores: usize,
    /// Simulator of the emulated board.
    #[arg(long, value_enum, default_value_t = EmuBackend::Auto)]
    pub backend: EmuBackend,
    /// Regtest-difficulty blocks to find in the second part.
    #[arg(long, default_value_t = 8)]
    pub blocks: u64,
    /// Print JSON events instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The genesis block header and its nonce.
const GENESIS: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c";
const GENESIS_NONCE: u32 = 2_083_236_893;
/// Regtest's genesis header (target 0x207fffff: about half of all nonces).
const REGTEST: &str = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000";

pub fn cmd_demo(a: DemoArgs) -> Result<()> {
    let mut printer = Printer::new(a.json);
    if !a.json {
        eprintln!("ferrominer demo: mining on an emulated board that runs the real gateware (protocol engine and cores) behind a pseudo-terminal.");
    }
    let mut emus = start_emulators(1, a.unroll, a.cores, a.backend)?;
    let emu = emus.remove(0);
    let fast = emu.backend() == Backend::Verilator;
    let port = emu.port_path().display().to_string();

    // 1. The genesis block, from a window of nonces below its nonce.
    let window = a
        .window
        .unwrap_or(if fast { 200_000 } else { 3_000 })
        .max(1);
    let genesis = BlockHeader::from_hex(GENESIS)?;
    let start = GENESIS_NONCE.saturating_sub(window - 1);
    printer.note(format!(
        "[1/2] re-mining the genesis block: nonces {start}..={GENESIS_NONCE} ({window} hashes)"
    ));
    let mut source = HeaderSource::new(genesis, start, u64::from(window) + 16)?;
    let transports = open_ports(std::slice::from_ref(&port), 115_200)?;
    let mut miner = Miner::new(transports, &mut printer)?;
    let s1 = miner.run(&mut source, &mut printer, StopAfter::default());
    printer.clear();
    summary(&mut printer, &s1);
    if s1.blocks == 0 {
        bail!("the emulated board did not find the genesis block's nonce");
    }
    drop(miner);

    // 2. A regtest-difficulty job: blocks come every couple of hashes.
    let mut regtest = *BlockHeader::from_hex(REGTEST)?.as_bytes();
    // A newer timestamp makes it new work.
    regtest[68..72].copy_from_slice(&1_700_000_000u32.to_le_bytes());
    let regtest = BlockHeader::new(regtest);
    printer.note(format!(
        "[2/2] mining a regtest-difficulty block template (bits 207fffff) until {} blocks",
        a.blocks
    ));
    let mut source = HeaderSource::new(regtest, 0, 1 << 20)?;
    let transports = open_ports(std::slice::from_ref(&port), 115_200)?;
    let mut miner = Miner::new(transports, &mut printer)?;
    let s2 = miner.run(
        &mut source,
        &mut printer,
        StopAfter {
            duration: Some(Duration::from_secs(120)),
            shares: Some(a.blocks),
        },
    );
    printer.clear();
    summary(&mut printer, &s2);
    drop(miner);
    drop(emu);
    Ok(())
}
