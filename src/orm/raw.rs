//! Whole raw statements on an [`Orm`] (Laravel's `DB::select` and `DB::statement`):
//! SQL the caller writes, checked like a raw fragment ([`RawSql`]: one statement, no
//! `--` comment, balanced, plain `?` placeholders matching the values) and sent through
//! [`Orm::run`], so they are counted, logged and held to the query budget.
//!
//! They are **not scoped**: no tenant or soft-delete condition is added, because the
//! text is not a model query. Use them for reports and maintenance, and reach for
//! `where_raw` & co. on a model query when the model's scopes must apply.

use serde_json::{Map, Value};

use crate::error::{OrmError, Result};
use crate::orm::Orm;
use crate::query::RawSql;

impl Orm {
    /// Run a read and return its rows as maps of column → value (Laravel `DB::select`).
    /// Text that does not read — anything but `SELECT`, `VALUES`, `PRAGMA`, or a `WITH`
    /// with no `INSERT`/`UPDATE`/`DELETE`/`REPLACE` word anywhere after it — is
    /// [`OrmError::InvalidQuery`] before any SQL: run it with
    /// [`statement`](Self::statement).
    ///
    /// Unscoped: the text reads exactly what it says, whatever tenant is current.
    ///
    /// ```
    /// # use roost_orm::Orm;
    /// # use serde_json::json;
    /// # async fn f() -> roost_orm::Result<()> {
    /// let orm = Orm::sqlite_memory()?;
    /// orm.statement("CREATE TABLE t (n INTEGER)", &[]).await?;
    /// orm.statement("INSERT INTO t (n) VALUES (?), (?)", &[json!(1), json!(2)]).await?;
    /// let rows = orm.select("SELECT sum(n) AS total FROM t WHERE n > ?", &[json!(0)]).await?;
    /// assert_eq!(rows[0]["total"], json!(3));
    /// assert!(orm.select("DELETE FROM t", &[]).await.is_err());
    /// # Ok(()) }
    /// # futures::executor::block_on(f()).unwrap();
    /// ```
    pub async fn select(&self, sql: &str, bindings: &[Value]) -> Result<Vec<Map<String, Value>>> {
        let statement = RawSql::from_json(sql, bindings)?.into_statement();
        if !starts_as_read(statement.sql.as_str()) {
            return Err(OrmError::InvalidQuery(format!(
                "Orm::select({sql:?}) is not a read; run writes with Orm::statement"
            )));
        }
        let result = self.run(&statement).await?;
        let columns = result.columns.clone();
        Ok(result
            .into_rows()
            .map(|row| columns.iter().cloned().zip(row).collect())
            .collect())
    }

    /// Run any one statement — DDL, a write, a read whose rows are not wanted — and
    /// return the rows it changed (Laravel `DB::statement` / `DB::affectingStatement`).
    ///
    /// Unscoped, like [`select`](Self::select): an `UPDATE` here changes every tenant's
    /// rows it matches.
    pub async fn statement(&self, sql: &str, bindings: &[Value]) -> Result<u64> {
        let statement = RawSql::from_json(sql, bindings)?.into_statement();
        Ok(self.run(&statement).await?.changes)
    }
}

/// Whether the text starts with a keyword that begins a read. `WITH` is allowed only
/// when no write keyword follows the CTE (`WITH x AS (…) DELETE …` writes).
fn starts_as_read(sql: &str) -> bool {
    let mut words = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("SELECT") || w.eq_ignore_ascii_case("PRAGMA") => true,
        Some(w) if w.eq_ignore_ascii_case("VALUES") => true,
        Some(w) if w.eq_ignore_ascii_case("WITH") => !words.any(|w| {
            ["INSERT", "UPDATE", "DELETE", "REPLACE"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k))
        }),
        _ => false,
    }
}
