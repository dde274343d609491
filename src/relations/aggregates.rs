//! Relation aggregates loaded onto records already fetched (Laravel `loadCount`,
//! `loadExists`, `loadSum` / `loadAvg` / `loadMin` / `loadMax`): one statement — the
//! records' keys and a correlated subquery per aggregate, the same SQL as
//! [`with_count`](crate::QueryBuilder::with_count) — whose values are set on the
//! records as clean attributes (`posts_count`), so a later `save` does not write them.
//!
//! The statement reads the records by primary key without the model's global scopes and
//! with soft-deleted rows (as Laravel's `newModelQuery`), so a record fetched with a scope
//! lifted still gets its count; the tenant scope stays, and the related model's scopes
//! apply inside every subquery. Records without a key get nothing, and when no record has
//! one no statement is sent (the names are still checked). This module builds the query
//! with the builder; it writes no SQL.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Result;
use crate::model::{Instance, ModelDef};
use crate::query::QueryBuilder;
use crate::relations::fetched::dict_key;

/// Load the relation aggregates `add` asks for (with `with_count`, `with_exists`,
/// `with_sum`, ... on the builder it is handed) onto `records`, in one statement. Any
/// other clause on that builder is [`OrmError::InvalidQuery`](crate::OrmError) before
/// any SQL.
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// # struct User; impl ModelDef for User {}
/// # async fn f(mut users: Vec<Instance<User>>) -> roost_orm::Result<()> {
/// roost_orm::relations::load_aggregates(&mut users, |q| {
///     q.with_count(["posts"]).with_max("posts", "views")
/// })
/// .await?;
/// let n: i64 = users[0].get_as("posts_count")?;
/// # Ok(()) }
/// ```
pub async fn load_aggregates<M: ModelDef>(
    records: &mut [Instance<M>],
    add: impl FnOnce(QueryBuilder<M>) -> QueryBuilder<M>,
) -> Result<()> {
    let key = M::PRIMARY_KEY;
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<Value> = (records.iter())
        .filter_map(|r| r.get(key))
        .filter(|v| dict_key(v).is_some_and(|k| seen.insert(k)))
        .cloned()
        .collect();
    let query = add(QueryBuilder::<M>::new()).into_key_aggregates(keys.clone())?;
    if keys.is_empty() {
        // Nothing to read, but a misspelt relation is still an error.
        return query.to_statement().map(drop);
    }
    let mut by_key: HashMap<String, Instance<M>> = HashMap::new();
    for row in query.all().await? {
        if let Some(k) = row.get(key).and_then(dict_key) {
            by_key.insert(k, row);
        }
    }
    for record in records.iter_mut() {
        let Some(row) = record
            .get(key)
            .and_then(dict_key)
            .and_then(|k| by_key.get(&k))
        else {
            continue;
        };
        for (name, value) in row.attributes.iter().filter(|(name, _)| *name != key) {
            record.attributes.store_value(name, value.clone());
        }
    }
    Ok(())
}

/// [`load_aggregates`] with `with_count(relations)`: each relation's number of
/// related records as `{relation}_count` (Laravel `$collection->loadCount(...)`).
pub async fn load_count<M, I, S>(records: &mut [Instance<M>], relations: I) -> Result<()>
where
    M: ModelDef,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    load_aggregates(records, |q| q.with_count(relations)).await
}

/// [`load_aggregates`] with `with_exists(relations)`: `{relation}_exists` booleans
/// (Laravel `loadExists`).
pub async fn load_exists<M, I, S>(records: &mut [Instance<M>], relations: I) -> Result<()>
where
    M: ModelDef,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    load_aggregates(records, |q| q.with_exists(relations)).await
}

impl<M: ModelDef> Instance<M> {
    /// Load each relation's number of related records onto this record as
    /// `{relation}_count` (Laravel `$model->loadCount(['posts', 'comments as total'])`);
    /// one statement.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct User; impl ModelDef for User {}
    /// # async fn f(mut user: Instance<User>) -> roost_orm::Result<()> {
    /// user.load_count(["posts"]).await?;
    /// let n: i64 = user.get_as("posts_count")?;
    /// # Ok(()) }
    /// ```
    pub async fn load_count<I, S>(&mut self, relations: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        load_count(std::slice::from_mut(self), relations).await?;
        Ok(self)
    }

    /// Load whether each relation has records, as `{relation}_exists` (Laravel
    /// `loadExists`).
    pub async fn load_exists<I, S>(&mut self, relations: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        load_exists(std::slice::from_mut(self), relations).await?;
        Ok(self)
    }

    /// Load the relation aggregates `add` asks for (Laravel `loadAggregate`,
    /// `loadSum`, ...): `user.load_aggregates(|q| q.with_sum("posts", "views"))`.
    pub async fn load_aggregates(
        &mut self,
        add: impl FnOnce(QueryBuilder<M>) -> QueryBuilder<M>,
    ) -> Result<&mut Self> {
        load_aggregates(std::slice::from_mut(self), add).await?;
        Ok(self)
    }
}
