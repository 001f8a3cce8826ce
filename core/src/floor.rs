//! The floor a host crossing is measured against (bench/crossing.*): a round trip of two
//! blocking thread wake-ups, as an eventfd ping-pong between two plain threads. It lives
//! in the core so both languages' benchmarks measure the same thing.

use std::time::Instant;

fn eventfd() -> i32 {
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    assert!(fd >= 0, "eventfd failed");
    fd
}

fn signal(fd: i32) {
    let one: u64 = 1;
    let n = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    assert_eq!(n, 8, "eventfd write failed");
}

fn wait(fd: i32) {
    let mut v: u64 = 0;
    let n = unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
    assert_eq!(n, 8, "eventfd read failed");
}

/// Microseconds per round trip of `rounds` ping-pongs (blocks the calling thread).
pub fn ping_pong_us(rounds: u32) -> f64 {
    let (ping, pong) = (eventfd(), eventfd());
    let peer = std::thread::spawn(move || {
        for _ in 0..rounds {
            wait(ping);
            signal(pong);
        }
    });
    let t0 = Instant::now();
    for _ in 0..rounds {
        signal(ping);
        wait(pong);
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(rounds.max(1));
    peer.join().expect("ping-pong thread");
    unsafe {
        libc::close(ping);
        libc::close(pong);
    }
    us
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_round_trip_takes_time() {
        assert!(super::ping_pong_us(100) > 0.0);
    }
}
