//! The terminals of [`QueryBuilder`]: `all`, `first`, `find`, `count`, `paginate` (and
//! their `_or_fail` forms), and the mass writes `update`, `increment` / `decrement`,
//! `delete`, `force_delete` —
//! where a recorded query becomes an AST, then a statement
//! (from [`compiler`], or the text cache for a key lookup), then instances with their
//! eager loads. Nothing here writes SQL text.

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::persistence::{
    bound_columns, increment_amount, increment_sets, overflow_error, update_stamps,
};
use crate::model::{
    check_column, now_timestamp, Attributes, Instance, IntoAttributes, ModelDef, DELETED_AT,
    UPDATED_AT,
};
use crate::orm::Orm;
use crate::query::ast::{Ident, Select};
use crate::query::compiler;
use crate::query::paginate::Paginated;
use crate::query::scopes::model_scopes;
use crate::relations::EagerLoads;
use crate::value::SqlValue;

impl<M: ModelDef> QueryBuilder<M> {
    /// The SELECT of this query. Terminals consume the builder, so its conditions are
    /// moved into the AST rather than copied.
    pub(super) fn take_select(&mut self, orm: &Orm) -> Result<Select> {
        if let Some(e) = &self.error {
            return Err((**e).clone());
        }
        let mut select = Select::new(Ident::parse_static(crate::model::table_of::<M>())?);
        select.distinct = self.distinct;
        select.columns = std::mem::take(&mut self.columns);
        select.groups = std::mem::take(&mut self.groups);
        select.having = std::mem::take(&mut self.having);
        select.filter = std::mem::take(&mut self.filter);
        crate::query::ast::resolve_deferred(&mut select.filter, orm)?;
        select.scopes = model_scopes::<M>(orm, self.trashed)?;
        select
            .scopes
            .extend(crate::query::global_scopes::conditions::<M>(&self.lifted)?);
        select.orders = std::mem::take(&mut self.orders);
        select.limit = self.limit;
        select.offset = self.offset;
        select.joins = self.resolve_joins(orm)?;
        self.verify_names(&select)?;
        self.resolve_related_columns(orm, &mut select)?;
        Ok(select)
    }

    /// The statement `all()` would send, without sending it (Laravel `toSql`).
    pub fn to_statement(&self) -> Result<Statement> {
        let orm = Orm::current_for::<M>()?;
        Ok(compiler::select(&self.clone().take_select(&orm)?))
    }

    async fn fetch(&self, orm: &Orm, statement: Statement) -> Result<Vec<Instance<M>>> {
        let mut instances = Instance::<M>::fetch_all(orm, &statement).await?;
        super::with_aggregates::as_booleans(&mut instances, &self.exists_columns());
        crate::model::hooks::fire_retrieved(&mut instances).await?;
        crate::relations::eager_load(orm, &mut instances, &self.eager).await?;
        Ok(instances)
    }

    pub(super) fn check_eager(&self) -> Result<()> {
        crate::relations::check_eager::<M>(&self.eager)
    }

    /// Run the query and return every matching record (TS `all()`).
    pub async fn all(mut self) -> Result<Vec<Instance<M>>> {
        let orm = Orm::current_for::<M>()?;
        let select = self.take_select(&orm)?;
        self.check_eager()?;
        self.fetch(&orm, compiler::select(&select)).await
    }

    /// Alias of [`all`](Self::all) (Laravel `get()`).
    pub async fn get(self) -> Result<Vec<Instance<M>>> {
        self.all().await
    }

    /// Run the query with `LIMIT 1` and return the first record, or `None`.
    pub async fn first(self) -> Result<Option<Instance<M>>> {
        let orm = Orm::current_for::<M>()?;
        let booleans = self.exists_columns();
        let (statement, eager) = self.first_statement(&orm)?;
        let mut first = Self::run_first(&orm, statement, eager).await?;
        super::with_aggregates::as_booleans(first.as_mut_slice(), &booleans);
        Ok(first)
    }

    /// The statement of `first()` and the relations to eager-load. Built before the
    /// first await, so the future carries only what it still needs, not the builder.
    pub(super) fn first_statement(mut self, orm: &Orm) -> Result<(Statement, EagerLoads)> {
        let mut select = self.take_select(orm)?;
        self.check_eager()?;
        select.limit = Some(1);
        Ok((compiler::select(&select), std::mem::take(&mut self.eager)))
    }

    pub(super) async fn run_first(
        orm: &Orm,
        statement: Statement,
        eager: EagerLoads,
    ) -> Result<Option<Instance<M>>> {
        let result = orm.run(&statement).await?;
        drop(statement);
        let Some(mut first) = Instance::<M>::hydrate_first(result) else {
            return Ok(None);
        };
        crate::model::hooks::fire_retrieved(std::slice::from_mut(&mut first)).await?;
        crate::relations::eager_load(orm, std::slice::from_mut(&mut first), &eager).await?;
        Ok(Some(first))
    }

    /// Like [`first`](Self::first), but no record is `ModelNotFound`.
    pub async fn first_or_fail(self) -> Result<Instance<M>> {
        self.first().await?.ok_or_else(|| OrmError::ModelNotFound {
            model: M::model_name(),
            id: None,
        })
    }

