//! [`D1SessionHandle`]: read-your-writes on D1 through the Sessions API (TS
//! `D1SessionHandle`).
//!
//! As documented: `mark_written(token?)` records a write; from then on the handle runs
//! queries in a session started from that token (`first-primary` when none is given),
//! so reads go to a replica that has seen the write; where sessions are unavailable
//! (local dev) it falls back to the plain binding. Better than the original, whose
//! provider wrapped the binding before any write so `markWritten()` never took effect:
//!
//! - with *auto-marking* on (the provider's `use_session`), every write that passes
//!   through the handle marks the session itself before it runs;
//! - [`latest_bookmark`](D1SessionHandle::latest_bookmark) returns the session's newest
//!   bookmark, so a handler can send it back (e.g. an `x-d1-bookmark` header), and
//!   [`resume_from`](D1SessionHandle::resume_from) starts the next request's session from
//!   it, so that request reads at least what the previous one wrote.
//!
//! The handle is an [`Executor`] over any [`SessionCapable`] executor: D1 in a Worker,
//! or the mock natively, which is how this logic is tested without a network.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Result;
use crate::executor::{Executor, QueryResult, Statement};
use crate::runtime::{MaybeSend, MaybeSync};

/// The session constraint that sends the first query to the primary.
pub const FIRST_PRIMARY: &str = "first-primary";
/// The session constraint that lets the first query go to any replica.
pub const FIRST_UNCONSTRAINED: &str = "first-unconstrained";

/// An executor that can run statements inside a D1-style session.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait SessionCapable: Executor {
    /// A live session.
    type Session: MaybeSend + MaybeSync + 'static;

    /// Start a session from a constraint (`first-primary`, `first-unconstrained`) or a
    /// bookmark; `Ok(None)` when sessions are not available here.
    fn start_session(&self, constraint_or_bookmark: &str) -> Result<Option<Self::Session>>;

    /// Run one statement in `session`.
    async fn run_in(&self, session: &Self::Session, statement: &Statement) -> Result<QueryResult>;

    /// Run statements atomically in `session`.
    async fn batch_in(
        &self,
        session: &Self::Session,
        statements: &[Statement],
    ) -> Result<Vec<QueryResult>>;

    /// The newest bookmark the session has seen.
    fn bookmark(&self, session: &Self::Session) -> Option<String>;
}

struct State<S> {
    /// The constraint or bookmark the next session starts from, once one is needed.
    start: Option<String>,
    session: Option<Arc<S>>,
    unsupported: bool,
    bookmark: Option<String>,
}

/// What [`D1SessionHandle::session_aware_raw`] hands out: the plain binding, or the
/// session it should be used through.
pub enum SessionAwareRaw<'a, E: SessionCapable> {
    /// No write marked (or sessions unavailable): the plain binding.
    Plain(&'a E),
    /// The read-your-writes session.
    Session(Arc<E::Session>),
}

/// A binding wrapped for read-your-writes consistency.
///
/// ```
/// use roost_orm::tenant::D1SessionHandle;
/// use roost_orm::MockExecutor;
/// let handle = D1SessionHandle::new(MockExecutor::new());
/// assert!(handle.latest_bookmark().is_none());
/// handle.mark_written(None);
/// ```
pub struct D1SessionHandle<E: SessionCapable> {
    db: E,
    auto_mark: bool,
    state: Mutex<State<E::Session>>,
}

impl<E: SessionCapable> std::fmt::Debug for D1SessionHandle<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("D1SessionHandle")
            .field("auto_mark", &self.auto_mark)
            .field("start", &state.start)
            .field("in_session", &state.session.is_some())
            .field("bookmark", &state.bookmark)
            .finish()
    }
}

impl<E: SessionCapable> D1SessionHandle<E> {
    /// Wrap a binding; queries use the plain binding until `mark_written` (TS
    /// `new D1SessionHandle(db)`).
    pub fn new(db: E) -> Self {
        D1SessionHandle {
            db,
            auto_mark: false,
            state: Mutex::new(State {
                start: None,
                session: None,
                unsupported: false,
                bookmark: None,
            }),
        }
    }

    /// Wrap a binding so that every write through the handle marks the session itself
    /// (what the provider's `use_session` builds).
    pub fn auto_marking(db: E) -> Self {
        D1SessionHandle {
            auto_mark: true,
            ..Self::new(db)
        }
    }

