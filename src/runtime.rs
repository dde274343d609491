//! Send-ness that follows the target.
//!
//! On native targets every future and shared handle of the crate is `Send` (tokio's
//! multi-threaded runtime may move a request between threads). On `wasm32` JS values are
//! not `Send` and a Worker isolate is single-threaded, so the bound is dropped. This
//! module owns only those aliases; it must not hold any logic.

use std::future::Future;
use std::pin::Pin;

/// `Send` on native targets, no bound on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` on native targets, no bound on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets, no bound on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}

/// `Sync` on native targets, no bound on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future: `Send` on native targets, local on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed future: `Send` on native targets, local on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A boxed one-shot closure: `Send` on native targets, local on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFnOnce<A, T> = Box<dyn FnOnce(A) -> T + Send>;
/// A boxed one-shot closure: `Send` on native targets, local on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub type BoxFnOnce<A, T> = Box<dyn FnOnce(A) -> T>;
