//! Writes on a query that add rows: Laravel's `insert`, `insertOrIgnore`, `upsert` and
//! `updateOrInsert`.
//!
//! Rows are checked as a save checks them (known columns, values that bind, casts),
//! the active tenant is stamped on every row, and `created_at` / `updated_at` are
//! written on a model with timestamps. No model hooks fire (as in Laravel: no instance
//! is built). Rows go in as few statements as D1's limits allow — usually one, the
//! rows as one JSON parameter (see [`insert_plan`](crate::query::insert_plan)) — and
//! more than one statement is one atomic batch: every row is written or none is.

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::Statement;
use crate::model::persistence::{bound_columns, is_tenant, update_stamps};
use crate::model::{
    check_column, now_timestamp, Attributes, IntoAttributes, ModelDef, CREATED_AT, UPDATED_AT,
};
use crate::orm::Orm;
use crate::query::ast::{Ident, OnConflict};
use crate::query::compiler;
use crate::query::insert_plan::{self, Row, Shape};
use crate::query::scopes::tenant_of;

/// Each row as attributes, or the first row that is not a key-value map.
fn collect_rows<A: IntoAttributes>(rows: impl IntoIterator<Item = A>) -> Result<Vec<Attributes>> {
    rows.into_iter()
        .map(IntoAttributes::into_attributes)
        .collect()
}

