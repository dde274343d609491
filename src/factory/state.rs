//! Attribute modifiers: states (TS `state(attrs => attrs)`, Laravel `state([...])`)
//! and sequences (Laravel `sequence(...)`).
//!
//! A builder keeps its modifiers in call order and applies them, in that order, to the
//! attributes each `definition()` call returns. Sequences are modifiers that look at the
//! row's index (0-based within one `make` / `create` call, and within one parent's
//! children for `has`), so they interleave with states exactly where they were called.

use std::sync::Arc;

use crate::error::Result;
use crate::model::Attributes;
use crate::runtime::{MaybeSend, MaybeSync};

/// One modifier of a row's attributes.
pub(crate) trait Modifier: MaybeSend + MaybeSync {
    /// The attributes of row `index` after this modifier.
    fn apply(&self, attributes: Attributes, index: usize) -> Result<Attributes>;
}

/// A shared modifier (builders are cheap to clone).
pub(crate) type SharedModifier = Arc<dyn Modifier>;

/// TS `state(attrs => ({...attrs, ...}))`: a closure from attributes to attributes.
pub(crate) struct MapState<F>(pub F);

impl<F> Modifier for MapState<F>
where
    F: Fn(Attributes) -> Attributes + MaybeSend + MaybeSync,
{
    fn apply(&self, attributes: Attributes, _index: usize) -> Result<Attributes> {
        Ok((self.0)(attributes))
    }
}

/// Laravel `state(['status' => 'draft'])`: these attributes merged over each row.
pub(crate) struct MergeState(pub Attributes);

impl Modifier for MergeState {
    fn apply(&self, mut attributes: Attributes, _index: usize) -> Result<Attributes> {
        merge(&mut attributes, &self.0);
        Ok(attributes)
    }
}

/// Laravel `sequence([...], [...])`: row `i` gets set `i % len` merged over it.
pub(crate) struct Sequence(pub Vec<Attributes>);

impl Modifier for Sequence {
    fn apply(&self, mut attributes: Attributes, index: usize) -> Result<Attributes> {
        if let Some(set) = self.0.get(index % self.0.len().max(1)) {
            merge(&mut attributes, set);
        }
        Ok(attributes)
    }
}

/// Laravel `sequence(fn (Sequence $s) => [...])`: a closure of the row index whose
/// result is merged over the row.
pub(crate) struct SequenceFn<F>(pub F);

impl<F, R> Modifier for SequenceFn<F>
where
    F: Fn(usize) -> R + MaybeSend + MaybeSync,
    R: crate::model::IntoAttributes,
{
    fn apply(&self, mut attributes: Attributes, index: usize) -> Result<Attributes> {
        let set = (self.0)(index).into_attributes()?;
        merge(&mut attributes, &set);
        Ok(attributes)
    }
}

/// Set every key of `over` on `attributes` (new keys go last, existing keep their place).
pub(crate) fn merge(attributes: &mut Attributes, over: &Attributes) {
    for (key, value) in over {
        attributes.insert(key.clone(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IntoAttributes;
    use serde_json::json;

    fn attrs(v: serde_json::Value) -> Attributes {
        v.into_attributes().unwrap()
    }

    #[test]
    fn sequences_cycle_and_merge() {
        let seq = Sequence(vec![attrs(json!({"s": "a"})), attrs(json!({"s": "b"}))]);
        let row = |i| seq.apply(attrs(json!({"t": 1, "s": "x"})), i).unwrap();
        assert_eq!(row(0), attrs(json!({"t": 1, "s": "a"})));
        assert_eq!(row(1), attrs(json!({"t": 1, "s": "b"})));
        assert_eq!(row(4), attrs(json!({"t": 1, "s": "a"})));
    }

    #[test]
    fn an_empty_sequence_changes_nothing() {
        let seq = Sequence(Vec::new());
        assert_eq!(
            seq.apply(attrs(json!({"t": 1})), 3).unwrap(),
            attrs(json!({"t": 1}))
        );
    }

    #[test]
    fn a_sequence_fn_that_is_not_a_map_is_an_error() {
        let seq = SequenceFn(|i: usize| json!(i));
        assert!(seq.apply(Attributes::new(), 0).is_err());
    }
}
