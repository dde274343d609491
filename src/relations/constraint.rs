//! [`Constraint`]: what a `with_constraint(name, |q| ...)` closure recorded on the related
//! model's query — conditions, order, soft-delete mode — kept as AST parts with the
//! related model's type, so an eager load can add them to its one query per level
//! (Eloquent's `with(['posts' => fn ($q) => ...])`).
//!
//! The closure runs once, when the constraint is added: a query builder only records,
//! so nothing is sent then. Its bare column names are qualified by the compiler with
//! the related table (the FROM table of the level's query), so they stay unambiguous
//! in the join of a many-to-many load. `limit` / `offset` apply per
//! parent (Laravel 11's eager-load limit): the level's one query numbers each parent's
//! rows with a window function. This module must not write SQL.

use std::any::TypeId;

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;
use crate::model::ModelDef;
use crate::query::ast::{Boolean, Condition, Order, Select, Where};
use crate::query::global_scopes::Lifted;
use crate::query::{compiler, Trashed};

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
    pub(crate) orders: Vec<Order>,
    /// Which soft-deleted related rows to load.
    pub(crate) trashed: Trashed,
    /// Which of the related model's global scopes the constraint lifted.
    pub(crate) lifted: Lifted,
    /// Rows per parent (`limit`), after skipping `offset` of each parent's.
    pub(crate) limit: Option<u64>,
    /// Rows of each parent to skip.
    pub(crate) offset: Option<u64>,
}

impl Constraint {
    /// A constraint on model `R` from its builder's parts.
    pub(crate) fn new<R: ModelDef>(
        filter: Vec<Where>,
        orders: Vec<Order>,
        trashed: Trashed,
        lifted: Lifted,
        (limit, offset): (Option<u64>, Option<u64>),
    ) -> Result<Self> {
        Ok(Constraint {
            model: TypeId::of::<R>(),
            model_name: R::model_name(),
            filter,
            orders,
            trashed,
            lifted,
            limit,
            offset,
        })
    }

    /// The related model `R`'s global-scope conditions for a load with `constraint`.
    pub(crate) fn global_scopes<R: ModelDef>(
        constraint: Option<&Constraint>,
    ) -> Result<Vec<Condition>> {
        let lifted = constraint.map(|c| c.lifted.clone()).unwrap_or_default();
        crate::query::global_scopes::conditions::<R>(&lifted)
    }

    /// Which soft-deleted related rows a load with `constraint` sees.
    pub(crate) fn trashed(constraint: Option<&Constraint>) -> Trashed {
        constraint.map_or(Trashed::Exclude, |c| c.trashed)
    }

    /// Whether `constraint` limits rows per parent (`limit` / `offset`): the level's
    /// query then numbers each parent's rows (see
    /// [`compiler::select_per_parent`](crate::query::compiler::select_per_parent)).
    pub(crate) fn per_parent(constraint: Option<&Constraint>) -> bool {
        constraint.is_some_and(|c| c.limit.is_some() || c.offset.is_some())
    }

    /// Drop the row-number column a per-parent query adds.
    pub(crate) fn strip_row_number(result: &mut QueryResult) {
        if let Some(i) = result.column_index(compiler::ROW_COLUMN) {
            result.remove_column(i);
        }
    }

    /// Add `constraint`'s conditions (one group, ANDed; a relation query among them
    /// resolved for the request of `orm`), order, and per-parent limit and offset to a
    /// relation's select, whose own conditions are already in place.
    pub(crate) fn apply(
        constraint: Option<&Constraint>,
        orm: &crate::Orm,
        select: &mut Select,
    ) -> Result<()> {
        let Some(constraint) = constraint else {
            return Ok(());
        };
        select.limit = constraint.limit;
        select.offset = constraint.offset;
        if !constraint.filter.is_empty() {
            let mut filter = constraint.filter.clone();
            crate::query::ast::resolve_deferred(&mut filter, orm)?;
            select.filter.push(Where {
                boolean: Boolean::And,
                condition: Condition::Group(filter),
            });
        }
        select.orders.extend(constraint.orders.iter().cloned());
        Ok(())
    }

    /// Check that the constraint was written for `R`, the relation's related model.
    pub(crate) fn check_model<R: ModelDef>(&self, relation: &str) -> Result<()> {
        self.check_model_of(relation, TypeId::of::<R>(), R::model_name())
    }

    /// [`check_model`](Self::check_model) for the model with `TypeId` `model`, called
    /// `name`.
    pub(crate) fn check_model_of(
        &self,
        relation: &str,
        model: TypeId,
        name: &'static str,
    ) -> Result<()> {
        if self.model == model {
            return Ok(());
        }
        Err(OrmError::InvalidConstraint {
            relation: relation.to_string(),
            reason: format!(
                "the constraint is a query on {}, but the relation loads {name}",
                self.model_name
            ),
        })
    }
}
