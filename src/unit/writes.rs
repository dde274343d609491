//! The writes a unit of work queues: each planned now (pre-events run, statements
//! compiled by the writes' own plan halves) and finished after the batch (stored rows
//! taken, post-events fired). Type-erased behind [`Write`] so one unit holds writes of
//! any models. Builds no SQL beyond asking the compiler.

use std::any::Any;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::hooks::{fire_in_place, HookEvent};
use crate::model::{table_of, Attributes, Instance, IntoAttributes, ModelDef, DELETED_AT};
use crate::orm::Orm;
use crate::query::{compiler, Ident};
use crate::relations::pivot::{sync_changes, SyncChanges};
use crate::relations::touches::touch_statements;
use crate::relations::ChildRelation;
use crate::runtime::{BoxFuture, MaybeSend};

use super::{Pending, UnitOfWork};

/// What a committed write hands back: a value for its [`Pending`] handle, or nothing.
#[derive(Debug)]
pub(super) enum Outcome {
    Value(Option<Box<dyn Any + Send>>),
    Nothing,
}

/// A write after the batch: take its own statements' results, fire its post-events.
pub(super) trait Write: MaybeSend {
    /// Finish with the results of the write's own statements, in order.
    fn finish(&mut self, own: Vec<QueryResult>) -> BoxFuture<'_, Result<Outcome>>;
    /// The error its guard's failure stands for: the record found no row.
    fn not_found(&self) -> OrmError;
    /// The record a create will insert (for [`UnitOfWork::get`]).
    fn instance(&self) -> Option<&dyn Any> {
        None
    }
}

/// One statement of a write: whether its result is the write's own (not a guard's or
/// a touch's), and whether a guard must follow it (it has to change a row).
pub(super) struct Planned {
    pub statement: Statement,
    pub own: bool,
    pub guarded: bool,
}

impl Planned {
    fn own(statement: Statement, guarded: bool) -> Self {
        Planned {
            statement,
            own: true,
            guarded,
        }
    }
}

/// A planned write: its finisher, its statements, what trails them (owners' touches),
/// and how it moves the row `last_insert_rowid()` points at (`None`: it doesn't;
/// `Some(None)`: to a row nothing can be read from; `Some(Some(c))`: to the row `c`
/// describes).
pub(super) struct Finish<'a> {
    pub write: Box<dyn Write + 'a>,
    pub statements: Vec<Planned>,
    pub trailing: Vec<Statement>,
    pub last_insert: Option<Option<Carried>>,
}

/// The row inserted last in the batch: its table, and which queued writes' keys its
/// columns hold.
pub(super) struct LastInsert {
    table: Ident,
    carries: Vec<(usize, Ident)>,
}

/// A [`LastInsert`] before its write's index is known (`None` = the write itself).
pub(super) struct Carried {
    table: Ident,
    carries: Vec<(Option<usize>, Ident)>,
}

impl Carried {
    pub(super) fn resolve(self, index: usize) -> LastInsert {
        LastInsert {
            table: self.table,
            carries: (self.carries.into_iter())
                .map(|(write, column)| (write.unwrap_or(index), column))
                .collect(),
        }
    }
}

/// A record a unit writes: the caller's (borrowed until the unit is committed or
/// dropped) or the unit's own (a create, handed back by `Committed`).
pub(super) enum Slot<'a, M: ModelDef> {
    Borrowed(&'a mut Instance<M>),
    Owned(Instance<M>),
    /// Owned, handed back as a `Box<dyn AnyInstance>` (a related record of a `push`).
    Erased(Instance<M>),
}

impl<M: ModelDef> Slot<'_, M> {
    fn get(&mut self) -> &mut Instance<M> {
        match self {
            Slot::Borrowed(instance) => instance,
            Slot::Owned(instance) | Slot::Erased(instance) => instance,
        }
    }

    fn get_ref(&self) -> &Instance<M> {
        match self {
            Slot::Borrowed(instance) => instance,
            Slot::Owned(instance) | Slot::Erased(instance) => instance,
        }
    }

    fn outcome(&mut self) -> Outcome {
        match self {
            Slot::Borrowed(_) => Outcome::Nothing,
            Slot::Owned(instance) => Outcome::Value(Some(Box::new(std::mem::take(instance)))),
            Slot::Erased(instance) => {
                let erased: Box<dyn crate::relations::AnyInstance> =
                    Box::new(std::mem::take(instance));
                Outcome::Value(Some(Box::new(erased)))
            }
        }
    }
}

