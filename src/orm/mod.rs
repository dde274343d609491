//! [`Orm`]: the database and tenant of one request.
//!
//! An `Orm` is a cheap handle (an `Arc`). It is never global: [`Orm::scope`] makes it
//! current for one future, and the model statics find it there ([`Orm::current`]); with
//! none current they fail with [`OrmError::OrmNotBooted`](crate::OrmError::OrmNotBooted).
//! It carries the request's [`TenantContext`] and the set of model types whose tenant
//! scope is bypassed for the future being run (`without_tenant_scope`), so a bypass
//! reaches exactly the code inside it and nothing running beside it.
//! Every statement the ORM sends passes through [`Orm::run`] / [`Orm::batch`], which
//! count round trips and statements, hold the request to its query budget
//! ([`Orm::set_query_budget`]) and emit the `tracing` query log. This module must not
//! write SQL.

mod raw;
mod scope;

pub use scope::Scoped;

use std::any::TypeId;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::error::Result;
use crate::executor::{Executor, QueryResult, RowSink, Statement};
use crate::tenant::{D1SessionHandle, SessionCapable, SessionControl, TenantContext};

struct Inner {
    executor: RwLock<Arc<dyn Executor>>,
    session: RwLock<Option<Arc<dyn SessionControl>>>,
    tenant: TenantContext,
    /// `run` calls. Counted apart from batches so that a single statement costs one
    /// atomic increment, not two (round trips and statements are derived).
    runs: AtomicU64,
    /// `batch` calls.
    batches: AtomicU64,
    /// Statements sent in batches.
    batched_statements: AtomicU64,
    /// The most statements this `Orm` may send ([`NO_BUDGET`] for no limit).
    budget: AtomicU64,
    /// Mass assignment refuses guarded keys instead of dropping them.
    strict_mass_assignment: std::sync::atomic::AtomicBool,
}

/// The `budget` of an `Orm` without a query budget.
const NO_BUDGET: u64 = u64::MAX;

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
    /// Model types whose tenant scope or events are off for the future this handle
    /// scopes (`None` when there are none, so cloning a plain handle touches one
    /// reference count).
    overrides: Option<Arc<Overrides>>,
}

/// What a scoped handle switches off, per model type (one pointer in every `Orm`, so
/// cloning a plain handle stays one reference count).
#[derive(Debug, Default, Clone)]
struct Overrides {
    /// Tenant scope off (`without_tenant_scope`).
    bypassed: Vec<TypeId>,
    /// Events off (`without_events`).
    muted: Vec<TypeId>,
    /// Timestamps off (`without_timestamps`).
    untimed: Vec<TypeId>,
}

