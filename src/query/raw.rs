//! [`RawSql`]: a fragment of SQL text the caller wrote, with the values its `?`
//! placeholders bind — what `select_raw`, `where_raw`, `order_by_raw`, `having_raw` and
//! `group_by_raw` carry (Laravel's `...Raw($sql, $bindings)`).
//!
//! The text is the caller's and is not rewritten, but it is checked before it can
//! reach a statement, so a fragment can never reach outside its own clause:
//!
//! - parentheses balance and never close one the fragment did not open (a
//!   `1=1) OR (1=1` would otherwise lift the OR out of the caller's group, past the
//!   tenant and soft-delete scopes);
//! - quotes (`'…'`, `"…"`, `` `…` ``, `[…]`) and `/* … */` comments are closed, and there
//!   is no `--` comment (which would comment out the scopes written after it);
//! - no `;` (a second statement);
//! - placeholders are plain `?`, as many as the values given; `?NNN`, `:name`,
//!   `@name` and `$name` are errors, because the compiler numbers the placeholders of a
//!   clause it writes twice (`paginate`).
//!
//! Every failure is [`OrmError::InvalidQuery`] before any SQL is sent. This module only
//! checks and splits the text; writing it into a statement belongs to the compiler.

use crate::error::{OrmError, Result};
use crate::value::SqlValue;

/// SQL text with `?` placeholders and their values, checked (see the module docs).
///
/// ```
/// use roost_orm::query::RawSql;
/// use roost_orm::SqlValue;
///
/// let raw = RawSql::new("length(\"posts\".\"title\") > ?", vec![SqlValue::Integer(3)]).unwrap();
/// assert_eq!(raw.bindings().len(), 1);
/// assert!(RawSql::new("1=1) OR (1=1", vec![]).is_err());
/// assert!(RawSql::new("\"views\" > ?", vec![]).is_err()); // one `?`, no value
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RawSql {
    /// The text between placeholders: one more piece than there are bindings.
    pieces: Vec<String>,
    bindings: Vec<SqlValue>,
}

/// Where the scanner is in the text.
#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    /// Inside a quote closed by this character (`'`, `"`, `` ` ``, `]`).
    Quoted(char),
    BlockComment,
}

