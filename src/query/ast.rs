//! The query AST: what a query means, apart from the SQL it becomes (as Diesel keeps
//! them). Builders and model methods produce these nodes; only
//! [`compiler`](super::compiler) turns them into text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

use once_cell::sync::Lazy;

use crate::error::{OrmError, Result};
pub use crate::query::raw::RawSql;
use crate::value::SqlValue;

/// A validated identifier: `column` or `table.column`, each part `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Names that live for the whole program (a model's table, its declared columns, the
/// timestamp columns) are held without copying ([`Ident::parse_static`]), so building
/// a query allocates nothing for them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    name: Cow<'static, str>,
    /// Position of the `.` of `table.column` (0: none — a valid name never starts
    /// with one), found once when the name is validated.
    dot: usize,
}

/// The position of the dot of a valid `column` / `table.column` (0 for none), or
/// `None` for an invalid name: one pass over the bytes.
fn validate(name: &str) -> Option<usize> {
    let mut dot = 0;
    let mut part_start = true;
    for (i, b) in name.bytes().enumerate() {
        if part_start {
            if !(b.is_ascii_alphabetic() || b == b'_') {
                return None;
            }
            part_start = false;
        } else if b == b'.' {
            if dot != 0 {
                return None;
            }
            dot = i;
            part_start = true;
        } else if !(b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
    }
    (!part_start).then_some(dot)
}

fn is_plain_ident(s: &str) -> bool {
    validate(s) == Some(0)
}

/// `table.column` names made from two static names, made once per pair.
static QUALIFIED: Lazy<RwLock<HashMap<(&'static str, &'static str), &'static str>>> =
    Lazy::new(Default::default);

impl Ident {
    /// Validate `name`; anything else is [`OrmError::InvalidIdentifier`].
    ///
    /// ```
    /// use roost_orm::query::Ident;
    /// assert!(Ident::parse("posts.author_id").is_ok());
    /// assert!(Ident::parse("id; DROP TABLE users").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Ident> {
        match validate(name) {
            Some(dot) => Ok(Ident {
                name: Cow::Owned(name.to_string()),
                dot,
            }),
            None => Err(OrmError::InvalidIdentifier(name.to_string())),
        }
    }

    /// Like [`Ident::parse`], for a name that lives for the whole program: validated
    /// the same way, but kept by reference instead of copied.
    ///
    /// ```
    /// use roost_orm::query::Ident;
    /// assert_eq!(Ident::parse_static("posts").unwrap(), Ident::parse("posts").unwrap());
    /// assert!(Ident::parse_static("no spaces").is_err());
    /// ```
    pub fn parse_static(name: &'static str) -> Result<Ident> {
        match validate(name) {
            Some(dot) => Ok(Ident {
                name: Cow::Borrowed(name),
                dot,
            }),
            None => Err(OrmError::InvalidIdentifier(name.to_string())),
        }
    }

    /// A static name known to be valid — it passed [`Ident::parse_static`] before (a
    /// hit in the statement text cache proves that for a model's consts). Not checked
    /// again; an invalid name here is a bug of the caller.
    pub(crate) fn trusted_static(name: &'static str) -> Ident {
        debug_assert!(validate(name).is_some(), "untrusted identifier {name:?}");
        Ident {
            dot: name.bytes().position(|b| b == b'.').unwrap_or(0),
            name: Cow::Borrowed(name),
        }
    }

    /// `table.column` from two static names (validated like [`Ident::parse`]). The
    /// joined text is made once per pair and then reused, so a model's scope columns
    /// (`posts.deleted_at`) cost no allocation per query.
    pub fn qualified_static(table: &'static str, column: &'static str) -> Result<Ident> {
        if !(is_plain_ident(table) && is_plain_ident(column)) {
            return Err(OrmError::InvalidIdentifier(format!("{table}.{column}")));
        }
        let known = QUALIFIED
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(table, column))
            .copied();
        let joined = match known {
            Some(joined) => joined,
            None => {
                let joined: &'static str = Box::leak(format!("{table}.{column}").into_boxed_str());
                QUALIFIED
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert((table, column), joined);
                joined
            }
        };
        Ok(Ident {
            name: Cow::Borrowed(joined),
            dot: table.len(),
        })
    }

    /// `(table, column)`.
    pub fn parts(&self) -> (Option<&str>, &str) {
        match self.dot {
            0 => (None, &self.name),
            dot => (Some(&self.name[..dot]), &self.name[dot + 1..]),
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A comparison operator (TS `Operator`, plus Laravel's `<>` spelling and `not like`).
///
/// Parsed from `=`, `!=` / `<>`, `>`, `<`, `>=`, `<=`, `like` and `not like` (any case,
/// surrounding spaces ignored); anything else — `==` included — is
/// [`OrmError::InvalidOperator`], never SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Gte,
    /// `<=`
    Lte,
    /// `like` (SQLite LIKE: case-insensitive for ASCII; D1 caps patterns at 50 bytes)
    Like,
    /// `not like`
    NotLike,
}

impl Operator {
    /// The SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::NotEq => "!=",
            Operator::Gt => ">",
            Operator::Lt => "<",
            Operator::Gte => ">=",
            Operator::Lte => "<=",
            Operator::Like => "LIKE",
            Operator::NotLike => "NOT LIKE",
        }
    }
}

