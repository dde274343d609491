//! [`Cursor`]: a position in a cursor-paged walk (Laravel's `Illuminate\Pagination\Cursor`)
//! and its opaque text form. This module owns the payload and its encoding only —
//! which columns a query pages on, and the SQL that resumes after a cursor, are the
//! builder's (`cursor_paginate`).
//!
//! The text is base64url (no padding) of a small JSON object: the boundary row's value
//! of every order column, with the column's name and direction, and whether the cursor
//! points to the rows after it or before it. It is URL-safe and opaque to the client,
//! but **not secret or signed**: anyone can read or craft one. That is safe because a
//! cursor is only ever a position — its values are bound parameters of a comparison
//! ANDed with the query's own conditions and scopes, so a crafted cursor can move
//! within the rows the query may read, never outside them.
//!
//! Decoding fails closed: text that is not base64url, not the payload, or a payload
//! with unknown fields, no columns, or a value that is not a non-NULL scalar is
//! [`OrmError::InvalidCursor`] — never "start from the first page".

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::query::ast::Direction;

/// The longest cursor text accepted (a cursor of a few order columns is well under
/// 200 characters); longer text is refused before it is decoded.
pub const MAX_CURSOR_LEN: usize = 4096;

/// One order column of a cursor: its name, its direction in the query's order, and
/// the boundary row's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Key(String, Dir, Value);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Dir {
    Asc,
    Desc,
}

/// The JSON payload; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    /// `true`: the rows after the boundary row; `false`: the rows before it.
    next: bool,
    keys: Vec<Key>,
}

/// A position in a cursor-paged walk: the order-column values of a boundary row and
/// which side of it the page lies on (Laravel's `Cursor`). Pages carry cursors as text
/// ([`CursorPage::next_cursor`](crate::query::CursorPage::next_cursor)); decode one to
/// look inside.
///
/// ```
/// use roost_orm::query::Cursor;
/// // Garbage is an error, never the first page.
/// assert!(Cursor::decode("not a cursor!").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    payload: Payload,
}

impl Cursor {
    /// A cursor at the row whose order columns hold `keys` (name, direction, value, in
    /// order), pointing to the rows after it (`next`) or before it.
    pub(crate) fn new(keys: Vec<(String, Direction, Value)>, next: bool) -> Self {
        let keys = keys
            .into_iter()
            .map(|(column, direction, value)| {
                let dir = match direction {
                    Direction::Asc => Dir::Asc,
                    Direction::Desc => Dir::Desc,
                };
                Key(column, dir, value)
            })
            .collect();
        Cursor {
            payload: Payload { next, keys },
        }
    }

    /// The URL-safe text of this cursor (base64url without padding).
    pub fn encode(&self) -> String {
        // A payload of strings, booleans and JSON values always serializes.
        let json = serde_json::to_vec(&self.payload).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor `encoded` (what [`encode`](Self::encode) wrote). Anything else —
    /// not base64url, not the payload, no columns, a NULL / array / object value,
    /// longer than [`MAX_CURSOR_LEN`] — is [`OrmError::InvalidCursor`]. Whether its
    /// columns fit a query is checked by the query (`cursor_paginate`).
    pub fn decode(encoded: &str) -> Result<Cursor> {
        let invalid = |why: &str| OrmError::InvalidCursor(why.to_string());
        if encoded.len() > MAX_CURSOR_LEN {
            return Err(invalid("longer than any cursor this crate writes"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| invalid("not base64url text"))?;
        let payload: Payload =
            serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor payload"))?;
        if payload.keys.is_empty() {
            return Err(invalid("no order columns"));
        }
        for Key(column, _, value) in &payload.keys {
            if !matches!(value, Value::Bool(_) | Value::Number(_) | Value::String(_)) {
                return Err(OrmError::InvalidCursor(format!(
                    "the value of [{column}] is not a non-NULL scalar"
                )));
            }
        }
        Ok(Cursor { payload })
    }

    /// Whether the cursor points to the rows after its boundary row (a "next" cursor).
    pub fn points_to_next_items(&self) -> bool {
        self.payload.next
    }

    /// Whether the cursor points to the rows before its boundary row (a "previous"
    /// cursor).
    pub fn points_to_previous_items(&self) -> bool {
        !self.payload.next
    }

    /// The boundary row's value of order column `column`, if the cursor has it.
    pub fn parameter(&self, column: &str) -> Option<&Value> {
        self.payload
            .keys
            .iter()
            .find(|Key(name, _, _)| name == column)
            .map(|Key(_, _, value)| value)
    }

    /// The order columns, their directions and the boundary row's values, in order.
    pub fn keys(&self) -> impl Iterator<Item = (&str, Direction, &Value)> {
        self.payload.keys.iter().map(|Key(column, dir, value)| {
            let direction = match dir {
                Dir::Asc => Direction::Asc,
                Dir::Desc => Direction::Desc,
            };
            (column.as_str(), direction, value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cursor() -> Cursor {
        Cursor::new(
            vec![
                ("views".into(), Direction::Desc, json!(3)),
                ("id".into(), Direction::Asc, json!(7)),
            ],
            true,
        )
    }

    #[test]
    fn round_trips_url_safe() {
        let text = cursor().encode();
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let back = Cursor::decode(&text).unwrap();
        assert_eq!(back, cursor());
        assert!(back.points_to_next_items());
        assert_eq!(back.parameter("id"), Some(&json!(7)));
        let keys: Vec<_> = back.keys().collect();
        assert_eq!(keys[0], ("views", Direction::Desc, &json!(3)));
    }

    #[test]
    fn bad_text_fails_closed() {
        let encode = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let text = cursor().encode();
        for bad in [
            String::new(),
            "!!!".to_string(),
            text[..text.len() - 3].to_string(),
            format!("{text}="),
            encode(json!({"next": true, "keys": []})),
            encode(json!({"next": true, "keys": [["id", "asc", null]]})),
            encode(json!({"next": true, "keys": [["id", "asc", [1]]]})),
            encode(json!({"next": true, "keys": [["id", "asc", {"a": 1}]]})),
            encode(json!({"next": true, "keys": [["id", "up", 1]]})),
            encode(json!({"next": "yes", "keys": [["id", "asc", 1]]})),
            encode(json!({"next": true, "keys": [["id", "asc", 1]], "x": 1})),
            "a".repeat(MAX_CURSOR_LEN + 1),
        ] {
            assert!(
                matches!(Cursor::decode(&bad), Err(OrmError::InvalidCursor(_))),
                "{bad:?}"
            );
        }
    }
}
