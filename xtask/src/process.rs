//! Waiting for a child process with a time bound, and reading its peak
//! memory from the operating system (`wait4`'s resource usage), which
//! `std::process` does not expose.

use std::time::{Duration, Instant};

/// How a child ended.
pub(crate) enum Ended {
    /// It exited (or was killed by a signal), with its peak resident set.
    Exited {
        /// Exit code 0.
        success: bool,
        /// `std`'s rendering: "exit status: 1", "signal: 11 (SIGSEGV)", ...
        status: String,
        peak_kib: u64,
    },
    /// It was still running at the bound and was killed.
    TimedOut,
}

/// Waits for child `pid` (spawned by this process and not yet waited for)
/// for at most `timeout`; kills it at the bound.
#[cfg(unix)]
pub(crate) fn wait_with_timeout(pid: u32, timeout: Duration) -> Result<Ended, String> {
    use std::os::unix::process::ExitStatusExt;

    let pid = pid as libc::pid_t;
    let deadline = Instant::now() + timeout;
    let mut killed = false;
    loop {
        let mut status = 0;
        // SAFETY: `rusage` is plain data that `wait4` fills in; an all-zero
        // value is a valid one.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own unreaped child; `status` and `usage` are
        // valid for writes for the duration of the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            if killed {
                return Ok(Ended::TimedOut);
            }
            let status = std::process::ExitStatus::from_raw(status);
            return Ok(Ended::Exited {
                success: status.success(),
                status: status.to_string(),
                // Linux reports kilobytes (macOS bytes; the suite runs on Linux).
                peak_kib: usage.ru_maxrss.max(0) as u64,
            });
        }
        if reaped < 0 {
            return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
        }
        if !killed && Instant::now() >= deadline {
            // SAFETY: signalling our own unreaped child, which cannot have
            // been recycled as another process's pid while unreaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Not available: the peer suite measures through `wait4`.
#[cfg(not(unix))]
pub(crate) fn wait_with_timeout(_pid: u32, _timeout: Duration) -> Result<Ended, String> {
    Err("the peer suite needs a Unix system (it measures with wait4)".into())
}
