//! Factories: the reference's "Factory API" — model instances with generated data for
//! seeding and tests.
//!
//! A factory is a type implementing [`Factory`] (the TS `class PostFactory extends
//! Factory<typeof Post> { definition() {...} }`); calling one of its chain methods
//! (`count`, `state`, ...) starts a [`FactoryBuilder`], which is immutable once built
//! and can be run any number of times:
//!
//! ```no_run
//! use roost_orm::factory::{Factory, FactoryBuilder};
//! use roost_orm::prelude::*;
//! use serde_json::{json, Value};
//!
//! struct Post;
//! impl ModelDef for Post {}
//!
//! struct PostFactory;
//! impl Factory for PostFactory {
//!     type Model = Post;
//!     fn definition(&self) -> impl IntoAttributes {
//!         json!({"title": "Test Post", "body": "Lorem ipsum.", "status": "published"})
//!     }
//! }
//!
//! # async fn f() -> roost_orm::Result<()> {
//! // TS: await new PostFactory(Post).count(3).state(a => ({...a, status: 'draft'})).create()
//! let drafts = PostFactory
//!     .count(3)
//!     .state(|mut a| {
//!         a.insert("status".into(), json!("draft"));
//!         a
//!     })
//!     .create()
//!     .await?;
//! // TS: await factory.createOne()
//! let post = PostFactory.create_one().await?;
//! # Ok(()) }
//! ```
//!
//! What this module owns, a file per concept:
//! - `definition` of a factory and its builder ([`Factory`], [`HasFactory`],
//!   [`FactoryBuilder`]: `count`, `state`, `state_attrs`, `sequence`, `sequence_fn`,
//!   `after_making`, `after_creating`, `make`, `make_one`, `create`, `create_one`);
//! - `state`: attribute modifiers, applied in call order, and sequences;
//! - `callbacks`: `after_making` / `after_creating`;
//! - `related`: related rows (`for_parent`, `for_relation`, `has`, `has_relation`);
//! - `model::bulk` (shared with relation writes): how made rows become INSERT
//!   statements within D1's limits and how the rows read back are matched to their
//!   instances;
//! - `create`: running those statements — one atomic round trip per level of related
//!   rows.
//!
//! **Writes.** `create` of N rows runs every `creating` hook first (a hook returning
//! false aborts before anything is sent), then sends all rows in **one statement**
//! (so one round trip, and one of D1's per-invocation queries): `INSERT ... SELECT
//! json_extract(...) FROM json_each(?) RETURNING *`, the rows bound as one JSON
//! parameter, for any N whose JSON fits [`MAX_JSON_PARAM_BYTES`] (1 MB, half of D1's
//! limit on a bound value); more rows than that are cut into several statements of one
//! atomic batch (D1 `batch()`, a transaction on SQLite). Either way, if any row fails
//! (a NOT NULL or UNIQUE violation...), nothing is written and the database error is
//! returned. Then the stored rows (ids, defaults, timestamps) replace each instance's
//! attributes and the `created` hooks fire, exactly as
//! [`Model::create`](crate::Model::create) does for one row. Rows whose attribute names
//! differ go in different statements (so columns a row leaves out still get their SQL
//! defaults); such groups are inserted one after the other, so their ids follow group
//! order, not row order. The returned instances are always in row order.
//!
//! **Related rows.** `has` children need their parents' keys, so a tree of factories
//! costs one round trip per level (a user with 3 posts: 2 round trips; 10 users with
//! 3 posts each and a profile each: still 2). Each level is atomic on its own: a
//! failure in a later level leaves the earlier levels written.
//!
//! **Fake data.** With the default feature `fake`, the [`fake`](https://docs.rs/fake)
//! crate is re-exported as `roost_orm::factory::fake`, so a definition can use it
//! without adding the crate:
//!
//! ```
//! # #[cfg(feature = "fake")] {
//! use roost_orm::factory::fake::faker::{internet::en::SafeEmail, name::en::Name};
//! use roost_orm::factory::fake::Fake;
//! use roost_orm::prelude::*;
//! use serde_json::json;
//!
//! struct User;
//! impl ModelDef for User {}
//!
//! struct UserFactory;
//! impl Factory for UserFactory {
//!     type Model = User;
//!     fn definition(&self) -> impl IntoAttributes {
//!         let name: String = Name().fake();
//!         let email: String = SafeEmail().fake();
//!         json!({"name": name, "email": email, "age": (18..90).fake::<u32>()})
//!     }
//! }
//! let user = UserFactory.make_one().unwrap();
//! assert!(user.get_as::<String>("email").unwrap().contains('@'));
//! # }
//! ```

