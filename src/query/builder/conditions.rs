//! Eloquent's other WHERE forms on [`QueryBuilder`]: ranges, column comparisons,
//! negated groups, LIKE with an explicit case rule, date parts of ISO-8601 text,
//! several columns at once, conditional chains, and the `or_` forms. Each records an
//! AST condition in the caller's group (scopes stay outside it); values bind by the
//! column's rule, names are checked, and a bad argument is kept for the terminal.

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::query::ast::{Boolean, Condition, DatePart, IntoOperator, Operator, Where};
use crate::value::SqlValue;

impl<M: ModelDef> QueryBuilder<M> {
    /// Record `condition` (or the first error) with `boolean`.
    fn record(mut self, boolean: Boolean, condition: Result<Condition>) -> Self {
        match condition {
            Ok(condition) => self.filter.push(Where { boolean, condition }),
            Err(e) => self.fail(e),
        }
        self
    }

    fn between(
        self,
        boolean: Boolean,
        column: &str,
        [low, high]: [Value; 2],
        negated: bool,
    ) -> Self {
        let condition = self.check_col(column).and_then(|column| {
            Ok(Condition::Between {
                low: self.bind_col(&column, &low)?,
                high: self.bind_col(&column, &high)?,
                column,
                negated,
            })
        });
        self.record(boolean, condition)
    }

    /// `AND column BETWEEN low AND high` (inclusive; Laravel `whereBetween`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let mid = Post::query().where_between("views", [10, 100]).all().await?;
    /// # Ok(()) }
    /// ```
    pub fn where_between(self, column: &str, range: [impl Into<Value>; 2]) -> Self {
        let [low, high] = range;
        self.between(Boolean::And, column, [low.into(), high.into()], false)
    }

    /// `OR column BETWEEN low AND high`.
    pub fn or_where_between(self, column: &str, range: [impl Into<Value>; 2]) -> Self {
        let [low, high] = range;
        self.between(Boolean::Or, column, [low.into(), high.into()], false)
    }

    /// `AND column NOT BETWEEN low AND high`.
    pub fn where_not_between(self, column: &str, range: [impl Into<Value>; 2]) -> Self {
        let [low, high] = range;
        self.between(Boolean::And, column, [low.into(), high.into()], true)
    }

    /// `OR column NOT BETWEEN low AND high`.
    pub fn or_where_not_between(self, column: &str, range: [impl Into<Value>; 2]) -> Self {
        let [low, high] = range;
        self.between(Boolean::Or, column, [low.into(), high.into()], true)
    }

    fn columns(self, boolean: Boolean, left: &str, op: Result<Operator>, right: &str) -> Self {
        let condition = op.and_then(|op| {
            Ok(Condition::Columns {
                left: self.check_col(left)?,
                op,
                right: self.check_col(right)?,
            })
        });
        self.record(boolean, condition)
    }

    /// `AND left op right`, comparing two columns (Laravel `whereColumn`).
    pub fn where_column(self, left: &str, op: impl IntoOperator, right: &str) -> Self {
        self.columns(Boolean::And, left, op.into_operator(), right)
    }

    /// `OR left op right`.
    pub fn or_where_column(self, left: &str, op: impl IntoOperator, right: &str) -> Self {
        self.columns(Boolean::Or, left, op.into_operator(), right)
    }

    fn negated_group(mut self, boolean: Boolean, f: impl FnOnce(Self) -> Self) -> Self {
        let inner = f(Self::new());
        if let Some(e) = inner.error {
            self.fail(*e);
        } else if !inner.filter.is_empty() {
            self.filter.push(Where {
                boolean,
                condition: Condition::Not(inner.filter),
            });
        }
        self
    }

    /// `AND NOT ( ... )`: the conditions `f` adds, negated (Laravel `whereNot`).
    pub fn where_not(self, f: impl FnOnce(Self) -> Self) -> Self {
        self.negated_group(Boolean::And, f)
    }

    /// `OR NOT ( ... )`.
    pub fn or_where_not(self, f: impl FnOnce(Self) -> Self) -> Self {
        self.negated_group(Boolean::Or, f)
    }

    fn like(
        self,
        boolean: Boolean,
        column: &str,
        pattern: &str,
        case_sensitive: bool,
        negated: bool,
    ) -> Self {
        let condition = self.check_col(column).map(|column| match case_sensitive {
            // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive match.
            true => Condition::Glob {
                column,
                pattern: SqlValue::Text(like_to_glob(pattern)),
                negated,
            },
            false => Condition::Compare {
                column,
                op: if negated {
                    Operator::NotLike
                } else {
                    Operator::Like
                },
                value: SqlValue::Text(pattern.to_string()),
            },
        });
        self.record(boolean, condition)
    }

