//! Units of work: several model writes sent as **one** atomic batch — on D1 one round
//! trip that stores all of them or none (D1 has no interactive transaction, only an
//! atomic batch), on the embedded engine one SQLite transaction.
//!
//! A [`UnitOfWork`] collects writes: instance saves, creates, deletes and restores,
//! relation creates, mass updates and deletes, pivot writes. Each write runs its
//! *pre*-events (`saving`, `creating`, `updating`, `deleting`, ...) when it is queued,
//! which may change the record or abort; [`commit`](UnitOfWork::commit) sends every
//! statement in one batch, hands each instance its stored row (`RETURNING *`), then
//! fires the *post*-events (`created`, `saved`, `deleted`, ...) in queue order.
//!
//! - **All or nothing.** A save, delete or restore of a stored record that finds no
//!   row (gone, another tenant's, trashed where it must not be) fails the *whole*
//!   batch — a guard statement after it raises an error when it changed nothing — and
//!   is reported as that record's [`OrmError::ModelNotFound`]. A constraint failure in
//!   any statement is the database's error, and nothing of the unit is stored.
//! - **Fail closed.** A write that can't be queued (a bad name, a guarded key in
//!   strict mode, an aborting hook) is an error at once and leaves the unit *poisoned*:
//!   its `commit` returns that error and sends nothing, so a unit never stores part of
//!   what the caller asked for.
//! - **Reads** inside a unit see the database as it was before the batch: nothing is
//!   sent before `commit` (D1 can't do otherwise).
//! - **Keys written in the same unit.** A child of a parent queued in the same unit
//!   ([`UnitOfWork::create_related`] with a [`Pending`] parent) gets the parent's key
//!   when it is known before sending (a `KeyType::Uuid` / `Ulid` key, or one the caller
//!   set); when the database assigns it (an integer rowid), the child's INSERT reads it
//!   in SQL from the row inserted just before (`last_insert_rowid()`), which works for
//!   any number of children queued right after their parent (each INSERT carries the
//!   parent's key forward). Anything else — another INSERT in between — is
//!   [`OrmError::InvalidQuery`] at queue time, never a child pointing at the wrong row.
//! - Each guard is a statement and counts against D1's per-invocation query limit
//!   ([`Orm::statements`]); the batch goes through [`Orm::batch`] (logged, budgeted).
//!
//! ```no_run
//! # use roost_orm::prelude::*;
//! # use serde_json::json;
//! # struct Post; impl ModelDef for Post {}
//! # struct Comment; impl ModelDef for Comment {}
//! # impl Post { const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id"); }
//! # async fn f(orm: Orm, mut old: Instance<Post>) -> roost_orm::Result<()> {
//! let mut unit = orm.unit_of_work();
//! let post = unit.create::<Post>(json!({"title": "Hello"})).await?;
//! let comment = unit.create_related(&Post::COMMENTS, &post, json!({"body": "first"})).await?;
//! unit.delete(&mut old).await?;
//! let mut done = unit.commit().await?; // one round trip: all three or none
//! let post = done.take(post)?;
//! assert_eq!(done.get(&comment)?.get("post_id"), post.key());
//! # Ok(()) }
//! ```
//!
//! This module owns the queue and the batch; the statements come from the writes'
//! own plan halves (`model::persistence`, the query builder, pivots) and the compiler.

mod pivots;
mod push;
mod writes;

use std::any::Any;
use std::marker::PhantomData;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::{Instance, IntoAttributes, ModelDef};
use crate::orm::Orm;
use crate::query::QueryBuilder;

pub(crate) use push::push_into;
pub use push::PushTree;
pub use writes::ParentRef;
use writes::{Finish, LastInsert, Outcome, Slot, Write};

/// A write queued in a [`UnitOfWork`], whose outcome — a stored record
/// (`Pending<Instance<M>>`), a row count (`Pending<u64>`) or a sync's changes
/// (`Pending<SyncChanges>`) — is read from the [`Committed`] unit.
pub struct Pending<T> {
    index: usize,
    unit: u64,
    _outcome: PhantomData<fn() -> T>,
}

