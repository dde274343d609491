//! The SQL compiler: the only place in the crate that writes SQL text.
//!
//! It turns AST nodes ([`Select`], conditions, column/value lists) into a
//! [`Statement`]: identifiers (already validated by [`Ident`]) are double-quoted, every
//! value becomes a `?` with a bound parameter, in order. Value lists of any length bind
//! as a single JSON array read back with `json_each`, so `where_in` with 10,000 keys
//! stays one parameter under D1's 100-parameter limit.
//!
//! The caller's conditions are one group; scopes (soft deletes, tenant) are ANDed
//! outside it, so an `or_where` can never widen a scope (the original's tenant leak).
//!
//! Every column reference in an expression position (conditions, ORDER BY, the
//! right-hand side of SET, RETURNING) is written qualified, `"posts"."title"`, never
//! bare. SQLite — and D1, whose connection a Worker can't reconfigure — reads an
//! unknown *bare* double-quoted name as a string literal (the "DQS" misfeature), so a
//! misspelled `"titel" = ?` would compare two strings and match every row; a qualified
//! unknown name is always `no such column`. Names in positions that are not
//! expressions (the table after FROM / UPDATE / INTO, the column list of an INSERT,
//! the target of a SET) are written bare: SQLite never reads those as strings.

mod conditions;
mod inserts;
mod joins;
mod raw;
mod select;
mod unit;

use crate::executor::{SqlText, Statement};
use crate::query::ast::{Assignment, Boolean, Condition, Ident, Operator, Select, Where};
use crate::value::SqlValue;

/// The alias of the total that [`paginate`] adds to the page's rows.
pub const TOTAL_COLUMN: &str = "__roost_total";

/// The writer: SQL text and its parameters, in order. In params-only mode (text
/// already known) the same walk binds the parameters and writes no text, so the two
/// can never disagree on order.
struct Sql<'a> {
    text: String,
    params: Vec<SqlValue>,
    write_text: bool,
    /// Placeholders written `?NNN` (numbered from 1 in binding order) instead of `?`,
    /// so a clause written twice can bind its values once.
    numbered: bool,
    /// The table that qualifies bare column names (the statement's FROM / UPDATE /
    /// DELETE table).
    from: &'a str,
}

impl<'a> Sql<'a> {
    fn new(capacity: usize, from: &'a Ident) -> Self {
        Sql {
            text: String::with_capacity(capacity),
            params: Vec::with_capacity(4),
            write_text: true,
            numbered: false,
            from: from.as_str(),
        }
    }

