//! The process's resident set, from `/proc/self/status` (Linux; elsewhere
//! the figures read as unknown).

/// A `/proc/self/status` field in KiB (`VmRSS`: now, `VmHWM`: the peak).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The resident set now, in MiB.
pub(crate) fn current_mib() -> Option<f64> {
    status_kib("VmRSS:").map(|kib| kib as f64 / 1024.0)
}

/// The resident set's peak so far, in MiB.
pub(crate) fn peak_mib() -> Option<f64> {
    status_kib("VmHWM:").map(|kib| kib as f64 / 1024.0)
}
