//! Running a factory's writes: one atomic round trip per level of related rows.
//!
//! A [`Node`] is the rows of one model made by one builder in one run (the root rows, or
//! the `has` children of all the rows above). It goes through three phases: *planned*
//! (instances made, `creating` hooks run, INSERTs planned — nothing sent), *applied*
//! (the stored rows read back into the instances, `created` hooks run), *expanded* (its
//! `has` children planned as child nodes). The driver sends, per round trip, the
//! statements of every planned node of the tree — so siblings (`has` posts and `has`
//! a profile) share a round trip and a tree costs one per level — until nothing is left
//! to send; then each node, bottom-up, attaches its children to their parents and runs
//! its `after_creating` callbacks.

use std::mem;
use std::vec;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::factory::callbacks::{run_after_creating, SharedAfterCreating};
use crate::factory::related::SharedChildSpec;
use crate::factory::{Factory, FactoryBuilder};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::query::insert_plan::InsertPlan;
use crate::relations::{AnyInstance, Loaded};
use crate::runtime::{BoxFuture, MaybeSend, MaybeSync};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Planned,
    Applied,
    Expanded,
}

/// Rows of one model being created; see the module docs.
pub(crate) struct Node<M: ModelDef> {
    instances: Vec<Instance<M>>,
    /// For children: the index of each instance's parent among the parent node's rows.
    parent_index: Vec<usize>,
    plan: InsertPlan,
    phase: Phase,
    after_creating: Vec<SharedAfterCreating<M>>,
    specs: Vec<SharedChildSpec<M>>,
    children: Vec<Box<dyn ChildNode>>,
    /// For children: the loaded-relation name on the parent, and list or one record.
    attach: (String, bool),
}

/// A finished child node: the relation name, list or one, and (parent index, created
/// instance) pairs.
type Attached = (String, bool, Vec<(usize, Box<dyn AnyInstance>)>);

/// A node of any model, as its parent node sees it.
pub(crate) trait ChildNode: MaybeSend + MaybeSync {
    /// Move the statements of every planned node into `out`, in tree order.
    fn collect(&mut self, out: &mut Vec<Statement>);
    /// Take the results of those statements, in the same order.
    fn distribute<'a>(
        &'a mut self,
        results: &'a mut vec::IntoIter<QueryResult>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Plan the children of every node applied in the last round trip.
    fn expand<'a>(&'a mut self, orm: &'a Orm) -> BoxFuture<'a, Result<()>>;
    /// Finish the subtree; give back the relation name and the instances by parent.
    fn finish(self: Box<Self>) -> BoxFuture<'static, Result<Attached>>;
}

impl<M: ModelDef> Node<M> {
    /// Run the `creating` hooks of `instances` (which may change them or abort) and plan
    /// their INSERTs.
    pub(crate) async fn plan<F: Factory<Model = M>>(
        orm: &Orm,
        builder: &FactoryBuilder<F>,
        mut instances: Vec<Instance<M>>,
        parent_index: Vec<usize>,
    ) -> Result<Self> {
        let plan = crate::model::bulk::plan_inserts(orm, &mut instances).await?;
        Ok(Node {
            plan,
            instances,
            parent_index,
            phase: Phase::Planned,
            after_creating: builder.after_creating_callbacks().to_vec(),
            specs: builder.child_specs().to_vec(),
            children: Vec::new(),
            attach: (crate::model::table_of::<M>().to_string(), true),
        })
    }

    /// Attach this node's rows to their parents as relation `name` (a list, or one
    /// record when `many` is false).
    pub(crate) fn attach_as(&mut self, name: String, many: bool) {
        self.attach = (name, many);
    }

    fn collect_statements(&mut self, out: &mut Vec<Statement>) {
        match self.phase {
            Phase::Planned => out.append(&mut self.plan.statements),
            Phase::Expanded => self.children.iter_mut().for_each(|c| c.collect(out)),
            Phase::Applied => {}
        }
    }

    async fn distribute_results(&mut self, results: &mut vec::IntoIter<QueryResult>) -> Result<()> {
        match self.phase {
            Phase::Planned => {
                self.apply(results).await?;
                self.phase = Phase::Applied;
            }
            Phase::Expanded => {
                for child in &mut self.children {
                    child.distribute(results).await?;
                }
            }
            Phase::Applied => {}
        }
        Ok(())
    }

    /// Read the stored rows back into the instances (in row order) and fire `created`.
    async fn apply(&mut self, results: &mut vec::IntoIter<QueryResult>) -> Result<()> {
        crate::model::bulk::apply_inserts(&mut self.plan, &mut self.instances, results).await
    }

