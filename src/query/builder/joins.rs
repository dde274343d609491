//! Joins on [`QueryBuilder`] (Laravel's `join`, `leftJoin`, `crossJoin`, `joinSub`,
//! `leftJoinSub`, with `on` / `orOn` / `where` on the join), and the one rule for the
//! column names of a joined query.
//!
//! A join names a *model*, not a bare table: `join::<User>(..)`. That is how the
//! joined table's tenant is known — a joined model that is tenant-scoped gets its
//! tenant condition in its `ON`, ANDed outside the caller's `on` conditions, so a
//! handler can't read another tenant's rows through a join. (Declare a two-line model
//! for a pivot table to join it.) A subquery join (`join_sub`) is a model query with all
//! its own scopes. The joined query still applies the model's own scopes and reads only
//! the model's table by default (`SELECT "posts".*`), so a joined `id` never clobbers
//! the model's.
//!
//! Names are checked as everywhere: a bare name is a column of the model; `table.col`
//! must name the model's table or a joined one (a declared model's known column), or
//! a subquery's alias (any column: a qualified unknown name is `no such column` in
//! SQLite, never a string). A name of a table joined later in the chain is checked
//! when the query runs, against the joins it ends with.

use std::sync::Arc;

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::model::Schema;
use crate::orm::Orm;
use crate::query::ast::{
    Boolean, Condition, Group, HavingTarget, Ident, Join, JoinKind, JoinSource, Order, Projection,
    Select, Where,
};
use crate::query::scopes::join_scopes;
use crate::query::IntoOperator;
use crate::runtime::{MaybeSend, MaybeSync};

/// A model query used as a join's subquery, compiled with its scopes at the terminal.
pub(crate) trait SubSelect: MaybeSend + MaybeSync {
    fn select(&self, orm: &Orm) -> Result<Select>;
}

impl<R: ModelDef> SubSelect for QueryBuilder<R> {
    fn select(&self, orm: &Orm) -> Result<Select> {
        crate::model::check_model::<R>()?;
        self.clone().take_select(orm)
    }
}

/// What a recorded join reads.
#[derive(Clone)]
enum Target {
    /// A model's table; its scope conditions come from the request at the terminal.
    Model(fn(&Orm) -> Result<Vec<Condition>>),
    /// A model query under an alias.
    Sub(Arc<dyn SubSelect>),
}

/// A join as the builder records it, resolved against the request at the terminal.
#[derive(Clone)]
pub(crate) struct PendingJoin {
    kind: JoinKind,
    target: Target,
    /// The name its columns are qualified by: the table, or the subquery's alias.
    name: Ident,
    /// The joined model's declaration (for its column names); `None` for a subquery.
    schema: Option<Schema>,
    on: Vec<Where>,
}

impl std::fmt::Debug for PendingJoin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Join")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("on", &self.on)
            .finish()
    }
}

impl PendingJoin {
    /// The AST join: the subquery compiled, the joined model's scopes added.
    pub(crate) fn resolve(&self, orm: &Orm) -> Result<Join> {
        let (source, scopes) = match &self.target {
            Target::Model(scopes) => (JoinSource::Table(self.name.clone()), scopes(orm)?),
            Target::Sub(sub) => (
                JoinSource::Sub(Box::new(sub.select(orm)?), self.name.clone()),
                Vec::new(),
            ),
        };
        Ok(Join {
            kind: self.kind,
            source,
            on: self.on.clone(),
            scopes,
        })
    }
}

/// The tables a joined query can name: the model's, then each join's.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    main: Schema,
    joined: Vec<(Ident, Option<Schema>)>,
}

impl Names {
    fn of<M: ModelDef>(joins: &[PendingJoin]) -> Names {
        Names::new(Schema::of::<M>(), joins)
    }

    /// Not generic, so every model shares one copy of the checks.
    fn new(main: Schema, joins: &[PendingJoin]) -> Names {
        Names {
            main,
            joined: joins.iter().map(|j| (j.name.clone(), j.schema)).collect(),
        }
    }

    fn joined(&self, table: &str) -> Option<&(Ident, Option<Schema>)> {
        self.joined.iter().find(|(name, _)| name.as_str() == table)
    }

    /// A name qualified by a table other than the model's: that table must be joined,
    /// and the column known to a joined model that declares its columns.
    fn verify(&self, ident: &Ident) -> Result<()> {
        let (Some(table), column) = ident.parts() else {
            return Ok(());
        };
        if table == self.main.table {
            return Ok(());
        }
        let unknown = || OrmError::UnknownColumn {
            model: self.main.model(),
            column: ident.to_string(),
        };
        match self.joined(table) {
            Some((_, Some(schema))) if !schema.is_known_column(column) => Err(unknown()),
            Some(_) => Ok(()),
            None => Err(unknown()),
        }
    }

