//! fanio._fanio: the Python face of fanio-core. Conversion only: what ops do, and how
//! batches are limited, timed and cancelled, is decided in the core.

mod args;
mod bridge;
mod convert;
mod db;
mod engine;
mod error;
mod http;
mod op;
mod outcome;

use pyo3::prelude::*;

/// Stops the runtime at interpreter exit (registered with atexit by `fanio`): pending
/// ops are dropped instead of being polled while the interpreter is torn down.
#[pyfunction]
fn _shutdown() {
    fanio_core::runtime::shutdown();
}

/// Microseconds per eventfd ping-pong round trip of two threads: the floor that
/// bench/crossing.py compares an await against. Releases the GIL while it runs.
#[pyfunction]
fn _ping_pong_us(py: Python<'_>, rounds: u32) -> f64 {
    py.detach(|| fanio_core::floor::ping_pong_us(rounds))
}

#[pymodule]
fn _fanio(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<op::Op>()?;
    m.add_class::<outcome::Fulfilled>()?;
    m.add_class::<outcome::Rejected>()?;
    m.add_class::<bridge::Bridge>()?;
    m.add_class::<bridge::Running>()?;
    m.add_class::<engine::options::Options>()?;
    m.add_class::<engine::native::Stream>()?;
    m.add_class::<engine::batch::Batch>()?;
    for (name, tag) in [
        ("ACTION_START", engine::batch::ACTION_START),
        ("ACTION_CANCEL", engine::batch::ACTION_CANCEL),
        ("ACTION_SKIP", engine::batch::ACTION_SKIP),
        ("ACTION_SETTLED", engine::batch::ACTION_SETTLED),
        ("ACTION_PULL", engine::batch::ACTION_PULL),
        ("ACTION_PROGRESS", engine::batch::ACTION_PROGRESS),
        ("ACTION_FINISH", engine::batch::ACTION_FINISH),
    ] {
        m.add(name, tag)?;
    }
    m.add_function(wrap_pyfunction!(op::sleep, m)?)?;
    m.add_function(wrap_pyfunction!(op::fail, m)?)?;
    m.add_function(wrap_pyfunction!(op::op_stats, m)?)?;
    m.add_function(wrap_pyfunction!(op::reset_op_stats, m)?)?;
    m.add_function(wrap_pyfunction!(engine::native::native_batch, m)?)?;
    m.add_class::<engine::native::NativeBatch>()?;
    m.add_class::<db::Database>()?;
    m.add_class::<db::Transaction>()?;
    m.add_class::<db::record::Record>()?;
    m.add_function(wrap_pyfunction!(db::connect, m)?)?;
    http::register(m)?;
    // The core's nesting limit, for tests that build input just past it.
    m.add("MAX_DEPTH", fanio_core::depth::MAX_DEPTH)?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(_ping_pong_us, m)?)?;
    Ok(())
}
