//! Related rows: `for_parent` (Laravel `->for($user)`) and `has` (Laravel
//! `->has(Post::factory()->count(3))`).
//!
//! Foreign keys are named explicitly (`has_via`, `for_parent_via`) or follow Eloquent's
//! convention: the parent model's name in snake case, `_`, its primary key (`User` →
//! `user_id`). `has` children are planned only once their parents are stored (their
//! keys are needed), then created for all parents together; see [`super::create`].

use std::iter;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::factory::create::{ChildNode, Node};
use crate::factory::{Factory, FactoryBuilder};
use crate::model::naming::to_snake_case;
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::runtime::{BoxFuture, MaybeSend, MaybeSync};

/// Eloquent's default foreign key to model `P`: `user_id` for `User`.
pub(crate) fn default_foreign_key<P: ModelDef>() -> String {
    format!("{}_{}", to_snake_case(P::model_name()), P::PRIMARY_KEY)
}

/// The key of a parent, which must be set.
pub(crate) fn parent_key<P: ModelDef>(parent: &Instance<P>) -> Result<Value> {
    parent.key().cloned().ok_or(OrmError::MissingPrimaryKey {
        model: P::model_name(),
        key: P::PRIMARY_KEY,
    })
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
    foreign_key: String,
}

/// The spec of `has_via(children, foreign_key)`.
pub(crate) fn has_spec<P: ModelDef, C: Factory>(
    builder: FactoryBuilder<C>,
    foreign_key: &str,
) -> SharedChildSpec<P> {
    Arc::new(HasSpec {
        builder,
        foreign_key: foreign_key.to_string(),
    })
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
            for (p, parent) in parents.iter().enumerate() {
                let key = parent_key(parent)?;
                let made = self
                    .builder
                    .make_n(per_parent, Some((&self.foreign_key, &key)))?;
                parent_index.extend(iter::repeat_n(p, made.len()));
                instances.extend(made);
            }
            let node = Node::plan(orm, &self.builder, instances, parent_index).await?;
            Ok(Box::new(node) as Box<dyn ChildNode>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
