//! What one relation query returns, matched to its parents, and how it is attached.
//!
//! A relation query fetches the related rows of *all* parents at once; [`Fetched`] keeps
//! them once each, plus, per parent, the indices of its rows. Keys are matched through a
//! dictionary of [`dict_key`]s, so an integer key `1` and a text key `"1"` pair up as
//! SQLite's comparison would (and as Laravel's dictionary does). Parent keys bind as one
//! JSON-array parameter whatever their number (D1 allows 100 bound parameters).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::error::Result;
use crate::model::{bind_values, Instance, ModelDef};
use crate::query::ast::{Condition, Ident, Operator};
use crate::relations::loaded::{AnyInstance, Loaded};

/// The dictionary key of a key value; `None` for NULL (which matches nothing).
pub(crate) fn dict_key(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            // 3.0 pairs with 3: SQLite compares numbers by value.
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(i64::from(*b).to_string()),
        other => Some(other.to_string()),
    }
}

/// The distinct non-NULL values of attribute `column` over `parents`, in first-seen
/// order, and each parent's dictionary key.
pub(crate) fn parent_keys<P: ModelDef>(
    parents: &[Instance<P>],
    column: &str,
) -> (Vec<Value>, Vec<Option<String>>) {
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    let keys = parents
        .iter()
        .map(|parent| {
            let value = parent.get(column)?;
            let key = dict_key(value)?;
            if seen.insert(key.clone()) {
                values.push(value.clone());
            }
            Some(key)
        })
        .collect();
    (values, keys)
}

/// `column = ?` for one key, `column IN (SELECT value FROM json_each(?))` for several:
/// one bound parameter either way. The values bind by the rule of column `rule` of
/// model `R` (the compared column when it is a model's, else the key the values came
/// from).
pub(crate) fn key_condition<R: ModelDef>(
    column: Ident,
    rule: &Ident,
    values: Vec<Value>,
) -> Result<Condition> {
    Ok(keys_condition(column, bind_values::<R>(rule, &values)?))
}

/// `column = ?` for one bound key, `column IN (...)` (one JSON parameter) for several.
pub(crate) fn keys_condition(column: Ident, mut values: Vec<crate::value::SqlValue>) -> Condition {
    if values.len() == 1 {
        Condition::Compare {
            column,
            op: Operator::Eq,
            value: values.remove(0),
        }
    } else {
        Condition::In {
            column,
            values,
            negated: false,
        }
    }
}

/// Related rows of a set of parents: each row once, and per parent the indices of its
/// rows (a row may belong to several parents, as an author of many posts).
#[derive(Debug)]
pub struct Fetched<R: ModelDef> {
    /// The related rows, as returned by the query.
    pub related: Vec<Instance<R>>,
    /// For each parent (same order as the parents), indices into `related`.
    pub groups: Vec<Vec<usize>>,
}

impl<R: ModelDef> Fetched<R> {
    /// No related rows for any of `parents` parents (no query was needed).
    pub(crate) fn empty(parents: usize) -> Self {
        Fetched {
            related: Vec::new(),
            groups: vec![Vec::new(); parents],
        }
    }

    /// Group `related` under parents by key: a related row goes to every parent whose
    /// key equals the row's `related_key(row)`.
    pub(crate) fn group(
        related: Vec<Instance<R>>,
        parent_keys: &[Option<String>],
        related_key: impl Fn(usize, &Instance<R>) -> Option<String>,
    ) -> Self {
        let mut dictionary: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, row) in related.iter().enumerate() {
            if let Some(key) = related_key(i, row) {
                dictionary.entry(key).or_default().push(i);
            }
        }
        let groups = parent_keys
            .iter()
            .map(|key| {
                key.as_ref()
                    .and_then(|k| dictionary.get(k))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        Fetched { related, groups }
    }

    /// Each parent's related rows, owned: a row used by one parent is moved, a row
    /// shared by several is cloned for all but the last.
    pub(crate) fn into_groups(self) -> Vec<Vec<Instance<R>>> {
        let mut uses = vec![0usize; self.related.len()];
        for &i in self.groups.iter().flatten() {
            if let Some(n) = uses.get_mut(i) {
                *n += 1;
            }
        }
        let mut slots: Vec<Option<Instance<R>>> = self.related.into_iter().map(Some).collect();
        self.groups
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .filter_map(|i| {
                        let n = uses.get_mut(i)?;
                        *n = n.saturating_sub(1);
                        let slot = slots.get_mut(i)?;
                        if *n == 0 {
                            slot.take()
                        } else {
                            slot.clone()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Attach each parent's rows under `name`: a list for a to-many relation, the first
    /// row or `None` for a to-one relation. Every parent gets an entry.
    pub(crate) fn attach<P: ModelDef>(self, parents: &mut [Instance<P>], name: &str, many: bool) {
        for (parent, rows) in parents.iter_mut().zip(self.into_groups()) {
            let loaded = if many {
                Loaded::Many(rows.into_iter().map(boxed).collect())
            } else {
                Loaded::One(rows.into_iter().next().map(boxed))
            };
            parent.relations.insert(name, loaded);
        }
    }
}

fn boxed<R: ModelDef>(instance: Instance<R>) -> Box<dyn AnyInstance> {
    Box::new(instance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Row;
    impl ModelDef for Row {}

    fn row(id: i64) -> Instance<Row> {
        Instance::from_attributes(json!({ "id": id })).unwrap_or_default()
    }

    #[test]
    fn dictionary_keys_pair_numbers_and_numeric_text() {
        assert_eq!(dict_key(&json!(1)), dict_key(&json!("1")));
        assert_eq!(dict_key(&json!(3.0)), dict_key(&json!(3)));
        assert_ne!(dict_key(&json!("007")), dict_key(&json!(7)));
        assert_eq!(dict_key(&json!(null)), None);
    }

    #[test]
    fn shared_rows_are_cloned_and_single_rows_moved() {
        let fetched = Fetched {
            related: vec![row(1), row(2)],
            groups: vec![vec![0], vec![0, 1], vec![]],
        };
        let groups = fetched.into_groups();
        let ids: Vec<Vec<i64>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|r| r.get_as::<i64>("id").unwrap_or(0))
                    .collect()
            })
            .collect();
        assert_eq!(ids, vec![vec![1], vec![1, 2], vec![]]);
    }
}
