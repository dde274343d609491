//! The compiler's INSERT family: rows as bound `VALUES` or as one JSON parameter
//! ([`JsonRows`]), each with a conflict rule ([`OnConflict`]) and optional
//! `RETURNING *`. Which rows go into which statement is the caller's (the factory
//! planner, `insert` on a query); this module only writes them.

use super::{JsonRows, Sql};
use crate::executor::Statement;
use crate::query::ast::{Ident, OnConflict, Select};
use crate::value::SqlValue;

/// `INSERT [OR IGNORE] INTO "t"`.
fn head(sql: &mut Sql, table: &Ident, conflict: &OnConflict) {
    sql.push(match conflict {
        OnConflict::Ignore => "INSERT OR IGNORE INTO ",
        _ => "INSERT INTO ",
    })
    .ident(table);
}

/// ` ("a", "b")`.
fn column_list(sql: &mut Sql, columns: &[Ident]) {
    sql.push(" (");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.target(c);
    }
    sql.push(")");
}

/// The upsert clause and `RETURNING *`. The update is guarded by `guard` (the tenant
/// column): a conflicting row of another tenant is left as it is, never taken over.
fn tail(sql: &mut Sql, table: &Ident, conflict: &OnConflict, returning: bool) {
    if let OnConflict::Update {
        unique_by,
        update,
        guard,
    } = conflict
    {
        sql.push(" ON CONFLICT (");
        for (i, c) in unique_by.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.target(c);
        }
        sql.push(")");
        if update.is_empty() {
            sql.push(" DO NOTHING");
        } else {
            for (i, c) in update.iter().enumerate() {
                sql.push(if i == 0 { " DO UPDATE SET " } else { ", " });
                sql.target(c)
                    .push(" = ")
                    .quoted("excluded")
                    .push(".")
                    .target(c);
            }
            if let Some(guard) = guard {
                sql.push(" WHERE ")
                    .quoted(table.parts().1)
                    .push(".")
                    .target(guard)
                    .push(" = ")
                    .quoted("excluded")
                    .push(".")
                    .target(guard);
            }
        }
    }
    if returning {
        sql.push(" RETURNING *");
    }
}

/// `INSERT INTO t (cols) VALUES (?, ...), (?, ...) RETURNING *` — one statement for
/// all rows (each row must have one value per column); no columns → `DEFAULT VALUES`.
pub fn insert(table: &Ident, columns: &[Ident], rows: Vec<Vec<SqlValue>>) -> Statement {
    insert_with(table, columns, rows, &OnConflict::Fail, true)
}

/// [`insert`] with a conflict rule, and `RETURNING *` only when `returning`:
/// `INSERT OR IGNORE INTO ...` ([`OnConflict::Ignore`]) or `INSERT INTO ... VALUES ...
/// ON CONFLICT ("k") DO UPDATE SET "c" = "excluded"."c" WHERE "t"."org" =
/// "excluded"."org"` ([`OnConflict::Update`]).
///
/// ```
/// use roost_orm::query::compiler::insert_with;
/// use roost_orm::query::{Ident, OnConflict};
/// use roost_orm::SqlValue;
/// let id = |s| Ident::parse(s).unwrap();
/// let upsert = OnConflict::Update {
///     unique_by: vec![id("email")],
///     update: vec![id("name")],
///     guard: None,
/// };
/// let statement = insert_with(
///     &id("users"),
///     &[id("email"), id("name")],
///     vec![vec![SqlValue::from("a@x"), SqlValue::from("A")]],
///     &upsert,
///     false,
/// );
/// assert_eq!(
///     statement.sql,
///     "INSERT INTO \"users\" (\"email\", \"name\") VALUES (?, ?) \
///      ON CONFLICT (\"email\") DO UPDATE SET \"name\" = \"excluded\".\"name\""
/// );
/// ```
pub fn insert_with(
    table: &Ident,
    columns: &[Ident],
    rows: Vec<Vec<SqlValue>>,
    conflict: &OnConflict,
    returning: bool,
) -> Statement {
    let mut sql = Sql::new(64 + columns.len() * 16, table);
    head(&mut sql, table, conflict);
    if columns.is_empty() {
        sql.push(" DEFAULT VALUES");
        tail(&mut sql, table, conflict, returning);
        return sql.finish();
    }
    column_list(&mut sql, columns);
    sql.push(" VALUES ");
    for (r, row) in rows.into_iter().enumerate() {
        sql.push(if r > 0 { ", (" } else { "(" });
        for (i, value) in row.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.param(value);
        }
        sql.push(")");
    }
    tail(&mut sql, table, conflict, returning);
    sql.finish()
}