    /// `AND column LIKE pattern` (Laravel `whereLike($column, $value, $caseSensitive)`):
    /// `%` and `_` are LIKE's wildcards. Case-insensitive for ASCII letters (SQLite's
    /// LIKE), or case-sensitive with `case_sensitive` (compiled as SQLite's `GLOB`, the
    /// pattern translated). D1 caps patterns at 50 bytes.
    pub fn where_like(self, column: &str, pattern: &str, case_sensitive: bool) -> Self {
        self.like(Boolean::And, column, pattern, case_sensitive, false)
    }

    /// `OR column LIKE pattern` (see [`where_like`](Self::where_like)).
    pub fn or_where_like(self, column: &str, pattern: &str, case_sensitive: bool) -> Self {
        self.like(Boolean::Or, column, pattern, case_sensitive, false)
    }

    /// `AND column NOT LIKE pattern` (see [`where_like`](Self::where_like)).
    pub fn where_not_like(self, column: &str, pattern: &str, case_sensitive: bool) -> Self {
        self.like(Boolean::And, column, pattern, case_sensitive, true)
    }

    /// `OR column NOT LIKE pattern` (see [`where_like`](Self::where_like)).
    pub fn or_where_not_like(self, column: &str, pattern: &str, case_sensitive: bool) -> Self {
        self.like(Boolean::Or, column, pattern, case_sensitive, true)
    }

    fn date(
        self,
        boolean: Boolean,
        part: DatePart,
        column: &str,
        op: Result<Operator>,
        value: Value,
    ) -> Self {
        let condition = op.and_then(|op| {
            Ok(Condition::DatePart {
                part,
                column: self.check_col(column)?,
                op,
                value: SqlValue::Text(date_text(part, &value)?),
            })
        });
        self.record(boolean, condition)
    }

    /// `AND date(column) op value` on ISO-8601 text (Laravel `whereDate`); `value` is
    /// `YYYY-MM-DD`.
    pub fn where_date(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        let op = op.into_operator();
        self.date(Boolean::And, DatePart::Date, column, op, value.into())
    }

    /// `OR date(column) op value`.
    pub fn or_where_date(
        self,
        column: &str,
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.date(Boolean::Or, DatePart::Date, column, op, value.into())
    }

    /// `AND year(column) op value` (Laravel `whereYear`); a number or `"2026"`.
    pub fn where_year(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        let op = op.into_operator();
        self.date(Boolean::And, DatePart::Year, column, op, value.into())
    }

    /// `AND month(column) op value` (Laravel `whereMonth`); `5` and `"05"` both mean May.
    pub fn where_month(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        let op = op.into_operator();
        self.date(Boolean::And, DatePart::Month, column, op, value.into())
    }

    /// `AND day(column) op value` (Laravel `whereDay`).
    pub fn where_day(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        let op = op.into_operator();
        self.date(Boolean::And, DatePart::Day, column, op, value.into())
    }

    /// `AND time(column) op value` (Laravel `whereTime`); `value` is `HH:MM:SS`.
    pub fn where_time(self, column: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        let op = op.into_operator();
        self.date(Boolean::And, DatePart::Time, column, op, value.into())
    }

    fn several(
        self,
        boolean: Boolean,
        joiner: Boolean,
        columns: &[&str],
        op: Result<Operator>,
        value: Value,
        negated: bool,
    ) -> Self {
        let group = op.and_then(|op| {
            columns
                .iter()
                .map(|name| {
                    let column = self.check_col(name)?;
                    let value = self.bind_col(&column, &value)?;
                    Ok(Where {
                        boolean: joiner,
                        condition: Condition::Compare { column, op, value },
                    })
                })
                .collect::<Result<Vec<_>>>()
        });
        let condition = group.and_then(|group| match (group.is_empty(), negated) {
            (true, _) => Err(OrmError::InvalidQuery(
                "where_any / where_all / where_none need at least one column".to_string(),
            )),
            (false, false) => Ok(Condition::Group(group)),
            (false, true) => Ok(Condition::Not(group)),
        });
        self.record(boolean, condition)
    }

    /// `AND (c1 op v OR c2 op v ...)`: any of the columns matches (Laravel `whereAny`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct User; impl ModelDef for User {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let found = User::query()
    ///     .where_any(&["name", "email"], "like", "%ada%")
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn where_any(
        self,
        columns: &[&str],
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.several(Boolean::And, Boolean::Or, columns, op, value.into(), false)
    }

    /// `AND (c1 op v AND c2 op v ...)`: every column matches (Laravel `whereAll`).
    pub fn where_all(
        self,
        columns: &[&str],
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.several(Boolean::And, Boolean::And, columns, op, value.into(), false)
    }

    /// `AND NOT (c1 op v OR c2 op v ...)`: no column matches (Laravel `whereNone`).
    pub fn where_none(
        self,
        columns: &[&str],
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.several(Boolean::And, Boolean::Or, columns, op, value.into(), true)
    }