impl FromStr for Operator {
    type Err = OrmError;

    /// Parse the TS operator strings; `<>` is accepted as `!=` (as Laravel does),
    /// `like` / `not like` in any case. `==` is not SQL and is rejected.
    fn from_str(s: &str) -> Result<Operator> {
        Ok(match s.trim() {
            "=" => Operator::Eq,
            "!=" | "<>" => Operator::NotEq,
            ">" => Operator::Gt,
            "<" => Operator::Lt,
            ">=" => Operator::Gte,
            "<=" => Operator::Lte,
            other if other.eq_ignore_ascii_case("like") => Operator::Like,
            other if is_not_like(other) => Operator::NotLike,
            other => return Err(OrmError::InvalidOperator(other.to_string())),
        })
    }
}

/// `not like` in any case, with any run of spaces between the words.
fn is_not_like(s: &str) -> bool {
    let mut words = s.split_ascii_whitespace();
    matches!(
        (words.next(), words.next(), words.next()),
        (Some(not), Some(like), None)
            if not.eq_ignore_ascii_case("not") && like.eq_ignore_ascii_case("like")
    )
}

/// An operator argument: an [`Operator`] or its TS string.
pub trait IntoOperator {
    /// Convert, failing with [`OrmError::InvalidOperator`].
    fn into_operator(self) -> Result<Operator>;
}

impl IntoOperator for Operator {
    fn into_operator(self) -> Result<Operator> {
        Ok(self)
    }
}

impl IntoOperator for &str {
    fn into_operator(self) -> Result<Operator> {
        self.parse()
    }
}

impl IntoOperator for String {
    fn into_operator(self) -> Result<Operator> {
        self.parse()
    }
}

/// What an INSERT does with a row that breaks a PRIMARY KEY or UNIQUE constraint.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum OnConflict {
    /// The statement fails (a batch rolls back): plain `INSERT`.
    #[default]
    Fail,
    /// The row is skipped: `INSERT OR IGNORE` (Laravel `insertOrIgnore`).
    Ignore,
    /// The stored row is updated from the new one (Laravel `upsert`): `ON CONFLICT
    /// (unique_by) DO UPDATE SET c = excluded.c` for each of `update` (`DO NOTHING`
    /// when empty), only where the stored row's `guard` column equals the new row's.
    Update {
        /// The columns of the PRIMARY KEY or UNIQUE index that conflicts.
        unique_by: Vec<Ident>,
        /// The columns taken from the new row.
        update: Vec<Ident>,
        /// The tenant column: a conflicting row of another tenant is not updated.
        guard: Option<Ident>,
    },
}

/// The right-hand side of `SET column = ...` in an UPDATE.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `column = ?`
    Value(SqlValue),
    /// `column = column + ?`: an atomic increment (a negative amount decrements).
    Add(SqlValue),
}

