//! Pivot writes in a unit of work (`attach`, `detach`, `sync` of a belongs-to-many):
//! the relation's own statements, queued; their counts or changes read from the
//! committed unit.

use crate::error::Result;
use crate::model::{Instance, ModelDef};
use crate::relations::pivot::{key_list, SyncChanges};
use crate::relations::BelongsToManyRelation;

#[cfg(doc)]
use super::Committed;
use super::{writes, Pending, UnitOfWork};

impl UnitOfWork<'_> {
    /// Queue a pivot attach (see [`BelongsToManyRelation::attach`]); the count of pairs
    /// inserted is read from the [`Committed`] unit.
    pub fn attach<P, R, I, V>(
        &mut self,
        relation: &BelongsToManyRelation<R>,
        parent: &Instance<P>,
        ids: I,
    ) -> Result<Pending<u64>>
    where
        P: ModelDef,
        R: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<serde_json::Value>,
    {
        let ids = key_list(ids);
        let planned = relation
            .attach_statement(parent, ids, crate::model::Attributes::new())
            .map(|s| writes::count(s, true));
        self.queue(planned)
    }

    /// Queue a pivot detach of `ids` (see [`BelongsToManyRelation::detach`]).
    pub fn detach<P, R, I, V>(
        &mut self,
        relation: &BelongsToManyRelation<R>,
        parent: &Instance<P>,
        ids: I,
    ) -> Result<Pending<u64>>
    where
        P: ModelDef,
        R: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<serde_json::Value>,
    {
        let ids = key_list(ids);
        let planned = relation
            .detach_statement(parent, Some(ids))
            .map(|s| writes::count(s, false));
        self.queue(planned)
    }

    /// Queue a pivot sync (see [`BelongsToManyRelation::sync`]).
    pub fn sync<P, R, I, V>(
        &mut self,
        relation: &BelongsToManyRelation<R>,
        parent: &Instance<P>,
        ids: I,
    ) -> Result<Pending<SyncChanges>>
    where
        P: ModelDef,
        R: ModelDef,
        I: IntoIterator<Item = V>,
        V: Into<serde_json::Value>,
    {
        let ids = key_list(ids);
        let planned = relation.sync_statements(parent, ids).map(writes::sync);
        self.queue(planned)
    }
}
