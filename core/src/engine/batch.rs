//! The bookkeeping of one batch, with no I/O in it: the items handed over (native ops
//! and host items), how a streamed source is pulled, what is pending, running, settled
//! and read, what every item that never starts becomes, and when the batch is over.
//! The `Scheduler` decides; the batch turns its decisions into actions a driver carries
//! out: the native driver on tokio (`native.rs`), and each binding's host executor on
//! its event loop. Native ops never leave the batch: their runs, cut-offs and outcomes
//! are actions for the Rust side of a driver, so a host sees only settled outcomes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use super::op::Op;
use super::options::Options;
use super::scheduler::{self, Scheduler, pull_target};
use crate::error::{Code, Error};
use crate::value::Outcome;

/// One item of a batch.
pub enum Item {
    /// An op made by the core: the batch runs it, cuts it off and settles it.
    Native(Op),
    /// Something only the host can run (a coroutine, a JS function or promise); the
    /// host keeps it by index.
    Host,
}

/// What a driver must do next.
pub enum Action {
    /// Start host item `i`; report its end with `complete_host`.
    Start(usize),
    /// Run native op `i`; report its outcome with `complete_native`.
    Run(usize, Op),
    /// Host item `i` runs and is cut off: cancel it (its task, its signal). It settles
    /// as rejected with `code`; a completion that still arrives is ignored.
    Cancel(usize, Code),
    /// Native op `i` runs and is cut off: drop its future, then call `dropped(i)`. Its
    /// outcome follows as `Settled`; its slot is held until it is gone.
    Drop(usize),
    /// Host item `i` never started and never will: close or discard it. It settles as
    /// rejected with `code`.
    Skip(usize, Code),
    /// Native op `i` settled with this outcome (its own, or the batch's reason for
    /// cutting it off or skipping it). The op keeps that outcome for good.
    Settled(usize, Outcome),
    /// Pull up to this many items from the source and hand them over with `feed`, then
    /// call `pulled`. No other pull is asked for meanwhile.
    Pull(usize),
    /// Tell the caller's progress callback `(done, total)`.
    Progress(usize, usize),
    /// Every item has settled and no cut-off native future is left: the batch is over.
    Finish,
}

pub struct Batch {
    sched: Scheduler,
    /// Items handed over and not started yet, in input order: the scheduler starts and
    /// skips in that order, so the front is always the next index.
    waiting: VecDeque<(usize, Item)>,
    /// Native ops running, so a cut-off one settles with the batch's reason.
    running: HashMap<usize, Op>,
    fed: usize,
    settled: usize,
    /// A streamed source keeps this many items handed over and not settled.
    target: usize,
    source_done: bool,
    pulling: bool,
    /// Native ops cut off whose run has not reported its end yet.
    dropping: HashSet<usize>,
    report_progress: bool,
    over: bool,
    /// Outcomes that arrived between polls, handed out at the next poll.
    queued: Vec<Action>,
    decided: Vec<scheduler::Action>,
}

impl Batch {
    /// A batch of `items`, all known now.
    pub fn of(items: Vec<Item>, opts: Options, report_progress: bool) -> Self {
        let mut batch = Batch::new(opts, false, report_progress);
        batch.feed(items);
        batch.end_source();
        batch
    }

    /// A batch whose items come from a source (`feed`, `end_source`); `stream` bounds
    /// outcomes waiting unread by the limit (as_settled).
    pub fn new(opts: Options, stream: bool, report_progress: bool) -> Self {
        Batch {
            target: pull_target(opts.limit),
            sched: Scheduler::new(opts, 0, false, stream),
            waiting: VecDeque::new(),
            running: HashMap::new(),
            fed: 0,
            settled: 0,
            source_done: false,
            pulling: false,
            dropping: HashSet::new(),
            report_progress,
            over: false,
            queued: Vec::new(),
            decided: Vec::new(),
        }
    }

    /// A consumer that buffers outcomes (p-map's `backpressure`): no item starts while
    /// more than `bound` outcomes wait unread.
    pub fn set_unread_bound(&mut self, bound: usize) {
        self.sched.set_unread_bound(bound);
    }

    /// How many items were handed over so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    /// Items handed over; returns the index of the first.
    pub fn feed(&mut self, items: impl IntoIterator<Item = Item>) -> usize {
        let first = self.fed;
        for item in items {
            if let Item::Native(op) = &item {
                op.hand_over();
            }
            self.waiting.push_back((self.fed, item));
            self.fed += 1;
        }
        self.sched.extend(self.fed - first);
        first
    }

    /// The pull asked for is over; `ended` says the source has no more items.
    pub fn pulled(&mut self, ended: bool) {
        self.pulling = false;
        if ended {
            self.end_source();
        }
    }

    /// The source has no more items.
    pub fn end_source(&mut self) {
        self.source_done = true;
        self.pulling = false;
        self.sched.end_source();
    }