impl From<SqlValue> for Assignment {
    fn from(value: SqlValue) -> Self {
        Assignment::Value(value)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

impl Direction {
    /// The SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

impl FromStr for Direction {
    type Err = OrmError;

    fn from_str(s: &str) -> Result<Direction> {
        if s.eq_ignore_ascii_case("asc") {
            Ok(Direction::Asc)
        } else if s.eq_ignore_ascii_case("desc") {
            Ok(Direction::Desc)
        } else {
            Err(OrmError::InvalidDirection(s.to_string()))
        }
    }
}

/// A direction argument: a [`Direction`] or `"asc"` / `"desc"`.
pub trait IntoDirection {
    /// Convert, failing with [`OrmError::InvalidDirection`].
    fn into_direction(self) -> Result<Direction>;
}

impl IntoDirection for Direction {
    fn into_direction(self) -> Result<Direction> {
        Ok(self)
    }
}

impl IntoDirection for &str {
    fn into_direction(self) -> Result<Direction> {
        self.parse()
    }
}

/// How a condition joins the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boolean {
    /// `AND`
    And,
    /// `OR`
    Or,
}

/// One predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `column op ?`
    Compare {
        /// The column.
        column: Ident,
        /// The operator.
        op: Operator,
        /// The bound value.
        value: SqlValue,
    },
    /// `column [NOT] IN (list)`; the list is bound as one JSON array, whatever its length.
    In {
        /// The column.
        column: Ident,
        /// The bound values (each made by the column's rule, as a `Compare` value is).
        values: Vec<SqlValue>,
        /// `NOT IN`.
        negated: bool,
    },
    /// The caller's SQL text with its bound values (`where_raw`), written in
    /// parentheses.
    Raw(RawSql),
    /// `column IS [NOT] NULL`
    Null {
        /// The column.
        column: Ident,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// A parenthesized group of conditions (scopes combine groups).
    Group(Vec<Where>),
    /// `NOT (group)` (Laravel `whereNot`).
    Not(Vec<Where>),
    /// `column [NOT] BETWEEN ? AND ?`
    Between {
        /// The column.
        column: Ident,
        /// The bounds, inclusive.
        low: SqlValue,
        /// The upper bound.
        high: SqlValue,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// `left op right`, two columns (Laravel `whereColumn`).
    Columns {
        /// The left column.
        left: Ident,
        /// The operator.
        op: Operator,
        /// The right column.
        right: Ident,
    },
    /// `column [NOT] GLOB ?`: a case-sensitive LIKE, the pattern already translated
    /// from LIKE's `%` / `_` to GLOB's `*` / `?`.
    Glob {
        /// The column.
        column: Ident,
        /// The GLOB pattern.
        pattern: SqlValue,
        /// `NOT GLOB`.
        negated: bool,
    },
    /// `[NOT] EXISTS (SELECT 1 FROM ... WHERE ...)`: a related model's rows, correlated
    /// with the outer row (`where_has`, `has`), the related model's scopes inside.
    Exists {
        /// The related rows; its projection, order and limit are not written.
        select: Box<Select>,
        /// `NOT EXISTS`.
        negated: bool,
    },
    /// `(SELECT COUNT(*) FROM ... WHERE ...) op ?`: how many related rows the outer row
    /// has (`has(relation, ">=", 3)`).
    CountOf {
        /// The related rows; its projection, order and limit are not written.
        select: Box<Select>,
        /// The operator.
        op: Operator,
        /// The bound count.
        value: SqlValue,
    },
    /// A condition the query builder resolves against the request at its terminal (a
    /// relation's subquery needs the request's tenant); never reaches the compiler.
    Deferred(Deferred),
    /// `<part of column> op ?` on ISO-8601 text (Laravel `whereDate` / `whereYear` /
    /// ...): SQLite's `date()` / `time()` / `strftime()` of the column.
    DatePart {
        /// Which part.
        part: DatePart,
        /// The column.
        column: Ident,
        /// The operator.
        op: Operator,
        /// The bound value, as text in the part's format (`2026`, `05`, `2026-05-01`).
        value: SqlValue,
    },
}

/// A [`Condition::Deferred`]: builds its condition from the request's [`Orm`](crate::Orm).
#[derive(Clone)]
pub struct Deferred(pub(crate) std::sync::Arc<dyn ResolveCondition>);

/// What a [`Deferred`] condition does at the terminal.
pub(crate) trait ResolveCondition:
    crate::runtime::MaybeSend + crate::runtime::MaybeSync
{
    /// The condition for the request of `orm`.
    fn resolve(&self, orm: &crate::Orm) -> Result<Condition>;
    /// What it stands for, for `Debug`.
    fn describe(&self) -> String;
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deferred({})", self.0.describe())
    }
}

/// Replace every [`Condition::Deferred`] in `wheres` (groups included) by its condition
/// for the request of `orm`; the first failure is the error (nothing is left unresolved).
pub(crate) fn resolve_deferred(wheres: &mut [Where], orm: &crate::Orm) -> Result<()> {
    for w in wheres {
        match &mut w.condition {
            Condition::Deferred(deferred) => {
                let resolved = deferred.0.resolve(orm)?;
                w.condition = resolved;
            }
            Condition::Group(inner) | Condition::Not(inner) => resolve_deferred(inner, orm)?,
            _ => {}
        }
    }
    Ok(())
}

impl PartialEq for Deferred {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The part of an ISO-8601 date-time a [`Condition::DatePart`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    /// `YYYY-MM-DD` (`date(column)`).
    Date,
    /// `YYYY` (`strftime('%Y', column)`).
    Year,
    /// `MM` (`strftime('%m', column)`).
    Month,
    /// `DD` (`strftime('%d', column)`).
    Day,
    /// `HH:MM:SS` (`time(column)`).
    Time,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// `COUNT(column)` (non-NULL values), or `COUNT(*)` without a column.
    Count,
    /// `SUM(column)`
    Sum,
    /// `AVG(column)`
    Avg,
    /// `MIN(column)`
    Min,
    /// `MAX(column)`
    Max,
}

impl Aggregate {
    /// The SQL function name.
    pub fn sql(self) -> &'static str {
        match self {
            Aggregate::Count => "COUNT",
            Aggregate::Sum => "SUM",
            Aggregate::Avg => "AVG",
            Aggregate::Min => "MIN",
            Aggregate::Max => "MAX",
        }
    }
}

/// One item of a SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    /// A column (written qualified; it comes back under its bare name).
    Column(Ident),
    /// `FUNC(column) AS "alias"` (`COUNT(*)` when `column` is `None`).
    Aggregate {
        /// The function.
        function: Aggregate,
        /// The column; `None` for `COUNT(*)`.
        column: Option<Ident>,
        /// The name the value comes back under (a plain identifier).
        alias: Ident,
    },
    /// The caller's SQL text with its bound values (`select_raw`), as written.
    Raw(RawSql),
    /// Every column of one table of the query: `"posts".*` (`select(["posts.*"])`).
    AllOf(Ident),
    /// A related model's aggregate per row (`with_count`, `with_exists`, `with_sum`…):
    /// `(SELECT COUNT(*) FROM related WHERE <correlation> AND <scopes>) AS "alias"`, or
    /// `EXISTS (...) AS "alias"` when `function` is `None`. The aggregated column, if
    /// any, is the subquery's first projection.
    Related {
        /// The aggregate; `None` for `EXISTS`.
        function: Option<Aggregate>,
        /// The related rows (see [`Condition::Exists`]).
        select: Box<Select>,
        /// The name the value comes back under (a plain identifier).
        alias: Ident,
    },
}

/// One ORDER BY term.
#[derive(Debug, Clone, PartialEq)]
pub enum Order {
    /// A column and its direction.
    Column(Ident, Direction),
    /// An aggregate of the SELECT list (written as its expression, `COUNT(*)`, never
    /// as its bare alias) and its direction.
    Aggregate(Aggregate, Option<Ident>, Direction),
    /// `random()` (Laravel `inRandomOrder`).
    Random,
    /// The caller's SQL text with its bound values (`order_by_raw`), as written.
    Raw(RawSql),
}

/// One GROUP BY term.
#[derive(Debug, Clone, PartialEq)]
pub enum Group {
    /// A column (written qualified).
    Column(Ident),
    /// The caller's SQL text with its bound values (`group_by_raw`), as written.
    Raw(RawSql),
}

/// One HAVING term: an aggregate or a grouped column, compared with a bound value (or
/// a range).
#[derive(Debug, Clone, PartialEq)]
pub struct Having {
    /// `AND` / `OR` with the previous term.
    pub boolean: Boolean,
    /// What is compared: an aggregate (written as its expression) or a column
    /// (written qualified).
    pub target: HavingTarget,
    /// The comparison.
    pub test: HavingTest,
}

/// What a [`Having`] term compares.
#[derive(Debug, Clone, PartialEq)]
pub enum HavingTarget {
    /// An aggregate, e.g. the one a SELECT-list alias names (`COUNT(*)` when the
    /// column is `None`).
    Aggregate(Aggregate, Option<Ident>),
    /// A column.
    Column(Ident),
    /// The caller's SQL text with its bound values (`having_raw`): a whole predicate,
    /// written in parentheses, with [`HavingTest::Holds`].
    Raw(RawSql),
}

/// How a [`Having`] term compares.
#[derive(Debug, Clone, PartialEq)]
pub enum HavingTest {
    /// `op ?`
    Compare(Operator, SqlValue),
    /// `[NOT] BETWEEN ? AND ?`
    Between(SqlValue, SqlValue, bool),
    /// Nothing more: the target is itself a predicate (a raw one).
    Holds,
}

/// A condition with its connective.
#[derive(Debug, Clone, PartialEq)]
pub struct Where {
    /// `AND` / `OR` with the previous condition (ignored for the first).
    pub boolean: Boolean,
    /// The predicate.
    pub condition: Condition,
}

/// A SELECT: the caller's conditions (one group, where OR lives) and the scopes that
/// are always ANDed outside it (soft deletes, tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// The table.
    pub table: Ident,
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// The SELECT list; empty means `*`.
    pub columns: Vec<Projection>,
    /// The caller's conditions.
    pub filter: Vec<Where>,
    /// Scope conditions, ANDed with the caller's group and each other.
    pub scopes: Vec<Condition>,
    /// GROUP BY terms.
    pub groups: Vec<Group>,
    /// HAVING terms.
    pub having: Vec<Having>,
    /// ORDER BY terms.
    pub orders: Vec<Order>,
    /// LIMIT.
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: Option<u64>,
    /// Tables and subqueries joined to the table, in order.
    pub joins: Vec<Join>,
}

