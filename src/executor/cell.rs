//! One column value of a row as the engine holds it while the row is stepped
//! ([`Cell`]), and a stepped row's cells ([`Cells`]): what a synchronous executor hands
//! a [`RowSink`](super::RowSink) so that a sink building the caller's structs can read
//! integers and text straight from the engine, with no `serde_json::Value` in between.
//! This module converts values only; it knows no SQL and no model.

use serde_json::Value;

use crate::error::Result;

/// A column value borrowed from the engine for the current row (SQLite's five
/// storage classes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// Text as stored: UTF-8 unless the database holds invalid bytes.
    Text(&'a [u8]),
    /// A blob.
    Blob(&'a [u8]),
}

impl Cell<'_> {
    /// The value an attribute map holds for this cell: text as a string (invalid UTF-8
    /// replaced), a blob as an array of byte numbers, a non-finite real (which SQLite
    /// never stores) as null.
    pub fn to_json(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Integer(i) => Value::from(i),
            Cell::Real(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Cell::Text(t) => Value::String(match std::str::from_utf8(t) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(t).into_owned(),
            }),
            Cell::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
        }
    }
}

/// The cells of the row being stepped.
pub trait Cells {
    /// How many columns the row has.
    fn len(&self) -> usize;
    /// Whether the row has no columns.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The first `out.len()` cells (at most [`len`](Cells::len)) into `out`, in
    /// column order: one call per row, so a sink reads a plain slice.
    fn fill<'s>(&'s self, out: &mut [Cell<'s>]) -> Result<()>;
}

/// Cells a sink reads without allocating: rows of up to this many columns.
#[cfg(feature = "sqlite")]
pub(crate) const INLINE_CELLS: usize = 32;

/// Run `f` on the row's cells as a slice (on the stack for up to [`INLINE_CELLS`]
/// columns, in the smallest of three buffer sizes that holds them: every slot is
/// initialised per row, so a narrow row never pays for a wide buffer).
#[cfg(feature = "sqlite")]
pub(crate) fn with_cells<R>(cells: &dyn Cells, f: impl FnOnce(&[Cell<'_>]) -> R) -> Result<R> {
    match cells.len() {
        0..=8 => on_stack::<8, R>(cells, f),
        9..=16 => on_stack::<16, R>(cells, f),
        17..=INLINE_CELLS => on_stack::<INLINE_CELLS, R>(cells, f),
        len => {
            let mut heap = vec![Cell::Null; len];
            cells.fill(&mut heap)?;
            Ok(f(&heap))
        }
    }
}

/// [`with_cells`] with a buffer of `N` cells on the stack (`cells.len() <= N`).
#[cfg(feature = "sqlite")]
fn on_stack<const N: usize, R>(cells: &dyn Cells, f: impl FnOnce(&[Cell<'_>]) -> R) -> Result<R> {
    let len = cells.len();
    let mut inline = [Cell::Null; N];
    cells.fill(&mut inline[..len])?;
    Ok(f(&inline[..len]))
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    /// A row of `n` integer cells numbered from 0.
    struct Numbered(usize);

    impl Cells for Numbered {
        fn len(&self) -> usize {
            self.0
        }
        fn fill<'s>(&'s self, out: &mut [Cell<'s>]) -> Result<()> {
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = Cell::Integer(i as i64);
            }
            Ok(())
        }
    }

    #[test]
    fn every_width_reads_exactly_its_cells() {
        // Each side of each buffer size, and the heap.
        for width in [0, 1, 7, 8, 9, 16, 17, 31, 32, 33, 40, 200] {
            let seen = with_cells(&Numbered(width), |cells| {
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::Integer(i) => *i,
                        other => panic!("width {width}: unexpected {other:?}"),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap();
            assert_eq!(seen, (0..width as i64).collect::<Vec<_>>(), "width {width}");
        }
    }
}
