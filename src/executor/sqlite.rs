//! Embedded SQLite through rusqlite (bundled SQLite): the default executor on native
//! builds, for local runs, examples, integration tests and benchmarks.
//!
//! D1 *is* SQLite, so the SQL and its semantics are the same. Statements are prepared
//! once and cached per connection (`prepare_cached`, 256 entries); a statement's column
//! names are read once and shared by all its later results (see `ColumnNames`). The connection sits behind a mutex: SQLite work is synchronous, so
//! each call runs to completion without yielding.
//!
//! Every connection gets D1's limits ([`D1_LIMITS`]): at most 100 bound parameters per
//! statement, 100 KB of SQL text, 2,000,000 bytes per string, BLOB or row (a bound
//! value, a stored row, a function's result), 50-byte LIKE / GLOB patterns, 32
//! arguments per SQL function and 100 columns per table. SQLite's own limits are far
//! higher, so without them a query that D1 rejects would pass every local test.
//! [`SqliteExecutor::with_sqlite_limits`] lifts them for uses that are not about D1.
//!
//! The connection runs with SQLite's query planner stability guarantee
//! (`SQLITE_DBCONFIG_ENABLE_QPSG`): a statement keeps the plan it was prepared with
//! whatever values are bound. Without it, SQLite (3.47 and later) reads the value bound
//! to `LIMIT ?` while planning and marks the statement expired whenever that parameter
//! is bound again, so every cached `SELECT ... LIMIT ?` (each `find`, `first`,
//! `paginate`) was silently re-prepared on every run — about 85% of a `find`.
//!
//! Every connection also turns off SQLite's "double-quoted string" misfeature
//! (`SQLITE_DBCONFIG_DQS_DML` / `DQS_DDL`): with it on, an unknown double-quoted name
//! such as a misspelled `"titel"` silently becomes the string `'titel'`, so
//! `WHERE "titel" = 'titel'` matches every row. D1 keeps the misfeature on (a Worker
//! can't reconfigure its connection), which is why the compiler also qualifies every
//! column reference; here the two defences are both in force, so a local test fails
//! where D1 would. A script run through [`SqliteExecutor::execute_batch`] must spell
//! string literals with single quotes, as standard SQL does.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, StatementStatus, ToSql};
use rustc_hash::FxHashMap;

use crate::error::{OrmError, Result};
use crate::executor::{Cell, Cells, Executor, QueryResult, RowSink, SqlText, Statement};
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
    conn: Arc<Mutex<Conn>>,
}

/// The connection and what is remembered about its results.
struct Conn {
    conn: Connection,
    columns: ColumnNames,
}

/// Column names per statement, read from SQLite once and then shared (one
/// `Arc<[String]>`) by every later result of the same statement, instead of being
/// read and allocated again on every run. Reading a name costs SQLite a mutex round trip
/// and a UTF-8 check; on a `find`, reading and allocating them was ~10% of the call.
///
/// An entry is trusted only while it provably describes the same prepared statement:
/// SQLite's counters for that statement must show exactly one more run since the
/// entry was made and no re-prepare (a schema change re-prepares a statement, and may
/// change its columns), and the column count must match. Anything else — a statement
/// evicted from the cache and prepared anew, or run behind the executor's back through
/// [`SqliteExecutor::with_connection`] — reads the names again.
#[derive(Default)]
struct ColumnNames {
    by_sql: FxHashMap<String, KnownColumns>,
}

struct KnownColumns {
    names: Arc<[String]>,
    runs: i32,
    reprepares: i32,
}

impl ColumnNames {
    /// Statements remembered before the memory is cleared and refilled.
    const CAPACITY: usize = 1024;

    /// The column names of `stmt` (text `sql`), called once per run after its first
    /// step (when any re-prepare has happened).
    fn of(&mut self, sql: &str, stmt: &rusqlite::Statement<'_>) -> Arc<[String]> {
        let runs = stmt.get_status(StatementStatus::Run);
        let reprepares = stmt.get_status(StatementStatus::RePrepare);
        let count = stmt.column_count();
        if let Some(known) = self.by_sql.get_mut(sql) {
            if known.runs.wrapping_add(1) == runs
                && known.reprepares == reprepares
                && known.names.len() == count
            {
                known.runs = runs;
                return known.names.clone();
            }
        }
        let names: Arc<[String]> = (0..count)
            .map(|i| stmt.column_name(i).unwrap_or_default().to_owned())
            .collect();
        if self.by_sql.len() >= Self::CAPACITY {
            self.by_sql.clear();
        }
        self.by_sql.insert(
            sql.to_owned(),
            KnownColumns {
                names: names.clone(),
                runs,
                reprepares,
            },
        );
        names
    }
}

