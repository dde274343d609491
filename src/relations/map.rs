//! The relations a model declares by name ([`RelationMap`]), and eager loading by name.
//!
//! A model fills its map in [`ModelDef::relations`]; the map is built once per model type
//! and cached for the process. Each entry is a relation object ([`HasManyRelation`],
//! [`BelongsToRelation`], ...) behind a type-erased loader that knows the related model,
//! so a nested name (`"posts.comments"`) continues in the related model's own map.
//!
//! Eager loading walks a tree of names: for each name at one level, one query fetches
//! the related rows of *all* parents of that level, the next level runs on those rows,
//! then the rows are attached to their parents. Names are all checked, at every level,
//! before the first query.
//!
//! [`HasManyRelation`]: crate::relations::HasManyRelation
//! [`BelongsToRelation`]: crate::relations::BelongsToRelation

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, RwLock};

use indexmap::IndexMap;
use once_cell::sync::Lazy;

use crate::error::{OrmError, Result};
use crate::executor::Statement;
use crate::model::naming::to_snake_case;
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::Condition;
use crate::relations::constraint::Constraint;
use crate::relations::eager::{Branch, Node};
use crate::relations::existence::{self, Test};
use crate::relations::plan::Plan;
use crate::relations::touches::TouchOwner;
use crate::relations::{
    BelongsToManyRelation, BelongsToRelation, HasManyRelation, HasManyThroughRelation,
    HasOneRelation, HasOneThroughRelation,
};

pub(crate) mod sealed {
    use super::*;

    /// What every relation type does; sealed, so the set of relation kinds is the
    /// crate's. `P` is the parent model.
    pub trait RelationImpl<P: ModelDef>: PartialEq + Send + Sync + 'static {
        /// The related model.
        type Related: ModelDef;
        /// To-many (a list) or to-one (one record or none).
        const MANY: bool;
        /// Validate the relation's table and key names (before any query).
        fn check(&self) -> Result<()>;
        /// The one query for the related rows of all `parents` (with the caller's
        /// `constraint`, checked to be on `Self::Related`, added) and how its rows are
        /// matched to them; sent by the caller, alone or in a level's batch.
        fn plan(
            &self,
            orm: &Orm,
            parents: &[Instance<P>],
            constraint: Option<&Constraint>,
        ) -> Result<Plan<Self::Related>>;
        /// The related rows as a select of the related table (with the pivot joined,
        /// for a many-to-many), and the condition tying them to a row of
        /// `parent_table` — the body of a `where_has` subquery, without scopes.
        fn correlated(
            &self,
            orm: &Orm,
            parent_table: &'static str,
        ) -> Result<(crate::query::ast::Select, crate::query::ast::Condition)>;
        /// Check an eager-load constraint against the relation (before any query).
        fn check_constraint(&self, _constraint: &Constraint) -> Result<()> {
            Ok(())
        }
        /// The owner to touch, for a belongs-to (see [`ModelDef::TOUCHES`]).
        fn touch_owner(&self) -> Option<crate::relations::touches::TouchOwner> {
            None
        }
    }
}

use sealed::RelationImpl;

/// A relation from model `P`: [`HasOneRelation`], [`HasManyRelation`],
/// [`BelongsToRelation`] or [`BelongsToManyRelation`]. Sealed.
pub trait Relation<P: ModelDef>: RelationImpl<P> {}

impl<P: ModelDef, T: RelationImpl<P>> Relation<P> for T {}

/// Relations to eager-load: names (`"posts"`, `"posts.comments"`) and constraints by
/// name (`with_constraint`), as a query builder records them.
#[derive(Debug, Clone, Default)]
pub(crate) struct EagerLoads {
    /// Names, in the order given.
    pub(crate) names: Vec<String>,
    /// Constraints by relation path; a constrained path is loaded too.
    pub(crate) constraints: Vec<(String, Arc<Constraint>)>,
}

impl EagerLoads {
    /// Names only, no constraints.
    pub(crate) fn of_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        EagerLoads {
            names: names.into_iter().map(|s| s.as_ref().to_string()).collect(),
            constraints: Vec::new(),
        }
    }

    /// Whether nothing is to be loaded.
    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty() && self.constraints.is_empty()
    }
}

/// Nested relation names: `["posts", "posts.comments", "author"]` →
/// `{posts: {comments: {}}, author: {}}`, in first-mention order; a node carries the
/// constraint given for its path, if any.
#[derive(Debug, Default, Clone)]
pub(crate) struct EagerTree {
    pub(super) children: IndexMap<String, EagerTree>,
    pub(super) constraint: Option<Arc<Constraint>>,
}

