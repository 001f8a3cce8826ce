//! CPU time of this process, shared by the Rust benchmarks (each a cargo example that
//! includes this file): on a shared machine CPU per op is steadier than wall rates.

/// Seconds of CPU this process has used, all threads together.
pub fn process_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
