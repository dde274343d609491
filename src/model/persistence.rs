//! Instance writes: `save` (INSERT when new, UPDATE of the changed columns when
//! existing, nothing when clean), `delete` (soft or hard), `force_delete`, `restore`,
//! `refresh`. Each write reads the stored row back in the same statement
//! (`RETURNING *`), fires its hooks around the write, and applies the model's scopes to
//! its WHERE. A write of a model with [`ModelDef::TOUCHES`] also bumps its owners'
//! `updated_at` (in the INSERT's batch; after an UPDATE or DELETE that found its row).
//! The SQL comes from the compiler.

use std::sync::Arc;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::hooks::{fire_in_place, HookEvent};
use crate::model::timestamps::now_timestamp;
use crate::model::{
    bind_value, cast_of, check_attribute, table_of, Attributes, Instance, IntoAttributes, ModelDef,
    CREATED_AT, DELETED_AT, UPDATED_AT,
};
use crate::orm::Orm;
use crate::query::ast::{Assignment, Condition, Ident, Operator, Select};
use crate::query::compiler;
use crate::query::scopes::{model_scopes, tenant_of, Trashed};
use crate::relations::touches::{insert_with_touches, send_touches, touch_statements};
use crate::value::SqlValue;

fn table<M: ModelDef>() -> Result<Ident> {
    Ident::parse_static(table_of::<M>())
}

/// Check every attribute of a write: a bare, known column name and a value that binds
/// (an integer within SQLite's range) — all before hooks run or SQL is sent.
fn check_names<M: ModelDef>(attributes: &Attributes) -> Result<()> {
    attributes.iter().try_for_each(|(name, value)| {
        let column = check_attribute::<M>(name)?;
        bind_value::<M>(&column, value).map(drop)
    })
}

/// Whether a stored tenant value is `org_id`. An equal value is kept as stored (e.g.
/// integer 7 for org "7"): only a different tenant is overwritten.
pub(crate) fn is_tenant(value: &Value, org_id: &str) -> bool {
    match value {
        Value::String(s) => s == org_id,
        Value::Number(n) => n.to_string() == org_id,
        _ => false,
    }
}

/// The stamps of a mass update's attributes: `updated_at` when the model has
/// timestamps and the caller did not set it, and the active tenant on a tenant column
/// the caller named (a query can't move rows to another tenant).
pub(crate) fn update_stamps<M: ModelDef>(orm: &Orm, attributes: &mut Attributes) {
    if crate::model::timestamps::uses_timestamps::<M>() && !attributes.contains_key(UPDATED_AT) {
        attributes.insert(UPDATED_AT.to_string(), Value::String(now_timestamp()));
    }
    if let Some((column, org_id)) = tenant_of::<M>(orm) {
        if let Some(value) = attributes.get_mut(column) {
            *value = Value::String(org_id);
        }
    }
}

/// Validated `(column, bound value)` pairs for a write.
pub(crate) fn bound_columns<M: ModelDef>(
    attributes: &Attributes,
) -> Result<(Vec<Ident>, Vec<SqlValue>)> {
    let mut columns = Vec::with_capacity(attributes.len());
    let mut values = Vec::with_capacity(attributes.len());
    for (name, value) in attributes {
        let column = check_attribute::<M>(name)?;
        values.push(bind_value::<M>(&column, value)?);
        columns.push(column);
    }
    Ok((columns, values))
}

impl<M: ModelDef> Instance<M> {
    /// `primary key = ?` plus the model's scopes, for writes to this record.
    fn key_conditions(&self, orm: &Orm, trashed: Trashed) -> Result<Vec<Condition>> {
        // The stored key, so a changed primary key still finds its row.
        let key = self
            .get_original(M::PRIMARY_KEY)
            .or_else(|| self.key())
            .filter(|v| !v.is_null())
            .ok_or_else(|| OrmError::MissingPrimaryKey {
                model: M::model_name(),
                key: M::PRIMARY_KEY,
            })?;
        let column = Ident::parse_static(M::PRIMARY_KEY)?;
        let value = bind_value::<M>(&column, key)?;
        let mut conditions = vec![Condition::Compare {
            column,
            op: Operator::Eq,
            value,
        }];
        conditions.extend(model_scopes::<M>(orm, trashed)?);
        Ok(conditions)
    }

