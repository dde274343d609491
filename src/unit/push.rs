//! `push()` (Laravel `$model->push()`): save a record and every record of its loaded
//! relations, recursively, as one unit of work — one atomic batch. The related records
//! are saved as copies, put back into the tree only when the batch committed, so a
//! failed push leaves the loaded relations as they were.

use crate::error::Result;
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::relations::{AnyInstance, Loaded, LoadedRelations};
use crate::runtime::BoxFuture;

use super::writes::{plan_save, Slot};
use super::{Committed, UnitOfWork};

/// Where a pushed record's saved copy is in the committed unit, and its relations'.
#[doc(hidden)]
pub struct PushTree {
    index: usize,
    relations: Vec<(String, Shape)>,
}

enum Shape {
    One(Option<PushTree>),
    Many(Vec<PushTree>),
}

/// Queue `instance` and its loaded relations (the body of `AnyInstance::push_into`).
pub(crate) fn push_into<'s, 'a, M: ModelDef>(
    mut instance: Instance<M>,
    unit: &'s mut UnitOfWork<'a>,
) -> BoxFuture<'s, Result<PushTree>>
where
    'a: 's,
{
    let relations = std::mem::take(&mut instance.relations);
    Box::pin(async move {
        let planned = plan_save(&unit.orm, Slot::Erased(instance), false).await;
        let index = unit.queue::<()>(planned)?.index;
        Ok(PushTree {
            index,
            relations: push_relations(relations, unit).await?,
        })
    })
}

async fn push_relations(
    relations: LoadedRelations,
    unit: &mut UnitOfWork<'_>,
) -> Result<Vec<(String, Shape)>> {
    let mut pushed = Vec::with_capacity(relations.len());
    for (name, loaded) in relations.into_iter() {
        let shape = match loaded {
            Loaded::One(None) => Shape::One(None),
            Loaded::One(Some(one)) => Shape::One(Some(one.push_into(unit).await?)),
            Loaded::Many(many) => {
                let mut trees = Vec::with_capacity(many.len());
                for one in many {
                    trees.push(one.push_into(unit).await?);
                }
                Shape::Many(trees)
            }
        };
        pushed.push((name, shape));
    }
    Ok(pushed)
}

/// The saved copies of a pushed tree's relations, out of the committed unit.
fn rebuild(relations: Vec<(String, Shape)>, done: &mut Committed) -> Result<LoadedRelations> {
    let mut rebuilt = LoadedRelations::default();
    for (name, shape) in relations {
        let loaded = match shape {
            Shape::One(None) => Loaded::One(None),
            Shape::One(Some(tree)) => Loaded::One(Some(rebuild_one(tree, done)?)),
            Shape::Many(trees) => Loaded::Many(
                trees
                    .into_iter()
                    .map(|tree| rebuild_one(tree, done))
                    .collect::<Result<_>>()?,
            ),
        };
        rebuilt.insert(name, loaded);
    }
    Ok(rebuilt)
}

fn rebuild_one(tree: PushTree, done: &mut Committed) -> Result<Box<dyn AnyInstance>> {
    let mut record: Box<dyn AnyInstance> = done.take_at(tree.index)?;
    *record.relations_mut() = rebuild(tree.relations, done)?;
    Ok(record)
}

impl<M: ModelDef> Instance<M> {
    /// Save this record and every record of its loaded relations, recursively, in one
    /// atomic batch (Laravel `push`): new ones inserted, changed ones updated, clean
    /// ones left alone, each with its events. On success the loaded relations hold the
    /// stored rows; on an error nothing is stored and they are as they were.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let mut post = Post::query().with(["comments"]).find_or_fail(1).await?;
    /// post.set("title", "Edited");
    /// // ... change some loaded comments ...
    /// post.push().await?; // one round trip
    /// # Ok(()) }
    /// ```
    pub async fn push(&mut self) -> Result<&mut Self> {
        let orm = Orm::current_for::<M>()?;
        let relations = self.relations.clone();
        let mut unit = orm.unit_of_work();
        unit.save(self).await?;
        let trees = push_relations(relations, &mut unit).await?;
        let mut done = unit.commit().await?;
        self.relations = rebuild(trees, &mut done)?;
        Ok(self)
    }
}
