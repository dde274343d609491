//! [`QueryBuilder<M>`]: the lazy, chainable query of the reference.
//!
//! Chain methods only record; nothing runs until a terminal (`first`, `first_or_fail`,
//! `all`, `count`, `paginate`, `cursor_paginate`, `find`). A bad argument (unknown
//! column or operator, bad direction) is remembered and returned by the terminal,
//! before any SQL is sent, so chains stay fluent without `?` at every step. This file holds the builder and its
//! chain methods; `terminals` runs it. SQL text comes from
//! [`compiler`](super::compiler).

mod aggregates;
mod by_key;
mod chunks;
mod columns;
mod conditions;
mod cursor;
mod has;
mod inserts;
mod joins;
mod ordering;
mod pages;
mod raw;
mod terminals;
mod typed;
mod with_aggregates;

pub(crate) use by_key::{find as find_by_key, find_as as find_as_by_key};

pub use cursor::CursorPage;
pub use joins::JoinClause;
pub use pages::SimplePage;

use std::marker::PhantomData;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::model::{bind_values, ModelDef};
use crate::query::ast::{
    Boolean, Condition, Direction, Group, Having, Ident, IntoDirection, IntoOperator, Operator,
    Order, Projection, Where,
};
use crate::query::global_scopes::Lifted;
use crate::query::scopes::Trashed;
use crate::relations::{Constraint, EagerLoads};

/// A query on model `M` (TS `QueryBuilder<T>`).
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// # struct Post; impl ModelDef for Post {}
/// # async fn f() -> roost_orm::Result<()> {
/// let drafts = Post::where_("status", "draft")
///     .or_where("status", "review")
///     .where_op("views", ">", 10)
///     .order_by("created_at", "desc")
///     .limit(20)
///     .all()
///     .await?;
/// # Ok(()) }
/// ```
pub struct QueryBuilder<M: ModelDef> {
    distinct: bool,
    columns: Vec<Projection>,
    filter: Vec<Where>,
    groups: Vec<Group>,
    having: Vec<Having>,
    orders: Vec<Order>,
    limit: Option<u64>,
    offset: Option<u64>,
    trashed: Trashed,
    lifted: Lifted,
    eager: EagerLoads,
    joins: Vec<joins::PendingJoin>,
    /// `with_count` / `with_exists` / `with_sum`…: resolved at the terminal.
    related_columns: Vec<with_aggregates::RelationColumn>,
    /// The first bad argument, boxed: it is rare, and the builder travels by value.
    error: Option<Box<OrmError>>,
    _model: PhantomData<fn() -> M>,
}

impl<M: ModelDef> Clone for QueryBuilder<M> {
    fn clone(&self) -> Self {
        QueryBuilder {
            distinct: self.distinct,
            columns: self.columns.clone(),
            filter: self.filter.clone(),
            groups: self.groups.clone(),
            having: self.having.clone(),
            orders: self.orders.clone(),
            limit: self.limit,
            offset: self.offset,
            trashed: self.trashed,
            lifted: self.lifted.clone(),
            eager: self.eager.clone(),
            joins: self.joins.clone(),
            related_columns: self.related_columns.clone(),
            error: self.error.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: ModelDef> std::fmt::Debug for QueryBuilder<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryBuilder")
            .field("model", &M::model_name())
            .field("distinct", &self.distinct)
            .field("columns", &self.columns)
            .field("filter", &self.filter)
            .field("groups", &self.groups)
            .field("having", &self.having)
            .field("orders", &self.orders)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .field("trashed", &self.trashed)
            .field("with", &self.eager)
            .field("joins", &self.joins)
            .field("error", &self.error)
            .finish()
    }
}

impl<M: ModelDef> Default for QueryBuilder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    /// An unconstrained query (`Model::query()`).
    pub fn new() -> Self {
        QueryBuilder {
            distinct: false,
            columns: Vec::new(),
            filter: Vec::new(),
            groups: Vec::new(),
            having: Vec::new(),
            orders: Vec::new(),
            limit: None,
            offset: None,
            trashed: Trashed::Exclude,
            lifted: Lifted::None,
            eager: EagerLoads::default(),
            joins: Vec::new(),
            related_columns: Vec::new(),
            error: None,
            _model: PhantomData,
        }
    }

    fn fail(&mut self, error: OrmError) {
        self.error.get_or_insert_with(|| Box::new(error));
    }

