//! The statement checker of the fail-closed property: [`CheckingExecutor`] wraps
//! [`SqliteExecutor`] and inspects every statement before SQLite sees it. A statement
//! that breaks a rule is recorded as a violation and refused (nothing unsafe runs).
//!
//! Rules (only spaces separate tokens outside quotes):
//! - a double-quoted token is a plain identifier `[A-Za-z_][A-Za-z0-9_]*`, and:
//!   - as a table (after FROM / JOIN / INTO / UPDATE, or before a `.`): a table of the
//!     schema or of [`OWN_TABLES`];
//!   - after `AS`: one of the compiler's aliases ([`OWN_NAMES`], [`OWN_PREFIXES`]);
//!   - after a `.`: any plain identifier (SQLite resolves a qualified name or fails; it
//!     never reads one as a string);
//!   - bare: a column of a table the statement names, an alias the statement makes,
//!     `value` where json_each is the statement's own FROM, or a name the statement also uses as an INSERT
//!     column or SET target (SQLite rejects an unknown one there). Anything plain when
//!     the connection has double-quoted string literals (DQS) off: with DQS on, SQLite
//!     reads an unknown bare name as a string literal, which is the fail-open case;
//! - no single-quoted literal outside [`STRING_LITERALS`], no number outside
//!   [`NUMBER_LITERALS`] (a sign is a separate token), no bare word outside
//!   [`KEYWORDS`] (case-insensitive), no `;`, comment, `?NNN`, `:name` or other
//!   character;
//! - as many `?` as bound parameters, and no REAL parameter the caller did not give as
//!   a float (an integer beyond i64 silently bound as REAL is a lossy write).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use roost_orm::{Executor, OrmError, QueryResult, SqlValue, SqliteExecutor, Statement};

/// Single-quoted literals the compiler may write (fixed text only, e.g. `'integer'` in
/// an overflow guard). Extend with the exact literal, quotes included.
pub const STRING_LITERALS: &[&str] = &["'integer'", "'real'", "'{}'"];

/// Numeric literals the compiler may write: `SELECT 1`, and the bounds an overflow
/// guard needs (`-9223372036854775808` is `-` then the digits).
pub const NUMBER_LITERALS: &[&str] = &["0", "1", "9223372036854775807", "9223372036854775808"];

/// Bare words: what `src/query/compiler.rs` writes, plus a few an overflow or type
/// guard would need. Compared case-insensitively.
pub const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "COUNT",
    "AS",
    "INSERT",
    "INTO",
    "VALUES",
    "RETURNING",
    "UPDATE",
    "SET",
    "DELETE",
    "DEFAULT",
    "json_each",
    "value",
    "ROW_NUMBER",
    "OVER",
    "PARTITION",
    "INNER",
    "JOIN",
    "ON",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "typeof",
    "abs",
    "unhex",
    "EXISTS",
    "ESCAPE",
    "CAST",
    "BETWEEN",
    "COALESCE",
    "LEFT",
    "TRUE",
    "IGNORE",
    "CONFLICT",
    "DO",
    "NOTHING",
    // A unit of work's guard and its child insert reading the row inserted before it.
    "changes",
    "json_extract",
    "last_insert_rowid",
];

/// Tables the compiler may name besides the schema's (a qualified `"json_each"."value"`).
pub const OWN_TABLES: &[&str] = &["json_each", "excluded"];
/// Quoted names the compiler makes up: the COUNT alias and json_each's column.
pub const OWN_NAMES: &[&str] = &["aggregate", "value"];
/// Prefixes of the compiler's own aliases (`__roost_row`, `__roost_total`, `__pivot_x`).
pub const OWN_PREFIXES: &[&str] = &["__roost_", "__pivot_"];

/// Tables and their columns (lowercase), read from the database itself.
pub struct Schema {
    tables: HashMap<String, HashSet<String>>,
}

