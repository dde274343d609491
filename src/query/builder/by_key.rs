//! Key lookups of a whole model — `Post::find(id)`, `Post::find_as::<T>(id)` — without
//! a builder: the statement is [`compiler::select_by_key`] with the model's scopes, its
//! text from the text cache, and the future holds only the statement. A model with a
//! global scope in force gets the builder's statement, which adds the scope's
//! conditions.
//!
//! This module picks the path and binds the key; the SQL comes from the compiler and
//! the rows are hydrated or decoded as for every read.

use std::any::TypeId;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::Statement;
use crate::model::{Instance, ModelDef, Schema};
use crate::orm::Orm;
use crate::query::ast::{Condition, Ident};
use crate::query::compiler;
use crate::query::global_scopes::{any_in_force, Lifted};
use crate::query::scopes::{model_scopes_in, Trashed};
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
    let model = TypeId::of::<M>();
    let schema = Schema::of::<M>();
    let (scopes, scope_shape) = model_scopes_in(orm, model, schema, trashed)?;
    key_statement(
        schema,
        TextKey::of(model, Shape::FindByKey, scope_shape),
        &scopes,
        id,
    )
}

/// The body of [`key_lookup`], one copy for every model.
fn key_statement(
    schema: Schema,
    text_key: TextKey,
    scopes: &[Condition],
    id: &Value,
) -> Result<Statement> {
    let known = text_cache::get(text_key);
    let (table, key) = match known {
        // The text was compiled for this model before: its names passed the checks.
        Some(_) => (
            Ident::trusted_static(schema.table),
            Ident::trusted_static(schema.primary_key),
        ),
        None => (
            Ident::parse_static(schema.table)?,
            schema.check_column(schema.primary_key)?,
        ),
    };
    let id = schema.bind_value(&key, id)?;
    Ok(text_cache::statement(text_key, known, |text| {
        compiler::select_by_key(&table, (&key, id.clone()), scopes, text)
    }))
}

/// The statement of `M::find(id)`: the key lookup, or — when a global scope of `M`
/// is in force — the builder's [`find_statement`](QueryBuilder::find_statement),
/// which adds the scope's conditions. Synchronous, so a find's future holds the
/// statement and never a builder.
fn find_statement<M: ModelDef>(orm: &Orm, id: Value) -> Result<Statement> {
    if any_in_force::<M>(&Lifted::None) {
        return Ok(QueryBuilder::<M>::new().find_statement(orm, id)?.0);
    }
    check_key::<M>(&id)?;
    key_lookup::<M>(orm, Trashed::Exclude, &id)
}

/// `M::find(id)`.
pub(crate) async fn find<M: ModelDef>(id: Value) -> Result<Option<Instance<M>>> {
    let orm = Orm::current_for::<M>()?;
    let statement = find_statement::<M>(&orm, id)?;
    QueryBuilder::<M>::run_first(&orm, statement, EagerLoads::default()).await
}

/// `M::find_as::<T>(id)`.
pub(crate) async fn find_as<M: ModelDef, T: DeserializeOwned + MaybeSend>(
    id: Value,
) -> Result<Option<T>> {
    let orm = Orm::current_for::<M>()?;
    let statement = find_statement::<M>(&orm, id)?;
    let rows = super::typed::read::<M, T>(&orm, &statement).await?;
    Ok(super::typed::first_of(rows))
}
