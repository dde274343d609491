//! [`Original`]: the values an instance had when it was last read from or written to
//! the database — what dirty tracking compares its attributes against.
//!
//! Kept without copying the row a second time, because every hydrated row pays for it:
//! - the column names are the result's, shared by every instance of it (one `Arc`);
//! - the values are the row the executor returned, kept as it is, except that its text
//!   values are *moved* into the attributes; the originals read that text from one
//!   buffer holding the text of the whole result ([`Texts`], shared by its rows).
//!
//! So hydrating a row allocates nothing for its originals: no second map, no copy of a
//! name, no copy of a string (before, originals were a cloned attribute map, about a
//! third of a 1,000-row fetch). The price: the text of a result stays in memory while
//! any instance hydrated from it is alive, and [`Original::get`], which lends a
//! `&Value`, builds the values on first use (dirty checks compare in place).
//!
//! Column names are unique within an `Original` (a result that repeats a name keeps
//! the originals as its attribute map does: the last value wins), so a lookup by name
//! is unambiguous; the attribute's own position is tried first, since attributes are
//! built in column order.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::model::Attributes;

/// Marks a value that is not text in [`Texts::spans`].
const NOT_TEXT: usize = usize::MAX;

/// The text values of a whole result, back to back, and where each value's text is.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    text: String,
    /// `(start, len)` in `text` for every value of every row, row by row; `NOT_TEXT`
    /// for a value that is not text.
    spans: Vec<(usize, usize)>,
}

impl Texts {
    /// The text of `rows` (casts applied), or `None` when they hold none.
    pub(crate) fn of(rows: &[Vec<Value>]) -> Option<Arc<Texts>> {
        let (mut len, mut count, mut any) = (0, 0, false);
        for value in rows.iter().flatten() {
            count += 1;
            if let Value::String(s) = value {
                len += s.len();
                any = true;
            }
        }
        if !any {
            return None;
        }
        let mut texts = Texts {
            text: String::with_capacity(len),
            spans: Vec::with_capacity(count),
        };
        for value in rows.iter().flatten() {
            match value {
                Value::String(s) => {
                    texts.spans.push((texts.text.len(), s.len()));
                    texts.text.push_str(s);
                }
                _ => texts.spans.push((NOT_TEXT, 0)),
            }
        }
        Some(Arc::new(texts))
    }
}

/// An original value, borrowed.
#[derive(Debug, Clone, Copy)]
enum Orig<'a> {
    Value(&'a Value),
    Text(&'a str),
}

impl Orig<'_> {
    /// Whether this is `value` (the equality of `serde_json::Value`).
    fn is(self, value: &Value) -> bool {
        match self {
            Orig::Value(v) => v == value,
            Orig::Text(t) => matches!(value, Value::String(s) if s == t),
        }
    }

    fn to_value(self) -> Value {
        match self {
            Orig::Value(v) => v.clone(),
            Orig::Text(t) => Value::String(t.to_owned()),
        }
    }
}

/// Originals of one instance: `columns[i]` held the `i`-th value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Original {
    columns: Arc<[String]>,
    /// The values; a text value's slot holds `null` when its text is in `texts`.
    values: Vec<Value>,
    /// The result's text and the index of this row's first span in it.
    texts: Option<(Arc<Texts>, usize)>,
    /// The values with their text, built when a `&Value` is asked for.
    unpacked: OnceLock<Vec<Value>>,
}

impl Original {
    /// Originals of a stored row (column names unique; the caller checks). When
    /// `texts` is given, the row's text values are in it (span `first` onwards) and
    /// their slots in `values` may have been emptied.
    pub(crate) fn from_row(
        columns: Arc<[String]>,
        values: Vec<Value>,
        texts: Option<(Arc<Texts>, usize)>,
    ) -> Self {
        debug_assert_eq!(columns.len(), values.len());
        Original {
            columns,
            values,
            texts,
            unpacked: OnceLock::new(),
        }
    }

