//! The parent side of polymorphic relations (Laravel `morphOne`, `morphMany`):
//! [`MorphOneRelation`], [`MorphManyRelation`] — a post's comments, where `comments`
//! also holds videos' comments and tells them apart by a type column.
//!
//! The related rows are those whose id column holds the parent's key **and** whose type
//! column holds the parent model's [`ModelDef::MORPH_NAME`] (a stable name such as
//! `"post"`, never a Rust path). A parent model without a morph name is an error before
//! any SQL. Loads are the key-to-key relations' (one query per level, the related
//! scopes applied); `where_has` / `with_count` correlate on both columns; writes set
//! both columns. The child side is [`MorphToRelation`](super::MorphToRelation).

use std::fmt;
use std::marker::PhantomData;

use crate::error::{OrmError, Result};
use crate::model::{check_column, Instance, IntoAttributes, ModelDef, Schema};
use crate::orm::Orm;
use crate::query::ast::{Condition, Select};
use crate::relations::constraint::Constraint;
use crate::relations::keyed::{correlated_by_key, plan_by_key};
use crate::relations::map::{load_many_named, load_one_parent, sealed::RelationImpl, Relation};
use crate::relations::plan::Plan;
use crate::relations::writes::{child_writes, children_writes, ChildColumns};

/// The morph name of `P`, which a polymorphic relation needs.
pub(crate) fn morph_name<P: ModelDef>() -> Result<&'static str> {
    match P::MORPH_NAME {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(OrmError::InvalidModel {
            model: P::model_name(),
            reason: "a polymorphic relation needs its MORPH_NAME (the stable name stored \
                     in type columns, e.g. \"post\")"
                .to_string(),
        }),
    }
}

macro_rules! morph_relation {
    ($(#[$doc:meta])* $name:ident, many: $many:literal) => {
        $(#[$doc])*
        pub struct $name<R: ModelDef> {
            type_column: &'static str,
            id_column: &'static str,
            local_key: Option<&'static str>,
            _related: PhantomData<fn() -> R>,
        }

        impl<R: ModelDef> Clone for $name<R> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<R: ModelDef> Copy for $name<R> {}

        impl<R: ModelDef> PartialEq for $name<R> {
            fn eq(&self, other: &Self) -> bool {
                (self.type_column, self.id_column, self.local_key)
                    == (other.type_column, other.id_column, other.local_key)
            }
        }

        impl<R: ModelDef> Eq for $name<R> {}

        impl<R: ModelDef> fmt::Debug for $name<R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("related", &R::model_name())
                    .field("type_column", &self.type_column)
                    .field("id_column", &self.id_column)
                    .field("local_key", &self.local_key)
                    .finish()
            }
        }

        impl<R: ModelDef> $name<R> {
            /// `R`'s rows whose `id_column` holds the parent's key and whose
            /// `type_column` its model's morph name (Laravel `morphMany(R, 'commentable')`
            /// is `new("commentable_type", "commentable_id")`).
            pub const fn new(type_column: &'static str, id_column: &'static str) -> Self {
                $name {
                    type_column,
                    id_column,
                    local_key: None,
                    _related: PhantomData,
                }
            }

            /// The parent's column the id column holds (default its primary key).
            pub const fn local_key(mut self, column: &'static str) -> Self {
                self.local_key = Some(column);
                self
            }

            fn child_columns<P: ModelDef>(&self) -> Result<ChildColumns> {
                let local = self.local_key.unwrap_or(P::PRIMARY_KEY);
                Ok((local, self.id_column, Some((self.type_column, morph_name::<P>()?))))
            }

            /// Load the relation onto every parent with one query, under the name the
            /// parent model declares it with.
            pub async fn load_many<P: ModelDef>(&self, parents: &mut [Instance<P>]) -> Result<()>
            where
                Self: Relation<P>,
            {
                load_many_named(self, parents, None).await
            }
        }

        child_writes!($name);

        impl<P: ModelDef, R: ModelDef> RelationImpl<P> for $name<R> {
            type Related = R;
            const MANY: bool = $many;

            fn check(&self) -> Result<()> {
                let (local, id, _) = self.child_columns::<P>()?;
                check_column::<P>(local)?;
                check_column::<R>(id)?;
                check_column::<R>(self.type_column).map(drop)
            }

            fn plan(
                &self,
                orm: &Orm,
                parents: &[Instance<P>],
                constraint: Option<&Constraint>,
            ) -> Result<Plan<R>> {
                let (local, id, morph) = self.child_columns::<P>()?;
                plan_by_key(orm, parents, local, id, !$many, constraint, None, morph)
            }

            fn correlated(&self, _orm: &Orm, parent_table: &'static str) -> Result<(Select, Condition)> {
                let (local, id, morph) = self.child_columns::<P>()?;
                let schemas = (Schema::of::<P>(), Schema::of::<R>());
                correlated_by_key(schemas, parent_table, local, id, morph)
            }
        }
    };
}

morph_relation!(
    /// The parent's many `R` of a polymorphic relation (Laravel `morphMany`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::MorphManyRelation;
    /// # struct Comment; impl ModelDef for Comment {}
    /// struct Post;
    /// impl Post {
    ///     pub const COMMENTS: MorphManyRelation<Comment> =
    ///         MorphManyRelation::new("commentable_type", "commentable_id");
    /// }
    /// impl ModelDef for Post {
    ///     const MORPH_NAME: Option<&'static str> = Some("post");
    /// }
    /// # async fn f(post: Instance<Post>) -> roost_orm::Result<()> {
    /// let comments = Post::COMMENTS.load(&post).await?; // ... AND commentable_type = 'post'
    /// # Ok(()) }
    /// ```
    MorphManyRelation,
    many: true
);

morph_relation!(
    /// The parent's one `R` of a polymorphic relation (Laravel `morphOne`): a post's
    /// image, where `images` also holds users' avatars.
    MorphOneRelation,
    many: false
);

impl<R: ModelDef> MorphManyRelation<R> {
    /// The parent's related records.
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Vec<Instance<R>>> {
        load_one_parent(self, parent).await
    }
}

children_writes!(MorphManyRelation);

impl<R: ModelDef> MorphOneRelation<R> {
    /// The parent's related record, or `None`.
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Option<Instance<R>>> {
        Ok(load_one_parent(self, parent).await?.into_iter().next())
    }
}
