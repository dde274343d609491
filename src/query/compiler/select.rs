//! The compiler's SELECT clause family: the SELECT list (`DISTINCT`, columns,
//! aggregates), GROUP BY, HAVING and ORDER BY. Columns are written qualified, and an
//! aggregate in HAVING or ORDER BY is written as its expression (`SUM("posts"."views")`),
//! never as a bare alias: a bare name could be a column too, or a misspelling read as a
//! string.

use super::Sql;
use crate::query::ast::{
    Aggregate, Group, Having, HavingTarget, HavingTest, Ident, Order, Projection, Select,
};

impl Sql<'_> {
    /// `[DISTINCT] *` or the SELECT list.
    pub(super) fn projection(&mut self, select: &Select) {
        if select.distinct {
            self.push("DISTINCT ");
        }
        if select.columns.is_empty() {
            // Joined: the model's own table only, so a joined `id` can't clobber it.
            if !select.joins.is_empty() {
                self.ident(&select.table).push(".");
            }
            self.push("*");
            return;
        }
        for (i, item) in select.columns.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            match item {
                Projection::Column(column) => {
                    self.column(column);
                }
                Projection::Aggregate {
                    function,
                    column,
                    alias,
                } => {
                    self.aggregate(*function, column.as_ref());
                    self.push(" AS ").quoted(alias.as_str());
                }
                Projection::Raw(raw) => {
                    self.raw(raw);
                }
                Projection::AllOf(table) => {
                    self.ident(table).push(".*");
                }
                Projection::Related {
                    function,
                    select,
                    alias,
                } => {
                    match function {
                        None => self.push("EXISTS (SELECT 1").related(select),
                        Some(function) => {
                            self.push("(SELECT ").push(function.sql()).push("(");
                            match select.columns.first() {
                                Some(Projection::Column(column)) => self.column(column),
                                _ => self.push("*"),
                            };
                            self.push(")").related(select)
                        }
                    };
                    self.push(") AS ").quoted(alias.as_str());
                }
            }
        }
    }

    /// `FUNC("t"."column")`, or `COUNT(*)` without a column.
    fn aggregate(&mut self, function: Aggregate, column: Option<&Ident>) -> &mut Self {
        self.push(function.sql()).push("(");
        match column {
            Some(column) => self.column(column),
            None => self.push("*"),
        };
        self.push(")")
    }

    /// ` GROUP BY a, b HAVING ...` (nothing without groups or havings).
    pub(super) fn grouping(&mut self, select: &Select) {
        for (i, group) in select.groups.iter().enumerate() {
            self.push(if i == 0 { " GROUP BY " } else { ", " });
            match group {
                Group::Column(column) => self.column(column),
                Group::Raw(raw) => self.raw(raw),
            };
        }
        for (i, having) in select.having.iter().enumerate() {
            self.push(match (i, having.boolean) {
                (0, _) => " HAVING ",
                (_, crate::query::ast::Boolean::And) => " AND ",
                (_, crate::query::ast::Boolean::Or) => " OR ",
            });
            self.having(having);
        }
    }

    fn having(&mut self, having: &Having) {
        match &having.target {
            HavingTarget::Aggregate(function, column) => self.aggregate(*function, column.as_ref()),
            HavingTarget::Column(column) => self.column(column),
            HavingTarget::Raw(raw) => self.push("(").raw(raw).push(")"),
        };
        match &having.test {
            HavingTest::Compare(op, value) => {
                self.push(" ").push(op.sql()).push(" ");
                self.param(value.clone());
            }
            HavingTest::Between(low, high, negated) => {
                self.push(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                });
                self.param(low.clone()).push(" AND ");
                self.param(high.clone());
            }
            HavingTest::Holds => {}
        }
    }

    /// ` ORDER BY a ASC, b DESC` (nothing without orders).
    pub(super) fn order_by(&mut self, select: &Select) {
        for (i, order) in select.orders.iter().enumerate() {
            self.push(if i == 0 { " ORDER BY " } else { ", " });
            match order {
                Order::Column(column, direction) => {
                    self.column(column).push(" ").push(direction.sql());
                }
                Order::Aggregate(function, column, direction) => {
                    self.aggregate(*function, column.as_ref())
                        .push(" ")
                        .push(direction.sql());
                }
                Order::Random => {
                    self.push("random()");
                }
                Order::Raw(raw) => {
                    self.raw(raw);
                }
            }
        }
    }
}
