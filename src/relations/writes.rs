//! Writes through relations (Laravel `$user->posts()->create(...)`, `->save($post)`,
//! `$post->author()->associate($user)`): the relation sets the foreign key, then the
//! record is saved as any other, with its hooks, casts, timestamps, tenant stamp and
//! touches.
//!
//! - A has-one / has-many writes the parent's local key into the child's foreign key
//!   (overwriting any value the caller gave: the child belongs to this parent).
//!   `create_many` and `save_many` store their new children together: one round trip,
//!   all or nothing, in as few INSERTs as D1's limits allow.
//! - A belongs-to `associate` / `dissociate` only changes the child in memory (the
//!   foreign key and the loaded relation); `save` writes it, as in Laravel.
//!
//! A parent without the key its children point at is
//! [`OrmError::MissingPrimaryKey`](crate::OrmError::MissingPrimaryKey), and a bad key
//! column [`OrmError::UnknownColumn`](crate::OrmError::UnknownColumn) or
//! [`OrmError::InvalidIdentifier`](crate::OrmError::InvalidIdentifier), before any SQL.
//! This module builds no SQL.
//!
//! ```no_run
//! # use roost_orm::prelude::*;
//! # use serde_json::json;
//! # struct Post; impl ModelDef for Post {}
//! # struct User; impl ModelDef for User {}
//! # impl User { const POSTS: HasManyRelation<Post> = HasManyRelation::new("author_id", "id"); }
//! # async fn f(user: Instance<User>) -> roost_orm::Result<()> {
//! let post = User::POSTS.create(&user, json!({"title": "Hello"})).await?;
//! assert_eq!(post.get("author_id"), user.key());
//! let more = User::POSTS
//!     .create_many(&user, [json!({"title": "One"}), json!({"title": "Two"})])
//!     .await?; // one round trip
//! # Ok(()) }
//! ```

use crate::error::Result;
use crate::model::bulk::insert_many;
use crate::model::{Instance, IntoAttributes, ModelDef};
use crate::orm::Orm;
use crate::relations::keyed::MorphType;
use crate::relations::loaded::Loaded;
use crate::relations::map::{relation_name, sealed::RelationImpl, Relation};
use crate::relations::{BelongsToRelation, HasManyRelation, HasOneRelation};

/// The value of the parent's `local` column, checked, for children's `foreign_key`.
fn parent_value<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
    local: &'static str,
) -> Result<serde_json::Value> {
    Orm::current_for::<T::Related>()?;
    RelationImpl::check(relation)?;
    parent.required_value(local)
}

/// Point `child` at `parent`: its foreign key, and for a polymorphic relation its type
/// column (the parent's morph name).
fn point_at<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
    (local, foreign, morph): ChildColumns,
    child: &mut Instance<T::Related>,
) -> Result<()> {
    let key = parent_value(relation, parent, local)?;
    child.set_raw(foreign, key);
    if let Some((column, name)) = morph {
        child.set_raw(column, name);
    }
    Ok(())
}

/// The parent's local key, the child's foreign key, and for a polymorphic relation the
/// child's type column with the parent's morph name.
pub(crate) type ChildColumns = (&'static str, &'static str, MorphType);

/// `attributes` as a new child of `parent` through `relation`.
pub(super) fn make_child<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
    columns: ChildColumns,
    attributes: impl IntoAttributes,
) -> Result<Instance<T::Related>> {
    let attributes = crate::model::guards::fillable::<T::Related>(attributes.into_attributes()?)?;
    let mut child = Instance::from_attributes(attributes)?;
    point_at(relation, parent, columns, &mut child)?;
    Ok(child)
}

/// Point `child` at `parent` through `relation` and save it.
pub(super) async fn save_child<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
    columns: ChildColumns,
    child: &mut Instance<T::Related>,
) -> Result<()> {
    point_at(relation, parent, columns, child)?;
    child.save().await.map(drop)
}

