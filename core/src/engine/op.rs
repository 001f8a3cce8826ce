//! The lazy operation every native call produces: nothing runs until it is awaited or
//! settled, and it runs at most once; later awaits get the same outcome back.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{AbortHandle, Abortable, BoxFuture};
use tokio::sync::oneshot;

use crate::error::{Code, Error};
use crate::value::{Outcome, Value};

/// Native op futures being polled right now, process-wide. Tests read it to prove that
/// cancellation really drops the Rust future (and with it any socket it holds).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
/// The most native op futures seen running at once since the last `reset_peak`.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// `(running, peak)`: native op futures alive now, and the most alive at once since the
/// last reset. Public in both languages: a leak or a broken limit shows up here.
pub fn stats() -> (usize, usize) {
    (RUNNING.load(Ordering::SeqCst), PEAK.load(Ordering::SeqCst))
}

/// Starts a new peak measurement from what runs now.
pub fn reset_peak() {
    PEAK.store(RUNNING.load(Ordering::SeqCst), Ordering::SeqCst);
}

enum State {
    /// Not started; the boxed future has not been polled.
    Ready(BoxFuture<'static, Outcome>),
    /// Started by one awaiter; the others wait for its outcome. The handle stops the
    /// run wherever it is polled (a batch, a single await).
    Running(Vec<oneshot::Sender<Outcome>>, AbortHandle),
    Done(Outcome),
}

struct Shared {
    state: Mutex<State>,
    /// Handed to a batch (or to anything that takes charge of it): an op that is
    /// collected still fresh is a mistake only if nobody took it.
    handed: AtomicBool,
}

/// A handle to one lazy op; clones share it.
#[derive(Clone)]
pub struct Op(Arc<Shared>);

impl Op {
    pub fn new(fut: impl Future<Output = Outcome> + Send + 'static) -> Self {
        Op(Arc::new(Shared {
            state: Mutex::new(State::Ready(Box::pin(fut))),
            handed: AtomicBool::new(false),
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Something took charge of the op (a batch, or a call that checked it and
    /// failed): it is no longer the caller's to await.
    pub fn hand_over(&self) {
        self.0.handed.store(true, Ordering::Relaxed);
    }

    /// Never awaited, settled or handed to anything: what a binding warns about when
    /// the host collects it, as Python does for a coroutine never awaited
    /// (`client.get(url)` without `await` is otherwise a silent no-op).
    pub fn unobserved(&self) -> bool {
        !self.0.handed.load(Ordering::Relaxed) && matches!(*self.state(), State::Ready(_))
    }

    /// Runs the op, or joins the run under way, or returns the outcome it already has.
    /// Dropping the first runner drops the op's future: the op then settles as
    /// E_CANCELLED for everyone.
    pub async fn run(&self) -> Outcome {
        enum Next {
            Run(Abortable<BoxFuture<'static, Outcome>>),
            Wait(oneshot::Receiver<Outcome>),
            Have(Outcome),
        }
        let next = {
            let mut state = self.state();
            match &mut *state {
                State::Done(outcome) => Next::Have(outcome.clone()),
                State::Running(waiters, _) => {
                    let (tx, rx) = oneshot::channel();
                    waiters.push(tx);
                    Next::Wait(rx)
                }
                State::Ready(_) => {
                    let (abort, registration) = AbortHandle::new_pair();
                    match std::mem::replace(&mut *state, State::Running(Vec::new(), abort)) {
                        State::Ready(fut) => Next::Run(Abortable::new(fut, registration)),
                        _ => unreachable!("matched Ready under the same lock"),
                    }
                }
            }
        };
        let fut = match next {
            Next::Have(outcome) => return outcome,
            Next::Wait(rx) => {
                return rx
                    .await
                    .unwrap_or_else(|_| Err(Error::stopped(Code::Cancelled)));
            }
            Next::Run(fut) => fut,
        };
        let mut guard = RunGuard::enter(self);
        let outcome = fut
            .await
            .unwrap_or_else(|_aborted| Err(Error::stopped(Code::Cancelled)));
        guard.finished = true;
        drop(guard);
        self.settle(outcome)
    }

    /// Gives the op its final outcome unless it has one, and returns the one it keeps:
    /// a batch that skips or aborts an op records why, so re-awaiting it later says the
    /// same thing and does no I/O; an op that had ended already keeps its own, and the
    /// batch reports that one.
    pub fn settle(&self, outcome: Outcome) -> Outcome {
        let mut state = self.state();
        if let State::Done(kept) = &*state {
            return kept.clone();
        }
        if let State::Running(waiters, _) =
            std::mem::replace(&mut *state, State::Done(outcome.clone()))
        {
            for w in waiters {
                let _ = w.send(outcome.clone());
            }
        }
        outcome
    }
}

impl Op {
    /// This op with `f` applied to its value, for a binding that tags how the value
    /// converts. No op of its own goes around this one: a wrapper would run as a second
    /// op and count twice in `stats`. Made for ops the core just returned (not started);
    /// an op already done has its value mapped in place.
    pub fn map(self, f: impl FnOnce(Value) -> Value + Send + 'static) -> Op {
        {
            let mut state = self.state();
            match &mut *state {
                State::Ready(fut) => {
                    let inner = std::mem::replace(fut, Box::pin(futures::future::pending()));
                    *fut = Box::pin(async move { inner.await.map(f) });
                }
                State::Done(Ok(value)) => *value = f(std::mem::replace(value, Value::Null)),
                State::Done(Err(_)) => {}
                State::Running(..) => debug_assert!(false, "Op::map on a running op"),
            }
        }
        self
    }

    /// Cancels the op from outside (an abort signal): a fresh op settles as E_CANCELLED
    /// without running; a running one has its future dropped (and any socket with it)
    /// at its next poll, and ends as E_CANCELLED for every awaiter.
    pub fn cancel(&self) {
        let mut state = self.state();
        match &*state {
            State::Ready(_) => *state = State::Done(Err(Error::stopped(Code::Cancelled))),
            State::Running(_, abort) => abort.abort(),
            State::Done(_) => {}
        }
    }
}

/// Counts a running op future and settles the op as cancelled if it is dropped early.
struct RunGuard<'a> {
    op: &'a Op,
    finished: bool,
}

impl<'a> RunGuard<'a> {
    fn enter(op: &'a Op) -> Self {
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, Ordering::SeqCst);
        RunGuard {
            op,
            finished: false,
        }
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        if !self.finished {
            let _ = self.op.settle(Err(Error::stopped(Code::Cancelled)));
        }
    }
}

/// Resolves with `value` after `delay`. A zero delay yields once through the runtime
/// instead of waiting for a timer tick (tokio's timer has 1 ms granularity), so
/// `sleep(0)` measures the crossing between host and runtime.
pub fn sleep(delay: Duration, value: Value) -> Op {
    Op::new(async move {
        pause(delay).await;
        Ok(value)
    })
}

/// Rejects with E_FAILED and `message` after `delay`.
pub fn fail(delay: Duration, message: String) -> Op {
    Op::new(async move {
        pause(delay).await;
        Err(Error::new(Code::Failed, message))
    })
}

async fn pause(delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(delay).await;
    }
}