/// A multi-row INSERT of any number of rows with **one** bound parameter, the rows as
/// one JSON array (see [`JsonRows`]):
///
/// `INSERT INTO "t" ("a", "b") SELECT json_extract("json_each"."value", '$[0]'),
/// json_extract("json_each"."value", '$[1]') FROM json_each(?) ORDER BY
/// "json_each"."key" RETURNING *`
///
/// The text grows with the column count only, never with the rows: D1's 100 KB text
/// and 100-parameter limits don't depend on how many rows are sent. `json_extract`
/// gives back INTEGER, REAL, TEXT and NULL exactly as they were encoded; a column that
/// holds a BLOB in some row reads its hex form back with `unhex` (`CASE
/// json_type(...) WHEN 'array' THEN unhex(json_extract(..., '$[i][0]')) ELSE
/// json_extract(..., '$[i]') END`). The paths (`'$[0]'`) are written from column
/// positions, never from caller text. Rows are inserted in array order (`ORDER BY`
/// the array index), so assigned rowids follow it.
///
/// ```
/// use roost_orm::query::compiler::{encode_json_row, insert_json_rows, JsonRows};
/// use roost_orm::query::Ident;
/// use roost_orm::SqlValue;
/// let mut rows = JsonRows::new(1);
/// let mut row = String::new();
/// for n in [1, 2] {
///     encode_json_row(&[SqlValue::Integer(n)], &mut row);
///     rows.push(&row, &[SqlValue::Integer(n)]);
/// }
/// let statement = insert_json_rows(&Ident::parse("t").unwrap(), &[Ident::parse("n").unwrap()], rows);
/// assert_eq!(
///     statement.sql,
///     "INSERT INTO \"t\" (\"n\") SELECT json_extract(\"json_each\".\"value\", '$[0]') \
///      FROM json_each(?) ORDER BY \"json_each\".\"key\" RETURNING *"
/// );
/// assert_eq!(statement.params, [SqlValue::Text("[[1],[2]]".into())]);
/// ```
pub fn insert_json_rows(table: &Ident, columns: &[Ident], rows: JsonRows) -> Statement {
    insert_json_rows_with(table, columns, rows, &OnConflict::Fail, true)
}

/// [`insert_json_rows`] with a conflict rule, and `RETURNING *` only when `returning`
/// (see [`insert_with`]). An upsert's SELECT gets `WHERE TRUE`: without a WHERE,
/// SQLite would read `ON CONFLICT` as the join constraint of the FROM.
pub fn insert_json_rows_with(
    table: &Ident,
    columns: &[Ident],
    rows: JsonRows,
    conflict: &OnConflict,
    returning: bool,
) -> Statement {
    use std::fmt::Write;
    const ROW: &str = "\"json_each\".\"value\"";
    let mut sql = Sql::new(96 + columns.len() * 64, table);
    head(&mut sql, table, conflict);
    column_list(&mut sql, columns);
    sql.push(" SELECT ");
    let mut path = String::with_capacity(16);
    for i in 0..columns.len() {
        if i > 0 {
            sql.push(", ");
        }
        let blob = rows.blob_columns.get(i).copied().unwrap_or(false);
        if blob {
            path.clear();
            let _ = write!(path, "'$[{i}]'");
            sql.push("CASE json_type(").push(ROW).push(", ").push(&path);
            path.clear();
            let _ = write!(path, "'$[{i}][0]'");
            sql.push(") WHEN 'array' THEN unhex(json_extract(")
                .push(ROW)
                .push(", ")
                .push(&path)
                .push(")) ELSE ");
        }
        path.clear();
        let _ = write!(path, "'$[{i}]'");
        sql.push("json_extract(")
            .push(ROW)
            .push(", ")
            .push(&path)
            .push(")");
        if blob {
            sql.push(" END");
        }
    }
    sql.push(" FROM json_each(");
    let mut text = rows.text;
    text.push(']');
    sql.param(SqlValue::Text(text));
    sql.push(")");
    if matches!(conflict, OnConflict::Update { .. }) {
        sql.push(" WHERE TRUE");
    }
    sql.push(" ORDER BY \"json_each\".\"key\"");
    tail(&mut sql, table, conflict, returning);
    sql.finish()
}

/// `INSERT INTO "t" ("a", "b") SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM "t" WHERE
/// <conditions and scopes of select>)`: one row, only when no row matches — the first
/// half of `update_or_insert`, decided inside the statement so that no other writer
/// can slip in between a check and the insert.
pub fn insert_unless_exists(
    table: &Ident,
    columns: &[Ident],
    values: Vec<SqlValue>,
    select: &Select,
) -> Statement {
    let mut sql = Sql::new(96 + columns.len() * 16, table);
    head(&mut sql, table, &OnConflict::Fail);
    column_list(&mut sql, columns);
    sql.push(" SELECT ");
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.param(value);
    }
    sql.push(" WHERE NOT EXISTS (SELECT 1 FROM ")
        .ident(&select.table);
    sql.where_clause(&select.filter, &select.scopes);
    sql.push(")");
    sql.finish()
}
