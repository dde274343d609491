//! Aggregates of relations as columns of the parent rows (Laravel `withCount`,
//! `withExists`, `withSum` / `withAvg` / `withMin` / `withMax`): one correlated subquery
//! per relation in the SELECT list of the parent query — one statement with the parent
//! query, the related model's scopes inside — under Laravel's names (`posts_count`,
//! `posts_exists`, `posts_sum_views`) or `"posts as total"`'s alias. Recorded here,
//! resolved at the terminal against the request (see [`has`](super::has)).

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{Aggregate, Condition, Ident, Projection, Select};
use crate::relations::{relation_condition, Test};

/// One relation aggregate a query asked for.
#[derive(Debug, Clone)]
pub(crate) struct RelationColumn {
    relation: String,
    alias: String,
    /// `None`: `EXISTS`.
    function: Option<Aggregate>,
    test: Test,
}

/// `"posts"` or `"posts as total"` → (relation, alias or `None`).
fn split_alias(name: &str) -> (&str, Option<&str>) {
    let lower = name.to_ascii_lowercase();
    match lower.find(" as ") {
        Some(i) => (name[..i].trim(), Some(name[i + 4..].trim())),
        None => (name.trim(), None),
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    fn add_related(
        mut self,
        name: &str,
        function: Option<Aggregate>,
        column: Option<&str>,
        constraint: Option<Result<crate::relations::Constraint>>,
    ) -> Self {
        let (relation, alias) = split_alias(name);
        let alias = match alias {
            Some(alias) => alias.to_string(),
            None => {
                let base = relation.replace('.', "_");
                match (function, column) {
                    (None, _) => format!("{base}_exists"),
                    (Some(Aggregate::Count), None) => format!("{base}_count"),
                    (Some(f), Some(c)) => format!("{base}_{}_{c}", f.sql().to_ascii_lowercase()),
                    (Some(f), None) => format!("{base}_{}", f.sql().to_ascii_lowercase()),
                }
            }
        };
        let constraint = match constraint.transpose() {
            Ok(c) => c,
            Err(e) => {
                self.fail(e);
                return self;
            }
        };
        if relation.contains('.') {
            self.fail(OrmError::InvalidConstraint {
                relation: relation.to_string(),
                reason: "a relation aggregate takes one relation of this model, not a nested path"
                    .to_string(),
            });
            return self;
        }
        self.related_columns.push(RelationColumn {
            relation: relation.to_string(),
            alias,
            function,
            test: Test {
                constraint,
                column: None,
                count: None,
                aggregate: column.map(str::to_string),
            },
        });
        self
    }

    /// Each relation's number of related records as a `{relation}_count` column
    /// (Laravel `withCount(['posts', 'comments as total'])`), in the same statement;
    /// the related model's scopes apply.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct User; impl ModelDef for User {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let users = User::query().with_count(["posts"]).all().await?;
    /// let n: i64 = users[0].get_as("posts_count")?;
    /// # Ok(()) }
    /// ```
    pub fn with_count<I, S>(mut self, relations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in relations {
            self = self.add_related(name.as_ref(), Some(Aggregate::Count), None, None);
        }
        self
    }

    /// [`with_count`](Self::with_count) of the related records matching `constrain`
    /// (Laravel `withCount(['posts' => fn ($q) => ...])`); `"posts as published"` names
    /// the column.
    pub fn with_count_where<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        let name = split_alias(relation).0.to_string();
        let constraint = constrain(QueryBuilder::new()).into_constraint(&name);
        self.add_related(relation, Some(Aggregate::Count), None, Some(constraint))
    }

    /// Whether each row has related records, as a boolean `{relation}_exists` column
    /// (Laravel `withExists`). Typed reads get it as `0` / `1`.
    pub fn with_exists<I, S>(mut self, relations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in relations {
            self = self.add_related(name.as_ref(), None, None, None);
        }
        self
    }

    /// The sum of `column` over each row's related records, as
    /// `{relation}_sum_{column}` (Laravel `withSum('posts', 'views')`); NULL without
    /// related records, as in SQL and Laravel.
    pub fn with_sum(self, relation: &str, column: &str) -> Self {
        self.add_related(relation, Some(Aggregate::Sum), Some(column), None)
    }

    /// The average, as `{relation}_avg_{column}` (Laravel `withAvg`).
    pub fn with_avg(self, relation: &str, column: &str) -> Self {
        self.add_related(relation, Some(Aggregate::Avg), Some(column), None)
    }

    /// The smallest value, as `{relation}_min_{column}` (Laravel `withMin`).
    pub fn with_min(self, relation: &str, column: &str) -> Self {
        self.add_related(relation, Some(Aggregate::Min), Some(column), None)
    }

    /// The largest value, as `{relation}_max_{column}` (Laravel `withMax`).
    pub fn with_max(self, relation: &str, column: &str) -> Self {
        self.add_related(relation, Some(Aggregate::Max), Some(column), None)
    }

    /// The query `load_aggregates` sends: the rows of `keys` (without the model's
    /// global scopes, with soft-deleted rows), their primary key and the aggregates this
    /// builder recorded. Anything else recorded on it (a filter, columns, an order, ...)
    /// is an error, since it would be dropped or would widen the read.
    pub(crate) fn into_key_aggregates(self, keys: Vec<Value>) -> Result<Self> {
        if let Some(e) = self.error {
            return Err(*e);
        }
        let extra = self.distinct
            || !self.columns.is_empty()
            || !self.filter.is_empty()
            || !self.groups.is_empty()
            || !self.having.is_empty()
            || !self.orders.is_empty()
            || self.limit.is_some()
            || self.offset.is_some()
            || !self.eager.is_empty()
            || !self.joins.is_empty();
        if extra {
            return Err(OrmError::InvalidQuery(
                "load_aggregates takes relation aggregates only (with_count, with_exists, \
                 with_sum, ...), not other clauses"
                    .to_string(),
            ));
        }
        let key = M::PRIMARY_KEY;
        let mut query = Self::new()
            .without_global_scopes()
            .with_trashed()
            .select([key])
            .where_in(key, keys);
        query.related_columns = self.related_columns;
        Ok(query)
    }

    /// Add the recorded relation aggregates to `select`'s SELECT list (after the
    /// model's columns: `"t".*` when none were chosen).
    pub(super) fn resolve_related_columns(&self, orm: &Orm, select: &mut Select) -> Result<()> {
        if self.related_columns.is_empty() {
            return Ok(());
        }
        related_columns(&self.related_columns, relation_condition::<M>, orm, select)
    }

    /// The `with_exists` columns, which records read as booleans.
    pub(super) fn exists_columns(&self) -> Vec<String> {
        (self.related_columns.iter())
            .filter(|c| c.function.is_none())
            .map(|c| c.alias.clone())
            .collect()
    }
}

