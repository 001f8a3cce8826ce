//! The semantics of bounded fan-out, with no I/O in it: which op starts when, which is
//! cut off and why. Every driver (native ops on tokio, Python tasks on asyncio, JS
//! functions on the Node thread) feeds it completions and carries out its actions, so
//! limit, rate, fail-fast, timeouts, deadline and backpressure mean the same everywhere.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::options::{FOREVER_SECS, Options};
use super::progress::Progress;
use crate::error::Code;

/// How many ops a streamed source should keep handed over and not yet settled: enough
/// to refill the limit twice over, so the source is pulled in chunks, never one by one,
/// and memory stays bounded by the limit rather than by the length of the source.
pub fn feed_target(limit: Option<usize>) -> usize {
    limit.map_or(1024, |l| l.saturating_mul(2).clamp(16, 1 << 16))
}

/// How many items a host-driven source should keep handed over and not yet settled: the
/// limit, so a source is pulled as p-map pulls its input, one item per free slot (an
/// endless generator under `limit=2` gives up only what can start). Host items are
/// started one by one anyway; chunks would only pull ahead of need.
pub fn pull_target(limit: Option<usize>) -> usize {
    limit.unwrap_or_else(|| feed_target(None))
}

/// What a driver must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start op `i`.
    Start(usize),
    /// Op `i` is in flight: drop it (cancel its task, abort its signal); it settles as
    /// rejected with this code.
    Abort(usize, Code),
    /// Op `i` never started and never will: it settles as rejected with this code.
    Skip(usize, Code),
}

pub struct Scheduler {
    opts: Options,
    t0: Instant,
    /// Ops handed over so far (a streamed source grows), and whether more may come.
    known: usize,
    source_done: bool,
    /// Next op to start, in input order.
    next: usize,
    running: HashSet<usize>,
    /// Slots still taken by ops that were cut off but whose run is not gone yet.
    held: usize,
    /// Running ops by expiry; since every op gets the same timeout, start order is
    /// expiry order. Entries of ops that ended early are skipped when reached.
    expiries: VecDeque<(Instant, usize)>,
    started: u64,
    done: usize,
    /// Outcomes delivered but not yet read by a stream consumer.
    unread: usize,
    /// Streams only: no op starts while more than this many outcomes wait unread.
    unread_bound: Option<usize>,
    stop: Option<Code>,
    progress: Progress,
}

impl Scheduler {
    /// A batch of `known` ops; `source_done` says whether more will be added by
    /// `extend`. `stream` bounds unread outcomes by the limit (as_settled).
    pub fn new(opts: Options, known: usize, source_done: bool, stream: bool) -> Self {
        let unread_bound = if stream { opts.limit } else { None };
        Scheduler {
            progress: Progress::new(opts.progress),
            opts,
            t0: Instant::now(),
            known,
            source_done,
            next: 0,
            running: HashSet::new(),
            held: 0,
            expiries: VecDeque::new(),
            started: 0,
            done: 0,
            unread: 0,
            unread_bound,
            stop: None,
        }
    }

    pub fn limit(&self) -> Option<usize> {
        self.opts.limit
    }

    /// A stream whose consumer buffers outcomes (p-map's `backpressure`): no op starts
    /// while more than `bound` outcomes wait unread.
    pub fn set_unread_bound(&mut self, bound: usize) {
        self.unread_bound = Some(bound);
    }

    /// More ops were handed over (streamed source).
    pub fn extend(&mut self, n: usize) {
        self.known += n;
    }

    /// The streamed source has no more ops.
    pub fn end_source(&mut self) {
        self.source_done = true;
    }

    /// The run of an op cut off that kept its slot (see `poll`) is gone.
    pub fn release(&mut self) {
        self.held = self.held.saturating_sub(1);
    }

    /// Op `i` ended by itself. Returns false if it was not running (it was aborted
    /// before its completion arrived): the driver then drops that completion.
    pub fn complete(&mut self, i: usize, rejected: bool) -> bool {
        if !self.running.remove(&i) {
            return false;
        }
        self.settled_one();
        if rejected && self.opts.fail_fast && self.stop.is_none() {
            self.stop = Some(Code::Cancelled);
        }
        true
    }

