//! Querying by relations (Eloquent's `whereHas` / `has` / `whereRelation`, and the
//! `withCount` family's subqueries): a relation path becomes a correlated subquery of
//! the related model — `[NOT] EXISTS (SELECT 1 FROM related WHERE related.fk =
//! parent.key AND <constraint> AND <related scopes>)` or `(SELECT COUNT(*) ...) op ?` —
//! with a nested path (`"posts.comments"`) as an `EXISTS` inside the level before it.
//! The related model's scopes (tenant, soft deletes, global scopes) are in every level's
//! subquery, so a tenant's `where_has` never matches through another tenant's child.
//!
//! Per relation type only the correlation and a few function pointers are generic
//! ([`level`]); the body ([`level_of`]) is one copy for every model, which keeps the
//! wasm small. This module builds AST only; it writes no SQL.

use std::any::TypeId;

use crate::error::{OrmError, Result};
use crate::model::{ModelDef, Schema};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Operator, Projection, Select, Where};
use crate::query::scopes::model_scopes_of;
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

/// The next level of a path: `(orm, path, parent table, name, rest, test)` →
/// relation `name` of a model (see [`relation_condition_in`](crate::relations::map)).
type NestedLevel = fn(&Orm, &str, &'static str, &str, &[&str], &Test) -> Result<Condition>;

/// A level's related model, its types erased.
struct Related {
    model: TypeId,
    schema: Schema,
    global_scopes: fn(Option<&Constraint>) -> Result<Vec<Condition>>,
    /// The next level of the path: relation `name` of this model.
    nested: NestedLevel,
}

/// One level of a relation path from parent `P` through `relation`: the related rows
/// correlated with a row of the `parent` table, the next levels (`rest`) nested inside,
/// and the related model's scopes. Returns the level's condition (`EXISTS`, or for the
/// last level what `test` asks).
pub(crate) fn level<P: ModelDef, T: RelationImpl<P>>(
    relation: &T,
    orm: &Orm,
    path: &str,
    parent: &'static str,
    rest: &[&str],
    test: &Test,
) -> Result<Condition> {
    crate::model::check_model::<T::Related>()?;
    let related = Related {
        model: TypeId::of::<T::Related>(),
        schema: Schema::of::<T::Related>(),
        global_scopes: Constraint::global_scopes::<T::Related>,
        nested: crate::relations::map::relation_condition_in::<T::Related>,
    };
    let correlated = relation.correlated(orm, parent)?;
    level_of(&related, correlated, orm, path, parent, rest, test)
}

/// The body of [`level`], one copy for every relation and model (never inlined into
/// the per-relation wrappers).
#[inline(never)]
fn level_of(
    related: &Related,
    (mut select, correlation): (Select, Condition),
    orm: &Orm,
    path: &str,
    parent: &'static str,
    rest: &[&str],
    test: &Test,
) -> Result<Condition> {
    let table = related.schema.table;
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
    select.filter.push(Where {
        boolean: Boolean::And,
        condition: correlation,
    });
    let last = rest.is_empty();
    let constraint = if last { test.constraint.as_ref() } else { None };
    if let Some(constraint) = constraint {
        constraint.check_model_of(path, related.model, related.schema.model())?;
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
    if let (Some((column, op, value)), true) = (&test.column, last) {
        // `where_relation(path, column, op, value)`: the related model's column, its
        // value bound by the related model's rule.
        let column = related.schema.check_column(column)?;
        let value = related.schema.bind_value(&column, value)?;
        select.filter.push(Where {
            boolean: Boolean::And,
            condition: Condition::Compare {
                column,
                op: *op,
                value,
            },
        });
    }
    if let (Some(column), true) = (&test.aggregate, last) {
        let column = related.schema.check_column(&format!("{table}.{column}"))?;
        select.columns.push(Projection::Column(column));
    }
    select.scopes = model_scopes_of(
        orm,
        related.model,
        related.schema,
        Constraint::trashed(constraint),
    )?;
    select.scopes.extend((related.global_scopes)(constraint)?);
    if let Some((next, rest)) = rest.split_first() {
        let nested = (related.nested)(orm, path, table, next, rest, test)?;
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
