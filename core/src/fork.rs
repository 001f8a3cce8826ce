//! What `fork` leaves behind, and how the core gets past it. A child has only the thread
//! that forked: the runtime's workers, the SQLite threads and every lock they held are
//! gone. So the core (1) counts forks, letting the runtime, HTTP clients and databases
//! notice that they belong to a parent, and (2) lets no fork happen while one of its
//! threads is inside SQLite: SQLite's global mutexes (taken on every allocation) held
//! by a thread that does not exist in the child would block the child's first connect
//! forever.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, RwLock, RwLockWriteGuard};

/// Forks this process descends from, counted in each child as it starts.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Held (shared) by a thread of the core while it runs foreign code with process-wide
/// locks (SQLite); held (exclusive) by the forking thread across `fork`.
static GATE: RwLock<()> = RwLock::new(());

thread_local! {
    /// The forking thread's hold on the gate, from before `fork` until after it (in the
    /// parent and in the child alike).
    static HELD: RefCell<Option<RwLockWriteGuard<'static, ()>>> = const { RefCell::new(None) };
}

// The gate first, then the runtime's slot: no thread holds the slot while it waits for
// the gate (SQLite threads never touch the runtime's slot).
extern "C" fn before() {
    let guard = GATE.write().unwrap_or_else(|e| e.into_inner());
    HELD.with_borrow_mut(|h| *h = Some(guard));
    crate::runtime::before_fork();
}

extern "C" fn after_in_parent() {
    crate::runtime::after_fork();
    HELD.with_borrow_mut(|h| drop(h.take()));
}

extern "C" fn after_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    // Both were taken by this very thread before the fork: releasing them is sound.
    crate::runtime::after_fork();
    HELD.with_borrow_mut(|h| drop(h.take()));
}

/// Installs the fork handlers (once per process; the runtime calls it when it starts,
/// before any thread of the core exists).
pub fn watch() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(Some(before), Some(after_in_parent), Some(after_in_child));
    });
}

/// How many forks this process descends from: an object made in another generation
/// belongs to an ancestor, whose threads and connections this process does not have.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Runs `f`, which calls into SQLite, with no fork starting meanwhile. A fork waits
/// for the calls under way (one statement or batch each) to end. Not reentrant: a
/// thread of the core holds it once, around one job.
pub(crate) fn quiet<R>(f: impl FnOnce() -> R) -> R {
    watch();
    let _shared = GATE.read().unwrap_or_else(|e| e.into_inner());
    f()
}