    /// The record whose primary key is `id`, within this query's conditions.
    pub fn find(
        self,
        id: impl Into<Value>,
    ) -> impl std::future::Future<Output = Result<Option<Instance<M>>>> {
        let id = id.into();
        async move {
            let orm = Orm::current_for::<M>()?;
            let booleans = self.exists_columns();
            let (statement, eager) = self.find_statement(&orm, id)?;
            let mut found = Self::run_first(&orm, statement, eager).await?;
            super::with_aggregates::as_booleans(found.as_mut_slice(), &booleans);
            Ok(found)
        }
    }

    /// The statement of `find(id)`: `first()` with `primary key = id` added. On a query
    /// with no conditions, order or limit of its own (`Post::find(id)`) it is the key
    /// lookup of [`compiler::select_by_key`], whose text is fixed by the model and its
    /// scopes and so comes from the text cache.
    pub(super) fn find_statement(self, orm: &Orm, id: Value) -> Result<(Statement, EagerLoads)> {
        super::by_key::check_key::<M>(&id)?;
        let unconstrained = self.filter.is_empty()
            && self.orders.is_empty()
            && self.limit.is_none()
            && self.offset.is_none()
            && self.columns.is_empty()
            && !self.distinct
            && self.groups.is_empty()
            && self.having.is_empty()
            && self.joins.is_empty()
            && self.related_columns.is_empty()
            && !crate::query::global_scopes::any_in_force::<M>(&self.lifted);
        if !unconstrained {
            return self
                .isolate_filter()
                .where_(M::PRIMARY_KEY, id)
                .first_statement(orm);
        }
        if let Some(e) = self.error {
            return Err(*e);
        }
        let statement = super::by_key::key_lookup::<M>(orm, self.trashed, &id)?;
        self.check_eager()?;
        Ok((statement, self.eager))
    }

    /// Like [`find`](Self::find), but a missing record is `ModelNotFound` with the key.
    pub fn find_or_fail(
        self,
        id: impl Into<Value>,
    ) -> impl std::future::Future<Output = Result<Instance<M>>> {
        let id = id.into();
        let shown = match &id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let find = self.find(id);
        async move {
            find.await?.ok_or_else(|| OrmError::ModelNotFound {
                model: M::model_name(),
                id: Some(shown),
            })
        }
    }

    /// The number of records matching the query's conditions and scopes (TS `count()`).
    /// `limit`, `offset` and `order_by` don't apply to a count, as in Laravel and the
    /// original: `Post::query().limit(5).count()` counts every matching post.
    pub async fn count(mut self) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        let select = self.take_select(&orm)?;
        let result = orm.run(&compiler::count(&select)).await?;
        Ok(first_u64(&result))
    }

    /// One page of results (TS `paginate(page, perPage)`), pages counted from 1.
    ///
    /// One statement, with or without rows on the page: the page and a scalar
    /// `COUNT(*)` of the matching rows (see [`compiler::paginate`]), so its cost grows
    /// with the page and the filter's matches, never with a numbering of the whole
    /// table. The builder's own `limit`/`offset` are replaced by the page's.
    pub async fn paginate(mut self, page: u64, per_page: u64) -> Result<Paginated<M>> {
        let orm = Orm::current_for::<M>()?;
        let (result, total) = self.page_rows(&orm, page, per_page).await?;
        let mut data = Instance::<M>::hydrate_all(result);
        super::with_aggregates::as_booleans(&mut data, &self.exists_columns());
        crate::model::hooks::fire_retrieved(&mut data).await?;
        crate::relations::eager_load(&orm, &mut data, &self.eager).await?;
        Ok(Paginated::new(data, total, per_page, page))
    }

    /// The rows of page `page` (helper columns removed) and the total, in one statement.
    pub(super) async fn page_rows(
        &mut self,
        orm: &Orm,
        page: u64,
        per_page: u64,
    ) -> Result<(QueryResult, u64)> {
        let invalid = OrmError::InvalidPagination { page, per_page };
        if page == 0 || per_page == 0 {
            return Err(invalid);
        }
        let offset = (page - 1).checked_mul(per_page).ok_or(invalid)?;
        let mut select = self.take_select(orm)?;
        self.check_eager()?;
        select.limit = Some(per_page);
        select.offset = Some(offset);
        let mut result = orm.run(&compiler::paginate(&select)).await?;
        let totals = take_column(&mut result, compiler::TOTAL_COLUMN);
        let total = match totals.first() {
            Some(total) => total.as_u64().ok_or_else(|| OrmError::Decode {
                key: compiler::TOTAL_COLUMN.to_string(),
                message: format!("{total} is not a count"),
            })?,
            // No rows on page 1: nothing matches (the page and the count share their
            // conditions). Past the last page: a second statement counts.
            None if page == 1 => 0,
            None => orm
                .run(&compiler::count(&select))
                .await
                .map(|r| first_u64(&r))?,
        };
        Ok((result, total))
    }
}

