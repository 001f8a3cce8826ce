//! Database cells become JS values here, by the one table both docs state (index.d.ts):
//! int8 -> bigint, numeric -> exact string, timestamps -> Date, date -> 'YYYY-MM-DD',
//! and so on. Rows are handed to a JS builder as one flat array, because V8 makes
//! objects from a literal far faster than Node-API can set their properties one by one.

use std::cell::RefCell;
use std::fmt::Write;
use std::sync::Arc;

use fanio_core::db::{Array, Cell, IntWidth, Rows};
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

/// The JS functions the database module handed over once (`dbInit`): they build rows
/// and wrap handles in the public classes.
pub struct Builders {
    /// `(names) => build(flat, count, asArrays, single)`: makes the builder of a shape.
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
fn shape_builder(js: Js, names: &Arc<[Arc<str>]>) -> napi::Result<Raw> {
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

/// A result as JS rows: objects by column name, or arrays; `single` gives the first
/// row alone (fetchOne, fetchOptional).
pub fn rows(js: Js, rows: &Rows, ints: Ints, as_arrays: bool, single: bool) -> napi::Result<Raw> {
    let width = rows.columns.len();
    let flat = js.array(width * rows.rows.len())?;
    let mut i = 0;
    for row in &rows.rows {
        for cell in row {
            js.set_element(flat, i, cell_to_js(js, cell, ints)?)?;
            i += 1;
        }
    }
    let build = shape_builder(js, &rows.columns)?;
    let args = [
        flat,
        js.number(rows.rows.len() as f64)?,
        js.boolean(as_arrays)?,
        js.boolean(single)?,
    ];
    js.call(build, &args)
}

pub fn cell_to_js(js: Js, cell: &Cell, ints: Ints) -> napi::Result<Raw> {
    match cell {
        Cell::Null => js.null(),
        Cell::Bool(b) => js.boolean(*b),
        Cell::Int(v, IntWidth::Narrow) => js.number(*v as f64),
        Cell::Int(v, IntWidth::Wide) => match ints {
            Ints::Safe if (-MAX_SAFE..=MAX_SAFE).contains(v) => js.number(*v as f64),
            _ => js.bigint(*v),
        },
        Cell::Float(v) => js.number(*v),
        Cell::Numeric(s) | Cell::Text(s) => js.string(s),
        Cell::Bytes(b) => js.buffer(b),
        Cell::Uuid(u) => js.string(&uuid(u)),
        Cell::Json(v) => {
            // One JSON.parse of the document: V8 builds the objects natively, and keys
            // such as `__proto__` become own properties, as JSON.parse makes them.
            let text = js.string(&v.to_string())?;
            js.call(builder(js, |b| b.parse_json)?, &[text])
        }
        Cell::Date(days) => js.string(&date(*days)),
        Cell::Time(us) => js.string(&time(*us)),
        Cell::Timestamp(us) | Cell::TimestampTz(us) => match *us {
            // A Date cannot be infinite: the infinities read as Postgres writes them.
            i64::MAX => js.string("infinity"),
            i64::MIN => js.string("-infinity"),
            // Date holds milliseconds: microseconds are floored away.
            us => js.date(us.div_euclid(1000) as f64),
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
        Cell::Inet { addr, prefix, cidr } => {
            let full = if addr.is_ipv4() { 32 } else { 128 };
            // As Postgres prints them: an inet of a single host has no suffix.
            if !cidr && *prefix == full {
                js.string(&addr.to_string())
            } else {
                js.string(&format!("{addr}/{prefix}"))
            }
        }
        Cell::Array(a) => array(js, a, ints),
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

fn uuid(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Days since 1970-01-01 as Postgres prints a date (ISO, `BC` before year 1).
pub fn date(days: i32) -> String {
    match days {
        i32::MAX => return "infinity".into(),
        i32::MIN => return "-infinity".into(),
        _ => {}
    }
    let (y, m, d) = civil(days as i64);
    if y >= 1 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{:04}-{m:02}-{d:02} BC", 1 - y)
    }
}

/// The proleptic Gregorian (year, month, day) of a day count from 1970-01-01
/// (H. Hinnant's days-to-civil algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Microseconds since midnight as Postgres prints a time: `HH:MM:SS[.ffffff]`, the
/// fraction without trailing zeros.
pub fn time(us: i64) -> String {
    let (secs, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac > 0 {
        let digits = format!("{frac:06}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{date, time, uuid};

    #[test]
    fn dates_and_times_print_as_postgres_does() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(19_782), "2024-02-29");
        assert_eq!(date(-719_162), "0001-01-01");
        assert_eq!(date(-719_163), "0001-12-31 BC");
        assert_eq!(date(i32::MAX), "infinity");
        assert_eq!(date(i32::MIN), "-infinity");
        assert_eq!(time(0), "00:00:00");
        assert_eq!(time(45_296_500_000), "12:34:56.5");
        assert_eq!(time(86_400_000_000), "24:00:00");
        assert_eq!(time(1), "00:00:00.000001");
        assert_eq!(
            uuid(&[
                0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7
            ]),
            "12345678-9abc-def0-0001-020304050607"
        );
    }
}