/// The body of `resolve_related_columns`, one copy for every model: `condition` is
/// the model's [`relation_condition`].
fn related_columns(
    columns: &[RelationColumn],
    condition: fn(&Orm, &str, &Test) -> Result<Condition>,
    orm: &Orm,
    select: &mut Select,
) -> Result<()> {
    if select.columns.is_empty() {
        select.columns.push(Projection::AllOf(select.table.clone()));
    }
    for related in columns {
        let alias = Ident::parse(&related.alias)?;
        if alias.parts().0.is_some() {
            return Err(OrmError::InvalidIdentifier(related.alias.clone()));
        }
        let subquery = match condition(orm, &related.relation, &related.test)? {
            Condition::Exists { select, .. } => select,
            // Without a count the condition is always EXISTS.
            _ => {
                return Err(OrmError::InvalidQuery(format!(
                    "relation aggregate {}: unexpected condition",
                    related.relation
                )))
            }
        };
        select.columns.push(Projection::Related {
            function: related.function,
            select: subquery,
            alias,
        });
    }
    Ok(())
}

/// `with_exists` columns as booleans on `records` (SQLite returns 0 / 1).
pub(super) fn as_booleans<M: ModelDef>(records: &mut [Instance<M>], columns: &[String]) {
    if columns.is_empty() {
        return;
    }
    for record in records {
        for column in columns {
            if let Some(flag) = record.get(column).and_then(Value::as_i64) {
                record
                    .attributes
                    .store_value(column, Value::Bool(flag != 0));
            }
        }
    }
}
