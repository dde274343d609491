//! The rows of a factory insert as one JSON parameter: how each bound value is written
//! so that `json_extract` gives back exactly what binding it would store (see
//! [`insert_json_rows`](super::insert_json_rows) for the statement that reads them).

use crate::value::SqlValue;

/// Rows of one column list encoded as the single JSON parameter of
/// [`insert_json_rows`](super::insert_json_rows): `[[v0, v1, ...], [v0, v1, ...],
/// ...]`, one array per row, one element per column (see [`encode_json_row`] for the value forms). Built by
/// appending rows already encoded, so a caller can measure a row before adding it.
///
/// ```
/// use roost_orm::query::compiler::{encode_json_row, JsonRows};
/// use roost_orm::SqlValue;
/// let mut rows = JsonRows::new(2);
/// let mut row = String::new();
/// let values = [SqlValue::Integer(1), SqlValue::Blob(vec![0xff]), SqlValue::Real(0.25)];
/// assert!(encode_json_row(&values, &mut row));
/// rows.push(&row, &values);
/// assert_eq!(rows.text(), r#"[[1,["FF"],2.5e-1]]"#);
/// // A REAL SQLite would not read back exactly: bind that row instead.
/// assert!(!encode_json_row(&[SqlValue::Real(1.715373926431966e178)], &mut row));
/// assert_eq!(rows.byte_len(), rows.text().len());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRows {
    /// `[` and the rows so far, comma-separated; the closing `]` is added by
    /// [`JsonRows::text`] / [`insert_json_rows`](super::insert_json_rows).
    pub(super) text: String,
    rows: usize,
    /// Per column: whether some row holds a BLOB there (that column's expression then
    /// tells BLOBs from other values).
    pub(super) blob_columns: Vec<bool>,
}

impl JsonRows {
    /// No rows yet, for a column list of `columns` columns.
    pub fn new(columns: usize) -> Self {
        JsonRows {
            text: String::from("["),
            rows: 0,
            blob_columns: vec![false; columns],
        }
    }

    /// Append a row: `encoded` is what [`encode_json_row`] wrote for `values`.
    pub fn push(&mut self, encoded: &str, values: &[SqlValue]) {
        if self.rows > 0 {
            self.text.push(',');
        }
        self.text.push_str(encoded);
        self.rows += 1;
        for (blob, value) in self.blob_columns.iter_mut().zip(values) {
            *blob |= matches!(value, SqlValue::Blob(_));
        }
    }

    /// The rows appended so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The size in bytes of the parameter as it stands.
    pub fn byte_len(&self) -> usize {
        self.text.len() + 1
    }

    /// The size in bytes the parameter would have with a row of `encoded_len` bytes
    /// appended.
    pub fn byte_len_with(&self, encoded_len: usize) -> usize {
        self.byte_len() + usize::from(self.rows > 0) + encoded_len
    }

    /// The parameter's text.
    pub fn text(&self) -> String {
        let mut text = self.text.clone();
        text.push(']');
        text
    }
}

/// Write one row as a JSON array into `out` (cleared first), one element per value,
/// and say whether the database reads every value back exactly (`false`: bind this
/// row's values instead).
///
/// NULL → `null`; INTEGER → the integer (SQLite's JSON reader takes all 64 bits back
/// exactly, `i64::MIN` and `i64::MAX` included); TEXT → a JSON string; BLOB → its bytes
/// as hex in a one-element array, `["00FF"]` (JSON has no bytes; the statement reads
/// it back with `unhex`); REAL → its shortest round-trip decimal form, `d.ddde±k`.
/// Booleans arrive already bound as 0 / 1. SQLite's text-to-double conversion is not
/// correctly rounded everywhere (`1.715373926431966e178` comes back one unit in the
/// last place off), so a REAL is only sent as text where it is exact: a significand
/// of at most 2^53 and a decimal exponent within ±22 (Clinger's fast path: one exact
/// IEEE multiplication or division), which holds prices, measurements and most
/// everyday values. Any other REAL (and ±infinity, which JSON can't spell) makes the
/// row `false`; NaN is `null`, as SQLite stores a bound NaN.
pub fn encode_json_row(values: &[SqlValue], out: &mut String) -> bool {
    use std::fmt::Write;
    out.clear();
    out.push('[');
    let mut exact = true;
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match value {
            SqlValue::Null => out.push_str("null"),
            SqlValue::Integer(n) => {
                let _ = write!(out, "{n}");
            }
            SqlValue::Real(f) if f.is_nan() => out.push_str("null"),
            SqlValue::Real(f) => {
                let start = out.len();
                // `{:e}` is the shortest round-trip form, in scientific notation (an
                // exponent makes JSON read a REAL, even for `3e0`).
                let _ = write!(out, "{f:e}");
                exact &= f.is_finite() && reads_back_exactly(&out[start..]);
            }
            SqlValue::Text(s) => push_json_string(out, s),
            SqlValue::Blob(bytes) => {
                out.push_str("[\"");
                for b in bytes {
                    let _ = write!(out, "{b:02X}");
                }
                out.push_str("\"]");
            }
        }
    }
    out.push(']');
    exact
}

/// Append `text` as a JSON string: `"` and `\\` escaped, control characters as
/// `\\u00XX`, everything else (all of Unicode) as is. Written in place rather than
/// through `serde_json`, which would copy every string into a `Value` first.
fn push_json_string(out: &mut String, text: &str) {
    use std::fmt::Write;
    out.reserve(text.len() + 2);
    out.push('"');
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            out.push_str(&text[plain..i]);
            match b {
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                _ => {
                    let _ = write!(out, "\\u{b:04x}");
                }
            }
            plain = i + 1;
        }
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

/// Whether a REAL written as `[-]d[.ddd]e[-]k` (Rust's shortest `{:e}` form) is in
/// Clinger's fast path: significand digits as an integer ≤ 2^53, decimal exponent
/// (after moving the point behind the last digit) within ±22.
fn reads_back_exactly(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.trim_start_matches('-').split_once('e') else {
        return false;
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let (Ok(exponent), Ok(digits)) = (
        exponent.parse::<i64>(),
        format!("{whole}{fraction}").parse::<u64>(),
    ) else {
        return false;
    };
    let exponent = exponent - fraction.len() as i64;
    digits <= 1 << 53 && (-22..=22).contains(&exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_json() {
        for text in [
            "",
            "plain",
            "é😀",
            "\"q\" \\ back",
            "nl\n tab\t nul\0 bell\u{7}",
            "\u{1f}x\u{7f}",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text, "{out}");
            if !text.bytes().any(|b| b < 0x20) {
                assert_eq!(out, serde_json::Value::from(text).to_string());
            }
        }
    }

    #[test]
    fn reals_in_the_fast_path_are_sent_as_text() {
        let exact = |f: f64| encode_json_row(&[SqlValue::Real(f)], &mut String::new());
        for f in [
            0.0,
            -0.0,
            0.1,
            19.99,
            1e22,
            1e-22,
            9007199254740992.0,
            1.0 / 3.0,
        ] {
            assert!(exact(f), "{f:e}");
        }
        for f in [
            1e23,
            1e-23,
            9007199254740993e10,
            1e-300,
            f64::MAX,
            f64::INFINITY,
        ] {
            assert!(!exact(f), "{f:e}");
        }
        let mut out = String::new();
        assert!(encode_json_row(&[SqlValue::Real(f64::NAN)], &mut out));
        assert_eq!(out, "[null]");
    }
}