/// Where a child's parent is, for [`UnitOfWork::create_related`]: a stored record, or
/// a create queued in the same unit.
pub enum ParentRef<'p, P: ModelDef> {
    /// A record the caller holds.
    Stored(&'p Instance<P>),
    /// A create queued earlier in the same unit.
    Pending(Pending<Instance<P>>),
}

impl<'p, P: ModelDef> From<&'p Instance<P>> for ParentRef<'p, P> {
    fn from(parent: &'p Instance<P>) -> Self {
        ParentRef::Stored(parent)
    }
}

impl<P: ModelDef> From<&Pending<Instance<P>>> for ParentRef<'_, P> {
    fn from(parent: &Pending<Instance<P>>) -> Self {
        ParentRef::Pending(*parent)
    }
}

impl<P: ModelDef> From<Pending<Instance<P>>> for ParentRef<'_, P> {
    fn from(parent: Pending<Instance<P>>) -> Self {
        ParentRef::Pending(parent)
    }
}

enum SaveKind {
    Insert,
    Update(Attributes),
    Clean,
}

struct SaveWrite<'a, M: ModelDef> {
    slot: Slot<'a, M>,
    kind: SaveKind,
    restored: bool,
}

impl<M: ModelDef> Write for SaveWrite<'_, M> {
    fn finish(&mut self, own: Vec<QueryResult>) -> BoxFuture<'_, Result<Outcome>> {
        Box::pin(async move {
            let kind = std::mem::replace(&mut self.kind, SaveKind::Clean);
            let restored = self.restored;
            let instance = self.slot.get();
            let result = own.into_iter().next().unwrap_or_default();
            match kind {
                SaveKind::Insert => instance.finish_insert(result).await?,
                SaveKind::Update(dirty) => {
                    instance.finish_update(result, dirty)?;
                    fire_in_place(HookEvent::Updated, instance).await?;
                }
                SaveKind::Clean => {}
            }
            fire_in_place(HookEvent::Saved, instance).await?;
            if restored {
                fire_in_place(HookEvent::Restored, instance).await?;
            }
            Ok(self.slot.outcome())
        })
    }

    fn not_found(&self) -> OrmError {
        self.slot.get_ref().not_found()
    }

    fn instance(&self) -> Option<&dyn Any> {
        match &self.slot {
            Slot::Owned(instance) => Some(instance),
            Slot::Borrowed(_) | Slot::Erased(_) => None,
        }
    }
}

/// A child INSERT that reads its foreign key from the row inserted just before.
struct FromLastRow<'l> {
    last: &'l LastInsert,
    parent: usize,
    foreign: &'static str,
}

/// Plan a save: `saving`, then `creating` and the INSERT, or `updating` and the UPDATE
/// of the changes (guarded: it must find its row), or nothing for a clean record.
pub(super) fn plan_save<'a, 'o, M: ModelDef>(
    orm: &'o Orm,
    slot: Slot<'a, M>,
    restored: bool,
) -> impl std::future::Future<Output = Result<Finish<'a>>> + 'o
where
    'a: 'o,
{
    // Not an `async fn` of its own: one state machine per model, shared with children.
    plan_save_from(orm, slot, restored, None)
}

