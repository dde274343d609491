//! Touching owners (Laravel's `$touches`): a model that lists a belongs-to relation in
//! [`ModelDef::TOUCHES`](crate::ModelDef::TOUCHES) bumps its owner's `updated_at`
//! whenever it is written — inserted, updated, deleted, force-deleted or restored.
//!
//! A [`TouchOwner`] is plain data a declared `BelongsTo` hands out, so the code that
//! builds the touch statement exists once, not once per relation type, and is only
//! reached for models that declare touches. The statement is the owner's mass update
//! of `updated_at` with the owner's scopes (tenant, soft deletes, global scopes): an
//! owner in another tenant, trashed or scoped away is never touched. Owners of several
//! written rows are touched by one statement per relation (`owner_key IN (...)`, one
//! JSON parameter). This module builds statements; it does not send them.

use std::any::TypeId;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::now_timestamp;
use crate::model::{Instance, ModelDef, Schema, UPDATED_AT};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Ident, Select, Where};
use crate::query::compiler;
use crate::query::global_scopes::Lifted;
use crate::query::scopes::{model_scopes_of, Trashed};
use crate::relations::fetched::{dict_key, keys_condition};
use crate::relations::relation_map;
use crate::runtime::BoxFuture;
use crate::value::SqlValue;

/// What touching the owner of a belongs-to needs, type-erased (opaque outside the
/// crate: it only travels through the sealed relation trait).
#[derive(Debug, Clone, Copy)]
pub struct TouchOwner {
    /// The child's column holding the owner's key.
    pub(crate) foreign_key: &'static str,
    /// The owner's column it holds.
    pub(crate) owner_key: &'static str,
    /// The owner model.
    pub(crate) owner: Schema,
    pub(crate) owner_type: TypeId,
    /// The owner's global scopes in force.
    pub(crate) global_scopes: fn(&Lifted) -> Result<Vec<Condition>>,
}

impl TouchOwner {
    /// The touch of the belongs-to `R` whose key is in `foreign_key`, owned by
    /// `owner_key` on `R`.
    pub(crate) fn of<R: ModelDef>(foreign_key: &'static str, owner_key: &'static str) -> Self {
        TouchOwner {
            foreign_key,
            owner_key,
            owner: Schema::of::<R>(),
            owner_type: TypeId::of::<R>(),
            global_scopes: crate::query::global_scopes::conditions::<R>,
        }
    }
}

/// The statements touching the owners of `children` for every relation `M` lists in
/// [`ModelDef::TOUCHES`] (none when it lists none), one per relation with an owner.
pub(crate) fn touch_statements<'a, M: ModelDef>(
    orm: &Orm,
    children: impl IntoIterator<Item = &'a Instance<M>>,
) -> Result<Vec<Statement>> {
    if M::TOUCHES.is_empty() {
        return Ok(Vec::new());
    }
    let map = relation_map::<M>();
    let children: Vec<&Instance<M>> = children.into_iter().collect();
    let mut statements = Vec::new();
    for name in M::TOUCHES {
        // The model check has made sure each name is a declared belongs-to.
        let Some(target) = map.touch_owner(name) else {
            return Err(crate::model::config::touches_fault::<M>(name));
        };
        let keys = children
            .iter()
            .filter_map(|child| child.get(target.foreign_key));
        if let Some(statement) = touch_statement(orm, &target, keys)? {
            statements.push(statement);
        }
    }
    Ok(statements)
}

/// `UPDATE owner SET updated_at = ? WHERE owner_key IN (keys) AND <owner's scopes>`, or
/// `None` when no key is set; one copy for every model.
#[inline(never)]
fn touch_statement<'a>(
    orm: &Orm,
    target: &TouchOwner,
    keys: impl Iterator<Item = &'a Value>,
) -> Result<Option<Statement>> {
    let owner = &target.owner;
    let column = owner.check_column(target.owner_key)?;
    let mut seen = std::collections::HashSet::new();
    let mut values = Vec::new();
    for key in keys {
        if dict_key(key).is_some_and(|k| seen.insert(k)) {
            values.push(owner.bind_value(&column, key)?);
        }
    }
    if values.is_empty() {
        return Ok(None);
    }
    let condition = keys_condition(column, values);
    let mut select = Select::new(Ident::parse_static(owner.table)?);
    select.filter.push(Where {
        boolean: Boolean::And,
        condition,
    });
    select.scopes = model_scopes_of(orm, target.owner_type, *owner, Trashed::Exclude)?;
    select
        .scopes
        .extend((target.global_scopes)(&Lifted::default())?);
    let key = Ident::parse_static(owner.primary_key)?;
    let stamp = (
        Ident::parse_static(UPDATED_AT)?,
        SqlValue::Text(now_timestamp()),
    );
    Ok(Some(compiler::update_matching(&select, &key, vec![stamp])))
}

/// Run `write`, an INSERT, with `touches` in the same batch: one round trip, atomic (an
/// INSERT stores its rows or fails the whole batch, so a touch never outlives a failed
/// write). The write's result. Boxed, and reached only for models with
/// [`ModelDef::TOUCHES`]: the callers of every other model stay as small as before.
pub(crate) fn insert_with_touches<'a>(
    orm: &'a Orm,
    write: &'a Statement,
    touches: Vec<Statement>,
) -> BoxFuture<'a, Result<QueryResult>> {
    Box::pin(async move {
        if touches.is_empty() {
            return orm.run(write).await;
        }
        let mut statements = Vec::with_capacity(1 + touches.len());
        statements.push(write.clone());
        statements.extend(touches);
        let mut results = orm.batch(&statements).await?.into_iter();
        results
            .next()
            .ok_or_else(|| OrmError::database("the batch returned no result for its write", ""))
    })
}

/// Send `touches` after an UPDATE or DELETE found its row: one round trip, none when
/// empty. Boxed, like [`insert_with_touches`].
pub(crate) fn send_touches(orm: &Orm, touches: Vec<Statement>) -> BoxFuture<'_, Result<()>> {
    Box::pin(async move {
        match touches.as_slice() {
            [] => Ok(()),
            [one] => orm.run(one).await.map(drop),
            many => orm.batch(many).await.map(drop),
        }
    })
}
