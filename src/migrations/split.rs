//! Wrangler's SQL splitter (`src/d1/splitter.ts` and `trimmer.ts` of wrangler 4), ported
//! so that a migration file becomes the same statements here as under
//! `wrangler d1 migrations apply`.

/// Split SQL text into statements the way wrangler does before sending them to D1 as
/// one batch.
///
/// - The first `BEGIN TRANSACTION;` and `COMMIT;` are removed (D1 runs a batch in a
///   transaction of its own).
/// - Text with at most one `;`, at its very end, is returned whole, untouched.
/// - Otherwise it is cut at each `;` outside quotes (`'`, `"`, `` ` ``, `$tag$`),
///   outside comments (`--`, `/* */`, which are dropped) and outside `BEGIN ... END` /
///   `CASE ... END` bodies (triggers); pieces are trimmed, empty ones dropped.
///
/// ```
/// use roost_orm::migrations::split_sql;
/// let sql = "CREATE TABLE a (x TEXT DEFAULT ';'); -- note; here\nINSERT INTO a VALUES ('b');";
/// assert_eq!(
///     split_sql(sql),
///     ["CREATE TABLE a (x TEXT DEFAULT ';')", "INSERT INTO a VALUES ('b')"]
/// );
/// ```
pub fn split_sql(sql: &str) -> Vec<String> {
    let trimmed = trim_transaction(sql);
    if !may_contain_multiple_statements(&trimmed) {
        return vec![trimmed];
    }
    let split = split_statements(&trimmed);
    if split.is_empty() {
        vec![trimmed]
    } else {
        split
    }
}

/// wrangler's `trimSqlQuery`: drop one `BEGIN TRANSACTION;` and one `COMMIT;`. (Wrangler
/// refuses text that still holds a `BEGIN TRANSACTION` after that; here it is left in and
/// the database refuses it, so the migration fails either way.)
fn trim_transaction(sql: &str) -> String {
    if !sql.contains("BEGIN TRANSACTION") {
        return sql.to_string();
    }
    sql.replacen("BEGIN TRANSACTION;", "", 1)
        .replacen("COMMIT;", "", 1)
}

/// A `;` somewhere other than at the very end (after trailing whitespace).
fn may_contain_multiple_statements(sql: &str) -> bool {
    let trimmed = sql.trim_end();
    match trimmed.find(';') {
        None => false,
        Some(i) => i + 1 != trimmed.len(),
    }
}

/// A cursor over the text's characters, as the JS string iterator.
struct Chars {
    chars: Vec<char>,
    at: usize,
}

impl Chars {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.at).copied();
        if c.is_some() {
            self.at += 1;
        }
        c
    }

    /// wrangler's `consumeWhile`: take characters (at least one) until the text taken so
    /// far fails `keep_going`; the failing character is included.
    fn consume_while(&mut self, keep_going: impl Fn(&str) -> bool) -> String {
        let mut taken = String::new();
        while let Some(c) = self.next() {
            taken.push(c);
            if !keep_going(&taken) {
                break;
            }
        }
        taken
    }

    /// wrangler's `consumeUntilMarker`: take characters up to and including `marker`.
    fn consume_until(&mut self, marker: &str) -> String {
        self.consume_while(|s| !s.ends_with(marker))
    }
}

fn is_dollar_quote_identifier(s: &str) -> bool {
    match s.chars().last() {
        None => false,
        Some('$') => false,
        Some(c) => c.is_ascii_digit() || c == '_' || c.to_lowercase().ne(c.to_uppercase()),
    }
}

/// `/\s(BEGIN|CASE)\s$/i`
fn is_compound_start(s: &str) -> bool {
    let mut rev = s.chars().rev();
    if !rev.next().is_some_and(char::is_whitespace) {
        return false;
    }
    let word: String = rev
        .by_ref()
        .take(5)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let upper = word.to_ascii_uppercase();
    let before = |n: usize| s.chars().rev().nth(n + 1).is_some_and(char::is_whitespace);
    (upper.ends_with("BEGIN") && before(5)) || (upper.ends_with("CASE") && before(4))
}