mod builder;
mod callbacks;
mod create;
mod related;
mod state;

pub use crate::query::insert_plan::{MAX_BOUND_PARAMS, MAX_JSON_PARAM_BYTES};
pub use builder::FactoryBuilder;
pub use related::ChildRelation;

#[cfg(feature = "fake")]
pub use fake;

use std::future::Future;

use crate::error::Result;
use crate::model::{Instance, IntoAttributes, ModelDef};
use crate::runtime::{MaybeSend, MaybeSync};

/// A model factory: the TS `abstract class Factory<T>` with its `definition()`.
///
/// Implement [`definition`](Factory::definition); every chain method of
/// [`FactoryBuilder`] (`count`, `state`, `sequence`, `has`, ...) is here too and starts
/// a builder, and so are the documented terminals (`make`, `make_one`, `create`,
/// `create_one`), so `PostFactory.count(3)` and `PostFactory.create_one()` work as in
/// TS. [`configure`](Factory::configure) (Laravel's `configure()`) adds
/// states or callbacks to every builder of this factory.
///
/// ```
/// use roost_orm::factory::Factory;
/// use roost_orm::prelude::*;
/// use serde_json::json;
///
/// struct User;
/// impl ModelDef for User {}
///
/// struct UserFactory;
/// impl Factory for UserFactory {
///     type Model = User;
///     fn definition(&self) -> impl IntoAttributes {
///         json!({"name": "Ada", "email": "ada@example.com"})
///     }
/// }
///
/// let users = UserFactory.count(2).make().unwrap();
/// assert_eq!(users.len(), 2);
/// assert!(!users[0].exists());
/// ```
pub trait Factory: Sized + MaybeSend + MaybeSync + 'static {
    /// The model whose instances this factory makes.
    type Model: ModelDef;

    /// The default attributes of one instance; called once per instance (TS
    /// `definition()`). Return a JSON object (`json!({...})`), an
    /// [`Attributes`](crate::model::Attributes) map or `[(key, value)]` pairs; anything
    /// that is not a map makes `make` / `create` fail with `InvalidAttributes`.
    fn definition(&self) -> impl IntoAttributes;

    /// Adjust every builder of this factory (Laravel `configure()`): add states or
    /// `after_making` / `after_creating` callbacks. The default changes nothing.
    fn configure(&self, builder: FactoryBuilder<Self>) -> FactoryBuilder<Self> {
        builder
    }

    /// A builder for this factory, with [`configure`](Factory::configure) applied
    /// (TS `new PostFactory(Post)`).
    fn builder(self) -> FactoryBuilder<Self> {
        FactoryBuilder::new(self)
    }

    /// A builder making `n` instances (TS `count(n)`).
    fn count(self, n: usize) -> FactoryBuilder<Self> {
        self.builder().count(n)
    }

    /// A builder with an attribute modifier (TS `state(attrs => attrs)`).
    fn state<S>(self, modifier: S) -> FactoryBuilder<Self>
    where
        S: Fn(crate::model::Attributes) -> crate::model::Attributes
            + MaybeSend
            + MaybeSync
            + 'static,
    {
        self.builder().state(modifier)
    }

    /// A builder merging these attributes over each instance
    /// ([`FactoryBuilder::state_attrs`]).
    fn state_attrs(self, attributes: impl IntoAttributes) -> FactoryBuilder<Self> {
        self.builder().state_attrs(attributes)
    }

    /// A builder cycling through attribute sets ([`FactoryBuilder::sequence`]).
    fn sequence<I>(self, sets: I) -> FactoryBuilder<Self>
    where
        I: IntoIterator,
        I::Item: IntoAttributes,
    {
        self.builder().sequence(sets)
    }

    /// A builder merging `f(index)` over each instance ([`FactoryBuilder::sequence_fn`]).
    fn sequence_fn<S, R>(self, f: S) -> FactoryBuilder<Self>
    where
        S: Fn(usize) -> R + MaybeSend + MaybeSync + 'static,
        R: IntoAttributes + 'static,
    {
        self.builder().sequence_fn(f)
    }

    /// A builder with an `after_making` callback ([`FactoryBuilder::after_making`]).
    fn after_making<C>(self, callback: C) -> FactoryBuilder<Self>
    where
        C: Fn(&mut Instance<Self::Model>) + MaybeSend + MaybeSync + 'static,
    {
        self.builder().after_making(callback)
    }

    /// A builder with an `after_creating` callback ([`FactoryBuilder::after_creating`]).
    fn after_creating<C>(self, callback: C) -> FactoryBuilder<Self>
    where
        C: Fn(&mut Instance<Self::Model>) + MaybeSend + MaybeSync + 'static,
    {
        self.builder().after_creating(callback)
    }

    /// A builder with an async `after_creating` callback
    /// ([`FactoryBuilder::after_creating_async`]).
    fn after_creating_async<C, Fut>(self, callback: C) -> FactoryBuilder<Self>
    where
        C: Fn(Instance<Self::Model>) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<Instance<Self::Model>>> + MaybeSend + 'static,
    {
        self.builder().after_creating_async(callback)
    }

    /// A builder of instances belonging to `parent` ([`FactoryBuilder::for_parent`]).
    fn for_parent<P: ModelDef>(self, parent: &Instance<P>) -> FactoryBuilder<Self> {
        self.builder().for_parent(parent)
    }

    /// Like [`for_parent`](Factory::for_parent), with the foreign key named.
    fn for_parent_via<P: ModelDef>(
        self,
        parent: &Instance<P>,
        foreign_key: &str,
    ) -> FactoryBuilder<Self> {
        self.builder().for_parent_via(parent, foreign_key)
    }

    /// A builder that also creates `children` per instance ([`FactoryBuilder::has`]).
    fn has<C: Factory>(self, children: FactoryBuilder<C>) -> FactoryBuilder<Self> {
        self.builder().has(children)
    }

    /// Like [`has`](Factory::has), with the children's foreign key named.
    fn has_via<C: Factory>(
        self,
        children: FactoryBuilder<C>,
        foreign_key: &str,
    ) -> FactoryBuilder<Self> {
        self.builder().has_via(children, foreign_key)
    }

    /// A builder that also creates `children` through a declared relation
    /// ([`FactoryBuilder::has_relation`]).
    fn has_relation<C, R>(self, relation: R, children: FactoryBuilder<C>) -> FactoryBuilder<Self>
    where
        C: Factory,
        R: ChildRelation<Self::Model, Child = C::Model>,
    {
        self.builder().has_relation(relation, children)
    }

    /// A builder of instances belonging to `parent` through a declared relation
    /// ([`FactoryBuilder::for_relation`]).
    fn for_relation<P: ModelDef>(
        self,
        relation: crate::relations::BelongsToRelation<P>,
        parent: &Instance<P>,
    ) -> FactoryBuilder<Self> {
        self.builder().for_relation(relation, parent)
    }

    /// Unsaved instances, one unless `count` says otherwise (TS `make()`).
    fn make(self) -> Result<Vec<Instance<Self::Model>>> {
        self.builder().make()
    }

    /// One unsaved instance (TS `makeOne()`).
    fn make_one(self) -> Result<Instance<Self::Model>> {
        self.builder().make_one()
    }

    /// Persisted instances, one unless `count` says otherwise (TS `create()`).
    fn create(self) -> impl Future<Output = Result<Vec<Instance<Self::Model>>>> + MaybeSend {
        async move { self.builder().create().await }
    }

    /// One persisted instance (TS `createOne()`).
    fn create_one(self) -> impl Future<Output = Result<Instance<Self::Model>>> + MaybeSend {
        async move { self.builder().create_one().await }
    }
}

/// Ties a model to its factory, for Laravel's `Post::factory()`.
///
/// ```
/// use roost_orm::factory::{Factory, HasFactory};
/// use roost_orm::prelude::*;
/// use serde_json::json;
///
/// struct Post;
/// impl ModelDef for Post {}
/// impl HasFactory for Post {
///     type Factory = PostFactory;
/// }
///
/// #[derive(Default)]
/// struct PostFactory;
/// impl Factory for PostFactory {
///     type Model = Post;
///     fn definition(&self) -> impl IntoAttributes {
///         json!({"title": "Hello"})
///     }
/// }
///
/// let posts = Post::factory().count(3).make().unwrap();
/// assert_eq!(posts[2].get("title"), Some(&json!("Hello")));
/// ```
pub trait HasFactory: ModelDef {
    /// The model's factory.
    type Factory: Factory<Model = Self> + Default;

    /// A builder of the model's factory (Laravel `Post::factory()`).
    fn factory() -> FactoryBuilder<Self::Factory> {
        Self::Factory::default().builder()
    }
}