    pub(crate) fn not_found(&self) -> OrmError {
        OrmError::ModelNotFound {
            model: M::model_name(),
            id: self
                .get_original(M::PRIMARY_KEY)
                .or_else(|| self.key())
                .map(|v| v.to_string()),
        }
    }

    /// Persist the instance (TS `save()`): INSERT when new (`creating` / `created`),
    /// UPDATE of the changed columns when existing (`updating` / `updated`), nothing when
    /// clean. Attributes are replaced by the stored row afterwards.
    pub async fn save(&mut self) -> Result<&mut Self> {
        let orm = Orm::current_for::<M>()?;
        fire_in_place(HookEvent::Saving, self).await?;
        if self.exists() {
            self.perform_update(&orm).await?;
        } else {
            self.perform_insert(&orm).await?;
        }
        fire_in_place(HookEvent::Saved, self).await?;
        Ok(self)
    }

    /// [`save`](Self::save) with this model's events off (Laravel `saveQuietly`).
    pub async fn save_quietly(&mut self) -> Result<&mut Self> {
        <M as crate::model::Model>::without_events(|| self.save()).await
    }

    /// [`delete`](Self::delete) with this model's events off (Laravel `deleteQuietly`).
    pub async fn delete_quietly(&mut self) -> Result<()> {
        <M as crate::model::Model>::without_events(|| self.delete()).await
    }

    async fn perform_insert(&mut self, orm: &Orm) -> Result<()> {
        let statement = self.plan_insert(orm).await?;
        let result = if M::TOUCHES.is_empty() {
            orm.run(&statement).await?
        } else {
            let touches = touch_statements(orm, [&*self])?;
            insert_with_touches(orm, &statement, touches).await?
        };
        self.finish_insert(result).await
    }

    /// `creating` (see [`before_insert`](Self::before_insert)) and the INSERT it
    /// leads to, not sent.
    pub(crate) async fn plan_insert(&mut self, orm: &Orm) -> Result<Statement> {
        let (columns, values) = self.before_insert(orm).await?;
        Ok(compiler::insert(&table::<M>()?, &columns, vec![values]))
    }

    /// An INSERT's result (`RETURNING *`) into the instance, then `created`.
    /// No stored row is an error, as for a bulk insert: the instance would otherwise
    /// count as stored without its key.
    pub(crate) async fn finish_insert(&mut self, result: QueryResult) -> Result<()> {
        let columns = result.columns.clone();
        let Some(row) = result.into_rows().next() else {
            return Err(crate::model::bulk::missing_result::<M>());
        };
        self.after_insert(&columns, row).await
    }

    /// The first half of an insert, shared by `save` and factories: validate names,
    /// fire `creating` (which may change the instance or abort), stamp timestamps, and
    /// return the columns and bound values to insert.
    pub(crate) async fn before_insert(&mut self, orm: &Orm) -> Result<(Vec<Ident>, Vec<SqlValue>)> {
        check_names::<M>(&self.attributes)?; // reject bad names before hooks run
        self.assign_unique_id()?;
        fire_in_place(HookEvent::Creating, self).await?;
        self.require_key()?;
        // After the hooks, so neither the caller nor a hook can write outside the tenant.
        self.stamp_tenant(orm);
        if crate::model::timestamps::uses_timestamps::<M>() {
            let now = now_timestamp();
            if self.get(CREATED_AT).is_none_or(Value::is_null) {
                self.set_raw(CREATED_AT, now.clone());
            }
            if self.get(UPDATED_AT).is_none_or(Value::is_null) {
                self.set_raw(UPDATED_AT, now);
            }
        }
        bound_columns::<M>(&self.attributes)
    }

    /// The second half of an insert: take the stored row (`RETURNING *`) as the
    /// attributes, mark the instance existing and clean, fire `created`.
    pub(crate) async fn after_insert(
        &mut self,
        columns: &Arc<[String]>,
        row: Vec<Value>,
    ) -> Result<()> {
        // What was written becomes the changes; a stored row replaces the attributes,
        // so they can be moved there rather than copied.
        let written = if row.is_empty() {
            (*self.attributes).clone()
        } else {
            self.attributes.take()
        };
        self.sync_row(columns, row);
        self.set_changes(written);
        fire_in_place(HookEvent::Created, self).await
    }

