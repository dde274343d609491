//! An instance's attributes and their originals: [`TrackedAttributes`], the map an
//! [`Instance`](crate::Instance) exposes as `attributes`, plus [`Attributes`] (the plain
//! map) and [`IntoAttributes`] (what can become one).
//!
//! Dirty tracking (Eloquent's `HasAttributes` concern) lives here: what an attribute
//! was when the instance was last read from or written to the database, and which
//! attributes differ from that. This module must not run queries or know about models.
//!
//! Originals are copied lazily. A stored instance starts *clean*: its originals are
//! its attributes, so nothing is copied. The first mutable borrow of the map (`set`,
//! `fill`, `attributes.insert(..)`, any `&mut` through `DerefMut`) snapshots the values
//! before handing the map out; reads through `Deref` never do. Instances that are only
//! read — most of what a `find`, a list or an eager load returns — therefore hold one
//! copy of each value instead of two; before this, copying the originals at hydration
//! was the largest cost the ORM added to a fetch. The snapshot shares the result's
//! column names (one `Arc` per result) rather than allocating them per row.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::{OrmError, Result};

/// A record's attributes: column name → value, in column order.
pub type Attributes = IndexMap<String, Value>;

/// Things that can become an attribute map: a JSON object (`json!({...})`), an
/// [`Attributes`] / `serde_json::Map`, or `[(key, value)]` pairs.
pub trait IntoAttributes {
    /// Convert, failing for anything that is not a key-value map.
    fn into_attributes(self) -> Result<Attributes>;
}

impl IntoAttributes for Attributes {
    fn into_attributes(self) -> Result<Attributes> {
        Ok(self)
    }
}

impl IntoAttributes for serde_json::Map<String, Value> {
    fn into_attributes(self) -> Result<Attributes> {
        Ok(self.into_iter().collect())
    }
}

impl IntoAttributes for Value {
    fn into_attributes(self) -> Result<Attributes> {
        match self {
            Value::Object(map) => map.into_attributes(),
            other => Err(OrmError::InvalidAttributes(format!(
                "expected a JSON object of column → value, got {other}"
            ))),
        }
    }
}

