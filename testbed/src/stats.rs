//! Connection accounting behind `/__connections`, so tests can assert pool sizes, reuse
//! and leaks against what the server really saw.
//!
//! Every accepted socket gets a [`ConnGuard`] that lives exactly as long as the socket.
//! A connection is *counted* (in `open`, `total`, `peak`) from its first request that is
//! not a `/__connections` request. So the helper that asks (a fresh stdlib connection)
//! never shows up in the numbers it reads, not even in `peak`, while a client that reuses
//! one connection for both is counted like any other. Sockets accepted but not counted
//! (no request yet, a TLS handshake in progress or failed, control connections) are
//! reported apart as `pending`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A snapshot of the counters, as `GET /__connections` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Connections {
    /// Counted connections open now.
    pub open: u64,
    /// Connections counted since start or the last reset.
    pub total: u64,
    /// Most counted connections open at once since start or the last reset.
    pub peak: u64,
    /// Open sockets that are not counted (yet): see the module docs.
    pub pending: u64,
    /// Requests that arrived through the proxy listener (absolute-form or CONNECT)
    /// since start or the last reset.
    pub proxied: u64,
}

#[derive(Default)]
pub struct Stats {
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    sockets: u64,
    open: u64,
    total: u64,
    peak: u64,
    proxied: u64,
}

/// The phases of one socket; changed only under the stats lock, so counting and closing
/// can never interleave into a negative count.
const UNCOUNTED: u8 = 0;
const COUNTED: u8 = 1;
const CLOSED: u8 = 2;

/// Per-socket state shared by the connection task and its request handlers.
#[derive(Default)]
pub struct Tally {
    phase: AtomicU8,
}

impl Stats {
    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Nothing panics while holding the lock; a poisoned one still holds valid counts.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an accepted socket; the socket is released when the guard drops.
    pub fn accept<'a>(&'a self, tally: &'a Tally) -> ConnGuard<'a> {
        self.lock().sockets += 1;
        ConnGuard { stats: self, tally }
    }

    /// Counts the connection from its first ordinary request. The check without the
    /// lock keeps every later request on the connection to one atomic load.
    pub fn request(&self, tally: &Tally) {
        if tally.phase.load(Ordering::Acquire) != UNCOUNTED {
            return;
        }
        let mut c = self.lock();
        if tally.phase.load(Ordering::Acquire) == UNCOUNTED {
            tally.phase.store(COUNTED, Ordering::Release);
            c.open += 1;
            c.total += 1;
            c.peak = c.peak.max(c.open);
        }
    }

    pub fn proxied(&self) {
        self.lock().proxied += 1;
    }

    pub fn snapshot(&self) -> Connections {
        self.snapshot_for(None)
    }

    /// The snapshot `asker` (the connection of a `/__connections` request) reads: it
    /// leaves itself out of `pending` too when it is not counted.
    pub fn snapshot_for(&self, asker: Option<&Tally>) -> Connections {
        let c = self.lock();
        let asking = asker.is_some_and(|t| t.phase.load(Ordering::Acquire) == UNCOUNTED);
        Connections {
            open: c.open,
            total: c.total,
            peak: c.peak,
            pending: c.sockets - c.open - u64::from(asking),
            proxied: c.proxied,
        }
    }

    /// Starts a new measurement: total and proxied from zero, peak from what is open now.
    pub fn reset(&self) {
        let mut c = self.lock();
        c.total = 0;
        c.proxied = 0;
        c.peak = c.open;
    }
}

/// Held by the task that owns an accepted socket; dropping it (the task ended or the
/// runtime shut down) releases the socket from the counts.
pub struct ConnGuard<'a> {
    stats: &'a Stats,
    tally: &'a Tally,
}

impl Drop for ConnGuard<'_> {
    fn drop(&mut self) {
        let mut c = self.stats.lock();
        c.sockets -= 1;
        if self.tally.phase.swap(CLOSED, Ordering::AcqRel) == COUNTED {
            c.open -= 1;
        }
    }
}
