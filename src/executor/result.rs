//! [`QueryResult`]: what one statement returned — column names, rows, `changes`,
//! `last_row_id`. Executors build it; the ORM reads it. No SQL here.
//!
//! Rows are stored flat: one `Vec<Value>` for the whole result, row after row, each
//! `columns.len()` values wide. A result of N rows is two allocations (names and
//! values) instead of N + 2, and hydration moves the values out in order. On a
//! 1,000-row fetch the per-row vectors were a thousand allocations freed while the
//! instances were being built, which is exactly the pattern glibc's allocator handles
//! worst.

use std::sync::Arc;

use serde_json::Value;

/// What one statement returned.
///
/// Column names are shared by all rows of the result (one allocation per result, not per
/// row); row `i` is the values `i * width .. (i + 1) * width` of one flat list.
///
/// ```
/// use roost_orm::QueryResult;
/// use serde_json::json;
///
/// let mut result = QueryResult::new(["id", "title"]);
/// result.push_row([json!(1), json!("Hello")]);
/// result.push_row([json!(2)]); // short rows are padded with null
/// assert_eq!(result.len(), 2);
/// assert_eq!(result.row(1), Some(&[json!(2), json!(null)][..]));
/// assert_eq!(result.iter_rows().map(|r| r[0].clone()).collect::<Vec<_>>(), [json!(1), json!(2)]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// Column names, in the order the statement returned them.
    pub columns: Arc<[String]>,
    /// Every row's values, row after row (`columns.len()` per row).
    values: Vec<Value>,
    /// Number of rows (kept apart so a result without columns can still count rows).
    rows: usize,
    /// Rows changed by an INSERT / UPDATE / DELETE (0 for a plain SELECT).
    pub changes: u64,
    /// Rowid of the last inserted row.
    pub last_row_id: i64,
}

impl QueryResult {
    /// An empty result with these columns; add rows with [`push_row`](Self::push_row).
    pub fn new<C>(columns: C) -> Self
    where
        C: IntoIterator,
        C::Item: Into<String>,
    {
        Self::with_columns(columns.into_iter().map(Into::into).collect(), 0)
    }

    /// An empty result with shared column names, with room for `rows` rows.
    pub fn with_columns(columns: Arc<[String]>, rows: usize) -> Self {
        QueryResult {
            values: Vec::with_capacity(columns.len() * rows),
            columns,
            rows: 0,
            changes: 0,
            last_row_id: 0,
        }
    }

    /// A result holding rows (for scripting the mock). Rows shorter than the columns
    /// are padded with `null`, longer ones cut.
    pub fn rows<C, R>(columns: C, rows: R) -> Self
    where
        C: IntoIterator,
        C::Item: Into<String>,
        R: IntoIterator<Item = Vec<Value>>,
    {
        let mut result = Self::new(columns);
        for row in rows {
            result.push_row(row);
        }
        result
    }

    /// A result of a write without rows (for scripting the mock).
    pub fn write(changes: u64, last_row_id: i64) -> Self {
        QueryResult {
            changes,
            last_row_id,
            ..Default::default()
        }
    }

    /// Append a row: one value per column, in column order (padded with `null` / cut to
    /// the width).
    pub fn push_row(&mut self, row: impl IntoIterator<Item = Value>) {
        let width = self.width();
        let start = self.values.len();
        self.values.extend(row.into_iter().take(width));
        self.values.resize(start + width, Value::Null);
        self.rows += 1;
    }

    /// Append one value of the row being built (executors filling a row column by
    /// column); call [`end_row`](Self::end_row) after the last.
    pub fn push_value(&mut self, value: Value) {
        self.values.push(value);
    }

    /// Close the row built by [`push_value`](Self::push_value), padding it to the width.
    pub fn end_row(&mut self) {
        let end = (self.rows + 1) * self.width();
        self.values.resize(end, Value::Null);
        self.rows += 1;
    }

    /// Hand every row to `sink`, in order (the columns first), consuming the result.
    pub fn feed(self, sink: &mut dyn crate::executor::RowSink) {
        let (columns, rows, mut values) = self.into_parts();
        sink.columns(&columns);
        let mut row = Vec::with_capacity(columns.len());
        for _ in 0..rows {
            row.extend(values.by_ref().take(columns.len()));
            sink.row(&mut row);
            row.clear();
        }
    }

    /// Values per row.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Row `i`, if there is one.
    pub fn row(&self, i: usize) -> Option<&[Value]> {
        let width = self.width();
        (i < self.rows).then(|| &self.values[i * width..(i + 1) * width])
    }