    fn params_only(from: &'a Ident) -> Self {
        Sql {
            text: String::new(),
            params: Vec::with_capacity(4),
            write_text: false,
            numbered: false,
            from: from.as_str(),
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        if self.write_text {
            self.text.push_str(s);
        }
        self
    }

    /// A name in a position that is not an expression: a table, or a column of an
    /// INSERT's list. Written as given.
    fn ident(&mut self, ident: &Ident) -> &mut Self {
        // Plain pushes: `write!` would run the formatting machinery for every name.
        let (table, column) = ident.parts();
        if let Some(table) = table {
            self.quoted(table).push(".");
        }
        self.quoted(column)
    }

    /// A column in an expression position: always `"table"."column"` (a bare name gets
    /// the statement's table), so an unknown name can't be read as a string.
    fn column(&mut self, ident: &Ident) -> &mut Self {
        let (table, column) = ident.parts();
        self.quoted(table.unwrap_or(self.from)).push(".");
        self.quoted(column)
    }

    /// The target of `SET target = ...`: the bare column name (SQLite's grammar has
    /// no qualified form there, and never reads a SET target as a string).
    fn target(&mut self, ident: &Ident) -> &mut Self {
        self.quoted(ident.parts().1)
    }

    fn quoted(&mut self, name: &str) -> &mut Self {
        if self.write_text {
            self.text.push('"');
            self.text.push_str(name);
            self.text.push('"');
        }
        self
    }

    fn param(&mut self, value: SqlValue) -> &mut Self {
        self.params.push(value);
        if self.numbered {
            if self.write_text {
                use std::fmt::Write;
                let _ = write!(self.text, "?{}", self.params.len());
            }
            self
        } else {
            self.push("?")
        }
    }

    fn tail(&mut self, select: &Select) {
        self.order_by(select);
        self.limit_offset(select.limit, select.offset);
    }

    /// ` SET a = ?, b = b + ?, ...`. An integer increment is guarded: when the sum of
    /// an INTEGER and the amount leaves SQLite's range (where SQLite would silently
    /// store a REAL) the statement fails with SQLite's `integer overflow` — raised by
    /// `abs(i64::MIN)` — and changes nothing.
    fn sets<A: Into<Assignment>>(&mut self, sets: Vec<(Ident, A)>) {
        for (i, (column, assignment)) in sets.into_iter().enumerate() {
            self.push(if i == 0 { " SET " } else { ", " });
            self.target(&column).push(" = ");
            match assignment.into() {
                Assignment::Value(value) => self.param(value),
                Assignment::Add(amount @ SqlValue::Integer(_)) => {
                    self.push("CASE WHEN typeof(").column(&column);
                    self.push(") = 'integer' AND typeof(")
                        .column(&column)
                        .push(" + ");
                    self.param(amount.clone());
                    self.push(") = 'real' THEN abs(-9223372036854775808) ELSE ")
                        .column(&column)
                        .push(" + ");
                    self.param(amount).push(" END")
                }
                Assignment::Add(amount) => self.column(&column).push(" + ").param(amount),
            };
        }
    }

    /// `, ROW_NUMBER() OVER (PARTITION BY p ORDER BY ...) AS "__roost_row"` for a
    /// window, nothing without.
    fn row_number(&mut self, window: Option<&Ident>, select: &Select) {
        let Some(partition) = window else {
            return;
        };
        self.push(", ROW_NUMBER() OVER (PARTITION BY ")
            .column(partition);
        self.order_by(select);
        self.push(") AS ").quoted(ROW_COLUMN);
    }

    /// `SELECT * FROM (<inner>) WHERE "__roost_row" > ? [AND "__roost_row" <= ?] ORDER
    /// BY "__roost_row"`: the select's limit and offset, per partition.
    fn per_partition(&mut self, select: &Select, inner: impl FnOnce(&mut Self)) {
        let int = |n: u64| SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let offset = select.offset.unwrap_or(0);
        self.push("SELECT * FROM (");
        inner(self);
        self.push(") WHERE ").quoted(ROW_COLUMN).push(" > ");
        self.param(int(offset));
        if let Some(limit) = select.limit {
            self.push(" AND ").quoted(ROW_COLUMN).push(" <= ");
            self.param(int(offset.saturating_add(limit)));
        }
        self.push(" ORDER BY ").quoted(ROW_COLUMN);
    }

    fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) {
        let int = |n: u64| SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        match (limit, offset) {
            (None, None) => {}
            (limit, offset) => {
                self.push(" LIMIT ");
                // SQLite needs a LIMIT before OFFSET; -1 means "no limit".
                self.param(limit.map(int).unwrap_or(SqlValue::Integer(-1)));
                if let Some(offset) = offset {
                    self.push(" OFFSET ");
                    self.param(int(offset));
                }
            }
        }
    }

    fn finish(self) -> Statement {
        Statement {
            sql: self.text.into(),
            params: self.params,
        }
    }
}

/// `SELECT * FROM t WHERE ... ORDER BY ... LIMIT ? OFFSET ?`
///
/// ```
/// use roost_orm::query::{compiler, Ident, Select};
/// let select = Select::new(Ident::parse("posts").unwrap());
/// assert_eq!(compiler::select(&select).sql, "SELECT * FROM \"posts\"");
/// ```
pub fn select(select: &Select) -> Statement {
    let mut sql = Sql::new(128, &select.table);
    write_select(&mut sql, select, None);
    sql.tail(select);
    sql.finish()
}

