//! A scripted executor for unit tests of the SQL a call produces.
//!
//! It records every statement (and which ones arrived in a batch), and answers with the
//! results queued by [`MockExecutor::push`] in order, or an empty result when the queue
//! is empty. It never parses SQL.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::error::{OrmError, Result};
use crate::executor::{Executor, QueryResult, Statement};

#[derive(Debug, Default)]
struct MockState {
    statements: Vec<Statement>,
    /// For each statement: the start token of the session it ran in, or None (plain).
    session_log: Vec<Option<String>>,
    round_trips: u64,
    script: VecDeque<Result<QueryResult>>,
    sessions_disabled: bool,
    sessions_started: Vec<String>,
    writes: u64,
}

/// A session of the [`MockExecutor`]: remembers what it started from and its bookmark.
#[derive(Debug)]
pub struct MockSession {
    start: String,
    bookmark: Mutex<Option<String>>,
}

/// An [`Executor`] that records statements and returns scripted results.
///
/// Clones share the same record, so a test can keep one handle and give another to
/// [`Orm::new`](crate::Orm::new).
///
/// ```
/// use roost_orm::{MockExecutor, QueryResult};
/// use serde_json::json;
/// let mock = MockExecutor::new();
/// mock.push(QueryResult::rows(["id", "title"], [vec![json!(1), json!("Hello")]]));
/// assert!(mock.statements().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MockExecutor {
    state: Arc<Mutex<MockState>>,
}

impl MockExecutor {
    /// An empty mock.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MockState> {
        // A poisoned lock only means a test panicked while holding it; the data is fine.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue the result of the next statement.
    pub fn push(&self, result: QueryResult) -> &Self {
        self.state().script.push_back(Ok(result));
        self
    }

    /// Queue a failure for the next statement.
    pub fn push_error(&self, message: impl Into<String>) -> &Self {
        self.state()
            .script
            .push_back(Err(OrmError::database(message, "")));
        self
    }

    /// Every statement received so far, in order.
    pub fn statements(&self) -> Vec<Statement> {
        self.state().statements.clone()
    }

    /// The last statement received.
    pub fn last(&self) -> Option<Statement> {
        self.state().statements.last().cloned()
    }

    /// Calls to `run` plus calls to `batch`.
    pub fn round_trips(&self) -> u64 {
        self.state().round_trips
    }

    /// Forget recorded statements (the script is kept).
    pub fn clear(&self) {
        let mut s = self.state();
        s.statements.clear();
        s.round_trips = 0;
    }

    /// Simulate a place without the Sessions API (local dev): `start_session` says so.
    pub fn disable_sessions(&self) -> &Self {
        self.state().sessions_disabled = true;
        self
    }

    /// For each statement received: the start token (constraint or bookmark) of the
    /// session it ran in, or `None` when it ran on the plain binding.
    pub fn session_log(&self) -> Vec<Option<String>> {
        self.state().session_log.clone()
    }

    /// The start tokens of the sessions opened so far.
    pub fn sessions_started(&self) -> Vec<String> {
        self.state().sessions_started.clone()
    }

    fn answer(state: &mut MockState, statement: &Statement) -> Result<QueryResult> {
        Self::answer_in(state, statement, None)
    }

    fn answer_in(
        state: &mut MockState,
        statement: &Statement,
        session: Option<&str>,
    ) -> Result<QueryResult> {
        state.statements.push(statement.clone());
        state.session_log.push(session.map(String::from));
        if statement.is_write() {
            state.writes += 1;
        }
        match state.script.pop_front() {
            Some(Err(OrmError::Database { message, .. })) => {
                Err(OrmError::database(message, statement.sql.clone()))
            }
            Some(result) => result,
            None => Ok(QueryResult::default()),
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for MockExecutor {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        let mut state = self.state();
        state.round_trips += 1;
        Self::answer(&mut state, statement)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        let mut state = self.state();
        state.round_trips += 1;
        statements
            .iter()
            .map(|s| Self::answer(&mut state, s))
            .collect()
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl crate::tenant::SessionCapable for MockExecutor {
    type Session = MockSession;

    fn start_session(&self, constraint_or_bookmark: &str) -> Result<Option<MockSession>> {
        let mut state = self.state();
        if state.sessions_disabled {
            return Ok(None);
        }
        state
            .sessions_started
            .push(constraint_or_bookmark.to_string());
        Ok(Some(MockSession {
            start: constraint_or_bookmark.to_string(),
            bookmark: Mutex::new(None),
        }))
    }

    async fn run_in(&self, session: &MockSession, statement: &Statement) -> Result<QueryResult> {
        let mut state = self.state();
        state.round_trips += 1;
        let result = Self::answer_in(&mut state, statement, Some(&session.start));
        *session.bookmark.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(format!("bookmark-{:06}", state.writes));
        result
    }

    async fn batch_in(
        &self,
        session: &MockSession,
        statements: &[Statement],
    ) -> Result<Vec<QueryResult>> {
        let mut state = self.state();
        state.round_trips += 1;
        let results = statements
            .iter()
            .map(|s| Self::answer_in(&mut state, s, Some(&session.start)))
            .collect();
        *session.bookmark.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(format!("bookmark-{:06}", state.writes));
        results
    }

    fn bookmark(&self, session: &MockSession) -> Option<String> {
        session
            .bookmark
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
