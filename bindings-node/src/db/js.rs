//! Thin, checked wrappers over the raw Node-API calls that database conversion makes
//! per cell (parameters, rare column kinds) or per result (the scratch memory of the
//! bulk path). They skip the generic wrappers of napi-rs and go straight to `napi_*`
//! with one status check each.

use std::ptr;
use std::sync::Arc;

use napi::{Env, Status, sys};

pub type Raw = sys::napi_value;

/// A napi status as a Result (napi's own error: only napi itself failing gets here).
fn ok(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::from(status),
            "a Node-API call failed while converting database values",
        ))
    }
}

/// The environment of the JS thread doing the conversion.
#[derive(Clone, Copy)]
pub struct Js(pub sys::napi_env);

macro_rules! make {
    ($self:ident, $call:ident $(, $arg:expr)*) => {{
        let mut out = ptr::null_mut();
        ok(unsafe { sys::$call($self.0 $(, $arg)*, &mut out) })?;
        Ok(out)
    }};
}

impl Js {
    pub fn new(env: &Env) -> Js {
        Js(env.raw())
    }

    pub fn null(self) -> napi::Result<Raw> {
        make!(self, napi_get_null)
    }

    pub fn undefined(self) -> napi::Result<Raw> {
        make!(self, napi_get_undefined)
    }

    pub fn boolean(self, v: bool) -> napi::Result<Raw> {
        make!(self, napi_get_boolean, v)
    }

    pub fn number(self, v: f64) -> napi::Result<Raw> {
        make!(self, napi_create_double, v)
    }

    pub fn int32(self, v: i32) -> napi::Result<Raw> {
        make!(self, napi_create_int32, v)
    }

    pub fn bigint(self, v: i64) -> napi::Result<Raw> {
        make!(self, napi_create_bigint_int64, v)
    }

    pub fn string(self, s: &str) -> napi::Result<Raw> {
        make!(
            self,
            napi_create_string_utf8,
            s.as_ptr().cast(),
            s.len() as isize
        )
    }

    pub fn buffer(self, bytes: &[u8]) -> napi::Result<Raw> {
        let mut data = ptr::null_mut();
        make!(
            self,
            napi_create_buffer_copy,
            bytes.len(),
            bytes.as_ptr().cast(),
            &mut data
        )
    }

    /// A Buffer of `len` bytes (its contents are to be written by the caller).
    pub fn new_buffer(self, len: usize) -> napi::Result<Raw> {
        let mut data = ptr::null_mut();
        make!(self, napi_create_buffer, len, &mut data)
    }

    fn array_buffer(self, len: usize) -> napi::Result<Raw> {
        let mut data = ptr::null_mut();
        make!(self, napi_create_arraybuffer, len, &mut data)
    }

    /// A zero-filled Float64Array of `len` elements on a fresh ArrayBuffer.
    pub fn float64_array(self, len: usize) -> napi::Result<Raw> {
        let buffer = self.array_buffer(len * 8)?;
        make!(
            self,
            napi_create_typedarray,
            sys::TypedarrayType::float64_array,
            len,
            buffer,
            0
        )
    }

    pub fn date(self, ms: f64) -> napi::Result<Raw> {
        make!(self, napi_create_date, ms)
    }

    pub fn array(self, len: usize) -> napi::Result<Raw> {
        make!(self, napi_create_array_with_length, len)
    }

    pub fn object(self) -> napi::Result<Raw> {
        make!(self, napi_create_object)
    }

    pub fn set_element(self, array: Raw, i: u32, v: Raw) -> napi::Result<()> {
        ok(unsafe { sys::napi_set_element(self.0, array, i, v) })
    }

    pub fn set_property(self, object: Raw, key: Raw, v: Raw) -> napi::Result<()> {
        ok(unsafe { sys::napi_set_property(self.0, object, key, v) })
    }

    pub fn call(self, f: Raw, args: &[Raw]) -> napi::Result<Raw> {
        let this = self.undefined()?;
        make!(self, napi_call_function, this, f, args.len(), args.as_ptr())
    }

    /// Calls `f` as `call` does, but an exception it throws is taken back (cleared) and
    /// returned as `Err`, for the caller to turn into an error of its own.
    pub fn call_catching(self, f: Raw, args: &[Raw]) -> napi::Result<Result<Raw, Raw>> {
        let this = self.undefined()?;
        let mut out = ptr::null_mut();
        let status = unsafe {
            sys::napi_call_function(self.0, this, f, args.len(), args.as_ptr(), &mut out)
        };
        if status == sys::Status::napi_pending_exception {
            let mut thrown = ptr::null_mut();
            ok(unsafe { sys::napi_get_and_clear_last_exception(self.0, &mut thrown) })?;
            return Ok(Err(thrown));
        }
        ok(status)?;
        Ok(Ok(out))
    }

    pub fn type_of(self, v: Raw) -> napi::Result<sys::napi_valuetype> {
        let mut t = 0;
        ok(unsafe { sys::napi_typeof(self.0, v, &mut t) })?;
        Ok(t)
    }

    pub fn is_array(self, v: Raw) -> napi::Result<bool> {
        let mut b = false;
        ok(unsafe { sys::napi_is_array(self.0, v, &mut b) })?;
        Ok(b)
    }

    pub fn is_date(self, v: Raw) -> napi::Result<bool> {
        let mut b = false;
        ok(unsafe { sys::napi_is_date(self.0, v, &mut b) })?;
        Ok(b)
    }

