//! D1's answers, converted into a [`QueryResult`] cell by cell.
//!
//! Two shapes arrive from D1's JS API:
//!
//! * **Arrays** — `stmt.raw({columnNames: true})`: the column names once (the first
//!   array), then each row as an array of values in column order. Each cell is read by
//!   index and turned straight into a [`Value`]: no JS object per row, no key strings per
//!   row, and the names even when there are no rows.
//! * **Objects** — a `D1Result` (`all()`, and every statement of `batch()`): `results`
//!   holds one object per row, built by D1's JS API. The names are read once per result,
//!   from the first row's keys, and each row's cells are read by those (shared) keys.
//!   `meta.changes` and `meta.last_row_id` are read from the same result.
//!
//! Values map as `serde-wasm-bindgen` maps them (what `D1Result::results` did before):
//! `null`/`undefined` → `null`, a safe integer → integer, any other number → float,
//! a string → string, a boolean → boolean, and anything else (a blob arrives as an array
//! of byte numbers) through `serde-wasm-bindgen`.

use std::sync::Arc;

use js_sys::{Array, Object, Reflect};
use serde_json::{Number, Value};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;

/// `Number.MAX_SAFE_INTEGER`, as a float.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// One cell of a row.
pub(super) fn cell(value: JsValue) -> Value {
    if let Some(n) = value.as_f64() {
        return number(n);
    }
    if let Some(s) = value.as_string() {
        return Value::String(s);
    }
    if value.is_null() || value.is_undefined() {
        return Value::Null;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    // Blobs (arrays of byte numbers), and whatever else D1 may send one day.
    serde_wasm_bindgen::from_value(value).unwrap_or(Value::Null)
}

/// A JS number as `serde-wasm-bindgen` reads it: a safe integer (`Number.isSafeInteger`)
/// is an integer, anything else a float (`NaN` and infinities are `null`).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
        Value::from(n as i64)
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn malformed(what: &str, sql: &str) -> OrmError {
    OrmError::database(format!("D1 answered with {what}"), sql)
}

/// `raw({columnNames: true})`'s answer: `[names, row, row, ...]`.
pub(super) fn from_arrays(answer: JsValue, sql: &str) -> Result<QueryResult> {
    let arrays: Array = answer
        .dyn_into()
        .map_err(|_| malformed("something other than an array of rows", sql))?;
    let count = arrays.length();
    if count == 0 {
        return Ok(QueryResult::default());
    }
    let names: Array = arrays.get(0).unchecked_into();
    let columns: Arc<[String]> = names
        .iter()
        .map(|name| name.as_string().unwrap_or_default())
        .collect();
    let width = columns.len() as u32;
    let mut result = QueryResult::with_columns(columns, count as usize - 1);
    for i in 1..count {
        let row: Array = arrays.get(i).unchecked_into();
        for j in 0..width {
            result.push_value(cell(row.get(j)));
        }
        result.end_row();
    }
    Ok(result)
}

/// A `D1Result` object: its rows (objects) and its meta.
pub(super) fn from_result(result: &JsValue, sql: &str) -> Result<QueryResult> {
    if let Some(error) = get(result, "error").as_string() {
        return Err(OrmError::database(error, sql));
    }
    let mut rows = match get(result, "results").dyn_into::<Array>() {
        Ok(objects) => from_objects(&objects),
        Err(_) => QueryResult::default(),
    };
    let meta = get(result, "meta");
    if meta.is_object() {
        rows.changes = get(&meta, "changes").as_f64().unwrap_or(0.0) as u64;
        rows.last_row_id = get(&meta, "last_row_id").as_f64().unwrap_or(0.0) as i64;
    }
    Ok(rows)
}

/// Rows as objects: the names from the first row's keys, then each row's cells by them.
fn from_objects(objects: &Array) -> QueryResult {
    let count = objects.length();
    if count == 0 {
        return QueryResult::default();
    }
    let keys = Object::keys(&objects.get(0).unchecked_into::<Object>());
    let columns: Arc<[String]> = keys
        .iter()
        .map(|key| key.as_string().unwrap_or_default())
        .collect();
    let keys: Vec<JsValue> = keys.iter().collect();
    let mut result = QueryResult::with_columns(columns, count as usize);
    for i in 0..count {
        let row = objects.get(i);
        for key in &keys {
            result.push_value(cell(Reflect::get(&row, key).unwrap_or(JsValue::UNDEFINED)));
        }
        result.end_row();
    }
    result
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
