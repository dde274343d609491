//! Mass assignment (Laravel's `$fillable` / `$guarded`): which keys of a caller's
//! attributes `create`, `make`, `fill`, `update`, `first_or_*`, `update_or_create` and
//! relation `create`s may set.
//!
//! A key is fillable when [`ModelDef::FILLABLE`] names it; else not when
//! [`ModelDef::GUARDED`] names it or is `["*"]`, nor when `FILLABLE` is non-empty; else
//! it is. A key the model does not know — not a plain name (`posts.title`), or not in
//! its declared `COLUMNS` — is kept, for the write to refuse it as
//! [`OrmError::InvalidAttributes`] / [`OrmError::UnknownColumn`]: a typo is an error,
//! never silently dropped (stricter than Laravel, which drops it). The tenant
//! column is never fillable: mass assignment can never move a row to another tenant.
//! A guarded key is dropped — or, on a totally guarded model (`GUARDED = ["*"]`, no
//! `FILLABLE`) and under [`Orm::prevent_silently_discarding_attributes`](crate::Orm::prevent_silently_discarding_attributes),
//! refused with [`OrmError::MassAssignment`] before anything is assigned. `force_fill`,
//! `force_create`, `set`, `from_attributes`, factories and `insert` / `upsert` (as
//! Laravel's query builder) do not go through here. This module only filters maps.

use crate::error::{OrmError, Result};
use crate::model::{Attributes, ModelDef};

/// A model's guard declaration, type-erased.
#[derive(Debug, Clone, Copy)]
struct Guard {
    fillable: &'static [&'static str],
    guarded: &'static [&'static str],
    schema: crate::model::Schema,
}

impl Guard {
    fn totally_guarded(&self) -> bool {
        self.fillable.is_empty() && self.guarded == ["*"]
    }

    fn is_fillable(&self, key: &str) -> bool {
        if self.schema.tenant_column == Some(key) {
            return false;
        }
        if self.fillable.contains(&key) {
            return true;
        }
        !(self.guarded.contains(&key) || self.guarded == ["*"] || !self.fillable.is_empty())
    }

    /// Whether `key` is a column of the model: declared, or implied by its settings
    /// (the key, timestamps, `deleted_at`, the tenant column), or any plain name when it
    /// declares none. A key that is not is left for the write's name check to refuse:
    /// an unknown name is an error, never silently dropped.
    fn is_known(&self, key: &str) -> bool {
        if self.schema.columns.is_empty() {
            // A plain identifier; anything else is for the name check to refuse.
            let mut bytes = key.bytes();
            return bytes
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        }
        self.schema.is_known_column(key)
    }

    /// A known key mass assignment may not set.
    fn refuses(&self, key: &str) -> bool {
        self.is_known(key) && !self.is_fillable(key)
    }
}

/// The fillable part of `attributes` for model `M` (see the module docs).
pub(crate) fn fillable<M: ModelDef>(attributes: Attributes) -> Result<Attributes> {
    let guard = Guard {
        fillable: M::FILLABLE,
        guarded: M::GUARDED,
        schema: crate::model::Schema::of::<M>(),
    };
    filter(guard, attributes)
}

/// The body of [`fillable`], one copy for every model.
#[inline(never)]
fn filter(guard: Guard, mut attributes: Attributes) -> Result<Attributes> {
    if !attributes.keys().any(|key| guard.refuses(key)) {
        return Ok(attributes);
    }
    // Outside a request scope there is no `Orm` to ask: lenient, Laravel's default.
    let strict = match crate::Orm::current() {
        Ok(orm) => orm.prevents_silently_discarding(),
        Err(_) => false,
    };
    if guard.totally_guarded() || strict {
        let keys = attributes.keys().filter(|key| guard.refuses(key));
        return Err(OrmError::MassAssignment {
            model: guard.schema.model(),
            keys: keys.cloned().collect(),
        });
    }
    attributes.retain(|key, _| !guard.refuses(key));
    Ok(attributes)
}

/// Check a model's `FILLABLE` / `GUARDED` names (for the model check): plain
/// identifiers, declared columns when the model declares its columns, and `"*"` only
/// alone in `GUARDED`.
pub(crate) fn check_declaration(
    d: &crate::model::config::Declaration,
) -> std::result::Result<(), String> {
    let declared = |name: &str| d.schema.columns.is_empty() || d.column(name).is_some();
    for (what, names) in [("FILLABLE", d.fillable), ("GUARDED", d.guarded)] {
        for name in names {
            if what == "GUARDED" && *name == "*" {
                if names.len() > 1 {
                    return Err("GUARDED is [\"*\"] alone, or names columns".to_string());
                }
                continue;
            }
            let plain = crate::query::Ident::parse(name).is_ok_and(|i| i.parts().0.is_none());
            if !plain {
                return Err(format!("{what} entry {name:?} is not a plain column name"));
            }
            if !declared(name) {
                return Err(format!(
                    "{what} names {name:?}, which COLUMNS does not declare"
                ));
            }
        }
    }
    Ok(())
}