    fn state(&self) -> MutexGuard<'_, State<E::Session>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record that a write happened (TS `markWritten(token?)`): later queries run in a
    /// session started from `token`, or `first-primary` when none is given. A session
    /// already running is kept (it has seen the write).
    pub fn mark_written(&self, token: Option<&str>) {
        let mut state = self.state();
        if state.session.is_none() {
            state.start = Some(token.unwrap_or(FIRST_PRIMARY).to_string());
        }
    }

    /// Start this request's session from a bookmark a client sent back, so every
    /// query reads at least what that bookmark saw. Empty text is ignored.
    pub fn resume_from(&self, bookmark: &str) {
        if bookmark.trim().is_empty() {
            return;
        }
        let mut state = self.state();
        state.session = None;
        state.start = Some(bookmark.to_string());
    }

    /// The newest bookmark seen by this handle's session (send it back to the client).
    pub fn latest_bookmark(&self) -> Option<String> {
        self.state().bookmark.clone()
    }

    /// Whether queries currently run in a session.
    pub fn in_session(&self) -> bool {
        self.state().session.is_some()
    }

    /// The wrapped binding.
    pub fn inner(&self) -> &E {
        &self.db
    }

    /// The handle queries should use now (TS `sessionAwareRaw()`): the session when a
    /// write was marked and sessions work, else the plain binding.
    pub fn session_aware_raw(&self) -> Result<SessionAwareRaw<'_, E>> {
        Ok(match self.session(false)? {
            Some(session) => SessionAwareRaw::Session(session),
            None => SessionAwareRaw::Plain(&self.db),
        })
    }

    /// The session to use, starting it if one is due (`writes`: the statement writes).
    fn session(&self, writes: bool) -> Result<Option<Arc<E::Session>>> {
        let mut state = self.state();
        if let Some(session) = &state.session {
            return Ok(Some(session.clone()));
        }
        if writes && self.auto_mark && state.start.is_none() {
            state.start = Some(FIRST_PRIMARY.to_string());
        }
        let Some(start) = state.start.clone() else {
            return Ok(None);
        };
        if state.unsupported {
            return Ok(None);
        }
        match self.db.start_session(&start)? {
            Some(session) => {
                let session = Arc::new(session);
                state.session = Some(session.clone());
                Ok(Some(session))
            }
            None => {
                tracing::debug!(target: "roost_orm::session", "D1 sessions unavailable: using the plain binding");
                state.unsupported = true;
                Ok(None)
            }
        }
    }

    fn record_bookmark(&self, session: &E::Session) {
        if let Some(bookmark) = self.db.bookmark(session) {
            self.state().bookmark = Some(bookmark);
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl<E: SessionCapable> Executor for D1SessionHandle<E> {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        match self.session(statement.is_write())? {
            Some(session) => {
                let result = self.db.run_in(&session, statement).await;
                self.record_bookmark(&session);
                result
            }
            None => self.db.run(statement).await,
        }
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        match self.session(statements.iter().any(Statement::is_write))? {
            Some(session) => {
                let result = self.db.batch_in(&session, statements).await;
                self.record_bookmark(&session);
                result
            }
            None => self.db.batch(statements).await,
        }
    }
}

/// The session controls a handler needs, whatever the binding type: kept by the
/// [`Orm`](crate::Orm) of a request that uses sessions.
pub trait SessionControl: MaybeSend + MaybeSync {
    /// See [`D1SessionHandle::mark_written`].
    fn mark_written(&self, token: Option<&str>);
    /// See [`D1SessionHandle::resume_from`].
    fn resume_from(&self, bookmark: &str);
    /// See [`D1SessionHandle::latest_bookmark`].
    fn latest_bookmark(&self) -> Option<String>;
}

impl<E: SessionCapable> SessionControl for D1SessionHandle<E> {
    fn mark_written(&self, token: Option<&str>) {
        D1SessionHandle::mark_written(self, token)
    }

    fn resume_from(&self, bookmark: &str) {
        D1SessionHandle::resume_from(self, bookmark)
    }

    fn latest_bookmark(&self) -> Option<String> {
        D1SessionHandle::latest_bookmark(self)
    }
}