/// `SELECT * FROM t WHERE ...`, with the row number within `window`'s partition as an
/// extra column when given.
fn write_select<'a>(sql: &mut Sql<'a>, select: &'a Select, window: Option<&Ident>) {
    sql.push("SELECT ");
    sql.projection(select);
    sql.row_number(window, select);
    sql.write_from(select);
    sql.where_clause(&select.filter, &select.scopes);
    sql.grouping(select);
}

/// The alias of the row number added by [`select_per_parent`] and
/// [`select_through_per_parent`].
pub const ROW_COLUMN: &str = "__roost_row";

/// Like [`select`], with the select's `LIMIT` / `OFFSET` applied within each value of
/// `partition` (a parent key) instead of to the whole result — "the latest 3 posts of
/// each user" in one statement:
///
/// `SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "posts"."author_id" ORDER
/// BY ...) AS "__roost_row" FROM "posts" WHERE ...) WHERE "__roost_row" > ? AND
/// "__roost_row" <= ? ORDER BY "__roost_row"`
///
/// Rows come back with the extra column [`ROW_COLUMN`]; each parent's rows in the
/// select's order.
pub fn select_per_parent(select: &Select, partition: &Ident) -> Statement {
    let mut sql = Sql::new(256, &select.table);
    sql.per_partition(select, |sql| write_select(sql, select, Some(partition)));
    sql.finish()
}

/// `SELECT * FROM t WHERE "t"."key" = ? AND <scopes>`: a find by primary key, without
/// building a [`Select`]. No `LIMIT`: a primary key matches one row at most, and a
/// bound limit would cost a parameter and a check on every call (the caller reads the
/// first row either way). With `text` (what an earlier call returned for the same
/// table, key and scope shape) only the parameters are bound — by the same walk, so in
/// the order the text expects.
pub fn select_by_key(
    table: &Ident,
    key: (&Ident, SqlValue),
    scopes: &[Condition],
    text: Option<SqlText>,
) -> Statement {
    let mut sql = match text {
        Some(_) => Sql::params_only(table),
        None => Sql::new(96, table),
    };
    let filter = Where {
        boolean: Boolean::And,
        condition: Condition::Compare {
            column: key.0.clone(),
            op: Operator::Eq,
            value: key.1,
        },
    };
    sql.push("SELECT * FROM ").ident(table);
    sql.where_clause(std::slice::from_ref(&filter), scopes);
    match text {
        Some(text) => Statement {
            sql: text,
            params: sql.params,
        },
        None => sql.finish(),
    }
}

/// One page with the total of matching rows on each of its rows, in one statement:
///
/// `SELECT "t".*, (SELECT COUNT(*) FROM t WHERE <w>) AS "__roost_total" FROM t WHERE
/// <w> ORDER BY ... LIMIT ?N OFFSET ?M`
///
/// The count is an uncorrelated scalar subquery, which SQLite runs once per statement:
/// its cost is the matching rows' index or table scan, never a numbering of every row
/// (`COUNT(*) OVER ()` costs the whole filtered table even for a page of 20). The page
/// is the statement's own SELECT, so its ORDER BY is the statement's and SQLite keeps no
/// ephemeral table or second sort (a `LEFT JOIN` of the page to the count, which yields
/// a row for an empty page, costs both: about 3× a page query on a 1,000-row table).
/// The WHERE is written twice but its values are bound once: placeholders are numbered
/// (`?1`, `?2`, ...) and both copies use the same numbers, so a filter keeps its share
/// of D1's 100 parameters.
///
/// A page without rows carries no total: on page 1 the total is 0 (the page and the
/// count share their conditions); past the last page the caller asks [`count`].
pub fn paginate(select: &Select) -> Statement {
    // ` FROM t <joins> WHERE ...`, written once, pasted into both halves.
    let mut filter = Sql::new(64, &select.table);
    filter.numbered = true;
    filter.write_from(select);
    filter.where_clause(&select.filter, &select.scopes);
    let Sql {
        text: where_text,
        params,
        ..
    } = filter;
    let mut sql = Sql::new(192 + 2 * where_text.len(), &select.table);
    sql.numbered = true;
    sql.params = params;
    sql.push("SELECT ");
    sql.projection(select);
    sql.push(", (SELECT COUNT(*)");
    if select.distinct || !select.groups.is_empty() {
        // A grouped or DISTINCT page counts its result rows (groups, tuples).
        sql.push(" FROM (SELECT ");
        sql.projection(select);
        sql.push(&where_text);
        sql.grouping(select);
        sql.push(")");
    } else {
        sql.push(&where_text);
    }
    sql.push(") AS ").quoted(TOTAL_COLUMN);
    sql.push(&where_text);
    sql.grouping(select);
    sql.tail(select);
    sql.finish()
}