impl EagerTree {
    pub(crate) fn parse<S: AsRef<str>>(names: &[S]) -> Self {
        let mut tree = EagerTree::default();
        for name in names {
            tree.node(name.as_ref());
        }
        tree
    }

    fn of(loads: &EagerLoads) -> Self {
        let mut tree = Self::parse(&loads.names);
        for (path, constraint) in &loads.constraints {
            tree.node(path).constraint = Some(constraint.clone());
        }
        tree
    }

    fn node(&mut self, path: &str) -> &mut EagerTree {
        let mut node = self;
        for segment in path.split('.') {
            node = node.children.entry(segment.to_string()).or_default();
        }
        node
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

/// A relation entry with its types erased.
pub(super) trait Eager<P: ModelDef>: Send + Sync {
    fn related_model(&self) -> &'static str;
    /// The relation's own names (keys, pivot), without the related model's check.
    fn check_keys(&self) -> Result<()>;
    fn check(&self, name: &str, nested: &EagerTree) -> Result<()>;
    /// Plan this relation for `parents` as a branch of an eager load, pushing the
    /// statements to send onto `out` (none when no parent has a key; one per related
    /// type for a morph-to).
    fn branch(
        &self,
        orm: &Orm,
        name: &str,
        parents: &[Instance<P>],
        nested: &EagerTree,
        out: &mut Vec<Statement>,
    ) -> Result<Box<dyn Branch<P>>>;
    fn as_any(&self) -> &dyn Any;
    /// The owner a belongs-to touches (see [`ModelDef::TOUCHES`]).
    fn touch_owner(&self) -> Option<TouchOwner>;
    /// This relation's level of a `where_has` path (see [`existence::level`]).
    fn condition(
        &self,
        orm: &Orm,
        path: &str,
        parent: &'static str,
        rest: &[&str],
        test: &Test,
    ) -> Result<Condition>;
}

/// A declared relation of one of the sealed kinds, as a map entry. (A wrapper, so the
/// morph-to can have its own [`Eager`] implementation beside this blanket one.)
pub(super) struct Declared<T>(pub(super) T);

impl<P: ModelDef, T: RelationImpl<P>> Eager<P> for Declared<T> {
    fn related_model(&self) -> &'static str {
        T::Related::model_name()
    }

    fn check_keys(&self) -> Result<()> {
        RelationImpl::check(&self.0)
    }

    fn check(&self, name: &str, nested: &EagerTree) -> Result<()> {
        RelationImpl::check(&self.0)?;
        crate::model::check_model::<T::Related>()?;
        if let Some(constraint) = &nested.constraint {
            constraint.check_model::<T::Related>(name)?;
            RelationImpl::check_constraint(&self.0, constraint)?;
        }
        check_tree::<T::Related>(nested)
    }

    fn branch(
        &self,
        orm: &Orm,
        name: &str,
        parents: &[Instance<P>],
        nested: &EagerTree,
        out: &mut Vec<Statement>,
    ) -> Result<Box<dyn Branch<P>>> {
        let plan = self.0.plan(orm, parents, nested.constraint.as_deref())?;
        let (statement, pending) = plan.split();
        out.extend(statement);
        let node = Node::<T::Related>::new(name, nested.clone(), T::MANY, pending);
        Ok(Box::new(node))
    }

    fn as_any(&self) -> &dyn Any {
        &self.0
    }

    fn touch_owner(&self) -> Option<TouchOwner> {
        RelationImpl::touch_owner(&self.0)
    }

    fn condition(
        &self,
        orm: &Orm,
        path: &str,
        parent: &'static str,
        rest: &[&str],
        test: &Test,
    ) -> Result<Condition> {
        existence::level::<P, T>(&self.0, orm, path, parent, rest, test)
    }
}

/// The relations of model `M`, by name (filled by [`ModelDef::relations`]).
///
/// ```
/// use roost_orm::prelude::*;
/// use roost_orm::relations::{BelongsToManyRelation, HasManyRelation};
///
/// struct Comment;
/// impl ModelDef for Comment {}
/// struct Tag;
/// impl ModelDef for Tag {}
/// struct User;
/// impl ModelDef for User {}
/// struct Post;
/// impl Post {
///     // TS: static comments = new HasManyRelation(Comment, 'post_id', 'id');
///     pub const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
///     pub const TAGS: BelongsToManyRelation<Tag> = BelongsToManyRelation::conventional();
/// }
/// impl ModelDef for Post {
///     fn relations(r: &mut RelationMap<Self>) {
///         r.add("comments", Post::COMMENTS)
///             .add("tags", Post::TAGS)
///             .belongs_to::<User>("author", "author_id", "id");
///     }
/// }
/// let map = roost_orm::relations::relation_map::<Post>();
/// assert_eq!(map.names().collect::<Vec<_>>(), ["comments", "tags", "author"]);
/// assert_eq!(map.related_model("author"), Some("User"));
/// ```
pub struct RelationMap<M: ModelDef> {
    entries: IndexMap<String, Box<dyn Eager<M>>>,
    _model: PhantomData<fn() -> M>,
}

impl<M: ModelDef> std::fmt::Debug for RelationMap<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v.related_model())))
            .finish()
    }
}

