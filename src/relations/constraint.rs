//! [`Constraint`]: what a `with_constraint(name, |q| ...)` closure recorded on the related
//! model's query — conditions, order, soft-delete mode — kept as AST parts with the
//! related model's type, so an eager load can add them to its one query per level
//! (Eloquent's `with(['posts' => fn ($q) => ...])`).
//!
//! The closure runs once, when the constraint is added: a query builder only records,
//! so nothing is sent then. Its columns are qualified with the related table, so they
//! stay unambiguous in the join of a many-to-many load. This module must not write SQL.

use std::any::TypeId;

use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::query::ast::{Boolean, Condition, Direction, Ident, Select, Where};
use crate::query::Trashed;

/// An eager-load constraint recorded by
/// [`QueryBuilder::with_constraint`](crate::QueryBuilder::with_constraint): the related
/// model's conditions, order and soft-delete mode. Opaque.
#[derive(Debug, Clone)]
pub struct Constraint {
    model: TypeId,
    model_name: &'static str,
    /// The caller's conditions: one group, ANDed with the relation's key condition.
    pub(crate) filter: Vec<Where>,
    /// ORDER BY terms, applied to the whole level's query.
    pub(crate) orders: Vec<(Ident, Direction)>,
    /// Which soft-deleted related rows to load.
    pub(crate) trashed: Trashed,
}

impl Constraint {
    /// A constraint on model `R` from its builder's parts; names are qualified with
    /// `R`'s table.
    pub(crate) fn new<R: ModelDef>(
        filter: Vec<Where>,
        orders: Vec<(Ident, Direction)>,
        trashed: Trashed,
    ) -> Result<Self> {
        let table = R::table_name();
        Ok(Constraint {
            model: TypeId::of::<R>(),
            model_name: R::model_name(),
            filter: filter
                .into_iter()
                .map(|w| qualify_where(w, table))
                .collect::<Result<_>>()?,
            orders: orders
                .into_iter()
                .map(|(column, direction)| Ok((qualify(column, table)?, direction)))
                .collect::<Result<_>>()?,
            trashed,
        })
    }

    /// Which soft-deleted related rows a load with `constraint` sees.
    pub(crate) fn trashed(constraint: Option<&Constraint>) -> Trashed {
        constraint.map_or(Trashed::Exclude, |c| c.trashed)
    }

    /// Add `constraint`'s conditions (one group, ANDed) and order to a relation's
    /// select, whose own conditions are already in place.
    pub(crate) fn apply(constraint: Option<&Constraint>, select: &mut Select) {
        let Some(constraint) = constraint else {
            return;
        };
        if !constraint.filter.is_empty() {
            select.filter.push(Where {
                boolean: Boolean::And,
                condition: Condition::Group(constraint.filter.clone()),
            });
        }
        select.orders.extend(constraint.orders.iter().cloned());
    }

    /// Check that the constraint was written for `R`, the relation's related model.
    pub(crate) fn check_model<R: ModelDef>(&self, relation: &str) -> Result<()> {
        if self.model == TypeId::of::<R>() {
            return Ok(());
        }
        Err(OrmError::InvalidConstraint {
            relation: relation.to_string(),
            reason: format!(
                "the constraint is a query on {}, but the relation loads {}",
                self.model_name,
                R::model_name()
            ),
        })
    }
}

fn qualify(column: Ident, table: &str) -> Result<Ident> {
    match column.parts() {
        (Some(_), _) => Ok(column),
        (None, name) => Ident::parse(&format!("{table}.{name}")),
    }
}

fn qualify_where(w: Where, table: &str) -> Result<Where> {
    let condition = match w.condition {
        Condition::Compare { column, op, value } => Condition::Compare {
            column: qualify(column, table)?,
            op,
            value,
        },
        Condition::In {
            column,
            values,
            negated,
        } => Condition::In {
            column: qualify(column, table)?,
            values,
            negated,
        },
        Condition::Null { column, negated } => Condition::Null {
            column: qualify(column, table)?,
            negated,
        },
        Condition::Group(group) => Condition::Group(
            group
                .into_iter()
                .map(|w| qualify_where(w, table))
                .collect::<Result<_>>()?,
        ),
    };
    Ok(Where {
        boolean: w.boolean,
        condition,
    })
}