/// `SELECT COUNT(*)` of the rows matching the select's conditions and scopes. ORDER BY,
/// LIMIT and OFFSET are not part of a count (as in Laravel and the original: `count()`
/// counts every matching row).
///
/// A grouped or `DISTINCT` query counts its result rows (groups, distinct tuples)
/// through a subquery.
pub fn count(select: &Select) -> Statement {
    let mut sql = Sql::new(64, &select.table);
    if select.distinct || !select.groups.is_empty() {
        sql.push("SELECT COUNT(*) AS \"aggregate\" FROM (");
        write_select(&mut sql, select, None);
        sql.push(")");
        return sql.finish();
    }
    sql.push("SELECT COUNT(*) AS \"aggregate\"")
        .write_from(select);
    sql.where_clause(&select.filter, &select.scopes);
    sql.finish()
}

/// `SELECT EXISTS (SELECT 1 FROM t WHERE ...) AS "aggregate"` (Laravel `exists()`).
pub fn exists(select: &Select) -> Statement {
    let mut sql = Sql::new(80, &select.table);
    sql.push("SELECT EXISTS (SELECT 1").write_from(select);
    sql.where_clause(&select.filter, &select.scopes);
    sql.grouping(select);
    sql.push(") AS \"aggregate\"");
    sql.finish()
}

/// `UPDATE t SET a = ?, b = b + ?, ... WHERE ... RETURNING *`
pub fn update<A: Into<Assignment>>(
    table: &Ident,
    sets: Vec<(Ident, A)>,
    conditions: &[Condition],
) -> Statement {
    let mut sql = Sql::new(64 + sets.len() * 16, table);
    sql.push("UPDATE ").ident(table);
    sql.sets(sets);
    sql.where_clause(&[], conditions);
    sql.push(" RETURNING *");
    sql.finish()
}

/// `DELETE FROM t WHERE ...`
pub fn delete(table: &Ident, conditions: &[Condition]) -> Statement {
    let mut sql = Sql::new(48, table);
    sql.push("DELETE FROM ").ident(table);
    sql.where_clause(&[], conditions);
    sql.finish()
}

/// `UPDATE t SET a = ?, ... WHERE <select's conditions>`: a query's mass update, which
/// reports `changes` (no `RETURNING`). With an ORDER BY, LIMIT or OFFSET the rows are
/// chosen by primary key through a subquery (`WHERE "t"."id" IN (SELECT "t"."id" FROM t WHERE
/// ... LIMIT ?)`): `UPDATE ... LIMIT` is a compile-time option of SQLite D1 lacks.
pub fn update_matching<A: Into<Assignment>>(
    select: &Select,
    key: &Ident,
    sets: Vec<(Ident, A)>,
) -> Statement {
    let mut sql = Sql::new(96 + sets.len() * 16, &select.table);
    sql.push("UPDATE ").ident(&select.table);
    sql.sets(sets);
    matching(&mut sql, select, key);
    sql.finish()
}

