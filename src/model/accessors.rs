//! Accessors and mutators (Laravel's `Attribute::make(get: ..., set: ...)`), declared
//! per attribute in [`ModelDef::ACCESSORS`]:
//!
//! - a **getter** shapes what the attribute reads as — through
//!   [`Instance::get_attribute`], [`Instance::get_as`] and in the JSON — from the stored
//!   value (`null` when absent) and the record's attributes; an [`APPENDS`] entry with a
//!   getter is computed by it;
//! - a **setter** shapes what is stored when the attribute is set —
//!   [`Instance::set`], `fill`, `force_fill`, `from_attributes`, `create`, `make`,
//!   factories — into the attribute itself ([`Attribute::set`]) or into several
//!   ([`Attribute::set_many`]).
//!
//! They transform; they don't validate (a cast's `CastsAttributes::set` or a `saving`
//! hook can refuse a value). The raw values stay reachable: [`Instance::get`] and the
//! `attributes` map are what is stored, rows read from the database are never passed
//! through setters, and the ORM's own writes (tenant stamp, timestamps, keys, foreign
//! keys) never go through them — a setter can't move a record to another tenant.
//!
//! [`APPENDS`]: ModelDef::APPENDS
//!
//! This module owns the declaration and its application; it builds no SQL.

use serde_json::Value;

use crate::model::{Attributes, Instance, ModelDef};

/// What a getter computes: `(stored value or null, all attributes) → value read`.
pub type Getter = fn(&Value, &Attributes) -> Value;
/// What a setter stores for one attribute: `(value set, all attributes) → value stored`.
pub type Setter = fn(Value, &Attributes) -> Value;
/// What a setter stores across attributes: `(value set, all attributes) → the
/// attributes to store` (Laravel's setter returning an array).
pub type ManySetter = fn(Value, &Attributes) -> Attributes;

#[derive(Debug, Clone, Copy)]
enum Set {
    None,
    One(Setter),
    Many(ManySetter),
}

/// One attribute's accessor and / or mutator (Laravel `Attribute::make`).
///
/// ```
/// use roost_orm::prelude::*;
/// use roost_orm::model::{Attribute, Attributes};
/// use serde_json::{json, Value};
///
/// fn title_case(value: &Value, _: &Attributes) -> Value {
///     let s = value.as_str().unwrap_or_default();
///     let mut chars = s.chars();
///     match chars.next() {
///         Some(first) => Value::from(first.to_uppercase().chain(chars).collect::<String>()),
///         None => value.clone(),
///     }
/// }
/// fn lowercase(value: Value, _: &Attributes) -> Value {
///     match value {
///         Value::String(s) => Value::from(s.to_lowercase()),
///         other => other,
///     }
/// }
///
/// struct User;
/// impl ModelDef for User {
///     const ACCESSORS: &'static [Attribute] =
///         &[Attribute::make("name").get(title_case).set(lowercase)];
/// }
///
/// let mut user = Instance::<User>::new();
/// user.set("name", "ADA");
/// assert_eq!(user.get("name"), Some(&json!("ada")));              // stored
/// assert_eq!(user.get_attribute("name"), Some(json!("Ada")));      // read
/// assert_eq!(serde_json::to_value(&user).unwrap(), json!({"name": "Ada"}));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    /// The attribute's name.
    pub name: &'static str,
    get: Option<Getter>,
    set: Set,
}

impl Attribute {
    /// An attribute with neither getter nor setter yet.
    pub const fn make(name: &'static str) -> Self {
        Attribute {
            name,
            get: None,
            set: Set::None,
        }
    }

    /// Its getter (Laravel `get:`).
    pub const fn get(mut self, getter: Getter) -> Self {
        self.get = Some(getter);
        self
    }

    /// Its setter, storing into this attribute (Laravel `set:` returning a value).
    pub const fn set(mut self, setter: Setter) -> Self {
        self.set = Set::One(setter);
        self
    }

    /// Its setter, storing into the attributes it returns (Laravel `set:` returning
    /// an array, e.g. an address split into `line` and `city`).
    pub const fn set_many(mut self, setter: ManySetter) -> Self {
        self.set = Set::Many(setter);
        self
    }

    /// Whether it has a getter.
    pub const fn has_getter(&self) -> bool {
        self.get.is_some()
    }
}

/// The getter of `name` among `accessors`, if any.
pub(crate) fn getter(accessors: &[Attribute], name: &str) -> Option<Getter> {
    accessors
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| a.get)
}

/// Store `value` as `key` through its setter, if any (the one copy for every model).
fn assign(
    accessors: &[Attribute],
    attributes: &mut crate::model::TrackedAttributes,
    key: String,
    value: Value,
) {
    match accessors.iter().find(|a| a.name == key).map(|a| a.set) {
        Some(Set::One(setter)) => {
            let stored = setter(value, attributes);
            attributes.insert(key, stored);
        }
        Some(Set::Many(setter)) => {
            let stored = setter(value, attributes);
            attributes.extend(stored);
        }
        Some(Set::None) | None => {
            attributes.insert(key, value);
        }
    }
}

impl<M: ModelDef> Instance<M> {
    /// Set `key` through its mutator, if declared.
    pub(crate) fn assign(&mut self, key: String, value: Value) {
        if M::ACCESSORS.is_empty() {
            self.attributes.insert(key, value);
        } else {
            assign(M::ACCESSORS, &mut self.attributes, key, value);
        }
    }

    /// Set every one of `attributes` through their mutators, in order.
    pub(crate) fn assign_all(&mut self, attributes: Attributes) {
        if M::ACCESSORS.is_empty() {
            self.attributes.extend(attributes);
        } else {
            for (key, value) in attributes {
                assign(M::ACCESSORS, &mut self.attributes, key, value);
            }
        }
    }

    /// An attribute as read (Laravel `getAttribute`): through its accessor when one is
    /// declared (also for an attribute that isn't stored), else its stored value.
    /// [`get`](Self::get) is the stored value itself.
    pub fn get_attribute(&self, key: &str) -> Option<Value> {
        match getter(M::ACCESSORS, key) {
            Some(get) => {
                let stored = self.attributes.get(key).unwrap_or(&Value::Null);
                Some(get(stored, &self.attributes))
            }
            None => self.attributes.get(key).cloned(),
        }
    }
}

/// Check a model's `ACCESSORS` (for the model check): plain names, each once.
pub(crate) fn check_declaration(
    d: &crate::model::config::Declaration,
) -> std::result::Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for accessor in d.accessors {
        let plain = crate::query::Ident::parse(accessor.name).is_ok_and(|i| i.parts().0.is_none());
        if !plain {
            return Err(format!(
                "ACCESSORS entry {:?} is not a plain name",
                accessor.name
            ));
        }
        if !seen.insert(accessor.name) {
            return Err(format!("ACCESSORS declares {:?} twice", accessor.name));
        }
    }
    Ok(())
}
