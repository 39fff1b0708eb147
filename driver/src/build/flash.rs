//! Programming a board with its programmer (iceprog or openFPGALoader).

use crate::boards::{Board, ProgrammerCommand};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors from [`flash`].
#[derive(Debug, thiserror::Error)]
pub enum FlashError {
    /// The bitstream does not exist.
    #[error("no bitstream at {}: build one with `ferrominer build --board {board}`", path.display())]
    BitstreamMissing {
        /// The path given.
        path: PathBuf,
        /// The board id.
        board: &'static str,
    },
    /// The programmer is not on PATH.
    #[error("`{program}` not found on PATH: {hint}")]
    ProgrammerMissing {
        /// Executable name.
        program: &'static str,
        /// How to install it.
        hint: &'static str,
    },
    /// The programmer could not be started.
    #[error("cannot run `{command}`: {source}")]
    Io {
        /// The command line.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The programmer failed.
    #[error("`{command}` failed ({status}); check the USB cable, udev permissions, and that no serial terminal has the port open")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
    },
}

/// Programs `bitstream` into `board` (see [`Board::programmer_command`]),
/// with the programmer's output going to this process' stdout and stderr.
pub fn flash(
    board: &Board,
    bitstream: &Path,
    persist: bool,
) -> Result<ProgrammerCommand, FlashError> {
    if !bitstream.is_file() {
        return Err(FlashError::BitstreamMissing {
            path: bitstream.to_path_buf(),
            board: board.id,
        });
    }
    let cmd = board.programmer_command(bitstream, persist);
    let status = Command::new(cmd.program)
        .args(&cmd.args)
        .status()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                FlashError::ProgrammerMissing {
                    program: cmd.program,
                    hint: board.programmer.install_hint(),
                }
            } else {
                FlashError::Io {
                    command: cmd.to_string(),
                    source,
                }
            }
        })?;
    if !status.success() {
        return Err(FlashError::Failed {
            command: cmd.to_string(),
            status: status.to_string(),
        });
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_bitstream_says_how_to_build_one() {
        let b = Board::find("alchitry-cu").unwrap();
        let e = flash(b, Path::new("/nonexistent/ferrominer.bin"), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no bitstream at /nonexistent/ferrominer.bin: build one with `ferrominer build --board alchitry-cu`"
        );
    }
}
