//! Embedded SQLite through rusqlite (bundled SQLite): the default executor on native
//! builds, for local runs, examples, integration tests and benchmarks.
//!
//! D1 *is* SQLite, so the SQL and its semantics are the same. Statements are prepared
//! once and cached per connection (`prepare_cached`, 256 entries); column names are read
//! once per result. The connection sits behind a mutex: SQLite work is synchronous, so
//! each call runs to completion without yielding.
//!
//! The connection runs with SQLite's query planner stability guarantee
//! (`SQLITE_DBCONFIG_ENABLE_QPSG`): a statement keeps the plan it was prepared with
//! whatever values are bound. Without it, SQLite (3.47 and later) reads the value bound
//! to `LIMIT ?` while planning and marks the statement expired whenever that parameter
//! is bound again, so every cached `SELECT ... LIMIT ?` (each `find`, `first`,
//! `paginate`) was silently re-prepared on every run — about 85% of a `find`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{Executor, QueryResult, Statement};
use crate::value::SqlValue;

/// An [`Executor`] over an embedded SQLite database (file or in-memory).
///
/// ```
/// use roost_orm::SqliteExecutor;
/// let db = SqliteExecutor::memory().unwrap();
/// db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)").unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteExecutor {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteExecutor").finish_non_exhaustive()
    }
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(i) => ValueRef::Integer(*i),
            SqlValue::Real(f) => ValueRef::Real(*f),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
            SqlValue::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
    }
}

impl SqliteExecutor {
    /// Open (or create) a database file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = Connection::open(path.as_ref())
            .map_err(|e| OrmError::database(e.to_string(), "<open>"))?;
        Self::from_connection(conn)
    }

    /// A private in-memory database.
    pub fn memory() -> Result<Self> {
        let conn = Connection::open_in_memory()
            .map_err(|e| OrmError::database(e.to_string(), "<open>"))?;
        Self::from_connection(conn)
    }

    /// Wrap an existing rusqlite connection.
    pub fn from_connection(conn: Connection) -> Result<Self> {
        conn.set_prepared_statement_cache_capacity(256);
        // Keep cached statements prepared (see the module docs).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|e| OrmError::database(e.to_string(), "<db config>"))?;
        // D1 enforces foreign keys; match it.
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(|e| OrmError::database(e.to_string(), "PRAGMA foreign_keys = ON"))?;
        Ok(SqliteExecutor {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned mutex means a panic elsewhere mid-call; SQLite itself is consistent.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run a script of SQL statements without parameters (schema setup, like
    /// `wrangler d1 execute --command`). Model queries never go through here.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.conn()
            .execute_batch(sql)
            .map_err(|e| OrmError::database(e.to_string(), sql))
    }

    /// Run a closure with the raw connection (escape hatch for tests and benchmarks).
    pub fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.conn())
    }

    fn run_on(conn: &Connection, statement: &Statement) -> Result<QueryResult> {
        let fail = |e: rusqlite::Error| OrmError::database(e.to_string(), statement.sql.clone());
        let mut stmt = conn.prepare_cached(&statement.sql).map_err(fail)?;
        let columns: Arc<[String]> = stmt.column_names().into_iter().map(String::from).collect();
        let width = columns.len();
        let mut rows_out = Vec::new();
        {
            let mut rows = stmt
                .query(rusqlite::params_from_iter(statement.params.iter()))
                .map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                let mut values = Vec::with_capacity(width);
                for i in 0..width {
                    values.push(to_json(row.get_ref(i).map_err(fail)?));
                }
                rows_out.push(values);
            }
        }
        let changes = if stmt.readonly() { 0 } else { conn.changes() };
        Ok(QueryResult {
            columns,
            rows: rows_out,
            changes,
            last_row_id: conn.last_insert_rowid(),
        })
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for SqliteExecutor {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        Self::run_on(&self.conn(), statement)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|e| OrmError::database(e.to_string(), "BEGIN"))?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            // On error `tx` drops here and rolls back: all or nothing, as D1's batch.
            results.push(Self::run_on(&tx, statement)?);
        }
        tx.commit()
            .map_err(|e| OrmError::database(e.to_string(), "COMMIT"))?;
        Ok(results)
    }
}

/// Embedded SQLite has no replicas: sessions are "unavailable", so a
/// [`D1SessionHandle`](crate::tenant::D1SessionHandle) over it uses the plain connection,
/// as the original does on local dev.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl crate::tenant::SessionCapable for SqliteExecutor {
    type Session = ();

    fn start_session(&self, _constraint_or_bookmark: &str) -> Result<Option<()>> {
        Ok(None)
    }

    async fn run_in(&self, _: &(), statement: &Statement) -> Result<QueryResult> {
        self.run(statement).await
    }

    async fn batch_in(&self, _: &(), statements: &[Statement]) -> Result<Vec<QueryResult>> {
        self.batch(statements).await
    }

    fn bookmark(&self, _: &()) -> Option<String> {
        None
    }
}