async fn plan_save_from<'a, M: ModelDef>(
    orm: &Orm,
    mut slot: Slot<'a, M>,
    restored: bool,
    from: Option<FromLastRow<'_>>,
) -> Result<Finish<'a>> {
    Orm::current_for::<M>()?;
    let instance = slot.get();
    fire_in_place(HookEvent::Saving, instance).await?;
    let mut last_insert = None;
    let (kind, statements) = if instance.exists() {
        match instance.plan_update(orm).await? {
            Some((statement, dirty)) => {
                (SaveKind::Update(dirty), vec![Planned::own(statement, true)])
            }
            None => (SaveKind::Clean, Vec::new()),
        }
    } else {
        let table = Ident::parse_static(table_of::<M>())?;
        let key_known = |i: &Instance<M>| i.key().is_some();
        let statement = match &from {
            None => instance.plan_insert(orm).await?,
            Some(from) => {
                let (columns, values) = instance.before_insert(orm).await?;
                // The parent's key is the batch's to give: a value set here is dropped.
                let (columns, values): (Vec<Ident>, Vec<_>) = (columns.into_iter().zip(values))
                    .filter(|(c, _)| c.parts().1 != from.foreign)
                    .unzip();
                let source = (from.last.carries.iter())
                    .find(|(write, _)| *write == from.parent)
                    .map(|(_, column)| column.clone())
                    .ok_or_else(|| unreachable_parent::<M>())?;
                let copied = [(Ident::parse_static(from.foreign)?, source)];
                compiler::insert_from_last_row(&table, &columns, values, &from.last.table, &copied)
            }
        };
        let mut carries = Vec::new();
        if let Some(from) = &from {
            carries.push((Some(from.parent), Ident::parse_static(from.foreign)?));
        }
        if !key_known(instance) {
            carries.push((None, Ident::parse_static(M::PRIMARY_KEY)?));
        }
        last_insert = Some(Some(Carried { table, carries }));
        (
            SaveKind::Insert,
            vec![Planned::own(statement, from.is_some())],
        )
    };
    let trailing = match kind {
        SaveKind::Clean => Vec::new(),
        _ => touch_statements(orm, [&*instance])?,
    };
    Ok(Finish {
        write: Box::new(SaveWrite {
            slot,
            kind,
            restored,
        }),
        statements,
        trailing,
        last_insert,
    })
}

fn unreachable_parent<M: ModelDef>() -> OrmError {
    OrmError::InvalidQuery(format!(
        "a [{}] queued in a unit of work points at a parent whose key the batch can't read",
        M::model_name()
    ))
}

/// Plan a new child of `parent` through `relation` (see the module docs of
/// [`crate::unit`] for how a pending parent's key is found).
pub(super) async fn plan_child<'a, P, T>(
    unit: &UnitOfWork<'a>,
    relation: &T,
    parent: ParentRef<'_, P>,
    attributes: impl IntoAttributes,
) -> Result<Finish<'a>>
where
    P: ModelDef,
    T: ChildRelation<P>,
{
    let parent = match parent {
        ParentRef::Stored(parent) => {
            let child = crate::relations::new_child(relation, Some(parent), attributes)?;
            return plan_save(&unit.orm, Slot::Owned(child), false).await;
        }
        ParentRef::Pending(pending) => pending,
    };
    let stored = unit.get(&parent)?;
    let (local, foreign, _) = relation.columns_to_parent()?;
    if stored.get(local).is_some_and(|v| !v.is_null()) {
        // A key known before sending: a generated UUID / ULID, or the caller's.
        let child = crate::relations::new_child(relation, Some(stored), attributes)?;
        return plan_save(&unit.orm, Slot::Owned(child), false).await;
    }
    let carried = unit.last_insert.as_ref().filter(|last| {
        local == P::PRIMARY_KEY && last.carries.iter().any(|(w, _)| *w == parent.index)
    });
    let Some(last) = carried else {
        return Err(OrmError::InvalidQuery(format!(
            "a [{}] child of a [{}] created in the same unit of work: the parent's {local:?} is \
             assigned by the database, and the batch can only read it from the row inserted \
             just before; queue the children right after their parent, or give [{}] a \
             generated key (KeyType::Uuid / KeyType::Ulid)",
            T::Related::model_name(),
            P::model_name(),
            P::model_name()
        )));
    };
    let child = crate::relations::new_child(relation, None, attributes)?;
    let from = FromLastRow {
        last,
        parent: parent.index,
        foreign,
    };
    plan_save_from(&unit.orm, Slot::Owned(child), false, Some(from)).await
}

struct DeleteWrite<'a, M: ModelDef> {
    instance: &'a mut Instance<M>,
    soft: bool,
    force: bool,
    skipped: bool,
}

