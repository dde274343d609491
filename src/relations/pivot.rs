//! Pivot writes of a [`BelongsToManyRelation`]: `attach`, `detach`, `sync`,
//! `sync_without_detaching`, `toggle`, `update_existing_pivot`.
//!
//! Any number of ids binds as one JSON-array parameter (`json_each`), so each write is
//! one statement whatever the list's length (D1 allows 100 bound parameters). `sync` is
//! one atomic batch (one round trip): delete the pairs not in the list, insert the
//! missing ones, and report both through `RETURNING`. `toggle` reads which pairs exist
//! first (as Laravel does), then writes both ways in one atomic batch.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::{
    bind_value, bind_values, now_timestamp, Instance, IntoAttributes, ModelDef, CREATED_AT,
    UPDATED_AT,
};
use crate::orm::Orm;
use crate::query::ast::{Condition, Ident, Operator, Select};
use crate::query::compiler;
use crate::relations::belongs_to_many::{BelongsToManyRelation, Resolved};
use crate::relations::fetched::dict_key;
use crate::value::SqlValue;

/// What [`BelongsToManyRelation::sync`] (or `toggle`, `sync_without_detaching`)
/// changed (Laravel's `sync()` result).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncChanges {
    /// Related keys newly paired with the parent.
    pub attached: Vec<Value>,
    /// Related keys no longer paired with the parent.
    pub detached: Vec<Value>,
}

/// Distinct non-NULL keys, in first-seen order.
pub(crate) fn key_list<I, V>(ids: I) -> Vec<Value>
where
    I: IntoIterator<Item = V>,
    V: Into<Value>,
{
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .map(Into::into)
        .filter(|v| dict_key(v).is_some_and(|k| seen.insert(k)))
        .collect()
}

/// The first column of every row (what `RETURNING key` gave back).
/// What a [`sync`](BelongsToManyRelation::sync) changed, from the results of its
/// statements: the keys the DELETE returned, then those the INSERT (if any) did.
pub(crate) fn sync_changes(results: Vec<QueryResult>) -> Result<SyncChanges> {
    let mut results = results.into_iter();
    let detached = results.next().map(returned).unwrap_or_default();
    let attached = results.next().map(returned).unwrap_or_default();
    Ok(SyncChanges { attached, detached })
}

fn returned(result: QueryResult) -> Vec<Value> {
    result
        .into_rows()
        .filter_map(|row| row.into_iter().next())
        .collect()
}

/// The parent's key: the value the pivot's foreign key holds, bound by the rule of
/// the parent's key column.
fn parent_value<P: ModelDef>(parent: &Instance<P>, names: &Resolved) -> Result<SqlValue> {
    let value = parent
        .get(names.parent_key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| OrmError::MissingPrimaryKey {
            model: P::model_name(),
            key: names.parent_key,
        })?;
    bind_value::<P>(&Ident::parse_static(names.parent_key)?, value)
}

/// Related keys bound by the rule of the related model's key column.
fn bound_ids<R: ModelDef>(names: &Resolved, ids: &[Value]) -> Result<Vec<SqlValue>> {
    bind_values::<R>(&Ident::parse_static(names.related_key)?, ids)
}

/// The pivot columns naming the parent: `foreign_pivot_key = parent`, and for a
/// polymorphic pivot `type_column = morph name`.
fn owner_columns(names: &Resolved, parent: SqlValue) -> Vec<(Ident, SqlValue)> {
    let mut owner = vec![(names.foreign_pivot_key.clone(), parent)];
    if let Some((column, name)) = &names.morph {
        owner.push((column.clone(), SqlValue::Text(name.to_string())));
    }
    owner
}

