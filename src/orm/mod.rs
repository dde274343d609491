//! [`Orm`]: the database (and, later, tenant and session) of one request.
//!
//! An `Orm` is a cheap handle (an `Arc`). It is never global: [`Orm::scope`] makes it
//! current for one future, and the model statics find it there ([`Orm::current`]); with
//! none current they fail with [`OrmError::OrmNotBooted`](crate::OrmError::OrmNotBooted).
//! Every statement the ORM sends passes through [`Orm::run`] / [`Orm::batch`], which
//! count round trips and emit the `tracing` query log. This module must not write SQL.

mod scope;

pub use scope::Scoped;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::Result;
use crate::executor::{Executor, QueryResult, Statement};

struct Inner {
    executor: Arc<dyn Executor>,
    round_trips: AtomicU64,
    statements: AtomicU64,
}

/// The ORM bound to one database: the Rust form of a booted `OrmServiceProvider`.
///
/// ```
/// use roost_orm::{Orm, SqliteExecutor};
/// # tokio_test_block(async {
/// let orm = Orm::new(SqliteExecutor::memory().unwrap());
/// orm.scope(async {
///     // Model statics (User::find, Post::where_, ...) see `orm` here.
///     assert!(Orm::current().is_ok());
/// })
/// .await;
/// assert!(Orm::current().is_err());
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) { futures::executor::block_on(f) }
/// ```
#[derive(Clone)]
pub struct Orm {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Orm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orm")
            .field("round_trips", &self.round_trips())
            .finish_non_exhaustive()
    }
}

impl Orm {
    /// An `Orm` over any executor.
    pub fn new(executor: impl Executor + 'static) -> Self {
        Self::from_arc(Arc::new(executor))
    }

    /// An `Orm` over a shared executor.
    pub fn from_arc(executor: Arc<dyn Executor>) -> Self {
        Orm {
            inner: Arc::new(Inner {
                executor,
                round_trips: AtomicU64::new(0),
                statements: AtomicU64::new(0),
            }),
        }
    }

    /// An `Orm` over an embedded SQLite file (created if missing).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Ok(Self::new(crate::executor::SqliteExecutor::open(path)?))
    }

    /// An `Orm` over a private in-memory SQLite database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_memory() -> Result<Self> {
        Ok(Self::new(crate::executor::SqliteExecutor::memory()?))
    }

    /// Run `future` with this `Orm` as its request scope.
    pub fn scope<F: Future>(&self, future: F) -> Scoped<F> {
        Scoped::new(self.clone(), future)
    }

    /// Run a synchronous closure with this `Orm` as the current scope.
    pub fn scope_sync<T>(&self, f: impl FnOnce() -> T) -> T {
        scope::with_sync(self, f)
    }

    /// The `Orm` of the current request scope, or `OrmNotBooted`.
    pub fn current() -> Result<Orm> {
        scope::current()
    }

    /// The executor behind this `Orm`.
    pub fn executor(&self) -> &Arc<dyn Executor> {
        &self.inner.executor
    }

    /// Round trips sent so far (`run` calls plus `batch` calls): on D1 each costs
    /// milliseconds, so this is a performance figure tests can assert exactly.
    pub fn round_trips(&self) -> u64 {
        self.inner.round_trips.load(Ordering::Relaxed)
    }

    /// Statements sent so far (a batch counts each of its statements).
    pub fn statements(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// Run one statement (counted and logged).
    pub async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        self.inner.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
        let started = web_time::Instant::now();
        let result = self.inner.executor.run(statement).await;
        log(statement, &result, started);
        result
    }

    /// Run statements atomically in one round trip (counted and logged).
    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        self.inner.round_trips.fetch_add(1, Ordering::Relaxed);
        self.inner
            .statements
            .fetch_add(statements.len() as u64, Ordering::Relaxed);
        let started = web_time::Instant::now();
        let result = self.inner.executor.batch(statements).await;
        let elapsed = started.elapsed();
        match &result {
            Ok(results) => {
                for (statement, r) in statements.iter().zip(results) {
                    tracing::debug!(
                        target: "roost_orm::query",
                        sql = %statement.sql,
                        params = statement.params.len(),
                        rows = r.rows.len(),
                        changes = r.changes,
                        batch = statements.len(),
                        duration_us = elapsed.as_micros() as u64,
                        "query"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(target: "roost_orm::query", error = %e, batch = statements.len(), "batch failed")
            }
        }
        result
    }
}

fn log(statement: &Statement, result: &Result<QueryResult>, started: web_time::Instant) {
    let duration_us = started.elapsed().as_micros() as u64;
    match result {
        Ok(r) => tracing::debug!(
            target: "roost_orm::query",
            sql = %statement.sql,
            params = statement.params.len(),
            rows = r.rows.len(),
            changes = r.changes,
            duration_us,
            "query"
        ),
        Err(e) => tracing::warn!(
            target: "roost_orm::query",
            sql = %statement.sql,
            params = statement.params.len(),
            error = %e,
            duration_us,
            "query failed"
        ),
    }
}