    /// `OR (c1 op v OR c2 op v ...)`.
    pub fn or_where_any(
        self,
        columns: &[&str],
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.several(Boolean::Or, Boolean::Or, columns, op, value.into(), false)
    }

    /// `OR (c1 op v AND c2 op v ...)`.
    pub fn or_where_all(
        self,
        columns: &[&str],
        op: impl IntoOperator,
        value: impl Into<Value>,
    ) -> Self {
        let op = op.into_operator();
        self.several(Boolean::Or, Boolean::And, columns, op, value.into(), false)
    }

    /// `f(self)` when `condition` holds, else `self` unchanged (Laravel `when`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f(status: Option<&str>) -> roost_orm::Result<()> {
    /// let posts = Post::query()
    ///     .when(status.is_some(), |q| q.where_("status", status.unwrap_or_default()))
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn when(self, condition: bool, f: impl FnOnce(Self) -> Self) -> Self {
        if condition {
            f(self)
        } else {
            self
        }
    }

    /// Apply a local scope: a function of the query (Laravel's `scopePublished($q)`,
    /// called as `->published()`).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// fn published(q: QueryBuilder<Post>) -> QueryBuilder<Post> {
    ///     q.where_("status", "published")
    /// }
    /// # async fn f() -> roost_orm::Result<()> {
    /// let posts = Post::query().scope(published).latest().all().await?;
    /// # Ok(()) }
    /// ```
    pub fn scope(self, local: impl FnOnce(Self) -> Self) -> Self {
        local(self)
    }

    /// `f(self)` unless `condition` holds (Laravel `unless`).
    pub fn unless(self, condition: bool, f: impl FnOnce(Self) -> Self) -> Self {
        self.when(!condition, f)
    }

    /// `OR column IN (values)` (Laravel `orWhereIn`).
    pub fn or_where_in<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.in_list_with(Boolean::Or, column, values, false)
    }

    /// `OR column NOT IN (values)` (Laravel `orWhereNotIn`).
    pub fn or_where_not_in<I, V>(self, column: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.in_list_with(Boolean::Or, column, values, true)
    }

    /// `OR column IS NULL` (Laravel `orWhereNull`).
    pub fn or_where_null(self, column: &str) -> Self {
        let condition = self.check_col(column).map(|column| Condition::Null {
            column,
            negated: false,
        });
        self.record(Boolean::Or, condition)
    }

    /// `OR column IS NOT NULL` (Laravel `orWhereNotNull`).
    pub fn or_where_not_null(self, column: &str) -> Self {
        let condition = self.check_col(column).map(|column| Condition::Null {
            column,
            negated: true,
        });
        self.record(Boolean::Or, condition)
    }
}

/// A LIKE pattern as a GLOB pattern: GLOB's own wildcards in the text are matched
/// literally (`*` → `[*]`, `?` → `[?]`, `[` → `[[]`), then `%` → `*` and `_` → `?`
/// (what Laravel's SQLite grammar does for a case-sensitive `whereLike`).
fn like_to_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '*' => glob.push_str("[*]"),
            '?' => glob.push_str("[?]"),
            '[' => glob.push_str("[[]"),
            '%' => glob.push('*'),
            '_' => glob.push('?'),
            other => glob.push(other),
        }
    }
    glob
}

/// The text a date part compares with: numbers zero-padded as SQLite's `strftime`
/// writes them (`5` → `"05"` for a month), text as given. Anything else (an array, a
/// negative month) is an error before SQL.
fn date_text(part: DatePart, value: &Value) -> Result<String> {
    let invalid = || OrmError::InvalidAttributes(format!("a date part can't be {value}"));
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => {
            let n = n.as_u64().ok_or_else(invalid)?;
            Ok(match part {
                DatePart::Year => format!("{n:04}"),
                DatePart::Month | DatePart::Day => format!("{n:02}"),
                DatePart::Date | DatePart::Time => return Err(invalid()),
            })
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_patterns_become_glob_patterns() {
        assert_eq!(like_to_glob("Ab%"), "Ab*");
        assert_eq!(like_to_glob("a_c"), "a?c");
        assert_eq!(like_to_glob("*?[x"), "[*][?][[]x");
    }

    #[test]
    fn date_parts_are_padded_like_strftime() {
        assert_eq!(date_text(DatePart::Month, &json!(5)).unwrap(), "05");
        assert_eq!(date_text(DatePart::Year, &json!(26)).unwrap(), "0026");
        assert_eq!(date_text(DatePart::Day, &json!("7")).unwrap(), "7");
        assert!(date_text(DatePart::Month, &json!(-1)).is_err());
        assert!(date_text(DatePart::Date, &json!([1])).is_err());
    }
}
