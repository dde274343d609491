//! Values that cross the executor boundary.
//!
//! Attributes are `serde_json::Value`s (what a handler returns as JSON); bound parameters
//! are [`SqlValue`]s, SQLite's five storage classes. This module owns the mapping both
//! ways and nothing else:
//!
//! | JSON → bound            | SQLite / D1 → JSON                                  |
//! |-------------------------|-----------------------------------------------------|
//! | `null` → NULL           | NULL → `null`                                       |
//! | `true`/`false` → 1 / 0  | INTEGER → integer (`i64`)                           |
//! | integer → INTEGER       | REAL → number (`f64`; NaN/±inf → `null`)            |
//! | float → REAL            | TEXT → string                                       |
//! | string → TEXT           | BLOB → array of byte numbers, as D1's JS API does   |
//! | array/object → TEXT (JSON text) — or BLOB for a column cast as [`Cast::Blob`](crate::model::Cast::Blob) |
//!
//! An integer outside SQLite's 64-bit range (a `u64` above `i64::MAX`) is
//! [`OrmError::ValueOutOfRange`], never silently stored as a REAL.
//!
//! Blobs are arrays of numbers because that is what D1 returns for a BLOB column, so the
//! same handler code sees the same JSON on both engines.

use serde_json::Value;

use crate::error::{OrmError, Result};

/// One bound parameter: a SQLite storage class.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer (D1 keeps 2^53 exactly; see the README).
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
}

impl SqlValue {
    /// The bound form of a JSON value (no column cast known). An integer outside
    /// SQLite's range is [`OrmError::ValueOutOfRange`] (SQLite would store it as a
    /// REAL, silently changing it).
    ///
    /// ```
    /// use roost_orm::SqlValue;
    /// use serde_json::json;
    /// assert_eq!(SqlValue::from_json(&json!(true)).unwrap(), SqlValue::Integer(1));
    /// assert!(SqlValue::from_json(&json!(u64::MAX)).is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<SqlValue> {
        Ok(match value {
            Value::Null => SqlValue::Null,
            Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
            Value::Number(n) => match (n.as_i64(), n.is_f64()) {
                (Some(i), _) => SqlValue::Integer(i),
                (None, true) => match n.as_f64() {
                    Some(f) => SqlValue::Real(f),
                    None => return Err(out_of_range(value)),
                },
                // An integer above i64::MAX.
                (None, false) => return Err(out_of_range(value)),
            },
            Value::String(s) => SqlValue::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => SqlValue::Text(value.to_string()),
        })
    }

    /// The JSON form of a stored value.
    pub fn into_json(self) -> Value {
        match self {
            SqlValue::Null => Value::Null,
            SqlValue::Integer(i) => Value::from(i),
            SqlValue::Real(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            SqlValue::Text(s) => Value::String(s),
            SqlValue::Blob(b) => Value::Array(b.into_iter().map(Value::from).collect()),
        }
    }
}

fn out_of_range(value: &Value) -> OrmError {
    OrmError::ValueOutOfRange {
        column: None,
        value: value.to_string(),
    }
}

impl TryFrom<&Value> for SqlValue {
    type Error = OrmError;

    fn try_from(value: &Value) -> Result<Self> {
        SqlValue::from_json(value)
    }
}

impl TryFrom<Value> for SqlValue {
    type Error = OrmError;

    fn try_from(value: Value) -> Result<Self> {
        match value {
            Value::String(s) => Ok(SqlValue::Text(s)),
            other => SqlValue::from_json(&other),
        }
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Integer(v)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl From<f64> for SqlValue {
    fn from(v: f64) -> Self {
        SqlValue::Real(v)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(v: Vec<u8>) -> Self {
        SqlValue::Blob(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_maps_to_storage_classes() {
        let bound = |v: Value| SqlValue::from_json(&v).unwrap();
        assert_eq!(bound(json!(null)), SqlValue::Null);
        assert_eq!(bound(json!(true)), SqlValue::Integer(1));
        assert_eq!(bound(json!(7)), SqlValue::Integer(7));
        assert_eq!(bound(json!(i64::MIN)), SqlValue::Integer(i64::MIN));
        assert_eq!(bound(json!(1.5)), SqlValue::Real(1.5));
        assert_eq!(bound(json!("x")), SqlValue::Text("x".into()));
        assert_eq!(
            bound(json!({"a": [1]})),
            SqlValue::Text("{\"a\":[1]}".into())
        );
    }

    #[test]
    fn integers_outside_sqlite_range_are_errors() {
        for big in [json!(u64::MAX), json!(i64::MAX as u64 + 1)] {
            assert_eq!(
                SqlValue::from_json(&big),
                Err(OrmError::ValueOutOfRange {
                    column: None,
                    value: big.to_string()
                })
            );
        }
        // A float is a float: stored as REAL, as asked.
        assert_eq!(
            SqlValue::from_json(&json!(1e300)).unwrap(),
            SqlValue::Real(1e300)
        );
    }

    #[test]
    fn stored_values_map_back_to_json() {
        assert_eq!(SqlValue::Blob(vec![1, 255]).into_json(), json!([1, 255]));
        assert_eq!(SqlValue::Real(f64::NAN).into_json(), json!(null));
        assert_eq!(SqlValue::Integer(i64::MAX).into_json(), json!(i64::MAX));
    }
}
