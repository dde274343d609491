//! The compiler's conditions clause family: WHERE, the caller's group and the scopes
//! outside it, and every [`Condition`] node. Column references are written qualified
//! (see the parent module); values are bound.

use super::{json_array, Sql};
use crate::query::ast::{Boolean, Condition, DatePart, Ident, Select, Where};
use crate::value::SqlValue;

impl Sql<'_> {
    pub(super) fn condition(&mut self, condition: &Condition) {
        match condition {
            Condition::Compare { column, op, value } => {
                self.column(column).push(" ").push(op.sql()).push(" ");
                self.param(value.clone());
            }
            Condition::In {
                column,
                values,
                negated,
            } => self.in_list(column, values, *negated),
            Condition::Raw(raw) => {
                self.push("(").raw(raw).push(")");
            }
            Condition::Null { column, negated } => {
                self.column(column)
                    .push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Condition::Group(group) => {
                self.push("(");
                self.group(group);
                self.push(")");
            }
            Condition::Not(group) => {
                self.push("NOT (");
                self.group(group);
                self.push(")");
            }
            Condition::Between {
                column,
                low,
                high,
                negated,
            } => {
                self.column(column).push(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                });
                self.param(low.clone()).push(" AND ");
                self.param(high.clone());
            }
            Condition::Columns { left, op, right } => {
                self.column(left).push(" ").push(op.sql()).push(" ");
                self.column(right);
            }
            Condition::Glob {
                column,
                pattern,
                negated,
            } => {
                self.column(column)
                    .push(if *negated { " NOT GLOB " } else { " GLOB " });
                self.param(pattern.clone());
            }
            Condition::DatePart {
                part,
                column,
                op,
                value,
            } => {
                self.date_part(*part, column);
                self.push(" ").push(op.sql()).push(" ");
                self.param(value.clone());
            }
            Condition::Exists { select, negated } => {
                self.push(if *negated { "NOT EXISTS" } else { "EXISTS" });
                self.push(" (SELECT 1").related(select).push(")");
            }
            Condition::CountOf { select, op, value } => {
                self.push("(SELECT COUNT(*)").related(select);
                self.push(") ").push(op.sql()).push(" ");
                self.param(value.clone());
            }
            // The builder resolves every deferred condition at its terminal, so this is
            // never reached; were it, the condition matches no row.
            Condition::Deferred(_) => {
                self.push("FALSE");
            }
        }
    }

    /// ` FROM related <joins> WHERE ...` of a relation subquery: its bare names are
    /// its own table's, its values bound in the outer statement's order.
    pub(super) fn related(&mut self, select: &Select) -> &mut Self {
        let mut inner = Sql {
            text: std::mem::take(&mut self.text),
            params: std::mem::take(&mut self.params),
            write_text: self.write_text,
            numbered: self.numbered,
            from: select.table.as_str(),
        };
        inner.write_from(select);
        inner.where_clause(&select.filter, &select.scopes);
        self.text = inner.text;
        self.params = inner.params;
        self
    }

    /// `column [NOT] IN (SELECT value FROM json_each(?))`: the list as one JSON-array
    /// parameter, whatever its length. JSON has no bytes, so BLOB values travel as hex
    /// text read back with `unhex` (a list of both kinds is two tests of the column).
    /// The part of an ISO-8601 text column a date condition compares; the format
    /// strings are the compiler's own, never caller text.
    fn date_part(&mut self, part: DatePart, column: &Ident) {
        let (open, close) = match part {
            DatePart::Date => ("date(", ")"),
            DatePart::Time => ("time(", ")"),
            DatePart::Year => ("strftime('%Y', ", ")"),
            DatePart::Month => ("strftime('%m', ", ")"),
            DatePart::Day => ("strftime('%d', ", ")"),
        };
        self.push(open).column(column).push(close);
    }

    fn in_list(&mut self, column: &Ident, values: &[SqlValue], negated: bool) {
        let (blobs, others): (Vec<&SqlValue>, Vec<&SqlValue>) =
            values.iter().partition(|v| matches!(v, SqlValue::Blob(_)));
        let both = !blobs.is_empty() && !others.is_empty();
        if both {
            self.push("(");
        }
        if !others.is_empty() || blobs.is_empty() {
            self.in_json(column, negated, "value", json_array(others.iter().copied()));
        }
        if both {
            self.push(if negated { " AND " } else { " OR " });
        }
        if !blobs.is_empty() {
            self.in_json(
                column,
                negated,
                "unhex(value)",
                json_array(blobs.iter().copied()),
            );
        }
        if both {
            self.push(")");
        }
    }

    fn in_json(&mut self, column: &Ident, negated: bool, item: &str, list: String) {
        self.column(column)
            .push(if negated { " NOT IN " } else { " IN " })
            .push("(SELECT ")
            .push(item)
            .push(" FROM json_each(");
        self.param(SqlValue::Text(list));
        self.push("))");
    }

    pub(super) fn group(&mut self, group: &[Where]) {
        for (i, w) in group.iter().enumerate() {
            if i > 0 {
                self.push(match w.boolean {
                    Boolean::And => " AND ",
                    Boolean::Or => " OR ",
                });
            }
            self.condition(&w.condition);
        }
    }

    pub(super) fn where_clause(&mut self, filter: &[Where], scopes: &[Condition]) {
        if filter.is_empty() && scopes.is_empty() {
            return;
        }
        self.push(" WHERE ");
        self.scoped(filter, scopes);
    }

    /// The caller's conditions as one group (parenthesized when it holds an OR) and
    /// the scopes ANDed outside it: the body of a WHERE, and of a join's ON.
    pub(super) fn scoped(&mut self, filter: &[Where], scopes: &[Condition]) {
        let wrap = !scopes.is_empty() && filter.iter().any(|w| w.boolean == Boolean::Or);
        if !filter.is_empty() {
            if wrap {
                self.push("(");
            }
            self.group(filter);
            if wrap {
                self.push(")");
            }
        }
        for (i, scope) in scopes.iter().enumerate() {
            if i > 0 || !filter.is_empty() {
                self.push(" AND ");
            }
            self.condition(scope);
        }
    }
}
