//! [`TenantContext`]: the active tenant of one request (TS `TenantContext`).
//!
//! It lives in the request's [`Orm`](crate::Orm) — never in a global or on a model — so
//! two requests served at once by one isolate can't see each other's tenant. Clones
//! share state: the middleware, the provider and the models all hold the same context.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// The active tenant (TS `TenantContextData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantContextData {
    /// The organization's id: the value stored in each model's tenant column.
    pub org_id: String,
    /// The organization's slug (used to pick a per-tenant database).
    pub org_slug: String,
}

impl TenantContextData {
    /// Tenant data from an id and a slug.
    pub fn new(org_id: impl Into<String>, org_slug: impl Into<String>) -> Self {
        TenantContextData {
            org_id: org_id.into(),
            org_slug: org_slug.into(),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    data: Option<TenantContextData>,
    bypass_depth: usize,
}

/// The request-scoped tenant holder.
///
/// ```
/// use roost_orm::tenant::{TenantContext, TenantContextData};
/// let ctx = TenantContext::new();
/// assert!(ctx.get().is_none());
/// ctx.set(TenantContextData::new("42", "acme"));
/// assert_eq!(ctx.get().unwrap().org_id, "42");
/// ctx.bypass();
/// assert!(ctx.is_bypassed());
/// ctx.restore();
/// assert!(!ctx.is_bypassed());
/// ```
#[derive(Debug, Clone, Default)]
pub struct TenantContext {
    state: Arc<Mutex<State>>,
}

impl TenantContext {
    /// An empty context: no tenant, not bypassed.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Set the active tenant (called by `TenantScopeMiddleware`).
    pub fn set(&self, data: TenantContextData) {
        self.state().data = Some(data);
    }

    /// Clear the active tenant.
    pub fn clear(&self) {
        self.state().data = None;
    }

    /// The active tenant, or `None`.
    pub fn get(&self) -> Option<TenantContextData> {
        self.state().data.clone()
    }

    /// Whether tenant filtering is off for every model of this request (`bypass`).
    /// A per-model bypass from `without_tenant_scope` is not reported here.
    pub fn is_bypassed(&self) -> bool {
        self.state().bypass_depth > 0
    }

    /// Turn tenant filtering off for every model of this request. Calls nest: each
    /// `bypass` needs a `restore`.
    pub fn bypass(&self) {
        self.state().bypass_depth += 1;
    }

    /// Undo one `bypass`.
    pub fn restore(&self) {
        let mut state = self.state();
        state.bypass_depth = state.bypass_depth.saturating_sub(1);
    }

    /// The tenant id to filter by, when a tenant is active and not bypassed.
    pub(crate) fn active_org_id(&self) -> Option<String> {
        let state = self.state();
        match (&state.data, state.bypass_depth) {
            (Some(data), 0) => Some(data.org_id.clone()),
            _ => None,
        }
    }
}
