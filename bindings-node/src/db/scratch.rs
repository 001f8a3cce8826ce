//! Reusable JS memory that a result's columns are copied into before rows.js reads
//! them. Rows are built synchronously from it and nothing of it escapes, so one
//! Float64Array and one Buffer per JS thread serve every result: a one-row lookup pays
//! no ArrayBuffer allocation (that would cost more than its three cells).

use std::cell::RefCell;

use napi::sys;

use super::js::{Js, Raw};

/// Scratch memory kept between results, per kind; a result needing more gets memory
/// of its own, so one huge result does not pin its size for the life of the process.
const KEPT_BYTES: usize = 4 << 20;

/// The smallest scratch made, so small results do not grow it step by step.
const MIN_BYTES: usize = 4 << 10;

#[derive(Default)]
struct Kept {
    words: Option<sys::napi_ref>,
    bytes: Option<sys::napi_ref>,
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// A Float64Array holding at least `words.len()` elements, with `words` copied in.
pub fn words(js: Js, words: &[u64]) -> napi::Result<Raw> {
    // SAFETY: u64 and f64 have one size; the bits are copied, never read as floats.
    let bytes = unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) };
    filled(js, bytes, 8, |k| &mut k.words, |js, n| js.float64_array(n))
}

/// A Buffer holding at least `bytes.len()` bytes, with `bytes` copied in.
pub fn bytes(js: Js, bytes: &[u8]) -> napi::Result<Raw> {
    filled(js, bytes, 1, |k| &mut k.bytes, |js, n| js.new_buffer(n))
}

/// The kept typed array of `slot` (elements of `unit` bytes) when it is big enough,
/// else a new one (kept when small enough); `data` is copied to its start.
fn filled(
    js: Js,
    data: &[u8],
    unit: usize,
    slot: impl Fn(&mut Kept) -> &mut Option<sys::napi_ref>,
    make: impl Fn(Js, usize) -> napi::Result<Raw>,
) -> napi::Result<Raw> {
    let kept = KEPT.with_borrow_mut(|k| *slot(k));
    let mut array = None;
    if let Some(r) = kept {
        let a = js.deref(r)?;
        // Asked afresh each time: a length of 0 would also cover a detached buffer.
        let (_, len, ptr) = js.typed_array(a)?;
        if len * unit >= data.len() {
            array = Some((a, ptr));
        }
    }
    let (array, ptr) = match array {
        Some(found) => found,
        None => {
            let size = data.len().next_power_of_two().max(MIN_BYTES);
            let a = make(js, size / unit)?;
            if size <= KEPT_BYTES {
                let r = js.reference(a)?;
                if let Some(old) = KEPT.with_borrow_mut(|k| slot(k).replace(r)) {
                    js.unref(old);
                }
            }
            (a, js.typed_array(a)?.2)
        }
    };
    if !data.is_empty() {
        // SAFETY: `ptr` is the live data of `array`, at least `data.len()` bytes long,
        // and JS runs on this thread only, so nothing else touches it during the copy.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), ptr, data.len()) };
    }
    Ok(array)
}
