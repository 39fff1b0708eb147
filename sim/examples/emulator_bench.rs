//! The board emulator's hash rate end to end, through its pseudo-terminal
//! with the native protocol, for U = 8 and U = 64 (N = 1) on Verilator
//! (when installed) and on rust-hdl, printed as a Markdown table.
//!
//! ```sh
//! cargo run --release -p ferrominer-sim --example emulator_bench -- [SECONDS] [WORK_DIR]
//! ```
//!
//! SECONDS (default 5) is how long each configuration is measured; Verilator
//! builds are cached in WORK_DIR (default: the emulator's per-user cache).

use ferrominer_sim::emulator::{bench, bench_table, Backend, EmulatorConfig};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let work_dir = args.next();
    let mut backends = vec![Backend::RustHdl];
    if Backend::Auto.resolve() == Backend::Verilator {
        backends.insert(0, Backend::Verilator);
    } else {
        eprintln!("verilator is not installed: measuring rust-hdl only");
    }
    let mut rows = Vec::new();
    for backend in backends {
        for unroll in [8, 64] {
            let mut config = EmulatorConfig::new(unroll, 1).with_backend(backend);
            if let Some(d) = &work_dir {
                config = config.with_work_dir(d);
            }
            eprintln!("{backend}, U={unroll}, N=1: {seconds} s...");
            match bench(&config, Duration::from_secs_f64(seconds)) {
                Ok(row) => {
                    if row.build_seconds > 0.0 {
                        eprintln!(
                            "  (built the Verilator model in {:.1} s)",
                            row.build_seconds
                        );
                    }
                    rows.push(row);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    print!("{}", bench_table(&rows));
}
