//! The typed terminals of [`QueryBuilder`]: `all_as`, `first_as`, `find_as`,
//! `paginate_as` — the same statements as `all` / `first` / `find` / `paginate` (scopes
//! and casts included), with each row decoded straight into the caller's type (see
//! [`typed`](crate::query::typed)) instead of an [`Instance`](crate::Instance).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::Statement;
use crate::model::ModelDef;
use crate::orm::Orm;
use crate::query::compiler;
use crate::query::paginate::Page;
use crate::query::typed::TypedRows;
use crate::relations::EagerLoads;
use crate::runtime::MaybeSend;

/// Typed reads load no relations: a `with(...)` on one is an error before any SQL.
fn no_relations(eager: &EagerLoads) -> Result<()> {
    match eager.names.first() {
        None if eager.constraints.is_empty() => Ok(()),
        first => Err(OrmError::InvalidConstraint {
            relation: first.cloned().unwrap_or_default(),
            reason: "typed reads (all_as, first_as, find_as, paginate_as) load no relations; \
                     use all() / first() / find() / paginate() to eager-load"
                .to_string(),
        }),
    }
}

pub(super) async fn read<M: ModelDef, T: DeserializeOwned + MaybeSend>(
    orm: &Orm,
    statement: &Statement,
) -> Result<Vec<T>> {
    let mut rows = TypedRows::<M, T>::new();
    orm.run_rows(statement, &mut rows).await?;
    rows.finish()
}

/// The first of `rows` (a one-row read's), without an iterator to drop.
pub(super) fn first_of<T>(mut rows: Vec<T>) -> Option<T> {
    match rows.is_empty() {
        true => None,
        false => Some(rows.swap_remove(0)),
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    /// Every matching row as a `T` (Diesel's `load::<T>`, sqlx's `query_as`): the statement
    /// of [`all`](Self::all), each row decoded by column name into `T` with the model's
    /// casts applied, no attribute map built. A tuple `T` takes the columns in order.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// #[derive(serde::Deserialize)]
    /// struct Title {
    ///     id: i64,
    ///     title: String,
    /// }
    /// # async fn f() -> roost_orm::Result<()> {
    /// let titles: Vec<Title> = Post::where_("status", "live").all_as().await?;
    /// # Ok(()) }
    /// ```
    pub async fn all_as<T: DeserializeOwned + MaybeSend>(mut self) -> Result<Vec<T>> {
        let orm = Orm::current_for::<M>()?;
        let select = self.take_select(&orm)?;
        no_relations(&self.eager)?;
        read::<M, T>(&orm, &compiler::select(&select)).await
    }

    /// The first matching row as a `T`, or `None` (see [`all_as`](Self::all_as)).
    pub async fn first_as<T: DeserializeOwned + MaybeSend>(self) -> Result<Option<T>> {
        let orm = Orm::current_for::<M>()?;
        no_relations(&self.eager)?;
        let (statement, _) = self.first_statement(&orm)?;
        Ok(first_of(read::<M, T>(&orm, &statement).await?))
    }

    /// The row whose primary key is `id` as a `T`, or `None` — the cached statement of
    /// [`find`](Self::find) (see [`all_as`](Self::all_as)).
    pub fn find_as<T: DeserializeOwned + MaybeSend>(
        self,
        id: impl Into<Value>,
    ) -> impl std::future::Future<Output = Result<Option<T>>> {
        let id = id.into();
        async move {
            let orm = Orm::current_for::<M>()?;
            no_relations(&self.eager)?;
            let (statement, _) = self.find_statement(&orm, id)?;
            Ok(first_of(read::<M, T>(&orm, &statement).await?))
        }
    }

    /// One page of rows as `T`s, in one statement (see [`paginate`](Self::paginate)
    /// and [`all_as`](Self::all_as)); serializes like a page of records.
    pub async fn paginate_as<T: DeserializeOwned + MaybeSend>(
        mut self,
        page: u64,
        per_page: u64,
    ) -> Result<Page<T>> {
        let orm = Orm::current_for::<M>()?;
        no_relations(&self.eager)?;
        let (result, total) = self.page_rows(&orm, page, per_page).await?;
        let mut rows = TypedRows::<M, T>::new();
        result.feed(&mut rows);
        Ok(Page::new(rows.finish()?, total, per_page, page))
    }
}
