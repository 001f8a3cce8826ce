//! Core errors become JS `Error`s whose `.code` is the core's code string: napi's error
//! status is what it writes into `.code`, so the status here is the code itself.

use fanio_core::{Code, Error, Outcome};
use napi::bindgen_prelude::{JsValue, Object};
use napi::{Env, JsError, Status, sys};

/// A napi error status that is one of the core's codes (or napi's own, for failures
/// of napi itself).
pub struct CodeStatus(String);

impl AsRef<str> for CodeStatus {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<napi::Status> for CodeStatus {
    fn from(status: napi::Status) -> Self {
        CodeStatus(status.as_ref().to_owned())
    }
}

pub trait ThrowJs {
    /// Throws this error into JS with its code and returns the marker napi uses for an
    /// exception already pending (napi's glue can only throw its own statuses).
    fn throw(&self, env: &Env) -> napi::Error;
}

impl ThrowJs for Error {
    fn throw(&self, env: &Env) -> napi::Error {
        let e = napi::Error::new(
            CodeStatus(self.code.as_str().to_owned()),
            self.message.to_string(),
        );
        let js_error = JsError::from(e).into_unknown(*env);
        // Fields (`status`, `url`, ...) ride on the thrown error as properties; setting
        // them is best effort, the code and message are already there.
        let _ = crate::convert::set_fields(&mut Object::from_raw(env.raw(), js_error.raw()), self);
        unsafe { sys::napi_throw(env.raw(), js_error.raw()) };
        napi::Error::new(Status::PendingException, self.message.to_string())
    }
}

/// The number an outcome travels to JS as: 0 fulfilled, else 1 + the code's place in
/// `Code::ALL` (JS reads the table once from `codes()`).
pub fn status(outcome: &Outcome) -> i32 {
    match outcome {
        Ok(_) => 0,
        Err(e) => code_status(e.code),
    }
}

pub fn code_status(code: Code) -> i32 {
    1 + Code::ALL
        .iter()
        .position(|c| *c == code)
        .expect("every code is in Code::ALL") as i32
}

/// The code of a status number JS sent back (a stop reason).
pub fn status_code(status: u32) -> Option<Code> {
    (status as usize)
        .checked_sub(1)
        .and_then(|i| Code::ALL.get(i).copied())
}
