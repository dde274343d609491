//! The one door to a database.
//!
//! [`Executor`] runs a [`Statement`] (SQL text + bound [`SqlValue`]s) and returns a
//! [`QueryResult`]: rows with their column names kept in order, plus `changes` and
//! `last_row_id`; or runs a batch of statements atomically (D1's `batch()`, a transaction
//! on SQLite). The ORM never talks to a database any other way.
//!
//! Implementations: [`SqliteExecutor`] (embedded SQLite, feature `sqlite`, the default),
//! `D1Executor` (Cloudflare D1, feature `d1`) and [`MockExecutor`] (records statements,
//! returns scripted results). Executors do not write SQL; the compiler in
//! [`crate::query`] does.

#[cfg(feature = "d1")]
mod d1;
mod mock;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "d1")]
pub use d1::D1Executor;
pub use mock::MockExecutor;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteExecutor;

use std::sync::Arc;

use serde_json::Value;

use crate::error::Result;
use crate::runtime::{MaybeSend, MaybeSync};
use crate::value::SqlValue;

/// The text of a SQL statement. Compiled text is owned; text the ORM keeps for reuse
/// (a cached `find`) is shared, so handing it out copies nothing. Reads as a `str`.
///
/// ```
/// use roost_orm::SqlText;
/// let text = SqlText::from("SELECT 1");
/// assert_eq!(text, "SELECT 1");
/// assert!(text.starts_with("SELECT"));
/// assert_eq!(text.clone().shared(), text);
/// ```
#[derive(Clone)]
pub struct SqlText(TextRepr);

#[derive(Clone)]
enum TextRepr {
    Owned(String),
    Shared(Arc<str>),
}

impl SqlText {
    /// The text as a `str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            TextRepr::Owned(s) => s,
            TextRepr::Shared(s) => s,
        }
    }

    /// The same text, shared: later clones copy nothing.
    pub fn shared(self) -> SqlText {
        match self.0 {
            TextRepr::Owned(s) => SqlText(TextRepr::Shared(s.into())),
            shared => SqlText(shared),
        }
    }
}

impl std::ops::Deref for SqlText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SqlText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SqlText {
    fn from(text: String) -> Self {
        SqlText(TextRepr::Owned(text))
    }
}

impl From<&str> for SqlText {
    fn from(text: &str) -> Self {
        SqlText(TextRepr::Owned(text.to_string()))
    }
}

impl From<Arc<str>> for SqlText {
    fn from(text: Arc<str>) -> Self {
        SqlText(TextRepr::Shared(text))
    }
}

impl From<SqlText> for String {
    fn from(text: SqlText) -> Self {
        match text.0 {
            TextRepr::Owned(s) => s,
            TextRepr::Shared(s) => s.to_string(),
        }
    }
}

impl PartialEq for SqlText {
    fn eq(&self, other: &SqlText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SqlText {}

impl std::hash::Hash for SqlText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<str> for SqlText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SqlText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SqlText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<SqlText> for &str {
    fn eq(&self, other: &SqlText) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SqlText> for String {
    fn eq(&self, other: &SqlText) -> bool {
        self == other.as_str()
    }
}

impl std::fmt::Debug for SqlText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for SqlText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SQL statement with its bound parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// SQL text with `?` placeholders.
    pub sql: SqlText,
    /// One value per placeholder, in order.
    pub params: Vec<SqlValue>,
}

impl Statement {
    /// A statement from SQL text and parameters.
    pub fn new(sql: impl Into<SqlText>, params: Vec<SqlValue>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }

    /// Whether the statement may write: anything but a `SELECT` / `PRAGMA` read (the
    /// compiler's writes all start with INSERT, UPDATE or DELETE). Sessions mark
    /// themselves on writes by this.
    pub fn is_write(&self) -> bool {
        let keyword = self.sql.split_whitespace().next().unwrap_or("");
        !(keyword.eq_ignore_ascii_case("SELECT") || keyword.eq_ignore_ascii_case("PRAGMA"))
    }
}

/// What one statement returned.
///
/// Column names are shared by all rows of the result (one allocation per result, not per
/// row); each row holds its values in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// Column names, in the order the statement returned them.
    pub columns: Arc<[String]>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// Rows changed by an INSERT / UPDATE / DELETE (0 for a plain SELECT).
    pub changes: u64,
    /// Rowid of the last inserted row.
    pub last_row_id: i64,
}

impl QueryResult {
    /// A result holding rows (for scripting the mock).
    pub fn rows<C, R>(columns: C, rows: R) -> Self
    where
        C: IntoIterator,
        C::Item: Into<String>,
        R: IntoIterator<Item = Vec<Value>>,
    {
        QueryResult {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: rows.into_iter().collect(),
            changes: 0,
            last_row_id: 0,
        }
    }

    /// A result of a write without rows (for scripting the mock).
    pub fn write(changes: u64, last_row_id: i64) -> Self {
        QueryResult {
            changes,
            last_row_id,
            ..Default::default()
        }
    }

    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

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
}