    /// Force the tenant column to the active tenant (no-op when unscoped).
    fn stamp_tenant(&mut self, orm: &Orm) {
        if let Some((column, org_id)) = tenant_of::<M>(orm) {
            if !self.get(column).is_some_and(|v| is_tenant(v, &org_id)) {
                self.set_raw(column, org_id);
            }
        }
    }

    async fn perform_update(&mut self, orm: &Orm) -> Result<()> {
        let Some((statement, dirty)) = self.plan_update(orm).await? else {
            return Ok(());
        };
        let result = orm.run(&statement).await?;
        self.finish_update(result, dirty)?;
        if !M::TOUCHES.is_empty() {
            send_touches(orm, touch_statements(orm, [&*self])?).await?;
        }
        fire_in_place(HookEvent::Updated, self).await
    }

    /// `updating` and the UPDATE of the changed columns (plus `updated_at`), not sent,
    /// with what it writes; `None` when the instance is clean (no event, no SQL).
    pub(crate) async fn plan_update(
        &mut self,
        orm: &Orm,
    ) -> Result<Option<(Statement, Attributes)>> {
        if !self.is_dirty() {
            return Ok(None);
        }
        check_names::<M>(&self.get_dirty())?;
        fire_in_place(HookEvent::Updating, self).await?;
        self.stamp_tenant(orm);
        let mut dirty = self.get_dirty();
        if crate::model::timestamps::uses_timestamps::<M>() && !dirty.contains_key(UPDATED_AT) {
            // Always touched, even within the same millisecond as the last write.
            let now = Value::String(now_timestamp());
            self.set_raw(UPDATED_AT, now.clone());
            dirty.insert(UPDATED_AT.to_string(), now);
        }
        if dirty.is_empty() {
            // The only change was to the tenant column, which the stamp put back: there
            // is nothing to write (an UPDATE without SET is a syntax error).
            return Ok(None);
        }
        let (columns, values) = bound_columns::<M>(&dirty)?;
        let sets = columns.into_iter().zip(values).collect();
        let conditions = self.key_conditions(orm, Trashed::With)?;
        Ok(Some((
            compiler::update(&table::<M>()?, sets, &conditions),
            dirty,
        )))
    }

    /// An UPDATE's result into the instance: the stored row, and `dirty` as the
    /// changes; [`OrmError::ModelNotFound`] when it found no row.
    pub(crate) fn finish_update(&mut self, result: QueryResult, dirty: Attributes) -> Result<()> {
        if result.is_empty() {
            return Err(self.not_found());
        }
        self.sync_stored(result);
        self.set_changes(dirty);
        Ok(())
    }

    /// Fill the fillable part of `attributes` and save (Eloquent `$post->update([...])`):
    /// one UPDATE of the changed columns (an INSERT when the instance is new).
    pub async fn update(&mut self, attributes: impl IntoAttributes) -> Result<&mut Self> {
        self.fill(attributes)?;
        self.save().await
    }

    /// Delete the record (TS `delete()`): with soft deletes, set `deleted_at` (and
    /// `updated_at`) and keep the instance; otherwise remove the row. Fires `deleting`
    /// and `deleted`. A never-saved instance is left alone.
    pub async fn delete(&mut self) -> Result<()> {
        let orm = Orm::current_for::<M>()?;
        if !self.exists() {
            return Ok(());
        }
        fire_in_place(HookEvent::Deleting, self).await?;
        self.perform_delete(&orm, M::SOFT_DELETES).await?;
        fire_in_place(HookEvent::Deleted, self).await
    }

    /// Send [`plan_delete`](Self::plan_delete)'s statement and take its result, then
    /// the owners' touches.
    async fn perform_delete(&mut self, orm: &Orm, soft: bool) -> Result<()> {
        let statement = self.plan_delete(orm, soft)?;
        let result = orm.run(&statement).await?;
        self.finish_delete(result, soft)?;
        if !M::TOUCHES.is_empty() {
            send_touches(orm, touch_statements(orm, [&*self])?).await?;
        }
        Ok(())
    }