impl<M: ModelDef> Default for RelationMap<M> {
    fn default() -> Self {
        RelationMap {
            entries: IndexMap::new(),
            _model: PhantomData,
        }
    }
}

impl<M: ModelDef> RelationMap<M> {
    /// Declare relation `name` (a later declaration of the same name replaces it).
    /// A name must not contain `.` (that separates nesting levels in `with`), and a
    /// model reached through a [`BelongsToManyRelation`] keeps its pivot row under
    /// `pivot`, so avoid that name there.
    pub fn add<T: Relation<M>>(&mut self, name: impl Into<String>, relation: T) -> &mut Self {
        self.entries
            .insert(name.into(), Box::new(Declared(relation)));
        self
    }

    /// The owner the belongs-to declared as `name` touches (`None` for another kind).
    pub(crate) fn touch_owner(&self, name: &str) -> Option<TouchOwner> {
        self.entries.get(name).and_then(|entry| entry.touch_owner())
    }

    /// Declare a [`HasOneRelation`] (TS `new HasOneRelation(R, foreignKey, localKey)`).
    pub fn has_one<R: ModelDef>(
        &mut self,
        name: impl Into<String>,
        foreign_key: &'static str,
        local_key: &'static str,
    ) -> &mut Self {
        self.add(name, HasOneRelation::<R>::new(foreign_key, local_key))
    }

    /// Declare a [`HasManyRelation`] (TS `new HasManyRelation(R, foreignKey, localKey)`).
    pub fn has_many<R: ModelDef>(
        &mut self,
        name: impl Into<String>,
        foreign_key: &'static str,
        local_key: &'static str,
    ) -> &mut Self {
        self.add(name, HasManyRelation::<R>::new(foreign_key, local_key))
    }

    /// Declare a [`BelongsToRelation`] (TS `new BelongsToRelation(R, foreignKey,
    /// localKey)`; the local key is the owner key on `R`'s table).
    pub fn belongs_to<R: ModelDef>(
        &mut self,
        name: impl Into<String>,
        foreign_key: &'static str,
        owner_key: &'static str,
    ) -> &mut Self {
        self.add(name, BelongsToRelation::<R>::new(foreign_key, owner_key))
    }

    /// Declare a [`BelongsToManyRelation`] through `pivot_table` (Laravel
    /// `belongsToMany(R, table, foreignPivotKey, relatedPivotKey)`).
    pub fn belongs_to_many<R: ModelDef>(
        &mut self,
        name: impl Into<String>,
        pivot_table: &'static str,
        foreign_pivot_key: &'static str,
        related_pivot_key: &'static str,
    ) -> &mut Self {
        self.add(
            name,
            BelongsToManyRelation::<R>::new(pivot_table, foreign_pivot_key, related_pivot_key),
        )
    }

    /// Declare a [`HasManyThroughRelation`] to `R` through `T` (Laravel
    /// `hasManyThrough(R, T, firstKey, secondKey)`).
    pub fn has_many_through<R: ModelDef, T: ModelDef>(
        &mut self,
        name: impl Into<String>,
        first_key: &'static str,
        second_key: &'static str,
    ) -> &mut Self {
        self.add(
            name,
            HasManyThroughRelation::<R, T>::new(first_key, second_key),
        )
    }

    /// Declare a [`HasOneThroughRelation`] to `R` through `T` (Laravel
    /// `hasOneThrough(R, T, firstKey, secondKey)`).
    pub fn has_one_through<R: ModelDef, T: ModelDef>(
        &mut self,
        name: impl Into<String>,
        first_key: &'static str,
        second_key: &'static str,
    ) -> &mut Self {
        self.add(
            name,
            HasOneThroughRelation::<R, T>::new(first_key, second_key),
        )
    }

