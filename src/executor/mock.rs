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
    round_trips: u64,
    script: VecDeque<Result<QueryResult>>,
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

    fn answer(state: &mut MockState, statement: &Statement) -> Result<QueryResult> {
        state.statements.push(statement.clone());
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
