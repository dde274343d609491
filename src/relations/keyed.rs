//! The key-to-key relations of the reference: [`HasOneRelation`], [`HasManyRelation`],
//! [`BelongsToRelation`].
//!
//! All three fetch `SELECT * FROM related WHERE related.column IN (parent values)` plus
//! the related model's scopes, and differ only in which side holds the foreign key:
//!
//! | relation                       | parent column                  | related column                 |
//! |--------------------------------|--------------------------------|--------------------------------|
//! | `HasOneRelation(R, fk, local)` | `local` (default: primary key) | `fk`                           |
//! | `HasManyRelation(R, fk, local)`| `local` (default: primary key) | `fk`                           |
//! | `BelongsToRelation(R, fk, own)`| `fk`                           | `own` (default: R's primary key)|
//!
//! A parent whose key is NULL gets no related rows, and when no parent has a key no
//! query is sent (so a `BelongsTo` with a NULL foreign key loads `None` for free).

use std::fmt;
use std::marker::PhantomData;

use crate::error::Result;
use crate::model::{check_column, table_of, Instance, ModelDef, Schema};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Ident, Operator, Select, Where};
use crate::query::compiler;
use crate::query::scopes::model_scopes;
use crate::relations::constraint::Constraint;
use crate::relations::fetched::{dict_key, key_condition, parent_keys, Fetched};
use crate::relations::map::{load_many_named, load_one_parent, sealed::RelationImpl, Relation};
use crate::relations::of_many::{limit_on_one, no_existence_query, OfMany};
use crate::relations::plan::Plan;
use crate::relations::touches::TouchOwner;

/// The type column of a polymorphic relation and the parent's morph name it must hold.
pub(super) type MorphType = Option<(&'static str, &'static str)>;

/// `related.type_column = 'name'`, for a polymorphic relation.
fn morph_condition(
    related: &Schema,
    (column, name): (&'static str, &'static str),
) -> Result<Condition> {
    let column = related.check_column(&format!("{}.{column}", related.table))?;
    Ok(Condition::Compare {
        column,
        op: Operator::Eq,
        value: crate::value::SqlValue::Text(name.to_string()),
    })
}

/// The query for the rows of `R` whose `related_column` equals some parent's
/// `parent_column` (and, for a polymorphic relation, whose type column names the
/// parent's model), and its grouping per parent.
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_by_key<P: ModelDef, R: ModelDef>(
    orm: &Orm,
    parents: &[Instance<P>],
    parent_column: &str,
    related_column: &'static str,
    to_one: bool,
    constraint: Option<&Constraint>,
    of_many: Option<&OfMany>,
    morph: MorphType,
) -> Result<Plan<R>> {
    crate::model::check_model::<R>()?;
    let (values, keys) = parent_keys(parents, parent_column);
    if values.is_empty() {
        return Ok(Plan::empty(parents.len()));
    }
    let table = table_of::<R>();
    let column = check_column::<R>(&format!("{table}.{related_column}"))?;
    let single = values.len() == 1;
    let mut select = Select::new(crate::query::Ident::parse_static(table)?);
    select.filter.push(Where {
        boolean: Boolean::And,
        condition: key_condition::<R>(column.clone(), &column, values)?,
    });
    if let Some(morph) = morph {
        select.filter.push(Where {
            boolean: Boolean::And,
            condition: morph_condition(&Schema::of::<R>(), morph)?,
        });
    }
    Constraint::apply(constraint, orm, &mut select)?;
    if let Some(of_many) = of_many {
        of_many.apply(&Schema::of::<R>(), &mut select)?;
    }
    select.scopes = model_scopes::<R>(orm, Constraint::trashed(constraint))?;
    select
        .scopes
        .extend(Constraint::global_scopes::<R>(constraint)?);
    // One of many for one parent is a plain ORDER BY ... LIMIT 1.
    let per_parent = Constraint::per_parent(constraint) || (of_many.is_some() && !single);
    let statement = if per_parent {
        compiler::select_per_parent(&select, &column)
    } else {
        if to_one && single {
            select.limit = Some(1);
        }
        compiler::select(&select)
    };
    let group = move |mut result| {
        if per_parent {
            Constraint::strip_row_number(&mut result);
        }
        let related = Instance::<R>::hydrate_all(result);
        Fetched::group(related, &keys, |_, row| {
            row.get(related_column).and_then(dict_key)
        })
    };
    Ok(Plan::query(parents.len(), statement, Box::new(group)))
}

