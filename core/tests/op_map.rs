//! `Op::map` tags a value without an op of its own around the op. A test binary of its
//! own: `op::stats` counts ops process-wide, so no other test may run beside it.

use std::time::Duration;

use fanio_core::engine::native::settle;
use fanio_core::{Op, Options, Value, engine::op};

fn tagged(v: Value) -> Value {
    match v {
        Value::Null => Value::Int(7),
        other => other,
    }
}

#[tokio::test]
async fn map_changes_the_value_and_runs_no_second_op() {
    let ops: Vec<Op> = (0..12)
        .map(|_| op::sleep(Duration::from_millis(2), Value::Null).map(tagged))
        .collect();
    op::reset_peak();
    let outcomes = settle(
        ops,
        Options {
            limit: Some(3),
            ..Default::default()
        },
        None,
    )
    .await;
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Value::Int(7)))));
    // A wrapper would run as a second op beside each one it wraps: a peak of 6.
    assert_eq!(op::stats(), (0, 3));

    let done = op::sleep(Duration::ZERO, Value::Null);
    assert!(matches!(done.run().await, Ok(Value::Null)));
    assert!(
        matches!(done.map(tagged).run().await, Ok(Value::Int(7))),
        "a finished op is mapped in place"
    );
}
