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

use crate::executor::{SqlText, Statement};
use crate::query::ast::{Assignment, Boolean, Condition, Ident, Operator, Select, Where};
use crate::value::SqlValue;

/// The alias of the window total added by [`select_with_total`].
pub const TOTAL_COLUMN: &str = "__roost_total";

/// The writer: SQL text and its parameters, in order. In params-only mode (text
/// already known) the same walk binds the parameters and writes no text, so the two
/// can never disagree on order.
struct Sql {
    text: String,
    params: Vec<SqlValue>,
    write_text: bool,
}

impl Sql {
    fn new(capacity: usize) -> Self {
        Sql {
            text: String::with_capacity(capacity),
            params: Vec::with_capacity(4),
            write_text: true,
        }
    }

    fn params_only() -> Self {
        Sql {
            text: String::new(),
            params: Vec::with_capacity(4),
            write_text: false,
        }
    }

    fn push(&mut self, s: &str) -> &mut Self {
        if self.write_text {
            self.text.push_str(s);
        }
        self
    }

    fn ident(&mut self, ident: &Ident) -> &mut Self {
        // Plain pushes: `write!` would run the formatting machinery for every name.
        let (table, column) = ident.parts();
        if let Some(table) = table {
            self.quoted(table).push(".");
        }
        self.quoted(column)
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
        self.push("?");
        self.params.push(value);
        self
    }

