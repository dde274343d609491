//! What an instance's JSON shows (Laravel's `$hidden`, `$visible`, `$appends`,
//! `makeHidden`, `makeVisible`): its attributes, appended attributes and loaded
//! relations, minus the hidden ones — or only the visible ones when the model lists
//! them. Nested relations follow their own model's rules, and a page of records
//! (`Paginated`, `SimplePage`, `CursorPage`) serializes each record this way.
//!
//! A key is shown when the `visible` list is empty or names it, and the `hidden` list
//! does not. The lists are the model's [`ModelDef::HIDDEN`] / [`ModelDef::VISIBLE`]
//! unless the instance changed them: `make_visible` takes keys out of `hidden` (and, if
//! `visible` is non-empty, adds them to it), `make_hidden` adds keys to `hidden` — as
//! Laravel does. This module only decides and writes JSON; it reads no rows.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::model::{Attributes, Instance, ModelDef};
use crate::relations::LoadedRelations;

/// An instance's own hidden and visible lists, once it changed the model's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    hidden: Vec<String>,
    visible: Vec<String>,
}

/// The lists that decide one record's JSON (opaque outside the crate).
#[derive(Debug, Clone, Copy)]
pub enum View<'a> {
    /// The model's declaration.
    Model {
        /// [`ModelDef::HIDDEN`].
        hidden: &'static [&'static str],
        /// [`ModelDef::VISIBLE`].
        visible: &'static [&'static str],
    },
    /// The instance's own lists.
    Own(&'a Visibility),
}

impl View<'_> {
    /// Whether `key` is in the JSON.
    fn shows(&self, key: &str) -> bool {
        match self {
            View::Model { hidden, visible } => {
                (visible.is_empty() || visible.contains(&key)) && !hidden.contains(&key)
            }
            View::Own(v) => {
                (v.visible.is_empty() || v.visible.iter().any(|k| k == key))
                    && !v.hidden.iter().any(|k| k == key)
            }
        }
    }
}

impl<M: ModelDef> Instance<M> {
    /// The lists deciding this instance's JSON.
    pub(crate) fn view(&self) -> View<'_> {
        match &self.visibility {
            Some(own) => View::Own(own),
            None => View::Model {
                hidden: M::HIDDEN,
                visible: M::VISIBLE,
            },
        }
    }

    /// The instance's own lists, starting from the model's.
    fn own_visibility(&mut self) -> &mut Visibility {
        self.visibility.get_or_insert_with(|| {
            Box::new(Visibility {
                hidden: M::HIDDEN.iter().map(|s| s.to_string()).collect(),
                visible: M::VISIBLE.iter().map(|s| s.to_string()).collect(),
            })
        })
    }

    /// Leave `keys` out of this instance's JSON (Laravel `makeHidden`).
    ///
    /// ```
    /// # use roost_orm::prelude::*;
    /// # use serde_json::json;
    /// # struct User; impl ModelDef for User {}
    /// let mut user = Instance::<User>::from_attributes(json!({"name": "Ada", "email": "a@x"})).unwrap();
    /// user.make_hidden(["email"]);
    /// assert_eq!(serde_json::to_value(&user).unwrap(), json!({"name": "Ada"}));
    /// ```
    pub fn make_hidden<I, S>(&mut self, keys: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let own = self.own_visibility();
        for key in keys {
            let key = key.into();
            if !own.hidden.contains(&key) {
                own.hidden.push(key);
            }
        }
        self
    }

    /// Show `keys` in this instance's JSON even if the model hides them (Laravel
    /// `makeVisible`): out of the hidden list, and into the visible list when the
    /// model has one.
    pub fn make_visible<I, S>(&mut self, keys: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let own = self.own_visibility();
        for key in keys {
            let key = key.into();
            own.hidden.retain(|k| *k != key);
            if !own.visible.is_empty() && !own.visible.contains(&key) {
                own.visible.push(key);
            }
        }
        self
    }

    /// The keys this instance's JSON leaves out (Laravel `getHidden`).
    pub fn get_hidden(&self) -> Vec<&str> {
        match &self.visibility {
            Some(own) => own.hidden.iter().map(String::as_str).collect(),
            None => M::HIDDEN.to_vec(),
        }
    }

    /// What this instance's JSON is made of.
    pub(crate) fn json_record(&self) -> Record<'_> {
        Record {
            attributes: &self.attributes,
            accessors: M::ACCESSORS,
            appended: self.appended(),
            relations: &self.relations,
            view: self.view(),
        }
    }

    /// The appended attributes this instance's JSON shows, computed.
    fn appended(&self) -> Vec<(&'static str, Value)> {
        if M::APPENDS.is_empty() {
            return Vec::new();
        }
        let view = self.view();
        (M::APPENDS.iter())
            .filter(|name| view.shows(name))
            .map(
                |name| match crate::model::accessors::getter(M::ACCESSORS, name) {
                    Some(get) => (*name, get(&Value::Null, &self.attributes)),
                    None => (*name, M::appended(name, self)),
                },
            )
            .collect()
    }
}

impl<M: ModelDef> Serialize for Instance<M> {
    /// The shown attributes, then the appended ones, then each shown loaded relation
    /// under its name (nested, by its own model's rules).
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_record(self.json_record(), serializer)
    }
}

/// What one record's JSON is made of (opaque outside the crate).
#[derive(Debug)]
pub struct Record<'a> {
    attributes: &'a Attributes,
    accessors: &'static [crate::model::Attribute],
    appended: Vec<(&'static str, Value)>,
    relations: &'a LoadedRelations,
    view: View<'a>,
}

/// A record's JSON. Not generic over the model, so every model (and every type-erased
/// related record) shares one copy per serializer.
pub(crate) fn serialize_record<S: Serializer>(
    record: Record<'_>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    let view = record.view;
    let mut map = serializer.serialize_map(None)?;
    for (k, v) in record.attributes {
        if view.shows(k) {
            match crate::model::accessors::getter(record.accessors, k) {
                Some(get) => map.serialize_entry(k, &get(v, record.attributes))?,
                None => map.serialize_entry(k, v)?,
            }
        }
    }
    for (k, v) in &record.appended {
        map.serialize_entry(k, v)?;
    }
    for (name, loaded) in record.relations.iter() {
        if view.shows(name) {
            map.serialize_entry(name, loaded)?;
        }
    }
    map.end()
}

/// Check a model's `HIDDEN` / `VISIBLE` / `APPENDS` names (for the model check): plain
/// names, an appended one not also a declared column.
pub(crate) fn check_declaration(
    d: &crate::model::config::Declaration,
) -> std::result::Result<(), String> {
    for (what, names) in [
        ("HIDDEN", d.hidden),
        ("VISIBLE", d.visible),
        ("APPENDS", d.appends),
    ] {
        for name in names {
            let plain = crate::query::Ident::parse(name).is_ok_and(|i| i.parts().0.is_none());
            if !plain {
                return Err(format!("{what} entry {name:?} is not a plain name"));
            }
        }
    }
    match d.appends.iter().find(|a| d.column(a).is_some()) {
        Some(name) => Err(format!(
            "APPENDS names {name:?}, which is a declared column"
        )),
        None => Ok(()),
    }
}