    /// Originals equal to an attribute map (its keys are unique).
    pub(crate) fn from_attributes(attributes: &Attributes) -> Self {
        Original {
            columns: attributes.keys().cloned().collect(),
            values: attributes.values().cloned().collect(),
            texts: None,
            unpacked: OnceLock::new(),
        }
    }

    fn at(&self, i: usize) -> Option<Orig<'_>> {
        if let Some((texts, first)) = &self.texts {
            if let Some(&(start, len)) = texts.spans.get(first + i) {
                if start != NOT_TEXT {
                    return texts.text.get(start..start + len).map(Orig::Text);
                }
            }
        }
        self.values.get(i).map(Orig::Value)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == key)
    }

    /// The position of `key`, trying `hint` (the attribute's own position) first.
    fn position_hinted(&self, hint: usize, key: &str) -> Option<usize> {
        match self.columns.get(hint) {
            Some(column) if column == key => Some(hint),
            _ => self.position(key),
        }
    }

    /// The original value of `key`, borrowed.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let i = self.position(key)?;
        if self.texts.is_none() {
            return self.values.get(i);
        }
        let unpacked = self.unpacked.get_or_init(|| {
            (0..self.values.len())
                .map(|i| self.at(i).map_or(Value::Null, Orig::to_value))
                .collect()
        });
        unpacked.get(i)
    }

    /// The original value of `key` as an owned copy (builds only that value).
    pub(crate) fn get_owned(&self, key: &str) -> Option<Value> {
        self.at(self.position(key)?).map(Orig::to_value)
    }

    /// Whether attribute `key`, at position `index` of its map, differs from its
    /// original: its value `value`, or none (a removed attribute).
    pub(crate) fn differs(&self, index: usize, key: &str, value: Option<&Value>) -> bool {
        let original = self.position_hinted(index, key).and_then(|i| self.at(i));
        match (original, value) {
            (Some(original), Some(value)) => !original.is(value),
            (None, None) => false,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> (Arc<[String]>, Vec<Vec<Value>>) {
        let columns: Arc<[String]> = ["id", "title", "meta", "none"]
            .iter()
            .map(|c| c.to_string())
            .collect();
        let rows = vec![
            vec![json!(1), json!("first"), json!({"a": 1}), json!(null)],
            vec![json!(2), json!("héllo"), json!([1]), json!("")],
        ];
        (columns, rows)
    }

    #[test]
    fn text_moved_out_is_still_the_original() {
        let (columns, mut rows) = rows();
        let expected = rows.clone();
        let texts = Texts::of(&rows).unwrap();
        for (r, row) in rows.iter_mut().enumerate() {
            let attributes: Vec<Value> = row
                .iter_mut()
                .map(|v| match v.is_string() {
                    true => std::mem::take(v),
                    false => v.clone(),
                })
                .collect();
            let first = r * columns.len();
            let original =
                Original::from_row(columns.clone(), row.clone(), Some((texts.clone(), first)));
            for (i, column) in columns.iter().enumerate() {
                let want = &expected[r][i];
                assert_eq!(original.get(column), Some(want), "{column}");
                assert_eq!(original.get_owned(column).as_ref(), Some(want));
                assert!(!original.differs(i, column, Some(&attributes[i])));
                assert!(!original.differs(0, column, Some(want)), "by name");
                assert!(original.differs(i, column, Some(&json!("changed"))));
                assert!(original.differs(i, column, None));
            }
            assert_eq!(original.get("missing"), None);
            assert!(original.differs(9, "missing", Some(&json!(1))));
            assert!(!original.differs(9, "missing", None));
        }
    }

    #[test]
    fn rows_without_text_need_no_buffer() {
        assert!(Texts::of(&[vec![json!(1), json!(null)]]).is_none());
        let attributes: Attributes = [("a".to_string(), json!("x"))].into_iter().collect();
        let original = Original::from_attributes(&attributes);
        assert_eq!(original.get("a"), Some(&json!("x")));
        assert!(!original.differs(0, "a", Some(&json!("x"))));
    }
}
