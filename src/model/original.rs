//! [`Original`]: the values an instance had when it was last read from or written to
//! the database — what dirty tracking compares its attributes against.
//!
//! Stored as the row itself: the result's column names, shared by every instance of
//! the result (one `Arc`), beside that row's values. A hydrated instance therefore keeps
//! its originals for the price of its values only, instead of a second attribute map
//! with its own copy of every column name (which cost a 1,000-row fetch about a third of
//! its time). Column names are unique within an `Original` (a result that repeats a
//! name keeps the originals as its attribute map does: the last value), so a lookup by
//! name is unambiguous; a lookup by the attribute's position is tried first, since attributes
//! are built in column order.

use std::sync::Arc;

use serde_json::Value;

use crate::model::Attributes;

/// Originals of one instance: `columns[i]` held `values[i]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Original {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Original {
    /// Originals from a stored row whose column names are unique (the caller checks).
    pub(crate) fn from_row(columns: Arc<[String]>, values: Vec<Value>) -> Self {
        debug_assert_eq!(columns.len(), values.len());
        Original { columns, values }
    }

    /// Originals equal to an attribute map (its keys are unique).
    pub(crate) fn from_attributes(attributes: &Attributes) -> Self {
        Original {
            columns: attributes.keys().cloned().collect(),
            values: attributes.values().cloned().collect(),
        }
    }

    /// The original value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|c| c == key)?;
        self.values.get(i)
    }

    /// The original value of `key`, the attribute at position `index` of its map.
    pub(crate) fn get_at(&self, index: usize, key: &str) -> Option<&Value> {
        match self.columns.get(index) {
            Some(column) if column == key => self.values.get(index),
            _ => self.get(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_by_name_and_position_agree() {
        let columns: Arc<[String]> = vec!["id".to_string(), "title".to_string()].into();
        let original = Original::from_row(columns, vec![json!(1), json!("a")]);
        assert_eq!(original.get("title"), Some(&json!("a")));
        assert_eq!(original.get_at(1, "title"), Some(&json!("a")));
        assert_eq!(original.get_at(0, "title"), Some(&json!("a")));
        assert_eq!(original.get_at(5, "id"), Some(&json!(1)));
        assert_eq!(original.get("missing"), None);
    }
}
