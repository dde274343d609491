//! Cloudflare D1 through `worker::D1Database` (feature `d1`).
//!
//! Parameters bind as JS values: integers as JS numbers up to 2^53 and as decimal text
//! beyond (SQLite's affinity turns it back into the exact INTEGER; a JS number would
//! round it), blobs as `Uint8Array`. Values *read* back above 2^53 are still rounded by
//! D1's JS API.
//!
//! How results are read, per statement:
//!
//! * **Reads** (`SELECT` / `PRAGMA`, [`Statement::is_write`] false) call
//!   `raw({columnNames: true})`: D1 answers in its array form, the names once and then
//!   each row as an array, and every cell goes straight into the result (see `rows.rs`).
//!   `raw` returns no meta; a read needs none (`changes` and `last_row_id` are 0).
//! * **Writes** (everything else: INSERT / UPDATE / DELETE with or without `RETURNING`,
//!   DDL) call `all()`, whose `D1Result` carries `meta.changes` and `meta.last_row_id`
//!   beside the rows a `RETURNING` gives back (objects; a handful of rows at most).
//! * **Batches** are D1's `batch()`, one implicit transaction; it answers with a
//!   `D1Result` (objects and meta) per statement, read like `all()`'s.
//!
//! Rows read as objects keep JS key order, which is the column order (a column named like
//! an integer would be reordered by JS; don't do that), and a name that appears twice
//! appears once. Rows read as arrays keep every column, as SQLite returns them.
//!
//! D1 handles are JS values and not `Send`; a Worker isolate is single-threaded, so they
//! are wrapped with `worker::send` to satisfy the native `Send` bound. On the host the
//! module compiles (and is checked in CI) but only runs inside a Worker.

mod rows;

use std::future::Future;
use std::sync::Arc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::send::{SendFuture, SendWrapper};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement};

use crate::error::{OrmError, Result};
use crate::executor::{Executor, QueryResult, Statement};
use crate::value::SqlValue;

#[wasm_bindgen]
extern "C" {
    /// A D1 prepared statement, as far as this module calls it directly: `worker` 0.8's
    /// `raw()` takes no options, and its `D1Result` does not hand out the JS result
    /// object this module reads cell by cell.
    #[wasm_bindgen(extends = js_sys::Object)]
    type JsStatement;

    #[wasm_bindgen(method, catch, js_name = raw)]
    fn raw_with(this: &JsStatement, options: &JsValue) -> std::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = all)]
    fn all_js(this: &JsStatement) -> std::result::Result<Promise, JsValue>;

    /// A D1 database or session, for `batch`.
    #[wasm_bindgen(extends = js_sys::Object)]
    type JsBatcher;

    #[wasm_bindgen(method, catch, js_name = batch)]
    fn batch_js(this: &JsBatcher, statements: Array) -> std::result::Result<Promise, JsValue>;
}

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

/// A JS failure (a rejected promise or a throw) as the crate's error, worded as
/// `worker`'s `Error` words it.
fn js_error(error: JsValue, sql: impl Into<String>) -> OrmError {
    OrmError::database(worker::Error::from(error).to_string(), sql)
}

/// Await a D1 promise. Nothing JS is held outside the wrapper, so the future is `Send`
/// (see the module docs).
fn settle(
    promise: std::result::Result<Promise, JsValue>,
) -> SendFuture<impl Future<Output = std::result::Result<JsValue, JsValue>>> {
    SendFuture::new(async move { JsFuture::from(promise?).await })
}

/// `{columnNames: true}`, the option that makes `raw()` send the names first.
fn with_column_names() -> JsValue {
    let options = js_sys::Object::new();
    // Setting a property of a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&options, &"columnNames".into(), &JsValue::TRUE);
    options.into()
}

/// Run one bound statement: reads in D1's array form, writes through `all()` (meta).
async fn run_prepared(
    prepared: SendWrapper<D1PreparedStatement>,
    statement: &Statement,
) -> Result<QueryResult> {
    let sql = statement.sql.as_str();
    let write = statement.is_write();
    let promise = {
        let js = prepared.inner().unchecked_ref::<JsStatement>();
        if write {
            js.all_js()
        } else {
            js.raw_with(&with_column_names())
        }
    };
    drop(prepared);
    let answer = settle(promise).await.map_err(|e| js_error(e, sql))?;
    if write {
        rows::from_result(&answer, sql)
    } else {
        rows::from_arrays(answer, sql)
    }
}

/// `batch()` of bound statements on a database or a session.
fn batch_promise(
    target: &JsValue,
    prepared: Vec<D1PreparedStatement>,
) -> std::result::Result<Promise, JsValue> {
    let list: Array = prepared.iter().map(|p| JsValue::from(p.inner())).collect();
    target.unchecked_ref::<JsBatcher>().batch_js(list)
}

/// Each statement's `D1Result` of a batch's answer.
fn batch_results(
    answer: std::result::Result<JsValue, JsValue>,
    statements: &[Statement],
) -> Result<Vec<QueryResult>> {
    let joined = || {
        let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        sql.join("; ")
    };
    let answers: Array = answer
        .map_err(|e| js_error(e, joined()))?
        .dyn_into()
        .map_err(|_| OrmError::database("D1 answered a batch without a list", joined()))?;
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| rows::from_result(&answers.get(i as u32), &s.sql))
        .collect()
}

fn bind_all<F>(statements: &[Statement], prepare: F) -> Result<Vec<D1PreparedStatement>>
where
    F: Fn(&str) -> D1PreparedStatement,
{
    statements
        .iter()
        .map(|s| bind(prepare(s.sql.as_str()), s))
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

    fn prepare(&self, statement: &Statement) -> Result<SendWrapper<D1PreparedStatement>> {
        bind(self.db.prepare(statement.sql.as_str()), statement).map(SendWrapper::new)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Executor for D1Executor {
    async fn run(&self, statement: &Statement) -> Result<QueryResult> {
        run_prepared(self.prepare(statement)?, statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> Result<Vec<QueryResult>> {
        let promise = {
            let db: &D1Database = &self.db;
            batch_promise(db.as_ref(), bind_all(statements, |sql| db.prepare(sql))?)
        };
        batch_results(settle(promise).await, statements)
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
        run_prepared(SendWrapper::new(prepared), statement).await
    }

    async fn batch_in(
        &self,
        session: &D1DatabaseSession,
        statements: &[Statement],
    ) -> Result<Vec<QueryResult>> {
        let promise = batch_promise(
            session.as_ref(),
            bind_all(statements, |sql| session.prepare(sql))?,
        );
        batch_results(settle(promise).await, statements)
    }

    fn bookmark(&self, session: &D1DatabaseSession) -> Option<String> {
        session.get_bookmark().ok().flatten()
    }
}