impl Schema {
    /// Every table of `sqlite_master` with its `table_info` columns; a rowid table's
    /// `rowid` / `oid` / `_rowid_` count as columns (SQLite resolves them).
    pub fn read(db: &SqliteExecutor) -> Schema {
        db.with_connection(|c| {
            let mut s = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .unwrap();
            let names: Vec<String> = s.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
            let mut tables = HashMap::new();
            for name in names {
                let mut s = c.prepare("SELECT name FROM pragma_table_info(?)").unwrap();
                let mut cols: HashSet<String> = s
                    .query_map([&name], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(|r| r.unwrap().to_ascii_lowercase())
                    .collect();
                cols.extend(["rowid", "oid", "_rowid_"].map(String::from));
                tables.insert(name.to_ascii_lowercase(), cols);
            }
            Schema { tables }
        })
    }

    pub fn is_table(&self, name: &str) -> bool {
        self.tables.contains_key(&name.to_ascii_lowercase())
    }

    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.tables
            .get(&table.to_ascii_lowercase())
            .is_some_and(|c| c.contains(&column.to_ascii_lowercase()))
    }

    /// Every column name of every table (for generators), sorted.
    pub fn all_columns(&self) -> Vec<String> {
        let mut all: Vec<String> = self.tables.values().flatten().cloned().collect();
        all.sort();
        all.dedup();
        all
    }

    pub fn table_names(&self) -> Vec<String> {
        let mut all: Vec<String> = self.tables.keys().cloned().collect();
        all.sort();
        all
    }
}

/// What the checker saw: violations, statements offered, and the floats the current
/// case gave (as bits), which are the only REAL parameters allowed.
#[derive(Default)]
pub struct Checks {
    pub violations: Mutex<Vec<String>>,
    pub statements: AtomicU64,
    pub floats: Mutex<HashSet<u64>>,
}

impl Checks {
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
    pub fn violate(&self, what: String) {
        self.violations.lock().unwrap().push(what);
    }
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *self.violations.lock().unwrap())
    }
}

pub struct CheckingExecutor {
    inner: SqliteExecutor,
    schema: Arc<Schema>,
    dqs: bool,
    pub checks: Arc<Checks>,
}

impl CheckingExecutor {
    pub fn new(inner: SqliteExecutor, schema: Arc<Schema>, checks: Arc<Checks>) -> Self {
        let dqs = inner.with_connection(|c| {
            c.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML)
                .unwrap_or(true)
        });
        CheckingExecutor {
            inner,
            schema,
            dqs,
            checks,
        }
    }

    /// Check a statement without counting it (for `to_statement`); `Err` says why not.
    pub fn verdict(&self, statement: &Statement) -> Result<(), String> {
        check(
            &self.schema,
            self.dqs,
            &self.checks.floats.lock().unwrap(),
            statement,
        )
    }

    /// Count the statement, check it, record and refuse it when it breaks a rule.
    fn admit(&self, statement: &Statement) -> roost_orm::Result<()> {
        self.checks.statements.fetch_add(1, Ordering::Relaxed);
        self.verdict(statement).map_err(|why| {
            self.checks
                .violate(format!("{why} — in {}", shorten(&statement.sql)));
            OrmError::database(
                format!("refused by the checker: {why}"),
                statement.sql.to_string(),
            )
        })
    }

    fn admit_all(&self, statements: &[Statement]) -> roost_orm::Result<()> {
        statements.iter().try_for_each(|s| self.admit(s))
    }
}

/// A short name for the rule a violation broke (for triage).
pub fn rule_of(violation: &str) -> &'static str {
    const RULES: &[(&str, &str)] = &[
        ("reads it as a string", "dqs"),
        ("REAL parameter", "real"),
        ("not a table", "table"),
        ("not a plain identifier", "ident"),
        ("aliases", "alias"),
        ("placeholders", "placeholders"),
        ("bare word", "word"),
        ("number ", "number"),
        ("string literal", "string"),
    ];
    RULES
        .iter()
        .find(|(text, _)| violation.contains(text))
        .map_or("token", |r| r.1)
}

pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}… ({} bytes)", &text[..i], text.len()),
        None => text.to_string(),
    }
}

