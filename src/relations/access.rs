//! Reading loaded relations back from an [`Instance`], typed, and loading more onto it.
//!
//! Relations are stored type-erased under their names; these accessors downcast them to
//! the model type the caller names. Asking for a relation that was never loaded is
//! [`OrmError::RelationNotLoaded`]; asking with the wrong model type, or a list from a
//! to-one relation (or the reverse), is [`OrmError::RelationMismatch`].

use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::relations::belongs_to_many::{Pivot, PIVOT_RELATION};
use crate::relations::loaded::{AnyInstance, Loaded, LoadedRelations};
use crate::relations::map::{eager_load, EagerLoads};

fn mismatch<M: ModelDef>(name: &str, expected: String, found: String) -> OrmError {
    OrmError::RelationMismatch {
        model: M::model_name(),
        relation: name.to_string(),
        expected,
        found,
    }
}

fn describe(loaded: &Loaded) -> String {
    match loaded {
        Loaded::One(Some(one)) => format!("one {}", one.model_name()),
        Loaded::One(None) => "a to-one relation (empty)".to_string(),
        Loaded::Many(many) => match many.first() {
            Some(first) => format!("a list of {}", first.model_name()),
            None => "a list (empty)".to_string(),
        },
    }
}

fn downcast<R: ModelDef>(item: &dyn AnyInstance) -> Option<&Instance<R>> {
    item.as_any().downcast_ref::<Instance<R>>()
}

fn downcast_owned<R: ModelDef>(item: Box<dyn AnyInstance>) -> Option<Instance<R>> {
    item.into_any().downcast::<Instance<R>>().ok().map(|b| *b)
}

impl<M: ModelDef> Instance<M> {
    fn loaded(&self, name: &str) -> Result<&Loaded> {
        self.relations
            .get(name)
            .ok_or_else(|| OrmError::RelationNotLoaded {
                model: M::model_name(),
                relation: name.to_string(),
            })
    }

    /// The records of a loaded to-many relation (`user.related::<Post>("posts")`); an
    /// empty list when the parent has none.
    pub fn related<R: ModelDef>(&self, name: &str) -> Result<Vec<&Instance<R>>> {
        let loaded = self.loaded(name)?;
        let wrong = || {
            mismatch::<M>(
                name,
                format!("a list of {}", R::model_name()),
                describe(loaded),
            )
        };
        match loaded {
            Loaded::Many(many) => many
                .iter()
                .map(|item| downcast::<R>(item.as_ref()).ok_or_else(wrong))
                .collect(),
            Loaded::One(_) => Err(wrong()),
        }
    }

    /// The record of a loaded to-one relation, or `None` when there is none
    /// (`post.related_one::<User>("author")`).
    pub fn related_one<R: ModelDef>(&self, name: &str) -> Result<Option<&Instance<R>>> {
        let loaded = self.loaded(name)?;
        let wrong = || mismatch::<M>(name, format!("one {}", R::model_name()), describe(loaded));
        match loaded {
            Loaded::One(None) => Ok(None),
            Loaded::One(Some(item)) => downcast::<R>(item.as_ref()).map(Some).ok_or_else(wrong),
            Loaded::Many(_) => Err(wrong()),
        }
    }

    /// Remove a loaded to-many relation and return its records, owned. On an error the
    /// relation stays attached.
    pub fn take_related<R: ModelDef>(&mut self, name: &str) -> Result<Vec<Instance<R>>> {
        self.related::<R>(name)?; // type check first, so a failure leaves it in place
        match self.relations.remove(name) {
            Some(Loaded::Many(many)) => Ok(many.into_iter().filter_map(downcast_owned).collect()),
            _ => Ok(Vec::new()),
        }
    }

    /// Remove a loaded to-one relation and return its record, owned. On an error the
    /// relation stays attached.
    pub fn take_related_one<R: ModelDef>(&mut self, name: &str) -> Result<Option<Instance<R>>> {
        self.related_one::<R>(name)?;
        match self.relations.remove(name) {
            Some(Loaded::One(Some(one))) => Ok(downcast_owned(one)),
            _ => Ok(None),
        }
    }

    /// The records of a loaded to-many relation, to change before a
    /// [`push`](Instance::push) (Laravel `$post->comments[0]->body = ...`).
    pub fn related_mut<R: ModelDef>(&mut self, name: &str) -> Result<Vec<&mut Instance<R>>> {
        self.related::<R>(name)?; // the type check, with its message
        match self.relations.get_mut(name) {
            Some(Loaded::Many(many)) => Ok(many
                .iter_mut()
                .filter_map(|item| item.as_any_mut().downcast_mut::<Instance<R>>())
                .collect()),
            _ => Ok(Vec::new()),
        }
    }

    /// The record of a loaded to-one relation, mutably (see
    /// [`related_mut`](Self::related_mut)).
    pub fn related_one_mut<R: ModelDef>(&mut self, name: &str) -> Result<Option<&mut Instance<R>>> {
        self.related_one::<R>(name)?;
        match self.relations.get_mut(name) {
            Some(Loaded::One(Some(one))) => Ok(one.as_any_mut().downcast_mut::<Instance<R>>()),
            _ => Ok(None),
        }
    }

    /// Set a to-many relation's records by hand (Laravel `setRelation`): replaces a
    /// loaded one; [`push`](Instance::push) saves them.
    pub fn set_relation<R: ModelDef>(
        &mut self,
        name: &str,
        records: Vec<Instance<R>>,
    ) -> &mut Self {
        let many = records
            .into_iter()
            .map(|r| Box::new(r) as Box<dyn crate::relations::AnyInstance>)
            .collect();
        self.relations.insert(name, Loaded::Many(many));
        self
    }

    /// Whether relation `name` is loaded (Laravel `relationLoaded`).
    pub fn relation_loaded(&self, name: &str) -> bool {
        self.relations.get(name).is_some()
    }

    /// Every loaded relation, by name, in load order.
    pub fn loaded_relations(&self) -> &LoadedRelations {
        &self.relations
    }

    /// The pivot row of a record loaded through a
    /// [`BelongsToManyRelation`](crate::relations::BelongsToManyRelation): its two keys
    /// plus the relation's `with_pivot` columns (`tag.pivot()?.get("added_by")`).
    /// It serializes as a nested `"pivot"` object, as in Laravel.
    pub fn pivot(&self) -> Option<&Instance<Pivot>> {
        self.related_one::<Pivot>(PIVOT_RELATION).ok().flatten()
    }

    /// Eager-load relations onto this record (Laravel `$model->load(...)`): the same
    /// names as `with(...)`, nested with dots; one query per relation per level.
    pub async fn load<I, S>(&mut self, relations: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let orm = Orm::current_for::<M>()?;
        eager_load(
            &orm,
            std::slice::from_mut(self),
            &EagerLoads::of_names(relations),
        )
        .await?;
        Ok(self)
    }
}

/// Eager-load relations onto records already fetched (Laravel `$collection->load(...)`):
/// one query per relation per level, whatever the number of records.
pub async fn load<M, I, S>(records: &mut [Instance<M>], relations: I) -> Result<()>
where
    M: ModelDef,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let orm = Orm::current_for::<M>()?;
    eager_load(&orm, records, &EagerLoads::of_names(relations)).await
}
