//! How a model's primary key gets its value (Laravel's `$incrementing` / `$keyType` and
//! the `HasUuids` / `HasUlids` traits): by the database (an integer rowid), by the ORM
//! on create (a UUID or ULID string, so the key is known before the INSERT is sent —
//! which a unit of work needs to let a child point at a parent created beside it), or
//! by the caller.
//!
//! This module owns key generation and the key-type part of the model check; it
//! builds no SQL.

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::model::{ColumnType, Instance, ModelDef};

/// Where a model's primary key comes from ([`ModelDef::KEY_TYPE`]).
///
/// ```
/// use roost_orm::prelude::*;
/// use roost_orm::model::KeyType;
///
/// struct Invoice;
/// impl ModelDef for Invoice {
///     const KEY_TYPE: KeyType = KeyType::Ulid; // Laravel `use HasUlids;`
/// }
/// let key = KeyType::Ulid.new_unique_id().unwrap().unwrap();
/// assert_eq!(key.len(), 26);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyType {
    /// The database assigns an integer on insert (SQLite's rowid; Laravel's default
    /// `$incrementing = true`). A key the caller sets is kept.
    #[default]
    Incrementing,
    /// A time-ordered UUID (version 7, lowercase hyphenated: Laravel 12's `HasUuids`)
    /// is generated on create unless the caller or a `creating` hook set one.
    Uuid,
    /// A ULID (26 lowercase Crockford base-32 characters, time-ordered: Laravel's
    /// `HasUlids`) is generated on create unless already set.
    Ulid,
    /// The caller sets the key (Laravel `$incrementing = false`); creating a record
    /// without one is [`OrmError::MissingPrimaryKey`] before any SQL.
    Manual,
}

impl KeyType {
    /// A fresh key of this kind (Laravel `newUniqueId`): `Some` for [`KeyType::Uuid`]
    /// and [`KeyType::Ulid`], `None` for the others. The random bits come from the
    /// operating system (on wasm32, `crypto.getRandomValues`); if it has none to give,
    /// the error is [`OrmError::InvalidAttributes`] — never a predictable key.
    pub fn new_unique_id(self) -> Option<Result<String>> {
        let millis = || {
            web_time::SystemTime::now()
                .duration_since(web_time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default()
        };
        match self {
            KeyType::Uuid => Some(random::<10>().map(|bytes| {
                let uuid = uuid::Builder::from_unix_timestamp_millis(millis(), &bytes).into_uuid();
                uuid.hyphenated().to_string()
            })),
            KeyType::Ulid => Some(random::<10>().map(|bytes| {
                let mut wide = [0u8; 16];
                wide[6..].copy_from_slice(&bytes);
                let ulid = ulid::Ulid::from_parts(millis(), u128::from_be_bytes(wide));
                ulid.to_string().to_ascii_lowercase()
            })),
            KeyType::Incrementing | KeyType::Manual => None,
        }
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        OrmError::InvalidAttributes(format!("no random bits for a generated key: {e}"))
    })?;
    Ok(bytes)
}

impl<M: ModelDef> Instance<M> {
    /// Give a new record its key, before its `creating` hooks (which see it, and may
    /// replace it): a generated one for a UUID / ULID model without a key.
    pub(crate) fn assign_unique_id(&mut self) -> Result<()> {
        if self.key().is_none() {
            if let Some(id) = M::KEY_TYPE.new_unique_id() {
                self.set_raw(M::PRIMARY_KEY, Value::String(id?));
            }
        }
        Ok(())
    }

    /// After the `creating` hooks: a [`KeyType::Manual`] record without a key is an
    /// error, before any SQL (the database would store a NULL key or refuse).
    pub(crate) fn require_key(&self) -> Result<()> {
        if M::KEY_TYPE == KeyType::Manual && self.key().is_none() {
            return Err(OrmError::MissingPrimaryKey {
                model: M::model_name(),
                key: M::PRIMARY_KEY,
            });
        }
        Ok(())
    }
}

/// The key-type part of the model check: a generated string key can't live in a
/// column declared `INTEGER`.
pub(crate) fn check_declaration(
    d: &crate::model::config::Declaration,
) -> std::result::Result<(), String> {
    let generated = matches!(d.key_type, KeyType::Uuid | KeyType::Ulid);
    match d.column(d.schema.primary_key) {
        Some(column) if generated && column.sql_type != ColumnType::Text => Err(format!(
            "KEY_TYPE {:?} generates text keys, but the primary key {:?} is declared {}; \
             declare it Column::text",
            d.key_type,
            d.schema.primary_key,
            column.sql_type.sql()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_their_documented_shape_and_order() {
        let uuid = KeyType::Uuid.new_unique_id().unwrap().unwrap();
        let parsed = uuid::Uuid::parse_str(&uuid).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(uuid, uuid.to_ascii_lowercase());
        let ulid = KeyType::Ulid.new_unique_id().unwrap().unwrap();
        assert_eq!(ulid.len(), 26);
        assert!(ulid::Ulid::from_string(&ulid.to_ascii_uppercase()).is_ok());
        assert_eq!(ulid, ulid.to_ascii_lowercase());
        // Keys made a few milliseconds apart sort in creation order (time-ordered).
        std::thread::sleep(std::time::Duration::from_millis(3));
        let later = KeyType::Ulid.new_unique_id().unwrap().unwrap();
        assert!(later > ulid);
        let later_uuid = KeyType::Uuid.new_unique_id().unwrap().unwrap();
        assert!(later_uuid > uuid);
        assert!(KeyType::Incrementing.new_unique_id().is_none());
        assert!(KeyType::Manual.new_unique_id().is_none());
    }

    #[test]
    fn keys_are_distinct() {
        let keys: std::collections::HashSet<String> = (0..1000)
            .map(|_| KeyType::Uuid.new_unique_id().unwrap().unwrap())
            .collect();
        assert_eq!(keys.len(), 1000);
    }
}
