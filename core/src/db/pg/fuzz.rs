//! Bodies of the fuzz targets on Postgres values and statements (`fuzz/`), run on every
//! corpus input by `core/tests/fuzz_corpus.rs` too. Each panics on a broken property;
//! any input may be refused with an error.

use bytes::BytesMut;
use tokio_postgres::types::{IsNull, Type};

use super::rewrite::Insert;
use super::{decode, encode};
use crate::db::cell::{Cell, civil};

/// Every type the decoder knows, and arrays of a few (the first input byte picks one).
const TYPES: [Type; 38] = [
    Type::BOOL,
    Type::INT2,
    Type::INT4,
    Type::INT8,
    Type::OID,
    Type::FLOAT4,
    Type::FLOAT8,
    Type::NUMERIC,
    Type::TEXT,
    Type::VARCHAR,
    Type::BPCHAR,
    Type::NAME,
    Type::CHAR,
    Type::BYTEA,
    Type::UUID,
    Type::JSON,
    Type::JSONB,
    Type::DATE,
    Type::TIME,
    Type::TIMESTAMP,
    Type::TIMESTAMPTZ,
    Type::INTERVAL,
    Type::INET,
    Type::CIDR,
    Type::BOOL_ARRAY,
    Type::INT2_ARRAY,
    Type::INT4_ARRAY,
    Type::INT8_ARRAY,
    Type::FLOAT8_ARRAY,
    Type::NUMERIC_ARRAY,
    Type::TEXT_ARRAY,
    Type::BYTEA_ARRAY,
    Type::UUID_ARRAY,
    Type::JSONB_ARRAY,
    Type::DATE_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::INTERVAL_ARRAY,
    Type::INET_ARRAY,
];

/// A binary value from the server: decoding never panics, whatever the bytes; a value
/// it takes is taken back by the encoder as the same value (a parameter round trip),
/// and the bindings' date arithmetic holds for its dates and timestamps.
pub(crate) fn value(data: &[u8]) {
    let Some((&pick, raw)) = data.split_first() else {
        return;
    };
    let ty = &TYPES[pick as usize % TYPES.len()];
    let Ok(cell) = decode::value(ty, raw) else {
        return;
    };
    dates(&cell);
    let mut out = BytesMut::new();
    match encode::encode(&cell, ty, &mut out) {
        Ok(IsNull::No) => {}
        Ok(IsNull::Yes) => panic!("{cell:?} of type {ty} encoded as NULL"),
        // Some values the server never sends (a time past 24:00) are refused as
        // parameters: refusing is fine, changing them is not.
        Err(_) => return,
    }
    let again = decode::value(ty, &out)
        .unwrap_or_else(|e| panic!("{cell:?} of type {ty} encoded to what does not decode: {e}"));
    // Debug text compares NaN equal to itself, as a round trip should.
    assert_eq!(
        format!("{again:?}"),
        format!("{cell:?}"),
        "type {ty}: encoded and decoded again"
    );
}

fn dates(cell: &Cell) {
    let days = match *cell {
        Cell::Date(d) if d != i32::MAX && d != i32::MIN => i64::from(d),
        Cell::Timestamp(us) | Cell::TimestampTz(us) if us != i64::MAX && us != i64::MIN => {
            us.div_euclid(86_400_000_000)
        }
        Cell::Array(ref a) => return a.elems.iter().for_each(dates),
        _ => return,
    };
    let (_, m, d) = civil(days);
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "{days} days"
    );
}

/// A statement for `execute_many`: the rewriter takes only a plain INSERT of one tuple,
/// and what it makes of it is that tuple repeated with every placeholder renumbered;
/// its one-row statement is taken again and makes the same rows; chunks of rows add up and keep within the
/// parameter limit.
pub(crate) fn insert(data: &[u8]) {
    let Some((&[params, rows, total_lo, total_hi], sql)) = data.split_first_chunk::<4>() else {
        return;
    };
    let Ok(sql) = std::str::from_utf8(sql) else {
        return;
    };
    let params = usize::from(params % 64) + 1;
    let Some(insert) = Insert::parse(sql, params) else {
        return;
    };
    let rows = usize::from(rows % 8) + 1;
    let many = insert.sql(rows);
    let one = insert.sql(1);
    let from_one = Insert::parse(&one, params)
        .unwrap_or_else(|| panic!("{sql:?} made {one:?}, which it would not take"));
    assert_eq!(from_one.sql(rows), many, "{sql:?}");
    // The rows' placeholders run up to rows x params. A `$` inside a name (`t$1`, a
    // quoted name) is no placeholder.
    let tuples = &many[insert.sql(0).len()..];
    if !tuples.contains('"') {
        let b = tuples.as_bytes();
        let in_name = |i: usize| {
            i > 0
                && (b[i - 1].is_ascii_alphanumeric()
                    || matches!(b[i - 1], b'_' | b'$')
                    || b[i - 1] >= 0x80)
        };
        let highest = (0..b.len())
            .filter(|&i| b[i] == b'$' && !in_name(i))
            .filter_map(|i| {
                let n: String = tuples[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                n.parse::<usize>().ok()
            })
            .max();
        assert_eq!(highest, Some(rows * params), "{many:?}");
    }

    let total = usize::from(u16::from_le_bytes([total_lo, total_hi]));
    for max_rows in [1, 3, 1024] {
        let chunks = insert.chunks(total, max_rows);
        assert_eq!(chunks.iter().sum::<usize>(), total);
        for &c in &chunks {
            assert!(c.is_power_of_two() && c <= max_rows && c * params <= usize::from(u16::MAX));
        }
    }
}
