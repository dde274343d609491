//! [`ColumnMemo`]: what a type works out from a result's column list, kept per thread
//! so that the next result with the same list reuses it — the model's casts for the
//! columns, a typed read's decoding plan.
//!
//! An executor hands out the same `Arc<[String]>` for every result of one statement
//! text (its column-name cache), so a key of (type, that `Arc`'s address) names one
//! column list. The memo holds a clone of the `Arc`: while an entry exists, its address
//! cannot be reused by another list. The memo is bounded; a full memo starts over,
//! which costs one recomputation per list, never a wrong answer. This module only
//! stores values; it computes none.

use std::any::TypeId;
use std::sync::Arc;

use rustc_hash::FxHashMap;

/// Entries a memo keeps before it starts over: far more than the distinct
/// (type, statement) pairs of a typical app.
const CAPACITY: usize = 512;

/// (type, column list address): one column list as one type sees it.
type Key = (TypeId, usize);

/// Key → (the list, pinned, and what the type derived).
pub(crate) struct ColumnMemo<V> {
    entries: FxHashMap<Key, (Arc<[String]>, V)>,
}

impl<V> Default for ColumnMemo<V> {
    fn default() -> Self {
        ColumnMemo {
            entries: FxHashMap::default(),
        }
    }
}

impl<V: Clone> ColumnMemo<V> {
    /// The value for (type `ty`, `columns`), made by `make` the first time. The type
    /// is an argument, not a parameter, so one copy serves every type.
    pub(crate) fn get_or_insert(
        &mut self,
        ty: TypeId,
        columns: &Arc<[String]>,
        make: impl FnOnce() -> V,
    ) -> V {
        if let Some((_, value)) = self.entries.get(&key(ty, columns)) {
            return value.clone();
        }
        let value = make();
        self.set(ty, columns, value.clone());
        value
    }

    /// Replace the value for (type `ty`, `columns`).
    pub(crate) fn set(&mut self, ty: TypeId, columns: &Arc<[String]>, value: V) {
        if self.entries.len() >= CAPACITY {
            self.entries.clear();
        }
        self.entries
            .insert(key(ty, columns), (columns.clone(), value));
    }
}

fn key(ty: TypeId, columns: &Arc<[String]>) -> Key {
    (ty, Arc::as_ptr(columns) as *const u8 as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Arc<[String]> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn keyed_by_type_and_list() {
        let mut memo = ColumnMemo::<u32>::default();
        let (a, b) = (list(&["id"]), list(&["id"]));
        assert_eq!(memo.get_or_insert(typeid::of::<u8>(), &a, || 1), 1);
        assert_eq!(
            memo.get_or_insert(typeid::of::<u8>(), &a, || 2),
            1,
            "remembered"
        );
        assert_eq!(
            memo.get_or_insert(typeid::of::<u16>(), &a, || 3),
            3,
            "another type"
        );
        assert_eq!(
            memo.get_or_insert(typeid::of::<u8>(), &b, || 4),
            4,
            "an equal but other list"
        );
        memo.set(typeid::of::<u8>(), &a, 5);
        assert_eq!(memo.get_or_insert(typeid::of::<u8>(), &a, || 6), 5);
    }

    #[test]
    fn a_full_memo_starts_over_and_pins_its_lists() {
        let mut memo = ColumnMemo::<usize>::default();
        let lists: Vec<_> = (0..CAPACITY + 1).map(|i| list(&[&i.to_string()])).collect();
        for (i, l) in lists.iter().enumerate() {
            memo.get_or_insert(typeid::of::<u8>(), l, || i);
        }
        assert_eq!(memo.entries.len(), 1, "started over at capacity");
        let pinned = list(&["x"]);
        memo.set(typeid::of::<u8>(), &pinned, 7);
        assert_eq!(Arc::strong_count(&pinned), 2, "the memo holds the list");
    }
}
