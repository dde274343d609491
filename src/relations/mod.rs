//! Relationships: the reference's `HasOneRelation`, `HasManyRelation`,
//! `BelongsToRelation`, plus Laravel's `BelongsToMany`, has-one / has-many through,
//! one-of-many, the polymorphic `MorphOne` / `MorphMany` / `MorphTo`, and eager loading
//! by name.
//!
//! This module owns what a relation is, how its rows are matched to parents and attached
//! to them, and how they are read back; the SQL comes from [`crate::query`].
//!
//! - **Declare** relations as typed values (`HasManyRelation::<Post>::new("author_id",
//!   "id")`, usable as `const`s: `User::POSTS.load(&user)`), and by name in
//!   [`ModelDef::relations`](crate::ModelDef::relations) so `with(...)` finds them.
//! - **Load** one parent's records (`load(&parent)`), or a relation onto many parents
//!   with one query (`load_many(&mut parents)`); or by name, nested with dots:
//!   `User::with(["posts.comments", "profile"]).all()`, [`Instance::load`](crate::Instance::load),
//!   [`load`]. Eager loading sends exactly one query per relation per nesting level,
//!   whatever the number of parents (keys bind as one JSON-array parameter, so D1's
//!   100-parameter limit never applies), and none for a relation with no keys; the
//!   queries of one level go out together, in one batch: one round trip per level. Unknown
//!   names, at any level, fail with [`OrmError::InvalidRelation`](crate::OrmError) before
//!   any query.
//! - **Read back** typed: `user.related::<Post>("posts")`,
//!   `post.related_one::<User>("author")`, `tag.pivot()`. Every parent gets an entry: an
//!   empty list or `None` when it has no related rows. Serializing an instance nests
//!   its loaded relations after its attributes.
//! - **Write** through them: `User::POSTS.create(&user, attrs)`, `create_many` (one
//!   round trip), `save` / `save_many`, `Post::AUTHOR.associate(&mut post, &user)` /
//!   `dissociate`; a model's [`ModelDef::TOUCHES`](crate::ModelDef::TOUCHES) bumps its
//!   owners' `updated_at` on every write.
//! - Relation queries carry the related model's scopes (soft deletes, tenant) through
//!   `model_scopes`, like every other query. Related rows come in the order the database
//!   returns them (no ORDER BY is added).

mod access;
mod aggregates;
mod belongs_to_many;
mod constraint;
mod eager;
mod existence;
pub(crate) mod fetched;
mod keyed;
mod loaded;
mod map;
pub(crate) mod morph;
mod morph_to;
mod of_many;
pub(crate) mod pivot;
mod plan;
mod through;
pub(crate) mod touches;
mod writes;
pub(crate) use writes::new_child;
pub use writes::ChildRelation;

pub use access::load;
pub use aggregates::{load_aggregates, load_count, load_exists};
pub use belongs_to_many::{BelongsToMany, BelongsToManyRelation, Pivot, PIVOT_RELATION};
pub use constraint::Constraint;
pub(crate) use existence::Test;
pub use keyed::{BelongsTo, BelongsToRelation, HasMany, HasManyRelation, HasOne, HasOneRelation};
pub use loaded::{AnyInstance, Loaded, LoadedRelations};
pub(crate) use map::relation_condition;
pub use map::{relation_map, Relation, RelationMap};
pub use morph::{MorphManyRelation, MorphOneRelation};
pub use morph_to::{MorphTarget, MorphToRelation};
pub use pivot::SyncChanges;
pub use through::{HasManyThroughRelation, HasOneThroughRelation};

pub(crate) use map::{check_eager, eager_load, EagerLoads};
