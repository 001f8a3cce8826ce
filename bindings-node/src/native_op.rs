//! Ops the addon made (an HTTP request, a query) stay here, per Node environment, and
//! JS holds only their index inside a plain `Op` thenable of kind NATIVE. A napi class
//! instance per op cost about 2 us to make, as much as running a SQLite lookup; an
//! index costs nothing to cross. JS releases the index through a FinalizationRegistry
//! once its op is garbage, never before: a batch reads its ops from here.

use std::cell::RefCell;

use fanio_core::Op;
use napi_derive::napi;

use crate::table::Table;

thread_local! {
    static OPS: RefCell<Table<Op>> = const { RefCell::new(Table::new()) };
}

/// Keeps `op` for JS; returns its handle (what the addon's op-making calls return).
pub fn hold(op: Op) -> u32 {
    OPS.with_borrow_mut(|t| t.insert(op))
}

/// The op behind `handle`, if JS still holds it.
pub fn held(handle: u32) -> Option<Op> {
    OPS.with_borrow_mut(|t| t.get_mut(handle).cloned())
}

/// Forgets the ops of `handles`, whose JS ops were collected (an op running in a batch
/// keeps running: the batch has its own reference). Returns how many of them were never
/// awaited, settled or handed to a batch, for JS to warn about.
#[napi]
pub fn release_native(handles: &[u32]) -> u32 {
    OPS.with_borrow_mut(|t| {
        handles
            .iter()
            .filter_map(|&k| t.remove(k))
            .filter(|op| op.unobserved())
            .count() as u32
    })
}

/// A batch took charge of the op without running it through the core (a host-driven
/// batch skipped it): it is not reported as never awaited.
#[napi]
pub fn hand_over_native(handle: u32) {
    if let Some(op) = held(handle) {
        op.hand_over();
    }
}

/// Cancels the op in the core (its abort signal fired); see `Op::cancel`.
#[napi]
pub fn cancel_native(handle: u32) {
    if let Some(op) = held(handle) {
        op.cancel();
    }
}