    /// The source or the progress callback raised: the batch stops as cancelled and
    /// nothing more is pulled; the host raises that error once the batch is over.
    pub fn fail(&mut self) {
        self.end_source();
        self.sched.stop(Code::Cancelled);
    }

    /// Stops the batch (its caller was cancelled, its signal fired): what runs is cut
    /// off and the rest skipped, with `code`.
    pub fn stop(&mut self, code: Code) {
        self.sched.stop(code);
    }

    /// Host item `i` ended by itself. False if it was cut off before: the host then
    /// ignores that completion.
    pub fn complete_host(&mut self, i: usize, rejected: bool) -> bool {
        let accepted = self.sched.complete(i, rejected);
        if accepted {
            self.settled += 1;
        }
        accepted
    }

    /// Native op `i` ended by itself with `outcome`. An op cut off whose run ended
    /// before the drop reached it is gone all the same: its slot is free.
    pub fn complete_native(&mut self, i: usize, outcome: Outcome) {
        if self.sched.complete(i, outcome.is_err()) {
            self.running.remove(&i);
            self.settled += 1;
            self.queued.push(Action::Settled(i, outcome));
        } else {
            self.dropped(i);
        }
    }

    /// The future of native op `i`, cut off, is gone: its slot is free.
    pub fn dropped(&mut self, i: usize) {
        if self.dropping.remove(&i) {
            self.sched.release();
        }
    }

    /// The consumer of a stream read `n` outcomes.
    pub fn read(&mut self, n: usize) {
        self.sched.read(n);
    }

    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Advances the batch to `now`: appends what the driver must do to `out` and returns
    /// when to poll again if nothing is reported before.
    pub fn poll(&mut self, now: Instant, out: &mut Vec<Action>) -> Option<Instant> {
        if self.over {
            return None;
        }
        out.append(&mut self.queued);
        if !self.source_done && !self.pulling {
            let want = self.target.saturating_sub(self.fed - self.settled);
            if want > 0 {
                self.pulling = true;
                out.push(Action::Pull(want));
            }
        }
        let mut decided = std::mem::take(&mut self.decided);
        let running = &self.running;
        let wake = self
            .sched
            .poll(now, &mut decided, |i| running.contains_key(&i));
        for decided in decided.drain(..) {
            let action = match decided {
                scheduler::Action::Start(i) => match self.take(i) {
                    Item::Native(op) => {
                        self.running.insert(i, op.clone());
                        Action::Run(i, op)
                    }
                    Item::Host => Action::Start(i),
                },
                scheduler::Action::Abort(i, code) => {
                    self.settled += 1;
                    match self.running.remove(&i) {
                        Some(op) => {
                            self.dropping.insert(i);
                            out.push(Action::Drop(i));
                            Action::Settled(i, op.settle(Err(Error::stopped(code))))
                        }
                        None => Action::Cancel(i, code),
                    }
                }
                scheduler::Action::Skip(i, code) => {
                    self.settled += 1;
                    match self.take(i) {
                        Item::Native(op) => {
                            Action::Settled(i, op.settle(Err(Error::stopped(code))))
                        }
                        Item::Host => Action::Skip(i, code),
                    }
                }
            };
            out.push(action);
        }
        self.decided = decided;
        // Always ticked: the progress bar is drawn by the core whoever listens.
        if let Some((done, total)) = self.sched.progress(now)
            && self.report_progress
        {
            out.push(Action::Progress(done, total));
        }
        if self.sched.finished() && self.dropping.is_empty() {
            self.over = true;
            out.push(Action::Finish);
            return None;
        }
        wake
    }

