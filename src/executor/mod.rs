//! The one door to a database.
//!
//! [`Executor`] runs a [`Statement`] (SQL text + bound [`SqlValue`](crate::SqlValue)s) and returns a
//! [`QueryResult`]: rows with their column names kept in order, plus `changes` and
//! `last_row_id`; or runs a batch of statements atomically (D1's `batch()`, a transaction
//! on SQLite). The ORM never talks to a database any other way.
//!
//! Implementations: [`SqliteExecutor`] (embedded SQLite, feature `sqlite`, the default),
//! `D1Executor` (Cloudflare D1, feature `d1`) and [`MockExecutor`] (records statements,
//! returns scripted results). Executors do not write SQL; the compiler in
//! [`crate::query`] does.

mod cell;
#[cfg(feature = "d1")]
mod d1;
mod mock;
mod result;
#[cfg(feature = "sqlite")]
mod sqlite;
mod statement;

#[cfg(feature = "sqlite")]
pub(crate) use cell::with_cells;
pub use cell::{Cell, Cells};
#[cfg(feature = "d1")]
pub use d1::D1Executor;
pub use mock::MockExecutor;
pub use result::QueryResult;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteExecutor, D1_LIMITS};
pub use statement::{SqlText, Statement};

use std::sync::Arc;

use serde_json::Value;

use crate::error::Result;
use crate::runtime::{MaybeSend, MaybeSync};

/// A database the ORM can talk to.
///
/// Futures are `Send` on native targets and `?Send` on `wasm32`.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait Executor: MaybeSend + MaybeSync {
    /// Run one statement: read rows (SELECT, or a write with `RETURNING`) or write.
    async fn run(&self, statement: &Statement) -> Result<QueryResult>;

    /// Run statements in one atomic unit: all succeed or nothing is written.
    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>>;

    /// Run one statement to completion right now, when this executor works without
    /// suspending (embedded SQLite does; a network database cannot): `Some(result)`, or
    /// `None` to say "use [`run`](Executor::run)". The ORM tries this first, which spares
    /// a synchronous executor a boxed future per statement. Must behave as `run` does.
    fn run_now(&self, _statement: &Statement) -> Option<Result<QueryResult>> {
        None
    }

    /// [`batch`](Executor::batch) run right now, like [`run_now`](Executor::run_now).
    fn batch_now(&self, _statements: &[Statement]) -> Option<Result<Vec<QueryResult>>> {
        None
    }

    /// [`run_now`](Executor::run_now), handing each row to `sink` as it is stepped
    /// instead of collecting a [`QueryResult`]: the ORM builds records (or the
    /// caller's structs) straight from the rows, with no result-sized buffer in
    /// between. Returns `changes`, or `None` to say "use `run`". Must behave as `run`.
    fn run_rows_now(&self, _statement: &Statement, _sink: &mut dyn RowSink) -> Option<Result<u64>> {
        None
    }
}

/// Receives a statement's rows one at a time (see [`Executor::run_rows_now`]).
pub trait RowSink: MaybeSend {
    /// The statement's column names: called once, before the first row (and also when
    /// there is none).
    fn columns(&mut self, columns: &Arc<[String]>);
    /// One row, its values in column order. The sink takes what it keeps out of
    /// `values`; the executor clears and reuses the buffer for the next row.
    fn row(&mut self, values: &mut Vec<Value>);
    /// One row as the engine's cells (what the SQLite executor calls): by default
    /// converted into `buffer` (empty on entry, cleared after) and passed to
    /// [`row`](RowSink::row). A sink that can read cells directly overrides it.
    #[cfg(feature = "sqlite")]
    fn row_cells(&mut self, cells: &dyn Cells, buffer: &mut Vec<Value>) -> Result<()> {
        cell::with_cells(cells, |cells| {
            buffer.extend(cells.iter().map(|cell| cell.to_json()));
            self.row(buffer);
            buffer.clear();
        })
    }
}

impl RowSink for QueryResult {
    fn columns(&mut self, columns: &Arc<[String]>) {
        if self.columns.is_empty() {
            self.columns = columns.clone();
        }
    }

    fn row(&mut self, values: &mut Vec<Value>) {
        self.push_row(values.drain(..));
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl<E: Executor + ?Sized> Executor for Arc<E> {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        (**self).run(statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        (**self).batch(statements).await
    }

    fn run_now(&self, statement: &Statement) -> Option<Result<QueryResult>> {
        (**self).run_now(statement)
    }

    fn batch_now(&self, statements: &[Statement]) -> Option<Result<Vec<QueryResult>>> {
        (**self).batch_now(statements)
    }

    fn run_rows_now(&self, statement: &Statement, sink: &mut dyn RowSink) -> Option<Result<u64>> {
        (**self).run_rows_now(statement, sink)
    }
}