/// Stamp the active tenant (a row naming another tenant gets the active one, as on a
/// save) and the timestamps a row leaves out.
fn stamp<M: ModelDef>(row: &mut Attributes, tenant: Option<&(&'static str, String)>, now: &str) {
    if let Some((column, org_id)) = tenant {
        if !row.get(*column).is_some_and(|v| is_tenant(v, org_id)) {
            row.insert(column.to_string(), Value::String(org_id.clone()));
        }
    }
    if crate::model::timestamps::uses_timestamps::<M>() {
        for column in [CREATED_AT, UPDATED_AT] {
            if row.get(column).is_none_or(Value::is_null) {
                row.insert(column.to_string(), Value::String(now.to_string()));
            }
        }
    }
}

/// Checked column names.
fn columns<M: ModelDef>(names: &[&str]) -> Result<Vec<Ident>> {
    names.iter().map(|n| check_column::<M>(n)).collect()
}

/// The rows stamped and checked, ready to plan.
fn prepare_rows<M: ModelDef>(orm: &Orm, rows: Vec<Attributes>) -> Result<Vec<Row>> {
    let tenant = tenant_of::<M>(orm);
    let now = now_timestamp();
    rows.into_iter()
        .map(|mut row| {
            stamp::<M>(&mut row, tenant.as_ref(), &now);
            let (columns, values) = bound_columns::<M>(&row)?;
            Ok(Row {
                columns,
                values,
                supplied_key: None,
            })
        })
        .collect()
}

impl<M: ModelDef> QueryBuilder<M> {
    /// Plan and send `rows` with `conflict`; the number of rows changed.
    async fn send_rows(orm: &Orm, rows: Vec<Row>, conflict: OnConflict) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let shape = Shape {
            conflict,
            returning: false,
            ..Shape::default()
        };
        let plan = insert_plan::plan_with::<M>(rows, &shape)?;
        send(orm, &plan.statements).await
    }

    /// Insert `rows` in one statement where D1's limits allow (Laravel `insert`) and
    /// return how many were inserted. Rows may name different columns (a column a row
    /// leaves out gets its SQL default). A row that breaks a constraint fails the
    /// whole call: no row is written.
    ///
    /// ```
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// struct Tag;
    /// impl ModelDef for Tag {
    ///     const TIMESTAMPS: bool = false;
    /// }
    /// # async fn f() -> roost_orm::Result<()> {
    /// # let orm = Orm::sqlite_memory()?;
    /// # orm.statement("CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE)", &[]).await?;
    /// orm.scope(async {
    ///     let n = Tag::insert([json!({"name": "rust"}), json!({"name": "d1"})]).await?;
    ///     assert_eq!(n, 2);
    ///     // A duplicate is skipped rather than failing the call.
    ///     let n = Tag::insert_or_ignore([json!({"name": "rust"}), json!({"name": "sql"})]).await?;
    ///     assert_eq!(n, 1);
    ///     Ok::<_, roost_orm::OrmError>(())
    /// })
    /// .await?;
    /// # Ok(()) }
    /// # futures::executor::block_on(f()).unwrap();
    /// ```
    pub async fn insert<A: IntoAttributes>(self, rows: impl IntoIterator<Item = A>) -> Result<u64> {
        self.insert_as(rows, OnConflict::Fail).await
    }

    /// [`insert`](Self::insert), skipping rows that break a PRIMARY KEY, UNIQUE, NOT NULL
    /// or CHECK constraint (Laravel `insertOrIgnore`, SQLite `INSERT OR IGNORE`); returns
    /// how many were inserted.
    pub async fn insert_or_ignore<A: IntoAttributes>(
        self,
        rows: impl IntoIterator<Item = A>,
    ) -> Result<u64> {
        self.insert_as(rows, OnConflict::Ignore).await
    }

    async fn insert_as<A: IntoAttributes>(
        mut self,
        rows: impl IntoIterator<Item = A>,
        conflict: OnConflict,
    ) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        // The model's configuration and the query's own errors, before any row.
        self.take_select(&orm)?;
        let rows = prepare_rows::<M>(&orm, collect_rows(rows)?)?;
        Self::send_rows(&orm, rows, conflict).await
    }

    /// Insert `rows`, updating the stored row instead where one with the same
    /// `unique_by` columns exists (Laravel `upsert`; SQLite `ON CONFLICT (unique_by) DO
    /// UPDATE`). `update` names the columns taken from the new row — `None` takes every
    /// column the rows give except the tenant column; `Some(&[])` updates nothing
    /// (an `insert_or_ignore` on those columns). `updated_at` is always updated on a
    /// model with timestamps, `created_at` never unless named. Returns rows inserted
    /// plus rows updated.
    ///
    /// `unique_by` must be a PRIMARY KEY or UNIQUE index of the table (SQLite refuses
    /// the statement otherwise, before it writes) and every row must give each of its
    /// columns; all rows must give the same columns. A stored row of another tenant is
    /// never updated: the update is guarded by the tenant column, so a conflict with a
    /// foreign row leaves it as it is (and inserts nothing).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct Flight; impl ModelDef for Flight {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// Flight::upsert(
    ///     [
    ///         json!({"departure": "Oakland", "destination": "San Diego", "price": 99}),
    ///         json!({"departure": "Chicago", "destination": "New York", "price": 150}),
    ///     ],
    ///     &["departure", "destination"],
    ///     Some(&["price"]),
    /// )
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn upsert<A: IntoAttributes>(
        mut self,
        rows: impl IntoIterator<Item = A>,
        unique_by: &[&str],
        update: Option<&[&str]>,
    ) -> Result<u64> {
        let orm = Orm::current_for::<M>()?;
        self.take_select(&orm)?;
        let given = collect_rows(rows)?;
        let unique_by = columns::<M>(unique_by)?;
        if unique_by.is_empty() {
            return Err(invalid("upsert needs at least one unique_by column"));
        }
        let tenant_column = tenant_of::<M>(&orm).map(|(column, _)| column);
        let mut update = match update {
            Some(names) => columns::<M>(names)?,
            // Every column a row gives, in order of first appearance.
            None => {
                let mut names: Vec<&str> = Vec::new();
                for name in given.iter().flat_map(|row| row.keys()) {
                    if !names.contains(&name.as_str()) && Some(name.as_str()) != tenant_column {
                        names.push(name);
                    }
                }
                columns::<M>(&names)?
            }
        };
        if let Some(column) = tenant_column {
            if update.iter().any(|c| c.parts().1 == column) {
                return Err(invalid(&format!(
                    "upsert can't update the tenant column {column} of [{}]",
                    M::model_name()
                )));
            }
        }
        if crate::model::timestamps::uses_timestamps::<M>()
            && !update.is_empty()
            && !update.iter().any(|c| c.as_str() == UPDATED_AT)
        {
            update.push(Ident::parse_static(UPDATED_AT)?);
        }
        let rows = prepare_rows::<M>(&orm, given)?;
        if let Some(first) = rows.first() {
            for (i, row) in rows.iter().enumerate() {
                if row.columns != first.columns {
                    return Err(invalid(&format!(
                        "upsert row {i} gives other columns than row 0 (a column a row left \
                         out would be updated to its default)"
                    )));
                }
            }
            if let Some(missing) = unique_by.iter().find(|c| !first.columns.contains(c)) {
                return Err(invalid(&format!(
                    "upsert rows give no value for unique_by column {missing}"
                )));
            }
        }
        let guard = match tenant_column {
            Some(column) => Some(Ident::parse_static(column)?),
            None => None,
        };
        let conflict = OnConflict::Update {
            unique_by,
            update,
            guard,
        };
        Self::send_rows(&orm, rows, conflict).await
    }

    /// Update the records matching this query and `attributes` with `values`, or insert
    /// one row of `attributes` and `values` when none matches (Laravel
    /// `updateOrInsert`); returns whether a row was inserted. One round trip: an
    /// `INSERT … WHERE NOT EXISTS (…)` and the `UPDATE` in one atomic batch, so no
    /// other writer can insert between the check and the insert. The query's scopes
    /// apply to the match (a soft-deleted row does not match; a tenant matches only
    /// its own rows). No hooks fire; timestamps and the tenant are written as by
    /// [`insert`](Self::insert) and [`update`](Self::update).
    pub async fn update_or_insert(
        self,
        attributes: impl IntoAttributes,
        values: impl IntoAttributes,
    ) -> Result<bool> {
        let orm = Orm::current_for::<M>()?;
        let attributes = attributes.into_attributes()?;
        let mut values = values.into_attributes()?;
        let mut query = self;
        for (name, value) in &attributes {
            query = query.where_(name, value.clone());
        }
        let mut both = attributes;
        both.extend(values.clone());
        // Taken once: the match of the insert and of the update is the same select.
        let select = query.take_select(&orm)?;
        let mut rows = prepare_rows::<M>(&orm, vec![both])?;
        let row = rows.pop().ok_or_else(|| invalid("no row to insert"))?;
        let key = check_column::<M>(M::PRIMARY_KEY)?;
        let mut statements = vec![compiler::insert_unless_exists(
            &select.table,
            &row.columns,
            row.values,
            &select,
        )];
        if !values.is_empty() {
            update_stamps::<M>(&orm, &mut values);
            let (columns, bound) = bound_columns::<M>(&values)?;
            let sets = columns.into_iter().zip(bound).collect();
            statements.push(compiler::update_matching(&select, &key, sets));
        }
        let results = orm.batch(&statements).await?;
        Ok(results.first().is_some_and(|r| r.changes > 0))
    }
}

fn invalid(why: &str) -> OrmError {
    OrmError::InvalidQuery(why.to_string())
}

/// One statement as a run, several as one atomic batch; the rows changed in all.
async fn send(orm: &Orm, statements: &[Statement]) -> Result<u64> {
    match statements {
        [] => Ok(0),
        [one] => Ok(orm.run(one).await?.changes),
        many => Ok(orm.batch(many).await?.iter().map(|r| r.changes).sum()),
    }
}