    /// The consumer of a stream read `n` outcomes.
    pub fn read(&mut self, n: usize) {
        self.unread = self.unread.saturating_sub(n);
    }

    /// Stops the batch: every op in flight is aborted and every other settles with
    /// `code`. Used for fail-fast, the deadline, and a cancelled batch.
    pub fn stop(&mut self, code: Code) {
        if self.stop.is_none() {
            self.stop = Some(code);
        }
    }

    pub fn finished(&self) -> bool {
        self.source_done && self.done == self.known
    }

    pub fn done(&self) -> usize {
        self.done
    }

    fn settled_one(&mut self) {
        self.done += 1;
        self.unread += 1;
    }

    /// Advances the batch to `now`: appends what the driver must do to `out` and returns
    /// when to call again if nothing completes before (None: only on a completion).
    /// An aborted op for which `holds` is true keeps its slot until `release`: a limit
    /// bounds what really runs, not only what the batch still waits for.
    pub fn poll(
        &mut self,
        now: Instant,
        out: &mut Vec<Action>,
        holds: impl Fn(usize) -> bool,
    ) -> Option<Instant> {
        let deadline = self.opts.deadline.map(|d| self.t0 + d);
        if deadline.is_some_and(|d| now >= d) {
            self.stop(Code::Timeout);
        }
        if self.stop.is_none() {
            self.expire(now, out, &holds);
        }
        if let Some(code) = self.stop {
            let mut aborted: Vec<usize> = self.running.drain().collect();
            aborted.sort_unstable();
            for i in aborted {
                self.held += holds(i) as usize;
                out.push(Action::Abort(i, code));
                self.settled_one();
            }
            self.expiries.clear();
            while self.next < self.known {
                out.push(Action::Skip(self.next, code));
                self.next += 1;
                self.settled_one();
            }
            return None;
        }
        let rate_wake = self.start(now, out);
        if self.finished() {
            return None;
        }
        [deadline, self.expiries.front().map(|e| e.0), rate_wake]
            .into_iter()
            .flatten()
            .min()
    }

    fn expire(&mut self, now: Instant, out: &mut Vec<Action>, holds: &impl Fn(usize) -> bool) {
        while let Some(&(at, i)) = self.expiries.front() {
            if at > now {
                break;
            }
            self.expiries.pop_front();
            // Every op whose time is up by `now` times out, even under fail-fast:
            // they ran out together, none of them was cut off by another.
            if self.running.remove(&i) {
                self.held += holds(i) as usize;
                out.push(Action::Abort(i, Code::Timeout));
                self.settled_one();
                if self.opts.fail_fast {
                    self.stop = Some(Code::Cancelled);
                }
            }
        }
    }

    /// Starts what the limit, the rate and the unread bound allow; returns when the
    /// rate allows the next start, if that is what holds it back.
    fn start(&mut self, now: Instant, out: &mut Vec<Action>) -> Option<Instant> {
        while self.next < self.known {
            if self
                .opts
                .limit
                .is_some_and(|l| self.running.len() + self.held >= l)
                || self.unread_bound.is_some_and(|b| self.unread > b)
            {
                return None;
            }
            if let Some(rate) = self.opts.rate {
                let at = self.t0
                    + Duration::from_secs_f64((self.started as f64 / rate).min(FOREVER_SECS));
                if at > now {
                    return Some(at);
                }
            }
            let i = self.next;
            self.next += 1;
            self.started += 1;
            self.running.insert(i);
            if let Some(t) = self.opts.timeout {
                self.expiries.push_back((now + t, i));
            }
            out.push(Action::Start(i));
        }
        None
    }