    /// The first row, if any.
    pub fn first(&self) -> Option<&[Value]> {
        self.row(0)
    }

    /// The rows, in order.
    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[Value]> + '_ {
        (0..self.rows).map(move |i| {
            let width = self.width();
            &self.values[i * width..(i + 1) * width]
        })
    }

    /// The rows copied into lists (for tests and inspection; `into_rows` moves them).
    pub fn to_rows(&self) -> Vec<Vec<Value>> {
        self.iter_rows().map(<[Value]>::to_vec).collect()
    }

    /// The rows as owned lists (a copy-free split of the flat values).
    pub fn into_rows(self) -> impl ExactSizeIterator<Item = Vec<Value>> {
        let (_, rows, values) = self.into_parts();
        RowsOf { values, rows }
    }

    /// Names, row count and every value in order (`width` per row): what hydration
    /// consumes.
    pub fn into_parts(self) -> (Arc<[String]>, usize, std::vec::IntoIter<Value>) {
        let QueryResult {
            columns,
            values,
            rows,
            ..
        } = self;
        // Every way of building a result keeps `rows * width` values.
        debug_assert_eq!(values.len(), rows * columns.len());
        (columns, rows, values.into_iter())
    }

    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Remove column `index` from the names and every row, returning its values (one
    /// per row), or `None` when there is no such column.
    pub fn remove_column(&mut self, index: usize) -> Option<Vec<Value>> {
        let width = self.width();
        if index >= width {
            return None;
        }
        let mut removed = Vec::with_capacity(self.rows);
        let mut kept = Vec::with_capacity(self.rows * (width - 1));
        for (i, value) in std::mem::take(&mut self.values).into_iter().enumerate() {
            if i % width == index {
                removed.push(value);
            } else {
                kept.push(value);
            }
        }
        self.values = kept;
        let mut columns = self.columns.to_vec();
        columns.remove(index);
        self.columns = columns.into();
        Some(removed)
    }
}

/// [`QueryResult::into_rows`]: `width` values at a time.
struct RowsOf {
    values: std::vec::IntoIter<Value>,
    rows: usize,
}

impl Iterator for RowsOf {
    type Item = Vec<Value>;

    fn next(&mut self) -> Option<Vec<Value>> {
        if self.rows == 0 {
            return None;
        }
        let width = self.values.len() / self.rows;
        self.rows -= 1;
        Some(self.values.by_ref().take(width).collect())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rows, Some(self.rows))
    }
}

impl ExactSizeIterator for RowsOf {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_padded_cut_and_split_back() {
        let result = QueryResult::rows(
            ["a", "b"],
            [vec![json!(1), json!(2), json!(3)], vec![json!(4)], vec![]],
        );
        assert_eq!(result.len(), 3);
        assert_eq!(
            result.into_rows().collect::<Vec<_>>(),
            [
                vec![json!(1), json!(2)],
                vec![json!(4), json!(null)],
                vec![json!(null), json!(null)]
            ]
        );
    }

    #[test]
    fn values_pushed_one_by_one_make_rows() {
        let mut result = QueryResult::new(["a", "b"]);
        result.push_value(json!(1));
        result.push_value(json!(2));
        result.end_row();
        result.push_value(json!(3));
        result.end_row();
        assert_eq!(result.first(), Some(&[json!(1), json!(2)][..]));
        assert_eq!(result.row(1), Some(&[json!(3), json!(null)][..]));
        assert_eq!(result.row(2), None);
    }

    #[test]
    fn a_column_can_be_taken_out() {
        let mut result = QueryResult::rows(
            ["a", "total", "b"],
            [
                vec![json!(1), json!(9), json!(2)],
                vec![json!(3), json!(9), json!(4)],
            ],
        );
        assert_eq!(result.remove_column(1), Some(vec![json!(9), json!(9)]));
        assert_eq!(&*result.columns, ["a", "b"]);
        assert_eq!(result.row(1), Some(&[json!(3), json!(4)][..]));
        assert_eq!(result.remove_column(5), None);
    }

    #[test]
    fn a_result_without_columns_counts_rows() {
        let mut result = QueryResult::new(Vec::<String>::new());
        result.push_row([json!(1)]);
        assert_eq!(result.len(), 1);
        assert_eq!(result.iter_rows().next(), Some(&[][..]));
        assert_eq!(
            result.into_rows().collect::<Vec<_>>(),
            [Vec::<Value>::new()]
        );
    }
}
