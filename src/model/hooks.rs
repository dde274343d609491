//! Lifecycle hooks: `Model.on('creating', fn)`, and every other Eloquent event (see
//! [`HookEvent`] for which fire when, in which order).
//!
//! One global registry keyed by the model's `TypeId` (hooks are part of a model's
//! definition, like the TS statics; they hold no request state — that lives in the
//! request scope). Hooks fire in registration order. A hook receives the instance and
//! may change it; changes made in `creating` / `updating` are written. A pre-event hook
//! (`creating`, `updating`, `deleting`) returning `false` aborts the operation with
//! [`OrmError::HookAborted`] before anything is written.
//!
//! Tests share the process-wide registry: give each test its own model types, or call
//! [`clear_hooks`](crate::Model::clear_hooks) between them.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use once_cell::sync::Lazy;

use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::runtime::{BoxFuture, MaybeSend};
use futures::future::Either;
use std::future::Ready;

/// The lifecycle events: the documented hook names (TS `HookName`) and the rest of
/// Eloquent's. Pre-events (`saving`, `creating`, `updating`, `deleting`, `restoring`,
/// `force_deleting`) abort the operation when a hook returns `false`.
///
/// | operation          | events, in order                                                    |
/// |--------------------|---------------------------------------------------------------------|
/// | `save` (new)       | `saving`, `creating`, INSERT, `created`, `saved`                     |
/// | `save` (stored)    | `saving`, then when dirty `updating`, UPDATE, `updated`; `saved`     |
/// | `delete`           | `deleting`, DELETE / soft delete, `deleted`                          |
/// | `force_delete`     | `force_deleting`, `deleting`, DELETE, `deleted`, `force_deleted` (the force events on soft-deleting models only) |
/// | `restore`          | `restoring`, then the `save` events, `restored`                      |
/// | a query's rows     | `retrieved` on each record of the query's model (not on eager-loaded relations) |
/// | `replicate`        | `replicating` on the copy                                            |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// Before an insert; `false` aborts.
    Creating,
    /// After an insert.
    Created,
    /// Before an update; `false` aborts.
    Updating,
    /// After an update.
    Updated,
    /// Before a delete (soft or hard); `false` aborts.
    Deleting,
    /// After a delete.
    Deleted,
    /// Before any save (insert, update, or a clean save); `false` aborts.
    Saving,
    /// After any save.
    Saved,
    /// Before a restore; `false` aborts.
    Restoring,
    /// After a restore.
    Restored,
    /// Before a soft-deleting model's force delete; `false` aborts.
    ForceDeleting,
    /// After a soft-deleting model's force delete.
    ForceDeleted,
    /// On each record a query of the model read.
    Retrieved,
    /// On the copy `replicate` made.
    Replicating,
}

impl HookEvent {
    /// How many events there are.
    const COUNT: usize = 14;

    const ALL: [HookEvent; HookEvent::COUNT] = [
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Deleting,
        HookEvent::Deleted,
        HookEvent::Saving,
        HookEvent::Saved,
        HookEvent::Restoring,
        HookEvent::Restored,
        HookEvent::ForceDeleting,
        HookEvent::ForceDeleted,
        HookEvent::Retrieved,
        HookEvent::Replicating,
    ];

    /// The name (`"creating"`, `"force_deleting"`, ...; TS and Laravel spell the last
    /// `forceDeleting`, which parses too).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::Creating => "creating",
            HookEvent::Created => "created",
            HookEvent::Updating => "updating",
            HookEvent::Updated => "updated",
            HookEvent::Deleting => "deleting",
            HookEvent::Deleted => "deleted",
            HookEvent::Saving => "saving",
            HookEvent::Saved => "saved",
            HookEvent::Restoring => "restoring",
            HookEvent::Restored => "restored",
            HookEvent::ForceDeleting => "force_deleting",
            HookEvent::ForceDeleted => "force_deleted",
            HookEvent::Retrieved => "retrieved",
            HookEvent::Replicating => "replicating",
        }
    }

    /// Whether returning `false` from this event's hooks aborts the operation.
    pub fn is_pre_event(self) -> bool {
        matches!(
            self,
            HookEvent::Creating
                | HookEvent::Updating
                | HookEvent::Deleting
                | HookEvent::Saving
                | HookEvent::Restoring
                | HookEvent::ForceDeleting
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HookEvent {
    type Err = OrmError;

    fn from_str(s: &str) -> Result<Self> {
        let snake = match s {
            "forceDeleting" => "force_deleting",
            "forceDeleted" => "force_deleted",
            other => other,
        };
        HookEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == snake)
            .ok_or_else(|| OrmError::InvalidAttributes(format!("unknown hook name {s:?}")))
    }
}

/// What a hook may return: `()` (carry on) or `bool` (`false` aborts a pre-event).
pub trait HookReturn {
    /// Whether the operation may continue.
    fn proceed(self) -> bool;
}

impl HookReturn for () {
    fn proceed(self) -> bool {
        true
    }
}

impl HookReturn for bool {
    fn proceed(self) -> bool {
        self
    }
}

/// A record handed to a hook, its model type erased (always an `Instance` of the model
/// the hook is registered for): the registry and the firing loop exist once for every
/// model, and only the two downcasts are per model.
type Erased = Box<dyn Any + Send>;

type HookFn = Arc<dyn Fn(Erased) -> BoxFuture<'static, (Erased, bool)> + Send + Sync>;

#[derive(Default)]
struct HookSet {
    by_event: [Vec<HookFn>; HookEvent::COUNT],
}

static REGISTRY: Lazy<RwLock<HashMap<TypeId, HookSet>>> = Lazy::new(Default::default);

fn registry_write() -> std::sync::RwLockWriteGuard<'static, HashMap<TypeId, HookSet>> {
    REGISTRY.write().unwrap_or_else(|e| e.into_inner())
}