/// The rows of the `related` model whose `related_column` equals
/// `parent_table.parent_column` (and whose type column names the parent's model, for a
/// polymorphic relation); one copy for every model.
#[inline(never)]
pub(super) fn correlated_by_key(
    (parent, related): (Schema, Schema),
    parent_table: &'static str,
    parent_column: &str,
    related_column: &str,
    morph: MorphType,
) -> Result<(Select, Condition)> {
    let table = related.table;
    let left = related.check_column(&format!("{table}.{related_column}"))?;
    parent.check_column(parent_column)?;
    let right = Ident::parse(&format!("{parent_table}.{parent_column}"))?;
    let mut correlation = Condition::Columns {
        left,
        op: Operator::Eq,
        right,
    };
    if let Some(morph) = morph {
        let both = [correlation, morph_condition(&related, morph)?];
        correlation = Condition::Group(
            both.into_iter()
                .map(|condition| Where {
                    boolean: Boolean::And,
                    condition,
                })
                .collect(),
        );
    }
    Ok((Select::new(Ident::parse_static(table)?), correlation))
}

macro_rules! keyed_relation {
    ($(#[$doc:meta])* $name:ident, $alias:ident, $local:literal) => {
        $(#[$doc])*
        pub struct $name<R: ModelDef> {
            foreign_key: &'static str,
            local_key: Option<&'static str>,
            /// Which one of many a has-one picks (`None`: any, or not a has-one).
            of_many: Option<OfMany>,
            _related: PhantomData<fn() -> R>,
        }

        #[doc = concat!("Short name of [`", stringify!($name), "`].")]
        pub type $alias<R> = $name<R>;

        impl<R: ModelDef> Clone for $name<R> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<R: ModelDef> Copy for $name<R> {}

        impl<R: ModelDef> PartialEq for $name<R> {
            fn eq(&self, other: &Self) -> bool {
                self.foreign_key == other.foreign_key
                    && self.local_key == other.local_key
                    && self.of_many == other.of_many
            }
        }

        impl<R: ModelDef> Eq for $name<R> {}

        impl<R: ModelDef> fmt::Debug for $name<R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("related", &R::model_name())
                    .field("foreign_key", &self.foreign_key)
                    .field($local, &self.local_key)
                    .field("of_many", &self.of_many)
                    .finish()
            }
        }

        impl<R: ModelDef> $name<R> {
            #[doc = concat!("TS `new ", stringify!($name), "(R, foreignKey, localKey)`.")]
            pub const fn new(foreign_key: &'static str, local_key: &'static str) -> Self {
                $name {
                    foreign_key,
                    local_key: Some(local_key),
                    of_many: None,
                    _related: PhantomData,
                }
            }

            #[doc = concat!("TS `new ", stringify!($name), "(R, foreignKey)`: the local key")]
            /// is the primary key (`id` unless the model says otherwise).
            pub const fn foreign(foreign_key: &'static str) -> Self {
                $name {
                    foreign_key,
                    local_key: None,
                    of_many: None,
                    _related: PhantomData,
                }
            }

            /// The foreign-key column.
            pub const fn foreign_key(&self) -> &'static str {
                self.foreign_key
            }

            /// Load the relation onto every parent with one query (TS `loadMany`), under
            /// the name the parent model declares it with (else the related table name
            /// for a to-many relation, the related model in snake case for a to-one).
            /// Read it back with `parent.related(...)` / `parent.related_one(...)`.
            pub async fn load_many<P: ModelDef>(&self, parents: &mut [Instance<P>]) -> Result<()>
            where
                Self: Relation<P>,
            {
                load_many_named(self, parents, None).await
            }

            /// Like [`load_many`](Self::load_many), under `name`.
            pub async fn load_many_as<P: ModelDef>(
                &self,
                parents: &mut [Instance<P>],
                name: &str,
            ) -> Result<()>
            where
                Self: Relation<P>,
            {
                load_many_named(self, parents, Some(name)).await
            }
        }
    };
}