/// The pivot rows of the parent: `foreign_pivot_key = parent` (and the morph type).
fn owned_by(names: &Resolved, parent: SqlValue) -> Condition {
    let mut terms = owner_columns(names, parent)
        .into_iter()
        .map(|(column, value)| Condition::Compare {
            column,
            op: Operator::Eq,
            value,
        });
    match (terms.next(), names.morph.is_some()) {
        (Some(only), false) => only,
        (first, _) => Condition::Group(
            first
                .into_iter()
                .chain(terms)
                .map(|condition| crate::query::ast::Where {
                    boolean: crate::query::ast::Boolean::And,
                    condition,
                })
                .collect(),
        ),
    }
}

/// Extra pivot columns to write on new rows: the caller's, plus both timestamps when the
/// relation has them.
fn extra_columns(
    names: &Resolved,
    attributes: crate::model::Attributes,
) -> Result<Vec<(Ident, SqlValue)>> {
    pivot_columns(names, attributes, &[CREATED_AT, UPDATED_AT])
}

/// The caller's pivot columns, plus the `stamps` timestamps (those the caller didn't
/// set) when the relation has timestamps.
fn pivot_columns(
    names: &Resolved,
    attributes: crate::model::Attributes,
    stamps: &[&str],
) -> Result<Vec<(Ident, SqlValue)>> {
    let mut extra = Vec::with_capacity(attributes.len() + stamps.len());
    for name in stamps {
        if names.timestamps && !attributes.contains_key(*name) {
            extra.push((Ident::parse(name)?, SqlValue::Text(now_timestamp())));
        }
    }
    for (name, value) in &attributes {
        let column = Ident::parse(name)?;
        if column.parts().0.is_some() {
            return Err(OrmError::InvalidIdentifier(name.clone()));
        }
        extra.push((column, SqlValue::from_json(value)?));
    }
    Ok(extra)
}

/// The insert of `(parent, id)` pivot rows for `ids` (skipping existing pairs when
/// `only_missing`), returning each inserted related key.
fn insert_pairs(
    names: &Resolved,
    parent: SqlValue,
    ids: &[SqlValue],
    extra: Vec<(Ident, SqlValue)>,
    only_missing: bool,
) -> crate::executor::Statement {
    compiler::pivot_insert(
        &names.pivot,
        &owner_columns(names, parent),
        &names.related_pivot_key,
        ids,
        extra,
        only_missing,
    )
}

impl<R: ModelDef> BelongsToManyRelation<R> {
    /// What every pivot write starts from: the request's `Orm`, the relation's names
    /// and the parent's key.
    fn start<P: ModelDef>(&self, parent: &Instance<P>) -> Result<(Orm, Resolved, SqlValue)> {
        let orm = Orm::current_for::<P>()?;
        crate::model::check_model::<R>()?;
        let names = self.resolve::<P>()?;
        let parent = parent_value(parent, &names)?;
        Ok((orm, names, parent))
    }

