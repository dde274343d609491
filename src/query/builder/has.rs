//! Querying by relations on [`QueryBuilder`]: Laravel's `has` / `doesntHave` /
//! `whereHas` / `whereDoesntHave` / `whereRelation` and their `or` forms.
//!
//! Each records a deferred condition — the relation path and what to test — resolved at
//! the terminal against the request (the related models' tenant and scopes come from
//! it), into the correlated subquery built by
//! [`existence`](crate::relations) (`EXISTS` / `COUNT(*)`). Names are checked then, at
//! every depth, before any SQL. This module only records.

use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::Value;

use super::QueryBuilder;
use crate::error::Result;
use crate::model::ModelDef;
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Deferred, Operator, ResolveCondition, Where};
use crate::query::IntoOperator;
use crate::relations::{relation_condition, Test};
use crate::value::SqlValue;

/// A relation test of model `M`'s rows, resolved at the terminal.
struct RelationQuery<M> {
    path: String,
    test: Test,
    negated: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M: ModelDef> ResolveCondition for RelationQuery<M> {
    fn resolve(&self, orm: &Orm) -> Result<Condition> {
        let condition = relation_condition::<M>(orm, &self.path, &self.test)?;
        Ok(match (self.negated, condition) {
            (false, condition) => condition,
            (true, Condition::Exists { select, .. }) => Condition::Exists {
                select,
                negated: true,
            },
            (true, condition) => Condition::Not(vec![Where {
                boolean: Boolean::And,
                condition,
            }]),
        })
    }

    fn describe(&self) -> String {
        let not = if self.negated { "not " } else { "" };
        format!("{not}has {}", self.path)
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    fn relation_query(
        mut self,
        boolean: Boolean,
        path: &str,
        test: Result<Test>,
        negated: bool,
    ) -> Self {
        match test {
            Ok(test) => {
                let query = RelationQuery::<M> {
                    path: path.to_string(),
                    test,
                    negated,
                    _model: PhantomData,
                };
                self.push(boolean, Condition::Deferred(Deferred(Arc::new(query))));
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// `has(relation, op, n)`: `EXISTS` for `>= 1`, `NOT EXISTS` for `< 1`, else a
    /// `COUNT(*)` comparison (as Laravel does).
    fn count_test(op: Result<Operator>, count: i64) -> Result<(Test, bool)> {
        let op = op?;
        let test = |count| Test {
            constraint: None,
            column: None,
            count,
            aggregate: None,
        };
        Ok(match (op, count) {
            (Operator::Like | Operator::NotLike, _) => {
                return Err(crate::OrmError::InvalidOperator(format!(
                    "{} compares text; a relation count takes =, !=, <, <=, > or >=",
                    op.sql()
                )))
            }
            (Operator::Gte, 1) => (test(None), false),
            (Operator::Lt, 1) => (test(None), true),
            (op, n) => (test(Some((op, SqlValue::Integer(n)))), false),
        })
    }

    fn has_with(self, boolean: Boolean, relation: &str, op: Result<Operator>, count: i64) -> Self {
        match Self::count_test(op, count) {
            Ok((test, negated)) => self.relation_query(boolean, relation, Ok(test), negated),
            Err(e) => self.relation_query(boolean, relation, Err(e), false),
        }
    }

    /// Records with at least/most/exactly `count` related records (Laravel
    /// `has('posts', '>=', 3)`); `relation` may be a nested path (`"posts.comments"`:
    /// posts having such comments). The related models' scopes apply inside the
    /// subquery: a tenant's query never counts another tenant's rows.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct User; impl ModelDef for User {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let authors = User::query().has("posts", ">=", 3).all().await?;
    /// let commented = User::query().has("posts.comments", ">=", 1).all().await?;
    /// # Ok(()) }
    /// ```
    pub fn has(self, relation: &str, op: impl IntoOperator, count: i64) -> Self {
        self.has_with(Boolean::And, relation, op.into_operator(), count)
    }

    /// `OR` [`has`](Self::has) (Laravel `orHas`).
    pub fn or_has(self, relation: &str, op: impl IntoOperator, count: i64) -> Self {
        self.has_with(Boolean::Or, relation, op.into_operator(), count)
    }

    /// Records without any related record (Laravel `doesntHave`): `NOT EXISTS`.
    pub fn doesnt_have(self, relation: &str) -> Self {
        self.has_with(Boolean::And, relation, Ok(Operator::Lt), 1)
    }

    /// `OR` [`doesnt_have`](Self::doesnt_have) (Laravel `orDoesntHave`).
    pub fn or_doesnt_have(self, relation: &str) -> Self {
        self.has_with(Boolean::Or, relation, Ok(Operator::Lt), 1)
    }

    fn constrained<R: ModelDef>(
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
        count: Option<(Operator, SqlValue)>,
    ) -> Result<Test> {
        Ok(Test {
            constraint: Some(constrain(QueryBuilder::new()).into_constraint(relation)?),
            column: None,
            count,
            aggregate: None,
        })
    }

    /// Records with a related record matching `constrain` (Laravel `whereHas`); for a
    /// nested path the constraint is on the last model. The constraint's model must be
    /// the relation's ([`OrmError::InvalidConstraint`](crate::OrmError::InvalidConstraint)
    /// otherwise); it takes conditions (a `where_has` of its own too), not order or
    /// limit.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Comment; impl ModelDef for Comment {}
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let discussed = Post::query()
    ///     .where_has("comments", |q: QueryBuilder<Comment>| q.where_("approved", true))
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn where_has<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        let test = Self::constrained(relation, constrain, None);
        self.relation_query(Boolean::And, relation, test, false)
    }

    /// `OR` [`where_has`](Self::where_has) (Laravel `orWhereHas`).
    pub fn or_where_has<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        let test = Self::constrained(relation, constrain, None);
        self.relation_query(Boolean::Or, relation, test, false)
    }

    /// Records with no related record matching `constrain` (Laravel `whereDoesntHave`).
    pub fn where_doesnt_have<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        let test = Self::constrained(relation, constrain, None);
        self.relation_query(Boolean::And, relation, test, true)
    }

    /// `OR` [`where_doesnt_have`](Self::where_doesnt_have) (Laravel `orWhereDoesntHave`).
    pub fn or_where_doesnt_have<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        let test = Self::constrained(relation, constrain, None);
        self.relation_query(Boolean::Or, relation, test, true)
    }

    /// Records whose related records matching `constrain` number `op count` (Laravel
    /// `whereHas('comments', fn, '>=', 3)`).
    pub fn where_has_count<R: ModelDef>(
        self,
        relation: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
        op: impl IntoOperator,
        count: i64,
    ) -> Self {
        let test = match Self::count_test(op.into_operator(), count) {
            Ok((Test { count: None, .. }, negated)) => {
                // `>= 1` / `< 1`: existence, as for `has`.
                let test = Self::constrained(relation, constrain, None);
                return self.relation_query(Boolean::And, relation, test, negated);
            }
            Ok((Test { count, .. }, _)) => Self::constrained(relation, constrain, count),
            Err(e) => Err(e),
        };
        self.relation_query(Boolean::And, relation, test, false)
    }

    fn relation_column(
        self,
        boolean: Boolean,
        relation: &str,
        column: &str,
        op: Result<Operator>,
        value: Value,
    ) -> Self {
        let test = op.map(|op| Test {
            constraint: None,
            column: Some((column.to_string(), op, value)),
            count: None,
            aggregate: None,
        });
        self.relation_query(boolean, relation, test, false)
    }

    /// Records with a related record whose `column op value` (Laravel
    /// `whereRelation('comments', 'approved', '=', true)`); the column is checked against
    /// the related model's columns and the value bound by its rule.
    pub fn where_relation(
        self,
        relation: &str,
        column: &str,
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        self.relation_column(
            Boolean::And,
            relation,
            column,
            op.into_operator(),
            value.into(),
        )
    }

    /// `OR` [`where_relation`](Self::where_relation) (Laravel `orWhereRelation`).
    pub fn or_where_relation(
        self,
        relation: &str,
        column: &str,
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        self.relation_column(
            Boolean::Or,
            relation,
            column,
            op.into_operator(),
            value.into(),
        )
    }
}