impl<M: ModelDef> Write for DeleteWrite<'_, M> {
    fn finish(&mut self, own: Vec<QueryResult>) -> BoxFuture<'_, Result<Outcome>> {
        Box::pin(async move {
            if self.skipped {
                return Ok(Outcome::Nothing);
            }
            let result = own.into_iter().next().unwrap_or_default();
            self.instance.finish_delete(result, self.soft)?;
            fire_in_place(HookEvent::Deleted, self.instance).await?;
            if self.force && M::SOFT_DELETES {
                fire_in_place(HookEvent::ForceDeleted, self.instance).await?;
            }
            Ok(Outcome::Nothing)
        })
    }

    fn not_found(&self) -> OrmError {
        self.instance.not_found()
    }
}

/// Plan a delete (`force`: hard even with soft deletes): `force_deleting` /
/// `deleting` now, the guarded statement, the owners' touches. A record never stored
/// is left alone, as by `delete`.
pub(super) async fn plan_delete<'a, M: ModelDef>(
    orm: &Orm,
    instance: &'a mut Instance<M>,
    force: bool,
) -> Result<Finish<'a>> {
    Orm::current_for::<M>()?;
    let soft = M::SOFT_DELETES && !force;
    let mut statements = Vec::new();
    let mut trailing = Vec::new();
    let skipped = !instance.exists();
    if !skipped {
        if force && M::SOFT_DELETES {
            fire_in_place(HookEvent::ForceDeleting, instance).await?;
        }
        fire_in_place(HookEvent::Deleting, instance).await?;
        statements.push(Planned::own(instance.plan_delete(orm, soft)?, true));
        trailing = touch_statements(orm, [&*instance])?;
    }
    Ok(Finish {
        write: Box::new(DeleteWrite {
            instance,
            soft,
            force,
            skipped,
        }),
        statements,
        trailing,
        last_insert: None,
    })
}

/// Plan a restore: `restoring` now, then the save of `deleted_at = NULL`.
pub(super) async fn plan_restore<'a, M: ModelDef>(
    orm: &Orm,
    instance: &'a mut Instance<M>,
) -> Result<Finish<'a>> {
    if !M::SOFT_DELETES {
        return Err(OrmError::NotSoftDeletable {
            model: M::model_name(),
        });
    }
    fire_in_place(HookEvent::Restoring, instance).await?;
    instance.set_raw(DELETED_AT, Value::Null);
    plan_save(orm, Slot::Borrowed(instance), true).await
}

/// A write whose outcome is a row count: the changes of its statement, or for a pivot
/// INSERT (`returning`) the rows it returned.
struct CountWrite {
    returning: bool,
}

impl Write for CountWrite {
    fn finish(&mut self, own: Vec<QueryResult>) -> BoxFuture<'_, Result<Outcome>> {
        let count: u64 = own
            .iter()
            .map(|r| {
                if self.returning {
                    r.len() as u64
                } else {
                    r.changes
                }
            })
            .sum();
        Box::pin(std::future::ready(Ok(Outcome::Value(Some(Box::new(
            count,
        ))))))
    }

    fn not_found(&self) -> OrmError {
        OrmError::InvalidQuery("a mass write has no row to find".into())
    }
}

/// A mass or pivot write of `statement` (none: nothing to do, count 0).
pub(super) fn count<'a>(statement: Option<Statement>, returning: bool) -> Finish<'a> {
    Finish {
        write: Box::new(CountWrite { returning }),
        statements: statement
            .map(|s| Planned::own(s, false))
            .into_iter()
            .collect(),
        trailing: Vec::new(),
        // A pivot INSERT moves last_insert_rowid() to a pivot row.
        last_insert: returning.then_some(None),
    }
}

struct SyncWrite;

impl Write for SyncWrite {
    fn finish(&mut self, own: Vec<QueryResult>) -> BoxFuture<'_, Result<Outcome>> {
        let changes: Result<SyncChanges> = sync_changes(own);
        Box::pin(std::future::ready(
            changes.map(|c| Outcome::Value(Some(Box::new(c)))),
        ))
    }

    fn not_found(&self) -> OrmError {
        OrmError::InvalidQuery("a sync has no row to find".into())
    }
}

/// A pivot sync of `statements` (its DELETE, then its INSERT when there are ids).
pub(super) fn sync<'a>(statements: Vec<Statement>) -> Finish<'a> {
    Finish {
        write: Box::new(SyncWrite),
        statements: statements
            .into_iter()
            .map(|s| Planned::own(s, false))
            .collect(),
        trailing: Vec::new(),
        last_insert: Some(None),
    }
}