    fn condition(&mut self, condition: &Condition) {
        match condition {
            Condition::Compare { column, op, value } => {
                self.ident(column).push(" ").push(op.sql()).push(" ");
                self.param(value.clone());
            }
            Condition::In {
                column,
                values,
                negated,
            } => {
                self.ident(column)
                    .push(if *negated { " NOT IN " } else { " IN " })
                    .push("(SELECT value FROM json_each(");
                self.param(SqlValue::Text(
                    serde_json::Value::from(values.clone()).to_string(),
                ));
                self.push("))");
            }
            Condition::Null { column, negated } => {
                self.ident(column)
                    .push(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Condition::Group(group) => {
                self.push("(");
                self.group(group);
                self.push(")");
            }
        }
    }

    fn group(&mut self, group: &[Where]) {
        for (i, w) in group.iter().enumerate() {
            if i > 0 {
                self.push(match w.boolean {
                    Boolean::And => " AND ",
                    Boolean::Or => " OR ",
                });
            }
            self.condition(&w.condition);
        }
    }

    fn where_clause(&mut self, filter: &[Where], scopes: &[Condition]) {
        if filter.is_empty() && scopes.is_empty() {
            return;
        }
        self.push(" WHERE ");
        let wrap = !scopes.is_empty() && filter.iter().any(|w| w.boolean == Boolean::Or);
        if !filter.is_empty() {
            if wrap {
                self.push("(");
            }
            self.group(filter);
            if wrap {
                self.push(")");
            }
        }
        for (i, scope) in scopes.iter().enumerate() {
            if i > 0 || !filter.is_empty() {
                self.push(" AND ");
            }
            self.condition(scope);
        }
    }

    fn tail(&mut self, select: &Select) {
        self.order_by(select);
        self.limit_offset(select.limit, select.offset);
    }

    /// ` ORDER BY a ASC, b DESC` (nothing without orders).
    fn order_by(&mut self, select: &Select) {
        for (i, (column, direction)) in select.orders.iter().enumerate() {
            self.push(if i == 0 { " ORDER BY " } else { ", " });
            self.ident(column).push(" ").push(direction.sql());
        }
    }

    /// ` SET a = ?, b = b + ?, ...`
    fn sets<A: Into<Assignment>>(&mut self, sets: Vec<(Ident, A)>) {
        for (i, (column, assignment)) in sets.into_iter().enumerate() {
            self.push(if i == 0 { " SET " } else { ", " });
            self.ident(&column).push(" = ");
            match assignment.into() {
                Assignment::Value(value) => self.param(value),
                Assignment::Add(amount) => self.ident(&column).push(" + ").param(amount),
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
            .ident(partition);
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
pub fn select(select: &Select) -> Statement {
    let mut sql = Sql::new(128);
    write_select(&mut sql, select, None);
    sql.tail(select);
    sql.finish()
}

/// `SELECT * FROM t WHERE ...`, with the row number within `window`'s partition as an
/// extra column when given.
fn write_select(sql: &mut Sql, select: &Select, window: Option<&Ident>) {
    sql.push("SELECT *");
    sql.row_number(window, select);
    sql.push(" FROM ").ident(&select.table);
    sql.where_clause(&select.filter, &select.scopes);
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
    let mut sql = Sql::new(256);
    sql.per_partition(select, |sql| write_select(sql, select, Some(partition)));
    sql.finish()
}

/// `SELECT * FROM t WHERE "key" = ? AND <scopes>`: a find by primary key, without
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
        Some(_) => Sql::params_only(),
        None => Sql::new(96),
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

/// Like [`select`], with the total number of matching rows (ignoring LIMIT/OFFSET) in
/// an extra column [`TOTAL_COLUMN`] of every row: a page and its total in one statement.
pub fn select_with_total(select: &Select) -> Statement {
    let mut sql = Sql::new(160);
    sql.push("SELECT *, COUNT(*) OVER () AS \"")
        .push(TOTAL_COLUMN)
        .push("\" FROM ")
        .ident(&select.table);
    sql.where_clause(&select.filter, &select.scopes);
    sql.tail(select);
    sql.finish()
}

/// `SELECT COUNT(*)` of the rows [`select`] would return (ORDER BY dropped; LIMIT and
/// OFFSET respected through a subquery).
pub fn count(select: &Select) -> Statement {
    let mut sql = Sql::new(64);
    if select.limit.is_none() && select.offset.is_none() {
        sql.push("SELECT COUNT(*) AS \"aggregate\" FROM ")
            .ident(&select.table);
        sql.where_clause(&select.filter, &select.scopes);
    } else {
        sql.push("SELECT COUNT(*) AS \"aggregate\" FROM (SELECT 1 FROM ")
            .ident(&select.table);
        sql.where_clause(&select.filter, &select.scopes);
        sql.limit_offset(select.limit, select.offset);
        sql.push(")");
    }
    sql.finish()
}

/// `INSERT INTO t (cols) VALUES (?, ...), (?, ...) RETURNING *` — one statement for
/// all rows (each row must have one value per column); no columns → `DEFAULT VALUES`.
pub fn insert(table: &Ident, columns: &[Ident], rows: Vec<Vec<SqlValue>>) -> Statement {
    let mut sql = Sql::new(64 + columns.len() * 16);
    sql.push("INSERT INTO ").ident(table);
    if columns.is_empty() {
        sql.push(" DEFAULT VALUES RETURNING *");
        return sql.finish();
    }
    sql.push(" (");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.ident(c);
    }
    sql.push(") VALUES ");
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
    sql.push(" RETURNING *");
    sql.finish()
}

/// `UPDATE t SET a = ?, b = b + ?, ... WHERE ... RETURNING *`
pub fn update<A: Into<Assignment>>(
    table: &Ident,
    sets: Vec<(Ident, A)>,
    conditions: &[Condition],
) -> Statement {
    let mut sql = Sql::new(64 + sets.len() * 16);
    sql.push("UPDATE ").ident(table);
    sql.sets(sets);
    sql.where_clause(&[], conditions);
    sql.push(" RETURNING *");
    sql.finish()
}

/// `DELETE FROM t WHERE ...`
pub fn delete(table: &Ident, conditions: &[Condition]) -> Statement {
    let mut sql = Sql::new(48);
    sql.push("DELETE FROM ").ident(table);
    sql.where_clause(&[], conditions);
    sql.finish()
}

/// `UPDATE t SET a = ?, ... WHERE <select's conditions>`: a query's mass update, which
/// reports `changes` (no `RETURNING`). With an ORDER BY, LIMIT or OFFSET the rows are
/// chosen by primary key through a subquery (`WHERE "id" IN (SELECT "id" FROM t WHERE
/// ... LIMIT ?)`): `UPDATE ... LIMIT` is a compile-time option of SQLite D1 lacks.
pub fn update_matching<A: Into<Assignment>>(
    select: &Select,
    key: &Ident,
    sets: Vec<(Ident, A)>,
) -> Statement {
    let mut sql = Sql::new(96 + sets.len() * 16);
    sql.push("UPDATE ").ident(&select.table);
    sql.sets(sets);
    matching(&mut sql, select, key);
    sql.finish()
}

/// `DELETE FROM t WHERE <select's conditions>`: a query's mass delete, choosing rows as
/// [`update_matching`] does.
pub fn delete_matching(select: &Select, key: &Ident) -> Statement {
    let mut sql = Sql::new(96);
    sql.push("DELETE FROM ").ident(&select.table);
    matching(&mut sql, select, key);
    sql.finish()
}

/// The WHERE of a mass write: the select's conditions and scopes; with an ORDER BY,
/// LIMIT or OFFSET, the rows are chosen by primary key through a subquery
/// (`WHERE "id" IN (SELECT "id" FROM t WHERE ... ORDER BY ... LIMIT ?)`), since
/// `UPDATE ... LIMIT` is a compile-time option of SQLite that D1 does not have.
fn matching(sql: &mut Sql, select: &Select, key: &Ident) {
    if select.orders.is_empty() && select.limit.is_none() && select.offset.is_none() {
        sql.where_clause(&select.filter, &select.scopes);
        return;
    }
    sql.push(" WHERE ")
        .ident(key)
        .push(" IN (SELECT ")
        .ident(key);
    sql.push(" FROM ").ident(&select.table);
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
    let mut sql = Sql::new(128 + pivot_columns.len() * 48);
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
    let mut sql = Sql::new(256 + pivot_columns.len() * 48);
    sql.per_partition(select, |sql| {
        write_through(sql, select, (pivot, on, pivot_columns), Some(partition))
    });
    sql.finish()
}

/// The joined SELECT of [`select_through`] without its ORDER BY / LIMIT.
fn write_through(
    sql: &mut Sql,
    select: &Select,
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
    sql.ident(on.0).push(" = ").ident(on.1);
    sql.where_clause(&select.filter, &select.scopes);
}

/// Insert one pivot row per key of a list, the list bound as one JSON array:
///
/// `INSERT INTO "post_tag" ("post_id", "tag_id", extra...) SELECT ?, "value", ?... FROM
/// json_each(?) RETURNING "tag_id"`
///
/// With `only_missing`, keys already paired with `parent` are skipped
/// (`WHERE "value" NOT IN (SELECT "tag_id" FROM "post_tag" WHERE "post_id" = ?)`). The
/// statement returns the related key of each inserted row.
pub fn pivot_insert(
    pivot: &Ident,
    parent: (&Ident, SqlValue),
    related_column: &Ident,
    related_keys: &[serde_json::Value],
    extra: Vec<(Ident, SqlValue)>,
    only_missing: bool,
) -> Statement {
    let (parent_column, parent_key) = parent;
    let mut sql = Sql::new(160 + extra.len() * 24);
    sql.push("INSERT INTO ").ident(pivot).push(" (");
    sql.ident(parent_column).push(", ").ident(related_column);
    for (column, _) in &extra {
        sql.push(", ").ident(column);
    }
    sql.push(") SELECT ");
    sql.param(parent_key.clone());
    sql.push(", \"value\"");
    for (_, value) in extra {
        sql.push(", ");
        sql.param(value);
    }
    sql.push(" FROM json_each(");
    sql.param(SqlValue::Text(
        serde_json::Value::from(related_keys.to_vec()).to_string(),
    ));
    sql.push(")");
    if only_missing {
        sql.push(" WHERE \"value\" NOT IN (SELECT ")
            .ident(related_column)
            .push(" FROM ")
            .ident(pivot)
            .push(" WHERE ")
            .ident(parent_column)
            .push(" = ");
        sql.param(parent_key);
        sql.push(")");
    }
    sql.push(" RETURNING ").ident(related_column);
    sql.finish()
}

/// `DELETE FROM t WHERE ... RETURNING cols` — a delete that reports what it removed.
pub fn delete_returning(table: &Ident, conditions: &[Condition], returning: &[Ident]) -> Statement {
    let mut sql = Sql::new(64);
    sql.push("DELETE FROM ").ident(table);
    sql.where_clause(&[], conditions);
    for (i, column) in returning.iter().enumerate() {
        sql.push(if i == 0 { " RETURNING " } else { ", " });
        sql.ident(column);
    }
    sql.finish()
}