impl<T> Clone for Pending<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Pending<T> {}

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pending(#{})", self.index)
    }
}

/// One queued write: what it does after the batch, and which results are its own.
struct Queued<'a> {
    write: Box<dyn Write + 'a>,
    /// Indices of its own statements' results (not its guards' or touches').
    own: Vec<usize>,
}

/// Several writes sent as one atomic batch (see the module docs). Made by
/// [`Orm::unit_of_work`]; nothing is sent until [`commit`](Self::commit), and
/// dropping it sends nothing.
pub struct UnitOfWork<'a> {
    orm: Orm,
    id: u64,
    statements: Vec<Statement>,
    queued: Vec<Queued<'a>>,
    poisoned: Option<OrmError>,
    last_insert: Option<LastInsert>,
}

impl std::fmt::Debug for UnitOfWork<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("writes", &self.queued.len())
            .field("statements", &self.statements)
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl Orm {
    /// A new, empty [`UnitOfWork`] on this `Orm` (Laravel `DB::transaction`, as one
    /// atomic batch). Queue writes inside the request scope, then `commit`.
    pub fn unit_of_work<'a>(&self) -> UnitOfWork<'a> {
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        UnitOfWork {
            orm: self.clone(),
            id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            statements: Vec::new(),
            queued: Vec::new(),
            poisoned: None,
            last_insert: None,
        }
    }
}

