//! Relations loaded onto an instance, kept under their names.
//!
//! A loaded relation holds instances of another model type, so they are stored
//! type-erased ([`AnyInstance`]) and read back typed by downcasting
//! (`Instance::related::<Post>("posts")`). Serializing an instance serializes these,
//! nested, after its attributes.

use std::any::Any;
use std::fmt;

use serde::ser::{Serialize, Serializer};

use crate::model::{Attributes, Instance, ModelDef};

/// An instance of some model, type-erased. It serializes as the instance does (its
/// attributes, then its loaded relations), through [`record`](Self::record): the JSON
/// of a record depends on no model type, so nothing is erased per serializer.
pub trait AnyInstance: Any + Send + Sync + fmt::Debug {
    /// Its attributes and loaded relations: what it serializes as.
    fn record(&self) -> (&Attributes, &LoadedRelations);
    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn AnyInstance>;
    /// As `&dyn Any`, for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// As `&mut dyn Any`, for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// As `Box<dyn Any>`, for taking it out by value.
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send + Sync>;
    /// The name of its model (for messages).
    fn model_name(&self) -> &'static str;
    /// What it serializes as, its model's hidden / visible / appended rules applied.
    #[doc(hidden)]
    fn json_record(&self) -> crate::model::visibility::Record<'_>;
    /// Its loaded relations, to put saved copies back after a `push`.
    #[doc(hidden)]
    fn relations_mut(&mut self) -> &mut LoadedRelations;
    /// Queue a save of this record and of its loaded relations, recursively, in
    /// `unit` (for `push`); what to rebuild it from after the commit.
    #[doc(hidden)]
    fn push_into<'s, 'a>(
        self: Box<Self>,
        unit: &'s mut crate::unit::UnitOfWork<'a>,
    ) -> crate::runtime::BoxFuture<'s, crate::Result<crate::unit::PushTree>>
    where
        'a: 's;
}

impl<M: ModelDef> AnyInstance for Instance<M> {
    fn record(&self) -> (&Attributes, &LoadedRelations) {
        (&self.attributes, &self.relations)
    }

    fn clone_box(&self) -> Box<dyn AnyInstance> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send + Sync> {
        self
    }

    fn model_name(&self) -> &'static str {
        M::model_name()
    }

    fn json_record(&self) -> crate::model::visibility::Record<'_> {
        Instance::json_record(self)
    }

    fn relations_mut(&mut self) -> &mut LoadedRelations {
        &mut self.relations
    }

    fn push_into<'s, 'a>(
        self: Box<Self>,
        unit: &'s mut crate::unit::UnitOfWork<'a>,
    ) -> crate::runtime::BoxFuture<'s, crate::Result<crate::unit::PushTree>>
    where
        'a: 's,
    {
        crate::unit::push_into(*self, unit)
    }
}

impl Clone for Box<dyn AnyInstance> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl Serialize for dyn AnyInstance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::model::serialize_record(self.json_record(), serializer)
    }
}

/// One loaded relation: a single related record (or none), or a list.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// `HasOne` / `BelongsTo`: the related record, or `None`.
    One(Option<Box<dyn AnyInstance>>),
    /// `HasMany` / `BelongsToMany`: the related records (possibly empty).
    Many(Vec<Box<dyn AnyInstance>>),
}

impl Serialize for Loaded {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Loaded::One(one) => one.serialize(serializer),
            Loaded::Many(many) => many.serialize(serializer),
        }
    }
}

/// The relations loaded onto one instance, by name, in load order.
///
/// A short list rather than a map: an instance carries a handful of relations at most,
/// a scan of them is as fast as hashing a name, and an empty list costs no allocation
/// and keeps every [`Instance`](crate::Instance) small.
#[derive(Debug, Clone, Default)]
pub struct LoadedRelations(Vec<(String, Loaded)>);

impl IntoIterator for LoadedRelations {
    type Item = (String, Loaded);
    type IntoIter = std::vec::IntoIter<(String, Loaded)>;

    /// The loaded relations by value, in load order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl LoadedRelations {
    /// Number of loaded relations.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is loaded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The loaded relations, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Loaded)> {
        self.0.iter().map(|(name, loaded)| (name, loaded))
    }

    /// A loaded relation by name.
    pub fn get(&self, name: &str) -> Option<&Loaded> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// A loaded relation by name, mutable.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Loaded> {
        self.0.iter_mut().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// Attach (or replace, keeping its place) a relation.
    pub fn insert(&mut self, name: impl Into<String>, loaded: Loaded) {
        let name = name.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => *slot = loaded,
            None => self.0.push((name, loaded)),
        }
    }

    /// Detach a relation, keeping the others in load order.
    pub fn remove(&mut self, name: &str) -> Option<Loaded> {
        let i = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(i).1)
    }
}
