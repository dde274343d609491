//! One of many (Laravel `latestOfMany`, `oldestOfMany`, `ofMany`): a has-one that picks,
//! among a parent's many related rows, the one with the largest (or smallest) value of
//! a column — "each user's latest order".
//!
//! The pick is an order and a per-parent limit of one on the relation's own query: rows
//! whose column is NULL are left out (as `MAX` / `MIN` leave them out), the column's
//! direction comes first and the related primary key breaks ties, largest first (as in
//! Laravel). So a load stays one query per level for any number of parents (numbered
//! with `ROW_NUMBER() OVER (PARTITION BY ...)`, or a plain `LIMIT 1` for one parent).
//! This module only adds AST parts; it writes no SQL.

use crate::error::{OrmError, Result};
use crate::model::Schema;
use crate::query::ast::{Boolean, Condition, Direction, Order, Select, Where};

/// Which one of many a has-one picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OfMany {
    /// The compared column; `None` is the related model's primary key.
    pub(crate) column: Option<&'static str>,
    /// `"max"` or `"min"` (any case), checked with the relation.
    pub(crate) aggregate: &'static str,
}

impl OfMany {
    /// The direction of the pick: `max` → descending, `min` → ascending; anything else
    /// is an error (before any SQL).
    fn direction(&self) -> Result<Direction> {
        match self.aggregate.to_ascii_lowercase().as_str() {
            "max" => Ok(Direction::Desc),
            "min" => Ok(Direction::Asc),
            other => Err(OrmError::InvalidQuery(format!(
                "of_many({:?}, {other:?}): the aggregate is \"max\" or \"min\"",
                self.column.unwrap_or("<primary key>")
            ))),
        }
    }

    /// Check the column (a known column of the related model) and the aggregate.
    pub(crate) fn check(&self, related: &Schema) -> Result<()> {
        self.direction()?;
        related
            .check_column(self.column.unwrap_or(related.primary_key))
            .map(drop)
    }

    /// Make `select` (the relation's query on the related table, with any caller's
    /// constraint applied) pick one row per parent: the column not NULL, ordered by
    /// it, ties by the primary key, limit one. A caller's own limit or offset would
    /// contradict the pick: an error.
    pub(crate) fn apply(&self, related: &Schema, select: &mut Select) -> Result<()> {
        if select.limit.is_some() || select.offset.is_some() {
            return Err(limit_on_one());
        }
        let table = related.table;
        let direction = self.direction()?;
        let key = related.check_column(&format!("{table}.{}", related.primary_key))?;
        let column = match self.column {
            Some(column) => related.check_column(&format!("{table}.{column}"))?,
            None => key.clone(),
        };
        select.filter.push(Where {
            boolean: Boolean::And,
            condition: Condition::Null {
                column: column.clone(),
                negated: true,
            },
        });
        let mut orders = vec![Order::Column(column.clone(), direction)];
        if column != key {
            orders.push(Order::Column(key, Direction::Desc));
        }
        // The pick's order first: a caller's order can only break its ties.
        select.orders.splice(0..0, orders);
        select.limit = Some(1);
        Ok(())
    }
}

/// The error of a load constraint with a limit or offset on a one-of-many relation.
pub(crate) fn limit_on_one() -> OrmError {
    OrmError::InvalidQuery(
        "a one-of-many relation loads one row per parent: limit / offset do not apply".to_string(),
    )
}

/// The error of a relation query (`where_has`, `with_count`, ...) through a
/// one-of-many relation, which would otherwise count every related row, not the one.
pub(crate) fn no_existence_query() -> OrmError {
    OrmError::InvalidQuery(
        "where_has / has / with_count through a one-of-many relation is not supported: \
         query through the has-many it picks from"
            .to_string(),
    )
}