impl<'a> UnitOfWork<'a> {
    /// How many writes are queued.
    pub fn len(&self) -> usize {
        self.queued.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// How many statements `commit` will send (writes, their guards and touches).
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The record of a queued create, as it will be inserted (its pre-events ran; a
    /// generated key is set).
    pub fn get<M: ModelDef>(&self, pending: &Pending<Instance<M>>) -> Result<&Instance<M>> {
        self.check_own(pending.unit)?;
        self.queued
            .get(pending.index)
            .and_then(|q| q.write.instance())
            .and_then(|i| i.downcast_ref::<Instance<M>>())
            .ok_or_else(|| foreign_handle("a record this unit creates"))
    }

    fn check_own(&self, unit: u64) -> Result<()> {
        match self.poisoned.clone() {
            Some(error) => Err(error),
            None if unit != self.id => Err(foreign_handle("a handle of this unit")),
            None => Ok(()),
        }
    }

    /// Queue `result`'s statements; on error the unit is poisoned.
    fn queue<T>(&mut self, result: Result<Finish<'a>>) -> Result<Pending<T>> {
        if let Some(error) = &self.poisoned {
            return Err(error.clone());
        }
        let finish = match result {
            Ok(finish) => finish,
            Err(error) => {
                self.poisoned = Some(error.clone());
                return Err(error);
            }
        };
        let index = self.queued.len();
        let mut own = Vec::with_capacity(finish.statements.len());
        for planned in finish.statements {
            if planned.own {
                own.push(self.statements.len());
            }
            self.statements.push(planned.statement);
            if planned.guarded {
                self.statements
                    .push(crate::query::compiler::expect_changes(marker(
                        self.id, index,
                    )));
            }
        }
        self.statements.extend(finish.trailing);
        if let Some(last) = finish.last_insert {
            self.last_insert = last.map(|carried| carried.resolve(index));
        }
        self.queued.push(Queued {
            write: finish.write,
            own,
        });
        Ok(Pending {
            index,
            unit: self.id,
            _outcome: PhantomData,
        })
    }

    fn poisoned_error(&self) -> Result<()> {
        match &self.poisoned {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Queue a save of `instance` (Laravel `$model->save()`): `saving` and `creating`
    /// / `updating` now; the INSERT or the UPDATE of its changes (nothing for a clean
    /// record) in the batch; `created` / `updated` and `saved` after it.
    pub async fn save<M: ModelDef>(&mut self, instance: &'a mut Instance<M>) -> Result<()> {
        self.poisoned_error()?;
        let planned = writes::plan_save(&self.orm, Slot::Borrowed(instance), false).await;
        self.queue::<()>(planned).map(drop)
    }

    /// Queue the creation of a record from the fillable part of `attributes`
    /// (Laravel `Model::create`); read it from the [`Committed`] unit.
    pub async fn create<M: ModelDef>(
        &mut self,
        attributes: impl IntoAttributes,
    ) -> Result<Pending<Instance<M>>> {
        self.poisoned_error()?;
        let made = attributes
            .into_attributes()
            .and_then(crate::model::guards::fillable::<M>)
            .and_then(Instance::<M>::from_attributes);
        let planned = match made {
            Ok(instance) => writes::plan_save(&self.orm, Slot::Owned(instance), false).await,
            Err(error) => Err(error),
        };
        self.queue(planned)
    }

    /// Queue a new child of `parent` through `relation` (a has-one / has-many /
    /// morph-one / morph-many: Laravel `$parent->relation()->create([...])`). `parent`
    /// is a stored record or a [`Pending`] create of this unit (see the module docs
    /// for how its key is found).
    pub async fn create_related<P, T>(
        &mut self,
        relation: &T,
        parent: impl Into<ParentRef<'_, P>>,
        attributes: impl IntoAttributes,
    ) -> Result<Pending<Instance<T::Related>>>
    where
        P: ModelDef,
        T: crate::relations::ChildRelation<P>,
    {
        self.poisoned_error()?;
        let planned = writes::plan_child(self, relation, parent.into(), attributes).await;
        self.queue(planned)
    }

    /// Queue a delete of `instance` (Laravel `$model->delete()`): soft with soft
    /// deletes. `deleting` now, `deleted` after the batch; a record that is gone fails
    /// the whole batch.
    pub async fn delete<M: ModelDef>(&mut self, instance: &'a mut Instance<M>) -> Result<()> {
        self.poisoned_error()?;
        let planned = writes::plan_delete(&self.orm, instance, false).await;
        self.queue::<()>(planned).map(drop)
    }

    /// Queue a hard delete even with soft deletes (Laravel `forceDelete`).
    pub async fn force_delete<M: ModelDef>(&mut self, instance: &'a mut Instance<M>) -> Result<()> {
        self.poisoned_error()?;
        let planned = writes::plan_delete(&self.orm, instance, true).await;
        self.queue::<()>(planned).map(drop)
    }

    /// Queue a restore of a soft-deleted record (Laravel `restore`): `restoring` and
    /// the save's pre-events now, the save's post-events and `restored` after.
    pub async fn restore<M: ModelDef>(&mut self, instance: &'a mut Instance<M>) -> Result<()> {
        self.poisoned_error()?;
        let planned = writes::plan_restore(&self.orm, instance).await;
        self.queue::<()>(planned).map(drop)
    }

    /// Queue a query's mass update (Laravel `$query->update([...])`): its scopes and
    /// the mass-assignment guard apply, no model events; the count of changed rows is
    /// read from the [`Committed`] unit.
    pub fn update<M: ModelDef>(
        &mut self,
        query: QueryBuilder<M>,
        attributes: impl IntoAttributes,
    ) -> Result<Pending<u64>> {
        let planned = query
            .update_statement(&self.orm, attributes)
            .map(|s| writes::count(s, false));
        self.queue(planned)
    }

    /// Queue a query's mass delete (soft with soft deletes; Laravel `$query->delete()`).
    pub fn delete_where<M: ModelDef>(&mut self, query: QueryBuilder<M>) -> Result<Pending<u64>> {
        let planned = query
            .delete_statement(&self.orm, M::SOFT_DELETES)
            .map(|s| writes::count(s, false));
        self.queue(planned)
    }

    /// Send every queued statement as one atomic batch, then give each instance its
    /// stored row and fire the post-events in queue order. An empty unit sends
    /// nothing. On an error nothing of the unit is stored (instances keep what their
    /// pre-events did, as Laravel's models after a rolled-back transaction).
    pub async fn commit(self) -> Result<Committed> {
        self.poisoned_error()?;
        let UnitOfWork {
            orm,
            id,
            statements,
            queued,
            ..
        } = self;
        let results = if statements.is_empty() {
            Vec::new()
        } else {
            match orm.batch(&statements).await {
                Ok(results) => results,
                Err(error) => return Err(guard_error(id, &queued, error)),
            }
        };
        if results.len() != statements.len() {
            return Err(OrmError::database(
                format!(
                    "a unit of work sent {} statements and got {} results back",
                    statements.len(),
                    results.len()
                ),
                "",
            ));
        }
        let mut results: Vec<Option<QueryResult>> = results.into_iter().map(Some).collect();
        let mut outcomes = Vec::with_capacity(queued.len());
        for Queued { mut write, own } in queued {
            // Each index is one statement's, taken once: a missing result is an error,
            // never an empty one (an empty INSERT result would pass for a stored row).
            let own = own
                .iter()
                .map(|&i| results.get_mut(i).and_then(Option::take))
                .collect::<Option<Vec<QueryResult>>>()
                .ok_or_else(|| {
                    OrmError::database("a unit of work lost a statement's result", "")
                })?;
            outcomes.push(write.finish(own).await?);
        }
        Ok(Committed { id, outcomes })
    }
}

/// The marker a write's guard raises: found in the batch's error message, it names
/// the write that found no row.
fn marker(unit: u64, index: usize) -> String {
    format!("roost_orm unit {unit} write {index} found no row")
}

/// The batch's error: a guard's (which names its write) as that write's
/// [`OrmError::ModelNotFound`]; any other as it is.
fn guard_error(unit: u64, queued: &[Queued<'_>], error: OrmError) -> OrmError {
    if let OrmError::Database { message, .. } = &error {
        for (index, queued) in queued.iter().enumerate() {
            if message.contains(&marker(unit, index)) {
                return queued.write.not_found();
            }
        }
    }
    error
}

fn foreign_handle(what: &str) -> OrmError {
    OrmError::InvalidQuery(format!(
        "this Pending handle is not {what} (it belongs to another unit of work or write)"
    ))
}

/// A committed [`UnitOfWork`]: the outcome of each queued write.
#[derive(Debug)]
pub struct Committed {
    id: u64,
    outcomes: Vec<Outcome>,
}

impl Committed {
    fn slot<T: 'static>(
        &mut self,
        pending: &Pending<T>,
    ) -> Result<&mut Option<Box<dyn Any + Send>>> {
        if pending.unit != self.id {
            return Err(foreign_handle("of this unit"));
        }
        match self.outcomes.get_mut(pending.index) {
            Some(Outcome::Value(slot)) => Ok(slot),
            _ => Err(foreign_handle("of a write with an outcome")),
        }
    }

    /// The outcome of a queued write: the stored record of a create, the row count of
    /// a mass write or pivot write, the changes of a sync.
    pub fn get<T: 'static>(&mut self, pending: &Pending<T>) -> Result<&T> {
        let slot = self.slot(pending)?;
        slot.as_ref()
            .and_then(|v| v.downcast_ref::<T>())
            .ok_or_else(|| foreign_handle("an outcome still here (taken already?)"))
    }

    /// Take out the outcome of write `index` (for `push`, which keeps no handles).
    pub(crate) fn take_at<T: 'static>(&mut self, index: usize) -> Result<T> {
        let pending = Pending {
            index,
            unit: self.id,
            _outcome: PhantomData,
        };
        self.take(pending)
    }

    /// Take the outcome of a queued write out (see [`get`](Self::get)).
    pub fn take<T: 'static>(&mut self, pending: Pending<T>) -> Result<T> {
        let slot = self.slot(&pending)?;
        match slot.take().map(|v| v.downcast::<T>()) {
            Some(Ok(value)) => Ok(*value),
            _ => Err(foreign_handle("an outcome still here (taken already?)")),
        }
    }
}
