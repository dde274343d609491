//! Related rows: `for_parent` (Laravel `->for($user)`) and `has` (Laravel
//! `->has(Post::factory()->count(3))`).
//!
//! Keys come from a declared relation (`has_relation(User::POSTS, ...)`,
//! `for_relation(Post::AUTHOR, &user)`: its foreign and local keys, and for `has` the
//! name the parent model declares it under), are named (`has_via`, `for_parent_via`), or
//! follow Eloquent's convention: the parent model's name in snake case, `_`, its primary
//! key (`User` → `user_id`). `has` children are planned only once their parents are
//! stored (their keys are needed), then created for all parents together; see
//! [`super::create`].

use std::iter;
use std::sync::Arc;

use serde_json::Value;

use crate::error::Result;
use crate::factory::create::{ChildNode, Node};
use crate::factory::{Factory, FactoryBuilder};
use crate::model::naming::to_snake_case;
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::relations::{relation_map, BelongsToRelation, HasManyRelation, HasOneRelation};
use crate::runtime::{BoxFuture, MaybeSend, MaybeSync};

/// Eloquent's default foreign key to model `P`: `user_id` for `User`.
pub(crate) fn default_foreign_key<P: ModelDef>() -> String {
    format!("{}_{}", to_snake_case(P::model_name()), P::PRIMARY_KEY)
}

/// The key of a parent, which must be set.
pub(crate) fn parent_key<P: ModelDef>(parent: &Instance<P>) -> Result<Value> {
    parent.required_value(P::PRIMARY_KEY)
}

/// How the children of a `has` point at their parent, and where they are attached
/// (opaque outside the crate: it only travels through the sealed [`ChildRelation`]).
#[derive(Debug)]
pub struct ChildKeys {
    /// The children's column holding the parent's key.
    pub(crate) foreign_key: String,
    /// The parent's column it holds (its primary key by default).
    pub(crate) local_key: Option<&'static str>,
    /// The loaded-relation name on the parent (the child table by default).
    pub(crate) relation: Option<String>,
    /// Attach as a list (has-many) or as one record (has-one).
    pub(crate) many: bool,
}

impl ChildKeys {
    /// Children pointing at the parent's primary key by `foreign_key`.
    pub(crate) fn by_foreign_key(foreign_key: &str) -> Self {
        ChildKeys {
            foreign_key: foreign_key.to_string(),
            local_key: None,
            relation: None,
            many: true,
        }
    }
}

pub(crate) mod sealed {
    use super::ChildKeys;

    /// Seals [`ChildRelation`](super::ChildRelation) and carries its keys.
    pub trait Sealed<P> {
        /// The keys linking the children to their parent.
        fn child_keys(&self) -> ChildKeys;
    }
}

/// A declared relation whose related rows point back at the parent `P` by a foreign
/// key — [`HasManyRelation`] and [`HasOneRelation`] — usable with
/// [`FactoryBuilder::has_relation`]. Sealed.
pub trait ChildRelation<P: ModelDef>: sealed::Sealed<P> {
    /// The related (child) model.
    type Child: ModelDef;
}

impl<P: ModelDef, R: ModelDef> ChildRelation<P> for HasManyRelation<R> {
    type Child = R;
}

impl<P: ModelDef, R: ModelDef> ChildRelation<P> for HasOneRelation<R> {
    type Child = R;
}

impl<P: ModelDef, R: ModelDef> sealed::Sealed<P> for HasManyRelation<R> {
    fn child_keys(&self) -> ChildKeys {
        ChildKeys {
            foreign_key: self.foreign_key().to_string(),
            local_key: Some(self.local::<P>()),
            relation: relation_map::<P>().name_of(self).map(String::from),
            many: true,
        }
    }
}

impl<P: ModelDef, R: ModelDef> sealed::Sealed<P> for HasOneRelation<R> {
    fn child_keys(&self) -> ChildKeys {
        ChildKeys {
            foreign_key: self.foreign_key().to_string(),
            local_key: Some(self.local::<P>()),
            relation: Some(
                relation_map::<P>()
                    .name_of(self)
                    .map(String::from)
                    .unwrap_or_else(|| to_snake_case(R::model_name())),
            ),
            many: false,
        }
    }
}

/// The foreign key and the parent's value for `for_relation(relation, &parent)`.
pub(crate) fn belongs_to_key<P: ModelDef>(
    relation: &BelongsToRelation<P>,
    parent: &Instance<P>,
) -> Result<(&'static str, Value)> {
    Ok((
        relation.foreign_key(),
        parent.required_value(relation.owner_key())?,
    ))
}

/// Children to create for each stored parent of model `P`.
pub(crate) trait ChildSpec<P: ModelDef>: MaybeSend + MaybeSync {
    /// Make the children of every parent (foreign keys set), run their `creating` hooks
    /// and plan their INSERTs.
    fn plan<'a>(
        &'a self,
        orm: &'a Orm,
        parents: &'a [Instance<P>],
    ) -> BoxFuture<'a, Result<Box<dyn ChildNode>>>;
}

/// Shared child specs (builders are cheap to clone).
pub(crate) type SharedChildSpec<P> = Arc<dyn ChildSpec<P>>;

struct HasSpec<C: Factory> {
    builder: FactoryBuilder<C>,
    keys: ChildKeys,
}

/// The spec of a `has`: `builder`'s rows for each parent, linked by `keys`.
pub(crate) fn has_spec<P: ModelDef, C: Factory>(
    builder: FactoryBuilder<C>,
    keys: ChildKeys,
) -> SharedChildSpec<P> {
    Arc::new(HasSpec { builder, keys })
}

impl<P: ModelDef, C: Factory> ChildSpec<P> for HasSpec<C> {
    fn plan<'a>(
        &'a self,
        orm: &'a Orm,
        parents: &'a [Instance<P>],
    ) -> BoxFuture<'a, Result<Box<dyn ChildNode>>> {
        Box::pin(async move {
            let per_parent = self.builder.get_count();
            let mut instances = Vec::with_capacity(parents.len() * per_parent);
            let mut parent_index = Vec::with_capacity(parents.len() * per_parent);
            let local_key = self.keys.local_key.unwrap_or(P::PRIMARY_KEY);
            for (p, parent) in parents.iter().enumerate() {
                let key = parent.required_value(local_key)?;
                let made = self
                    .builder
                    .make_n(per_parent, Some((&self.keys.foreign_key, &key)))?;
                parent_index.extend(iter::repeat_n(p, made.len()));
                instances.extend(made);
            }
            let mut node = Node::plan(orm, &self.builder, instances, parent_index).await?;
            node.attach_as(
                self.keys
                    .relation
                    .clone()
                    .unwrap_or_else(|| crate::model::table_of::<C::Model>().to_string()),
                self.keys.many,
            );
            Ok(Box::new(node) as Box<dyn ChildNode>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OrmError;

    struct BlogUser;
    impl ModelDef for BlogUser {}

    #[test]
    fn foreign_keys_follow_eloquent() {
        assert_eq!(default_foreign_key::<BlogUser>(), "blog_user_id");
    }

    #[test]
    fn a_parent_without_key_is_an_error() {
        let parent = Instance::<BlogUser>::new();
        assert!(matches!(
            parent_key(&parent),
            Err(OrmError::MissingPrimaryKey { .. })
        ));
    }
}
