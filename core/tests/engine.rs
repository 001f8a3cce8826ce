//! The native driver end to end: ops that count themselves prove the limit, the drops
//! of fail-fast and the deadline, run-once, and the stream's order and backpressure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fanio_core::engine::native::{Stream, settle};
use fanio_core::{Code, Error, Op, Options, Value};

#[derive(Default)]
struct Gauge {
    started: AtomicUsize,
    now: AtomicUsize,
    peak: AtomicUsize,
    dropped: AtomicUsize,
}

/// Decrements the in-flight count however the op ends; counts early drops.
struct InFlight(Arc<Gauge>, bool);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
        if !self.1 {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn op(g: &Arc<Gauge>, ms: u64, fail: bool) -> Op {
    let g = g.clone();
    Op::new(async move {
        g.started.fetch_add(1, Ordering::SeqCst);
        let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
        g.peak.fetch_max(n, Ordering::SeqCst);
        let mut guard = InFlight(g, false);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        guard.1 = true;
        if fail {
            Err(Error::new(Code::Failed, "asked to"))
        } else {
            Ok(Value::Null)
        }
    })
}

fn codes(outcomes: &[fanio_core::Outcome]) -> Vec<Option<Code>> {
    outcomes
        .iter()
        .map(|o| o.as_ref().err().map(|e| e.code))
        .collect()
}

#[tokio::test]
async fn the_limit_bounds_ops_in_flight() {
    let g = Arc::new(Gauge::default());
    let ops = (0..20).map(|_| op(&g, 5, false)).collect();
    let outcomes = settle(
        ops,
        Options {
            limit: Some(3),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(outcomes.len(), 20);
    assert!(outcomes.iter().all(|o| o.is_ok()));
    assert_eq!(g.peak.load(Ordering::SeqCst), 3);
    assert_eq!(g.started.load(Ordering::SeqCst), 20);
}

#[tokio::test]
async fn fail_fast_drops_ops_in_flight_and_never_starts_the_rest() {
    let g = Arc::new(Gauge::default());
    let mut ops = vec![op(&g, 5, true)];
    ops.extend((0..3).map(|_| op(&g, 10_000, false)));
    ops.extend((0..4).map(|_| op(&g, 1, false)));
    let outcomes = settle(
        ops,
        Options {
            limit: Some(4),
            fail_fast: true,
            ..Default::default()
        },
        None,
    )
    .await;
    let mut expected = vec![Some(Code::Failed)];
    expected.extend([Some(Code::Cancelled); 7]);
    assert_eq!(codes(&outcomes), expected);
    assert_eq!(g.started.load(Ordering::SeqCst), 4);
    assert_eq!(g.dropped.load(Ordering::SeqCst), 3);
    assert_eq!(g.now.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_deadline_drops_ops_in_flight() {
    let g = Arc::new(Gauge::default());
    let ops = vec![
        op(&g, 1, false),
        op(&g, 10_000, false),
        op(&g, 10_000, false),
    ];
    let opts = Options {
        limit: Some(2),
        deadline: Some(Duration::from_millis(50)),
        ..Default::default()
    };
    let outcomes = settle(ops, opts, None).await;
    assert_eq!(
        codes(&outcomes),
        [None, Some(Code::Timeout), Some(Code::Timeout)]
    );
    assert_eq!(g.dropped.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_op_runs_once_and_keeps_what_a_batch_decided() {
    let g = Arc::new(Gauge::default());
    let once = op(&g, 1, false);
    assert!(once.run().await.is_ok());
    assert!(once.run().await.is_ok());
    let skipped = op(&g, 1, false);
    let slow = op(&g, 10_000, false);
    let opts = Options {
        limit: Some(1),
        timeout: Some(Duration::from_millis(20)),
        fail_fast: true,
        ..Default::default()
    };
    let outcomes = settle(
        vec![slow.clone(), skipped.clone(), once.clone()],
        opts,
        None,
    )
    .await;
    assert_eq!(
        codes(&outcomes),
        [Some(Code::Timeout), Some(Code::Cancelled), None],
        "an op that had already run keeps its outcome, and the batch reports it"
    );
    assert_eq!(
        g.started.load(Ordering::SeqCst),
        2,
        "the skipped op never ran; `once` did not run again"
    );
    assert!(once.run().await.is_ok());
    assert_eq!(skipped.run().await.unwrap_err().code, Code::Cancelled);
    assert_eq!(slow.run().await.unwrap_err().code, Code::Timeout);
}

#[tokio::test]
async fn a_stream_yields_each_index_once_and_waits_for_its_reader() {
    let g = Arc::new(Gauge::default());
    let mut stream = Stream::start(
        Options {
            limit: Some(2),
            ..Default::default()
        },
        None,
    );
    assert_eq!(stream.wanted(), 16);
    stream.feed((0..10).map(|_| op(&g, 1, false)).collect());
    stream.end();
    let first = stream.next().await.unwrap();
    // Not asking for more: the driver stops once more than 2 outcomes wait unread.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = g.started.load(Ordering::SeqCst);
    assert!(started <= first.len() + 4, "{started} started while unread");
    let mut seen: Vec<usize> = first.iter().map(|(i, _)| *i).collect();
    while let Some(chunk) = stream.next().await {
        seen.extend(chunk.iter().map(|(i, _)| *i));
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn cancel_drops_a_running_op_inside_a_batch_and_settles_a_fresh_one() {
    let g = Arc::new(Gauge::default());
    let ops: Vec<Op> = (0..3).map(|_| op(&g, 10_000, false)).collect();
    let (running, fresh) = (ops[0].clone(), op(&g, 1, false));
    let batch = tokio::spawn(settle(
        ops,
        Options {
            limit: Some(2),
            ..Default::default()
        },
        None,
    ));
    tokio::time::sleep(Duration::from_millis(20)).await;
    running.cancel();
    fresh.cancel();
    assert_eq!(fresh.run().await.unwrap_err().code, Code::Cancelled);
    // The cancelled op's future is dropped at once, and the batch goes on without it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(g.dropped.load(Ordering::SeqCst), 1);
    assert_eq!(
        g.started.load(Ordering::SeqCst),
        3,
        "the third op started in the freed place"
    );
    assert_eq!(running.run().await.unwrap_err().code, Code::Cancelled);
    batch.abort();
}
