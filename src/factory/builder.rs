//! [`FactoryBuilder`]: a factory with its count, states, callbacks and related rows —
//! the chain the TS `Factory` methods return (`count(3).state(...).create()`).
//!
//! A builder is a value: each chain method returns a new one, and running it (`make`,
//! `create`, ...) takes `&self`, so one builder can be run again (each run calls
//! `definition()` afresh). It is cheap to clone: the factory, states and callbacks are
//! shared.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::factory::callbacks::{
    AsyncAfterCreating, SharedAfterCreating, SharedAfterMaking, SyncAfterCreating,
};
use crate::factory::related::{self, ChildRelation, SharedChildSpec};
use crate::factory::state::{merge, MapState, MergeState, Sequence, SequenceFn, SharedModifier};
use crate::factory::{create, Factory};
use crate::model::{Attributes, Instance, IntoAttributes, ModelDef};
use crate::relations::BelongsToRelation;
use crate::runtime::{MaybeSend, MaybeSync};

/// A configured factory run: see the [module docs](crate::factory).
///
/// ```
/// use roost_orm::factory::Factory;
/// use roost_orm::prelude::*;
/// use serde_json::json;
///
/// struct Post;
/// impl ModelDef for Post {}
/// struct PostFactory;
/// impl Factory for PostFactory {
///     type Model = Post;
///     fn definition(&self) -> impl IntoAttributes {
///         json!({"title": "Hello", "status": "published"})
///     }
/// }
///
/// let posts = PostFactory
///     .count(3)
///     .state_attrs(json!({"status": "draft"}))
///     .sequence([json!({"views": 1}), json!({"views": 2})])
///     .make()
///     .unwrap();
/// let views: Vec<_> = posts.iter().map(|p| p.get("views").cloned()).collect();
/// assert_eq!(views, [Some(json!(1)), Some(json!(2)), Some(json!(1))]);
/// assert!(posts.iter().all(|p| p.get("status") == Some(&json!("draft"))));
/// ```
pub struct FactoryBuilder<F: Factory> {
    factory: Arc<F>,
    count: Option<usize>,
    states: Vec<SharedModifier>,
    overrides: Attributes,
    after_making: Vec<SharedAfterMaking<F::Model>>,
    after_creating: Vec<SharedAfterCreating<F::Model>>,
    children: Vec<SharedChildSpec<F::Model>>,
    error: Option<OrmError>,
}

impl<F: Factory> Clone for FactoryBuilder<F> {
    fn clone(&self) -> Self {
        FactoryBuilder {
            factory: Arc::clone(&self.factory),
            count: self.count,
            states: self.states.clone(),
            overrides: self.overrides.clone(),
            after_making: self.after_making.clone(),
            after_creating: self.after_creating.clone(),
            children: self.children.clone(),
            error: self.error.clone(),
        }
    }
}

impl<F: Factory> std::fmt::Debug for FactoryBuilder<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactoryBuilder")
            .field("model", &F::Model::model_name())
            .field("count", &self.count)
            .field("states", &self.states.len())
            .field("overrides", &self.overrides)
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}

impl<F: Factory> FactoryBuilder<F> {
    /// A builder for `factory`, with [`Factory::configure`] applied.
    pub fn new(factory: F) -> Self {
        let builder = FactoryBuilder {
            factory: Arc::new(factory),
            count: None,
            states: Vec::new(),
            overrides: Attributes::new(),
            after_making: Vec::new(),
            after_creating: Vec::new(),
            children: Vec::new(),
            error: None,
        };
        let factory = Arc::clone(&builder.factory);
        factory.configure(builder)
    }

    /// Make `n` instances per run (TS `count(n)`); without it, one. `count(0)` makes
    /// none (and `create` sends nothing).
    pub fn count(mut self, n: usize) -> Self {
        self.count = Some(n);
        self
    }

    /// The number of instances a run makes.
    pub fn get_count(&self) -> usize {
        self.count.unwrap_or(1)
    }

    /// Modify each instance's attributes (TS `state(attrs => ({...attrs, ...}))`).
    /// States and sequences apply in call order, after `definition()`.
    ///
    /// ```
    /// # use roost_orm::factory::Factory;
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// # struct PostFactory;
    /// # impl Factory for PostFactory { type Model = Post;
    /// #   fn definition(&self) -> impl IntoAttributes { json!({"title": "A"}) } }
    /// let post = PostFactory
    ///     .state(|mut a| {
    ///         a.insert("status".into(), json!("draft"));
    ///         a
    ///     })
    ///     .make_one()
    ///     .unwrap();
    /// assert_eq!(post.get("status"), Some(&json!("draft")));
    /// ```
    pub fn state<S>(mut self, modifier: S) -> Self
    where
        S: Fn(Attributes) -> Attributes + MaybeSend + MaybeSync + 'static,
    {
        self.states.push(Arc::new(MapState(modifier)));
        self
    }