    fn take(&mut self, i: usize) -> Item {
        let (at, item) = self
            .waiting
            .pop_front()
            .expect("the scheduler starts and skips items that were handed over");
        debug_assert_eq!(at, i, "the scheduler starts and skips in input order");
        item
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::op;
    use crate::value::Value;

    fn opts(f: impl FnOnce(&mut Options)) -> Options {
        let mut o = Options::default();
        f(&mut o);
        o
    }

    fn native() -> Item {
        Item::Native(op::sleep(Duration::ZERO, Value::Int(1)))
    }

    /// The actions of one poll, as short strings.
    fn step(b: &mut Batch) -> Vec<String> {
        let mut out = vec![];
        b.poll(Instant::now(), &mut out);
        out.iter()
            .map(|a| match a {
                Action::Start(i) => format!("start {i}"),
                Action::Run(i, _) => format!("run {i}"),
                Action::Cancel(i, c) => format!("cancel {i} {}", c.as_str()),
                Action::Drop(i) => format!("drop {i}"),
                Action::Skip(i, c) => format!("skip {i} {}", c.as_str()),
                Action::Settled(i, o) => {
                    format!("settled {i} {}", if o.is_ok() { "ok" } else { "err" })
                }
                Action::Pull(n) => format!("pull {n}"),
                Action::Progress(d, t) => format!("progress {d}/{t}"),
                Action::Finish => "finish".into(),
            })
            .collect()
    }

    #[test]
    fn native_and_host_items_start_in_input_order_under_the_limit() {
        let items = vec![Item::Host, native(), Item::Host];
        let mut b = Batch::of(items, opts(|o| o.limit = Some(2)), false);
        assert_eq!(step(&mut b), ["start 0", "run 1"]);
        b.complete_native(1, Ok(Value::Int(1)));
        assert_eq!(step(&mut b), ["settled 1 ok", "start 2"]);
        assert!(b.complete_host(0, false));
        assert!(b.complete_host(2, true));
        assert_eq!(step(&mut b), ["finish"]);
        assert!(b.is_over());
    }

    #[test]
    fn fail_fast_settles_every_native_op_for_good_and_holds_slots_until_dropped() {
        let op = op::sleep(Duration::from_secs(60), Value::Int(1));
        let skipped = op::sleep(Duration::ZERO, Value::Int(2));
        let items = vec![
            Item::Host,
            Item::Native(op.clone()),
            Item::Native(skipped.clone()),
        ];
        let mut b = Batch::of(
            items,
            opts(|o| {
                o.limit = Some(2);
                o.fail_fast = true
            }),
            false,
        );
        assert_eq!(step(&mut b), ["start 0", "run 1"]);
        assert!(b.complete_host(0, true));
        assert_eq!(
            step(&mut b),
            ["drop 1", "settled 1 err", "settled 2 err"],
            "the running op is dropped, the waiting one skipped"
        );
        assert!(!b.is_over(), "the dropped future is not gone yet");
        b.dropped(1);
        assert_eq!(step(&mut b), ["finish"]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for o in [op, skipped] {
            let outcome = rt.block_on(o.run());
            assert_eq!(outcome.unwrap_err().code, Code::Cancelled, "no late run");
        }
    }

    #[test]
    fn a_cut_off_native_op_keeps_its_slot_until_its_future_is_gone() {
        let items = vec![native(), native()];
        let mut b = Batch::of(
            items,
            opts(|o| {
                o.limit = Some(1);
                o.timeout = Some(Duration::from_millis(1))
            }),
            false,
        );
        assert_eq!(step(&mut b), ["run 0"]);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            step(&mut b),
            ["drop 0", "settled 0 err"],
            "op 1 waits for the drop"
        );
        b.dropped(0);
        assert_eq!(step(&mut b), ["run 1"]);
    }

    #[test]
    fn a_cut_off_op_that_had_ended_keeps_its_outcome_and_frees_its_slot() {
        let op = op::sleep(Duration::ZERO, Value::Int(7));
        let items = vec![Item::Host, Item::Native(op.clone()), native()];
        let mut b = Batch::of(
            items,
            opts(|o| {
                o.limit = Some(2);
                o.fail_fast = true
            }),
            false,
        );
        assert_eq!(step(&mut b), ["start 0", "run 1"]);
        // The op ends on the runtime, but its end has not reached the batch when the
        // host item fails.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcome = rt.block_on(op.run());
        assert!(b.complete_host(0, true));
        assert_eq!(
            step(&mut b),
            ["drop 1", "settled 1 ok", "settled 2 err"],
            "the batch reports the outcome the op keeps"
        );
        b.complete_native(1, outcome);
        assert_eq!(step(&mut b), ["finish"], "its end counts as its drop");
    }

    #[test]
    fn a_stream_pulls_what_the_limit_needs_one_pull_at_a_time() {
        let mut b = Batch::new(opts(|o| o.limit = Some(2)), true, false);
        assert_eq!(step(&mut b), ["pull 2"]);
        assert_eq!(step(&mut b), Vec::<String>::new(), "one pull at a time");
        assert_eq!(b.feed([Item::Host]), 0);
        assert_eq!(
            step(&mut b),
            ["start 0"],
            "an item starts as soon as it is fed"
        );
        b.feed([Item::Host]);
        b.pulled(false);
        assert_eq!(step(&mut b), ["start 1"]);
        assert!(b.complete_host(0, false));
        assert_eq!(step(&mut b), ["pull 1"]);
        b.pulled(true);
        assert!(b.complete_host(1, false));
        b.read(2);
        assert_eq!(step(&mut b), ["finish"]);
    }

    #[test]
    fn a_failed_source_stops_the_batch_and_skips_what_waits() {
        let mut b = Batch::new(opts(|o| o.limit = Some(1)), true, false);
        step(&mut b);
        b.feed([Item::Host, Item::Host]);
        assert_eq!(step(&mut b), ["start 0"]);
        b.fail();
        assert_eq!(
            step(&mut b),
            ["cancel 0 E_CANCELLED", "skip 1 E_CANCELLED", "finish"]
        );
        assert!(!b.complete_host(0, false), "a late completion is ignored");
    }

    #[test]
    fn progress_is_reported_only_when_asked() {
        let mut b = Batch::of(vec![Item::Host], Options::default(), true);
        assert_eq!(step(&mut b), ["start 0", "progress 0/1"]);
        b.complete_host(0, false);
        assert_eq!(step(&mut b), ["progress 1/1", "finish"]);
    }
}