    /// Every name the select qualifies by another table than the model's, verified
    /// against the joins as they finally are (see [`QueryBuilder::check_col`]).
    pub(crate) fn verify_select(&self, select: &Select) -> Result<()> {
        for item in &select.columns {
            match item {
                Projection::Column(c) => self.verify(c)?,
                Projection::Aggregate {
                    column: Some(c), ..
                } => self.verify(c)?,
                Projection::AllOf(table) => self.verify_table(table)?,
                // Its columns are the related model's, checked when it was built.
                Projection::Related { .. } => {}
                _ => {}
            }
        }
        self.verify_wheres(&select.filter)?;
        for order in &select.orders {
            match order {
                Order::Column(c, _) | Order::Aggregate(_, Some(c), _) => self.verify(c)?,
                _ => {}
            }
        }
        for group in &select.groups {
            if let Group::Column(c) = group {
                self.verify(c)?;
            }
        }
        for having in &select.having {
            match &having.target {
                HavingTarget::Column(c) | HavingTarget::Aggregate(_, Some(c)) => self.verify(c)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn verify_table(&self, table: &Ident) -> Result<()> {
        if table.as_str() == self.main.table || self.joined(table.as_str()).is_some() {
            return Ok(());
        }
        Err(OrmError::UnknownColumn {
            model: self.main.model(),
            column: format!("{table}.*"),
        })
    }

    fn verify_wheres(&self, wheres: &[Where]) -> Result<()> {
        wheres
            .iter()
            .try_for_each(|w| self.verify_condition(&w.condition))
    }

    fn verify_condition(&self, condition: &Condition) -> Result<()> {
        match condition {
            Condition::Compare { column, .. }
            | Condition::In { column, .. }
            | Condition::Null { column, .. }
            | Condition::Between { column, .. }
            | Condition::Glob { column, .. }
            | Condition::DatePart { column, .. } => self.verify(column),
            Condition::Columns { left, right, .. } => {
                self.verify(left)?;
                self.verify(right)
            }
            Condition::Group(wheres) | Condition::Not(wheres) => self.verify_wheres(wheres),
            // A relation's subquery names the related model's columns, checked when it
            // was built, and its parent's key.
            Condition::Raw(_)
            | Condition::Exists { .. }
            | Condition::CountOf { .. }
            | Condition::Deferred(_) => Ok(()),
        }
    }

    /// A column reference of the joined query (see the module docs).
    pub(crate) fn check(&self, name: &str) -> Result<Ident> {
        let ident = Ident::parse(name)?;
        match ident.parts() {
            (Some(table), column) if table != self.main.table => match self.joined(table) {
                Some((_, Some(schema))) => {
                    schema.check_column(column)?;
                    Ok(ident)
                }
                Some((_, None)) => Ok(ident),
                None => Err(OrmError::UnknownColumn {
                    model: self.main.model(),
                    column: name.to_string(),
                }),
            },
            _ => self.main.check_column(name),
        }
    }

    /// `value` bound for column `ident` by the rule of the model that declares it.
    pub(crate) fn bind(&self, ident: &Ident, value: &Value) -> Result<crate::SqlValue> {
        match ident.parts().0.and_then(|t| self.joined(t)) {
            Some((_, Some(schema))) => schema.bind_value(ident, value),
            _ => self.main.bind_value(ident, value),
        }
    }

    /// A new join's name, refused when it would be ambiguous.
    fn check_new(&self, name: &Ident) -> Result<()> {
        if name.as_str() == self.main.table || self.joined(name.as_str()).is_some() {
            return Err(OrmError::InvalidQuery(format!(
                "[{}] is already a table of this query; join it again under another \
                 name with join_sub",
                name
            )));
        }
        Ok(())
    }
}

/// The body of [`QueryBuilder::check_col`], shared by every model type.
fn check_col_in(main: Schema, joins: &[PendingJoin], name: &str) -> Result<Ident> {
    if let Some((table, _)) = name.split_once('.') {
        let joined = joins.iter().any(|j| j.name.as_str() == table);
        if table != main.table && !joined {
            return Ident::parse(name);
        }
    }
    if joins.is_empty() {
        return main.check_column(name);
    }
    Names::new(main, joins).check(name)
}

/// The `ON` of a join (Laravel's `JoinClause`): `on(a, op, b)` compares two columns,
/// `where_(c, v)` a column with a bound value; conditions are ANDed unless `or_`.
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// # struct Post; impl ModelDef for Post {}
/// # struct User; impl ModelDef for User {}
/// # async fn f() -> roost_orm::Result<()> {
/// let posts = Post::query()
///     .left_join_with::<User>(|j| {
///         j.on("users.id", "=", "posts.author_id")
///             .where_("users.active", true)
///     })
///     .all()
///     .await?;
/// # Ok(()) }
/// ```
pub struct JoinClause {
    names: Names,
    on: Vec<Where>,
    error: Option<OrmError>,
}

impl JoinClause {
    fn push(mut self, boolean: Boolean, condition: Result<Condition>) -> Self {
        match condition {
            Ok(condition) => self.on.push(Where { boolean, condition }),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    fn columns(self, boolean: Boolean, first: &str, op: impl IntoOperator, second: &str) -> Self {
        let condition = (|| {
            Ok(Condition::Columns {
                left: self.names.check(first)?,
                op: op.into_operator()?,
                right: self.names.check(second)?,
            })
        })();
        self.push(boolean, condition)
    }

    fn compare(self, boolean: Boolean, column: &str, op: impl IntoOperator, value: Value) -> Self {
        let condition = (|| {
            let column = self.names.check(column)?;
            let value = self.names.bind(&column, &value)?;
            Ok(Condition::Compare {
                column,
                op: op.into_operator()?,
                value,
            })
        })();
        self.push(boolean, condition)
    }

    /// `AND first op second`: two columns (Laravel `on`).
    pub fn on(self, first: &str, op: impl IntoOperator, second: &str) -> Self {
        self.columns(Boolean::And, first, op, second)
    }

    /// `OR first op second` (Laravel `orOn`).
    pub fn or_on(self, first: &str, op: impl IntoOperator, second: &str) -> Self {
        self.columns(Boolean::Or, first, op, second)
    }

    /// `AND column = value`, the value bound (Laravel `where` on a join).
    pub fn where_(self, column: &str, value: impl Into<Value>) -> Self {
        self.where_op(column, crate::query::Operator::Eq, value)
    }

    /// `AND column op value`.
    pub fn where_op(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare(Boolean::And, column, op, value.into())
    }

    /// `OR column = value`.
    pub fn or_where(self, column: &str, value: impl Into<Value>) -> Self {
        self.or_where_op(column, crate::query::Operator::Eq, value)
    }

    /// `OR column op value`.
    pub fn or_where_op(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare(Boolean::Or, column, op, value.into())
    }

    /// `AND column IS NULL`.
    pub fn where_null(self, column: &str) -> Self {
        let condition = self.names.check(column).map(|column| Condition::Null {
            column,
            negated: false,
        });
        self.push(Boolean::And, condition)
    }

    /// `AND column IS NOT NULL`.
    pub fn where_not_null(self, column: &str) -> Self {
        let condition = self.names.check(column).map(|column| Condition::Null {
            column,
            negated: true,
        });
        self.push(Boolean::And, condition)
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    /// A column reference of this query: the model's, or (after a join) a joined
    /// table's — see the module docs.
    ///
    /// A name qualified by a table that is not (yet) joined is kept, and checked at the
    /// terminal against the joins the query ends with ([`Names::verify_select`]), so
    /// `select(["users.name"])` may come before `join::<User>(..)`, as in Laravel.
    #[inline]
    pub(super) fn check_col(&self, name: &str) -> Result<Ident> {
        check_col_in(Schema::of::<M>(), &self.joins, name)
    }

    /// The check of [`check_col`](Self::check_col)'s deferred names, at the terminal.
    #[inline]
    pub(super) fn verify_names(&self, select: &Select) -> Result<()> {
        Names::new(Schema::of::<M>(), &self.joins).verify_select(select)
    }

    /// The model's table or a joined table's name (for `select(["t.*"])`).
    /// A table not joined yet is checked at the terminal, like a column.
    pub(super) fn check_table(&self, table: &str) -> Result<Ident> {
        match Ident::parse(table) {
            Ok(ident) if ident.parts().0.is_none() => Ok(ident),
            _ => Err(OrmError::UnknownColumn {
                model: M::model_name(),
                column: format!("{table}.*"),
            }),
        }
    }

    /// `value` bound for `column` by the rule of the model that declares it.
    #[inline]
    pub(super) fn bind_col(&self, column: &Ident, value: &Value) -> Result<crate::SqlValue> {
        Names::new(Schema::of::<M>(), &self.joins).bind(column, value)
    }

    /// The joins resolved for the request (subqueries compiled, tenants added).
    pub(super) fn resolve_joins(&self, orm: &Orm) -> Result<Vec<Join>> {
        self.joins.iter().map(|j| j.resolve(orm)).collect()
    }

    fn add_join(
        mut self,
        kind: JoinKind,
        target: Target,
        name: Result<Ident>,
        schema: Option<Schema>,
        on: impl FnOnce(JoinClause) -> JoinClause,
    ) -> Self {
        let names = Names::of::<M>(&self.joins);
        let name = match name.and_then(|n| names.check_new(&n).map(|()| n)) {
            Ok(name) => name,
            Err(e) => {
                self.fail(e);
                return self;
            }
        };
        let mut names = names;
        names.joined.push((name.clone(), schema));
        let clause = on(JoinClause {
            names,
            on: Vec::new(),
            error: None,
        });
        if let Some(e) = clause.error {
            self.fail(e);
            return self;
        }
        if kind != JoinKind::Cross && clause.on.is_empty() {
            self.fail(OrmError::InvalidQuery(format!(
                "a join of [{name}] needs at least one `on` condition (or use cross_join)"
            )));
            return self;
        }
        self.joins.push(PendingJoin {
            kind,
            target,
            name,
            schema,
            on: clause.on,
        });
        self
    }

    fn model_join<R: ModelDef>(
        self,
        kind: JoinKind,
        on: impl FnOnce(JoinClause) -> JoinClause,
    ) -> Self {
        let name = Ident::parse_static(crate::model::table_of::<R>());
        let target = Target::Model(join_scopes::<R>);
        self.add_join(kind, target, name, Some(Schema::of::<R>()), on)
    }

    /// `INNER JOIN` model `R`'s table `ON first op second` (Laravel `join`); `R`'s
    /// tenant condition, if it is tenant-scoped, is added to the `ON`.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # struct User; impl ModelDef for User {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let by_admins = Post::query()
    ///     .join::<User>("users.id", "=", "posts.author_id")
    ///     .where_("users.admin", true)
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn join<R: ModelDef>(self, first: &str, op: impl IntoOperator, second: &str) -> Self {
        self.model_join::<R>(JoinKind::Inner, |j| j.on(first, op, second))
    }

    /// `INNER JOIN` with the `ON` built by `on` (Laravel `join($table, function ($join)
    /// { ... })`).
    pub fn join_with<R: ModelDef>(self, on: impl FnOnce(JoinClause) -> JoinClause) -> Self {
        self.model_join::<R>(JoinKind::Inner, on)
    }

    /// `LEFT JOIN` model `R`'s table `ON first op second` (Laravel `leftJoin`).
    pub fn left_join<R: ModelDef>(self, first: &str, op: impl IntoOperator, second: &str) -> Self {
        self.model_join::<R>(JoinKind::Left, |j| j.on(first, op, second))
    }

    /// `LEFT JOIN` with the `ON` built by `on`.
    pub fn left_join_with<R: ModelDef>(self, on: impl FnOnce(JoinClause) -> JoinClause) -> Self {
        self.model_join::<R>(JoinKind::Left, on)
    }

    /// `CROSS JOIN` model `R`'s table (Laravel `crossJoin`): every pair of rows (its
    /// tenant condition, if any, in an `ON`).
    pub fn cross_join<R: ModelDef>(self) -> Self {
        self.model_join::<R>(JoinKind::Cross, |j| j)
    }

    fn sub_join<R: ModelDef>(
        self,
        kind: JoinKind,
        sub: QueryBuilder<R>,
        alias: &str,
        on: impl FnOnce(JoinClause) -> JoinClause,
    ) -> Self {
        let name = Ident::parse(alias).and_then(|a| match a.parts().0 {
            None => Ok(a),
            Some(_) => Err(OrmError::InvalidIdentifier(alias.to_string())),
        });
        self.add_join(kind, Target::Sub(Arc::new(sub)), name, None, on)
    }

    /// `INNER JOIN (sub) AS alias ON first op second` (Laravel `joinSub`): `sub` is a
    /// model query, compiled with all of its model's scopes.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # struct Comment; impl ModelDef for Comment {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// use roost_orm::query::Aggregate;
    /// let latest = Comment::query()
    ///     .select(["post_id"])
    ///     .select_aggregate(Aggregate::Max, "created_at", "last_comment_at")
    ///     .group_by(["post_id"]);
    /// let posts = Post::query()
    ///     .join_sub(latest, "latest", "latest.post_id", "=", "posts.id")
    ///     .order_by("latest.last_comment_at", "desc")
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn join_sub<R: ModelDef>(
        self,
        sub: QueryBuilder<R>,
        alias: &str,
        first: &str,
        op: impl IntoOperator,
        second: &str,
    ) -> Self {
        self.sub_join(JoinKind::Inner, sub, alias, |j| j.on(first, op, second))
    }

    /// `LEFT JOIN (sub) AS alias ON first op second` (Laravel `leftJoinSub`).
    pub fn left_join_sub<R: ModelDef>(
        self,
        sub: QueryBuilder<R>,
        alias: &str,
        first: &str,
        op: impl IntoOperator,
        second: &str,
    ) -> Self {
        self.sub_join(JoinKind::Left, sub, alias, |j| j.on(first, op, second))
    }
}