/// `DELETE FROM t WHERE <select's conditions>`: a query's mass delete, choosing rows as
/// [`update_matching`] does.
pub fn delete_matching(select: &Select, key: &Ident) -> Statement {
    let mut sql = Sql::new(96, &select.table);
    sql.push("DELETE FROM ").ident(&select.table);
    matching(&mut sql, select, key);
    sql.finish()
}

/// The WHERE of a mass write: the select's conditions and scopes; with an ORDER BY,
/// LIMIT or OFFSET, the rows are chosen by primary key through a subquery
/// (`WHERE "t"."id" IN (SELECT "t"."id" FROM t WHERE ... ORDER BY ... LIMIT ?)`), since
/// `UPDATE ... LIMIT` is a compile-time option of SQLite that D1 does not have.
fn matching<'a>(sql: &mut Sql<'a>, select: &'a Select, key: &Ident) {
    // A joined query's rows are chosen through the key too: SQLite has no UPDATE /
    // DELETE with a JOIN.
    let direct = select.orders.is_empty()
        && select.limit.is_none()
        && select.offset.is_none()
        && select.joins.is_empty();
    if direct {
        sql.where_clause(&select.filter, &select.scopes);
        return;
    }
    sql.push(" WHERE ")
        .column(key)
        .push(" IN (SELECT ")
        .column(key);
    sql.write_from(select);
    sql.where_clause(&select.filter, &select.scopes);
    sql.tail(select);
    sql.push(")");
}

/// The alias prefix of pivot columns selected by [`select_through`]: pivot column `role`
/// comes back as `__pivot_role`, apart from the related table's own columns.
pub const PIVOT_PREFIX: &str = "__pivot_";

/// A SELECT of the related rows of a many-to-many relation, joined with its pivot table:
///
/// `SELECT "tags".*, "post_tag"."post_id" AS "__pivot_post_id", ... FROM "tags"
/// INNER JOIN "post_tag" ON "post_tag"."tag_id" = "tags"."id" WHERE ...`
///
/// `select.table` is the related table; `on` is `(pivot column, related column)`, both
/// qualified; each of `pivot_columns` (plain names) is selected as
/// [`PIVOT_PREFIX`]`name`. The select's conditions should be qualified, since both
/// tables are in scope.
pub fn select_through(
    select: &Select,
    pivot: &Ident,
    on: (&Ident, &Ident),
    pivot_columns: &[Ident],
) -> Statement {
    let mut sql = Sql::new(128 + pivot_columns.len() * 48, &select.table);
    write_through(&mut sql, select, (pivot, on, pivot_columns), None);
    sql.tail(select);
    sql.finish()
}

/// [`select_through`] with the select's `LIMIT` / `OFFSET` applied within each value of
/// `partition` (the pivot's parent key), as [`select_per_parent`] does.
pub fn select_through_per_parent(
    select: &Select,
    pivot: &Ident,
    on: (&Ident, &Ident),
    pivot_columns: &[Ident],
    partition: &Ident,
) -> Statement {
    let mut sql = Sql::new(256 + pivot_columns.len() * 48, &select.table);
    sql.per_partition(select, |sql| {
        write_through(sql, select, (pivot, on, pivot_columns), Some(partition))
    });
    sql.finish()
}

/// The joined SELECT of [`select_through`] without its ORDER BY / LIMIT.
fn write_through<'a>(
    sql: &mut Sql<'a>,
    select: &'a Select,
    (pivot, on, pivot_columns): (&Ident, (&Ident, &Ident), &[Ident]),
    window: Option<&Ident>,
) {
    sql.push("SELECT ").ident(&select.table).push(".*");
    for column in pivot_columns {
        let name = column.parts().1;
        sql.push(", ")
            .ident(pivot)
            .push(".")
            .quoted(name)
            .push(" AS \"");
        sql.push(PIVOT_PREFIX).push(name).push("\"");
    }
    sql.row_number(window, select);
    sql.push(" FROM ").ident(&select.table);
    sql.push(" INNER JOIN ").ident(pivot).push(" ON ");
    sql.column(on.0).push(" = ").column(on.1);
    sql.joins(select);
    sql.where_clause(&select.filter, &select.scopes);
}