/// D1's limits (see the module docs), set on every connection the executor opens or
/// wraps.
pub const D1_LIMITS: [(Limit, i32); 6] = [
    (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
    (Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000),
    (Limit::SQLITE_LIMIT_LENGTH, 2_000_000),
    (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
    (Limit::SQLITE_LIMIT_FUNCTION_ARG, 32),
    (Limit::SQLITE_LIMIT_COLUMN, 100),
];

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

impl<'a> From<ValueRef<'a>> for Cell<'a> {
    fn from(value: ValueRef<'a>) -> Self {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(t),
            ValueRef::Blob(b) => Cell::Blob(b),
        }
    }
}

/// A stepped rusqlite row as [`Cells`].
struct RowCells<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    len: usize,
    sql: &'r SqlText,
}

impl Cells for RowCells<'_, '_> {
    fn len(&self) -> usize {
        self.len
    }

    fn fill<'s>(&'s self, out: &mut [Cell<'s>]) -> Result<()> {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self
                .row
                .get_ref(i)
                .map_err(|e| OrmError::database(e.to_string(), self.sql.clone()))?
                .into();
        }
        Ok(())
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
        // An unknown double-quoted name is an error, never a string (see the module docs).
        for dqs in [
            DbConfig::SQLITE_DBCONFIG_DQS_DML,
            DbConfig::SQLITE_DBCONFIG_DQS_DDL,
        ] {
            conn.set_db_config(dqs, false)
                .map_err(|e| OrmError::database(e.to_string(), "<db config>"))?;
        }
        for (limit, value) in D1_LIMITS {
            conn.set_limit(limit, value)
                .map_err(|e| OrmError::database(e.to_string(), "<limits>"))?;
        }
        // D1 enforces foreign keys; match it.
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .map_err(|e| OrmError::database(e.to_string(), "PRAGMA foreign_keys = ON"))?;
        Ok(SqliteExecutor {
            conn: Arc::new(Mutex::new(Conn {
                conn,
                columns: ColumnNames::default(),
            })),
        })
    }

    /// Lift [`D1_LIMITS`] back to SQLite's own maxima, for a database that is not
    /// standing in for D1.
    ///
    /// ```
    /// use roost_orm::SqliteExecutor;
    /// let db = SqliteExecutor::memory().unwrap().with_sqlite_limits();
    /// ```
    pub fn with_sqlite_limits(self) -> Self {
        self.with_connection(|conn| {
            for (limit, _) in D1_LIMITS {
                // SQLite caps a raised limit at its compiled-in maximum.
                let _ = conn.set_limit(limit, i32::MAX);
            }
        });
        self
    }

    fn conn(&self) -> MutexGuard<'_, Conn> {
        // A poisoned mutex means a panic elsewhere mid-call; SQLite itself is consistent.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run a script of SQL statements without parameters (schema setup and seeding,
    /// like `wrangler d1 execute --file`). Model queries never go through here.
    ///
    /// A script may be longer than D1's 100 KB statement limit: SQLite checks that
    /// limit against the whole text it is handed, so it is lifted for the script (a
    /// seed file of many small statements is fine on D1 too, where each statement is
    /// sent on its own).
    ///
    /// The statements are split by SQLite's own parser (quotes, comments, trigger
    /// bodies) and each is run as rusqlite's `execute_batch` would, one step; the time
    /// taken is linear in the script's length (rusqlite's own `execute_batch` is
    /// quadratic: SQLite copies the rest of the script for every statement). A failure
    /// names the
    /// statement that failed: its position in the script, and as the error's SQL its
    /// text (the whole script when SQLite can't say where the statement ends).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        let guard = self.conn();
        let conn = &guard.conn;
        let limit = conn.limit(Limit::SQLITE_LIMIT_SQL_LENGTH).ok();
        if limit.is_some() {
            let _ = conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, i32::MAX);
        }
        let result = run_script(conn, sql);
        if let Some(limit) = limit {
            let _ = conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, limit);
        }
        result
    }

    /// Run a closure with the raw connection (escape hatch for tests and benchmarks).
    pub fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.conn().conn)
    }

    /// Run one statement (SQLite work is synchronous: this is `run` without a future).
    fn run_sync(&self, statement: &Statement) -> Result<QueryResult> {
        let mut guard = self.conn();
        let Conn { conn, columns } = &mut *guard;
        Self::run_on(conn, columns, statement)
    }

    /// Run statements in one transaction: all or nothing, as D1's batch.
    fn batch_sync(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        let mut guard = self.conn();
        let Conn { conn, columns } = &mut *guard;
        let tx = conn
            .transaction()
            .map_err(|e| OrmError::database(e.to_string(), "BEGIN"))?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            // On error `tx` drops here and rolls back.
            results.push(Self::run_on(&tx, columns, statement)?);
        }
        tx.commit()
            .map_err(|e| OrmError::database(e.to_string(), "COMMIT"))?;
        Ok(results)
    }

    fn run_on(
        conn: &Connection,
        names: &mut ColumnNames,
        statement: &Statement,
    ) -> Result<QueryResult> {
        let mut result = QueryResult::default();
        let (changes, last_row_id) = Self::step(conn, names, statement, &mut result)?;
        result.changes = changes;
        result.last_row_id = last_row_id;
        Ok(result)
    }

    /// Run `statement`, handing each row to `sink` as it is stepped; returns
    /// `(changes, last_row_id)`.
    fn step(
        conn: &Connection,
        names: &mut ColumnNames,
        statement: &Statement,
        sink: &mut dyn RowSink,
    ) -> Result<(u64, i64)> {
        let fail = |e: rusqlite::Error| OrmError::database(e.to_string(), statement.sql.clone());
        let mut stmt = conn.prepare_cached(&statement.sql).map_err(fail)?;
        let mut named = false;
        {
            let mut rows = stmt
                .query(rusqlite::params_from_iter(statement.params.iter()))
                .map_err(fail)?;
            // The default `row_cells` fills this buffer (its first `extend` sizes it);
            // the model and typed sinks never touch it, so it is never allocated there.
            let mut values = Vec::new();
            while let Some(row) = rows.next().map_err(fail)? {
                if !named {
                    // Names are read after the first step, once any re-prepare is done.
                    let columns = names.of(&statement.sql, row.as_ref());
                    sink.columns(&columns);
                    named = true;
                }
                let cells = RowCells {
                    row,
                    len: row.as_ref().column_count(),
                    sql: &statement.sql,
                };
                sink.row_cells(&cells, &mut values)?;
            }
        }
        if !named {
            sink.columns(&names.of(&statement.sql, &stmt));
        }
        let changes = if stmt.readonly() { 0 } else { conn.changes() };
        Ok((changes, conn.last_insert_rowid()))
    }

    /// Run one statement into `sink` (SQLite work is synchronous).
    fn rows_sync(&self, statement: &Statement, sink: &mut dyn RowSink) -> Result<u64> {
        let mut guard = self.conn();
        let Conn { conn, columns } = &mut *guard;
        Ok(Self::step(conn, columns, statement, sink)?.0)
    }
}