    /// Pair `ids` (related keys) with `parent` (Laravel `attach`): one pivot row each,
    /// in one statement. Returns the number of rows inserted. Pairs that already exist
    /// are inserted again unless the pivot has a unique key (as in Laravel; `sync`
    /// never duplicates).
    pub async fn attach<P, I, V>(&self, parent: &Instance<P>, ids: I) -> Result<u64>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.attach_with(parent, ids, crate::model::Attributes::new())
            .await
    }

    /// Like [`attach`](Self::attach), writing `attributes` (extra pivot columns) on
    /// every new pivot row.
    pub async fn attach_with<P, I, V>(
        &self,
        parent: &Instance<P>,
        ids: I,
        attributes: impl IntoAttributes,
    ) -> Result<u64>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let orm = Orm::current_for::<P>()?;
        match self.attach_statement(parent, key_list(ids), attributes.into_attributes()?)? {
            Some(statement) => Ok(orm.run(&statement).await?.len() as u64),
            None => Ok(0),
        }
    }

    /// The statement of [`attach_with`](Self::attach_with), not sent (`None` for no
    /// ids); its result has one row per pair inserted.
    pub(crate) fn attach_statement<P: ModelDef>(
        &self,
        parent: &Instance<P>,
        ids: Vec<Value>,
        attributes: crate::model::Attributes,
    ) -> Result<Option<Statement>> {
        let (_, names, parent) = self.start(parent)?;
        let extra = extra_columns(&names, attributes)?;
        let ids = bound_ids::<R>(&names, &ids)?;
        if ids.is_empty() {
            return Ok(None);
        }
        Ok(Some(insert_pairs(&names, parent, &ids, extra, false)))
    }

    /// Unpair `ids` from `parent` (Laravel `detach($ids)`): deletes their pivot rows in
    /// one statement and returns how many were deleted. The related rows stay.
    pub async fn detach<P, I, V>(&self, parent: &Instance<P>, ids: I) -> Result<u64>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let orm = Orm::current_for::<P>()?;
        match self.detach_statement(parent, Some(key_list(ids)))? {
            Some(statement) => Ok(orm.run(&statement).await?.changes),
            None => Ok(0),
        }
    }

    /// Unpair everything from `parent` (Laravel `detach()` with no ids).
    pub async fn detach_all<P: ModelDef>(&self, parent: &Instance<P>) -> Result<u64> {
        let orm = Orm::current_for::<P>()?;
        match self.detach_statement(parent, None)? {
            Some(statement) => Ok(orm.run(&statement).await?.changes),
            None => Ok(0),
        }
    }

    /// The DELETE of [`detach`](Self::detach) (`Some(ids)`; `None` when empty) or
    /// [`detach_all`](Self::detach_all) (`None`), not sent.
    pub(crate) fn detach_statement<P: ModelDef>(
        &self,
        parent: &Instance<P>,
        ids: Option<Vec<Value>>,
    ) -> Result<Option<Statement>> {
        let (_, names, parent) = self.start(parent)?;
        let mut conditions = vec![owned_by(&names, parent)];
        if let Some(ids) = ids {
            let ids = bound_ids::<R>(&names, &ids)?;
            if ids.is_empty() {
                return Ok(None);
            }
            conditions.push(Condition::In {
                column: names.related_pivot_key.clone(),
                values: ids,
                negated: false,
            });
        }
        Ok(Some(compiler::delete(&names.pivot, &conditions)))
    }

    /// Make `ids` exactly the related keys of `parent` (Laravel `sync`): pairs not in
    /// the list are detached, missing ones attached, existing ones left alone. One
    /// atomic batch, one round trip.
    pub async fn sync<P, I, V>(&self, parent: &Instance<P>, ids: I) -> Result<SyncChanges>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let orm = Orm::current_for::<P>()?;
        let statements = self.sync_statements(parent, key_list(ids))?;
        sync_changes(orm.batch(&statements).await?)
    }

    /// The statements of [`sync`](Self::sync), not sent: the DELETE of the other pairs,
    /// then (with ids) the INSERT of the missing ones; read by [`sync_changes`].
    pub(crate) fn sync_statements<P: ModelDef>(
        &self,
        parent: &Instance<P>,
        ids: Vec<Value>,
    ) -> Result<Vec<Statement>> {
        let (_, names, parent) = self.start(parent)?;
        let extra = extra_columns(&names, crate::model::Attributes::new())?;
        let ids = bound_ids::<R>(&names, &ids)?;
        let detach = compiler::delete_returning(
            &names.pivot,
            &[
                owned_by(&names, parent.clone()),
                Condition::In {
                    column: names.related_pivot_key.clone(),
                    values: ids.clone(),
                    negated: true,
                },
            ],
            std::slice::from_ref(&names.related_pivot_key),
        );
        let mut statements = vec![detach];
        if !ids.is_empty() {
            statements.push(insert_pairs(&names, parent, &ids, extra, true));
        }
        Ok(statements)
    }

    /// Attach the `ids` not yet paired with `parent` and leave every other pair alone
    /// (Laravel `syncWithoutDetaching`). One statement; `detached` is empty.
    pub async fn sync_without_detaching<P, I, V>(
        &self,
        parent: &Instance<P>,
        ids: I,
    ) -> Result<SyncChanges>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let (orm, names, parent) = self.start(parent)?;
        let extra = extra_columns(&names, crate::model::Attributes::new())?;
        let ids = bound_ids::<R>(&names, &key_list(ids))?;
        if ids.is_empty() {
            return Ok(SyncChanges::default());
        }
        let statement = insert_pairs(&names, parent, &ids, extra, true);
        Ok(SyncChanges {
            attached: returned(orm.run(&statement).await?),
            detached: Vec::new(),
        })
    }

    /// Flip each of `ids` (Laravel `toggle`): detach those paired with `parent`,
    /// attach the others. Two round trips, as in Laravel: one read of which pairs exist,
    /// then both writes in one atomic batch (a pair someone else attaches in between is
    /// left attached — the insert skips pairs that exist).
    pub async fn toggle<P, I, V>(&self, parent: &Instance<P>, ids: I) -> Result<SyncChanges>
    where
        P: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let (orm, names, parent) = self.start(parent)?;
        let extra = extra_columns(&names, crate::model::Attributes::new())?;
        let ids = key_list(ids);
        if ids.is_empty() {
            return Ok(SyncChanges::default());
        }
        let among_ids = |values: &[Value]| -> Result<Condition> {
            Ok(Condition::In {
                column: names.related_pivot_key.clone(),
                values: bound_ids::<R>(&names, values)?,
                negated: false,
            })
        };
        let mut read = Select::new(names.pivot.clone());
        read.scopes = vec![owned_by(&names, parent.clone()), among_ids(&ids)?];
        let result = orm.run(&compiler::select(&read)).await?;
        let column = result.column_index(names.related_pivot_key.as_str());
        let paired: HashSet<String> = result
            .iter_rows()
            .filter_map(|row| column.and_then(|i| row.get(i)).and_then(dict_key))
            .collect();
        let (detach, attach): (Vec<Value>, Vec<Value>) = ids
            .into_iter()
            .partition(|id| dict_key(id).is_some_and(|k| paired.contains(&k)));
        let mut statements = Vec::with_capacity(2);
        if !detach.is_empty() {
            statements.push(compiler::delete_returning(
                &names.pivot,
                &[owned_by(&names, parent.clone()), among_ids(&detach)?],
                std::slice::from_ref(&names.related_pivot_key),
            ));
        }
        if !attach.is_empty() {
            let attach = bound_ids::<R>(&names, &attach)?;
            statements.push(insert_pairs(&names, parent, &attach, extra, true));
        }
        let mut results = orm.batch(&statements).await?.into_iter();
        let detached = match detach.is_empty() {
            true => Vec::new(),
            false => results.next().map(returned).unwrap_or_default(),
        };
        let attached = results.next().map(returned).unwrap_or_default();
        Ok(SyncChanges { attached, detached })
    }

    /// Write `attributes` (extra pivot columns) on the pivot row pairing `parent` with
    /// `id` (Laravel `updateExistingPivot`), touching `updated_at` when the relation has
    /// pivot timestamps. Returns the number of rows updated: 0 when they are not paired.
    pub async fn update_existing_pivot<P: ModelDef>(
        &self,
        parent: &Instance<P>,
        id: impl Into<Value>,
        attributes: impl IntoAttributes,
    ) -> Result<u64> {
        let (orm, names, parent) = self.start(parent)?;
        let sets = pivot_columns(&names, attributes.into_attributes()?, &[UPDATED_AT])?;
        if sets.is_empty() {
            return Ok(0);
        }
        let id = id.into();
        let conditions = [
            owned_by(&names, parent),
            Condition::Compare {
                column: names.related_pivot_key.clone(),
                op: Operator::Eq,
                value: bind_value::<R>(&Ident::parse_static(names.related_key)?, &id)?,
            },
        ];
        let statement = compiler::update(&names.pivot, sets, &conditions);
        Ok(orm.run(&statement).await?.len() as u64)
    }
}