/// Every child of `children` pointed at `parent` and saved: the new ones inserted
/// together in one round trip (all or none), then each stored one with changes.
pub(super) async fn save_children<P: ModelDef, T: Relation<P>>(
    relation: &T,
    parent: &Instance<P>,
    columns: ChildColumns,
    children: &mut [Instance<T::Related>],
) -> Result<()> {
    for child in children.iter_mut() {
        point_at(relation, parent, columns, child)?;
    }
    let orm = Orm::current_for::<T::Related>()?;
    // The new ones keep their places: stored back in the caller's slice.
    let (new, stored): (Vec<usize>, Vec<usize>) =
        (0..children.len()).partition(|&i| !children[i].exists());
    let mut inserted: Vec<Instance<T::Related>> = new
        .iter()
        .map(|&i| std::mem::take(&mut children[i]))
        .collect();
    let outcome = insert_many(&orm, &mut inserted).await;
    for (&i, child) in new.iter().zip(inserted) {
        children[i] = child;
    }
    outcome?;
    for i in stored {
        children[i].save().await?;
    }
    Ok(())
}

/// Children of `parent` made from `rows` and inserted in one round trip.
pub(super) async fn create_children<P: ModelDef, T: Relation<P>, A: IntoAttributes>(
    relation: &T,
    parent: &Instance<P>,
    columns: ChildColumns,
    rows: impl IntoIterator<Item = A>,
) -> Result<Vec<Instance<T::Related>>> {
    let mut children = rows
        .into_iter()
        .map(|attributes| make_child(relation, parent, columns, attributes))
        .collect::<Result<Vec<_>>>()?;
    insert_many(&Orm::current_for::<T::Related>()?, &mut children).await?;
    Ok(children)
}

/// A relation whose children point at their parent with columns of their own (a
/// has-one / has-many: the foreign key; a morph-one / morph-many: the id and type
/// columns): what [`UnitOfWork::create_related`](crate::unit::UnitOfWork::create_related)
/// writes through.
pub trait ChildRelation<P: ModelDef>: Relation<P> {
    /// The parent's local key, the child's foreign key, and for a polymorphic relation
    /// the child's type column with the parent's morph name.
    #[doc(hidden)]
    fn columns_to_parent(&self) -> Result<ChildColumns>;
}

/// A new child (the fillable part of `attributes`) through `relation`: pointed at
/// `parent` when given; without one (a parent whose key the database will assign in
/// the same batch), every column but the foreign key is set — a foreign key in the
/// attributes is dropped, the batch writes it.
pub(crate) fn new_child<P: ModelDef, T: ChildRelation<P>>(
    relation: &T,
    parent: Option<&Instance<P>>,
    attributes: impl IntoAttributes,
) -> Result<Instance<T::Related>> {
    let columns = relation.columns_to_parent()?;
    if let Some(parent) = parent {
        return make_child(relation, parent, columns, attributes);
    }
    Orm::current_for::<T::Related>()?;
    RelationImpl::check(relation)?;
    let (_, foreign, morph) = columns;
    let mut attributes =
        crate::model::guards::fillable::<T::Related>(attributes.into_attributes()?)?;
    attributes.shift_remove(foreign);
    let mut child = Instance::from_attributes(attributes)?;
    if let Some((column, name)) = morph {
        child.set_raw(column, name);
    }
    Ok(child)
}

/// `make`, `create`, `save` of a relation whose children point at their parent through
/// `child_columns::<P>()` (a has-one / has-many: the foreign key; a morph-one /
/// morph-many: the id and type columns).
macro_rules! child_writes {
    ($name:ident) => {
        impl<P: ModelDef, R: ModelDef> $crate::relations::ChildRelation<P> for $name<R>
        where
            Self: Relation<P, Related = R>,
        {
            fn columns_to_parent(&self) -> Result<$crate::relations::writes::ChildColumns> {
                self.child_columns::<P>()
            }
        }

        impl<R: ModelDef> $name<R> {
            /// A new, unsaved child of `parent` with the fillable part of these
            /// attributes and the columns pointing at the parent set (Laravel
            /// `$parent->relation()->make($attributes)`).
            pub fn make<P: ModelDef>(
                &self,
                parent: &Instance<P>,
                attributes: impl IntoAttributes,
            ) -> Result<Instance<R>>
            where
                Self: Relation<P, Related = R>,
            {
                $crate::relations::writes::make_child(
                    self,
                    parent,
                    self.child_columns::<P>()?,
                    attributes,
                )
            }

            /// Insert a child of `parent` and return it as stored (Laravel
            /// `$parent->relation()->create($attributes)`): one statement, `creating` /
            /// `created` fired, the columns pointing at the parent set from it whatever
            /// the attributes say (see the module docs for an example).
            pub async fn create<P: ModelDef>(
                &self,
                parent: &Instance<P>,
                attributes: impl IntoAttributes,
            ) -> Result<Instance<R>>
            where
                Self: Relation<P, Related = R>,
            {
                let mut child = self.make(parent, attributes)?;
                child.save().await?;
                Ok(child)
            }

            /// Point `child` at `parent` and save it (Laravel
            /// `$parent->relation()->save($child)`): an INSERT when new, an UPDATE of
            /// the changed columns when stored.
            pub async fn save<P: ModelDef>(
                &self,
                parent: &Instance<P>,
                child: &mut Instance<R>,
            ) -> Result<()>
            where
                Self: Relation<P, Related = R>,
            {
                $crate::relations::writes::save_child(
                    self,
                    parent,
                    self.child_columns::<P>()?,
                    child,
                )
                .await
            }
        }
    };
}

