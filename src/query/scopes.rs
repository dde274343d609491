//! Model scopes: the conditions every query of a model carries, ANDed outside the
//! caller's conditions — the tenant (`"t"."org_id" = ?` while a tenant is active and
//! this model isn't bypassed) and soft deletes. Builders, instance writes, relation
//! loads and eager loads all take their scopes from here, so a scope applies on every
//! path or on none.

use std::any::TypeId;

use crate::error::Result;
use crate::model::{ModelDef, Schema, DELETED_AT};
use crate::orm::Orm;
use crate::query::ast::{Condition, Ident, Operator};
use crate::value::SqlValue;

/// Which soft-deleted rows a query sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trashed {
    /// Only rows that are not soft-deleted (the default).
    #[default]
    Exclude,
    /// All rows (`with_trashed`).
    With,
    /// Only soft-deleted rows (`only_trashed`).
    Only,
}

/// The scope conditions of model `M` in `orm`'s request. A scope column that is not a
/// valid name is an error, never a missing condition.
pub(crate) fn model_scopes<M: ModelDef>(orm: &Orm, trashed: Trashed) -> Result<Vec<Condition>> {
    Ok(model_scopes_shaped::<M>(orm, trashed)?.0)
}

/// Which of a model's scopes apply. For one model type this is all the SQL text of
/// its scope conditions depends on (their columns are the model's consts; the tenant
/// id is a bound value), so it keys cached statement text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct ScopeShape {
    tenant: bool,
    /// `Some(negated)` when the soft-delete condition applies.
    deleted: Option<bool>,
}

/// [`model_scopes`] and their [`ScopeShape`].
pub(crate) fn model_scopes_shaped<M: ModelDef>(
    orm: &Orm,
    trashed: Trashed,
) -> Result<(Vec<Condition>, ScopeShape)> {
    model_scopes_in(orm, TypeId::of::<M>(), Schema::of::<M>(), trashed)
}

/// [`model_scopes`] of the model with `TypeId` `model` and `schema` (one copy for
/// every model, for type-erased callers).
pub(crate) fn model_scopes_of(
    orm: &Orm,
    model: TypeId,
    schema: Schema,
    trashed: Trashed,
) -> Result<Vec<Condition>> {
    Ok(model_scopes_in(orm, model, schema, trashed)?.0)
}

/// The body of [`model_scopes_shaped`], shared by every model type.
pub(crate) fn model_scopes_in(
    orm: &Orm,
    model: TypeId,
    schema: Schema,
    trashed: Trashed,
) -> Result<(Vec<Condition>, ScopeShape)> {
    let mut scopes = Vec::new();
    let mut shape = ScopeShape::default();
    if let Some((column, org_id)) = tenant_in(orm, model, schema.tenant_column) {
        scopes.push(Condition::Compare {
            column: Ident::qualified_static(schema.table, column)?,
            op: Operator::Eq,
            value: SqlValue::Text(org_id),
        });
        shape.tenant = true;
    }
    if schema.soft_deletes && trashed != Trashed::With {
        let column = Ident::qualified_static(schema.table, DELETED_AT)?;
        let negated = trashed == Trashed::Only;
        scopes.push(Condition::Null { column, negated });
        shape.deleted = Some(negated);
    }
    Ok((scopes, shape))
}

/// The scope conditions of model `R` joined to another model's query: its tenant
/// only (as in Laravel, a join does not hide the joined table's soft-deleted rows).
/// `R`'s declaration is checked first, as any model's at its first query.
pub(crate) fn join_scopes<R: ModelDef>(orm: &Orm) -> Result<Vec<Condition>> {
    crate::model::check_model::<R>()?;
    Ok(model_scopes_in(orm, TypeId::of::<R>(), Schema::of::<R>(), Trashed::With)?.0)
}

/// `(tenant column, org id)` when model `M` is tenant-scoped in `orm`'s request right
/// now: it has a tenant column, a tenant is active, and neither the whole context nor
/// this model is bypassed.
pub(crate) fn tenant_of<M: ModelDef>(orm: &Orm) -> Option<(&'static str, String)> {
    tenant_in(orm, TypeId::of::<M>(), M::TENANT_COLUMN)
}

/// The body of [`tenant_of`], shared by every model type.
fn tenant_in(
    orm: &Orm,
    model: TypeId,
    column: Option<&'static str>,
) -> Option<(&'static str, String)> {
    let column = column?;
    if orm.is_bypassed(model) {
        return None;
    }
    orm.tenant().active_org_id().map(|id| (column, id))
}
