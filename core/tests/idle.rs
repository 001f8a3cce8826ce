//! Spinning is bounded: the SQLite connection threads and a batch's driver stay awake
//! while answers come microseconds apart, and must go back to sleep once they stop. A
//! test binary of its own: it reads the CPU time of the whole process, so no other test
//! may run beside it.

use std::time::Duration;

use fanio_core::db::{self, Cell, IntWidth, Params, PoolOptions};
use fanio_core::engine::native::settle;
use fanio_core::{Op, Options, Value, engine::op, runtime};

/// User plus system CPU time of this process.
fn cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// CPU the process spends while the calling thread sleeps for `wall`.
fn cpu_while_sleeping(wall: Duration) -> Duration {
    let before = cpu();
    std::thread::sleep(wall);
    cpu() - before
}

fn limit(n: usize) -> Options {
    Options {
        limit: Some(n),
        ..Default::default()
    }
}

/// The two tests measure the same process: one at a time.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn sqlite_threads_sleep_once_a_batch_is_done() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime::handle();
    let dir = std::env::temp_dir().join(format!("fanio-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("idle.db").display());
    let opts = PoolOptions {
        max_connections: 3,
        ..PoolOptions::default()
    };
    let Ok(Value::Database(db)) = rt.block_on(db::connect(&url, opts).run()) else {
        panic!("cannot open {url}");
    };
    for sql in [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
        "INSERT INTO t VALUES (1, 'x')",
    ] {
        rt.block_on(db.execute(sql, Params::default()).run())
            .unwrap();
    }
    let key = || Params::Positional(vec![Cell::Int(1, IntWidth::Wide)]);
    // A burst: the readers and the driver spin while it lasts.
    let ops: Vec<Op> = (0..5_000)
        .map(|_| db.fetch_val("SELECT v FROM t WHERE id = ?", key()))
        .collect();
    let outcomes = rt.block_on(settle(ops, limit(8), None));
    assert_eq!(outcomes.len(), 5_000);
    assert!(outcomes.iter().all(|o| o.is_ok()), "every lookup succeeds");
    // Two readers and a writer that never stopped spinning would burn about 300 ms of
    // CPU each here; asleep, they burn none.
    let spent = cpu_while_sleeping(Duration::from_millis(300));
    assert!(
        spent < Duration::from_millis(60),
        "the process kept {spent:?} of CPU busy after the batch"
    );
    rt.block_on(db.close().run()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_driver_waiting_on_a_slow_op_sleeps() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime::handle();
    // Fast answers first make the driver hot; then one op takes 400 ms, and the driver
    // must stop yielding and park instead of spinning through the wait.
    let mut ops: Vec<Op> = (0..200)
        .map(|_| op::sleep(Duration::ZERO, Value::Null))
        .collect();
    ops.push(op::sleep(Duration::from_millis(400), Value::Int(1)));
    let batch = rt.spawn(settle(ops, limit(4), None));
    std::thread::sleep(Duration::from_millis(50));
    let spent = cpu_while_sleeping(Duration::from_millis(300));
    let outcomes = rt.block_on(batch).unwrap();
    assert!(matches!(outcomes.last(), Some(Ok(Value::Int(1)))));
    assert!(
        spent < Duration::from_millis(60),
        "the driver spent {spent:?} of CPU waiting on one slow op"
    );
}
