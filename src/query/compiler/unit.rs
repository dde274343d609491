//! The statements only a unit of work sends: the guard that fails the whole batch when
//! the write before it changed no row, and the INSERT whose foreign key is read from
//! the row the statement before it inserted (a child of a parent created in the same
//! batch, whose key the database assigns). The unit decides where they go; this
//! module only writes them.

use super::Sql;
use crate::executor::Statement;
use crate::query::ast::Ident;
use crate::value::SqlValue;

/// `SELECT CASE WHEN changes() > 0 THEN NULL ELSE json_extract('{}', ?) END`, bound to
/// `marker`: nothing when the statement before it changed a row, otherwise an error
/// whose message carries `marker` (an invalid JSON path), which fails the batch — D1
/// and SQLite then roll every statement of it back. The path is a bound value, so the
/// error can't be raised while the statement is prepared.
///
/// ```
/// use roost_orm::query::compiler::expect_changes;
/// let guard = expect_changes("roost_orm unit write 3".into());
/// assert_eq!(
///     guard.sql,
///     "SELECT CASE WHEN changes() > 0 THEN NULL ELSE json_extract('{}', ?) END"
/// );
/// ```
pub fn expect_changes(marker: String) -> Statement {
    Statement::new(
        "SELECT CASE WHEN changes() > 0 THEN NULL ELSE json_extract('{}', ?) END",
        vec![SqlValue::Text(marker)],
    )
}

/// `INSERT INTO "t" ("a", "b", "fk") SELECT ?, ?, "src"."key" FROM "src" WHERE
/// "src"."rowid" = last_insert_rowid() RETURNING *`: `values` for `columns`, then each
/// of `copied` (a column of `t`, the column of `source` it takes) from the row of
/// `source` the batch inserted last. Nothing is inserted when that row is not
/// `source`'s (the unit puts a guard after it).
///
/// ```
/// use roost_orm::query::compiler::insert_from_last_row;
/// use roost_orm::query::Ident;
/// use roost_orm::SqlValue;
/// let id = |s| Ident::parse(s).unwrap();
/// let statement = insert_from_last_row(
///     &id("comments"),
///     &[id("body")],
///     vec![SqlValue::from("hi")],
///     &id("posts"),
///     &[(id("post_id"), id("id"))],
/// );
/// assert_eq!(
///     statement.sql,
///     "INSERT INTO \"comments\" (\"body\", \"post_id\") SELECT ?, \"posts\".\"id\" \
///      FROM \"posts\" WHERE \"posts\".\"rowid\" = last_insert_rowid() RETURNING *"
/// );
/// ```
pub fn insert_from_last_row(
    table: &Ident,
    columns: &[Ident],
    values: Vec<SqlValue>,
    source: &Ident,
    copied: &[(Ident, Ident)],
) -> Statement {
    let mut sql = Sql::new(96 + columns.len() * 16, source);
    sql.push("INSERT INTO ").ident(table).push(" (");
    let targets = columns
        .iter()
        .chain(copied.iter().map(|(target, _)| target));
    for (i, column) in targets.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.target(column);
    }
    sql.push(") SELECT ");
    let mut first = true;
    for value in values {
        if !first {
            sql.push(", ");
        }
        first = false;
        sql.param(value);
    }
    for (_, from) in copied {
        if !first {
            sql.push(", ");
        }
        first = false;
        sql.column(from);
    }
    sql.push(" FROM ").ident(source).push(" WHERE ");
    sql.quoted(source.parts().1)
        .push(".")
        .quoted("rowid")
        .push(" = last_insert_rowid() RETURNING *");
    sql.finish()
}
