//! Cloudflare D1 through `worker::D1Database` (feature `d1`).
//!
//! Parameters bind as JS values: integers as JS numbers up to 2^53 and as decimal text
//! beyond (SQLite's affinity turns it back into the exact INTEGER; a JS number would
//! round it), blobs as `Uint8Array`. Values *read* back above 2^53 are still rounded by
//! D1's JS API. Rows come back as JS objects whose
//! key order is the column order (a column named like an integer would be reordered by
//! JS; don't do that). `batch` is D1's `batch()`: one implicit transaction.
//!
//! D1 handles are JS values and not `Send`; a Worker isolate is single-threaded, so they
//! are wrapped with `worker::send` to satisfy the native `Send` bound. On the host the
//! module compiles (and is checked in CI) but only runs inside a Worker.

use std::sync::Arc;

use serde_json::{Map, Value};
use wasm_bindgen::JsValue;
use worker::send::{SendFuture, SendWrapper};
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result};

use crate::error::{OrmError, Result};
use crate::executor::{Executor, QueryResult, Statement};
use crate::value::SqlValue;

/// An [`Executor`] over a D1 binding.
///
/// ```ignore
/// let orm = roost_orm::Orm::new(roost_orm::D1Executor::new(env.d1("DB")?));
/// ```
#[derive(Clone)]
pub struct D1Executor {
    db: Arc<SendWrapper<D1Database>>,
}

impl std::fmt::Debug for D1Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("D1Executor").finish_non_exhaustive()
    }
}

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn to_js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        // A JS number holds integers exactly up to 2^53; beyond that bind the digits as
        // text, which SQLite converts back to the exact INTEGER in an INTEGER column or
        // comparison (type affinity) instead of silently rounding.
        SqlValue::Integer(i) if i.unsigned_abs() > MAX_SAFE_INTEGER => {
            JsValue::from_str(&i.to_string())
        }
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(f) => JsValue::from_f64(*f),
        SqlValue::Text(s) => JsValue::from_str(s),
        SqlValue::Blob(b) => js_sys::Uint8Array::from(b.as_slice()).into(),
    }
}

fn bind(prepared: D1PreparedStatement, statement: &Statement) -> Result<D1PreparedStatement> {
    let params: Vec<JsValue> = statement.params.iter().map(to_js).collect();
    prepared
        .bind(&params)
        .map_err(|e| OrmError::database(e.to_string(), statement.sql.clone()))
}

async fn run_prepared(prepared: D1PreparedStatement, sql: &str) -> Result<QueryResult> {
    let prepared = SendWrapper::new(prepared);
    let result = SendFuture::new(async move { prepared.all().await }).await;
    let result = SendWrapper::new(result.map_err(|e| OrmError::database(e.to_string(), sql))?);
    D1Executor::convert(&result, sql)
}

fn convert_batch(
    results: worker::Result<Vec<D1Result>>,
    statements: &[Statement],
) -> Result<Vec<QueryResult>> {
    let results = SendWrapper::new(results.map_err(|e| {
        let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        OrmError::database(e.to_string(), sql.join("; "))
    })?);
    results
        .iter()
        .zip(statements)
        .map(|(r, s)| D1Executor::convert(r, &s.sql))
        .collect()
}

impl D1Executor {
    /// Wrap a D1 binding (`env.d1("DB")?`).
    pub fn new(db: D1Database) -> Self {
        D1Executor {
            db: Arc::new(SendWrapper::new(db)),
        }
    }

    /// The wrapped binding.
    pub fn database(&self) -> &D1Database {
        &self.db
    }

    fn prepare(&self, statement: &Statement) -> Result<D1PreparedStatement> {
        bind(self.db.prepare(statement.sql.as_str()), statement)
    }

    fn convert(result: &D1Result, sql: &str) -> Result<QueryResult> {
        if let Some(error) = result.error() {
            return Err(OrmError::database(error, sql));
        }
        let objects: Vec<Map<String, Value>> = result
            .results()
            .map_err(|e| OrmError::database(e.to_string(), sql))?;
        let columns: Arc<[String]> = objects
            .first()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_else(|| Arc::from(Vec::new()));
        let mut rows = QueryResult::with_columns(columns, objects.len());
        for object in objects {
            rows.push_row(object.into_iter().map(|(_, v)| v));
        }
        let meta = result
            .meta()
            .map_err(|e| OrmError::database(e.to_string(), sql))?;
        rows.changes = meta.as_ref().and_then(|m| m.changes).unwrap_or(0) as u64;
        rows.last_row_id = meta.as_ref().and_then(|m| m.last_row_id).unwrap_or(0);
        Ok(rows)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for D1Executor {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        run_prepared(self.prepare(statement)?, &statement.sql).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>>>()?;
        let db = self.db.clone();
        let results = SendFuture::new(async move { db.batch(prepared).await }).await;
        convert_batch(results, statements)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl crate::tenant::SessionCapable for D1Executor {
    type Session = D1DatabaseSession;

    fn start_session(&self, constraint_or_bookmark: &str) -> Result<Option<D1DatabaseSession>> {
        // Where `withSession` is missing (older local runtimes) the call fails: fall
        // back to the plain binding, as documented.
        match self.db.with_session(Some(constraint_or_bookmark)) {
            Ok(session) => Ok(Some(session)),
            Err(e) => {
                tracing::debug!(target: "roost_orm::session", error = %e, "withSession unavailable");
                Ok(None)
            }
        }
    }

    async fn run_in(
        &self,
        session: &D1DatabaseSession,
        statement: &Statement,
    ) -> Result<QueryResult> {
        let prepared = bind(session.prepare(statement.sql.as_str()), statement)?;
        run_prepared(prepared, &statement.sql).await
    }

    async fn batch_in(
        &self,
        session: &D1DatabaseSession,
        statements: &[Statement],
    ) -> Result<Vec<QueryResult>> {
        let prepared = statements
            .iter()
            .map(|s| bind(session.prepare(s.sql.as_str()), s))
            .collect::<Result<Vec<_>>>()?;
        let results = SendFuture::new(session.batch(prepared)).await;
        convert_batch(results, statements)
    }

    fn bookmark(&self, session: &D1DatabaseSession) -> Option<String> {
        session.get_bookmark().ok().flatten()
    }
}