/// Remove column `name` from `result` and return its values (none when absent).
fn take_column(result: &mut QueryResult, name: &str) -> Vec<Value> {
    match result.column_index(name) {
        Some(i) => result.remove_column(i).unwrap_or_default(),
        None => Vec::new(),
    }
}

/// The first column of the first row as a count (`COUNT(*)` results).
fn first_u64(result: &QueryResult) -> u64 {
    result
        .first()
        .and_then(|row| row.first())
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Mass writes: Laravel's `$query->update([...])` / `->delete()` / `->forceDelete()`.
///
/// One statement each, with the model's scopes (a tenant's query writes only its own
/// rows; soft-deleted rows are left alone unless `with_trashed` / `only_trashed`), and
/// no model hooks (as in Laravel: no instance is loaded). `limit` / `offset` / `order_by`
/// choose the rows through a primary-key subquery.
impl<M: ModelDef> QueryBuilder<M> {
    /// Set `attributes` on every matching record and return how many rows changed.
    /// Values are cast and names checked as on a save; `updated_at` is touched when the
    /// model has timestamps; a tenant column keeps the active tenant.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let archived = Post::where_op("views", "<", 10)
    ///     .update(json!({"status": "archived"}))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(self, attributes: impl IntoAttributes) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        match self.update_statement(&orm, attributes)? {
            Some(statement) => Ok(orm.run(&statement).await?.changes),
            None => Ok(0),
        }
    }

    /// The statement of [`update`](Self::update), not sent; `None` when nothing is
    /// left to set.
    pub(crate) fn update_statement(
        self,
        orm: &Orm,
        attributes: impl IntoAttributes,
    ) -> Result<Option<Statement>> {
        let attributes = crate::model::guards::fillable::<M>(attributes.into_attributes()?)?;
        self.set_statement(orm, attributes)
    }

    /// The mass UPDATE setting `attributes`, unguarded (a delete's `deleted_at` is not
    /// mass assignment), stamped.
    fn set_statement(mut self, orm: &Orm, mut attributes: Attributes) -> Result<Option<Statement>> {
        update_stamps::<M>(orm, &mut attributes);
        let (columns, values) = bound_columns::<M>(&attributes)?;
        let select = self.take_select(orm)?;
        if columns.is_empty() {
            return Ok(None);
        }
        let key = check_column::<M>(M::PRIMARY_KEY)?;
        let sets = columns.into_iter().zip(values).collect();
        Ok(Some(compiler::update_matching(&select, &key, sets)))
    }

    /// Delete every matching record and return how many: a soft-deleting model's rows
    /// get `deleted_at` (and `updated_at`) set, other rows are removed.
    pub async fn delete(self) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        match self.delete_statement(&orm, M::SOFT_DELETES)? {
            Some(statement) => Ok(orm.run(&statement).await?.changes),
            None => Ok(0),
        }
    }

    /// The statement of [`delete`](Self::delete) (`soft`) or
    /// [`force_delete`](Self::force_delete), not sent.
    pub(crate) fn delete_statement(mut self, orm: &Orm, soft: bool) -> Result<Option<Statement>> {
        if !soft {
            let select = self.take_select(orm)?;
            let key = check_column::<M>(M::PRIMARY_KEY)?;
            return Ok(Some(compiler::delete_matching(&select, &key)));
        }
        let now = Value::String(now_timestamp());
        let mut attributes = Attributes::new();
        attributes.insert(DELETED_AT.to_string(), now.clone());
        if crate::model::timestamps::uses_timestamps::<M>() {
            attributes.insert(UPDATED_AT.to_string(), now);
        }
        self.set_statement(orm, attributes)
    }

    /// Add `amount` to `column` on every matching record, atomically in the database
    /// (`SET "views" = "views" + ?`) — Laravel's `$query->increment('views', 5)` —
    /// touching `updated_at`. Returns how many rows changed. The tenant column can't be
    /// incremented.
    pub async fn increment(self, column: &str, amount: impl Into<Value>) -> Result<u64> {
        let amount = increment_amount(amount.into(), false);
        self.add_to(column, amount).await
    }

    /// Subtract `amount` from `column` on every matching record (see
    /// [`increment`](Self::increment)).
    pub async fn decrement(self, column: &str, amount: impl Into<Value>) -> Result<u64> {
        let amount = increment_amount(amount.into(), true);
        self.add_to(column, amount).await
    }

    async fn add_to(mut self, column: &str, amount: Result<SqlValue>) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        let amount = amount?;
        let sets = increment_sets::<M>(column, amount.clone())?;
        let select = self.take_select(&orm)?;
        let key = check_column::<M>(M::PRIMARY_KEY)?;
        let statement = compiler::update_matching(&select, &key, sets);
        let result = orm.run(&statement).await;
        Ok(result
            .map_err(|e| overflow_error(e, column, &amount))?
            .changes)
    }

    /// Remove every matching record, soft deletes or not (Laravel `forceDelete`), and
    /// return how many.
    pub async fn force_delete(self) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        match self.delete_statement(&orm, false)? {
            Some(statement) => Ok(orm.run(&statement).await?.changes),
            None => Ok(0),
        }
    }
}
