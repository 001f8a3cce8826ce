//! The native driver of the fan-out engine: runs a batch of native ops wholly on the
//! runtime, as a list (settle) or as a stream of outcomes (as_settled), carrying out what
//! the `Scheduler` decides. One crossing into the host per batch, or per chunk streamed.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::{AbortHandle, Abortable};
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use super::op::Op;
use super::options::Options;
use super::scheduler::{Action, Scheduler, feed_target};
use crate::error::Error;
use crate::value::Outcome;

/// Called with `(done, total)` as the batch progresses (throttled by the scheduler).
pub type ProgressFn = Box<dyn FnMut(usize, usize) + Send>;

/// Runs every op under `opts`; outcomes come back in input order.
pub async fn settle(ops: Vec<Op>, opts: Options, on_progress: Option<ProgressFn>) -> Vec<Outcome> {
    let n = ops.len();
    ops.iter().for_each(Op::hand_over);
    let mut results: Vec<Option<Outcome>> = vec![None; n];
    let sched = Scheduler::new(opts, n, true, false);
    drive(sched, ops.into(), None, on_progress, |i, outcome| {
        results[i] = Some(outcome);
        true
    })
    .await;
    results
        .into_iter()
        .map(|o| o.expect("every op of a finished batch is settled"))
        .collect()
}

enum Control {
    Feed(Vec<Op>),
    End,
    Read(usize),
}

/// A batch whose ops are handed over in chunks and whose outcomes are read as they
/// complete. Dropping it drops every op in flight.
pub struct Stream {
    control: mpsc::UnboundedSender<Control>,
    outcomes: mpsc::UnboundedReceiver<(usize, Outcome)>,
    task: tokio::task::JoinHandle<()>,
    target: usize,
    fed: usize,
    received: usize,
    unacked: usize,
    ended: bool,
}

/// How long after an op completes the driver keeps its worker awake while ops are in
/// flight: it yields instead of parking. Ops answered from other threads (SQLite's
/// connection threads) come back microseconds apart, and a parked worker costs a
/// wake-up per answer (an eventfd write and an epoll return). A batch whose answers
/// come slower than this sleeps as before.
const HOT: Duration = Duration::from_micros(50);

/// Largest chunk of outcomes handed to the host at once.
const CHUNK: usize = 4096;

impl Stream {
    pub fn start(opts: Options, on_progress: Option<ProgressFn>) -> Stream {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (tx, outcomes) = mpsc::unbounded_channel();
        let target = feed_target(opts.limit);
        let sched = Scheduler::new(opts, 0, false, true);
        let task = crate::runtime::handle().spawn(async move {
            drive(
                sched,
                VecDeque::new(),
                Some(control_rx),
                on_progress,
                |i, o| tx.send((i, o)).is_ok(),
            )
            .await;
        });
        Stream {
            control,
            outcomes,
            task,
            target,
            fed: 0,
            received: 0,
            unacked: 0,
            ended: false,
        }
    }

    /// How many more ops the source should hand over now (0 once it has ended).
    pub fn wanted(&self) -> usize {
        if self.ended {
            0
        } else {
            self.target.saturating_sub(self.fed - self.received)
        }
    }

    pub fn feed(&mut self, ops: Vec<Op>) {
        ops.iter().for_each(Op::hand_over);
        self.fed += ops.len();
        let _ = self.control.send(Control::Feed(ops));
    }

    /// The source has no more ops.
    pub fn end(&mut self) {
        self.ended = true;
        let _ = self.control.send(Control::End);
    }

    /// The next outcomes as they complete, at least one; None when every op has settled.
    /// Asking again says the previous chunk was read, which lets more ops start.
    pub async fn next(&mut self) -> Option<Vec<(usize, Outcome)>> {
        if self.unacked > 0 {
            let _ = self.control.send(Control::Read(self.unacked));
            self.unacked = 0;
        }
        let first = self.outcomes.recv().await?;
        let mut chunk = vec![first];
        while chunk.len() < CHUNK {
            match self.outcomes.try_recv() {
                Ok(item) => chunk.push(item),
                Err(_) => break,
            }
        }
        self.received += chunk.len();
        self.unacked = chunk.len();
        Some(chunk)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The loop shared by both shapes: start, abort and skip what the scheduler says, feed
/// completions back, and hand each outcome to `sink` (false: nobody listens any more).
async fn drive(
    mut sched: Scheduler,
    mut queue: VecDeque<Op>,
    mut control: Option<mpsc::UnboundedReceiver<Control>>,
    mut on_progress: Option<ProgressFn>,
    mut sink: impl FnMut(usize, Outcome) -> bool,
) {
    let mut inflight = FuturesUnordered::new();
    let mut running: HashMap<usize, (Op, AbortHandle)> = HashMap::new();
    let mut actions = Vec::new();
    let mut hot_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let wake = sched.poll(now, &mut actions);
        for action in actions.drain(..) {
            let (i, outcome) = match action {
                Action::Start(i) => {
                    let op = queue
                        .pop_front()
                        .expect("the scheduler starts ops in input order");
                    let (handle, registration) = AbortHandle::new_pair();
                    let run = op.clone();
                    inflight.push(Abortable::new(
                        async move { (i, run.run().await) },
                        registration,
                    ));
                    running.insert(i, (op, handle));
                    continue;
                }
                Action::Abort(i, code) => {
                    let (op, handle) = running.remove(&i).expect("only running ops are aborted");
                    handle.abort();
                    let outcome = Err(Error::stopped(code));
                    op.settle(outcome.clone());
                    (i, outcome)
                }
                Action::Skip(i, code) => {
                    let op = queue
                        .pop_front()
                        .expect("the scheduler skips ops in input order");
                    let outcome = Err(Error::stopped(code));
                    op.settle(outcome.clone());
                    (i, outcome)
                }
            };
            if !sink(i, outcome) {
                return;
            }
        }
        if let (Some(report), Some((done, total))) = (on_progress.as_mut(), sched.progress(now)) {
            report(done, total);
        } else if on_progress.is_none() {
            sched.progress(now);
        }
        if sched.finished() {
            return;
        }
        let hot = !inflight.is_empty() && hot_until.is_some_and(|until| now < until);
        tokio::select! {
            Some(done) = inflight.next(), if !inflight.is_empty() => {
                hot_until = Some(Instant::now() + HOT);
                // An aborted op comes back as Err(Aborted) and is dropped here.
                if let Ok((i, outcome)) = done
                    && sched.complete(i, outcome.is_err())
                {
                    running.remove(&i);
                    if !sink(i, outcome) {
                        return;
                    }
                }
            }
            msg = recv(&mut control) => match msg {
                Some(Control::Feed(ops)) => {
                    sched.extend(ops.len());
                    queue.extend(ops);
                }
                Some(Control::Read(n)) => sched.read(n),
                // Reads still arrive after the source ended: keep listening.
                Some(Control::End) => sched.end_source(),
                None => {
                    sched.end_source();
                    control = None;
                }
            },
            _ = sleep_until(wake) => {}
            // Its first poll is always pending, so it never wins over a ready branch.
            _ = tokio::task::yield_now(), if hot => {}
        }
    }
}

async fn recv(control: &mut Option<mpsc::UnboundedReceiver<Control>>) -> Option<Control> {
    match control {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
