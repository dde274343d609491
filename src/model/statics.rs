//! [`Model`]: the documented statics (`Post::find`, `Post::where_`, `Post::on`, ...),
//! given to every [`ModelDef`] by a blanket impl. Each delegates to the query builder or
//! to instance persistence; nothing here touches SQL.

use std::any::TypeId;
use std::future::Future;

use serde_json::Value;

use crate::error::Result;
use crate::model::hooks::{self, HookEvent, HookReturn};
use crate::model::{Attributes, Instance, IntoAttributes, ModelDef};
use crate::orm::Orm;
use crate::query::{IntoOperator, QueryBuilder};
use crate::runtime::MaybeSend;

/// The TS `Model` statics, for every [`ModelDef`]. `where` is a Rust keyword, so it is
/// spelled `where_` (and `where_op` for the operator form) everywhere.
///
/// ```no_run
/// use roost_orm::prelude::*;
/// use serde_json::json;
///
/// struct Post;
/// impl ModelDef for Post {}
///
/// # async fn f() -> roost_orm::Result<()> {
/// let post = Post::create(json!({"title": "Hello"})).await?;
/// let same = Post::find_or_fail(post.get("id").cloned().unwrap()).await?;
/// let recent = Post::where_op("views", ">=", 100).order_by("id", "desc").all().await?;
/// # Ok(()) }
/// ```
pub trait Model: ModelDef {
    /// The table name (TS `static tableName`): [`ModelDef::TABLE`], or derived from the
    /// type name (`PostComment` → `post_comments`). Fixed per model type: `Model` is
    /// implemented for every [`ModelDef`] and can't be overridden.
    fn table_name() -> &'static str {
        crate::model::table_of::<Self>()
    }

    /// A query with no conditions.
    fn query() -> QueryBuilder<Self> {
        QueryBuilder::new()
    }

    /// The record with primary key `id`, or `None` (TS `find`).
    fn find(
        id: impl Into<Value>,
    ) -> impl Future<Output = Result<Option<Instance<Self>>>> + MaybeSend {
        crate::query::find_by_key(id.into())
    }

    /// The record with primary key `id`, or `ModelNotFound` (TS `findOrFail`).
    fn find_or_fail(
        id: impl Into<Value>,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        Self::query().find_or_fail(id)
    }

    /// The row with primary key `id` decoded into a `T`, or `None` (see
    /// [`QueryBuilder::all_as`]).
    fn find_as<T: serde::de::DeserializeOwned + MaybeSend>(
        id: impl Into<Value>,
    ) -> impl Future<Output = Result<Option<T>>> + MaybeSend {
        crate::query::find_as_by_key::<Self, T>(id.into())
    }

    /// Every row decoded into a `T` (see [`QueryBuilder::all_as`]).
    fn all_as<T: serde::de::DeserializeOwned + MaybeSend>(
    ) -> impl Future<Output = Result<Vec<T>>> + MaybeSend {
        Self::query().all_as()
    }

    /// Every record (TS `all`).
    fn all() -> impl Future<Output = Result<Vec<Instance<Self>>>> + MaybeSend {
        Self::query().all()
    }

    /// Insert a record and return it as stored (TS `create`): fires `creating` and
    /// `created`; ids, defaults and timestamps are read back in the same statement.
    /// Only fillable attributes are set (see [`ModelDef::FILLABLE`]).
    fn create(
        attributes: impl IntoAttributes,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        let instance = Self::make(attributes);
        async move {
            let mut instance = instance?;
            instance.save().await?;
            Ok(instance)
        }
    }

    /// [`create`](Self::create) without the mass-assignment guard (Laravel
    /// `forceCreate`): every attribute is set, for trusted input. The tenant column is
    /// still stamped with the active tenant.
    fn force_create(
        attributes: impl IntoAttributes,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        let instance = Instance::<Self>::from_attributes(attributes);
        async move {
            let mut instance = instance?;
            instance.save().await?;
            Ok(instance)
        }
    }

    /// An unsaved instance with the fillable part of these attributes (TS `new
    /// Post(attrs)`, Laravel `new Post($attrs)` / `make`). Every attribute, unguarded:
    /// [`Instance::from_attributes`].
    fn make(attributes: impl IntoAttributes) -> Result<Instance<Self>> {
        let attributes = crate::model::guards::fillable::<Self>(attributes.into_attributes()?)?;
        Instance::from_attributes(attributes)
    }

    /// A query starting with `column = value` (TS `where(column, value)`).
    fn where_(column: &str, value: impl Into<Value>) -> QueryBuilder<Self> {
        Self::query().where_(column, value)
    }

    /// A query starting with `column op value` (TS `where(column, op, value)`).
    fn where_op(
        column: &str,
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> QueryBuilder<Self> {
        Self::query().where_op(column, op, value)
    }

    /// A query starting with `column IN (values)` (TS `whereIn`).
    fn where_in<I, V>(column: &str, values: I) -> QueryBuilder<Self>
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        Self::query().where_in(column, values)
    }

    /// The first record whose columns equal `attributes`, or a new unsaved one made
    /// from `attributes` and `values` (Laravel `firstOrNew`). A `null` matches `IS NULL`.
    fn first_or_new(
        attributes: impl IntoAttributes,
        values: impl IntoAttributes,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        let lookup = Lookup::<Self>::new(attributes, values);
        async move {
            match lookup?.run().await? {
                Looked::Found(found, _) => Ok(found),
                Looked::Missing(both) => Self::make(both),
            }
        }
    }

    /// The first record whose columns equal `attributes`, or one created from
    /// `attributes` and `values` (Laravel `firstOrCreate`). Two statements at most; not
    /// atomic (a unique index is what makes "create once" hold under concurrency).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Tag; impl ModelDef for Tag {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let tag = Tag::first_or_create(json!({"slug": "rust"}), json!({"name": "Rust"})).await?;
    /// # Ok(()) }
    /// ```
    fn first_or_create(
        attributes: impl IntoAttributes,
        values: impl IntoAttributes,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        let lookup = Lookup::<Self>::new(attributes, values);
        async move {
            match lookup?.run().await? {
                Looked::Found(found, _) => Ok(found),
                Looked::Missing(both) => Self::create(both).await,
            }
        }
    }

    /// The first record whose columns equal `attributes`, updated with `values`, or one
    /// created from both (Laravel `updateOrCreate`). The update is a `save()`: hooks
    /// fire and only changed columns are written. Not atomic, as in Laravel.
    fn update_or_create(
        attributes: impl IntoAttributes,
        values: impl IntoAttributes,
    ) -> impl Future<Output = Result<Instance<Self>>> + MaybeSend {
        let lookup = Lookup::<Self>::new(attributes, values);
        async move {
            match lookup?.run().await? {
                Looked::Found(mut found, values) => {
                    found.fill(values)?;
                    found.save().await?;
                    Ok(found)
                }
                Looked::Missing(both) => Self::create(both).await,
            }
        }
    }

    /// Insert many rows in one statement where D1's limits allow (Laravel
    /// `Model::insert`): see [`QueryBuilder::insert`].
    fn insert<A: IntoAttributes>(
        rows: impl IntoIterator<Item = A>,
    ) -> impl Future<Output = Result<u64>> + MaybeSend {
        let rows = collect_attributes(rows);
        async move { Self::query().insert(rows?).await }
    }

    /// Insert many rows, skipping those that break a constraint (Laravel
    /// `insertOrIgnore`): see [`QueryBuilder::insert_or_ignore`].
    fn insert_or_ignore<A: IntoAttributes>(
        rows: impl IntoIterator<Item = A>,
    ) -> impl Future<Output = Result<u64>> + MaybeSend {
        let rows = collect_attributes(rows);
        async move { Self::query().insert_or_ignore(rows?).await }
    }

    /// Insert rows or update the stored ones with the same `unique_by` columns
    /// (Laravel `upsert`): see [`QueryBuilder::upsert`].
    fn upsert<A: IntoAttributes>(
        rows: impl IntoIterator<Item = A>,
        unique_by: &[&str],
        update: Option<&[&str]>,
    ) -> impl Future<Output = Result<u64>> + MaybeSend {
        let rows = collect_attributes(rows);
        let unique_by: Vec<String> = unique_by.iter().map(|s| s.to_string()).collect();
        let update: Option<Vec<String>> = update.map(|u| u.iter().map(|s| s.to_string()).collect());
        async move {
            let unique_by: Vec<&str> = unique_by.iter().map(String::as_str).collect();
            let update: Option<Vec<&str>> = update
                .as_ref()
                .map(|u| u.iter().map(String::as_str).collect());
            Self::query()
                .upsert(rows?, &unique_by, update.as_deref())
                .await
        }
    }

    /// Update the records matching `attributes` with `values`, or insert one row of
    /// both (Laravel `updateOrInsert`), in one round trip: see
    /// [`QueryBuilder::update_or_insert`].
    fn update_or_insert(
        attributes: impl IntoAttributes,
        values: impl IntoAttributes,
    ) -> impl Future<Output = Result<bool>> + MaybeSend {
        let attributes = attributes.into_attributes();
        let values = values.into_attributes();
        async move { Self::query().update_or_insert(attributes?, values?).await }
    }

    /// A query that eager-loads relations (TS `with` on a fresh query).
    fn with<I, S>(relations: I) -> QueryBuilder<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::query().with(relations)
    }

    /// A query that eager-loads relation `name` with conditions of its own on the
    /// related model `R` (see [`QueryBuilder::with_constraint`]).
    fn with_constraint<R: ModelDef>(
        name: &str,
        constrain: impl FnOnce(QueryBuilder<R>) -> QueryBuilder<R>,
    ) -> QueryBuilder<Self> {
        Self::query().with_constraint(name, constrain)
    }

    /// A query that includes soft-deleted rows.
    fn with_trashed() -> QueryBuilder<Self> {
        Self::query().with_trashed()
    }

    /// A query of soft-deleted rows only.
    fn only_trashed() -> QueryBuilder<Self> {
        Self::query().only_trashed()
    }

    /// Register a lifecycle hook (TS `Model.on(event, fn)`). The hook gets the instance
    /// and may change it; returning `false` from a pre-event hook aborts.
    ///
    /// ```
    /// use roost_orm::prelude::*;
    /// struct Post;
    /// impl ModelDef for Post {}
    /// Post::on(HookEvent::Creating, |post: &mut Instance<Post>| {
    ///     post.set("slug", "generated");
    /// });
    /// Post::on(HookEvent::Deleting, |post: &mut Instance<Post>| post.get("locked").is_none());
    /// # Post::clear_hooks();
    /// ```
    fn on<R, F>(event: HookEvent, hook: F)
    where
        R: HookReturn,
        F: Fn(&mut Instance<Self>) -> R + Send + Sync + 'static,
    {
        hooks::on::<Self, R, F>(event, hook)
    }

    /// Register an async hook: it takes the instance and gives it back with `true` /
    /// `false` / `()` (TS hooks returning a Promise).
    fn on_async<R, F, Fut>(event: HookEvent, hook: F)
    where
        R: HookReturn,
        F: Fn(Instance<Self>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = (Instance<Self>, R)> + MaybeSend + 'static,
    {
        hooks::on_async::<Self, R, F, Fut>(event, hook)
    }

    /// Run `f` with this model's tenant scope off (TS `withoutTenantScope`): for the
    /// code inside `f` only, and only for this model type — other models stay scoped,
    /// and requests running beside it are untouched. Restored when `f` finishes, with a
    /// value or an error; nested calls stack.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post { const TENANT_COLUMN: Option<&'static str> = Some("org_id"); }
    /// # async fn f() -> roost_orm::Result<()> {
    /// let every_tenants_posts = Post::without_tenant_scope(|| Post::all()).await?;
    /// # Ok(()) }
    /// ```
    fn without_tenant_scope<F, Fut>(f: F) -> impl Future<Output = Fut::Output> + MaybeSend
    where
        F: FnOnce() -> Fut + MaybeSend,
        Fut: Future + MaybeSend,
    {
        with_override(Orm::bypassing, TypeId::of::<Self>(), f)
    }

    /// Run `f` with this model's events off (Laravel `Model::withoutEvents`): no hook
    /// of this model fires inside `f`, for this model type only; other requests are
    /// untouched.
    fn without_events<F, Fut>(f: F) -> impl Future<Output = Fut::Output> + MaybeSend
    where
        F: FnOnce() -> Fut + MaybeSend,
        Fut: Future + MaybeSend,
    {
        with_override(Orm::muting, TypeId::of::<Self>(), f)
    }

    /// Run `f` with this model's timestamps off (Laravel `Model::withoutTimestamps`):
    /// writes of this model inside `f` leave `created_at` / `updated_at` alone, for
    /// this model type and this request only.
    fn without_timestamps<F, Fut>(f: F) -> impl Future<Output = Fut::Output> + MaybeSend
    where
        F: FnOnce() -> Fut + MaybeSend,
        Fut: Future + MaybeSend,
    {
        with_override(Orm::untiming, TypeId::of::<Self>(), f)
    }

    /// Register every event method of `observer` (Laravel `Post::observe(...)`): one
    /// type handling several events, registered once. See
    /// [`Observer`](crate::model::Observer).
    fn observe<O: crate::model::Observer<Self>>(observer: O) {
        crate::model::observers::register::<Self, O>(observer)
    }

    /// Remove every hook of this model (for tests).
    fn clear_hooks() {
        hooks::clear::<Self>()
    }
}

