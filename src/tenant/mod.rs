//! Tenancy: the reference's "Tenant Scoping", `TenantContext`, `TenantDatabaseResolver`,
//! `D1SessionHandle`, `TenantScopeMiddleware` and the `OrmServiceProvider` config.
//!
//! The tenant condition itself is a model scope (`crate::query::scopes`), so it applies
//! on every read and write path at once; this module owns where the tenant comes from
//! (request → slug → org → context), which database a tenant uses, and D1 sessions.

mod context;
mod middleware;
mod provider;
mod resolver;
mod session;

pub use context::{TenantContext, TenantContextData};
pub use middleware::{
    HeaderOrgResolver, IntoOrgId, OrgLookup, OrgResolvable, PathOrgResolver, RequestParts,
    SubdomainOrgResolver, TenantScopeMiddleware,
};
pub use provider::{
    BindingSource, OrmConfig, OrmServiceProvider, TenantStrategy, DEFAULT_QUERY_BUDGET,
};
pub use resolver::{tenant_binding_name, TenantDatabaseResolver, DEFAULT_TENANT_BINDING_PATTERN};
pub use session::{
    D1SessionHandle, SessionAwareRaw, SessionCapable, SessionControl, FIRST_PRIMARY,
    FIRST_UNCONSTRAINED,
};
