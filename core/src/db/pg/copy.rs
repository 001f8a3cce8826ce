//! COPY ... FROM STDIN (FORMAT binary) written here rather than through the driver's
//! row writer: each cell is encoded straight into the outgoing buffer (no slice of trait
//! objects per row), the connection gets 64 KiB chunks instead of 4 KiB ones, and every
//! row is freed once written, so that cost overlaps the server's work instead of
//! following it (as does converting the rows, when the binding hands over a converter).

use std::pin::Pin;

use bytes::{BufMut, Bytes, BytesMut};
use futures::SinkExt;
use tokio_postgres::types::{IsNull, Type};
use tokio_postgres::{Client, CopyInSink};

use super::encode::encode;
use super::error;
use crate::db::cell::Cell;
use crate::db::shape::Copy;
use crate::error::{Error, Result};

/// The binary COPY signature, then flags and header-extension length (both 0).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Bytes handed to the connection at a time: large enough that handing over costs
/// nothing per row, small enough that the server starts early and memory stays flat.
const CHUNK: usize = 64 * 1024;

/// Loads `copy.rows`, each value converted to its column's type; resolves to the rows
/// the server loaded. A value that does not fit fails with its `row` and column `index`
/// (1-based), and the COPY is aborted (dropping the sink sends CopyFail).
pub(super) async fn copy_in(client: &Client, copy: Copy) -> Result<u64> {
    // The first rows come before any I/O: a value that cannot be converted there fails
    // the call before the server hears of it.
    let mut rows = copy.rows.stream(copy.width);
    let mut chunk = rows.next().await?;
    let probe = client
        .prepare(&format!(
            "SELECT {} FROM {} LIMIT 0",
            copy.columns, copy.table
        ))
        .await
        .map_err(error::query)?;
    let types: Vec<Type> = probe.columns().iter().map(|c| c.type_().clone()).collect();
    let width =
        i16::try_from(types.len()).map_err(|_| Error::invalid("copy_records: too many columns"))?;
    let sink = client
        .copy_in::<_, Bytes>(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            copy.table, copy.columns
        ))
        .await
        .map_err(error::query)?;
    let mut sink = std::pin::pin!(sink);
    let mut buf = BytesMut::with_capacity(CHUNK * 2);
    buf.put_slice(HEADER);
    let mut r = 0;
    while let Some(rows_now) = chunk {
        for row in rows_now {
            buf.put_i16(width);
            for (i, (cell, ty)) in row.iter().zip(&types).enumerate() {
                field(cell, ty, &mut buf).map_err(|reason| {
                    Error::invalid(format!("column {}: {reason}", i + 1))
                        .with("index", i as i64 + 1)
                        .with("row", r as i64)
                })?;
            }
            r += 1;
            if buf.len() >= CHUNK {
                feed(sink.as_mut(), &mut buf).await?;
            }
        }
        // What is encoded goes out before waiting for rows still being converted.
        if !buf.is_empty() {
            feed(sink.as_mut(), &mut buf).await?;
        }
        chunk = rows.next().await?;
    }
    buf.put_i16(-1);
    feed(sink.as_mut(), &mut buf).await?;
    sink.as_mut().finish().await.map_err(error::query)
}

/// Hands what `buf` holds to the connection, leaving `buf` empty.
async fn feed(mut sink: Pin<&mut CopyInSink<Bytes>>, buf: &mut BytesMut) -> Result<()> {
    sink.feed(buf.split().freeze()).await.map_err(error::query)
}

/// One field: its length as i32, then its bytes; NULL is length -1 and no bytes.
fn field(cell: &Cell, ty: &Type, buf: &mut BytesMut) -> std::result::Result<(), String> {
    let at = buf.len();
    buf.put_i32(0);
    match encode(cell, ty, buf)? {
        IsNull::Yes => {
            buf.truncate(at);
            buf.put_i32(-1);
        }
        IsNull::No => {
            let len = i32::try_from(buf.len() - at - 4)
                .map_err(|_| "the value is larger than 2 GiB".to_string())?;
            buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
    }
    Ok(())
}
