//! Every number the addon and its JavaScript share, defined here once. JS reads the
//! whole table through `wire()` when it loads (`bindings-node/wire.js`), so no number is
//! mirrored by hand: a name JS asks for that is missing here throws at load, and a
//! test checks that each family's numbers are distinct.

use napi_derive::napi;

/// Declares each number as a Rust constant of its type and lists it for `wire()`.
macro_rules! wire {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*

        /// `{NAME: number}` of every shared number.
        #[napi]
        pub fn wire() -> std::collections::HashMap<&'static str, i64> {
            [$((stringify!($name), $name as i64)),*].into_iter().collect()
        }
    };
}

wire! {
    /// Records of the completion bridge, as `drain` writes them: an op run alone ended.
    RECORD_OP_DONE: i32 = 0;
    /// A native batch reports progress.
    RECORD_PROGRESS: i32 = 1;
    /// A native batch ended (value 0: finished, 1: aborted).
    RECORD_BATCH_DONE: i32 = 2;
    /// Native ops of host-driven batch `id` ended: JS steps that batch.
    RECORD_BATCH_WAKE: i32 = 3;
    /// Words per record: kind, id, value.
    RECORD_WIDTH: usize = 3;

    /// Op kinds, as JS packs them: a `sleep` op, a `fail` op, and an op the addon
    /// made (an HTTP request, a query), which JS holds by its `native_op` handle.
    OP_SLEEP: u8 = 0;
    OP_FAIL: u8 = 1;
    OP_NATIVE: u8 = 2;
    /// An item of a host-driven batch that JS runs (a function, a promise, an op
    /// already under way elsewhere).
    OP_HOST: u8 = 3;

    /// The header of a host-driven batch's io array (`engine/batch.rs` writes it): how
    /// many actions follow, whether more wait, ms until the next timer (-1: none), and
    /// whether the completion handed in was accepted.
    IO_COUNT: usize = 0;
    IO_MORE: usize = 1;
    IO_WAKE: usize = 2;
    IO_ACCEPTED: usize = 3;
    IO_HEADER: usize = 4;
    /// Actions follow the header as (tag, index, value) triples: start host item
    /// `index`; cancel or skip it (value: the status it settles with); native op
    /// `index` settled (value: its status; its value or reason comes back from the
    /// step); pull `index` items; progress `index` done of `value`; the batch is over.
    ACTION_WIDTH: usize = 3;
    ACTION_START: i32 = 0;
    ACTION_CANCEL: i32 = 1;
    ACTION_SKIP: i32 = 2;
    ACTION_SETTLED: i32 = 3;
    ACTION_PULL: i32 = 4;
    ACTION_PROGRESS: i32 = 5;
    ACTION_FINISH: i32 = 6;

    /// Kinds of `query`, as db.js sends them.
    QUERY_EXECUTE: u32 = 0;
    QUERY_FETCH_ALL: u32 = 1;
    QUERY_FETCH_ONE: u32 = 2;
    QUERY_FETCH_OPTIONAL: u32 = 3;
    QUERY_FETCH_VAL: u32 = 4;

    /// Column kinds of a result handed over in bulk (`db/columns.rs`, read by rows.js).
    COLUMN_NUMBER: u8 = 0;
    COLUMN_BIGINT: u8 = 1;
    COLUMN_BOOL: u8 = 2;
    COLUMN_DATE: u8 = 3;
    COLUMN_TEXT: u8 = 4;
    COLUMN_JSON: u8 = 5;
    COLUMN_VALUES: u8 = 6;
}
