//! The pseudo-terminal pair.

use super::EmulatorError;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::{AsRawFd, FromRawFd, IntoRawFd, RawFd};
use std::path::PathBuf;

/// A pty pair: the master (non-blocking) for the emulator, the slave held
/// open so the pty survives hosts closing and reopening it.
pub(crate) struct Pty {
    pub master: File,
    /// Held, never read or written.
    pub _slave: File,
    pub path: PathBuf,
}

fn pty_err(what: &str) -> impl FnOnce(nix::Error) -> EmulatorError + '_ {
    move |e| EmulatorError::Pty(format!("{what}: {e}"))
}

/// Put `fd` in O_NONBLOCK mode.
pub(crate) fn set_nonblocking(fd: RawFd) -> Result<(), EmulatorError> {
    let flags = fcntl(fd, FcntlArg::F_GETFL).map_err(pty_err("fcntl(F_GETFL)"))?;
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).map_err(pty_err("fcntl(F_SETFL)"))?;
    Ok(())
}

impl Pty {
    /// Open a pty pair (close-on-exec, so a child process never holds it)
    /// with the slave in raw mode: no echo, no line discipline, no CR/LF
    /// translation, 8 bits.
    pub fn open() -> Result<Pty, EmulatorError> {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
            .map_err(pty_err("posix_openpt"))?;
        grantpt(&master).map_err(pty_err("grantpt"))?;
        unlockpt(&master).map_err(pty_err("unlockpt"))?;
        let path = PathBuf::from(ptsname_r(&master).map_err(pty_err("ptsname_r"))?);
        // SAFETY: `into_raw_fd` hands over sole ownership of the descriptor.
        let master = unsafe { File::from_raw_fd(master.into_raw_fd()) };
        // std opens with O_CLOEXEC.
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY)
            .open(&path)
            .map_err(|e| EmulatorError::Pty(format!("opening {}: {e}", path.display())))?;
        let mut t = tcgetattr(slave.as_raw_fd()).map_err(pty_err("tcgetattr"))?;
        cfmakeraw(&mut t);
        tcsetattr(slave.as_raw_fd(), SetArg::TCSANOW, &t).map_err(pty_err("tcsetattr"))?;
        set_nonblocking(master.as_raw_fd())?;
        Ok(Pty {
            master,
            _slave: slave,
            path,
        })
    }
}
