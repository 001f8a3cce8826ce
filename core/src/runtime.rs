//! The one tokio runtime of the process. Both bindings spawn on it; it survives `fork`
//! (the child builds a fresh one) and can be shut down at interpreter exit.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::runtime::{Builder, Handle, Runtime};

enum Slot {
    Empty,
    /// The core owns the runtime (Python).
    Owned(Runtime),
    /// The host owns the runtime (napi drops it when the Node environment exits).
    Borrowed(Handle),
}

static SLOT: Mutex<Slot> = Mutex::new(Slot::Empty);
/// The fork generation the runtime in `SLOT` was built in: in a child, the parent's
/// worker threads do not exist.
static BUILT_IN: AtomicU64 = AtomicU64::new(0);

/// Worker threads: `FANIO_WORKER_THREADS` if set to a positive integer, else the CPU count.
pub fn worker_threads() -> usize {
    std::env::var("FANIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn build() -> Runtime {
    crate::fork::watch();
    BUILT_IN.store(crate::fork::generation(), Ordering::SeqCst);
    Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("fanio-worker")
        .enable_all()
        .build()
        .expect("fanio: cannot start the tokio runtime")
}

fn lock() -> std::sync::MutexGuard<'static, Slot> {
    // A panic elsewhere while holding the lock leaves the slot itself consistent.
    let mut slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
    if !matches!(*slot, Slot::Empty) && BUILT_IN.load(Ordering::SeqCst) != crate::fork::generation()
    {
        // The parent's runtime has no threads in this process: dropping it would wait
        // for them forever, so it is leaked and a new one is built on demand.
        std::mem::forget(std::mem::replace(&mut *slot, Slot::Empty));
    }
    slot
}

thread_local! {
    /// The forking thread's hold on `SLOT` across `fork`: a worker of the parent
    /// holding it at that moment would leave it locked forever in the child.
    static HELD: std::cell::RefCell<Option<std::sync::MutexGuard<'static, Slot>>> =
        const { std::cell::RefCell::new(None) };
}

/// Before `fork`: holds the slot so no other thread holds it when the child is made.
pub(crate) fn before_fork() {
    let slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
    HELD.with_borrow_mut(|h| *h = Some(slot));
}

/// After `fork`, in the parent and in the child: lets go of the slot.
pub(crate) fn after_fork() {
    HELD.with_borrow_mut(|h| drop(h.take()));
}

/// The handle every spawn goes through; builds the runtime on first use.
pub fn handle() -> Handle {
    let mut slot = lock();
    match &*slot {
        Slot::Owned(rt) => rt.handle().clone(),
        Slot::Borrowed(h) => h.clone(),
        Slot::Empty => {
            let rt = build();
            let h = rt.handle().clone();
            *slot = Slot::Owned(rt);
            h
        }
    }
}

/// Builds the runtime and gives it to a host that insists on owning it (napi's
/// `create_custom_tokio_runtime`); the core keeps only a handle to the same runtime.
pub fn hand_over(give: impl FnOnce(Runtime)) {
    let mut slot = lock();
    if matches!(*slot, Slot::Empty) {
        let rt = build();
        *slot = Slot::Borrowed(rt.handle().clone());
        give(rt);
    }
}

/// Stops the runtime without waiting for tasks still pending (interpreter exit): their
/// futures are dropped, none of them is polled again.
pub fn shutdown() {
    let old = std::mem::replace(&mut *lock(), Slot::Empty);
    if let Slot::Owned(rt) = old {
        rt.shutdown_background();
    }
}

/// Spawns `tasks` with one hop onto the runtime rather than one per task: a spawn from
/// a host thread wakes a worker each time, a spawn from a worker does not.
pub fn spawn_all<F>(mut tasks: Vec<F>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match tasks.len() {
        0 => {}
        1 => {
            handle().spawn(tasks.pop().expect("one task"));
        }
        _ => {
            handle().spawn(async move {
                for task in tasks {
                    tokio::spawn(task);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_reads_the_environment() {
        // Only this test touches the variable.
        unsafe { std::env::set_var("FANIO_WORKER_THREADS", "3") };
        assert_eq!(worker_threads(), 3);
        unsafe { std::env::set_var("FANIO_WORKER_THREADS", "0") };
        assert!(worker_threads() >= 1);
        unsafe { std::env::remove_var("FANIO_WORKER_THREADS") };
    }
}