    /// The statement of a delete, not sent: with `soft`, the UPDATE setting
    /// `deleted_at` (and `updated_at`); otherwise the DELETE of the row.
    pub(crate) fn plan_delete(&self, orm: &Orm, soft: bool) -> Result<Statement> {
        let conditions = self.key_conditions(orm, Trashed::With)?;
        if !soft {
            return Ok(compiler::delete(&table::<M>()?, &conditions));
        }
        let now = now_timestamp();
        let mut sets = vec![(
            Ident::parse_static(DELETED_AT)?,
            SqlValue::Text(now.clone()),
        )];
        if crate::model::timestamps::uses_timestamps::<M>() {
            sets.push((Ident::parse_static(UPDATED_AT)?, SqlValue::Text(now)));
        }
        Ok(compiler::update(&table::<M>()?, sets, &conditions))
    }

    /// A delete's result into the instance (the stored row of a soft delete; a hard
    /// one leaves the instance not existing); [`OrmError::ModelNotFound`] when it found
    /// no row.
    pub(crate) fn finish_delete(&mut self, result: QueryResult, soft: bool) -> Result<()> {
        if soft {
            if result.is_empty() {
                return Err(self.not_found());
            }
            self.sync_stored(result);
        } else {
            if result.changes == 0 {
                return Err(self.not_found());
            }
            self.set_exists(false);
        }
        Ok(())
    }

    /// Remove the row even with soft deletes (Eloquent `forceDelete`). Fires `deleting`
    /// and `deleted`.
    pub async fn force_delete(&mut self) -> Result<()> {
        let orm = Orm::current_for::<M>()?;
        if !self.exists() {
            return Ok(());
        }
        if M::SOFT_DELETES {
            fire_in_place(HookEvent::ForceDeleting, self).await?;
        }
        fire_in_place(HookEvent::Deleting, self).await?;
        self.perform_delete(&orm, false).await?;
        fire_in_place(HookEvent::Deleted, self).await?;
        if M::SOFT_DELETES {
            fire_in_place(HookEvent::ForceDeleted, self).await?;
        }
        Ok(())
    }

    /// Clear `deleted_at` (Eloquent `restore`): `restoring` (which may abort), then a
    /// save (its events), then `restored`. An error for a model without soft deletes.
    pub async fn restore(&mut self) -> Result<&mut Self> {
        if !M::SOFT_DELETES {
            return Err(OrmError::NotSoftDeletable {
                model: M::model_name(),
            });
        }
        fire_in_place(HookEvent::Restoring, self).await?;
        self.set_raw(DELETED_AT, Value::Null);
        self.save().await?;
        fire_in_place(HookEvent::Restored, self).await?;
        Ok(self)
    }

    /// Re-read the record from the database (soft-deleted or not), dropping unsaved
    /// changes, and load its loaded relations again (Eloquent `refresh`).
    /// [`OrmError::ModelNotFound`] when it is gone.
    pub async fn refresh(&mut self) -> Result<&mut Self> {
        if !self.refresh_row().await? {
            return Err(self.not_found());
        }
        let names = self.loaded_names();
        self.reload_relations(&names).await?;
        Ok(self)
    }

    /// Re-read the stored row (scoped, soft-deleted or not) into the attributes;
    /// `false` when there is none.
    pub(crate) async fn refresh_row(&mut self) -> Result<bool> {
        let orm = Orm::current_for::<M>()?;
        let mut select = Select::new(table::<M>()?);
        select.scopes = self.key_conditions(&orm, Trashed::With)?;
        select.limit = Some(1);
        let result = orm.run(&compiler::select(&select)).await?;
        if result.is_empty() {
            return Ok(false);
        }
        self.sync_stored(result);
        Ok(true)
    }
}

