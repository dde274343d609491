//! The request scope: which [`Orm`] is current for the future being polled.
//!
//! Like a task-local: [`Orm::scope`] wraps a future so that, for every poll, the `Orm` is
//! installed in a thread-local slot and the previous occupant is put back afterwards
//! (also when the poll panics). Two request futures interleaved on one thread therefore
//! each see their own `Orm`, and a future moved between threads takes its scope along.
//! This module owns only that slot; it must not know about models or SQL.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::orm::Orm;

thread_local! {
    static CURRENT: RefCell<Option<Orm>> = const { RefCell::new(None) };
}

/// Put `slot` into the current position and the previous occupant into `slot`.
fn swap_current(slot: &mut Option<Orm>) {
    CURRENT.with(|current| std::mem::swap(&mut *current.borrow_mut(), slot));
}

/// Restores the previous occupant when dropped (normal return or unwinding).
struct Restore<'a>(&'a mut Option<Orm>);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        swap_current(self.0);
    }
}

pin_project_lite::pin_project! {
    /// A future running with an [`Orm`] as its request scope. Made by [`Orm::scope`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        orm: Option<Orm>,
        #[pin]
        inner: F,
    }
}

impl<F> Scoped<F> {
    pub(crate) fn new(orm: Orm, inner: F) -> Self {
        Scoped {
            orm: Some(orm),
            inner,
        }
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        swap_current(this.orm);
        let _restore = Restore(this.orm);
        this.inner.poll(cx)
    }
}

/// The `Orm` of the current request scope, if any.
pub(crate) fn current() -> Option<Orm> {
    CURRENT.with(|current| current.borrow().clone())
}

/// Run `f` with `orm` as the current scope, synchronously.
pub(crate) fn with_sync<T>(orm: &Orm, f: impl FnOnce() -> T) -> T {
    let mut slot = Some(orm.clone());
    swap_current(&mut slot);
    let _restore = Restore(&mut slot);
    f()
}
