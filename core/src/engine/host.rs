//! A batch driven from a host's event loop (coroutines, JS functions, or native ops
//! mixed with them), with the native half done here for both bindings: its native ops
//! run on the runtime without a host round trip each, their ends are queued, and the
//! host is notified once per burst (`notify`). The host then calls `step` and carries
//! out the host actions it gets: start, cancel or skip what the host runs, hand over
//! native outcomes, pull, report progress, finish.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::future::{AbortHandle, Abortable, BoxFuture};

use super::batch::{Action, Batch};
use super::op::Op;
use crate::value::Outcome;

/// How a native op's run ended, queued by the runtime for the host.
enum End {
    Done(usize, Outcome),
    Dropped(usize),
}

/// Shared with the runtime tasks of the batch's native ops.
struct Ends {
    queue: Mutex<Vec<End>>,
    /// The host was notified and has not stepped since: later ends ride along.
    notified: AtomicBool,
    notify: Box<dyn Fn() + Send + Sync>,
}

impl Ends {
    fn push(&self, end: End) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(end);
        if !self.notified.swap(true, Ordering::AcqRel) {
            (self.notify)();
        }
    }
}

/// What one `step` did beside its actions.
pub struct Step {
    /// When to step again if the host hears nothing before.
    pub wake: Option<Instant>,
    /// Native runs started and ended (taken in) by this step: a host that keeps its
    /// process alive while runs are under way counts them.
    pub started: usize,
    pub ended: usize,
}

pub struct HostBatch {
    batch: Batch,
    handles: HashMap<usize, AbortHandle>,
    ends: Arc<Ends>,
    decided: Vec<Action>,
}

impl HostBatch {
    /// `notify` is called from a runtime thread when native ops have ended and the host
    /// has not been told since its last step.
    pub fn new(batch: Batch, notify: impl Fn() + Send + Sync + 'static) -> Self {
        HostBatch {
            batch,
            handles: HashMap::new(),
            ends: Arc::new(Ends {
                queue: Mutex::new(Vec::new()),
                notified: AtomicBool::new(false),
                notify: Box::new(notify),
            }),
            decided: Vec::new(),
        }
    }

    /// The batch, to feed it and to report host completions, reads and stops.
    pub fn batch(&mut self) -> &mut Batch {
        &mut self.batch
    }

    /// Takes in what native ops reported, advances the batch to `now`, runs and drops
    /// its native ops, and appends the actions left for the host to `out` (never
    /// `Run` or `Drop`).
    pub fn step(&mut self, now: Instant, out: &mut Vec<Action>) -> Step {
        self.ends.notified.store(false, Ordering::Release);
        let ends = std::mem::take(&mut *self.ends.queue.lock().unwrap_or_else(|e| e.into_inner()));
        let ended = ends.len();
        for end in ends {
            match end {
                End::Done(i, outcome) => {
                    self.handles.remove(&i);
                    self.batch.complete_native(i, outcome);
                }
                End::Dropped(i) => self.batch.dropped(i),
            }
        }
        let wake = self.batch.poll(now, &mut self.decided);
        let mut runs = Vec::new();
        let mut decided = std::mem::take(&mut self.decided);
        for action in decided.drain(..) {
            match action {
                Action::Run(i, op) => runs.push(self.run(i, op)),
                Action::Drop(i) => {
                    if let Some(handle) = self.handles.remove(&i) {
                        handle.abort();
                    }
                }
                other => out.push(other),
            }
        }
        self.decided = decided;
        let started = runs.len();
        crate::runtime::spawn_all(runs);
        Step {
            wake,
            started,
            ended,
        }
    }

    /// The run of native op `i`; its end is queued for the host.
    fn run(&mut self, i: usize, op: Op) -> BoxFuture<'static, ()> {
        let (handle, registration) = AbortHandle::new_pair();
        self.handles.insert(i, handle);
        let ends = self.ends.clone();
        Box::pin(async move {
            // The op's future is dropped by the end of this statement, so a cut-off op
            // has let go of its socket when `Dropped` is queued.
            let ran = Abortable::new(op.run(), registration).await;
            ends.push(match ran {
                Ok(outcome) => End::Done(i, outcome),
                Err(_) => End::Dropped(i),
            });
        })
    }

    /// The batch is over or abandoned: drops every native op still running.
    pub fn close(&mut self) {
        for (_, handle) in self.handles.drain() {
            handle.abort();
        }
    }
}

impl Drop for HostBatch {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::engine::batch::Item;
    use crate::engine::{Options, op};
    use crate::value::Value;

    #[test]
    fn native_ops_run_here_and_come_back_once_per_burst() {
        let (tx, rx) = mpsc::channel();
        let items = (0..3)
            .map(|k| Item::Native(op::sleep(Duration::from_millis(5), Value::Int(k))))
            .chain([Item::Host])
            .collect();
        let mut host = HostBatch::new(Batch::of(items, Options::default(), false), move || {
            tx.send(()).unwrap()
        });
        let mut out = vec![];
        let step = host.step(Instant::now(), &mut out);
        assert_eq!(step.started, 3, "the native ops started without the host");
        assert!(
            matches!(out[..], [Action::Start(3)]),
            "only the host item is the host's"
        );
        assert!(host.batch().complete_host(3, false));
        // Each notification is followed by a step; ends arriving before that step ride
        // along without another notification.
        let (mut ended, mut notified, mut steps) = (0, 0, 0);
        out.clear();
        while ended < 3 {
            rx.recv_timeout(Duration::from_secs(5)).expect("notified");
            notified += 1 + rx.try_iter().count();
            std::thread::sleep(Duration::from_millis(20));
            ended += host.step(Instant::now(), &mut out).ended;
            steps += 1;
        }
        assert_eq!(notified, steps, "one notification per step at most");
        let settled: Vec<usize> = out
            .iter()
            .filter_map(|a| match a {
                Action::Settled(i, Ok(_)) => Some(*i),
                _ => None,
            })
            .collect();
        assert_eq!(settled.len(), 3);
        assert!(matches!(out.last(), Some(Action::Finish)));
    }
}
