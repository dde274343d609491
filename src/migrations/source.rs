//! [`Migration`]: one `NNNN_name.sql` file, and how a set of them is ordered.

use std::cmp::Ordering;

/// One migration file: its name (the key recorded in `d1_migrations`) and its SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// File name, e.g. `0001_create_organizations.sql`.
    pub name: String,
    /// The file's SQL text.
    pub sql: String,
}

impl Migration {
    /// A migration from a file name and its SQL text.
    pub fn new(name: impl Into<String>, sql: impl Into<String>) -> Self {
        Migration {
            name: name.into(),
            sql: sql.into(),
        }
    }

    /// The number wrangler orders by: JS `parseInt` of the text before the first `_`
    /// (its leading digits), or `None` when it does not start with a digit.
    pub fn number(&self) -> Option<u64> {
        let head = self.name.split('_').next().unwrap_or("");
        let digits: String = head
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }
}

/// Wrangler's order: by name, then (a stable sort) by number. A name without a number
/// sorts after the numbered ones (wrangler leaves that case undefined).
pub(crate) fn sort(migrations: &mut [Migration]) {
    migrations.sort_by(|a, b| a.name.cmp(&b.name));
    migrations.sort_by(|a, b| match (a.number(), b.number()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_parse_int() {
        assert_eq!(Migration::new("0001_a.sql", "").number(), Some(1));
        assert_eq!(Migration::new("12abc_a.sql", "").number(), Some(12));
        assert_eq!(Migration::new("init.sql", "").number(), None);
    }

    #[test]
    fn sorted_by_number_then_name() {
        let mut list: Vec<Migration> = ["10_b.sql", "2_z.sql", "x.sql", "0002_a.sql", "1_c.sql"]
            .into_iter()
            .map(|n| Migration::new(n, ""))
            .collect();
        sort(&mut list);
        let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["1_c.sql", "0002_a.sql", "2_z.sql", "10_b.sql", "x.sql"]
        );
    }
}
