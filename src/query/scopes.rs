//! Model scopes: the conditions every query of a model carries, ANDed outside the
//! caller's conditions (soft deletes now; tenant with the tenancy module). Builders,
//! instance writes and relation loads all take their scopes from here, so a scope added
//! once applies on every path.

use crate::model::{ModelDef, DELETED_AT};
use crate::orm::Orm;
use crate::query::ast::{Condition, Ident};

/// Which soft-deleted rows a query sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trashed {
    /// Only rows that are not soft-deleted (the default).
    #[default]
    Exclude,
    /// All rows (`with_trashed`).
    With,
    /// Only soft-deleted rows (`only_trashed`).
    Only,
}

/// The scope conditions of model `M` in `orm`'s request.
pub(crate) fn model_scopes<M: ModelDef>(_orm: &Orm, trashed: Trashed) -> Vec<Condition> {
    let mut scopes = Vec::new();
    if M::SOFT_DELETES && trashed != Trashed::With {
        if let Ok(column) = Ident::parse(&format!("{}.{}", M::table_name(), DELETED_AT)) {
            scopes.push(Condition::Null {
                column,
                negated: trashed == Trashed::Only,
            });
        }
    }
    scopes
}
