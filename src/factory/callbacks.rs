//! `after_making` / `after_creating` callbacks (Laravel `afterMaking` / `afterCreating`).
//!
//! `after_making` callbacks run on every made instance, by `make` and by `create`
//! (before the `creating` hooks), in registration order. `after_creating` callbacks run
//! on every persisted instance once it and its `has` children are stored — per instance,
//! each callback in registration order — and may be async (to create more rows, say).

use std::future::Future;
use std::sync::Arc;

use crate::error::Result;
use crate::model::{Instance, ModelDef};
use crate::runtime::{BoxFuture, MaybeSend, MaybeSync};

/// A synchronous callback on a made instance.
pub(crate) trait AfterMaking<M: ModelDef>: MaybeSend + MaybeSync {
    fn call(&self, instance: &mut Instance<M>);
}

impl<M: ModelDef, F> AfterMaking<M> for F
where
    F: Fn(&mut Instance<M>) + MaybeSend + MaybeSync,
{
    fn call(&self, instance: &mut Instance<M>) {
        self(instance)
    }
}

/// A callback on a created instance: takes it and gives it back (possibly changed).
pub(crate) trait AfterCreating<M: ModelDef>: MaybeSend + MaybeSync {
    fn call(&self, instance: Instance<M>) -> BoxFuture<'static, Result<Instance<M>>>;
}

/// A synchronous `after_creating` closure.
pub(crate) struct SyncAfterCreating<F>(pub F);

impl<M: ModelDef, F> AfterCreating<M> for SyncAfterCreating<F>
where
    F: Fn(&mut Instance<M>) + MaybeSend + MaybeSync,
{
    fn call(&self, mut instance: Instance<M>) -> BoxFuture<'static, Result<Instance<M>>> {
        (self.0)(&mut instance);
        Box::pin(std::future::ready(Ok(instance)))
    }
}

/// An async `after_creating` closure.
pub(crate) struct AsyncAfterCreating<F>(pub F);

impl<M: ModelDef, F, Fut> AfterCreating<M> for AsyncAfterCreating<F>
where
    F: Fn(Instance<M>) -> Fut + MaybeSend + MaybeSync,
    Fut: Future<Output = Result<Instance<M>>> + MaybeSend + 'static,
{
    fn call(&self, instance: Instance<M>) -> BoxFuture<'static, Result<Instance<M>>> {
        Box::pin((self.0)(instance))
    }
}

/// Shared callbacks (builders are cheap to clone).
pub(crate) type SharedAfterMaking<M> = Arc<dyn AfterMaking<M>>;
/// Shared callbacks (builders are cheap to clone).
pub(crate) type SharedAfterCreating<M> = Arc<dyn AfterCreating<M>>;

/// Run every `after_creating` callback on every instance, per instance in order.
pub(crate) async fn run_after_creating<M: ModelDef>(
    callbacks: &[SharedAfterCreating<M>],
    instances: &mut [Instance<M>],
) -> Result<()> {
    if callbacks.is_empty() {
        return Ok(());
    }
    for slot in instances.iter_mut() {
        for callback in callbacks {
            let taken = std::mem::take(slot);
            *slot = callback.call(taken).await?;
        }
    }
    Ok(())
}
