//! Key lookups of a whole model — `Post::find(id)`, `Post::find_as::<T>(id)` — without
//! a builder: the statement is [`compiler::select_by_key`] with the model's scopes, its
//! text from the text cache, and the future holds only the key. A model with a global
//! scope in force goes through the builder's `find`, which adds the scope's conditions.
//!
//! This module picks the path and binds the key; the SQL comes from the compiler and
//! the rows are hydrated or decoded as for every read.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::Statement;
use crate::model::{bind_value, check_column, table_of, Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::Ident;
use crate::query::compiler;
use crate::query::global_scopes::{any_in_force, Lifted};
use crate::query::scopes::{model_scopes_shaped, Trashed};
use crate::query::text_cache::{self, Shape, TextKey};
use crate::relations::EagerLoads;
use crate::runtime::MaybeSend;

/// A key that can't be a primary key value (an array or an object) is an error.
pub(super) fn check_key<M: ModelDef>(id: &Value) -> Result<()> {
    if id.is_array() || id.is_object() {
        return Err(OrmError::InvalidKey {
            model: M::model_name(),
            key: M::PRIMARY_KEY,
            value: id.to_string(),
        });
    }
    Ok(())
}

/// `SELECT * FROM t WHERE "pk" = ? [AND tenant/soft-delete scopes]` for key `id`
/// (checked by the caller), its text cached per model and scope shape. The caller has
/// established that no global scope of `M` is in force.
pub(super) fn key_lookup<M: ModelDef>(
    orm: &Orm,
    trashed: Trashed,
    id: &Value,
) -> Result<Statement> {
    let (scopes, scope_shape) = model_scopes_shaped::<M>(orm, trashed)?;
    let text_key = TextKey::new::<M>(Shape::FindByKey, scope_shape);
    let known = text_cache::get(text_key);
    let (table, key) = match known {
        // The text was compiled for this model before: its names passed the checks.
        Some(_) => (
            Ident::trusted_static(table_of::<M>()),
            Ident::trusted_static(M::PRIMARY_KEY),
        ),
        None => (
            Ident::parse_static(table_of::<M>())?,
            check_column::<M>(M::PRIMARY_KEY)?,
        ),
    };
    let id = bind_value::<M>(&key, id)?;
    Ok(text_cache::statement(text_key, known, |text| {
        compiler::select_by_key(&table, (&key, id.clone()), &scopes, text)
    }))
}

/// `M::find(id)`.
pub(crate) async fn find<M: ModelDef>(id: Value) -> Result<Option<Instance<M>>> {
    if any_in_force::<M>(&Lifted::None) {
        return QueryBuilder::<M>::new().find(id).await;
    }
    let orm = Orm::current_for::<M>()?;
    check_key::<M>(&id)?;
    let statement = key_lookup::<M>(&orm, Trashed::Exclude, &id)?;
    QueryBuilder::<M>::run_first(&orm, statement, EagerLoads::default()).await
}

/// `M::find_as::<T>(id)`.
pub(crate) async fn find_as<M: ModelDef, T: DeserializeOwned + MaybeSend>(
    id: Value,
) -> Result<Option<T>> {
    if any_in_force::<M>(&Lifted::None) {
        return QueryBuilder::<M>::new().find_as(id).await;
    }
    let orm = Orm::current_for::<M>()?;
    check_key::<M>(&id)?;
    let statement = key_lookup::<M>(&orm, Trashed::Exclude, &id)?;
    let rows = super::typed::read::<M, T>(&orm, &statement).await?;
    Ok(super::typed::first_of(rows))
}