    async fn expand_children(&mut self, orm: &Orm) -> Result<()> {
        match self.phase {
            Phase::Applied => {
                for spec in &self.specs {
                    let child = spec.plan(orm, &self.instances).await?;
                    self.children.push(child);
                }
                self.phase = Phase::Expanded;
            }
            Phase::Expanded => {
                for child in &mut self.children {
                    child.expand(orm).await?;
                }
            }
            Phase::Planned => {}
        }
        Ok(())
    }

    /// Attach the children to their parents, run `after_creating`, give the instances.
    async fn finish_node(mut self) -> Result<Vec<Instance<M>>> {
        for child in mem::take(&mut self.children) {
            let (relation, many, items) = child.finish().await?;
            let mut per_parent: Vec<Vec<Box<dyn AnyInstance>>> =
                self.instances.iter().map(|_| Vec::new()).collect();
            for (p, item) in items {
                if let Some(list) = per_parent.get_mut(p) {
                    list.push(item);
                }
            }
            for (instance, list) in self.instances.iter_mut().zip(per_parent) {
                match instance.relations.get_mut(&relation) {
                    Some(Loaded::Many(existing)) if many => existing.extend(list),
                    _ if many => instance.relations.insert(&relation, Loaded::Many(list)),
                    _ => {
                        let one = list.into_iter().next();
                        instance.relations.insert(&relation, Loaded::One(one));
                    }
                }
            }
        }
        run_after_creating(&self.after_creating, &mut self.instances).await?;
        Ok(self.instances)
    }
}

impl<M: ModelDef> ChildNode for Node<M> {
    fn collect(&mut self, out: &mut Vec<Statement>) {
        self.collect_statements(out)
    }

    fn distribute<'a>(
        &'a mut self,
        results: &'a mut vec::IntoIter<QueryResult>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.distribute_results(results))
    }

    fn expand<'a>(&'a mut self, orm: &'a Orm) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.expand_children(orm))
    }

    fn finish(mut self: Box<Self>) -> BoxFuture<'static, Result<Attached>> {
        Box::pin(async move {
            let parent_index = mem::take(&mut self.parent_index);
            let (relation, many) = mem::take(&mut self.attach);
            let instances = self.finish_node().await?;
            let items = parent_index
                .into_iter()
                .zip(instances)
                .map(|(p, i)| (p, Box::new(i) as Box<dyn AnyInstance>))
                .collect();
            Ok((relation, many, items))
        })
    }
}

/// Say what a failed batch means for the caller: nothing of it was written (and
/// whether earlier levels were).
fn explain<M: ModelDef>(error: OrmError, written: usize) -> OrmError {
    match error {
        OrmError::Database { message, sql } => {
            let earlier = match written {
                0 => String::new(),
                n => format!("; the {n} rows of earlier levels stay written"),
            };
            OrmError::Database {
                message: format!(
                    "{message} (factory for [{}]: the batch was rolled back, none of its rows \
                     were written{earlier})",
                    M::model_name()
                ),
                sql,
            }
        }
        other => other,
    }
}

/// Send one level's statements: one round trip, atomic (a lone statement is atomic on
/// its own, so it goes as a plain `run`).
async fn send(orm: &Orm, statements: &[Statement]) -> Result<Vec<QueryResult>> {
    if let [statement] = statements {
        return Ok(vec![orm.run(statement).await?]);
    }
    orm.batch(statements).await
}

/// `create` / `create_one`: make `n` rows with `builder` and store them (and their
/// `has` children), one round trip per level.
pub(crate) async fn create<F: Factory>(
    builder: &FactoryBuilder<F>,
    n: usize,
) -> Result<Vec<Instance<F::Model>>> {
    let orm = Orm::current_for::<F::Model>()?;
    let instances = builder.make_n(n, None)?;
    if instances.is_empty() {
        return Ok(instances);
    }
    let mut root = Node::plan(&orm, builder, instances, Vec::new()).await?;
    let mut written = 0;
    loop {
        let mut statements = Vec::new();
        root.collect_statements(&mut statements);
        if statements.is_empty() {
            break;
        }
        let results = send(&orm, &statements)
            .await
            .map_err(|e| explain::<F::Model>(e, written))?;
        written += results.iter().map(QueryResult::len).sum::<usize>();
        let mut results = results.into_iter();
        root.distribute_results(&mut results).await?;
        root.expand_children(&orm).await?;
    }
    root.finish_node().await
}
