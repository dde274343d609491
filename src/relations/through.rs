//! Relations through an intermediate model (Laravel `hasManyThrough`,
//! `hasOneThrough`): a country's posts through its users — [`HasManyThroughRelation`],
//! [`HasOneThroughRelation`].
//!
//! | key (Laravel's name)   | table         | default                  |
//! |------------------------|---------------|--------------------------|
//! | `first_key`            | intermediate  | — (`users.country_id`)   |
//! | `second_key`           | related       | — (`posts.user_id`)      |
//! | `local_key`            | parent        | the parent's primary key |
//! | `second_local_key`     | intermediate  | its primary key          |
//!
//! A load is one query per level for any number of parents: `SELECT posts.*,
//! users.country_id AS <alias> FROM posts INNER JOIN users ON users.id = posts.user_id
//! WHERE users.country_id IN (...)`, plus the related model's scopes **and the
//! intermediate model's** (tenant, soft deletes, global scopes): a post is never reached
//! through another tenant's user, nor through a soft-deleted one (as Laravel's
//! `throughParentSoftDeletes`). `where_has` / `with_count` through it join the same way
//! inside their subquery. This module builds AST; the SQL comes from the compiler.

use std::fmt;
use std::marker::PhantomData;

use crate::error::Result;
use crate::model::{check_column, table_of, Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{
    Boolean, Condition, Ident, Join, JoinKind, JoinSource, Operator, Select, Where,
};
use crate::query::compiler;
use crate::query::global_scopes::{self, Lifted};
use crate::query::scopes::{model_scopes, Trashed};
use crate::relations::belongs_to_many::split_pivot;
use crate::relations::constraint::Constraint;
use crate::relations::fetched::{dict_key, key_condition, parent_keys, Fetched};
use crate::relations::map::{load_many_named, load_one_parent, sealed::RelationImpl, Relation};
use crate::relations::plan::Plan;

/// The names of a through relation from `P`, checked.
struct Keys {
    /// `through.first_key` (holds the parent's local key).
    first: Ident,
    /// `related.second_key` (holds the intermediate's second local key).
    second: Ident,
    /// `through.second_local_key`.
    second_local: Ident,
    /// The parent's column (unqualified).
    local: &'static str,
    /// The bare first key, as the joined result names it.
    first_key: &'static str,
}

/// The intermediate model's scopes: tenant, soft deletes, global scopes.
fn through_scopes<T: ModelDef>(orm: &Orm) -> Result<Vec<Condition>> {
    crate::model::check_model::<T>()?;
    let mut scopes = model_scopes::<T>(orm, Trashed::Exclude)?;
    scopes.extend(global_scopes::conditions::<T>(&Lifted::default())?);
    Ok(scopes)
}

macro_rules! through_relation {
    ($(#[$doc:meta])* $name:ident, many: $many:literal) => {
        $(#[$doc])*
        pub struct $name<R: ModelDef, T: ModelDef> {
            first_key: &'static str,
            second_key: &'static str,
            local_key: Option<&'static str>,
            second_local_key: Option<&'static str>,
            _models: PhantomData<fn() -> (R, T)>,
        }

        impl<R: ModelDef, T: ModelDef> Clone for $name<R, T> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<R: ModelDef, T: ModelDef> Copy for $name<R, T> {}

        impl<R: ModelDef, T: ModelDef> PartialEq for $name<R, T> {
            fn eq(&self, other: &Self) -> bool {
                (self.first_key, self.second_key, self.local_key, self.second_local_key)
                    == (other.first_key, other.second_key, other.local_key, other.second_local_key)
            }
        }

        impl<R: ModelDef, T: ModelDef> Eq for $name<R, T> {}

        impl<R: ModelDef, T: ModelDef> fmt::Debug for $name<R, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("related", &R::model_name())
                    .field("through", &T::model_name())
                    .field("first_key", &self.first_key)
                    .field("second_key", &self.second_key)
                    .field("local_key", &self.local_key)
                    .field("second_local_key", &self.second_local_key)
                    .finish()
            }
        }

        impl<R: ModelDef, T: ModelDef> $name<R, T> {
            /// Through `T`, whose `first_key` holds the parent's key, to `R`, whose
            /// `second_key` holds `T`'s key (Laravel `hasManyThrough(R, T, firstKey,
            /// secondKey)`; the local keys are the primary keys).
            pub const fn new(first_key: &'static str, second_key: &'static str) -> Self {
                $name {
                    first_key,
                    second_key,
                    local_key: None,
                    second_local_key: None,
                    _models: PhantomData,
                }
            }

            /// The parent's column `first_key` holds (Laravel `localKey`).
            pub const fn local_key(mut self, column: &'static str) -> Self {
                self.local_key = Some(column);
                self
            }

            /// `T`'s column `second_key` holds (Laravel `secondLocalKey`).
            pub const fn second_local_key(mut self, column: &'static str) -> Self {
                self.second_local_key = Some(column);
                self
            }

            /// Load the relation onto every parent with one query, under the name the
            /// parent model declares it with (else the related table for a has-many
            /// through, the related model in snake case for a has-one through).
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

            /// The names, checked against the three models' declarations.
            fn keys<P: ModelDef>(&self) -> Result<Keys> {
                let (related, through) = (table_of::<R>(), table_of::<T>());
                let local = self.local_key.unwrap_or(P::PRIMARY_KEY);
                let second_local = self.second_local_key.unwrap_or(T::PRIMARY_KEY);
                check_column::<P>(local)?;
                Ok(Keys {
                    first: check_column::<T>(&format!("{through}.{}", self.first_key))?,
                    second: check_column::<R>(&format!("{related}.{}", self.second_key))?,
                    second_local: check_column::<T>(&format!("{through}.{second_local}"))?,
                    local,
                    first_key: self.first_key,
                })
            }
        }

        impl<P: ModelDef, R: ModelDef, T: ModelDef> RelationImpl<P> for $name<R, T> {
            type Related = R;
            const MANY: bool = $many;

            fn check(&self) -> Result<()> {
                self.keys::<P>().map(drop)
            }

            fn plan(
                &self,
                orm: &Orm,
                parents: &[Instance<P>],
                constraint: Option<&Constraint>,
            ) -> Result<Plan<R>> {
                plan_through::<P, R, T>(orm, self.keys::<P>()?, parents, !$many, constraint)
            }

            /// `FROM related INNER JOIN through ON through.second_local =
            /// related.second` (the intermediate's scopes in the `ON`), tied to the parent
            /// by `through.first = parent.local`.
            fn correlated(
                &self,
                orm: &Orm,
                parent_table: &'static str,
            ) -> Result<(Select, Condition)> {
                let keys = self.keys::<P>()?;
                let mut select = Select::new(Ident::parse_static(table_of::<R>())?);
                select.joins.push(Join {
                    kind: JoinKind::Inner,
                    source: JoinSource::Table(Ident::parse_static(table_of::<T>())?),
                    on: vec![Where {
                        boolean: Boolean::And,
                        condition: Condition::Columns {
                            left: keys.second_local,
                            op: Operator::Eq,
                            right: keys.second,
                        },
                    }],
                    scopes: through_scopes::<T>(orm)?,
                });
                let correlation = Condition::Columns {
                    left: keys.first,
                    op: Operator::Eq,
                    right: Ident::parse(&format!("{parent_table}.{}", keys.local))?,
                };
                Ok((select, correlation))
            }
        }
    };
}

/// The joined query of the related rows of `parents`, and its grouping by the
/// intermediate's first key.
fn plan_through<P: ModelDef, R: ModelDef, T: ModelDef>(
    orm: &Orm,
    keys: Keys,
    parents: &[Instance<P>],
    to_one: bool,
    constraint: Option<&Constraint>,
) -> Result<Plan<R>> {
    crate::model::check_model::<R>()?;
    let (values, parent_dict) = parent_keys(parents, keys.local);
    if values.is_empty() {
        return Ok(Plan::empty(parents.len()));
    }
    let single = values.len() == 1;
    let mut select = Select::new(Ident::parse_static(table_of::<R>())?);
    select.filter.push(Where {
        boolean: Boolean::And,
        condition: key_condition::<T>(keys.first.clone(), &keys.first, values)?,
    });
    Constraint::apply(constraint, orm, &mut select)?;
    select.scopes = model_scopes::<R>(orm, Constraint::trashed(constraint))?;
    select
        .scopes
        .extend(Constraint::global_scopes::<R>(constraint)?);
    // Inner join: the intermediate's scopes narrow the rows as in its `ON`.
    select.scopes.extend(through_scopes::<T>(orm)?);
    let through = Ident::parse_static(table_of::<T>())?;
    let on = (&keys.second_local, &keys.second);
    let carried = [Ident::parse_static(keys.first_key)?];
    let per_parent = Constraint::per_parent(constraint);
    let statement = if per_parent {
        compiler::select_through_per_parent(&select, &through, on, &carried, &keys.first)
    } else {
        if to_one && single {
            select.limit = Some(1);
        }
        compiler::select_through(&select, &through, on, &carried)
    };
    let first_key = keys.first_key;
    let group = move |mut result| {
        if per_parent {
            Constraint::strip_row_number(&mut result);
        }
        let (result, carried) = split_pivot(result);
        let related = Instance::<R>::hydrate_all(result);
        let owners: Vec<Option<String>> = carried
            .iter()
            .map(|c| c.get(first_key).and_then(dict_key))
            .collect();
        Fetched::group(related, &parent_dict, |i, _| {
            owners.get(i).cloned().flatten()
        })
    };
    Ok(Plan::query(parents.len(), statement, Box::new(group)))
}

through_relation!(
    /// The parent's many `R` reached through `T` (Laravel `hasManyThrough`): a country's
    /// posts through its users.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use roost_orm::relations::HasManyThroughRelation;
    /// # struct Post; impl ModelDef for Post {}
    /// # struct User; impl ModelDef for User {}
    /// struct Country;
    /// impl Country {
    ///     // users.country_id → countries.id, posts.user_id → users.id
    ///     pub const POSTS: HasManyThroughRelation<Post, User> =
    ///         HasManyThroughRelation::new("country_id", "user_id");
    /// }
    /// # impl ModelDef for Country {}
    /// # async fn f(country: Instance<Country>) -> roost_orm::Result<()> {
    /// let posts: Vec<Instance<Post>> = Country::POSTS.load(&country).await?;
    /// # Ok(()) }
    /// ```
    HasManyThroughRelation,
    many: true
);

through_relation!(
    /// The parent's one `R` reached through `T` (Laravel `hasOneThrough`): a
    /// mechanic's car owner through the car.
    HasOneThroughRelation,
    many: false
);

impl<R: ModelDef, T: ModelDef> HasManyThroughRelation<R, T> {
    /// The parent's related records.
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Vec<Instance<R>>> {
        load_one_parent(self, parent).await
    }
}

impl<R: ModelDef, T: ModelDef> HasOneThroughRelation<R, T> {
    /// The parent's related record, or `None`.
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Option<Instance<R>>> {
        Ok(load_one_parent(self, parent).await?.into_iter().next())
    }
}