fn add(model: TypeId, event: HookEvent, hook: HookFn) {
    registry_write().entry(model).or_default().by_event[event.index()].push(hook);
}

/// Whether model type `model` has hooks for `event` and they are not muted here.
#[inline(never)]
fn listening(model: TypeId, event: HookEvent) -> bool {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    if registry
        .get(&model)
        .is_none_or(|set| set.by_event[event.index()].is_empty())
    {
        return false;
    }
    drop(registry);
    match crate::Orm::current() {
        Ok(orm) => !orm.is_muted(model),
        Err(_) => true,
    }
}

/// Register a synchronous hook.
pub(crate) fn on<M, R, F>(event: HookEvent, hook: F)
where
    M: ModelDef,
    R: HookReturn,
    F: Fn(&mut Instance<M>) -> R + Send + Sync + 'static,
{
    let hook: HookFn = Arc::new(move |erased: Erased| {
        let outcome = match erased.downcast::<Instance<M>>() {
            Ok(mut instance) => {
                let proceed = hook(&mut instance).proceed();
                (instance as Erased, proceed)
            }
            // Never another model's record (hooks are kept by model type); refuse.
            Err(other) => (other, false),
        };
        Box::pin(std::future::ready(outcome))
    });
    add(TypeId::of::<M>(), event, hook);
}

/// Register an asynchronous hook.
pub(crate) fn on_async<M, R, F, Fut>(event: HookEvent, hook: F)
where
    M: ModelDef,
    R: HookReturn,
    F: Fn(Instance<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Instance<M>, R)> + MaybeSend + 'static,
{
    let hook: HookFn = Arc::new(
        move |erased: Erased| match erased.downcast::<Instance<M>>() {
            Ok(instance) => {
                let fut = hook(*instance);
                Box::pin(async move {
                    let (instance, r) = fut.await;
                    (Box::new(instance) as Erased, r.proceed())
                })
            }
            Err(other) => Box::pin(std::future::ready((other, false))),
        },
    );
    add(TypeId::of::<M>(), event, hook);
}

/// Remove every hook of model `M`.
pub(crate) fn clear<M: ModelDef>() {
    registry_write().remove(&TypeId::of::<M>());
}

/// Remove every hook of every model.
pub fn clear_all_hooks() {
    registry_write().clear();
}

/// Fire `event`'s hooks of model type `model` on `record`, in registration order.
/// Returns the (possibly changed) record, and an error if a pre-event hook returned
/// false (later hooks don't run). One copy for every model.
async fn run(
    (model, name): (TypeId, &'static str),
    event: HookEvent,
    mut record: Erased,
) -> (Erased, Result<()>) {
    let hooks: Vec<HookFn> = {
        let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        (registry.get(&model)).map_or_else(Vec::new, |set| set.by_event[event.index()].clone())
    };
    for (i, hook) in hooks.into_iter().enumerate() {
        let (next, proceed) = hook(record).await;
        record = next;
        if !proceed && event.is_pre_event() {
            let err = OrmError::HookAborted {
                model: name,
                event,
                hook: i + 1,
            };
            return (record, Err(err));
        }
    }
    (record, Ok(()))
}

/// Fire `retrieved` on every record a query read (nothing awaited when no hook
/// listens).
pub(crate) fn fire_retrieved<M: ModelDef>(
    records: &mut [Instance<M>],
) -> Either<Ready<Result<()>>, BoxFuture<'_, Result<()>>> {
    if !listening(TypeId::of::<M>(), HookEvent::Retrieved) {
        return Either::Left(std::future::ready(Ok(())));
    }
    Either::Right(Box::pin(async move {
        for record in records {
            fire_in_place(HookEvent::Retrieved, record).await?;
        }
        Ok(())
    }))
}

/// Fire `event` on the instance behind `&mut`, keeping it in place. Nothing is
/// awaited when no hook listens (the common case): the registry is checked right
/// here, and only a firing is a (boxed) future — so each of the many call sites stays
/// small on wasm32.
pub(crate) fn fire_in_place<M: ModelDef>(
    event: HookEvent,
    instance: &mut Instance<M>,
) -> Either<Ready<Result<()>>, BoxFuture<'_, Result<()>>> {
    if !listening(TypeId::of::<M>(), event) {
        return Either::Left(std::future::ready(Ok(())));
    }
    Either::Right(Box::pin(async move {
        let taken: Erased = Box::new(std::mem::take(instance));
        let model = (TypeId::of::<M>(), M::model_name());
        let (back, result) = run(model, event, taken).await;
        match back.downcast::<Instance<M>>() {
            Ok(back) => *instance = *back,
            Err(_) => {
                return Err(OrmError::InvalidQuery(format!(
                    "a {event} hook of [{}] handed back another model's record",
                    M::model_name()
                )))
            }
        }
        result
    }))
}