/// `create_many`, `save_many` of a to-many relation with `child_columns`.
macro_rules! children_writes {
    ($name:ident) => {
        impl<R: ModelDef> $name<R> {
            /// Insert several children of `parent` (Laravel `createMany`): every
            /// `creating` hook first, then the INSERTs in one round trip — all rows or
            /// none — then the stored rows and `created` hooks.
            pub async fn create_many<P: ModelDef, A: IntoAttributes>(
                &self,
                parent: &Instance<P>,
                rows: impl IntoIterator<Item = A>,
            ) -> Result<Vec<Instance<R>>>
            where
                Self: Relation<P, Related = R>,
            {
                $crate::relations::writes::create_children(
                    self,
                    parent,
                    self.child_columns::<P>()?,
                    rows,
                )
                .await
            }

            /// Point every child at `parent` and save it (Laravel `saveMany`): the new
            /// ones inserted together in one round trip (all or none), then each stored
            /// one with changes updated in its own statement.
            pub async fn save_many<P: ModelDef>(
                &self,
                parent: &Instance<P>,
                children: &mut [Instance<R>],
            ) -> Result<()>
            where
                Self: Relation<P, Related = R>,
            {
                $crate::relations::writes::save_children(
                    self,
                    parent,
                    self.child_columns::<P>()?,
                    children,
                )
                .await
            }
        }
    };
}

pub(super) use {child_writes, children_writes};

/// A has-one / has-many child's columns: the parent's local key into the foreign key.
macro_rules! keyed_child_columns {
    ($name:ident) => {
        impl<R: ModelDef> $name<R> {
            fn child_columns<P: ModelDef>(&self) -> Result<ChildColumns> {
                Ok((self.local::<P>(), self.foreign_key(), None))
            }
        }
    };
}

keyed_child_columns!(HasOneRelation);
keyed_child_columns!(HasManyRelation);
child_writes!(HasOneRelation);
child_writes!(HasManyRelation);
children_writes!(HasManyRelation);

impl<R: ModelDef> BelongsToRelation<R> {
    /// Point `child` at `owner` (Laravel `$child->relation()->associate($owner)`): set
    /// the foreign key to the owner's key and the loaded relation to `owner`. Nothing
    /// is written until `child.save()`.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::BelongsToRelation;
    /// # struct User; impl ModelDef for User {}
    /// # struct Post; impl ModelDef for Post {}
    /// # impl Post { const AUTHOR: BelongsToRelation<User> = BelongsToRelation::new("author_id", "id"); }
    /// # async fn f(mut post: Instance<Post>, user: Instance<User>) -> roost_orm::Result<()> {
    /// Post::AUTHOR.associate(&mut post, &user)?;
    /// post.save().await?;
    /// # Ok(()) }
    /// ```
    pub fn associate<P: ModelDef>(&self, child: &mut Instance<P>, owner: &Instance<R>) -> Result<()>
    where
        Self: Relation<P, Related = R>,
    {
        RelationImpl::check(self)?;
        let key = owner.required_value(self.owner_key())?;
        child.set_raw(self.foreign_key(), key);
        let loaded = Loaded::One(Some(Box::new(owner.clone())));
        child.relations.insert(relation_name(self), loaded);
        Ok(())
    }

    /// Detach `child` from its owner (Laravel `dissociate`): the foreign key becomes
    /// NULL and the loaded relation `None`. Nothing is written until `child.save()`.
    pub fn dissociate<P: ModelDef>(&self, child: &mut Instance<P>) -> Result<()>
    where
        Self: Relation<P, Related = R>,
    {
        RelationImpl::check(self)?;
        child.set_raw(self.foreign_key(), serde_json::Value::Null);
        child
            .relations
            .insert(relation_name(self), Loaded::One(None));
        Ok(())
    }
}