impl<M: ModelDef> Model for M {}

/// The query of `first_or_*` / `update_or_create`: `column = value` (or `IS NULL`) for
/// each lookup attribute, with the attributes and values kept for a create.
struct Lookup<M: ModelDef> {
    query: QueryBuilder<M>,
    attributes: Attributes,
    values: Attributes,
}

impl<M: ModelDef> Lookup<M> {
    fn new(attributes: impl IntoAttributes, values: impl IntoAttributes) -> Result<Self> {
        let attributes = attributes.into_attributes()?;
        let values = values.into_attributes()?;
        // Both maps may become a write: their keys must be attributes (bare column
        // names), checked — after the model's declaration — before the lookup is sent.
        crate::model::check_model::<M>()?;
        for name in attributes.keys().chain(values.keys()) {
            crate::model::check_attribute::<M>(name)?;
        }
        let mut query = QueryBuilder::new();
        for (column, value) in &attributes {
            query = match value {
                Value::Null => query.where_null(column),
                value => query.where_(column, value.clone()),
            };
        }
        Ok(Lookup {
            query,
            attributes,
            values,
        })
    }

    /// Run the lookup.
    async fn run(self) -> Result<Looked<M>> {
        Ok(match self.query.first().await? {
            Some(found) => Looked::Found(found, self.values),
            None => {
                let mut both = self.attributes;
                both.extend(self.values);
                Looked::Missing(both)
            }
        })
    }
}

