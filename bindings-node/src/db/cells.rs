//! Database cells become JS values here, by the one table both docs state (index.d.ts):
//! int8 -> bigint, numeric -> exact string, timestamps -> Date, date -> 'YYYY-MM-DD',
//! and so on. Whole columns cross in bulk (columns.rs); this is the path of one cell
//! (fetchVal, array elements, columns of rare or mixed kinds) and of the JS functions
//! the conversion calls.

use std::cell::RefCell;
use std::sync::Arc;

use fanio_core::db::{Array, Cell, IntWidth};
use napi::sys;

use super::js::{Js, Raw};

/// How 8-byte integers are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ints {
    /// Postgres: int8 is always a bigint (a column has one JS type).
    Big,
    /// SQLite: every INTEGER is 8 bytes; a number while it is exact (|v| < 2^53),
    /// a bigint beyond, as SQLite users expect.
    Safe,
}

/// The largest integer a JS number holds exactly.
const MAX_SAFE: i64 = (1 << 53) - 1;

impl Ints {
    /// Whether an 8-byte integer shows as a number (else a bigint).
    pub fn is_number(self, v: i64) -> bool {
        self == Ints::Safe && (-MAX_SAFE..=MAX_SAFE).contains(&v)
    }
}

/// A timestamp as a Date's milliseconds: microseconds are floored away (a Date holds
/// no finer), and Postgres's infinities are ±Infinity (a Date cannot be infinite: JS
/// gets the strings Postgres writes).
pub fn millis(us: i64) -> f64 {
    match us {
        i64::MAX => f64::INFINITY,
        i64::MIN => f64::NEG_INFINITY,
        us => us.div_euclid(1000) as f64,
    }
}

/// The JS functions the database module handed over once (`dbInit`): they build rows
/// and wrap handles in the public classes.
pub struct Builders {
    /// `(names) => build(words, bytes, values, count, asArrays, single)`: makes the
    /// builder of a shape (rows.js).
    pub shape: sys::napi_ref,
    pub database: sys::napi_ref,
    pub transaction: sys::napi_ref,
    pub parse_json: sys::napi_ref,
    pub stringify: sys::napi_ref,
}

/// Row builders made for recent column lists, keyed by the core's shared `Arc` of
/// names (one per cached statement), so a batch of lookups reuses one builder. The
/// Arc is held so its address is not reused while the entry lives.
struct Shape {
    names: Arc<[Arc<str>]>,
    build: sys::napi_ref,
}

/// Column lists remembered per JS thread; the oldest is dropped beyond this.
const SHAPES_KEPT: usize = 64;

thread_local! {
    pub static BUILDERS: RefCell<Option<Builders>> = const { RefCell::new(None) };
    static SHAPES: RefCell<Vec<Shape>> = const { RefCell::new(Vec::new()) };
}

pub fn builder(js: Js, pick: impl Fn(&Builders) -> sys::napi_ref) -> napi::Result<Raw> {
    let r = BUILDERS.with_borrow(|b| b.as_ref().map(&pick));
    match r {
        Some(r) => js.deref(r),
        None => Err(napi::Error::from_reason(
            "fanio: the database module is not initialised",
        )),
    }
}

/// The builder function for the columns `names`.
pub fn shape_builder(js: Js, names: &Arc<[Arc<str>]>) -> napi::Result<Raw> {
    let found = SHAPES.with_borrow(|shapes| {
        shapes
            .iter()
            .find(|s| Arc::ptr_eq(&s.names, names))
            .map(|s| s.build)
    });
    if let Some(r) = found {
        return js.deref(r);
    }
    let list = js.array(names.len())?;
    for (i, name) in names.iter().enumerate() {
        js.set_element(list, i as u32, js.string(name)?)?;
    }
    let build = js.call(builder(js, |b| b.shape)?, &[list])?;
    let r = js.reference(build)?;
    SHAPES.with_borrow_mut(|shapes| {
        if shapes.len() >= SHAPES_KEPT {
            js.unref(shapes.remove(0).build);
        }
        shapes.push(Shape {
            names: names.clone(),
            build: r,
        });
    });
    Ok(build)
}

pub fn cell_to_js(js: Js, cell: &Cell, ints: Ints) -> napi::Result<Raw> {
    match cell {
        Cell::Null => js.null(),
        Cell::Bool(b) => js.boolean(*b),
        Cell::Int(v, IntWidth::Wide) if !ints.is_number(*v) => js.bigint(*v),
        Cell::Int(v, _) => js.number(*v as f64),
        Cell::Float(v) => js.number(*v),
        Cell::Bytes(b) => js.buffer(b),
        Cell::Json(v) => {
            // One JSON.parse of the document: V8 builds the objects natively, and keys
            // such as `__proto__` become own properties, as JSON.parse makes them.
            let text = js.string(&v.to_string())?;
            js.call(builder(js, |b| b.parse_json)?, &[text])
        }
        Cell::Timestamp(us) | Cell::TimestampTz(us) => match millis(*us) {
            ms if ms.is_finite() => js.date(ms),
            ms if ms > 0.0 => js.string("infinity"),
            _ => js.string("-infinity"),
        },
        Cell::Interval {
            months,
            days,
            microseconds,
        } => {
            let o = js.object()?;
            js.set_property(o, js.string("months")?, js.int32(*months)?)?;
            js.set_property(o, js.string("days")?, js.int32(*days)?)?;
            js.set_property(
                o,
                js.string("microseconds")?,
                js.number(*microseconds as f64)?,
            )?;
            Ok(o)
        }
        Cell::Array(a) => array(js, a, ints),
        Cell::Numeric(s) | Cell::Text(s) => js.string(s),
        Cell::Uuid(_) | Cell::Date(_) | Cell::Time(_) | Cell::Inet { .. } => {
            let mut text = String::new();
            super::text::write(&mut text, cell);
            js.string(&text)
        }
    }
}

/// A Postgres array as nested JS arrays, one level per dimension (lower bounds are
/// dropped: JS arrays start at 0).
fn array(js: Js, a: &Array, ints: Ints) -> napi::Result<Raw> {
    let lens: Vec<usize> = a
        .dims
        .iter()
        .map(|(len, _)| (*len).max(0) as usize)
        .collect();
    let mut elems = a.elems.iter();
    nest(js, &lens, &mut elems, ints)
}

fn nest<'a>(
    js: Js,
    lens: &[usize],
    elems: &mut impl Iterator<Item = &'a Cell>,
    ints: Ints,
) -> napi::Result<Raw> {
    let Some((&len, inner)) = lens.split_first() else {
        return js.array(0);
    };
    let out = js.array(len)?;
    for i in 0..len {
        let v = if inner.is_empty() {
            match elems.next() {
                Some(cell) => cell_to_js(js, cell, ints)?,
                None => js.null()?,
            }
        } else {
            nest(js, inner, elems, ints)?
        };
        js.set_element(out, i as u32, v)?;
    }
    Ok(out)
}
