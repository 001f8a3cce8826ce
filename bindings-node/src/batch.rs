//! An all-native batch runs wholly in Rust (`settle::settle`): one call in, one record
//! back through the hub when it ends, progress as records in between. Aborting drops
//! the batch future, and with it every op in flight, before JS hears that it ended.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use fanio_core::{Outcome, settle};
use futures::future::{AbortHandle, Abortable};
use napi::Env;
use napi::bindgen_prelude::Uint8ArraySlice;
use napi_derive::napi;

use crate::error::status;
use crate::hub::{self, BATCH_DONE, PROGRESS};
use crate::options::{BatchOptions, parse};

struct Batch {
    abort: AbortHandle,
    outcomes: Option<Vec<Outcome>>,
}

static BATCHES: LazyLock<Mutex<HashMap<u32, Batch>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn batches() -> std::sync::MutexGuard<'static, HashMap<u32, Batch>> {
    BATCHES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts batch `id` of ops packed by JS (kinds, delays in ms, messages of the fail ops
/// in order). Bad options throw E_INVALID_ARGUMENT before anything starts. The end
/// arrives as a BATCH_DONE record (value 0: finished, 1: aborted).
#[napi]
pub fn settle_native(
    env: Env,
    id: u32,
    kinds: &[u8],
    delays: &[f64],
    messages: Vec<String>,
    options: BatchOptions,
    report_progress: bool,
) -> napi::Result<()> {
    let opts = parse(&env, &options, "limit")?;
    let mut messages = messages.into_iter();
    let ops = kinds.iter().zip(delays).map(|(k, ms)| hub::make_op(*k, *ms, &mut messages)).collect();
    let on_progress: Option<settle::ProgressFn> = report_progress
        .then(|| Box::new(move |done: usize, _total: usize| hub::push(PROGRESS, id as i32, done as i32, None)) as _);
    let (abort, registration) = AbortHandle::new_pair();
    batches().insert(id, Batch { abort, outcomes: None });
    hub::begin(&env);
    fanio_core::runtime::handle().spawn(async move {
        // The Abortable (and every op future inside) is dropped by the end of this
        // statement, so an aborted batch has no op running when JS hears of it.
        let result = Abortable::new(settle::settle(ops, opts, on_progress), registration).await;
        let aborted = match result {
            Ok(outcomes) => {
                if let Some(b) = batches().get_mut(&id) {
                    b.outcomes = Some(outcomes);
                }
                0
            }
            Err(_) => 1,
        };
        hub::push(BATCH_DONE, id as i32, aborted, None);
    });
    Ok(())
}

/// Drops batch `id` (its AbortSignal fired).
#[napi]
pub fn abort_batch(id: u32) {
    if let Some(b) = batches().get(&id) {
        b.abort.abort();
    }
}

/// Takes the outcomes of finished batch `id`: writes each status into `statuses` and
/// returns the messages of the rejected ones in input order.
#[napi]
pub fn take_batch(id: u32, mut statuses: Uint8ArraySlice) -> Vec<String> {
    // SAFETY: JS made this array for this call and does not touch it meanwhile.
    let statuses = unsafe { statuses.as_mut() };
    let Some(outcomes) = batches().remove(&id).and_then(|b| b.outcomes) else {
        return Vec::new();
    };
    let mut messages = Vec::new();
    for (s, outcome) in statuses.iter_mut().zip(&outcomes) {
        *s = status(outcome) as u8;
        if let Err(e) = outcome {
            messages.push(e.message.to_string());
        }
    }
    messages
}