#[async_trait::async_trait]
impl Executor for CheckingExecutor {
    async fn run(&self, statement: &Statement) -> roost_orm::Result<QueryResult> {
        self.admit(statement)?;
        self.inner.run(statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> roost_orm::Result<Vec<QueryResult>> {
        self.admit_all(statements)?;
        self.inner.batch(statements).await
    }

    fn run_now(&self, statement: &Statement) -> Option<roost_orm::Result<QueryResult>> {
        Some(self.admit(statement).and_then(|()| {
            self.inner
                .run_now(statement)
                .unwrap_or_else(|| futures::executor::block_on(self.inner.run(statement)))
        }))
    }

    fn batch_now(&self, statements: &[Statement]) -> Option<roost_orm::Result<Vec<QueryResult>>> {
        Some(self.admit_all(statements).and_then(|()| {
            self.inner
                .batch_now(statements)
                .unwrap_or_else(|| futures::executor::block_on(self.inner.batch(statements)))
        }))
    }

    fn run_rows_now(
        &self,
        statement: &Statement,
        sink: &mut dyn roost_orm::executor::RowSink,
    ) -> Option<roost_orm::Result<u64>> {
        if let Err(e) = self.admit(statement) {
            return Some(Err(e));
        }
        self.inner.run_rows_now(statement, sink)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Quoted(&'a str),
    Word(&'a str),
    Number(&'a str),
    Str(&'a str),
    /// `?` (`None`) or `?NNN`.
    Param(Option<usize>),
    Punct(&'a str),
}

fn tokenize(sql: &str) -> Result<Vec<Tok<'_>>, String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let two = b.get(i..i + 2).unwrap_or(&[]);
        match b[i] {
            b' ' => i += 1,
            b'"' => {
                let end = sql[i + 1..].find('"').ok_or("unterminated quoted name")? + i + 1;
                if b.get(end + 1) == Some(&b'"') {
                    return Err("a quote inside a quoted name".into());
                }
                out.push(Tok::Quoted(&sql[i + 1..end]));
                i = end + 1;
            }
            b'\'' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                out.push(Tok::Str(&sql[start..i]));
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                out.push(Tok::Number(&sql[start..i]));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(Tok::Word(&sql[start..i]));
            }
            b'?' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = sql[start + 1..i]
                    .parse()
                    .map_err(|_| "a huge parameter number")?;
                out.push(Tok::Param(Some(n)));
            }
            b'?' => {
                out.push(Tok::Param(None));
                i += 1;
            }
            _ if two == b"--" || two == b"/*" => return Err("a comment".into()),
            _ if [b"!=", b"<>", b"<=", b">="].iter().any(|p| two == *p) => {
                out.push(Tok::Punct(&sql[i..i + 2]));
                i += 2;
            }
            b'(' | b')' | b',' | b'.' | b'*' | b'=' | b'+' | b'-' | b'<' | b'>' => {
                out.push(Tok::Punct(&sql[i..i + 1]));
                i += 1;
            }
            _ => {
                let c = sql[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected character {c:?} outside quotes"));
            }
        }
    }
    Ok(out)
}

fn plain(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn own_name(name: &str) -> bool {
    OWN_NAMES.contains(&name) || OWN_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn is_word(t: Option<&Tok>, words: &[&str]) -> bool {
    matches!(t, Some(Tok::Word(w)) if words.iter().any(|k| k.eq_ignore_ascii_case(w)))
}

/// The rules of the module docs, for one statement.
fn check(schema: &Schema, dqs: bool, floats: &HashSet<u64>, st: &Statement) -> Result<(), String> {
    let toks = tokenize(&st.sql)?;
    let anonymous = toks.iter().filter(|t| **t == Tok::Param(None)).count();
    let numbered: HashSet<usize> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Param(Some(n)) => Some(*n),
            _ => None,
        })
        .collect();
    // Either every placeholder is `?`, one per parameter, or every one is `?NNN` and
    // the numbers are exactly 1..=params (a number may repeat: a clause written twice).
    let holes_ok = if numbered.is_empty() {
        anonymous == st.params.len()
    } else {
        anonymous == 0 && numbered == (1..=st.params.len()).collect::<HashSet<_>>()
    };
    if !holes_ok {
        return Err(format!(
            "{anonymous} `?` and numbered {numbered:?} placeholders for {} parameters",
            st.params.len()
        ));
    }
    for p in &st.params {
        if let SqlValue::Real(f) = p {
            if !floats.contains(&f.to_bits()) {
                return Err(format!(
                    "REAL parameter {f:e} the caller never gave as a float"
                ));
            }
        }
    }
    let at = |k: usize, d: isize| k.checked_add_signed(d).and_then(|j| toks.get(j));
    let mut scope = HashSet::new(); // tables the statement reads or writes
    let mut targets = HashSet::new(); // INSERT columns and SET targets
    let mut aliases = HashSet::new(); // names after AS
                                      // `"value"` is json_each's column only where json_each is the statement's own FROM
                                      // (a pivot insert), not inside an `IN (SELECT value FROM json_each(?))`.
    let mut json_each = false;
    let mut depth = 0i32;
    let (mut in_insert_list, mut in_set) = (false, false);
    for (k, t) in toks.iter().enumerate() {
        match *t {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") => depth -= 1,
            Tok::Word(w) if w.eq_ignore_ascii_case("FROM") && depth == 0 => {
                json_each |= at(k, 1) == Some(&Tok::Word("json_each"))
            }
            _ => {}
        }
        match *t {
            Tok::Word(w) if !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w)) => {
                return Err(format!("bare word {w:?}"))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("SET") => in_set = true,
            Tok::Word(w)
                if ["WHERE", "RETURNING", "FROM"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(w)) =>
            {
                in_set = false
            }
            Tok::Number(n) if !NUMBER_LITERALS.contains(&n) => return Err(format!("number {n}")),
            Tok::Str(s) if !STRING_LITERALS.contains(&s) => {
                return Err(format!("string literal {}", shorten(s)))
            }
            Tok::Punct("(")
                if matches!(at(k, -1), Some(Tok::Quoted(_))) && is_word(at(k, -2), &["INTO"]) =>
            {
                in_insert_list = true
            }
            Tok::Punct(")") => in_insert_list = false,
            Tok::Quoted(name) => {
                if is_word(at(k, -1), &["FROM", "JOIN", "INTO", "UPDATE"]) {
                    scope.insert(name.to_ascii_lowercase());
                }
                let set_target = in_set
                    && (is_word(at(k, -1), &["SET"]) || at(k, -1) == Some(&Tok::Punct(",")))
                    && at(k, 1) == Some(&Tok::Punct("="));
                if in_insert_list || set_target {
                    targets.insert(name.to_ascii_lowercase());
                }
                if is_word(at(k, -1), &["AS"]) {
                    aliases.insert(name);
                }
            }
            _ => {}
        }
    }
    for (k, t) in toks.iter().enumerate() {
        let Tok::Quoted(name) = *t else { continue };
        let bad = |why: &str| {
            Err(format!(
                "quoted name {} {why}",
                shorten(&format!("{name:?}"))
            ))
        };
        if !plain(name) {
            return bad("is not a plain identifier");
        }
        let table_position = at(k, 1) == Some(&Tok::Punct("."))
            || is_word(at(k, -1), &["FROM", "JOIN", "INTO", "UPDATE"]);
        if table_position {
            // The compiler's own subquery aliases (`"__roost_page"`) qualify columns too.
            let own_alias = OWN_PREFIXES.iter().any(|p| name.starts_with(p));
            if !schema.is_table(name) && !OWN_TABLES.contains(&name) && !own_alias {
                return bad("is not a table of the schema");
            }
        } else if is_word(at(k, -1), &["AS"]) {
            // `paginate` aliases its page subquery as the model's own table.
            if !own_name(name) && !schema.is_table(name) {
                return bad("is not one of the compiler's aliases");
            }
        } else if at(k, -1) == Some(&Tok::Punct(".")) {
            // The column of a qualified name: resolved by SQLite or an error.
        } else {
            // An own name bare only where the statement makes it: `"value"` of a
            // json_each, `"__roost_row"` after `AS "__roost_row"`.
            let known = (name == "value" && json_each)
                || aliases.contains(name)
                || scope.iter().any(|t| schema.has_column(t, name))
                || targets.contains(&name.to_ascii_lowercase());
            if dqs && !known {
                return bad("is no column of the statement's tables (SQLite reads it as a string)");
            }
        }
    }
    Ok(())
}

/// The checker itself: it accepts the shapes the compiler writes and rejects hostile
/// ones (with DQS on, as SQLite's default is).
#[test]
fn checker_accepts_compiler_shapes_and_rejects_hostile_text() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
         CREATE TABLE post_tag (post_id INTEGER, tag_id INTEGER, role TEXT);",
    )
    .unwrap();
    let schema = Schema::read(&db);
    let verdict = |sql: &str, params: Vec<SqlValue>| {
        check(&schema, true, &HashSet::new(), &Statement::new(sql, params))
    };
    let p = |n: usize| vec![SqlValue::Integer(1); n];
    for (sql, n) in [
        ("SELECT * FROM \"notes\" WHERE (\"notes\".\"title\" = ? OR \"body\" LIKE ?) AND \"notes\".\"id\" IS NOT NULL ORDER BY \"id\" DESC LIMIT ? OFFSET ?", 4),
        ("SELECT *, COUNT(*) OVER () AS \"__roost_total\" FROM \"notes\" LIMIT ?", 1),
        ("SELECT COUNT(*) AS \"aggregate\" FROM (SELECT 1 FROM \"notes\" LIMIT ?)", 1),
        ("SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY \"notes\".\"id\" ORDER BY \"notes\".\"id\" ASC) AS \"__roost_row\" FROM \"notes\" WHERE \"notes\".\"id\" IN (SELECT value FROM json_each(?))) WHERE \"__roost_row\" > ? ORDER BY \"__roost_row\"", 2),
        ("SELECT \"notes\".*, \"post_tag\".\"role\" AS \"__pivot_role\" FROM \"notes\" INNER JOIN \"post_tag\" ON \"post_tag\".\"tag_id\" = \"notes\".\"id\"", 0),
        ("INSERT INTO \"post_tag\" (\"post_id\", \"tag_id\", \"rolee\") SELECT ?, \"value\", ? FROM json_each(?) WHERE \"value\" NOT IN (SELECT \"tag_id\" FROM \"post_tag\" WHERE \"post_id\" = ?) RETURNING \"tag_id\"", 4),
        ("UPDATE \"notes\" SET \"rank\" = \"rank\" + ?, \"title\" = ? WHERE \"id\" = ? RETURNING *", 3),
        ("INSERT INTO \"notes\" DEFAULT VALUES RETURNING *", 0),
        ("DELETE FROM \"notes\" WHERE \"id\" IN (SELECT \"id\" FROM \"notes\" WHERE \"notes\".\"bodyy\" = ? LIMIT ?)", 2),
    ] {
        assert_eq!(verdict(sql, p(n)), Ok(()), "{sql}");
    }
    for (sql, n) in [
        ("SELECT * FROM \"notes\" WHERE \"bodyy\" = ?", 1),
        ("SELECT * FROM \"notes\" WHERE \"value\" = ?", 1),
        (
            "SELECT * FROM \"notes\" WHERE \"value\" IN (SELECT value FROM json_each(?))",
            1,
        ),
        ("SELECT * FROM \"notes\" WHERE \"__roost_row\" = ?", 1),
        ("SELECT * FROM \"notes\" RETURNING \"bodyy\"", 0),
        ("SELECT * FROM \"notes\"; DROP TABLE \"notes\"", 0),
        (
            "SELECT * FROM \"notes\" UNION SELECT * FROM \"post_tag\"",
            0,
        ),
        ("SELECT * FROM \"notes\" WHERE \"id\" = 2", 0),
        ("SELECT * FROM \"notes\" WHERE \"title\" = 'x'", 0),
        ("SELECT * FROM \"notes\" WHERE \"a\"\"b\" = ?", 1),
        ("SELECT * FROM \"notes\" WHERE \"id\" = ? -- x", 1),
        ("SELECT * FROM \"notes\" WHERE \"id\" = ?2", 1),
        (
            "SELECT * FROM \"notes\" WHERE \"id\" = ?1 AND \"id\" = ?",
            2,
        ),
        ("SELECT * FROM \"notes\" WHERE \"id\" = ?", 0),
        ("SELECT * FROM \"nope\" WHERE \"id\" = ?", 1),
        ("SELECT * FROM \"notes\" WHERE \"nope\".\"id\" = ?", 1),
        ("SELECT * FROM \"notes\"\nWHERE \"id\" = ?", 1),
        ("SELECT * FROM \"notes\" AS \"n\"", 0),
        ("SELECT * FROM \"notes\" WHERE \"id\" = :id", 0),
    ] {
        assert!(verdict(sql, p(n)).is_err(), "accepted: {sql}");
    }
    let lossy = Statement::new(
        "SELECT * FROM \"notes\" WHERE \"id\" = ?",
        vec![SqlValue::Real(u64::MAX as f64)],
    );
    assert!(check(&schema, true, &HashSet::new(), &lossy).is_err());
    assert!(check(
        &schema,
        true,
        &HashSet::from([(u64::MAX as f64).to_bits()]),
        &lossy
    )
    .is_ok());
}
