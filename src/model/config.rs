//! The check of a model's declaration: its consts and relations, validated as a whole
//! once per model type, before the model's first query or write.
//!
//! Every model operation asks for the request's `Orm` through
//! [`Orm::current_for`](crate::Orm::current_for), which runs [`check_model`] first, so
//! a misconfigured model never reaches SQL — in particular a tenant column that isn't
//! a usable name is an error, never a query without the tenant condition. The
//! verdict (pass or the first fault) is remembered per thread and per type; a
//! declaration is made of consts and cannot change while the program runs.
//!
//! | declaration                         | fault                                   |
//! |-------------------------------------|-----------------------------------------|
//! | `TABLE` / derived table name        | not a plain identifier                  |
//! | `PRIMARY_KEY`                       | not a plain identifier                  |
//! | `KEY_TYPE`                          | `Uuid` / `Ulid` with a key declared other than `TEXT` |
//! | `TENANT_COLUMN`                     | not a plain identifier; the primary key |
//! | `COLUMNS`                           | a name not a plain identifier; a name twice |
//! | `relations`                         | a key or pivot name invalid or unknown  |
//! | `TOUCHES`                           | not a declared belongs-to; owner without timestamps |
//! | `FILLABLE` / `GUARDED`              | not a plain name; undeclared in `COLUMNS`; `"*"` beside names |
//! | `HIDDEN` / `VISIBLE` / `APPENDS`    | not a plain name; an appended name that is a column |
//! | `ACCESSORS`                         | not a plain name; a name twice          |
//!
//! This module only judges declarations; it must not build queries.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashSet;

use rustc_hash::FxHashMap;

use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::query::Ident;

thread_local! {
    static VERDICTS: RefCell<FxHashMap<TypeId, Option<OrmError>>> = RefCell::default();
}

/// `Ok` when model `M`'s declaration is usable, else [`OrmError::InvalidModel`] naming
/// the fault. Cheap after the first call (one per-thread map lookup).
pub(crate) fn check_model<M: ModelDef>() -> Result<()> {
    check_model_by(TypeId::of::<M>(), judge::<M>)
}

/// The body of [`check_model`], one copy for every model type: only the judgement is
/// per type (code size on wasm32 grows with the models, not with this lookup).
fn check_model_by(id: TypeId, judge: fn() -> Result<()>) -> Result<()> {
    let known = VERDICTS.with(|v| v.borrow().get(&id).cloned());
    let verdict = match known {
        Some(verdict) => verdict,
        None => {
            // Judged outside the borrow: declaring relations runs the model's code.
            // Provisionally passed while judged, so a check reached again from inside
            // the judgement (a relation's model naming this one) can't recurse.
            VERDICTS.with(|v| v.borrow_mut().insert(id, None));
            let verdict = judge().err();
            VERDICTS.with(|v| v.borrow_mut().insert(id, verdict.clone()));
            verdict
        }
    };
    match verdict {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

fn invalid<M: ModelDef>(reason: String) -> OrmError {
    OrmError::InvalidModel {
        model: M::model_name(),
        reason,
    }
}

/// A model's declared consts, as plain data: its [`Schema`](crate::model::Schema)
/// (table, keys, settings, columns) plus what only the check reads, so the checks'
/// code exists once, not once per model (wasm size grows with the models only by this
/// struct's construction).
pub(crate) struct Declaration {
    pub schema: crate::model::Schema,
    pub table_declared: bool,
    pub key_type: crate::model::KeyType,
    pub fillable: &'static [&'static str],
    pub guarded: &'static [&'static str],
    pub hidden: &'static [&'static str],
    pub visible: &'static [&'static str],
    pub appends: &'static [&'static str],
    pub accessors: &'static [crate::model::Attribute],
}

impl Declaration {
    pub(crate) fn of<M: ModelDef>() -> Self {
        Declaration {
            schema: crate::model::Schema::of::<M>(),
            table_declared: M::TABLE.is_some(),
            key_type: M::KEY_TYPE,
            fillable: M::FILLABLE,
            guarded: M::GUARDED,
            hidden: M::HIDDEN,
            visible: M::VISIBLE,
            appends: M::APPENDS,
            accessors: M::ACCESSORS,
        }
    }

    /// The declared column called `name`, if any.
    pub(crate) fn column(&self, name: &str) -> Option<&'static crate::model::Column> {
        self.schema.column(name)
    }
}

/// A name a const declares, which must be a plain `[A-Za-z_][A-Za-z0-9_]*` identifier.
fn plain(what: &str, name: &'static str) -> std::result::Result<(), String> {
    match Ident::parse_static(name) {
        Ok(ident) if ident.parts().0.is_none() => Ok(()),
        _ => Err(format!(
            "{what} {name:?} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"
        )),
    }
}

/// Every check of a declaration's consts (one copy for all models).
#[inline(never)]
fn judge_consts(d: &Declaration) -> std::result::Result<(), String> {
    let table_const = if d.table_declared {
        "TABLE"
    } else {
        "the table name derived from the type name (set TABLE)"
    };
    let schema = &d.schema;
    plain(table_const, schema.table)?;
    plain("PRIMARY_KEY", schema.primary_key)?;
    if let Some(tenant) = schema.tenant_column {
        plain("TENANT_COLUMN", tenant)?;
        if tenant == schema.primary_key {
            return Err(format!(
                "TENANT_COLUMN {tenant:?} is the primary key; the tenant id needs a column of its own"
            ));
        }
    }
    let mut seen = HashSet::new();
    for column in schema.columns {
        plain("a COLUMNS entry", column.name)?;
        if !seen.insert(column.name) {
            return Err(format!("COLUMNS declares {:?} twice", column.name));
        }
    }
    crate::model::guards::check_declaration(d)?;
    crate::model::keys::check_declaration(d)?;
    crate::model::accessors::check_declaration(d)?;
    crate::model::visibility::check_declaration(d)
}

fn judge<M: ModelDef>() -> Result<()> {
    judge_consts(&Declaration::of::<M>()).map_err(invalid::<M>)?;
    let relations = crate::relations::relation_map::<M>();
    relations
        .check_declarations()
        .map_err(|(name, e)| invalid::<M>(format!("relation [{name}]: {e}")))?;
    for name in M::TOUCHES {
        match relations.touch_owner(name) {
            None => return Err(touches_fault::<M>(name)),
            Some(owner) if !owner.owner.timestamps => {
                return Err(invalid::<M>(format!(
                    "TOUCHES names [{name}], but its model [{}] has no timestamps to touch",
                    owner.owner.model()
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The fault of a [`ModelDef::TOUCHES`] entry that is not a declared belongs-to.
pub(crate) fn touches_fault<M: ModelDef>(name: &str) -> OrmError {
    invalid::<M>(format!(
        "TOUCHES names [{name}], which is not a belongs-to relation declared in `relations` \
         (only a belongs-to has an owner to touch)"
    ))
}
