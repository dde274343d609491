//! The compiler's raw clause family: a [`RawSql`] fragment written as the caller gave
//! it, each `?` becoming the writer's own placeholder (`?` or `?NNN`) with its value
//! bound in order. The fragment was checked when it was made (`query::raw`): it can't
//! close a parenthesis it did not open, comment out or end the statement.

use super::Sql;
use crate::query::ast::RawSql;

impl Sql<'_> {
    /// The fragment's text with its values bound.
    pub(super) fn raw(&mut self, raw: &RawSql) -> &mut Self {
        let mut pieces = raw.pieces().iter();
        if let Some(first) = pieces.next() {
            self.push(first);
        }
        for (piece, value) in pieces.zip(raw.bindings()) {
            self.param(value.clone());
            self.push(piece);
        }
        self
    }
}
