//! [`Plan`]: a relation query built but not yet sent, and what turns its result into
//! [`Fetched`] rows. Planning and finishing are apart so that eager loading can send the
//! queries of every relation of one level together, in one batch (one round trip on
//! D1), while `load(&parent)` still sends its one query on its own.

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::ModelDef;
use crate::orm::Orm;
use crate::relations::fetched::Fetched;
use crate::runtime::BoxFnOnce;

/// A relation query for a set of parents: a statement and how to group its rows, or
/// nothing to send when no parent has a key.
pub struct Plan<R: ModelDef> {
    parents: usize,
    query: Option<(Statement, BoxFnOnce<QueryResult, Fetched<R>>)>,
}

impl<R: ModelDef> Plan<R> {
    /// No parent has a key: every parent gets no rows, and nothing is sent.
    pub(crate) fn empty(parents: usize) -> Self {
        Plan {
            parents,
            query: None,
        }
    }

    /// `statement`, whose result `group` matches to the parents.
    pub(crate) fn query(
        parents: usize,
        statement: Statement,
        group: BoxFnOnce<QueryResult, Fetched<R>>,
    ) -> Self {
        Plan {
            parents,
            query: Some((statement, group)),
        }
    }

    /// Split into the statement to send (if any) and the grouping of its result.
    pub(crate) fn split(self) -> (Option<Statement>, Pending<R>) {
        match self.query {
            None => (None, Pending::Empty(self.parents)),
            Some((statement, group)) => (Some(statement), Pending::Query(group)),
        }
    }

    /// Send the statement on its own and group its rows.
    pub(crate) async fn run(self, orm: &Orm) -> Result<Fetched<R>> {
        let (statement, pending) = self.split();
        let result = match statement {
            Some(statement) => Some(orm.run(&statement).await?),
            None => None,
        };
        pending.finish(result)
    }
}

/// The grouping half of a [`Plan`], waiting for its result.
pub enum Pending<R: ModelDef> {
    /// Nothing was sent: `n` parents, no rows.
    Empty(usize),
    /// A statement was sent; this groups its result.
    Query(BoxFnOnce<QueryResult, Fetched<R>>),
}

impl<R: ModelDef> Pending<R> {
    /// Whether a statement was planned (and a result must be handed to
    /// [`finish`](Self::finish)).
    pub(crate) fn sends(&self) -> bool {
        matches!(self, Pending::Query(_))
    }

    /// The fetched rows, from the statement's result (`None` when nothing was sent).
    pub(crate) fn finish(self, result: Option<QueryResult>) -> Result<Fetched<R>> {
        match (self, result) {
            (Pending::Empty(parents), _) => Ok(Fetched::empty(parents)),
            (Pending::Query(group), Some(result)) => Ok(group(result)),
            (Pending::Query(_), None) => Err(OrmError::database(
                "the batch returned fewer results than statements sent",
                "<eager-load batch>",
            )),
        }
    }
}