impl std::fmt::Debug for Orm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orm")
            .field("round_trips", &self.round_trips())
            .field("statements", &self.statements())
            .field("query_budget", &self.query_budget())
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
        Self::with_context(executor, TenantContext::new())
    }

    /// An `Orm` over `executor` sharing an existing tenant context (the provider and
    /// the middleware hold the same one).
    pub fn with_context(executor: Arc<dyn Executor>, tenant: TenantContext) -> Self {
        Orm {
            inner: Arc::new(Inner {
                executor: RwLock::new(executor),
                session: RwLock::new(None),
                tenant,
                runs: AtomicU64::new(0),
                batches: AtomicU64::new(0),
                batched_statements: AtomicU64::new(0),
                budget: AtomicU64::new(NO_BUDGET),
                strict_mass_assignment: Default::default(),
            }),
            overrides: None,
        }
    }

    /// A fresh `Orm` for another request: same database and query budget, its own
    /// tenant context and counters (so its budget starts unspent). Build one per
    /// request from an app-wide `Orm`.
    pub fn new_request(&self) -> Orm {
        let orm = Self::from_arc(self.executor()).with_query_budget(self.query_budget());
        orm.prevent_silently_discarding_attributes(self.prevents_silently_discarding());
        orm
    }

    /// Make mass assignment (`create`, `fill`, `make`, `update`, ...) refuse a guarded
    /// key with [`OrmError::MassAssignment`](crate::OrmError::MassAssignment) instead of
    /// dropping it (Laravel `Model::preventSilentlyDiscardingAttributes()`). Off by
    /// default; carried to [`new_request`](Self::new_request) handles.
    pub fn prevent_silently_discarding_attributes(&self, strict: bool) {
        self.inner
            .strict_mass_assignment
            .store(strict, Ordering::Relaxed);
    }

    /// Whether mass assignment refuses guarded keys (see
    /// [`prevent_silently_discarding_attributes`](Self::prevent_silently_discarding_attributes)).
    pub fn prevents_silently_discarding(&self) -> bool {
        self.inner.strict_mass_assignment.load(Ordering::Relaxed)
    }

    /// Limit the statements this `Orm` sends in all (counted by
    /// [`statements`](Orm::statements), a batch counting each of its statements, as
    /// D1's per-invocation query limit does): a [`run`](Orm::run) or
    /// [`batch`](Orm::batch) that would take the count past `budget` is
    /// [`OrmError::QueryBudgetExceeded`](crate::OrmError::QueryBudgetExceeded) and
    /// sends nothing. `None` (the default of [`Orm::new`]: a long-lived native `Orm`
    /// serves many requests) sets no limit. The provider sets `OrmConfig::query_budget`
    /// on each request's `Orm` — D1's 1,000 of the paid plan by default; the free
    /// plan's is 50.
    ///
    /// ```
    /// use roost_orm::{Orm, OrmError, SqliteExecutor, Statement};
    /// # futures::executor::block_on(async {
    /// let orm = Orm::new(SqliteExecutor::memory().unwrap());
    /// orm.set_query_budget(Some(2));
    /// let one = Statement::new("SELECT 1", vec![]);
    /// orm.run(&one).await.unwrap();
    /// let err = orm.batch(&[one.clone(), one.clone()]).await.unwrap_err();
    /// assert!(matches!(err, OrmError::QueryBudgetExceeded { budget: 2, used: 1, requested: 2 }));
    /// orm.run(&one).await.unwrap(); // the second of two
    /// assert_eq!(orm.statements(), 2);
    /// # });
    /// ```
    pub fn set_query_budget(&self, budget: Option<u64>) {
        self.inner
            .budget
            .store(budget.unwrap_or(NO_BUDGET), Ordering::Relaxed);
    }

    /// This `Orm` with a query budget ([`Orm::set_query_budget`]).
    pub fn with_query_budget(self, budget: Option<u64>) -> Self {
        self.set_query_budget(budget);
        self
    }

    /// The query budget ([`Orm::set_query_budget`]), if any.
    pub fn query_budget(&self) -> Option<u64> {
        match self.inner.budget.load(Ordering::Relaxed) {
            NO_BUDGET => None,
            budget => Some(budget),
        }
    }

    /// Count `n` statements on `counter` (runs, or batched statements), unless that
    /// would take [`statements`](Orm::statements) past the budget: then nothing is
    /// counted and the call is refused. The count is taken before the check, so two
    /// calls racing for the last statements of a budget can't both pass.
    fn count_statements(&self, counter: &AtomicU64, n: u64) -> Result<()> {
        let budget = self.inner.budget.load(Ordering::Relaxed);
        counter.fetch_add(n, Ordering::Relaxed);
        if budget == NO_BUDGET {
            return Ok(());
        }
        let total = self.statements();
        if total <= budget {
            return Ok(());
        }
        counter.fetch_sub(n, Ordering::Relaxed);
        let used = total.saturating_sub(n);
        tracing::warn!(
            target: "roost_orm::query",
            budget,
            used,
            requested = n,
            "query budget exceeded: nothing sent"
        );
        Err(crate::OrmError::QueryBudgetExceeded {
            budget,
            used,
            requested: n,
        })
    }

    /// The request's tenant context.
    pub fn tenant(&self) -> &TenantContext {
        &self.inner.tenant
    }

    /// An `Orm` whose queries go through a D1 session handle (read-your-writes), with
    /// the handle's bookmark readable through [`Orm::latest_bookmark`].
    pub fn with_session<E: SessionCapable + 'static>(
        handle: D1SessionHandle<E>,
        tenant: TenantContext,
    ) -> Self {
        let orm = Self::with_context(Arc::new(NoDatabase), tenant);
        orm.use_session(handle);
        orm
    }

    /// Route this request's queries through a (new) session handle.
    pub fn use_session<E: SessionCapable + 'static>(&self, handle: D1SessionHandle<E>) {
        let handle = Arc::new(handle);
        self.use_executor(handle.clone());
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(handle);
    }

    /// The session controls of this request, when it uses a session handle.
    pub fn session(&self) -> Option<Arc<dyn SessionControl>> {
        self.inner
            .session
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The newest D1 bookmark of this request's session (send it to the client, e.g.
    /// as an `x-d1-bookmark` header); `None` without a session or before a query.
    pub fn latest_bookmark(&self) -> Option<String> {
        self.session().and_then(|s| s.latest_bookmark())
    }

    /// Swap the database of this request (the provider's per-tenant database strategy).
    pub fn use_executor(&self, executor: Arc<dyn Executor>) {
        *self
            .inner
            .executor
            .write()
            .unwrap_or_else(|e| e.into_inner()) = executor;
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// This handle with `change` made to its overrides.
    fn overriding(&self, change: impl FnOnce(&mut Overrides)) -> Orm {
        let mut overrides = self.overrides.as_deref().cloned().unwrap_or_default();
        change(&mut overrides);
        Orm {
            overrides: Some(Arc::new(overrides)),
            ..self.clone()
        }
    }

    /// This handle with model type `model`'s tenant scope bypassed.
    pub(crate) fn bypassing(&self, model: TypeId) -> Orm {
        self.overriding(|o| o.bypassed.push(model))
    }

    /// This handle with model type `model`'s events off.
    pub(crate) fn muting(&self, model: TypeId) -> Orm {
        self.overriding(|o| o.muted.push(model))
    }

    /// This handle with model type `model`'s timestamps off.
    pub(crate) fn untiming(&self, model: TypeId) -> Orm {
        self.overriding(|o| o.untimed.push(model))
    }

    /// Whether model type `model`'s timestamps are off here.
    pub(crate) fn is_untimed(&self, model: TypeId) -> bool {
        self.overrides
            .as_ref()
            .is_some_and(|o| o.untimed.contains(&model))
    }

    /// Whether model type `model`'s events are off here.
    pub(crate) fn is_muted(&self, model: TypeId) -> bool {
        self.overrides
            .as_ref()
            .is_some_and(|o| o.muted.contains(&model))
    }

    /// Whether model type `model`'s tenant scope is bypassed here.
    pub(crate) fn is_bypassed(&self, model: TypeId) -> bool {
        self.overrides
            .as_ref()
            .is_some_and(|o| o.bypassed.contains(&model))
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
        scope::current().ok_or(crate::OrmError::OrmNotBooted { model: None })
    }

    /// The `Orm` of the current request scope for an operation of model `M`: first
    /// the check of `M`'s declaration ([`OrmError::InvalidModel`](crate::OrmError::InvalidModel)
    /// for a misconfigured model), then the scope (`OrmNotBooted` naming `M`). Every
    /// model query and write starts here, so neither can run for a bad declaration.
    pub fn current_for<M: crate::model::ModelDef>() -> Result<Orm> {
        crate::model::check_model::<M>()?;
        scope::current().ok_or_else(|| crate::OrmError::OrmNotBooted {
            model: Some(M::model_name()),
        })
    }

    /// The executor, borrowed under the read lock (never held across an await).
    fn read_executor(&self) -> std::sync::RwLockReadGuard<'_, Arc<dyn Executor>> {
        self.inner
            .executor
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The executor behind this `Orm`.
    pub fn executor(&self) -> Arc<dyn Executor> {
        self.inner
            .executor
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Round trips sent so far (`run` calls plus `batch` calls): on D1 each costs
    /// milliseconds, so this is a performance figure tests can assert exactly.
    pub fn round_trips(&self) -> u64 {
        self.inner.runs.load(Ordering::Relaxed) + self.inner.batches.load(Ordering::Relaxed)
    }

    /// Statements sent so far (a batch counts each of its statements).
    pub fn statements(&self) -> u64 {
        self.inner.runs.load(Ordering::Relaxed)
            + self.inner.batched_statements.load(Ordering::Relaxed)
    }

    /// Run one statement (counted and logged). Past the query budget
    /// ([`Orm::set_query_budget`]) it is
    /// [`OrmError::QueryBudgetExceeded`](crate::OrmError::QueryBudgetExceeded), not sent.
    pub async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        self.count_statements(&self.inner.runs, 1)?;
        let started = log_start();
        // A synchronous executor (SQLite) runs the statement right here, under the read
        // lock and without a boxed future; the others are awaited.
        let now = self.read_executor().run_now(statement);
        let result = match now {
            Some(result) => result,
            None => {
                let executor = self.executor();
                // Through the trait object itself: `Arc<dyn Executor>` also implements
                // `Executor`, and going through that impl would box a second future.
                executor.as_ref().run(statement).await
            }
        };
        if let Some(started) = started {
            log(statement, &result, started);
        }
        result
    }

    /// Run one statement, handing its rows to `sink` as they are read (counted and
    /// logged like [`run`](Self::run)); returns `changes`. A synchronous executor
    /// (SQLite) steps rows straight into the sink; the others return a result whose
    /// rows are then fed to it.
    pub(crate) async fn run_rows(
        &self,
        statement: &Statement,
        sink: &mut dyn RowSink,
    ) -> Result<u64> {
        self.count_statements(&self.inner.runs, 1)?;
        let started = log_start();
        let mut counted = CountRows { sink, rows: 0 };
        let now = self.read_executor().run_rows_now(statement, &mut counted);
        let result = match now {
            Some(result) => result,
            None => {
                let executor = self.executor();
                match executor.as_ref().run(statement).await {
                    Ok(result) => {
                        let changes = result.changes;
                        result.feed(&mut counted);
                        Ok(changes)
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Some(started) = started {
            let logged = result
                .as_ref()
                .map(|&changes| QueryResult::write(changes, 0))
                .map_err(Clone::clone);
            log_rows(statement, &logged, counted.rows, started);
        }
        result
    }

    /// Run statements atomically in one round trip (counted and logged). A batch that
    /// would take the count past the query budget ([`Orm::set_query_budget`]) is
    /// [`OrmError::QueryBudgetExceeded`](crate::OrmError::QueryBudgetExceeded): none
    /// of it is sent.
    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        self.count_statements(&self.inner.batched_statements, statements.len() as u64)?;
        self.inner.batches.fetch_add(1, Ordering::Relaxed);
        let started = log_start();
        let now = self.read_executor().batch_now(statements);
        let result = match now {
            Some(result) => result,
            None => {
                let executor = self.executor();
                executor.as_ref().batch(statements).await
            }
        };
        let Some(started) = started else {
            return result;
        };
        let elapsed = started.elapsed();
        match &result {
            Ok(results) => {
                for (statement, r) in statements.iter().zip(results) {
                    tracing::debug!(
                        target: "roost_orm::query",
                        sql = %statement.sql,
                        params = statement.params.len(),
                        rows = r.len(),
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

/// The start time of a statement when a subscriber wants the query log (its events
/// are `debug`, failures `warn`), else `None`: with nobody listening, neither the clock
/// nor the event is paid for.
fn log_start() -> Option<web_time::Instant> {
    tracing::enabled!(target: "roost_orm::query", tracing::Level::WARN).then(web_time::Instant::now)
}

fn log(statement: &Statement, result: &Result<QueryResult>, started: web_time::Instant) {
    let rows = result.as_ref().map(QueryResult::len).unwrap_or(0);
    log_rows(statement, result, rows, started)
}

fn log_rows(
    statement: &Statement,
    result: &Result<QueryResult>,
    rows: usize,
    started: web_time::Instant,
) {
    let duration_us = started.elapsed().as_micros() as u64;
    match result {
        Ok(r) => tracing::debug!(
            target: "roost_orm::query",
            sql = %statement.sql,
            params = statement.params.len(),
            rows,
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

/// A sink that counts the rows it passes on (for the query log).
struct CountRows<'a> {
    sink: &'a mut dyn RowSink,
    rows: usize,
}

impl RowSink for CountRows<'_> {
    fn columns(&mut self, columns: &Arc<[String]>) {
        self.sink.columns(columns);
    }

    fn row(&mut self, values: &mut Vec<serde_json::Value>) {
        self.rows += 1;
        self.sink.row(values);
    }

    #[cfg(feature = "sqlite")]
    fn row_cells(
        &mut self,
        cells: &dyn crate::executor::Cells,
        buffer: &mut Vec<serde_json::Value>,
    ) -> Result<()> {
        self.rows += 1;
        self.sink.row_cells(cells, buffer)
    }
}

/// Placeholder executor of an `Orm` under construction, before its binding is
/// attached; never reached by queries once it is.
pub(crate) struct NoDatabase;

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for NoDatabase {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        Err(crate::OrmError::database(
            "no database bound",
            statement.sql.clone(),
        ))
    }

    async fn batch(&self, _: &[Statement]) -> Result<Vec<QueryResult>> {
        Err(crate::OrmError::database("no database bound", "<batch>"))
    }
}
