//! [`Statement`] (SQL text and its bound parameters) and [`SqlText`]. Statements are
//! written by the compiler in [`crate::query`] only; this file holds the types.

use crate::value::SqlValue;

/// The text of a SQL statement. Compiled text is owned; text that lives for the whole
/// program (a cached `find`'s) is borrowed, so handing it out copies nothing. Reads as
/// a `str`.
///
/// ```
/// use roost_orm::SqlText;
/// let text = SqlText::from("SELECT 1");
/// assert_eq!(text, "SELECT 1");
/// assert!(text.starts_with("SELECT"));
/// assert_eq!(SqlText::from_static("SELECT 1"), text);
/// ```
#[derive(Clone)]
pub struct SqlText(TextRepr);

#[derive(Clone)]
enum TextRepr {
    Owned(String),
    Static(&'static str),
}

impl SqlText {
    /// The text as a `str`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            TextRepr::Owned(s) => s,
            TextRepr::Static(s) => s,
        }
    }

    /// Text that lives for the whole program: clones copy nothing.
    pub const fn from_static(text: &'static str) -> SqlText {
        SqlText(TextRepr::Static(text))
    }
}

impl std::ops::Deref for SqlText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SqlText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SqlText {
    fn from(text: String) -> Self {
        SqlText(TextRepr::Owned(text))
    }
}

impl From<&str> for SqlText {
    fn from(text: &str) -> Self {
        SqlText(TextRepr::Owned(text.to_string()))
    }
}

impl From<SqlText> for String {
    fn from(text: SqlText) -> Self {
        match text.0 {
            TextRepr::Owned(s) => s,
            TextRepr::Static(s) => s.to_string(),
        }
    }
}

impl PartialEq for SqlText {
    fn eq(&self, other: &SqlText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SqlText {}

impl std::hash::Hash for SqlText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<str> for SqlText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SqlText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SqlText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<SqlText> for &str {
    fn eq(&self, other: &SqlText) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SqlText> for String {
    fn eq(&self, other: &SqlText) -> bool {
        self == other.as_str()
    }
}

impl std::fmt::Debug for SqlText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for SqlText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SQL statement with its bound parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// SQL text with `?` placeholders.
    pub sql: SqlText,
    /// One value per placeholder, in order.
    pub params: Vec<SqlValue>,
}

impl Statement {
    /// A statement from SQL text and parameters.
    pub fn new(sql: impl Into<SqlText>, params: Vec<SqlValue>) -> Self {
        Statement {
            sql: sql.into(),
            params,
        }
    }

    /// Whether the statement may write: anything but a `SELECT` / `PRAGMA` read (the
    /// compiler's writes all start with INSERT, UPDATE or DELETE). Sessions mark
    /// themselves on writes by this.
    pub fn is_write(&self) -> bool {
        let keyword = self.sql.split_whitespace().next().unwrap_or("");
        !(keyword.eq_ignore_ascii_case("SELECT") || keyword.eq_ignore_ascii_case("PRAGMA"))
    }
}
