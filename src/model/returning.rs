//! Matching the rows of a multi-row `INSERT ... RETURNING *` to the instances they
//! came from.
//!
//! What this relies on: SQLite (and so D1) inserts the rows of one statement in order
//! (a `VALUES` list, or the factory's JSON array read in index order), and emits
//! the `RETURNING` rows in that order too. SQLite's documentation calls
//! the order of `RETURNING` rows unspecified, so the order is checked rather than
//! trusted: each row that supplied its primary key must get that key back, and keys the
//! database assigned (integer rowids, which grow in insertion order) must come back
//! increasing. If the check fails, rows are matched by key instead — supplied keys by
//! value, assigned keys by ascending order — and if even that is impossible (the
//! statement returned a different number of rows) the write fails with a clear error
//! rather than giving an instance another row's id.

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;

/// Whether two key values name the same key (`5` and `"5"` do, as SQLite's column
/// affinity stores both as the integer 5).
fn same_key(a: &Value, b: &Value) -> bool {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    a == b || matches!((text(a), text(b)), (Some(x), Some(y)) if x == y)
}

/// For each of the statement's rows (by position in the statement), the index of its row in
/// `result`. `supplied[j]` is the primary key row `j` supplied, if any.
pub(crate) fn match_rows(
    model: &str,
    primary_key: &str,
    supplied: &[Option<Value>],
    result: &QueryResult,
) -> Result<Vec<usize>> {
    let n = supplied.len();
    if result.len() != n {
        return Err(OrmError::database(
            format!(
                "factory for [{model}]: INSERT ... RETURNING gave back {} rows for {n} inserted",
                result.len()
            ),
            "",
        ));
    }
    let identity: Vec<usize> = (0..n).collect();
    let Some(k) = result.column_index(primary_key) else {
        return Ok(identity); // no key to check by: insertion order
    };
    let key = |row: usize| {
        result
            .row(row)
            .and_then(|r| r.get(k))
            .unwrap_or(&Value::Null)
    };
    if in_values_order(supplied, &key) {
        return Ok(identity);
    }
    by_key(model, supplied, &key)
}

/// The positional check: supplied keys match, assigned integer keys increase.
fn in_values_order<'a>(supplied: &[Option<Value>], key: &impl Fn(usize) -> &'a Value) -> bool {
    let mut last_assigned: Option<i64> = None;
    for (j, s) in supplied.iter().enumerate() {
        match s {
            Some(s) => {
                if !same_key(s, key(j)) {
                    return false;
                }
            }
            None => match key(j).as_i64() {
                Some(id) if last_assigned.is_none_or(|last| id > last) => {
                    last_assigned = Some(id);
                }
                Some(_) => return false,
                None => {} // a non-integer assigned key: nothing to check it by
            },
        }
    }
    true
}

/// Match by key: supplied keys by value, the rest in ascending key order.
fn by_key<'a>(
    model: &str,
    supplied: &[Option<Value>],
    key: &impl Fn(usize) -> &'a Value,
) -> Result<Vec<usize>> {
    let n = supplied.len();
    let mut taken = vec![false; n];
    let mut out: Vec<Option<usize>> = vec![None; n];
    for (j, s) in supplied.iter().enumerate() {
        if let Some(s) = s {
            let found = (0..n).find(|&r| !taken[r] && same_key(s, key(r)));
            let Some(r) = found else {
                return Err(OrmError::database(
                    format!("factory for [{model}]: no RETURNING row has the inserted key {s}"),
                    "",
                ));
            };
            taken[r] = true;
            out[j] = Some(r);
        }
    }
    let mut rest: Vec<usize> = (0..n).filter(|&r| !taken[r]).collect();
    // Assigned rowids grow in insertion order; stable sort keeps any others in place.
    rest.sort_by_key(|&r| key(r).as_i64().unwrap_or(i64::MAX));
    let mut rest = rest.into_iter();
    for slot in out.iter_mut().filter(|s| s.is_none()) {
        *slot = rest.next();
    }
    out.into_iter()
        .map(|r| {
            r.ok_or_else(|| {
                OrmError::database(
                    format!("factory for [{model}]: RETURNING rows do not match the inserted rows"),
                    "",
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(ids: &[Value]) -> QueryResult {
        QueryResult::rows(
            ["id", "title"],
            ids.iter().map(|id| vec![id.clone(), json!("t")]),
        )
    }

    #[test]
    fn values_order_is_kept_when_it_checks_out() {
        let r = result(&[json!(1), json!(2), json!(7)]);
        let supplied = [None, None, Some(json!("7"))];
        assert_eq!(match_rows("T", "id", &supplied, &r).unwrap(), [0, 1, 2]);
    }

    #[test]
    fn reordered_rows_are_matched_by_key() {
        let r = result(&[json!(3), json!(10), json!(1), json!(2)]);
        let supplied = [None, Some(json!(10)), None, None];
        // Assigned keys 1, 2, 3 go to rows 0, 2, 3 in order; key 10 to row 1.
        assert_eq!(match_rows("T", "id", &supplied, &r).unwrap(), [2, 1, 3, 0]);
    }

    #[test]
    fn a_missing_supplied_key_or_row_count_is_an_error() {
        let r = result(&[json!(1), json!(2)]);
        assert!(match_rows("T", "id", &[Some(json!(5)), None], &r).is_err());
        assert!(match_rows("T", "id", &[None], &r).is_err());
    }

    #[test]
    fn without_a_key_column_values_order_is_used() {
        let r = QueryResult::rows(["title"], [vec![json!("a")], vec![json!("b")]]);
        assert_eq!(match_rows("T", "id", &[None, None], &r).unwrap(), [0, 1]);
    }
}