keyed_relation!(
    /// One-to-one ownership: the parent has one `R` whose `foreign_key` holds the
    /// parent's local key (TS `HasOneRelation`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::HasOneRelation;
    /// # struct Profile; impl ModelDef for Profile {}
    /// struct User;
    /// impl User {
    ///     pub const PROFILE: HasOneRelation<Profile> = HasOneRelation::new("user_id", "id");
    /// }
    /// # impl ModelDef for User {}
    /// # async fn f(user: Instance<User>) -> roost_orm::Result<()> {
    /// let profile: Option<Instance<Profile>> = User::PROFILE.load(&user).await?;
    /// # Ok(()) }
    /// ```
    HasOneRelation,
    HasOne,
    "local_key"
);

keyed_relation!(
    /// One-to-many ownership: the parent has many `R` whose `foreign_key` holds the
    /// parent's local key (TS `HasManyRelation`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::HasManyRelation;
    /// # struct Post; impl ModelDef for Post {}
    /// struct User;
    /// impl User {
    ///     // TS: static posts = new HasManyRelation(Post, 'author_id', 'id');
    ///     pub const POSTS: HasManyRelation<Post> = HasManyRelation::new("author_id", "id");
    /// }
    /// # impl ModelDef for User {}
    /// # async fn f(user: Instance<User>) -> roost_orm::Result<()> {
    /// let posts: Vec<Instance<Post>> = User::POSTS.load(&user).await?;
    /// # Ok(()) }
    /// ```
    HasManyRelation,
    HasMany,
    "local_key"
);

keyed_relation!(
    /// The inverse of a has-one / has-many: the parent's `foreign_key` holds the key
    /// (`local_key`, default the primary key) of one `R` (TS `BelongsToRelation`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::BelongsToRelation;
    /// # struct User; impl ModelDef for User {}
    /// struct Post;
    /// impl Post {
    ///     // TS: static user = new BelongsToRelation(User, 'author_id', 'id');
    ///     pub const USER: BelongsToRelation<User> = BelongsToRelation::new("author_id", "id");
    /// }
    /// # impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let post = Post::find_or_fail(1).await?;
    /// let author: Option<Instance<User>> = Post::USER.load(&post).await?; // User | null
    /// # Ok(()) }
    /// ```
    BelongsToRelation,
    BelongsTo,
    "owner_key"
);

impl<R: ModelDef> HasOneRelation<R> {
    /// The related row with the largest primary key: each parent's latest (Laravel
    /// `latestOfMany()`). See [`of_many`](Self::of_many).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Order; impl ModelDef for Order {}
    /// struct User;
    /// impl User {
    ///     pub const LATEST_ORDER: HasOneRelation<Order> =
    ///         HasOneRelation::new("user_id", "id").latest_of_many();
    /// }
    /// # impl ModelDef for User {}
    /// # async fn f(user: Instance<User>) -> roost_orm::Result<()> {
    /// let latest: Option<Instance<Order>> = User::LATEST_ORDER.load(&user).await?;
    /// # Ok(()) }
    /// ```
    pub const fn latest_of_many(self) -> Self {
        self.with_of_many(None, "max")
    }

    /// The related row with the smallest primary key (Laravel `oldestOfMany()`).
    pub const fn oldest_of_many(self) -> Self {
        self.with_of_many(None, "min")
    }

    /// The related row with the largest (`"max"`) or smallest (`"min"`) `column`
    /// (Laravel `ofMany('price', 'max')`; `latestOfMany('created_at')` is
    /// `of_many("created_at", "max")`). Rows whose column is NULL are never picked;
    /// ties go to the largest primary key. Loads stay one query per level; a bad
    /// aggregate or column is an error before any SQL, as are a `limit` / `offset` in
    /// a load's constraint and `where_has` / `with_count` through the relation (they
    /// would see every related row, not the one).
    pub const fn of_many(self, column: &'static str, aggregate: &'static str) -> Self {
        self.with_of_many(Some(column), aggregate)
    }

    const fn with_of_many(mut self, column: Option<&'static str>, aggregate: &'static str) -> Self {
        self.of_many = Some(OfMany { column, aggregate });
        self
    }

    /// The parent's related record, or `None` (TS `load(parent)`).
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Option<Instance<R>>> {
        Ok(load_one_parent(self, parent).await?.into_iter().next())
    }