impl<K: Into<String>, V: Into<Value>, const N: usize> IntoAttributes for [(K, V); N] {
    fn into_attributes(self) -> Result<Attributes> {
        Ok(self
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

impl<K: Into<String>, V: Into<Value>> IntoAttributes for Vec<(K, V)> {
    fn into_attributes(self) -> Result<Attributes> {
        Ok(self
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}

/// An instance's attribute map with its originals (TS `attributes` plus `original`).
///
/// Read it like the [`Attributes`] map it derefs to (`post.attributes["title"]`,
/// `post.attributes.keys()`); mutate it the same way (`post.attributes.insert(..)`) —
/// every mutable borrow keeps dirty tracking right.
///
/// ```
/// use roost_orm::model::TrackedAttributes;
/// use serde_json::json;
///
/// let mut attributes = TrackedAttributes::stored(
///     [("id".to_string(), json!(1)), ("title".to_string(), json!("Hello"))].into(),
///     None,
/// );
/// assert!(!attributes.is_dirty());
/// attributes.insert("title".into(), json!("Hi"));
/// assert_eq!(attributes.get_original("title"), Some(&json!("Hello")));
/// assert_eq!(attributes.get_dirty().len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct TrackedAttributes {
    current: Attributes,
    original: Original,
}

/// What the originals are.
#[derive(Clone, Default)]
enum Original {
    /// None: a new instance, nothing stored yet (every attribute is dirty).
    #[default]
    Unsaved,
    /// The current attributes, not borrowed mutably since they were stored. Holds the
    /// stored row's column names when they are the map's keys in order, for the
    /// snapshot to share.
    Current(Option<Arc<[String]>>),
    /// Copied at the first mutable borrow: `columns[i]` held `values[i]`.
    Snapshot {
        columns: Arc<[String]>,
        values: Vec<Value>,
    },
}

impl TrackedAttributes {
    /// Attributes of a new, unsaved instance: no originals, so all are dirty.
    pub fn unsaved(attributes: Attributes) -> Self {
        TrackedAttributes {
            current: attributes,
            original: Original::Unsaved,
        }
    }

    /// Attributes as stored: clean. `columns`, when given, must be the map's keys in
    /// order (the result's shared names); a later snapshot reuses them.
    pub fn stored(attributes: Attributes, columns: Option<Arc<[String]>>) -> Self {
        let columns = columns.filter(|c| {
            c.len() == attributes.len() && c.iter().zip(attributes.keys()).all(|(a, b)| a == b)
        });
        TrackedAttributes {
            current: attributes,
            original: Original::Current(columns),
        }
    }

    /// Attributes built from one row of a result: the `i`-th value belongs to
    /// `columns[i]`. Values are moved, not copied; a repeated name (a join) keeps its
    /// last value.
    pub(crate) fn from_row(
        columns: Arc<[String]>,
        values: impl IntoIterator<Item = Value>,
    ) -> Self {
        let mut current = Attributes::with_capacity(columns.len());
        for (column, value) in columns.iter().zip(values) {
            current.insert(column.clone(), value);
        }
        // Names are shared with the snapshot only when none repeats.
        let shared = (current.len() == columns.len()).then_some(columns);
        TrackedAttributes {
            current,
            original: Original::Current(shared),
        }
    }

    /// Mark the current attributes as stored (clean), without copying them.
    pub(crate) fn mark_stored(&mut self) {
        self.original = Original::Current(None);
    }

    /// Set `key` to a `value` just read back from the database: both the attribute and
    /// its original, so it is clean; the other attributes keep their state (an
    /// unsaved change elsewhere stays dirty).
    pub(crate) fn store_value(&mut self, key: &str, value: Value) {
        match &mut self.original {
            Original::Unsaved => {}
            Original::Current(columns) => {
                if !self.current.contains_key(key) {
                    // A new key: the shared names no longer match the map's keys.
                    *columns = None;
                }
            }
            Original::Snapshot { columns, values } => match columns.iter().position(|c| c == key) {
                Some(i) => values[i] = value.clone(),
                None => {
                    let mut names = columns.to_vec();
                    names.push(key.to_string());
                    *columns = names.into();
                    values.push(value.clone());
                }
            },
        }
        self.current.insert(key.to_string(), value);
    }

    /// Take the map out, leaving it empty (the originals are kept).
    pub(crate) fn take(&mut self) -> Attributes {
        std::mem::take(&mut self.current)
    }

    /// The plain map.
    pub fn into_inner(self) -> Attributes {
        self.current
    }

    /// The value `key` had when last read from or written to the database.
    pub fn get_original(&self, key: &str) -> Option<&Value> {
        match &self.original {
            Original::Unsaved => None,
            Original::Current(_) => self.current.get(key),
            Original::Snapshot { columns, values } => {
                let i = columns.iter().position(|c| c == key)?;
                values.get(i)
            }
        }
    }

    /// The original of the attribute at position `index` of the map, named `key`:
    /// position first, since a snapshot keeps the map's order.
    fn original_at(&self, index: usize, key: &str) -> Option<&Value> {
        match &self.original {
            Original::Snapshot { columns, values }
                if columns.get(index).map(String::as_str) == Some(key) =>
            {
                values.get(index)
            }
            _ => self.get_original(key),
        }
    }

    /// Attributes that differ from the originals (what `save()` would write).
    pub fn get_dirty(&self) -> Attributes {
        if let Original::Current(_) = self.original {
            return Attributes::new();
        }
        self.current
            .iter()
            .enumerate()
            .filter(|(i, (k, v))| self.original_at(*i, k) != Some(*v))
            .map(|(_, (k, v))| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether any attribute differs from its original.
    pub fn is_dirty(&self) -> bool {
        match self.original {
            Original::Current(_) => false,
            _ => self
                .current
                .iter()
                .enumerate()
                .any(|(i, (k, v))| self.original_at(i, k) != Some(v)),
        }
    }

    /// Whether attribute `key` differs from its original (a removed attribute that had
    /// one counts).
    pub fn is_dirty_key(&self, key: &str) -> bool {
        match self.current.get_full(key) {
            Some((i, _, v)) => self.original_at(i, key) != Some(v),
            None => self.get_original(key).is_some(),
        }
    }
}

impl Deref for TrackedAttributes {
    type Target = Attributes;

    fn deref(&self) -> &Attributes {
        &self.current
    }
}

impl DerefMut for TrackedAttributes {
    /// Snapshots the originals first if they are still the current attributes.
    fn deref_mut(&mut self) -> &mut Attributes {
        if let Original::Current(columns) = &mut self.original {
            let columns = columns
                .take()
                .unwrap_or_else(|| self.current.keys().cloned().collect());
            let values = self.current.values().cloned().collect();
            self.original = Original::Snapshot { columns, values };
        }
        &mut self.current
    }
}

impl<'a> IntoIterator for &'a TrackedAttributes {
    type Item = (&'a String, &'a Value);
    type IntoIter = indexmap::map::Iter<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.current.iter()
    }
}

impl From<TrackedAttributes> for Attributes {
    fn from(attributes: TrackedAttributes) -> Self {
        attributes.current
    }
}

impl PartialEq for TrackedAttributes {
    /// Equal when the current attributes are (originals are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.current == other.current
    }
}

impl PartialEq<Attributes> for TrackedAttributes {
    fn eq(&self, other: &Attributes) -> bool {
        self.current == *other
    }
}

impl fmt::Debug for TrackedAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.current.fmt(f)
    }
}

impl Serialize for TrackedAttributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.current.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row() -> TrackedAttributes {
        let columns: Arc<[String]> = vec!["id".to_string(), "title".to_string()].into();
        TrackedAttributes::from_row(columns, vec![json!(1), json!("a")])
    }

    #[test]
    fn a_stored_row_is_clean_until_changed() {
        let mut attributes = row();
        assert!(!attributes.is_dirty());
        assert!(attributes.get_dirty().is_empty());
        assert_eq!(attributes.get_original("title"), Some(&json!("a")));
        attributes.insert("title".into(), json!("b"));
        assert!(attributes.is_dirty_key("title"));
        assert!(!attributes.is_dirty_key("id"));
        assert_eq!(attributes.get_original("title"), Some(&json!("a")));
        assert_eq!(
            attributes.get_dirty(),
            Attributes::from([("title".into(), json!("b"))])
        );
    }

    #[test]
    fn a_mutable_borrow_without_a_change_stays_clean() {
        let mut attributes = row();
        let _ = attributes.get_mut("title");
        assert!(!attributes.is_dirty());
        attributes.insert("title".into(), json!("a"));
        assert!(!attributes.is_dirty());
    }

    #[test]
    fn removed_and_added_attributes_are_dirty() {
        let mut attributes = row();
        attributes.shift_remove("title");
        assert!(attributes.is_dirty_key("title"));
        attributes.insert("extra".into(), json!(true));
        assert!(attributes.is_dirty_key("extra"));
        assert_eq!(attributes.get_dirty().keys().collect::<Vec<_>>(), ["extra"]);
    }

    #[test]
    fn reordered_attributes_are_compared_by_name() {
        let mut attributes = row();
        attributes.move_index(1, 0);
        assert!(!attributes.is_dirty());
        assert_eq!(attributes.get_original("id"), Some(&json!(1)));
    }

    #[test]
    fn unsaved_attributes_are_all_dirty() {
        let attributes = TrackedAttributes::unsaved(Attributes::from([("a".into(), json!(1))]));
        assert!(attributes.is_dirty());
        assert_eq!(attributes.get_original("a"), None);
        assert_eq!(attributes.get_dirty().len(), 1);
    }

    #[test]
    fn repeated_names_keep_the_last_value() {
        let columns: Arc<[String]> = vec!["id".to_string(), "id".to_string()].into();
        let mut attributes = TrackedAttributes::from_row(columns, vec![json!(1), json!(2)]);
        assert_eq!(attributes["id"], json!(2));
        attributes.insert("id".into(), json!(3));
        assert_eq!(attributes.get_original("id"), Some(&json!(2)));
    }

    #[test]
    fn a_stored_value_is_clean_and_leaves_other_changes_dirty() {
        let mut attributes = row();
        attributes.store_value("id", json!(2));
        assert!(!attributes.is_dirty());
        attributes.insert("title".into(), json!("changed"));
        attributes.store_value("id", json!(3));
        attributes.store_value("views", json!(7));
        assert_eq!(attributes.get_original("id"), Some(&json!(3)));
        assert_eq!(attributes.get_original("views"), Some(&json!(7)));
        assert_eq!(attributes.get_dirty().keys().collect::<Vec<_>>(), ["title"]);
    }

    #[test]
    fn marking_stored_makes_the_current_values_original() {
        let mut attributes = row();
        attributes.insert("title".into(), json!("b"));
        attributes.mark_stored();
        assert!(!attributes.is_dirty());
        assert_eq!(attributes.get_original("title"), Some(&json!("b")));
    }
}