/// `/\sEND[;\s]$/` (case-sensitive, as in wrangler).
fn is_compound_end(s: &str) -> bool {
    let tail: Vec<char> = s.chars().rev().take(5).collect();
    tail.len() == 5
        && (tail[0] == ';' || tail[0].is_whitespace())
        && tail[1] == 'D'
        && tail[2] == 'N'
        && tail[3] == 'E'
        && tail[4].is_whitespace()
}

/// wrangler's `splitSqlIntoStatements`.
fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    // wrangler keeps a stack of end-detectors; every entry is `is_compound_end`.
    let mut depth = 0usize;
    let mut it = Chars {
        chars: sql.chars().collect(),
        at: 0,
    };
    let mut next = it.next();
    while let Some(c) = next {
        if depth > 0 {
            current.push(c);
            let ended = is_compound_end(&current);
            current.pop();
            if ended {
                depth -= 1;
            }
        }
        match c {
            '\'' | '"' | '`' => {
                current.push(c);
                current.push_str(&it.consume_until(&c.to_string()));
            }
            '$' => {
                let quote = format!("${}", it.consume_while(is_dollar_quote_identifier));
                current.push_str(&quote);
                if quote.ends_with('$') {
                    current.push_str(&it.consume_until(&quote));
                }
            }
            '-' | '/' => {
                let second = if c == '-' { '-' } else { '*' };
                next = it.next();
                if next == Some(second) {
                    if c == '-' {
                        it.consume_until("\n");
                        current.push('\n');
                    } else {
                        it.consume_until("*/");
                    }
                } else {
                    // Not a comment: keep the character and look at the next one as is.
                    current.push(c);
                    continue;
                }
            }
            ';' => {
                if depth == 0 {
                    statements.push(std::mem::take(&mut current));
                } else {
                    current.push(c);
                }
            }
            _ => current.push(c),
        }
        if is_compound_start(&current) {
            depth += 1;
        }
        next = it.next();
    }
    statements.push(current);
    statements
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_is_returned_whole() {
        assert_eq!(split_sql("SELECT 1;\n"), ["SELECT 1;\n"]);
        assert_eq!(split_sql("-- c\nSELECT 1"), ["-- c\nSELECT 1"]);
    }

    #[test]
    fn splits_outside_quotes_and_comments() {
        let sql =
            "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`);\n/* x; y */ SELECT 2; -- z;\nSELECT 3";
        assert_eq!(
            split_sql(sql),
            [
                "INSERT INTO t VALUES ('a;b', \"c;d\", `e;f`)",
                "SELECT 2",
                "SELECT 3"
            ]
        );
    }

    #[test]
    fn a_minus_or_slash_alone_is_kept() {
        assert_eq!(
            split_sql("SELECT 3-1; SELECT 4/2;"),
            ["SELECT 3-1", "SELECT 4/2"]
        );
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let sql = "CREATE TABLE t (x);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = 1;\n  UPDATE t SET x = 2;\nEND;\nSELECT 1;";
        let parts = split_sql(sql);
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert!(parts[1].starts_with("CREATE TRIGGER") && parts[1].ends_with("END"));
        assert_eq!(parts[2], "SELECT 1");
    }

    #[test]
    fn case_expressions_do_not_swallow_statements() {
        let sql = "SELECT CASE WHEN 1 THEN 2 ELSE 3 END;\nSELECT 4;";
        assert_eq!(
            split_sql(sql),
            ["SELECT CASE WHEN 1 THEN 2 ELSE 3 END", "SELECT 4"]
        );
    }

    #[test]
    fn transaction_wrappers_are_dropped() {
        let sql = "BEGIN TRANSACTION;\nCREATE TABLE t (x);\nINSERT INTO t VALUES (1);\nCOMMIT;";
        assert_eq!(
            split_sql(sql),
            ["CREATE TABLE t (x)", "INSERT INTO t VALUES (1)"]
        );
        // One statement left: returned whole, as wrangler does.
        assert_eq!(
            split_sql("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;"),
            ["\nSELECT 1;\n"]
        );
    }

    #[test]
    fn dollar_quotes() {
        assert_eq!(
            split_sql("SELECT $a$x;y$a$; SELECT ?1;"),
            ["SELECT $a$x;y$a$", "SELECT ?1"]
        );
    }
}
