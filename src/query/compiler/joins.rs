//! The compiler's FROM clause family: the table, then each [`Join`] — `INNER JOIN`,
//! `LEFT JOIN`, `CROSS JOIN` of a table or of a model subquery `(SELECT ...) AS
//! "alias"` — with its `ON`: the caller's conditions as one group and the joined
//! model's scopes (its tenant) ANDed outside it, exactly as a WHERE is written, so an
//! `or_on` can never lift the joined table's tenant condition.

use super::{write_select, Sql};
use crate::query::ast::{Join, JoinKind, JoinSource, Select};

impl<'a> Sql<'a> {
    /// ` FROM "t"` and the select's joins.
    pub(super) fn write_from(&mut self, select: &'a Select) -> &mut Self {
        self.push(" FROM ").ident(&select.table);
        self.joins(select)
    }

    /// Each join of the select, in order.
    pub(super) fn joins(&mut self, select: &'a Select) -> &mut Self {
        for join in &select.joins {
            self.join(join);
        }
        self
    }

    fn join(&mut self, join: &'a Join) {
        self.push(match join.kind {
            JoinKind::Inner => " INNER JOIN ",
            JoinKind::Left => " LEFT JOIN ",
            JoinKind::Cross => " CROSS JOIN ",
        });
        match &join.source {
            JoinSource::Table(table) => {
                self.ident(table);
            }
            JoinSource::Sub(sub, alias) => {
                // The subquery's bare names are its own table's, not the outer one's.
                let outer = std::mem::replace(&mut self.from, sub.table.as_str());
                self.push("(");
                write_select(self, sub, None);
                self.tail(sub);
                self.push(") AS ").ident(alias);
                self.from = outer;
            }
        }
        if join.on.is_empty() && join.scopes.is_empty() {
            return;
        }
        self.push(" ON ");
        self.scoped(&join.on, &join.scopes);
    }
}
