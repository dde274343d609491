//! # roost-orm
//!
//! A Laravel-Eloquent-style ORM for Cloudflare D1 — the Rust port of `@roostjs/orm`,
//! with an embedded SQLite executor for local runs and tests.
//!
//! ```no_run
//! use roost_orm::prelude::*;
//! use serde_json::json;
//!
//! struct Post;
//! impl ModelDef for Post {
//!     const SOFT_DELETES: bool = true;
//! }
//!
//! # async fn run() -> roost_orm::Result<()> {
//! let orm = Orm::sqlite_memory()?;
//! orm.scope(async {
//!     let mut post = Post::create(json!({"title": "Hello"})).await?;
//!     post.set("title", "Hello, D1");
//!     post.save().await?;
//!     let page = Post::query().order_by("id", "desc").paginate(1, 20).await?;
//!     println!("{}", serde_json::to_string(&page).unwrap());
//!     Ok(())
//! })
//! .await
//! # }
//! ```
//!
//! Map of the crate, by part of the reference: [`model`] (Model API, hooks),
//! [`query`] (QueryBuilder API, the one SQL compiler), [`relations`], [`executor`]
//! (the door to a database: SQLite, D1, mock), [`factory`] (Factory API),
//! [`migrations`] (wrangler-format migration folders), [`Orm`] (the request scope),
//! [`error`].

#![warn(missing_docs)]

pub mod error;
pub mod executor;
pub mod factory;
pub mod migrations;
pub mod model;
pub mod orm;
pub mod query;
pub mod relations;
pub mod runtime;
pub mod tenant;
pub mod unit;
pub mod value;

pub use error::{OrmError, Result};
#[cfg(feature = "d1")]
pub use executor::D1Executor;
#[cfg(feature = "sqlite")]
pub use executor::SqliteExecutor;
pub use executor::{Executor, MockExecutor, QueryResult, SqlText, Statement};
pub use model::{Cast, Column, ColumnType, HookEvent, Instance, Model, ModelDef};
pub use orm::Orm;
pub use query::{Direction, Operator, Paginated, QueryBuilder};
pub use relations::{
    BelongsToManyRelation, BelongsToRelation, HasManyRelation, HasManyThroughRelation,
    HasOneRelation, HasOneThroughRelation, RelationMap,
};
pub use value::SqlValue;

/// Everything a model file or handler needs: `use roost_orm::prelude::*;`.
pub mod prelude {
    pub use crate::error::{OrmError, Result};
    pub use crate::factory::{Factory, FactoryBuilder, HasFactory};
    pub use crate::model::{Attributes, IntoAttributes};
    pub use crate::model::{
        Cast, Column, ColumnType, HookEvent, Instance, KeyType, Model, ModelDef,
    };
    pub use crate::orm::Orm;
    pub use crate::query::{Direction, Operator, Paginated, QueryBuilder};
    pub use crate::relations::{
        BelongsToManyRelation, BelongsToRelation, HasManyRelation, HasManyThroughRelation,
        HasOneRelation, HasOneThroughRelation, RelationMap,
    };
}
