//! An all-native batch runs wholly in Rust (`settle::settle`): one call in, one record
//! back through the bridge when it ends, progress as records in between. Aborting drops
//! the batch future, and with it every op in flight, before JS hears that it ended.

use std::cell::RefCell;
use std::collections::HashMap;

use fanio_core::engine::native as settle;
use futures::future::{AbortHandle, Abortable};
use napi::Env;
use napi::bindgen_prelude::{Array, Uint8ArraySlice};
use napi_derive::napi;

use super::options::{BatchOptions, parse};
use crate::bridge::{self, Payloads, Record};
use crate::convert::{reason_to_js, value_to_js};
use crate::error::status;
use crate::wire::{OP_NATIVE, RECORD_BATCH_DONE, RECORD_PROGRESS};

thread_local! {
    /// Abort handles of the native batches of this JS thread's environment, by id.
    static BATCHES: RefCell<HashMap<u32, AbortHandle>> = RefCell::new(HashMap::new());
}

/// Starts batch `id` of ops packed by JS (kinds, delays in ms, messages of the fail ops
/// and the native ops, each in order). Bad options throw E_INVALID_ARGUMENT before
/// anything starts. The end arrives as a RECORD_BATCH_DONE record (value 0: finished, 1:
/// aborted). Its arguments are the typed arrays JS packs, one per column.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn settle_native(
    env: Env,
    id: u32,
    kinds: &[u8],
    delays: &[f64],
    messages: Vec<String>,
    natives: &[u32],
    options: BatchOptions,
    report_progress: bool,
) -> napi::Result<()> {
    let opts = parse(&env, &options, "limit")?;
    let mut payloads = Payloads {
        messages: messages.into_iter(),
        natives: natives.iter(),
    };
    let ops: Vec<_> = kinds
        .iter()
        .zip(delays)
        .map(|(k, ms)| bridge::make_op(*k, *ms, &mut payloads))
        .collect();
    let bridge = bridge::current();
    let progress_bridge = bridge.clone();
    let on_progress: Option<settle::ProgressFn> = report_progress.then(|| {
        Box::new(move |done: usize, _total: usize| {
            progress_bridge.push(Record::new(RECORD_PROGRESS, id as i32, done as i32))
        }) as _
    });
    let (abort, registration) = AbortHandle::new_pair();
    BATCHES.with_borrow_mut(|b| b.insert(id, abort));
    bridge.begin(&env);
    fanio_core::runtime::handle().spawn(async move {
        // The Abortable (and every op future inside) is dropped by the end of this
        // statement, so an aborted batch has no op running when JS hears of it.
        let result = Abortable::new(settle::settle(ops, opts, on_progress), registration).await;
        match result {
            Ok(outcomes) => {
                bridge.push(Record::new(RECORD_BATCH_DONE, id as i32, 0).with_outcomes(outcomes))
            }
            Err(_) => bridge.push(Record::new(RECORD_BATCH_DONE, id as i32, 1)),
        }
    });
    Ok(())
}

/// Drops batch `id` (its AbortSignal fired).
#[napi]
pub fn abort_batch(id: u32) {
    BATCHES.with_borrow(|b| {
        if let Some(abort) = b.get(&id) {
            abort.abort();
        }
    });
}

/// The end of batch `id` was drained: its abort handle is no longer needed.
pub fn forget(id: i32) {
    BATCHES.with_borrow_mut(|b| b.remove(&(id as u32)));
}

/// Takes the outcomes of finished batch `id`: writes each status into `statuses` and
/// returns `[reasons of the rejected ops, values of the fulfilled native ops]`, each in
/// input order (`kinds` is what JS packed, so it knows which ops are native).
#[napi]
pub fn take_batch<'env>(
    env: &'env Env,
    id: u32,
    mut statuses: Uint8ArraySlice,
    kinds: &[u8],
) -> napi::Result<Array<'env>> {
    // SAFETY: JS made this array for this call and does not touch it meanwhile.
    let statuses = unsafe { statuses.as_mut() };
    let outcomes = bridge::take_outcomes(id as i32).unwrap_or_default();
    let mut reasons = env.create_array(0)?;
    let mut values = env.create_array(0)?;
    for ((s, outcome), kind) in statuses.iter_mut().zip(&outcomes).zip(kinds) {
        *s = status(outcome) as u8;
        match outcome {
            Err(e) => reasons.insert(reason_to_js(env, e)?)?,
            Ok(v) if *kind == OP_NATIVE => values.insert(value_to_js(env, v)?)?,
            Ok(_) => {}
        }
    }
    let mut pair = env.create_array(2)?;
    pair.set(0, reasons)?;
    pair.set(1, values)?;
    Ok(pair)
}
