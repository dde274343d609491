//! Observers (Laravel `Post::observe(PostObserver::class)`): one type handling several
//! of a model's events, registered once with [`Model::observe`](crate::Model::observe).
//! Each method is a hook of its event, run in registration order with the others; a
//! pre-event method returning `false` aborts the operation, as a hook's does.

use std::sync::Arc;

use crate::model::hooks::{on, HookEvent};
use crate::model::{Instance, ModelDef};

/// Handlers for a model's events; every method defaults to doing nothing.
///
/// ```
/// use roost_orm::model::Observer;
/// use roost_orm::prelude::*;
/// struct Post;
/// impl ModelDef for Post {}
/// struct Audit;
/// impl Observer<Post> for Audit {
///     fn creating(&self, post: &mut Instance<Post>) -> bool {
///         post.set("status", "draft");
///         true
///     }
///     fn deleting(&self, post: &mut Instance<Post>) -> bool {
///         post.get("locked").is_none() // a locked post is never deleted
///     }
/// }
/// Post::observe(Audit);
/// # Post::clear_hooks();
/// ```
#[allow(unused_variables)]
pub trait Observer<M: ModelDef>: Send + Sync + 'static {
    /// The events this observer is registered for: all but `retrieved` by default (a
    /// `retrieved` handler runs on every record every query reads, so it is opt-in:
    /// list it here).
    const EVENTS: &'static [HookEvent] = &[
        HookEvent::Saving,
        HookEvent::Saved,
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Deleting,
        HookEvent::Deleted,
        HookEvent::Restoring,
        HookEvent::Restored,
        HookEvent::ForceDeleting,
        HookEvent::ForceDeleted,
        HookEvent::Replicating,
    ];

    /// A query read `record` (only when [`EVENTS`](Self::EVENTS) lists `Retrieved`).
    fn retrieved(&self, record: &mut Instance<M>) {}
    /// Before any save; `false` aborts.
    fn saving(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After any save.
    fn saved(&self, record: &mut Instance<M>) {}
    /// Before an insert; `false` aborts.
    fn creating(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After an insert.
    fn created(&self, record: &mut Instance<M>) {}
    /// Before an update; `false` aborts.
    fn updating(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After an update.
    fn updated(&self, record: &mut Instance<M>) {}
    /// Before a delete; `false` aborts.
    fn deleting(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After a delete.
    fn deleted(&self, record: &mut Instance<M>) {}
    /// Before a restore; `false` aborts.
    fn restoring(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After a restore.
    fn restored(&self, record: &mut Instance<M>) {}
    /// Before a soft-deleting model's force delete; `false` aborts.
    fn force_deleting(&self, record: &mut Instance<M>) -> bool {
        true
    }
    /// After a soft-deleting model's force delete.
    fn force_deleted(&self, record: &mut Instance<M>) {}
    /// On the copy `replicate` made.
    fn replicating(&self, record: &mut Instance<M>) {}
}

/// Call `observer`'s method for `event`: whether the operation may go on.
fn dispatch<M: ModelDef, O: Observer<M>>(
    observer: &O,
    event: HookEvent,
    record: &mut Instance<M>,
) -> bool {
    match event {
        HookEvent::Retrieved => observer.retrieved(record),
        HookEvent::Saving => return observer.saving(record),
        HookEvent::Saved => observer.saved(record),
        HookEvent::Creating => return observer.creating(record),
        HookEvent::Created => observer.created(record),
        HookEvent::Updating => return observer.updating(record),
        HookEvent::Updated => observer.updated(record),
        HookEvent::Deleting => return observer.deleting(record),
        HookEvent::Deleted => observer.deleted(record),
        HookEvent::Restoring => return observer.restoring(record),
        HookEvent::Restored => observer.restored(record),
        HookEvent::ForceDeleting => return observer.force_deleting(record),
        HookEvent::ForceDeleted => observer.force_deleted(record),
        HookEvent::Replicating => observer.replicating(record),
    }
    true
}

/// Register `observer` for each of its [`Observer::EVENTS`].
pub(crate) fn register<M: ModelDef, O: Observer<M>>(observer: O) {
    let observer = Arc::new(observer);
    for &event in O::EVENTS {
        let observer = Arc::clone(&observer);
        on::<M, bool, _>(event, move |record: &mut Instance<M>| {
            dispatch(&*observer, event, record)
        });
    }
}