/// Run each statement of `script` in turn (one step each, as rusqlite's
/// `execute_batch` does), in time linear in its length.
///
/// rusqlite's `execute_batch` hands SQLite the rest of the script for every statement,
/// and SQLite copies text it is handed unless the text ends in a NUL byte — so a script
/// of n statements cost O(n²) bytes copied (a 100,000-row seed file took minutes).
/// Here the script is copied once into a NUL-terminated buffer and SQLite prepares
/// each statement in place from it (`rusqlite::Batch`, which passes the remaining text
/// with its length; ending in the NUL, it is never copied).
fn run_script(conn: &Connection, script: &str) -> Result<()> {
    use rusqlite::fallible_iterator::FallibleIterator;
    let mut text = String::with_capacity(script.len() + 1);
    text.push_str(script);
    text.push('\0');
    let mut statements = rusqlite::Batch::new(conn, &text);
    let mut done = 0usize;
    loop {
        let mut stmt = match statements.next() {
            Ok(Some(stmt)) => stmt,
            Ok(None) => return Ok(()),
            Err(e) => return Err(script_error(e, done + 1, None, script)),
        };
        // One step, as rusqlite's `execute_batch` (a PRAGMA may return a row).
        let stepped = stmt.raw_query().next().map(|_| ());
        if let Err(e) = stepped {
            return Err(script_error(e, done + 1, stmt.expanded_sql(), script));
        }
        done += 1;
    }
}

/// The error of statement `number` (1-based) of a script: SQLite's message and where
/// in the script; as its SQL the statement's text when known (`text`, or the failing
/// token's statement for a parse error), else the whole script.
fn script_error(e: rusqlite::Error, number: usize, text: Option<String>, script: &str) -> OrmError {
    if let rusqlite::Error::SqlInputError {
        msg, sql, offset, ..
    } = &e
    {
        // `sql` is the rest of the script from the failing statement on: keep that
        // statement (up to the first `;` after the failing token).
        let rest = sql.trim_end_matches('\0');
        let from = usize::try_from(*offset).unwrap_or(0).min(rest.len());
        let end = rest
            .get(from..)
            .and_then(|tail| tail.find(';'))
            .map_or(rest.len(), |i| from + i + 1);
        let statement = rest.get(..end).unwrap_or(rest).trim();
        return OrmError::database(
            format!("{msg} (statement {number} of the script, at byte {offset} of it)"),
            statement,
        );
    }
    OrmError::database(
        format!("{e} (statement {number} of the script)"),
        text.map_or_else(|| script.to_string(), |t| t.trim().to_string()),
    )
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for SqliteExecutor {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        self.run_sync(statement)
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        self.batch_sync(statements)
    }

    fn run_now(&self, statement: &Statement) -> Option<Result<QueryResult>> {
        Some(self.run_sync(statement))
    }

    fn batch_now(&self, statements: &[Statement]) -> Option<Result<Vec<QueryResult>>> {
        Some(self.batch_sync(statements))
    }

    fn run_rows_now(&self, statement: &Statement, sink: &mut dyn RowSink) -> Option<Result<u64>> {
        Some(self.rows_sync(statement, sink))
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
