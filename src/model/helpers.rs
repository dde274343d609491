//! Small record helpers (Eloquent's `touch`, `replicate`, `fresh`, `is` / `isNot`):
//! built on the instance writes and reads, no SQL of their own.

use std::any::TypeId;

use crate::error::Result;
use crate::model::hooks::{fire_in_place, HookEvent};
use crate::model::timestamps::now_timestamp;
use crate::model::{Instance, ModelDef, CREATED_AT, UPDATED_AT};
use crate::relations::fetched::dict_key;

impl<M: ModelDef> Instance<M> {
    /// Set `updated_at` to now and save (Eloquent `touch()`): one UPDATE of a stored
    /// record (its owners touched too, with [`ModelDef::TOUCHES`]), an INSERT of a new
    /// one. `false`, and nothing sent, for a model without timestamps.
    pub async fn touch(&mut self) -> Result<bool> {
        if !crate::model::timestamps::uses_timestamps::<M>() {
            return Ok(false);
        }
        self.set_raw(UPDATED_AT, now_timestamp());
        self.save().await?;
        Ok(true)
    }

    /// A new, unsaved copy without the primary key and the timestamps (Eloquent
    /// `replicate()`), `replicating` fired on it; loaded relations are kept, as in
    /// Laravel.
    ///
    /// ```
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// let post = Instance::<Post>::from_attributes(json!({"id": 1, "title": "t", "updated_at": "x"})).unwrap();
    /// # futures::executor::block_on(async {
    /// let copy = post.replicate().await.unwrap();
    /// assert!(!copy.exists());
    /// assert_eq!(serde_json::to_value(&copy).unwrap(), json!({"title": "t"}));
    /// # });
    /// ```
    pub async fn replicate(&self) -> Result<Instance<M>> {
        self.replicate_except(&[]).await
    }

    /// [`replicate`](Self::replicate), also leaving out `except` (Eloquent
    /// `replicate($except)`).
    pub async fn replicate_except(&self, except: &[&str]) -> Result<Instance<M>> {
        let left_out = [M::PRIMARY_KEY, CREATED_AT, UPDATED_AT];
        let attributes: crate::model::Attributes = (self.attributes.iter())
            .filter(|(k, _)| !left_out.contains(&k.as_str()) && !except.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut copy = Instance::<M>::default();
        copy.attributes = crate::model::TrackedAttributes::unsaved(attributes);
        copy.relations = self.relations.clone();
        fire_in_place(HookEvent::Replicating, &mut copy).await?;
        Ok(copy)
    }

    /// Whether `other` is the same record: the same model and the same (set) primary
    /// key (Eloquent `is()`).
    pub fn is<O: ModelDef>(&self, other: &Instance<O>) -> bool {
        let keys = (
            self.key().and_then(dict_key),
            other.key().and_then(dict_key),
        );
        TypeId::of::<M>() == TypeId::of::<O>() && matches!(keys, (Some(a), Some(b)) if a == b)
    }

    /// `!self.is(other)` (Eloquent `isNot()`).
    pub fn is_not<O: ModelDef>(&self, other: &Instance<O>) -> bool {
        !self.is(other)
    }

    /// The record as stored now, with the relations this instance has loaded loaded
    /// again (Eloquent `fresh()`); `None` when it is gone (or out of the tenant). This
    /// instance is left as it is. Soft-deleted records are found.
    pub async fn fresh(&self) -> Result<Option<Instance<M>>> {
        let mut copy = self.clone();
        copy.visibility = None;
        if !copy.refresh_row().await? {
            return Ok(None);
        }
        copy.reload_relations(&self.loaded_names()).await?;
        Ok(Some(copy))
    }

    /// The names of the relations loaded on this instance.
    pub(crate) fn loaded_names(&self) -> Vec<String> {
        self.relations
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Load `names` again (those the model declares; a relation attached by hand under
    /// another name is dropped).
    pub(crate) async fn reload_relations(&mut self, names: &[String]) -> Result<()> {
        let map = crate::relations::relation_map::<M>();
        let declared: Vec<&String> = names
            .iter()
            .filter(|n| map.contains(n) && n.as_str() != crate::relations::PIVOT_RELATION)
            .collect();
        self.relations = Default::default();
        if declared.is_empty() {
            return Ok(());
        }
        self.load(declared).await.map(drop)
    }
}