    pub fn length(self, array: Raw) -> napi::Result<u32> {
        let mut n = 0;
        ok(unsafe { sys::napi_get_array_length(self.0, array, &mut n) })?;
        Ok(n)
    }

    pub fn element(self, array: Raw, i: u32) -> napi::Result<Raw> {
        make!(self, napi_get_element, array, i)
    }

    pub fn property(self, object: Raw, key: Raw) -> napi::Result<Raw> {
        make!(self, napi_get_property, object, key)
    }

    /// The object's own enumerable string keys, as JS's `Object.keys` gives them.
    pub fn keys(self, object: Raw) -> napi::Result<Raw> {
        make!(self, napi_get_property_names, object)
    }

    pub fn prototype(self, object: Raw) -> napi::Result<Raw> {
        make!(self, napi_get_prototype, object)
    }

    pub fn strict_equals(self, a: Raw, b: Raw) -> napi::Result<bool> {
        let mut b_ = false;
        ok(unsafe { sys::napi_strict_equals(self.0, a, b, &mut b_) })?;
        Ok(b_)
    }

    pub fn get_bool(self, v: Raw) -> napi::Result<bool> {
        let mut b = false;
        ok(unsafe { sys::napi_get_value_bool(self.0, v, &mut b) })?;
        Ok(b)
    }

    pub fn get_number(self, v: Raw) -> napi::Result<f64> {
        let mut n = 0.0;
        ok(unsafe { sys::napi_get_value_double(self.0, v, &mut n) })?;
        Ok(n)
    }

    /// A BigInt's value and whether it fit in an i64 without loss.
    pub fn get_bigint(self, v: Raw) -> napi::Result<(i64, bool)> {
        let (mut n, mut lossless) = (0, false);
        ok(unsafe { sys::napi_get_value_bigint_int64(self.0, v, &mut n, &mut lossless) })?;
        Ok((n, lossless))
    }

    pub fn get_date(self, v: Raw) -> napi::Result<f64> {
        let mut ms = 0.0;
        ok(unsafe { sys::napi_get_date_value(self.0, v, &mut ms) })?;
        Ok(ms)
    }

    pub fn get_string(self, v: Raw) -> napi::Result<String> {
        self.with_str(v, str::to_owned)
    }

    /// A string straight into the shared form a text cell holds (one copy, not three).
    pub fn get_text(self, v: Raw) -> napi::Result<Arc<str>> {
        self.with_str(v, |s| Arc::from(s))
    }

    /// Hands `f` the UTF-8 of the string `v`. Most strings are short: one call reads
    /// them into a stack buffer; only one that may not have fit is measured and read
    /// into the heap.
    fn with_str<R>(self, v: Raw, f: impl FnOnce(&str) -> R) -> napi::Result<R> {
        let mut stack = [0u8; 256];
        let mut written = 0;
        ok(unsafe {
            sys::napi_get_value_string_utf8(
                self.0,
                v,
                stack.as_mut_ptr().cast(),
                stack.len(),
                &mut written,
            )
        })?;
        // Node keeps a byte for the NUL and never writes part of a character (4 bytes at
        // most): with 5 bytes to spare, nothing was cut.
        if written + 5 <= stack.len() {
            return utf8(&stack[..written]).map(f);
        }
        let mut len = 0;
        ok(unsafe { sys::napi_get_value_string_utf8(self.0, v, ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u8; len + 1];
        ok(unsafe {
            sys::napi_get_value_string_utf8(
                self.0,
                v,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut written,
            )
        })?;
        utf8(&buf[..written]).map(f)
    }

    /// The element type, element count and data of a typed array.
    pub fn typed_array(self, v: Raw) -> napi::Result<(sys::napi_typedarray_type, usize, *mut u8)> {
        let (mut kind, mut len, mut data) = (0, 0, ptr::null_mut());
        let mut buffer = ptr::null_mut();
        let mut offset = 0;
        ok(unsafe {
            sys::napi_get_typedarray_info(
                self.0,
                v,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        })?;
        Ok((kind, len, data.cast()))
    }

    /// A copy of the bytes of a Uint8Array (a Buffer is one), or None for anything else.
    pub fn get_bytes(self, v: Raw) -> napi::Result<Option<Vec<u8>>> {
        let mut is = false;
        ok(unsafe { sys::napi_is_typedarray(self.0, v, &mut is) })?;
        if !is {
            return Ok(None);
        }
        let (kind, len, data) = self.typed_array(v)?;
        if kind != sys::TypedarrayType::uint8_array {
            return Ok(None);
        }
        if len == 0 {
            return Ok(Some(Vec::new()));
        }
        // SAFETY: Node-API gave the array's live data and length; it is copied at once.
        Ok(Some(
            unsafe { std::slice::from_raw_parts(data, len) }.to_vec(),
        ))
    }

    /// A reference that keeps `v` alive across calls (released with `unref`).
    pub fn reference(self, v: Raw) -> napi::Result<sys::napi_ref> {
        make!(self, napi_create_reference, v, 1)
    }

    pub fn deref(self, r: sys::napi_ref) -> napi::Result<Raw> {
        make!(self, napi_get_reference_value, r)
    }

    pub fn unref(self, r: sys::napi_ref) {
        unsafe { sys::napi_delete_reference(self.0, r) };
    }
}

/// Node-API writes UTF-8 (lone surrogates become U+FFFD), so this never fails.
fn utf8(bytes: &[u8]) -> napi::Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| napi::Error::from_reason(e.to_string()))
}