impl RawSql {
    /// Check `text` and pair its placeholders with `bindings`, in order.
    pub fn new(text: &str, bindings: Vec<SqlValue>) -> Result<RawSql> {
        let fail = |why: &str| {
            Err(OrmError::InvalidQuery(format!(
                "raw SQL {text:?}: {why} (see RawSql)"
            )))
        };
        if text.trim().is_empty() {
            return fail("empty text");
        }
        let mut pieces = Vec::with_capacity(bindings.len() + 1);
        let mut piece = String::with_capacity(text.len());
        let mut state = State::Code;
        let mut depth = 0usize;
        let mut prev = ' ';
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let next = chars.peek().copied();
            match state {
                State::Quoted(close) => {
                    if c == close {
                        if next == Some(close) && close != ']' {
                            // A doubled quote is the quote character itself.
                            piece.push(c);
                            chars.next();
                        } else {
                            state = State::Code;
                        }
                    }
                    piece.push(c);
                }
                State::BlockComment => {
                    piece.push(c);
                    if c == '*' && next == Some('/') {
                        piece.push('/');
                        chars.next();
                        state = State::Code;
                    }
                }
                State::Code => {
                    match c {
                        '\'' | '"' | '`' => state = State::Quoted(c),
                        '[' => state = State::Quoted(']'),
                        '/' if next == Some('*') => {
                            piece.push('/');
                            piece.push('*');
                            chars.next();
                            state = State::BlockComment;
                            prev = '*';
                            continue;
                        }
                        '-' if next == Some('-') => return fail("`--` comments are not allowed"),
                        ';' => return fail("`;` is not allowed (one statement only)"),
                        '(' => depth += 1,
                        ')' => {
                            if depth == 0 {
                                return fail("a `)` closes a parenthesis the text did not open");
                            }
                            depth -= 1;
                        }
                        '?' => {
                            if next.is_some_and(|n| n.is_ascii_digit()) {
                                return fail(
                                    "numbered placeholders (`?NNN`) are not allowed: write `?`",
                                );
                            }
                            pieces.push(std::mem::take(&mut piece));
                            prev = c;
                            continue;
                        }
                        // SQLite reads any of these followed by identifier characters
                        // (digits and non-ASCII included: `$1`, `:é`) as a parameter.
                        ':' | '@' | '$' | '#'
                            if !is_word(prev)
                                && next
                                    .is_some_and(|n| is_word(n) || n == '$' || !n.is_ascii()) =>
                        {
                            return fail("named placeholders are not allowed: write `?`");
                        }
                        _ => {}
                    }
                    piece.push(c);
                }
            }
            prev = c;
        }
        match state {
            State::Quoted(close) => return fail(&format!("a quote is not closed (`{close}`)")),
            State::BlockComment => return fail("a `/*` comment is not closed"),
            State::Code => {}
        }
        if depth != 0 {
            return fail("a `(` is not closed");
        }
        pieces.push(piece);
        if pieces.len() != bindings.len() + 1 {
            return fail(&format!(
                "{} placeholder(s) but {} value(s)",
                pieces.len() - 1,
                bindings.len()
            ));
        }
        Ok(RawSql { pieces, bindings })
    }

    /// The bound values, in placeholder order.
    pub fn bindings(&self) -> &[SqlValue] {
        &self.bindings
    }

    /// The text between placeholders (one more piece than bindings).
    pub(crate) fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// [`RawSql::new`] with JSON bindings, mapped as a condition maps a value of an
    /// undeclared column ([`SqlValue::from_json`]: an integer past `i64` is an error).
    pub(crate) fn from_json(text: &str, bindings: &[serde_json::Value]) -> Result<RawSql> {
        let values = bindings
            .iter()
            .map(SqlValue::from_json)
            .collect::<Result<Vec<_>>>()?;
        RawSql::new(text, values)
    }

    /// The checked text as a whole statement (placeholders back in place).
    pub(crate) fn into_statement(self) -> crate::executor::Statement {
        crate::executor::Statement::new(self.pieces.join("?"), self.bindings)
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, n: usize) -> RawSql {
        RawSql::new(text, vec![SqlValue::Integer(1); n]).unwrap()
    }

    fn bad(text: &str, n: usize) {
        assert!(
            RawSql::new(text, vec![SqlValue::Integer(1); n]).is_err(),
            "{text:?} must be refused"
        );
    }

    #[test]
    fn splits_at_placeholders_outside_quotes() {
        let raw = ok("a = ? AND b = '?' AND \"c?\" = ? /* ? */", 2);
        assert_eq!(
            raw.pieces(),
            ["a = ", " AND b = '?' AND \"c?\" = ", " /* ? */"]
        );
        let raw = ok("x = 'it''s ? here' OR y = ?", 1);
        assert_eq!(raw.pieces(), ["x = 'it''s ? here' OR y = ", ""]);
        ok("[we?ird] = ?", 1);
        ok("strftime('%Y', \"posts\".\"created_at\") = ?", 1);
    }

    #[test]
    fn refuses_what_escapes_its_clause() {
        bad("1=1) OR (1=1", 0);
        bad("1=1)) OR ((1=1", 0);
        bad("(1=1", 0);
        bad("1=1 -- rest", 0);
        bad("1=1; DROP TABLE posts", 0);
        bad("'unterminated", 0);
        bad("\"unterminated", 0);
        bad("/* open", 0);
        bad("a = ?1", 1);
        bad("a = :name", 0);
        bad("a = @name", 0);
        bad("a = $name", 0);
        bad("a = ?", 0);
        bad("a = ?", 2);
        bad("   ", 0);
        bad("')' OR 1=1)", 0);
        // Parameters SQLite reads beyond the named ones: digits, `#`, non-ASCII.
        bad("a = $1", 0);
        bad("a = :1", 0);
        bad("a = @1", 0);
        bad("a = #x", 0);
        bad("a = :é", 0);
        // A `$`, `:`, `@` inside a word or before a non-identifier is not a parameter.
        ok("\"a$b\" = ?", 1);
        ok("x = ? || ':' || ?", 2);
    }
}
