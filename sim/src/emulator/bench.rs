//! End-to-end speed of an emulated board, measured the way a host sees it:
//! through the pty, with the native protocol.

use super::{Backend, Emulator, EmulatorConfig, EmulatorError};
use ferrominer_hdl::board::Protocol;
use nix::poll::{poll, PollFd, PollFlags};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// One measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// The back end that ran (never `Auto`).
    pub backend: Backend,
    /// Unroll.
    pub unroll: usize,
    /// Cores.
    pub cores: usize,
    /// Nonces hashed between the first and the last `STATUS` (all cores).
    pub hashes: u64,
    /// Wall-clock seconds between those two replies.
    pub seconds: f64,
    /// `hashes / seconds`.
    pub hashes_per_second: f64,
    /// Emulated clock cycles per second (each core issues one nonce every
    /// `64 / U` cycles).
    pub cycles_per_second: f64,
    /// The nominal clock the board reports in `IDENT`.
    pub nominal_clock_hz: u32,
    /// Seconds spent building the Verilator model (0 when cached).
    pub build_seconds: f64,
}

/// CRC-16/CCITT-FALSE, as the native protocol uses it.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![payload.len() as u8, kind];
    body.extend_from_slice(payload);
    let crc = crc16(&body);
    let mut f = vec![0xa5];
    f.extend(body);
    f.extend(crc.to_be_bytes());
    f
}

/// The smallest host that can drive a benchmark: frames out, replies of
/// one type back.
struct MiniHost {
    port: File,
    buf: Vec<u8>,
}

fn bench_err(what: impl Into<String>) -> EmulatorError {
    EmulatorError::Bench(what.into())
}

impl MiniHost {
    fn open(path: &Path) -> Result<Self, EmulatorError> {
        let port = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY | nix::libc::O_NONBLOCK)
            .open(path)
            .map_err(super::io_err(format!("opening {}", path.display())))?;
        Ok(Self {
            port,
            buf: Vec::new(),
        })
    }

    fn send(&mut self, f: &[u8]) -> Result<(), EmulatorError> {
        let mut left = f;
        let t0 = Instant::now();
        while !left.is_empty() {
            match self.port.write(left) {
                Ok(n) => left = &left[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if t0.elapsed() > Duration::from_secs(2) {
                        return Err(bench_err("the emulator does not take bytes"));
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => return Err(super::io_err("writing the port")(e)),
            }
        }
        Ok(())
    }

    /// The next good frame of type `kind` within `timeout`: its payload.
    fn wait_for(&mut self, kind: u8, timeout: Duration) -> Result<Vec<u8>, EmulatorError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(start) = self.buf.iter().position(|&b| b == 0xa5) {
                self.buf.drain(..start);
                if self.buf.len() < 2 {
                    break;
                }
                let total = usize::from(self.buf[1]) + 5;
                if self.buf.len() < total {
                    break;
                }
                let f: Vec<u8> = self.buf[..total].to_vec();
                if crc16(&f[1..]) != 0 {
                    self.buf.drain(..1);
                    continue;
                }
                self.buf.drain(..total);
                if f[2] == kind {
                    return Ok(f[3..total - 2].to_vec());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(bench_err(format!(
                    "no reply of type {kind:#04x} within {timeout:?}"
                )));
            }
            let mut fds = [PollFd::new(self.port.as_raw_fd(), PollFlags::POLLIN)];
            let _ = poll(&mut fds, left.as_millis().clamp(1, 100) as i32);
            let mut chunk = [0u8; 256];
            match self.port.read(&mut chunk) {
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(super::io_err("reading the port")(e)),
            }
        }
    }

    /// `STATUS` → (time of the reply, progress).
    fn status(&mut self) -> Result<(Instant, u32), EmulatorError> {
        self.send(&frame(0x03, &[]))?;
        let p = self.wait_for(0x83, Duration::from_secs(2))?;
        if p.len() != 7 {
            return Err(bench_err(format!("STATUS_REPLY of {} bytes", p.len())));
        }
        Ok((Instant::now(), u32::from_be_bytes([p[2], p[3], p[4], p[5]])))
    }
}

/// Measure the emulated hash rate of `config` (protocol forced to native)
/// end to end: start the emulator, open its pty, send `SET_WORK` on the
/// whole nonce range with threshold 0, poll `STATUS` every 100 ms for
/// `duration`, and divide the progress × N between the first and the last
/// reply by the time between them.
pub fn bench(config: &EmulatorConfig, duration: Duration) -> Result<BenchRow, EmulatorError> {
    let config = EmulatorConfig {
        protocol: Protocol::Native,
        ..config.clone()
    };
    let emu = Emulator::start(config.clone())?;
    let mut host = MiniHost::open(emu.port_path())?;
    let mut work = vec![0x5a];
    // Any midstate and tail will do: with threshold 0 a hit is a 2^-32 event.
    for w in 0..11u32 {
        work.extend((0x6a09_e667u32 ^ w.wrapping_mul(0x9e37_79b9)).to_be_bytes());
    }
    work.extend(0u32.to_be_bytes());
    work.extend(u32::MAX.to_be_bytes());
    work.extend(0u32.to_be_bytes());
    host.send(&frame(0x02, &work))?;
    host.wait_for(0x82, Duration::from_secs(5))?;
    std::thread::sleep(Duration::from_millis(100));
    let (t0, p0) = host.status()?;
    let (mut t1, mut p1) = (t0, p0);
    while t1.duration_since(t0) < duration {
        std::thread::sleep(Duration::from_millis(100));
        (t1, p1) = host.status()?;
    }
    let seconds = t1.duration_since(t0).as_secs_f64();
    let per_core = u64::from(p1.wrapping_sub(p0));
    let hashes = per_core * config.cores as u64;
    let row = BenchRow {
        backend: emu.backend(),
        unroll: config.unroll,
        cores: config.cores,
        hashes,
        seconds,
        hashes_per_second: hashes as f64 / seconds,
        cycles_per_second: (per_core * 64 / config.unroll as u64) as f64 / seconds,
        nominal_clock_hz: emu.engine_config().clock_hz,
        build_seconds: emu.build_seconds(),
    };
    drop(host);
    emu.stop()?;
    Ok(row)
}

/// The rows as a Markdown table.
pub fn bench_table(rows: &[BenchRow]) -> String {
    let mut s = String::from(
        "| backend | U | N | hashes | seconds | H/s | cycles/s | nominal clock (Hz) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.0} | {:.0} | {} |\n",
            r.backend,
            r.unroll,
            r.cores,
            r.hashes,
            r.seconds,
            r.hashes_per_second,
            r.cycles_per_second,
            r.nominal_clock_hz
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_the_protocol_examples() {
        assert_eq!(frame(0x01, &[]), [0xa5, 0x00, 0x01, 0x0d, 0x2e]);
        assert_eq!(frame(0x03, &[]), [0xa5, 0x00, 0x03, 0x2d, 0x6c]);
        assert_eq!(crc16(b"123456789"), 0x29b1);
    }
}