/// An increment amount as a bound number (negated for a decrement): a JSON number
/// within SQLite's range, or an error.
pub(crate) fn increment_amount(amount: Value, negate: bool) -> Result<SqlValue> {
    let invalid = || OrmError::InvalidAttributes(format!("increment by a number, not {amount}"));
    if !amount.is_number() {
        return Err(invalid());
    }
    match SqlValue::from_json(&amount)? {
        SqlValue::Integer(n) if negate => match n.checked_neg() {
            Some(n) => Ok(SqlValue::Integer(n)),
            None => Err(OrmError::ValueOutOfRange {
                column: None,
                value: format!("-({amount})"),
            }),
        },
        SqlValue::Real(f) if negate => Ok(SqlValue::Real(-f)),
        bound => Ok(bound),
    }
}

/// The error of an increment the database refused as an overflow (the compiler's
/// guard raises SQLite's `integer overflow`): [`OrmError::ValueOutOfRange`] naming the
/// column; other errors as they are.
pub(crate) fn overflow_error(error: OrmError, column: &str, amount: &SqlValue) -> OrmError {
    match error {
        OrmError::Database { message, .. } if message.contains("integer overflow") => {
            OrmError::ValueOutOfRange {
                column: Some(column.to_string()),
                value: format!("{column} + {amount:?}"),
            }
        }
        other => other,
    }
}

/// The `SET` of an increment of `column` on model `M`: `column = column + ?`, plus
/// `updated_at` when the model has timestamps. The tenant column can't be incremented
/// (that would move rows to another tenant).
pub(crate) fn increment_sets<M: ModelDef>(
    column: &str,
    amount: SqlValue,
) -> Result<Vec<(Ident, Assignment)>> {
    let ident = check_attribute::<M>(column)?;
    if M::TENANT_COLUMN == Some(ident.parts().1) {
        return Err(OrmError::InvalidAttributes(format!(
            "the tenant column {column} of [{}] can't be incremented",
            M::model_name()
        )));
    }
    let mut sets = vec![(ident, Assignment::Add(amount))];
    if crate::model::timestamps::uses_timestamps::<M>() && column != UPDATED_AT {
        let now = SqlValue::Text(now_timestamp());
        sets.push((Ident::parse_static(UPDATED_AT)?, Assignment::Value(now)));
    }
    Ok(sets)
}

impl<M: ModelDef> Instance<M> {
    /// Add `amount` to attribute `column` in the database, atomically (`SET "views" =
    /// "views" + ?`, so concurrent increments all count), and take the stored value
    /// back (Laravel `$post->increment('views', 1)`). Touches `updated_at`; fires
    /// `updating` / `updated`; other unsaved changes stay unsaved.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let mut post = Post::find_or_fail(1).await?;
    /// post.increment("views", 1).await?;
    /// # Ok(()) }
    /// ```
    pub async fn increment(&mut self, column: &str, amount: impl Into<Value>) -> Result<&mut Self> {
        self.add_to(column, increment_amount(amount.into(), false)?)
            .await
    }

    /// Subtract `amount` from attribute `column` in the database, atomically (see
    /// [`increment`](Self::increment)).
    pub async fn decrement(&mut self, column: &str, amount: impl Into<Value>) -> Result<&mut Self> {
        self.add_to(column, increment_amount(amount.into(), true)?)
            .await
    }

    async fn add_to(&mut self, column: &str, amount: SqlValue) -> Result<&mut Self> {
        let orm = Orm::current_for::<M>()?;
        let sets = increment_sets::<M>(column, amount.clone())?;
        if !self.exists() {
            return Err(self.not_found());
        }
        let conditions = self.key_conditions(&orm, Trashed::With)?;
        fire_in_place(HookEvent::Updating, self).await?;
        let written: Vec<String> = sets.iter().map(|(c, _)| c.parts().1.to_string()).collect();
        let statement = compiler::update(&table::<M>()?, sets, &conditions);
        let result = orm
            .run(&statement)
            .await
            .map_err(|e| overflow_error(e, column, &amount))?;
        let Some(row) = result.first() else {
            return Err(self.not_found());
        };
        let mut changes = Attributes::new();
        for name in written {
            if let Some(mut value) = result.column_index(&name).and_then(|i| row.get(i)).cloned() {
                cast_of::<M>(&name).read_in_place(&mut value);
                self.attributes.store_value(&name, value.clone());
                changes.insert(name, value);
            }
        }
        self.set_changes(changes);
        fire_in_place(HookEvent::Updated, self).await?;
        Ok(self)
    }
}
