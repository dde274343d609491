//! Raw expressions on [`QueryBuilder`] (Laravel's `selectRaw`, `whereRaw`,
//! `orWhereRaw`, `orderByRaw`, `havingRaw`, `orHavingRaw`, `groupByRaw`): SQL text the
//! caller writes, with `?` placeholders whose values are always bound.
//!
//! The text is the caller's — roost-orm does not check its column names, so write them
//! qualified (`"posts"."views"`): SQLite reads an unknown *bare* double-quoted name as
//! a string. What it does check (see [`RawSql`]) keeps a fragment inside its clause,
//! so the model's scopes stay outside the caller's group: a `where_raw` is one
//! parenthesized condition of the caller's conditions, and the tenant and soft-delete
//! conditions are ANDed after them as on every query.

use serde_json::Value;

use super::QueryBuilder;
use crate::model::ModelDef;
use crate::query::ast::{Boolean, Condition, Group, Having, HavingTarget, HavingTest, Order};
use crate::query::ast::{Projection, RawSql};

impl<M: ModelDef> QueryBuilder<M> {
    fn with_fragment(
        mut self,
        text: &str,
        bindings: &[Value],
        f: impl FnOnce(&mut Self, RawSql),
    ) -> Self {
        match RawSql::from_json(text, bindings) {
            Ok(raw) => f(&mut self, raw),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Add `text` to the SELECT list (Laravel `selectRaw`); the value comes back under
    /// the alias the text gives it. As in Laravel, without a `select` before it the
    /// list is the fragment alone (name the columns you also want with `select` first).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let posts = Post::query()
    ///     .select_raw("\"posts\".\"views\" * ? AS \"weighted\"", &[json!(2)])
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn select_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| {
            q.columns.push(Projection::Raw(raw))
        })
    }

    /// `AND (text)` among the caller's conditions (Laravel `whereRaw`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let long = Post::query()
    ///     .where_raw("length(\"posts\".\"title\") > ?", &[json!(20)])
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn where_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| {
            q.push(Boolean::And, Condition::Raw(raw))
        })
    }

    /// `OR (text)` among the caller's conditions (Laravel `orWhereRaw`); the scopes
    /// still apply to every row it matches.
    pub fn or_where_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| {
            q.push(Boolean::Or, Condition::Raw(raw))
        })
    }

    /// An ORDER BY term written as `text` (Laravel `orderByRaw`), after the ones
    /// before it.
    pub fn order_by_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| q.orders.push(Order::Raw(raw)))
    }

    /// A GROUP BY term written as `text` (Laravel `groupByRaw`).
    pub fn group_by_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| q.groups.push(Group::Raw(raw)))
    }

    fn push_having_raw(self, boolean: Boolean, text: &str, bindings: &[Value]) -> Self {
        self.with_fragment(text, bindings, |q, raw| {
            q.having.push(Having {
                boolean,
                target: HavingTarget::Raw(raw),
                test: HavingTest::Holds,
            })
        })
    }

    /// `HAVING (text)` (Laravel `havingRaw`).
    pub fn having_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.push_having_raw(Boolean::And, text, bindings)
    }

    /// `OR (text)` in the HAVING clause (Laravel `orHavingRaw`).
    pub fn or_having_raw(self, text: &str, bindings: &[Value]) -> Self {
        self.push_having_raw(Boolean::Or, text, bindings)
    }
}