/// Insert one pivot row per key of a list, the list bound as one JSON array:
///
/// `INSERT INTO "post_tag" ("post_id", "tag_id", extra...) SELECT ?, "value", ?... FROM
/// json_each(?) RETURNING "tag_id"`
///
/// `owner` is the columns naming the parent (its key, and for a polymorphic pivot its
/// type). With `only_missing`, keys already paired with that owner are skipped
/// (`WHERE "value" NOT IN (SELECT "post_tag"."tag_id" FROM "post_tag" WHERE
/// "post_tag"."post_id" = ?)`). The statement returns the related key of each inserted
/// row.
pub fn pivot_insert(
    pivot: &Ident,
    owner: &[(Ident, SqlValue)],
    related_column: &Ident,
    related_keys: &[SqlValue],
    extra: Vec<(Ident, SqlValue)>,
    only_missing: bool,
) -> Statement {
    let mut sql = Sql::new(160 + extra.len() * 24, pivot);
    sql.push("INSERT INTO ").ident(pivot).push(" (");
    for (column, _) in owner {
        sql.target(column).push(", ");
    }
    sql.target(related_column);
    for (column, _) in &extra {
        sql.push(", ").target(column);
    }
    sql.push(") SELECT ");
    for (_, value) in owner {
        sql.param(value.clone());
        sql.push(", ");
    }
    sql.push("\"value\"");
    for (_, value) in extra {
        sql.push(", ");
        sql.param(value);
    }
    sql.push(" FROM json_each(");
    sql.param(SqlValue::Text(json_array(related_keys)));
    sql.push(")");
    if only_missing {
        sql.push(" WHERE \"value\" NOT IN (SELECT ")
            .column(related_column)
            .push(" FROM ")
            .ident(pivot);
        for (i, (column, value)) in owner.iter().enumerate() {
            sql.push(if i == 0 { " WHERE " } else { " AND " });
            sql.column(column).push(" = ");
            sql.param(value.clone());
        }
        sql.push(")");
    }
    sql.push(" RETURNING ").column(related_column);
    sql.finish()
}

/// `DELETE FROM t WHERE ... RETURNING cols` — a delete that reports what it removed.
pub fn delete_returning(table: &Ident, conditions: &[Condition], returning: &[Ident]) -> Statement {
    let mut sql = Sql::new(64, table);
    sql.push("DELETE FROM ").ident(table);
    sql.where_clause(&[], conditions);
    for (i, column) in returning.iter().enumerate() {
        sql.push(if i == 0 { " RETURNING " } else { ", " });
        sql.column(column);
    }
    sql.finish()
}

/// Bound values as the text of one JSON array, for `json_each`: NULL → `null`, numbers
/// as numbers, text as strings, bytes as hex strings (read back with `unhex`).
fn json_array<'v>(values: impl IntoIterator<Item = &'v SqlValue>) -> String {
    use std::fmt::Write;
    let mut text = String::from("[");
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        match value {
            SqlValue::Null => text.push_str("null"),
            SqlValue::Integer(n) => {
                let _ = write!(text, "{n}");
            }
            SqlValue::Real(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => {
                    let _ = write!(text, "{n}");
                }
                // NaN / infinity have no JSON form; SQLite stores them as NULL too.
                None => text.push_str("null"),
            },
            SqlValue::Text(s) => text.push_str(&serde_json::Value::from(s.as_str()).to_string()),
            SqlValue::Blob(bytes) => {
                text.push('"');
                for b in bytes {
                    let _ = write!(text, "{b:02X}");
                }
                text.push('"');
            }
        }
    }
    text.push(']');
    text
}

mod json_rows;

pub use inserts::{
    insert, insert_json_rows, insert_json_rows_with, insert_unless_exists, insert_with,
};
pub use json_rows::{encode_json_row, JsonRows};
pub use unit::{expect_changes, insert_from_last_row};