    /// Declare a [`MorphToRelation`](crate::relations::MorphToRelation) (Laravel
    /// `morphTo`): the child side of a polymorphic relation.
    pub fn morph_to(
        &mut self,
        name: impl Into<String>,
        relation: crate::relations::MorphToRelation,
    ) -> &mut Self {
        self.entries.insert(name.into(), Box::new(relation));
        self
    }

    /// The declared names, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Whether `name` is declared.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The related model's name of relation `name`.
    pub fn related_model(&self, name: &str) -> Option<&'static str> {
        self.entries.get(name).map(|e| e.related_model())
    }

    /// Check every declared relation's names (keys, pivot), for the model check:
    /// the first fault with the relation's name.
    pub(crate) fn check_declarations(&self) -> std::result::Result<(), (String, OrmError)> {
        for (name, entry) in &self.entries {
            entry.check_keys().map_err(|e| (name.clone(), e))?;
        }
        Ok(())
    }

    /// Number of declared relations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no relation is declared.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name under which `relation` is declared, if it is.
    pub(crate) fn name_of<T: Relation<M>>(&self, relation: &T) -> Option<&str> {
        self.name_of_any(relation)
    }

    /// [`name_of`](Self::name_of) for any relation kind (a morph-to too).
    pub(crate) fn name_of_any<T: PartialEq + 'static>(&self, relation: &T) -> Option<&str> {
        self.entries
            .iter()
            .find(|(_, e)| e.as_any().downcast_ref::<T>() == Some(relation))
            .map(|(name, _)| name.as_str())
    }

    fn get(&self, name: &str) -> Result<&dyn Eager<M>> {
        self.entries
            .get(name)
            .map(|e| e.as_ref())
            .ok_or_else(|| OrmError::InvalidRelation {
                model: M::model_name(),
                relation: name.to_string(),
            })
    }
}

type Maps = RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>;
static MAPS: Lazy<Maps> = Lazy::new(Default::default);

/// The relation map of model `M`, built by [`ModelDef::relations`] on first use and
/// cached for the process.
pub fn relation_map<M: ModelDef>() -> Arc<RelationMap<M>> {
    let id = TypeId::of::<M>();
    let cached = MAPS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    if let Some(map) = cached.and_then(|m| m.downcast::<RelationMap<M>>().ok()) {
        return map;
    }
    // Built outside the lock: declaring may name other models, never read their maps.
    let mut map = RelationMap::<M>::default();
    M::relations(&mut map);
    let built: Arc<dyn Any + Send + Sync> = Arc::new(map);
    let stored = MAPS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(id)
        .or_insert(built)
        .clone();
    match stored.downcast::<RelationMap<M>>() {
        Ok(map) => map,
        // Unreachable (entries are keyed by their own TypeId); stay total anyway.
        Err(_) => {
            let mut map = RelationMap::<M>::default();
            M::relations(&mut map);
            Arc::new(map)
        }
    }
}

/// The condition of relation path `path` (`"posts"`, `"posts.comments"`) from `M`'s
/// rows: see [`existence`]. An unknown name at any depth is
/// [`OrmError::InvalidRelation`] naming the model it is missing on.
pub(crate) fn relation_condition<M: ModelDef>(
    orm: &Orm,
    path: &str,
    test: &Test,
) -> Result<Condition> {
    let segments: Vec<&str> = path.split('.').collect();
    let (first, rest) = segments
        .split_first()
        .ok_or_else(|| OrmError::InvalidRelation {
            model: M::model_name(),
            relation: path.to_string(),
        })?;
    relation_condition_in::<M>(orm, path, crate::model::table_of::<M>(), first, rest, test)
}

/// One level of [`relation_condition`]: relation `name` of `M`, whose rows are
/// correlated with a row of the `parent` table (`M`'s).
pub(crate) fn relation_condition_in<M: ModelDef>(
    orm: &Orm,
    path: &str,
    parent: &'static str,
    name: &str,
    rest: &[&str],
    test: &Test,
) -> Result<Condition> {
    relation_map::<M>()
        .get(name)?
        .condition(orm, path, parent, rest, test)
}

