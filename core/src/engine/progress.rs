//! Progress of a batch: when to tell the host (at most ~10 times a second, plus once at
//! the end) and the bar drawn on stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 30;

pub struct Progress {
    bar: bool,
    last: Option<Instant>,
    reported: Option<usize>,
    finished: bool,
}

impl Progress {
    /// `bar` asks for a bar; it is drawn only if stderr is a terminal.
    pub fn new(bar: bool) -> Self {
        Progress {
            bar: bar && std::io::stderr().is_terminal(),
            last: None,
            reported: None,
            finished: false,
        }
    }

    /// Returns `(done, total)` when it is time to report, drawing the bar if there is one.
    pub fn tick(
        &mut self,
        done: usize,
        total: usize,
        finished: bool,
        now: Instant,
    ) -> Option<(usize, usize)> {
        if self.finished || self.reported == Some(done) && !finished {
            return None;
        }
        let due = finished || self.last.is_none_or(|t| now.duration_since(t) >= EVERY);
        if !due {
            return None;
        }
        self.last = Some(now);
        self.reported = Some(done);
        self.finished = finished;
        if self.bar {
            draw(done, total, finished);
        }
        Some((done, total))
    }
}

fn draw(done: usize, total: usize, finished: bool) {
    let filled = (done * BAR_WIDTH).checked_div(total).unwrap_or(BAR_WIDTH);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {done}/{total} {percent:>3}%{}",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        if finished { "\n" } else { "" }
    );
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_at_most_every_100ms_and_always_at_the_end() {
        let mut p = Progress::new(false);
        let t = Instant::now();
        assert_eq!(p.tick(1, 10, false, t), Some((1, 10)));
        assert_eq!(p.tick(2, 10, false, t + Duration::from_millis(50)), None);
        assert_eq!(
            p.tick(3, 10, false, t + Duration::from_millis(100)),
            Some((3, 10))
        );
        assert_eq!(
            p.tick(3, 10, false, t + Duration::from_millis(300)),
            None,
            "no change, no report"
        );
        assert_eq!(
            p.tick(10, 10, true, t + Duration::from_millis(310)),
            Some((10, 10))
        );
        assert_eq!(
            p.tick(10, 10, true, t + Duration::from_millis(900)),
            None,
            "the end is reported once"
        );
    }
}