/// How a [`Join`] combines rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `INNER JOIN`: only rows with a match.
    Inner,
    /// `LEFT JOIN`: every row of the left side, NULLs where nothing matches.
    Left,
    /// `CROSS JOIN`: every pair.
    Cross,
}

/// What a [`Join`] reads: a table, or a subquery under an alias.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinSource {
    /// A table, referred to by its name.
    Table(Ident),
    /// `(SELECT ...) AS alias`: a model query with its own scopes.
    Sub(Box<Select>, Ident),
}

/// One `JOIN` of a [`Select`]: its `ON` is the caller's conditions as one group, the
/// joined model's scopes (its tenant) ANDed outside it — as in a WHERE.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Inner, left or cross.
    pub kind: JoinKind,
    /// The table or subquery.
    pub source: JoinSource,
    /// The caller's `on` / `where` conditions.
    pub on: Vec<Where>,
    /// The joined model's scope conditions.
    pub scopes: Vec<Condition>,
}

impl Join {
    /// The name the joined rows are referred to by: the table, or the subquery's alias.
    pub fn name(&self) -> &Ident {
        match &self.source {
            JoinSource::Table(table) => table,
            JoinSource::Sub(_, alias) => alias,
        }
    }
}

impl Select {
    /// `SELECT * FROM table` with nothing else.
    pub fn new(table: Ident) -> Self {
        Select {
            table,
            distinct: false,
            columns: Vec::new(),
            filter: Vec::new(),
            scopes: Vec::new(),
            groups: Vec::new(),
            having: Vec::new(),
            orders: Vec::new(),
            limit: None,
            offset: None,
            joins: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_validated() {
        for ok in ["id", "_x", "Posts", "posts.id", "a1_b2"] {
            assert!(Ident::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "1a", "a b", "a\"b", "a.b.c", "a.", ".a", "a-b", "id;--", "é",
        ] {
            assert_eq!(
                Ident::parse(bad),
                Err(OrmError::InvalidIdentifier(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn static_identifiers_match_parsed_ones() {
        assert_eq!(
            Ident::qualified_static("posts", "deleted_at").unwrap(),
            Ident::parse("posts.deleted_at").unwrap()
        );
        assert_eq!(
            Ident::qualified_static("posts", "deleted_at")
                .unwrap()
                .parts(),
            (Some("posts"), "deleted_at")
        );
        assert!(Ident::qualified_static("posts", "a b").is_err());
        assert!(Ident::parse_static("a.b.c").is_err());
    }

    #[test]
    fn operators_parse_from_ts_strings() {
        assert_eq!("like".parse::<Operator>().unwrap(), Operator::Like);
        assert_eq!("LIKE".parse::<Operator>().unwrap(), Operator::Like);
        assert_eq!(">=".parse::<Operator>().unwrap(), Operator::Gte);
        assert_eq!(
            "; DROP".parse::<Operator>(),
            Err(OrmError::InvalidOperator("; DROP".into()))
        );
        assert_eq!("<>".parse::<Operator>().unwrap(), Operator::NotEq);
        assert_eq!("Not  LIKE".parse::<Operator>().unwrap(), Operator::NotLike);
        for bad in ["==", "not", "not like x", "like like", "=<", ""] {
            assert_eq!(
                bad.parse::<Operator>(),
                Err(OrmError::InvalidOperator(bad.trim().into())),
                "{bad:?}"
            );
        }
        assert!("sideways".parse::<Direction>().is_err());
        assert_eq!("DESC".parse::<Direction>().unwrap(), Direction::Desc);
    }
}
