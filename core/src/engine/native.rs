//! The native driver of the fan-out engine: runs a batch of native ops wholly on the
//! runtime, as a list (settle) or as a stream of outcomes (as_settled), carrying out the
//! actions of its `Batch`. One crossing into the host per batch, or per chunk streamed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::{AbortHandle, Abortable, Aborted};
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use super::batch::{Action, Batch, Item};
use super::op::Op;
use super::options::Options;
use super::scheduler::feed_target;
use crate::value::Outcome;

/// Called with `(done, total)` as the batch progresses (throttled by the scheduler).
pub type ProgressFn = Box<dyn FnMut(usize, usize) + Send>;

/// Runs every op under `opts`; outcomes come back in input order.
pub async fn settle(ops: Vec<Op>, opts: Options, on_progress: Option<ProgressFn>) -> Vec<Outcome> {
    let n = ops.len();
    let mut results: Vec<Option<Outcome>> = vec![None; n];
    let report = on_progress.is_some();
    let batch = Batch::of(ops.into_iter().map(Item::Native).collect(), opts, report);
    drive(batch, None, on_progress, |i, outcome| {
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
        let batch = Batch::new(opts, true, on_progress.is_some());
        let task = crate::runtime::handle().spawn(async move {
            drive(batch, Some(control_rx), on_progress, |i, o| {
                tx.send((i, o)).is_ok()
            })
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
        // Now, not when the driver gets them: the host may drop its handles meanwhile.
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

/// The loop shared by both shapes: run and drop the native ops the batch says, report
/// their ends back, and hand each outcome to `sink` (false: nobody listens any more).
async fn drive(
    mut batch: Batch,
    mut control: Option<mpsc::UnboundedReceiver<Control>>,
    mut on_progress: Option<ProgressFn>,
    mut sink: impl FnMut(usize, Outcome) -> bool,
) {
    let mut inflight = FuturesUnordered::new();
    let mut handles: HashMap<usize, AbortHandle> = HashMap::new();
    let mut actions = Vec::new();
    let mut hot_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let wake = batch.poll(now, &mut actions);
        for action in actions.drain(..) {
            match action {
                Action::Run(i, op) => {
                    let (handle, registration) = AbortHandle::new_pair();
                    inflight.push(async move {
                        // The op's future is dropped by the end of this statement, so a
                        // cut-off op has let go of its socket when `dropped` is reported.
                        let ran = Abortable::new(op.run(), registration).await;
                        (i, ran)
                    });
                    handles.insert(i, handle);
                }
                Action::Drop(i) => {
                    if let Some(handle) = handles.remove(&i) {
                        handle.abort();
                    }
                }
                Action::Settled(i, outcome) => {
                    if !sink(i, outcome) {
                        return;
                    }
                }
                Action::Progress(done, total) => {
                    if let Some(report) = on_progress.as_mut() {
                        report(done, total);
                    }
                }
                Action::Finish => return,
                // Streams are fed by their host in chunks (`Stream::wanted`).
                Action::Pull(_) => {}
                Action::Start(_) | Action::Cancel(..) | Action::Skip(..) => {
                    unreachable!("a native batch holds native ops only")
                }
            }
        }
        let hot = !inflight.is_empty() && hot_until.is_some_and(|until| now < until);
        tokio::select! {
            Some((i, ran)) = inflight.next(), if !inflight.is_empty() => {
                hot_until = Some(Instant::now() + HOT);
                match ran {
                    Ok(outcome) => {
                        handles.remove(&i);
                        batch.complete_native(i, outcome);
                    }
                    Err(Aborted) => batch.dropped(i),
                }
            }
            msg = recv(&mut control) => match msg {
                Some(Control::Feed(ops)) => {
                    batch.feed(ops.into_iter().map(Item::Native));
                }
                Some(Control::Read(n)) => batch.read(n),
                // Reads still arrive after the source ended: keep listening.
                Some(Control::End) => batch.end_source(),
                None => {
                    batch.end_source();
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
