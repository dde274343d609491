//! Eager loading level by level: every relation of one nesting level is planned, the
//! level's statements go out together — one batch, one round trip — and the rows come
//! back to the relation that asked; then the next level is planned on those rows.
//! `with(["posts.comments", "posts.tags", "profile"])` is three round trips: the
//! parents, then `posts` + `profile`, then `comments` + `tags`.
//!
//! A [`Branch`] is one relation under one set of parents, type-erased over the parent
//! model only: it knows its related model, so its own children are branches of that
//! model, and the tree keeps every type without downcasts. Statements of a level are
//! collected in tree order and handed back in the same order. This module owns the
//! traversal; planning a relation's query belongs to the relation kinds, and SQL to the
//! compiler.

use crate::error::Result;
use crate::executor::{QueryResult, Statement};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::relations::fetched::Fetched;
use crate::relations::map::{branches, EagerTree};
use crate::relations::plan::Pending;
use crate::runtime::MaybeSend;

/// One relation of an eager load under one set of parents of model `P`.
pub(crate) trait Branch<P: ModelDef>: MaybeSend {
    /// Take the results of the statements planned `depth` levels below this branch (0:
    /// its own), in the order they were planned.
    fn accept(
        &mut self,
        depth: usize,
        results: &mut dyn Iterator<Item = QueryResult>,
    ) -> Result<()>;

    /// Plan the children of the branches `depth` levels below this one (0: this
    /// branch's own children, on its fetched rows), pushing their statements onto
    /// `out`. Whether any branch now exists one level further down.
    fn spawn(&mut self, orm: &Orm, depth: usize, out: &mut Vec<Statement>) -> Result<bool>;

    /// Attach the loaded rows — children first — to `parents`.
    fn attach(self: Box<Self>, parents: &mut [Instance<P>]);
}

/// A [`Branch`] whose related model is `R`.
pub(crate) struct Node<R: ModelDef> {
    name: String,
    tree: EagerTree,
    many: bool,
    pending: Option<Pending<R>>,
    fetched: Option<Fetched<R>>,
    children: Vec<Box<dyn Branch<R>>>,
}

impl<R: ModelDef> Node<R> {
    pub(crate) fn new(name: &str, tree: EagerTree, many: bool, pending: Pending<R>) -> Self {
        Node {
            name: name.to_string(),
            tree,
            many,
            pending: Some(pending),
            fetched: None,
            children: Vec::new(),
        }
    }
}

impl<P: ModelDef, R: ModelDef> Branch<P> for Node<R> {
    fn accept(
        &mut self,
        depth: usize,
        results: &mut dyn Iterator<Item = QueryResult>,
    ) -> Result<()> {
        if depth > 0 {
            return self
                .children
                .iter_mut()
                .try_for_each(|child| child.accept(depth - 1, results));
        }
        if let Some(pending) = self.pending.take() {
            let result = if pending.sends() {
                results.next()
            } else {
                None
            };
            self.fetched = Some(pending.finish(result)?);
        }
        Ok(())
    }

    fn spawn(&mut self, orm: &Orm, depth: usize, out: &mut Vec<Statement>) -> Result<bool> {
        if depth > 0 {
            let mut more = false;
            for child in &mut self.children {
                more |= child.spawn(orm, depth - 1, out)?;
            }
            return Ok(more);
        }
        let Some(fetched) = &self.fetched else {
            return Ok(false);
        };
        if self.tree.children.is_empty() || fetched.related.is_empty() {
            return Ok(false);
        }
        self.children = branches::<R>(orm, &fetched.related, &self.tree, out)?;
        Ok(!self.children.is_empty())
    }

    fn attach(self: Box<Self>, parents: &mut [Instance<P>]) {
        let mut fetched = self
            .fetched
            .unwrap_or_else(|| Fetched::empty(parents.len()));
        for child in self.children {
            child.attach(&mut fetched.related);
        }
        fetched.attach(parents, &self.name, self.many);
    }
}

/// Send a level's statements: none → no round trip, one → `run`, more → one batch.
async fn send(orm: &Orm, statements: &[Statement]) -> Result<Vec<QueryResult>> {
    match statements {
        [] => Ok(Vec::new()),
        [one] => Ok(vec![orm.run(one).await?]),
        many => orm.batch(many).await,
    }
}

/// Run the levels of an eager load whose first level is `roots` (with `statements`),
/// then attach everything to `parents`.
pub(super) async fn load_levels<M: ModelDef>(
    orm: &Orm,
    parents: &mut [Instance<M>],
    mut roots: Vec<Box<dyn Branch<M>>>,
    mut statements: Vec<Statement>,
) -> Result<()> {
    let mut depth = 0;
    loop {
        let mut results = send(orm, &statements).await?.into_iter();
        for root in &mut roots {
            root.accept(depth, &mut results)?;
        }
        let mut next = Vec::new();
        let mut more = false;
        for root in &mut roots {
            more |= root.spawn(orm, depth, &mut next)?;
        }
        if !more {
            break;
        }
        statements = next;
        depth += 1;
    }
    for root in roots {
        root.attach(parents);
    }
    Ok(())
}
