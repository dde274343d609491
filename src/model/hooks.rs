//! Lifecycle hooks: `Model.on('creating', fn)`.
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

/// The documented hook names (TS `HookName`).
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
}

impl HookEvent {
    const ALL: [HookEvent; 6] = [
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Deleting,
        HookEvent::Deleted,
    ];

    /// The TS name (`"creating"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::Creating => "creating",
            HookEvent::Created => "created",
            HookEvent::Updating => "updating",
            HookEvent::Updated => "updated",
            HookEvent::Deleting => "deleting",
            HookEvent::Deleted => "deleted",
        }
    }

    /// Whether returning `false` from this event's hooks aborts the operation.
    pub fn is_pre_event(self) -> bool {
        matches!(
            self,
            HookEvent::Creating | HookEvent::Updating | HookEvent::Deleting
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
        HookEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
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

type HookFn<M> = Arc<dyn Fn(Instance<M>) -> BoxFuture<'static, (Instance<M>, bool)> + Send + Sync>;

struct HookSet<M: ModelDef> {
    by_event: [Vec<HookFn<M>>; 6],
}

type Registry = HashMap<TypeId, Box<dyn Any + Send + Sync>>;

static REGISTRY: Lazy<RwLock<Registry>> = Lazy::new(Default::default);

fn registry_write() -> std::sync::RwLockWriteGuard<'static, Registry> {
    REGISTRY.write().unwrap_or_else(|e| e.into_inner())
}

fn add<M: ModelDef>(event: HookEvent, hook: HookFn<M>) {
    let mut registry = registry_write();
    let entry = registry.entry(TypeId::of::<M>()).or_insert_with(|| {
        Box::new(HookSet::<M> {
            by_event: Default::default(),
        })
    });
    if let Some(set) = entry.downcast_mut::<HookSet<M>>() {
        set.by_event[event.index()].push(hook);
    }
}

/// Register a synchronous hook.
pub(crate) fn on<M, R, F>(event: HookEvent, hook: F)
where
    M: ModelDef,
    R: HookReturn,
    F: Fn(&mut Instance<M>) -> R + Send + Sync + 'static,
{
    add::<M>(
        event,
        Arc::new(move |mut instance| {
            let proceed = hook(&mut instance).proceed();
            Box::pin(std::future::ready((instance, proceed)))
        }),
    );
}

/// Register an asynchronous hook.
pub(crate) fn on_async<M, R, F, Fut>(event: HookEvent, hook: F)
where
    M: ModelDef,
    R: HookReturn,
    F: Fn(Instance<M>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Instance<M>, R)> + MaybeSend + 'static,
{
    let hook = Arc::new(hook);
    add::<M>(
        event,
        Arc::new(move |instance| {
            let fut = hook(instance);
            Box::pin(async move {
                let (instance, r) = fut.await;
                (instance, r.proceed())
            })
        }),
    );
}

/// Remove every hook of model `M`.
pub(crate) fn clear<M: ModelDef>() {
    registry_write().remove(&TypeId::of::<M>());
}

/// Remove every hook of every model.
pub fn clear_all_hooks() {
    registry_write().clear();
}

fn hooks_for<M: ModelDef>(event: HookEvent) -> Vec<HookFn<M>> {
    let registry = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    registry
        .get(&TypeId::of::<M>())
        .and_then(|b| b.downcast_ref::<HookSet<M>>())
        .map(|set| set.by_event[event.index()].clone())
        .unwrap_or_default()
}

/// Fire `event` for `instance`, in registration order. Returns the (possibly changed)
/// instance, and an error if a pre-event hook returned false (later hooks don't run).
async fn run<M: ModelDef>(
    event: HookEvent,
    hooks: Vec<HookFn<M>>,
    mut instance: Instance<M>,
) -> (Instance<M>, Result<()>) {
    for (i, hook) in hooks.into_iter().enumerate() {
        let (next, proceed) = hook(instance).await;
        instance = next;
        if !proceed && event.is_pre_event() {
            let err = OrmError::HookAborted {
                model: M::model_name(),
                event,
                hook: i + 1,
            };
            return (instance, Err(err));
        }
    }
    (instance, Ok(()))
}

/// Fire `event` on the instance behind `&mut`, keeping it in place.
pub(crate) async fn fire_in_place<M: ModelDef>(
    event: HookEvent,
    instance: &mut Instance<M>,
) -> Result<()> {
    let hooks = hooks_for::<M>(event);
    if hooks.is_empty() {
        // Nothing registered (the common case): leave the instance where it is.
        return Ok(());
    }
    let taken = std::mem::take(instance);
    let (back, result) = run(event, hooks, taken).await;
    *instance = back;
    result
}
