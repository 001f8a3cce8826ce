//! The rows of a `copy_records` call. A binding hands them over converted, or as a
//! converter the core runs chunk by chunk on a blocking thread while the COPY streams,
//! so turning host values into cells overlaps the server's work instead of preceding
//! it (Python: 100,000 rows took 10-19 ms to convert, a tenth of the whole load).

use tokio::sync::mpsc;

use super::cell::Cell;
use crate::error::{Error, Result};

/// Rows of cells.
pub type Chunk = Vec<Vec<Cell>>;

/// Converts the next rows, at most the number given; an empty chunk means no more.
pub type Convert = Box<dyn FnMut(usize) -> Result<Chunk> + Send>;

pub enum Records {
    Ready(Chunk),
    Converted(Convert),
}

impl From<Chunk> for Records {
    fn from(rows: Chunk) -> Records {
        Records::Ready(rows)
    }
}

/// Rows per converted chunk: enough that a chunk costs nothing to hand over, few
/// enough that the first reaches the server early.
const CHUNK_ROWS: usize = 4096;
/// Chunks converted ahead of the COPY: memory stays flat for any number of rows.
const AHEAD: usize = 2;

/// The rows as they come, every row checked for its width.
pub(crate) struct Stream {
    ready: Option<Chunk>,
    converted: Option<mpsc::Receiver<Result<Chunk>>>,
    width: usize,
    /// Rows handed out so far: the index of the next one.
    row: usize,
}

impl Records {
    /// Starts reading; a converter starts on a blocking thread of the runtime, and
    /// stops when the stream is dropped (a cancelled or failed COPY).
    pub(crate) fn stream(self, width: usize) -> Stream {
        let (ready, converted) = match self {
            Records::Ready(rows) => (Some(rows), None),
            Records::Converted(mut convert) => {
                let (tx, rx) = mpsc::channel(AHEAD);
                crate::runtime::handle().spawn_blocking(move || {
                    loop {
                        let chunk = convert(CHUNK_ROWS);
                        let last = chunk.as_ref().map_or(true, Vec::is_empty);
                        if tx.blocking_send(chunk).is_err() || last {
                            return;
                        }
                    }
                });
                (None, Some(rx))
            }
        };
        Stream {
            ready,
            converted,
            width,
            row: 0,
        }
    }
}

impl Stream {
    /// The next rows; None when there are no more.
    pub(crate) async fn next(&mut self) -> Result<Option<Chunk>> {
        let chunk = match (&mut self.converted, self.ready.take()) {
            (_, Some(rows)) => rows,
            (Some(rx), None) => rx
                .recv()
                .await
                .unwrap_or_else(|| Err(Error::invalid("copy_records: the rows stopped")))?,
            (None, None) => return Ok(None),
        };
        if chunk.is_empty() {
            self.converted = None;
            return Ok(None);
        }
        if let Some((i, row)) = chunk
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != self.width)
        {
            let r = self.row + i;
            return Err(Error::invalid(format!(
                "copy_records: row {r} has {} values for {} columns",
                row.len(),
                self.width
            ))
            .with("row", r as i64));
        }
        self.row += chunk.len();
        Ok(Some(chunk))
    }

    /// Every remaining row, for backends that take them all at once.
    pub(crate) async fn collect(mut self) -> Result<Chunk> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next().await? {
            if all.is_empty() {
                all = chunk;
            } else {
                all.extend(chunk);
            }
        }
        Ok(all)
    }
}