/// Check a tree of names against `M`'s relations, recursively.
fn check_tree<M: ModelDef>(tree: &EagerTree) -> Result<()> {
    if tree.is_empty() {
        return Ok(());
    }
    let map = relation_map::<M>();
    for (name, nested) in &tree.children {
        map.get(name)?.check(name, nested)?;
    }
    Ok(())
}

/// Check every name of a `with(...)` list, at every level, against the relations of
/// `M` and of the related models: [`OrmError::InvalidRelation`] names the model where
/// a name is missing. Runs no query.
pub(crate) fn check_eager<M: ModelDef>(loads: &EagerLoads) -> Result<()> {
    if loads.is_empty() {
        return Ok(());
    }
    check_tree::<M>(&EagerTree::of(loads))
}

/// Load the `with(...)` relations onto `parents`: all names checked first, then one
/// round trip per nesting level (see [`eager`](super::eager)).
pub(crate) async fn eager_load<M: ModelDef>(
    orm: &Orm,
    parents: &mut [Instance<M>],
    loads: &EagerLoads,
) -> Result<()> {
    if loads.is_empty() {
        return Ok(());
    }
    let tree = EagerTree::of(loads);
    check_tree::<M>(&tree)?;
    if parents.is_empty() {
        return Ok(());
    }
    let map = relation_map::<M>();
    let mut roots = Vec::with_capacity(tree.children.len());
    let mut statements = Vec::with_capacity(tree.children.len());
    for (name, nested) in &tree.children {
        let branch = map
            .get(name)?
            .branch(orm, name, parents, nested, &mut statements)?;
        roots.push(branch);
    }
    super::eager::load_levels(orm, parents, roots, statements).await
}

/// The branches of `tree`'s children under `parents` (the next level of an eager
/// load), pushing their statements onto `out`.
pub(super) fn branches<M: ModelDef>(
    orm: &Orm,
    parents: &[Instance<M>],
    tree: &EagerTree,
    out: &mut Vec<Statement>,
) -> Result<Vec<Box<dyn Branch<M>>>> {
    let map = relation_map::<M>();
    let mut branches = Vec::with_capacity(tree.children.len());
    for (name, nested) in &tree.children {
        let branch = map.get(name)?.branch(orm, name, parents, nested, out)?;
        branches.push(branch);
    }
    Ok(branches)
}

/// Load `relation` onto `parents` under `name` (or, with `None`, the name `P` declares it
/// under, else the default name: the related table for a to-many relation, the related
/// model in snake case for a to-one relation).
pub(crate) async fn load_many_named<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parents: &mut [Instance<P>],
    name: Option<&str>,
) -> Result<()> {
    let orm = Orm::current_for::<P>()?;
    RelationImpl::check(relation)?;
    let name = match name {
        Some(name) => name.to_string(),
        None => relation_name(relation),
    };
    if parents.is_empty() {
        return Ok(());
    }
    let fetched = relation.plan(&orm, parents, None)?.run(&orm).await?;
    fetched.attach(parents, &name, T::MANY);
    Ok(())
}

/// The name relation `relation` is loaded under on a `P`: the name `P` declares it
/// under, else the related table for a to-many relation, the related model in snake
/// case for a to-one relation.
pub(crate) fn relation_name<P: ModelDef, T: Relation<P>>(relation: &T) -> String {
    match relation_map::<P>().name_of(relation) {
        Some(declared) => declared.to_string(),
        None if T::MANY => crate::model::table_of::<T::Related>().to_string(),
        None => to_snake_case(T::Related::model_name()),
    }
}

/// The related rows of one parent (for the typed `load(&parent)`).
pub(crate) async fn load_one_parent<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
) -> Result<Vec<Instance<T::Related>>> {
    let orm = Orm::current_for::<P>()?;
    RelationImpl::check(relation)?;
    let fetched = relation
        .plan(&orm, std::slice::from_ref(parent), None)?
        .run(&orm)
        .await?;
    Ok(fetched.into_groups().into_iter().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_nest_and_merge() {
        let tree = EagerTree::parse(&["posts", "posts.comments", "author", "posts.tags.x"]);
        let top: Vec<&str> = tree.children.keys().map(String::as_str).collect();
        assert_eq!(top, ["posts", "author"]);
        let posts = &tree.children["posts"];
        let second: Vec<&str> = posts.children.keys().map(String::as_str).collect();
        assert_eq!(second, ["comments", "tags"]);
        assert!(posts.children["tags"].children.contains_key("x"));
        assert!(tree.children["author"].is_empty());
    }
}
