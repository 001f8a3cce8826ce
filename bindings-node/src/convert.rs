//! Core values and errors become JS values here, on the JS thread, once an outcome is
//! delivered. Each kind of value (responses, rows) gets its arm in `value_to_js`.

use fanio_core::error::Field;
use fanio_core::{Error, Value};
use napi::Env;
use napi::bindgen_prelude::{BufferSlice, JsValue, Null, Object, ToNapiValue, Unknown};

/// The JS value of a fulfilled native op.
pub fn value_to_js<'env>(env: &'env Env, value: &Value) -> napi::Result<Unknown<'env>> {
    match value {
        Value::Null => Null.into_unknown(env),
        Value::Response(r) => crate::http::Response::new(r.clone()).into_unknown(env),
        Value::Bytes(b) => Ok(BufferSlice::copy_from(env, b)?.to_unknown()),
        // Database values (rows, cells, handles, counts) and the host values that carry
        // their conversion settings; any other host value is the JS side's (a sleep op
        // keeps its value in JS) and reads as null here.
        _ => match crate::db::value_to_js(env, value)? {
            Some(v) => Ok(v),
            None => Null.into_unknown(env),
        },
    }
}

/// Sets the fields of `err` (`status`, `url`, ...) as properties of `target`.
pub fn set_fields(target: &mut Object<'_>, err: &Error) -> napi::Result<()> {
    for (name, value) in err.fields.iter() {
        match value {
            Field::Int(v) => target.set(name, *v as f64)?,
            Field::Str(v) => target.set(name, &**v)?,
        }
    }
    Ok(())
}

/// The fields of `err` as a plain object, or None when it has none.
fn fields_to_js<'env>(env: &'env Env, err: &Error) -> napi::Result<Option<Object<'env>>> {
    if err.fields.is_empty() {
        return Ok(None);
    }
    let mut obj = Object::new(env)?;
    set_fields(&mut obj, err)?;
    Ok(Some(obj))
}

/// What JS needs to build the FanioError of a rejection: the message alone (the common
/// case, cheap), or `[message, fields]`.
pub fn reason_to_js<'env>(env: &'env Env, err: &Error) -> napi::Result<Unknown<'env>> {
    match fields_to_js(env, err)? {
        None => (&*err.message).into_unknown(env),
        Some(fields) => {
            let mut pair = env.create_array(2)?;
            pair.set(0, &*err.message)?;
            pair.set(1, fields)?;
            pair.into_unknown(env)
        }
    }
}
