//! The process's peak resident memory, for the runner's reports.

/// The most resident memory this process has used so far (Linux's
/// `VmHWM`, in bytes), or 0 where `/proc/self/status` cannot be read. In a
/// run of several scenarios it is the peak over all of them up to now.
///
/// ```
/// assert!(scenarios::memory::peak_rss_bytes() > 0);
/// ```
pub fn peak_rss_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}
