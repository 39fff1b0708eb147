//! Waiting for Ctrl-C / SIGTERM / SIGHUP without a signal handler.

use super::EmulatorError;
use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};
use std::time::Duration;

/// SIGINT, SIGTERM and SIGHUP, blocked so that they can be waited for.
///
/// Create it in the main thread **before** starting any thread (an
/// [`Emulator`](super::Emulator) included): threads inherit the blocked
/// mask, so the signals stay pending until [`wait`](Self::wait) takes one,
/// and the process is not killed half way through serving. Dropping it
/// restores the previous mask of the calling thread.
pub struct ShutdownSignals {
    set: SigSet,
    old: SigSet,
}

impl std::fmt::Debug for ShutdownSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShutdownSignals(SIGINT, SIGTERM, SIGHUP)")
    }
}

impl ShutdownSignals {
    /// Block SIGINT, SIGTERM and SIGHUP in the calling thread.
    pub fn block() -> Result<Self, EmulatorError> {
        let mut set = SigSet::empty();
        set.add(Signal::SIGINT);
        set.add(Signal::SIGTERM);
        set.add(Signal::SIGHUP);
        let mut old = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut old)).map_err(|e| {
            EmulatorError::Io {
                context: "blocking SIGINT/SIGTERM/SIGHUP".into(),
                source: e.into(),
            }
        })?;
        Ok(Self { set, old })
    }

    /// Wait up to `timeout` for one of the signals; the signal's name, or
    /// `None` on time-out.
    pub fn wait(&self, timeout: Duration) -> Option<&'static str> {
        let ts = nix::libc::timespec {
            tv_sec: timeout.as_secs().min(i32::MAX as u64) as nix::libc::time_t,
            tv_nsec: timeout.subsec_nanos() as nix::libc::c_long,
        };
        // SAFETY: the set and the timespec are valid for the call; a null
        // siginfo pointer is allowed.
        let r = unsafe { nix::libc::sigtimedwait(self.set.as_ref(), std::ptr::null_mut(), &ts) };
        if r <= 0 {
            return None;
        }
        Signal::try_from(r).ok().map(Signal::as_str)
    }
}

impl Drop for ShutdownSignals {
    fn drop(&mut self) {
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&self.old), None);
    }
}
