//! Querying by relations (Eloquent's `whereHas` / `has` / `whereRelation`): a relation
//! path becomes a correlated subquery of the related model — `[NOT] EXISTS (SELECT 1
//! FROM related WHERE related.fk = parent.key AND <constraint> AND <related scopes>)` or
//! `(SELECT COUNT(*) ...) op ?` — with a nested path (`"posts.comments"`) as an `EXISTS`
//! inside the level before it. The related model's scopes (tenant, soft deletes, global
//! scopes) are in every level's subquery, so a tenant's `where_has` never matches
//! through another tenant's child. This module builds AST only; it writes no SQL.

use crate::error::{OrmError, Result};
use crate::model::{table_of, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Operator, Select, Where};
use crate::query::scopes::model_scopes;
use crate::query::QueryBuilder;
use crate::relations::constraint::Constraint;
use crate::relations::map::sealed::RelationImpl;
use crate::value::SqlValue;

/// What the last level of a relation path tests: its rows narrowed by `constraint`,
/// their existence (`count: None`) or their number compared with a count.
#[derive(Debug, Clone)]
pub(crate) struct Test {
    /// The caller's constraint on the last level's model (`where_has(.., |q| ..)`).
    pub(crate) constraint: Option<Constraint>,
    /// `where_relation`'s `column op value` on the last level's model, instead of a
    /// constraint.
    pub(crate) column: Option<(String, Operator, serde_json::Value)>,
    /// `Some((op, n))`: `COUNT(*) op n` instead of `EXISTS`.
    pub(crate) count: Option<(Operator, SqlValue)>,
    /// A column of the last level's model to aggregate (`with_sum(rel, column)`):
    /// checked there and put first in the subquery's projection.
    pub(crate) aggregate: Option<String>,
}

/// One level of a relation path from parent `P` through `relation`: the related rows
/// correlated with a row of the `parent` table, the next levels (`rest`) nested inside, and the
/// related model's scopes. Returns the level's condition (`EXISTS`, or for the last
/// level what `test` asks).
pub(crate) fn level<P: ModelDef, T: RelationImpl<P>>(
    relation: &T,
    orm: &Orm,
    path: &str,
    parent: &'static str,
    rest: &[&str],
    test: &Test,
) -> Result<Condition> {
    crate::model::check_model::<T::Related>()?;
    let table = table_of::<T::Related>();
    if parent == table {
        // The subquery's table would shadow its parent's, and the correlation would
        // compare each related row with itself.
        return Err(OrmError::InvalidConstraint {
            relation: path.to_string(),
            reason: format!(
                "querying by a relation from {table} to {table} itself is not supported; \
                 use join_sub or where_raw"
            ),
        });
    }
    let (mut select, correlation) = relation.correlated(parent)?;
    select.filter.push(Where {
        boolean: Boolean::And,
        condition: correlation,
    });
    let last = rest.is_empty();
    let by_column;
    let constraint = match (&test.column, last) {
        (_, false) => None,
        (None, true) => test.constraint.as_ref(),
        // `where_relation(path, column, op, value)`: the column and its value's rule
        // are the related model's, known here.
        (Some((column, op, value)), true) => {
            by_column = QueryBuilder::<T::Related>::new()
                .where_op(column, *op, value.clone())
                .into_constraint(path)?;
            Some(&by_column)
        }
    };
    if let Some(constraint) = constraint {
        constraint.check_model::<T::Related>(path)?;
        if constraint.limit.is_some()
            || constraint.offset.is_some()
            || !constraint.orders.is_empty()
        {
            return Err(OrmError::InvalidConstraint {
                relation: path.to_string(),
                reason: "a relation's existence or count takes conditions only, no order, \
                         limit or offset"
                    .to_string(),
            });
        }
        Constraint::apply(Some(constraint), orm, &mut select)?;
    }
    if let (Some(column), true) = (&test.aggregate, last) {
        let column = crate::model::check_column::<T::Related>(&format!("{table}.{column}"))?;
        select
            .columns
            .push(crate::query::ast::Projection::Column(column));
    }
    select.scopes = model_scopes::<T::Related>(orm, Constraint::trashed(constraint))?;
    select
        .scopes
        .extend(Constraint::global_scopes::<T::Related>(constraint)?);
    if let Some((next, rest)) = rest.split_first() {
        let nested = crate::relations::map::relation_condition_in::<T::Related>(
            orm, path, table, next, rest, test,
        )?;
        select.filter.push(Where {
            boolean: Boolean::And,
            condition: nested,
        });
        return Ok(exists(select));
    }
    Ok(match &test.count {
        Some((op, value)) => Condition::CountOf {
            select: Box::new(select),
            op: *op,
            value: value.clone(),
        },
        None => exists(select),
    })
}

fn exists(select: Select) -> Condition {
    Condition::Exists {
        select: Box::new(select),
        negated: false,
    }
}