    /// `(done, total)` when the host should hear about progress (and the bar is drawn).
    pub fn progress(&mut self, now: Instant) -> Option<(usize, usize)> {
        let finished = self.finished();
        self.progress.tick(self.done, self.known, finished, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn opts(f: impl FnOnce(&mut Options)) -> Options {
        let mut o = Options::default();
        f(&mut o);
        o
    }

    #[test]
    fn an_absurd_rate_waits_for_ever_without_overflow() {
        let mut s = Scheduler::new(opts(|o| o.rate = Some(1e-300)), 2, true, false);
        let mut out = vec![];
        assert!(
            s.poll(Instant::now(), &mut out, |_| false).is_some(),
            "the second start waits 2^32 s, no overflow"
        );
        assert_eq!(out, [Start(0)]);
    }

    #[test]
    fn limit_bounds_what_is_in_flight_and_order_is_input_order() {
        let mut s = Scheduler::new(opts(|o| o.limit = Some(2)), 5, true, false);
        let now = Instant::now();
        let mut out = vec![];
        assert_eq!(s.poll(now, &mut out, |_| false), None);
        assert_eq!(out, [Start(0), Start(1)]);
        out.clear();
        assert!(s.complete(1, false));
        s.poll(now, &mut out, |_| false);
        assert_eq!(out, [Start(2)]);
        assert!(
            !s.complete(1, false),
            "a second completion of the same op is stale"
        );
        for i in [0, 2] {
            out.clear();
            s.complete(i, false);
            s.poll(now, &mut out, |_| false);
        }
        assert_eq!(out, [Start(4)]);
        s.complete(3, false);
        s.complete(4, false);
        assert!(s.finished());
    }

    #[test]
    fn fail_fast_aborts_in_flight_and_skips_the_rest() {
        let mut s = Scheduler::new(
            opts(|o| {
                o.limit = Some(2);
                o.fail_fast = true
            }),
            4,
            true,
            false,
        );
        let now = Instant::now();
        let mut out = vec![];
        s.poll(now, &mut out, |_| false);
        out.clear();
        s.complete(0, true);
        s.poll(now, &mut out, |_| false);
        assert_eq!(
            out,
            [
                Abort(1, Code::Cancelled),
                Skip(2, Code::Cancelled),
                Skip(3, Code::Cancelled)
            ]
        );
        assert!(s.finished());
    }

    #[test]
    fn rate_spaces_starts_evenly_without_a_burst() {
        let mut s = Scheduler::new(opts(|o| o.rate = Some(10.0)), 3, true, false);
        let t0 = s.t0;
        let mut out = vec![];
        let wake = s.poll(t0, &mut out, |_| false).unwrap();
        assert_eq!(out, [Start(0)]);
        assert_eq!(wake, t0 + Duration::from_millis(100));
        out.clear();
        s.poll(wake, &mut out, |_| false);
        assert_eq!(out, [Start(1)]);
        let wake = s.poll(wake, &mut out, |_| false).unwrap();
        assert_eq!(wake, t0 + Duration::from_millis(200));
    }

    #[test]
    fn timeout_and_deadline_cut_ops_off() {
        let mut s = Scheduler::new(
            opts(|o| {
                o.limit = Some(1);
                o.timeout = Some(Duration::from_millis(10));
                o.deadline = Some(Duration::from_millis(25))
            }),
            3,
            true,
            false,
        );
        let t0 = s.t0;
        let mut out = vec![];
        assert_eq!(
            s.poll(t0, &mut out, |_| false),
            Some(t0 + Duration::from_millis(10))
        );
        out.clear();
        let t = t0 + Duration::from_millis(10);
        s.poll(t, &mut out, |_| false);
        assert_eq!(out, [Abort(0, Code::Timeout), Start(1)]);
        out.clear();
        s.poll(t0 + Duration::from_millis(25), &mut out, |_| false);
        assert_eq!(out, [Abort(1, Code::Timeout), Skip(2, Code::Timeout)]);
        assert!(s.finished());
    }

    #[test]
    fn a_stream_stops_starting_while_outcomes_wait_unread() {
        let mut s = Scheduler::new(opts(|o| o.limit = Some(1)), 0, false, true);
        s.extend(4);
        let now = Instant::now();
        let mut out = vec![];
        s.poll(now, &mut out, |_| false);
        s.complete(0, false);
        s.poll(now, &mut out, |_| false);
        assert_eq!(
            out,
            [Start(0), Start(1)],
            "one unread outcome is within the bound"
        );
        s.complete(1, false);
        out.clear();
        s.poll(now, &mut out, |_| false);
        assert_eq!(out, [], "two unread outcomes exceed the bound of 1");
        s.read(2);
        s.poll(now, &mut out, |_| false);
        assert_eq!(out, [Start(2)]);
        assert!(!s.finished(), "the source is still open");
    }
}
