//! [`Schema`]: a model's declaration as plain data — table, keys, settings, columns —
//! so the checks that only read it (column names, casts, value binding) are compiled
//! once for all models instead of once per model type. On wasm32 every generic copy is
//! shipped to the Worker; a per-model wrapper here is a few instructions that build the
//! `Schema` and call the shared body.
//!
//! This module reads declarations; it must not judge them (see `config`) or build
//! queries.

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::model::{table_of, Column, ModelDef, CREATED_AT, DELETED_AT, UPDATED_AT};
use crate::query::Ident;
use crate::value::SqlValue;

/// Model `M`'s consts as values (see [`Schema::of`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    /// The model's name for messages, computed only when one is written (deriving it
    /// from the type name on every query cost 4% of a find).
    model_name: fn() -> &'static str,
    /// The table, declared or derived.
    pub(crate) table: &'static str,
    pub(crate) primary_key: &'static str,
    pub(crate) timestamps: bool,
    pub(crate) soft_deletes: bool,
    pub(crate) tenant_column: Option<&'static str>,
    pub(crate) columns: &'static [Column],
}

impl Schema {
    /// The schema of `M`.
    #[inline]
    pub(crate) fn of<M: ModelDef>() -> Schema {
        Schema {
            model_name: M::model_name,
            table: table_of::<M>(),
            primary_key: M::PRIMARY_KEY,
            timestamps: M::TIMESTAMPS,
            soft_deletes: M::SOFT_DELETES,
            tenant_column: M::TENANT_COLUMN,
            columns: M::COLUMNS,
        }
    }

    /// The model's name for messages.
    pub(crate) fn model(&self) -> &'static str {
        (self.model_name)()
    }

    /// The declared column called `name`, if any.
    pub(crate) fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether `name` is a column: declared, or implied by the model's settings (any
    /// name when no columns are declared).
    pub(crate) fn is_known_column(&self, name: &str) -> bool {
        self.columns.is_empty() || self.static_column(name).is_some()
    }

    /// The program-lifetime spelling of `name` when it is a column named without a
    /// table: declared, or implied by the model's settings.
    fn static_column(&self, name: &str) -> Option<&'static str> {
        if let Some(column) = self.column(name) {
            return Some(column.name);
        }
        let implied = [
            Some(self.primary_key),
            self.timestamps.then_some(CREATED_AT),
            self.timestamps.then_some(UPDATED_AT),
            self.soft_deletes.then_some(DELETED_AT),
            self.tenant_column,
        ];
        implied.into_iter().flatten().find(|c| *c == name)
    }

    /// Validate a column reference (`col` or `table.col`): a valid identifier,
    /// qualified (if at all) by the model's own table, and a known column.
    pub(crate) fn check_column(&self, name: &str) -> Result<Ident> {
        // A known column by its bare name (the common case) needs no copy of the name.
        if let Some(column) = self.static_column(name) {
            return Ident::parse_static(column);
        }
        let ident = Ident::parse(name)?;
        let (table, column) = ident.parts();
        // A query of the model reads its table only: another table's name can't
        // qualify one of its columns (it would be `no such column` at best).
        if table.is_some_and(|t| t != self.table) || !self.is_known_column(column) {
            return Err(OrmError::UnknownColumn {
                model: self.model(),
                column: name.to_string(),
            });
        }
        Ok(ident)
    }

    /// A column named by an attribute key of a write: [`check_column`](Self::check_column),
    /// and a bare name.
    pub(crate) fn check_attribute(&self, name: &str) -> Result<Ident> {
        let ident = self.check_column(name)?;
        if ident.parts().0.is_some() {
            return Err(OrmError::InvalidAttributes(format!(
                "attribute [{name}] of model [{}] names a table; write the bare column name",
                self.model()
            )));
        }
        Ok(ident)
    }

    /// The declared column `ident` refers to: its name, bare or qualified with the
    /// model's table.
    pub(crate) fn declared(&self, ident: &Ident) -> Option<&'static Column> {
        match ident.parts() {
            (None, column) => self.column(column),
            (Some(table), column) if table == self.table => self.column(column),
            _ => None,
        }
    }

    /// The bound value of a caller's `value` for column `ident`: the one rule of
    /// [`Column::bind`] for a declared column, the plain JSON mapping otherwise.
    pub(crate) fn bind_value(&self, ident: &Ident, value: &Value) -> Result<SqlValue> {
        let bound = match self.declared(ident) {
            Some(column) => column.bind(value),
            None => SqlValue::from_json(value),
        };
        bound.map_err(|e| match e {
            OrmError::ValueOutOfRange {
                column: None,
                value,
            } => OrmError::ValueOutOfRange {
                column: Some(ident.to_string()),
                value,
            },
            other => other,
        })
    }
}