    pub(crate) fn local<P: ModelDef>(&self) -> &'static str {
        self.local_key.unwrap_or(P::PRIMARY_KEY)
    }
}

impl<R: ModelDef> HasManyRelation<R> {
    /// The parent's related records (TS `load(parent)`).
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Vec<Instance<R>>> {
        load_one_parent(self, parent).await
    }

    pub(crate) fn local<P: ModelDef>(&self) -> &'static str {
        self.local_key.unwrap_or(P::PRIMARY_KEY)
    }
}

impl<R: ModelDef> BelongsToRelation<R> {
    /// The record the parent belongs to, or `None`; no query when the parent's foreign
    /// key is NULL (TS `load(parent)`).
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Option<Instance<R>>> {
        Ok(load_one_parent(self, parent).await?.into_iter().next())
    }

    /// The owner-key column on `R`'s table.
    pub fn owner_key(&self) -> &'static str {
        self.local_key.unwrap_or(R::PRIMARY_KEY)
    }
}

/// The relation machinery of a key-to-key relation: `$keys` (with `$s` bound to the
/// relation) gives `(parent column, related column)`, `$touch` the owner a child
/// touches (from those columns); the rest is shared.
macro_rules! keyed_relation_impl {
    (
        $name:ident, many: $many:literal, |$s:ident| $keys:expr,
        of_many: $of_many:expr,
        touch: |$p:ident, $r:ident| $touch:expr
    ) => {
        impl<P: ModelDef, R: ModelDef> RelationImpl<P> for $name<R> {
            type Related = R;
            const MANY: bool = $many;

            fn check(&self) -> Result<()> {
                let $s = self;
                let (parent, related): (&str, &str) = $keys;
                check_column::<P>(parent)?;
                check_column::<R>(related)?;
                let of_many: fn(&Self) -> Option<&OfMany> = $of_many;
                match of_many($s) {
                    Some(of_many) => of_many.check(&Schema::of::<R>()),
                    None => Ok(()),
                }
            }

            fn plan(
                &self,
                orm: &Orm,
                parents: &[Instance<P>],
                constraint: Option<&Constraint>,
            ) -> Result<Plan<R>> {
                let $s = self;
                let (parent, related): (&'static str, &'static str) = $keys;
                let of_many: fn(&Self) -> Option<&OfMany> = $of_many;
                plan_by_key(
                    orm,
                    parents,
                    parent,
                    related,
                    !$many,
                    constraint,
                    of_many($s),
                    None,
                )
            }

            fn correlated(
                &self,
                _orm: &Orm,
                parent_table: &'static str,
            ) -> Result<(Select, Condition)> {
                let $s = self;
                let of_many: fn(&Self) -> Option<&OfMany> = $of_many;
                if of_many($s).is_some() {
                    return Err(no_existence_query());
                }
                let (parent, related): (&'static str, &'static str) = $keys;
                let schemas = (Schema::of::<P>(), Schema::of::<R>());
                correlated_by_key(schemas, parent_table, parent, related, None)
            }

            fn check_constraint(&self, constraint: &Constraint) -> Result<()> {
                let of_many: fn(&Self) -> Option<&OfMany> = $of_many;
                match of_many(self) {
                    Some(_) if Constraint::per_parent(Some(constraint)) => Err(limit_on_one()),
                    _ => Ok(()),
                }
            }

            fn touch_owner(&self) -> Option<TouchOwner> {
                let $s = self;
                let ($p, $r): (&'static str, &'static str) = $keys;
                $touch
            }
        }
    };
}

// Only a has-one picks one of many (the other kinds' `None` folds their code away).
keyed_relation_impl!(HasOneRelation, many: false, |r| (r.local::<P>(), r.foreign_key),
    of_many: |r| r.of_many.as_ref(),
    touch: |_p, _r| None);
keyed_relation_impl!(HasManyRelation, many: true, |r| (r.local::<P>(), r.foreign_key),
    of_many: |_| None,
    touch: |_p, _r| None);
// Only a belongs-to has an owner: its foreign key (parent side) holds the owner's key.
keyed_relation_impl!(BelongsToRelation, many: false, |r| (r.foreign_key, r.owner_key()),
    of_many: |_| None,
    touch: |foreign_key, owner_key| Some(TouchOwner::of::<R>(foreign_key, owner_key)));