    /// Merge these attributes over each instance (Laravel `state([...])`). Anything that
    /// is not a map makes the run fail with `InvalidAttributes`.
    pub fn state_attrs(mut self, attributes: impl IntoAttributes) -> Self {
        match attributes.into_attributes() {
            Ok(attributes) => self.states.push(Arc::new(MergeState(attributes))),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Cycle through attribute sets, one per instance: instance `i` gets set
    /// `i % len` merged over it (Laravel `sequence(...)`). An empty list changes nothing.
    pub fn sequence<I>(mut self, sets: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoAttributes,
    {
        let sets: Result<Vec<Attributes>> = sets
            .into_iter()
            .map(IntoAttributes::into_attributes)
            .collect();
        match sets {
            Ok(sets) => self.states.push(Arc::new(Sequence(sets))),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Merge `f(i)` over instance `i` (Laravel's closure sequence,
    /// `fn (Sequence $s) => [... $s->index ...]`). `i` counts from 0 within one run (and
    /// within one parent's children for [`has`](Self::has)).
    pub fn sequence_fn<S, R>(mut self, f: S) -> Self
    where
        S: Fn(usize) -> R + MaybeSend + MaybeSync + 'static,
        R: IntoAttributes + 'static,
    {
        self.states.push(Arc::new(SequenceFn(f)));
        self
    }

    /// Run `callback` on each made instance, by `make` and by `create` (before the
    /// `creating` hooks) — Laravel `afterMaking`.
    pub fn after_making<C>(mut self, callback: C) -> Self
    where
        C: Fn(&mut Instance<F::Model>) + MaybeSend + MaybeSync + 'static,
    {
        self.after_making.push(Arc::new(callback));
        self
    }

    /// Run `callback` on each created instance, after it (and its `has` children) are
    /// stored — Laravel `afterCreating`. Not run by `make`.
    pub fn after_creating<C>(mut self, callback: C) -> Self
    where
        C: Fn(&mut Instance<F::Model>) + MaybeSend + MaybeSync + 'static,
    {
        self.after_creating
            .push(Arc::new(SyncAfterCreating(callback)));
        self
    }

    /// Like [`after_creating`](Self::after_creating), with an async callback that takes
    /// the instance and gives it back (it may run queries: it runs in the request scope).
    /// An error stops the run and is returned; rows already stored stay.
    pub fn after_creating_async<C, Fut>(mut self, callback: C) -> Self
    where
        C: Fn(Instance<F::Model>) -> Fut + MaybeSend + MaybeSync + 'static,
        Fut: Future<Output = Result<Instance<F::Model>>> + MaybeSend + 'static,
    {
        self.after_creating
            .push(Arc::new(AsyncAfterCreating(callback)));
        self
    }

    /// Make instances belonging to `parent` (Laravel `->for($user)`): the foreign key
    /// `{parent model in snake case}_{parent primary key}` (`user_id` for `User`) is set
    /// to the parent's key on every instance, after states. A parent without a key makes
    /// the run fail with `MissingPrimaryKey`.
    pub fn for_parent<P: ModelDef>(self, parent: &Instance<P>) -> Self {
        let foreign_key = related::default_foreign_key::<P>();
        self.for_parent_via(parent, &foreign_key)
    }

    /// Like [`for_parent`](Self::for_parent), with the foreign key named
    /// (`posts.for_parent_via(&user, "author_id")`).
    pub fn for_parent_via<P: ModelDef>(mut self, parent: &Instance<P>, foreign_key: &str) -> Self {
        match related::parent_key(parent) {
            Ok(key) => {
                self.overrides.insert(foreign_key.to_string(), key);
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// Also create `children` for every created instance (Laravel
    /// `->has(Post::factory()->count(3))`): `children.count()` rows per parent, with the
    /// foreign key `{this model in snake case}_{primary key}` set to the parent's key.
    /// The children of all parents go in one round trip after the parents', and are
    /// attached to each parent as the loaded relation named after the child table
    /// (`"posts"`). `make` does not make children.
    pub fn has<C: Factory>(self, children: FactoryBuilder<C>) -> Self {
        let foreign_key = related::default_foreign_key::<F::Model>();
        self.has_via(children, &foreign_key)
    }

    /// Like [`has`](Self::has), with the children's foreign key named
    /// (`users.has_via(PostFactory.count(3), "author_id")`).
    pub fn has_via<C: Factory>(mut self, children: FactoryBuilder<C>, foreign_key: &str) -> Self {
        let keys = related::ChildKeys::by_foreign_key(foreign_key);
        self.children
            .push(related::has_spec::<F::Model, C>(children, keys));
        self
    }

    /// Like [`has`](Self::has), through a declared relation (Laravel
    /// `->has(Post::factory()->count(3), 'posts')`): the children's foreign key and the
    /// parent's local key come from the relation, and the children are attached under
    /// the name the parent model declares it with (for a [`HasOneRelation`], as one
    /// record).
    ///
    /// [`HasOneRelation`]: crate::relations::HasOneRelation
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::HasManyRelation;
    /// # use serde_json::json;
    /// # struct Post; impl ModelDef for Post {}
    /// # struct PostFactory;
    /// # impl Factory for PostFactory { type Model = Post;
    /// #   fn definition(&self) -> impl IntoAttributes { json!({"title": "A"}) } }
    /// struct User;
    /// impl User {
    ///     const POSTS: HasManyRelation<Post> = HasManyRelation::new("author_id", "id");
    /// }
    /// impl ModelDef for User {
    ///     fn relations(r: &mut RelationMap<Self>) {
    ///         r.add("posts", User::POSTS);
    ///     }
    /// }
    /// # struct UserFactory;
    /// # impl Factory for UserFactory { type Model = User;
    /// #   fn definition(&self) -> impl IntoAttributes { json!({"name": "Ada"}) } }
    /// # async fn f() -> roost_orm::Result<()> {
    /// let user = UserFactory
    ///     .has_relation(User::POSTS, PostFactory.count(3))
    ///     .create_one()
    ///     .await?;
    /// assert_eq!(user.related::<Post>("posts")?.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn has_relation<C, R>(mut self, relation: R, children: FactoryBuilder<C>) -> Self
    where
        C: Factory,
        R: ChildRelation<F::Model, Child = C::Model>,
    {
        let keys = related::sealed::Sealed::<F::Model>::child_keys(&relation);
        self.children
            .push(related::has_spec::<F::Model, C>(children, keys));
        self
    }

    /// Make instances belonging to `parent` through a declared relation (Laravel
    /// `->for($user, 'author')`): the relation's foreign key is set to the parent's
    /// owner key on every instance, after states.
    pub fn for_relation<P: ModelDef>(
        mut self,
        relation: BelongsToRelation<P>,
        parent: &Instance<P>,
    ) -> Self {
        match related::belongs_to_key(&relation, parent) {
            Ok((foreign_key, value)) => {
                self.overrides.insert(foreign_key.to_string(), value);
            }
            Err(e) => self.fail(e),
        }
        self
    }

    fn fail(&mut self, error: OrmError) {
        self.error.get_or_insert(error);
    }

    /// Make `n` instances: definition, states in order, overrides, then `extra`
    /// (a parent's foreign key), then the `after_making` callbacks.
    pub(crate) fn make_n(
        &self,
        n: usize,
        extra: Option<(&str, &Value)>,
    ) -> Result<Vec<Instance<F::Model>>> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut out = Vec::with_capacity(n);
        for index in 0..n {
            let mut attributes = self.factory.definition().into_attributes()?;
            for state in &self.states {
                attributes = state.apply(attributes, index)?;
            }
            merge(&mut attributes, &self.overrides);
            if let Some((key, value)) = extra {
                attributes.insert(key.to_string(), value.clone());
            }
            let mut instance = Instance::from_attributes(attributes)?;
            for callback in &self.after_making {
                callback.call(&mut instance);
            }
            out.push(instance);
        }
        Ok(out)
    }

    pub(crate) fn after_creating_callbacks(&self) -> &[SharedAfterCreating<F::Model>] {
        &self.after_creating
    }

    pub(crate) fn child_specs(&self) -> &[SharedChildSpec<F::Model>] {
        &self.children
    }

    /// Unsaved instances: `count` of them, one by default (TS `make()`; synchronous
    /// here, as nothing is awaited).
    pub fn make(&self) -> Result<Vec<Instance<F::Model>>> {
        self.make_n(self.get_count(), None)
    }

    /// One unsaved instance, whatever the count (TS `makeOne()`).
    pub fn make_one(&self) -> Result<Instance<F::Model>> {
        let mut made = self.make_n(1, None)?;
        made.pop().ok_or_else(unreachable_empty::<F::Model>)
    }

    /// Persisted instances: `count` of them, one by default (TS `create()`), written in
    /// one atomic round trip with their `creating` / `created` hooks — see the
    /// [module docs](crate::factory). Needs a request scope (`orm.scope(...)`).
    pub async fn create(&self) -> Result<Vec<Instance<F::Model>>> {
        create::create(self, self.get_count()).await
    }

    /// One persisted instance, whatever the count (TS `createOne()`).
    pub async fn create_one(&self) -> Result<Instance<F::Model>> {
        let mut created = create::create(self, 1).await?;
        created.pop().ok_or_else(unreachable_empty::<F::Model>)
    }
}

/// The error for a run of one that produced nothing (cannot happen; no panic either).
fn unreachable_empty<M: ModelDef>() -> OrmError {
    OrmError::InvalidAttributes(format!(
        "factory for [{}] produced no instance",
        M::model_name()
    ))
}