    fn column(&mut self, name: &str) -> Option<Ident> {
        match self.check_col(name) {
            Ok(ident) => Some(ident),
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    /// Make the caller's conditions one group when they hold an OR, so a condition the
    /// ORM adds next (a key for `find`, `find_many`, a chunk's key range) is ANDed with
    /// all of them: `(a OR b) AND id = ?`, never `a OR b AND id = ?`.
    pub(super) fn isolate_filter(mut self) -> Self {
        if self.filter.iter().any(|w| w.boolean == Boolean::Or) {
            let group = std::mem::take(&mut self.filter);
            self.push(Boolean::And, Condition::Group(group));
        }
        self
    }

    fn push(&mut self, boolean: Boolean, condition: Condition) {
        self.filter.push(Where { boolean, condition });
    }

    fn compare(
        mut self,
        boolean: Boolean,
        column: &str,
        op: Result<Operator>,
        value: Value,
    ) -> Self {
        let op = match op {
            Ok(op) => op,
            Err(e) => {
                self.fail(e);
                return self;
            }
        };
        let compare = self.check_col(column).and_then(|column| {
            let value = self.bind_col(&column, &value)?;
            Ok(Condition::Compare { column, op, value })
        });
        match compare {
            Ok(condition) => self.push(boolean, condition),
            Err(e) => self.fail(e),
        }
        self
    }

    /// `AND column = value` (TS `where(column, value)`).
    pub fn where_(self, column: &str, value: impl Into<Value>) -> Self {
        self.compare(Boolean::And, column, Ok(Operator::Eq), value.into())
    }

    /// `AND column op value` (TS `where(column, op, value)`); `op` is an [`Operator`] or
    /// one of `=`, `!=`, `>`, `<`, `>=`, `<=`, `like`.
    pub fn where_op(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare(Boolean::And, column, op.into_operator(), value.into())
    }

    /// `OR column = value` (TS `orWhere`). The caller's conditions form one group;
    /// scopes stay ANDed outside it.
    pub fn or_where(self, column: &str, value: impl Into<Value>) -> Self {
        self.compare(Boolean::Or, column, Ok(Operator::Eq), value.into())
    }

    /// `OR column op value` (beyond the reference, as in Laravel).
    pub fn or_where_op(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare(Boolean::Or, column, op.into_operator(), value.into())
    }

    fn in_list<I, V>(self, column: &str, values: I, negated: bool) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.in_list_with(Boolean::And, column, values, negated)
    }

    fn in_list_with<I, V>(
        mut self,
        boolean: Boolean,
        column: &str,
        values: I,
        negated: bool,
    ) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        if let Some(ident) = self.column(column) {
            let values: Vec<Value> = values.into_iter().map(Into::into).collect();
            match bind_values::<M>(&ident, &values) {
                Ok(values) => self.push(
                    boolean,
                    Condition::In {
                        column: ident,
                        values,
                        negated,
                    },
                ),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// `AND column IN (values)` (TS `whereIn`). Any number of values binds as one
    /// parameter; an empty list matches nothing.
    pub fn where_in<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.in_list(column, values, false)
    }

    /// `AND column NOT IN (values)`; an empty list matches everything.
    pub fn where_not_in<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.in_list(column, values, true)
    }

    fn group(mut self, boolean: Boolean, f: impl FnOnce(Self) -> Self) -> Self {
        // The group can name the joined tables' columns (only its conditions are kept).
        let mut fresh = Self::new();
        fresh.joins = self.joins.clone();
        let inner = f(fresh);
        if let Some(e) = inner.error {
            self.fail(*e);
        } else if !inner.filter.is_empty() {
            self.push(boolean, Condition::Group(inner.filter));
        }
        self
    }

    /// `AND ( ... )`: the conditions `f` adds, parenthesized (Laravel's
    /// `where(function ($q) { ... })`). Only `f`'s conditions are used.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// // status = 'published' AND (views > 100 OR featured = 1)
    /// Post::where_("status", "published")
    ///     .where_group(|q| q.where_op("views", ">", 100).or_where("featured", true))
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn where_group(self, f: impl FnOnce(Self) -> Self) -> Self {
        self.group(Boolean::And, f)
    }

    /// `OR ( ... )`: see [`where_group`](Self::where_group).
    pub fn or_where_group(self, f: impl FnOnce(Self) -> Self) -> Self {
        self.group(Boolean::Or, f)
    }

    fn null(mut self, column: &str, negated: bool) -> Self {
        if let Some(ident) = self.column(column) {
            self.push(
                Boolean::And,
                Condition::Null {
                    column: ident,
                    negated,
                },
            );
        }
        self
    }

    /// `AND column IS NULL` (TS `whereNull`).
    pub fn where_null(self, column: &str) -> Self {
        self.null(column, false)
    }

    /// `AND column IS NOT NULL` (TS `whereNotNull`).
    pub fn where_not_null(self, column: &str) -> Self {
        self.null(column, true)
    }

    /// `ORDER BY column direction` (TS `orderBy`); `"asc"` / `"desc"` or a
    /// [`Direction`]. Chain for several sort columns.
    pub fn order_by(mut self, column: &str, direction: impl IntoDirection) -> Self {
        match direction.into_direction() {
            Ok(direction) => match self.selected_aggregate(column) {
                // An aggregate this query selects (`select_count("total")`).
                Some((function, over)) => self
                    .orders
                    .push(Order::Aggregate(function, over, direction)),
                None => {
                    if let Some(ident) = self.column(column) {
                        self.orders.push(Order::Column(ident, direction));
                    }
                }
            },
            Err(e) => self.fail(e),
        }
        self
    }

    /// `ORDER BY column ASC` (TS `orderBy(column)` with the default direction).
    pub fn order_by_asc(self, column: &str) -> Self {
        self.order_by(column, Direction::Asc)
    }

    /// `ORDER BY column DESC`.
    pub fn order_by_desc(self, column: &str) -> Self {
        self.order_by(column, Direction::Desc)
    }

    /// `LIMIT n` (TS `limit`).
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// `OFFSET n` (TS `offset`).
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// Lift the global scope `name` for this query (Laravel `withoutGlobalScope`); a
    /// name the model doesn't declare is an error at the terminal. The tenant and
    /// soft-delete scopes are not global scopes (see `without_tenant_scope`,
    /// `with_trashed`).
    pub fn without_global_scope(mut self, name: &str) -> Self {
        self.lifted.add(name);
        self
    }

    /// Lift every global scope for this query (Laravel `withoutGlobalScopes`).
    pub fn without_global_scopes(mut self) -> Self {
        self.lifted = Lifted::All;
        self
    }

    /// The conditions a global scope's closure recorded (its errors first).
    pub(crate) fn into_filter(self) -> Result<Vec<Where>> {
        match self.error {
            Some(e) => Err(*e),
            None => Ok(self.filter),
        }
    }

    /// Include soft-deleted rows.
    pub fn with_trashed(mut self) -> Self {
        self.trashed = Trashed::With;
        self
    }

    /// Only soft-deleted rows (an error for a model without soft deletes).
    pub fn only_trashed(mut self) -> Self {
        if !M::SOFT_DELETES {
            self.fail(OrmError::NotSoftDeletable {
                model: M::model_name(),
            });
        }
        self.trashed = Trashed::Only;
        self
    }

    /// Eager-load relations by name (`"posts"`, `"posts.comments"`) when results are
    /// fetched (TS `with(...relations)`).
    pub fn with<I, S>(mut self, relations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.eager
            .names
            .extend(relations.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Eager-load relation `name` (a path like `"posts.comments"` works too) with
    /// conditions and order of your own on the related model's query (Eloquent's
    /// `with(['posts' => fn ($q) => ...])`). `R` is the related model; the closure
    /// gets its query and returns it with `where`s, groups, `order_by`,
    /// `with_trashed` / `only_trashed` and `limit` / `offset` added; `limit` and
    /// `offset` count **per parent** ("the latest 3 posts of each user", as in Laravel
    /// 11). Still one query per level for all parents. A constraint on another model
    /// than the relation loads, or one that uses `with`, is
    /// [`OrmError::InvalidConstraint`] at the terminal, before any query.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Comment; impl ModelDef for Comment {}
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let posts = Post::with(["author"])
    ///     .with_constraint("comments", |q: QueryBuilder<Comment>| {
    ///         q.where_("approved", true).order_by("created_at", "desc")
    ///     })
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_constraint<R: ModelDef>(
        mut self,
        name: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> Self {
        match constrain(QueryBuilder::new()).into_constraint(name) {
            Ok(constraint) => self
                .eager
                .constraints
                .push((name.to_string(), std::sync::Arc::new(constraint))),
            Err(e) => self.fail(e),
        }
        self
    }

    /// This builder's parts as a relation constraint (see
    /// [`with_constraint`](Self::with_constraint)).
    pub(crate) fn into_constraint(self, name: &str) -> Result<Constraint> {
        if let Some(e) = self.error {
            return Err(*e);
        }
        if !self.eager.is_empty() {
            return Err(OrmError::InvalidConstraint {
                relation: name.to_string(),
                reason:
                    "nested relations go in the name (\"posts.comments\"), not inside a constraint"
                        .to_string(),
            });
        }
        if self.distinct
            || !self.columns.is_empty()
            || !self.groups.is_empty()
            || !self.having.is_empty()
        {
            return Err(OrmError::InvalidConstraint {
                relation: name.to_string(),
                reason: "a constraint filters and orders the related rows; select, distinct, \
                         group_by and having don't apply to an eager load"
                    .to_string(),
            });
        }
        Constraint::new::<M>(
            self.filter,
            self.orders,
            self.trashed,
            self.lifted,
            (self.limit, self.offset),
        )
    }

    /// The relation names recorded by [`with`](Self::with).
    pub fn eager_loads(&self) -> &[String] {
        &self.eager.names
    }
}
