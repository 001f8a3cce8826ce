//! The JS handle of an op the addon made (an HTTP request, a query). JS wraps it in a
//! plain `Op` thenable of kind NATIVE; batches and awaits read the core op from here.

use napi_derive::napi;

/// Made only by the addon's own functions; JS never constructs one.
#[napi]
pub struct NativeOp {
    pub(crate) op: fanio_core::Op,
}

impl NativeOp {
    pub fn new(op: fanio_core::Op) -> Self {
        NativeOp { op }
    }
}


/// Cancels the op in the core (its abort signal fired); see `Op::cancel`.
#[napi]
pub fn cancel_native(handle: &NativeOp) {
    handle.op.cancel();
}
