//! A serial port (a USB UART bridge, or the emulator's pseudo-terminal).

use super::{Transport, TransportError};
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// The default baud rate of ferrominer boards.
pub const DEFAULT_BAUD: u32 = 115_200;

/// A serial port opened with the `serialport` crate: 8N1, no flow control.
pub struct SerialTransport {
    path: String,
    baud: u32,
    port: Option<Box<dyn serialport::SerialPort>>,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport")
            .field("path", &self.path)
            .field("baud", &self.baud)
            .field("open", &self.port.is_some())
            .finish()
    }
}

fn classify(path: &str, e: &serialport::Error) -> TransportError {
    let detail = e.to_string();
    let lower = detail.to_lowercase();
    let path = path.to_string();
    match e.kind() {
        serialport::ErrorKind::NoDevice => TransportError::NotFound { path },
        serialport::ErrorKind::Io(ErrorKind::NotFound) => TransportError::NotFound { path },
        serialport::ErrorKind::Io(ErrorKind::PermissionDenied) => {
            TransportError::Permission { path }
        }
        _ if lower.contains("no such file") => TransportError::NotFound { path },
        _ if lower.contains("busy") || lower.contains("locked") => TransportError::Busy { path },
        _ if lower.contains("permission") => TransportError::Permission { path },
        _ => TransportError::Io { path, detail },
    }
}

fn io_error(path: &str, e: std::io::Error) -> TransportError {
    let path = path.to_string();
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::NotConnected | ErrorKind::UnexpectedEof => {
            TransportError::Disconnected {
                path,
                detail: e.to_string(),
            }
        }
        // A USB bridge that is unplugged reports EIO (or ENXIO) on Linux.
        _ if matches!(e.raw_os_error(), Some(5) | Some(6) | Some(19)) => {
            TransportError::Disconnected {
                path,
                detail: e.to_string(),
            }
        }
        _ => TransportError::Io {
            path,
            detail: e.to_string(),
        },
    }
}

impl SerialTransport {
    /// Open `path` at `baud`, exclusively.
    pub fn open(path: &str, baud: u32) -> Result<Self, TransportError> {
        let mut t = Self {
            path: path.to_string(),
            baud,
            port: None,
        };
        t.reopen()?;
        Ok(t)
    }

    /// The port's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn port(&mut self) -> Result<&mut Box<dyn serialport::SerialPort>, TransportError> {
        self.port
            .as_mut()
            .ok_or_else(|| TransportError::Disconnected {
                path: self.path.clone(),
                detail: "not open".into(),
            })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let path = self.path.clone();
        let port = self.port()?;
        let r = port.write_all(bytes).and_then(|_| port.flush());
        r.map_err(|e| {
            let err = io_error(&path, e);
            if err.is_disconnect() {
                self.port = None;
            }
            err
        })
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        let path = self.path.clone();
        let port = self.port()?;
        port.set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| classify(&path, &e))?;
        match port.read(buf) {
            Ok(0) => {
                // A pty whose other side closed reads 0 bytes forever.
                self.port = None;
                Err(TransportError::Disconnected {
                    path,
                    detail: "end of file".into(),
                })
            }
            Ok(n) => Ok(n),
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => Ok(0),
            Err(e) => {
                let err = io_error(&path, e);
                if err.is_disconnect() {
                    self.port = None;
                }
                Err(err)
            }
        }
    }

    fn reopen(&mut self) -> Result<(), TransportError> {
        self.port = None;
        if !std::path::Path::new(&self.path).exists() {
            return Err(TransportError::NotFound {
                path: self.path.clone(),
            });
        }
        let port = serialport::new(&self.path, self.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(50))
            .open_native()
            .map_err(|e| classify(&self.path, &e))?;
        let port: Box<dyn serialport::SerialPort> = Box::new(port);
        // Stale bytes from before are not ours.
        let _ = port.clear(serialport::ClearBuffer::All);
        self.port = Some(port);
        Ok(())
    }

    fn name(&self) -> String {
        self.path.clone()
    }
}
