//! User global scopes (Laravel's `addGlobalScope`): named conditions a model declares
//! once, ANDed — like the tenant and soft-delete scopes, outside the caller's group —
//! into every query of the model: builders and their terminals, mass writes, relation
//! and eager loads. A query lifts one with `without_global_scope(name)` or all with
//! `without_global_scopes()`; the tenant and soft-delete scopes are not among them and
//! only their own escape hatches lift them. As in Laravel, a record's own writes
//! (`save`, `delete` of a loaded instance) address it by key and don't apply them.
//!
//! This module keeps the declarations and turns them into conditions; it writes no SQL.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use once_cell::sync::Lazy;
use rustc_hash::FxHashMap;

use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::query::ast::Condition;
use crate::query::QueryBuilder;

/// A scope's closure: `Send + Sync` on every target, since declarations are cached for
/// the process (a scope captures nothing in practice).
type ScopeFn<M> = Arc<dyn Fn(QueryBuilder<M>) -> QueryBuilder<M> + Send + Sync>;

/// The global scopes model `M` declares in [`ModelDef::global_scopes`], by name.
///
/// ```
/// use roost_orm::prelude::*;
/// use roost_orm::query::GlobalScopes;
/// struct Post;
/// impl ModelDef for Post {
///     fn global_scopes(scopes: &mut GlobalScopes<Self>) {
///         scopes.add("published", |q| q.where_("status", "published"));
///     }
/// }
/// ```
pub struct GlobalScopes<M: ModelDef> {
    scopes: Vec<(String, ScopeFn<M>)>,
}

impl<M: ModelDef> GlobalScopes<M> {
    /// Declare scope `name`: `f` adds conditions to a fresh query of `M` (its order,
    /// limit and relations are ignored); they are ANDed into every query of `M`.
    pub fn add(
        &mut self,
        name: &str,
        f: impl Fn(QueryBuilder<M>) -> QueryBuilder<M> + Send + Sync + 'static,
    ) -> &mut Self {
        self.scopes.push((name.to_string(), Arc::new(f)));
        self
    }

    /// The declared names, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().map(|(name, _)| name.as_str())
    }
}

/// Which global scopes a query has lifted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Lifted {
    /// None: every declared scope applies.
    #[default]
    None,
    /// These, by name.
    Some(Vec<String>),
    /// Every one.
    All,
}

impl Lifted {
    fn lifts(&self, name: &str) -> bool {
        match self {
            Lifted::None => false,
            Lifted::Some(names) => names.iter().any(|n| n == name),
            Lifted::All => true,
        }
    }

    /// Lift `name` too.
    pub(crate) fn add(&mut self, name: &str) {
        match self {
            Lifted::None => *self = Lifted::Some(vec![name.to_string()]),
            Lifted::Some(names) => names.push(name.to_string()),
            Lifted::All => {}
        }
    }
}

/// Every model's declarations, built once per type for the program and never freed
/// (one per model type), so a lookup hands out a plain reference.
type Registry = RwLock<HashMap<TypeId, &'static (dyn Any + Send + Sync)>>;

static REGISTRY: Lazy<Registry> = Lazy::new(Default::default);

thread_local! {
    /// This thread's copy of the registry's entries it has used: no lock, no
    /// reference count on a query's path.
    static LOCAL: RefCell<FxHashMap<TypeId, &'static (dyn Any + Send + Sync)>> =
        RefCell::default();
}

/// The global scopes of `M`, built by [`ModelDef::global_scopes`] once per type.
fn scopes_of<M: ModelDef>() -> &'static GlobalScopes<M> {
    match entry(TypeId::of::<M>(), declare::<M>).downcast_ref::<GlobalScopes<M>>() {
        Some(scopes) => scopes,
        None => unreachable!("the registry is keyed by the model's TypeId"),
    }
}

/// `M`'s declarations, boxed for the registry.
fn declare<M: ModelDef>() -> Box<dyn Any + Send + Sync> {
    let mut scopes = GlobalScopes { scopes: Vec::new() };
    M::global_scopes(&mut scopes);
    Box::new(scopes)
}

/// The registry's entry for the model with `TypeId` `id`, made by `declare` on first
/// use: this thread's copy when it has one, else the shared one. One copy of the
/// lookup serves every model.
fn entry(
    id: TypeId,
    declare: fn() -> Box<dyn Any + Send + Sync>,
) -> &'static (dyn Any + Send + Sync) {
    let local = LOCAL.try_with(|local| local.borrow().get(&id).copied());
    if let Ok(Some(entry)) = local {
        return entry;
    }
    let entry = shared_entry(id, declare);
    // Without the thread's copy (its locals torn down) the shared one serves.
    let _ = LOCAL.try_with(|local| local.borrow_mut().insert(id, entry));
    entry
}

/// The shared registry's entry for `id`, declared on first use.
fn shared_entry(
    id: TypeId,
    declare: fn() -> Box<dyn Any + Send + Sync>,
) -> &'static (dyn Any + Send + Sync) {
    let known = REGISTRY
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .copied();
    if let Some(entry) = known {
        return entry;
    }
    // Declared outside the lock: a declaration may itself build queries.
    let scopes = declare();
    let mut registry = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    // Another thread may have declared it meanwhile: the first one stays.
    *registry.entry(id).or_insert_with(|| Box::leak(scopes))
}

/// Whether `M` declares any global scope that `lifted` leaves in force.
pub(crate) fn any_in_force<M: ModelDef>(lifted: &Lifted) -> bool {
    scopes_of::<M>().names().any(|name| !lifted.lifts(name))
}

/// The conditions of `M`'s global scopes in force: one group per scope. A scope whose
/// closure recorded a bad argument is that error, never a missing condition; a lifted
/// name that `M` doesn't declare is an error too (a typo must not be silent).
pub(crate) fn conditions<M: ModelDef>(lifted: &Lifted) -> Result<Vec<Condition>> {
    let scopes = scopes_of::<M>();
    if let Lifted::Some(names) = lifted {
        if let Some(unknown) = names.iter().find(|n| !scopes.names().any(|d| d == *n)) {
            return Err(OrmError::InvalidQuery(format!(
                "without_global_scope({unknown:?}): model [{}] declares no such global scope",
                M::model_name()
            )));
        }
    }
    let mut conditions = Vec::new();
    for (name, scope) in &scopes.scopes {
        if lifted.lifts(name) {
            continue;
        }
        let filter = scope(QueryBuilder::new()).into_filter()?;
        if !filter.is_empty() {
            conditions.push(Condition::Group(filter));
        }
    }
    Ok(conditions)
}