/// What a [`Lookup`] found.
enum Looked<M: ModelDef> {
    /// The record, and the values (for `update_or_create`).
    Found(Instance<M>, Attributes),
    /// No record: the attributes with the values over them, for a new one.
    Missing(Attributes),
}

/// Rows as attributes, converted before the future is built (so it holds no caller
/// iterator).
fn collect_attributes<A: IntoAttributes>(
    rows: impl IntoIterator<Item = A>,
) -> Result<Vec<crate::model::Attributes>> {
    rows.into_iter()
        .map(IntoAttributes::into_attributes)
        .collect()
}

/// Run `f` under the request's `Orm` with `make`'s override for `model` (its tenant
/// scope, events or timestamps off). The override covers all of `f`: its synchronous
/// part runs inside the overriding scope too, not only the future it returns. With no
/// request scope there is nothing to override (queries inside report `OrmNotBooted`).
async fn with_override<F, Fut>(make: fn(&Orm, TypeId) -> Orm, model: TypeId, f: F) -> Fut::Output
where
    F: FnOnce() -> Fut + MaybeSend,
    Fut: Future + MaybeSend,
{
    match Orm::current() {
        Ok(orm) => {
            let scoped = make(&orm, model);
            let inner = scoped.scope_sync(f);
            scoped.scope(inner).await
        }
        Err(_) => f().await,
    }
}
