//! The provider: the reference's `OrmServiceProvider` tenant-strategy config, and the
//! per-request [`Orm`] it boots.
//!
//! | config (TS key) | Rust field | env var | default |
//! |---|---|---|---|
//! | `database.tenantStrategy` | `tenant_strategy` | `DATABASE_TENANT_STRATEGY` (`row`/`database`) | `row` |
//! | `database.useSession` | `use_session` | `DATABASE_USE_SESSION` (`true`/`false`) | `false` |
//! | `database.d1Binding` | `d1_binding` | `DATABASE_D1_BINDING` | `DB` |
//! | `database.tenantBindingPattern` | `tenant_binding_pattern` | `DATABASE_TENANT_BINDING_PATTERN` | `DB_TENANT_{SLUG}` |
//! | — | `strict_tenant_binding` | `DATABASE_STRICT_TENANT_BINDING` | `true` |
//! | — | `query_budget` | `DATABASE_QUERY_BUDGET` (a positive integer, or `none`) | `1000` |
//!
//! Each request gets its own `Orm` (own tenant context, own session); the `database`
//! strategy switches that request's database to the tenant's binding once the tenant is
//! known. A tenant without a binding is `TenantBindingNotFound` (fail closed: the shared
//! database may hold other tenants' rows); `strict_tenant_binding = false` opts into
//! the original's fallback to the shared binding, with a `tracing` warning.
//!
//! `query_budget` is D1's per-invocation query limit as the ORM enforces it: each
//! request's `Orm` may send that many statements in all (a batch counts each of its
//! statements, as D1 does), and a call that would pass it is
//! [`OrmError::QueryBudgetExceeded`] before anything is sent — instead of D1 failing
//! the invocation part-way. The default, `1000`, is D1's limit on the paid plan; set
//! `50` for the free plan, or `none` for no budget. `0` is `InvalidConfig` (it would
//! refuse every query), as is anything but digits.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{OrmError, Result};
use crate::orm::Orm;
use crate::tenant::{
    tenant_binding_name, D1SessionHandle, SessionCapable, TenantContext,
    DEFAULT_TENANT_BINDING_PATTERN,
};

/// How tenants are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenantStrategy {
    /// One shared database; rows carry the tenant column (`row`).
    #[default]
    Row,
    /// A database per tenant, found through the binding pattern (`database`).
    Database,
}

/// The provider's configuration (TS `database.*` keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrmConfig {
    /// `row` or `database`.
    pub tenant_strategy: TenantStrategy,
    /// Read-your-writes through D1 sessions.
    pub use_session: bool,
    /// The shared D1 binding name.
    pub d1_binding: String,
    /// The per-tenant binding pattern.
    pub tenant_binding_pattern: String,
    /// Fail when a tenant's binding is missing (the default); `false` falls back to the
    /// shared binding with a warning, as the original does.
    pub strict_tenant_binding: bool,
    /// The most statements one request (one Worker invocation) may send, applied by
    /// [`OrmServiceProvider::boot`] ([`Orm::set_query_budget`]); `None` for no limit.
    /// Default [`DEFAULT_QUERY_BUDGET`] (D1's paid plan; the free plan allows 50).
    pub query_budget: Option<u64>,
}

/// The default [`OrmConfig::query_budget`]: D1's per-invocation query limit on the
/// paid plan (the free plan's is 50).
pub const DEFAULT_QUERY_BUDGET: u64 = 1000;

impl Default for OrmConfig {
    fn default() -> Self {
        OrmConfig {
            tenant_strategy: TenantStrategy::Row,
            use_session: false,
            d1_binding: "DB".to_string(),
            tenant_binding_pattern: DEFAULT_TENANT_BINDING_PATTERN.to_string(),
            strict_tenant_binding: true,
            query_budget: Some(DEFAULT_QUERY_BUDGET),
        }
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        other => Err(OrmError::InvalidConfig(format!(
            "{key}: expected true or false, got {other:?}"
        ))),
    }
}

/// `DATABASE_QUERY_BUDGET`: a positive integer (digits only), or `none` for no budget;
/// empty keeps the default.
fn parse_budget(value: &str) -> Result<Option<u64>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(Some(DEFAULT_QUERY_BUDGET));
    }
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = |why: &str| {
        OrmError::InvalidConfig(format!(
            "DATABASE_QUERY_BUDGET: expected a positive number of statements or none, got \
             {value:?} ({why})"
        ))
    };
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a number"));
    }
    match value.parse::<u64>() {
        Ok(0) => Err(bad("0 would refuse every query; use none for no budget")),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(bad("too large")),
    }
}

impl OrmConfig {
    /// Read the config from variables (`DATABASE_TENANT_STRATEGY`, ...); a missing
    /// variable keeps its default, a bad value is `InvalidConfig`.
    ///
    /// ```
    /// use roost_orm::tenant::{OrmConfig, TenantStrategy};
    /// let vars = [("DATABASE_TENANT_STRATEGY", "database"), ("DATABASE_USE_SESSION", "true")];
    /// let config = OrmConfig::from_vars(|k| {
    ///     vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    /// })
    /// .unwrap();
    /// assert_eq!(config.tenant_strategy, TenantStrategy::Database);
    /// assert!(config.use_session);
    /// assert_eq!(config.d1_binding, "DB");
    /// ```
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut config = OrmConfig::default();
        if let Some(v) = get("DATABASE_TENANT_STRATEGY") {
            config.tenant_strategy = match v.trim().to_ascii_lowercase().as_str() {
                "row" | "" => TenantStrategy::Row,
                "database" => TenantStrategy::Database,
                other => {
                    return Err(OrmError::InvalidConfig(format!(
                        "DATABASE_TENANT_STRATEGY: expected row or database, got {other:?}"
                    )))
                }
            };
        }
        if let Some(v) = get("DATABASE_USE_SESSION") {
            config.use_session = parse_bool("DATABASE_USE_SESSION", &v)?;
        }
        if let Some(v) = get("DATABASE_D1_BINDING").filter(|v| !v.trim().is_empty()) {
            config.d1_binding = v.trim().to_string();
        }
        if let Some(v) = get("DATABASE_TENANT_BINDING_PATTERN").filter(|v| !v.trim().is_empty()) {
            config.tenant_binding_pattern = v.trim().to_string();
        }
        if let Some(v) = get("DATABASE_STRICT_TENANT_BINDING") {
            config.strict_tenant_binding = parse_bool("DATABASE_STRICT_TENANT_BINDING", &v)?;
        }
        if let Some(v) = get("DATABASE_QUERY_BUDGET") {
            config.query_budget = parse_budget(&v)?;
        }
        Ok(config)
    }

    /// Read the config from a Worker's `[vars]`.
    #[cfg(feature = "d1")]
    pub fn from_env(env: &worker::Env) -> Result<Self> {
        Self::from_vars(|k| env.var(k).ok().map(|v| v.to_string()))
    }
}

/// Where bindings come from: a Worker's `Env` (feature `d1`), or a map of executors
/// (native apps and tests).
pub trait BindingSource {
    /// The binding type (an executor that may support sessions).
    type Binding: SessionCapable + 'static;
    /// The binding called `name`, if it exists.
    fn binding(&self, name: &str) -> Option<Self::Binding>;
}

impl<E: SessionCapable + Clone + 'static> BindingSource for HashMap<String, E> {
    type Binding = E;
    fn binding(&self, name: &str) -> Option<E> {
        self.get(name).cloned()
    }
}

#[cfg(feature = "d1")]
impl BindingSource for worker::Env {
    type Binding = crate::executor::D1Executor;
    fn binding(&self, name: &str) -> Option<Self::Binding> {
        self.d1(name).ok().map(crate::executor::D1Executor::new)
    }
}

/// Boots the `Orm` of each request from the config (TS `OrmServiceProvider`).
///
/// ```
/// use std::collections::HashMap;
/// use roost_orm::tenant::{OrmConfig, OrmServiceProvider};
/// use roost_orm::SqliteExecutor;
/// let bindings = HashMap::from([("DB".to_string(), SqliteExecutor::memory().unwrap())]);
/// let provider = OrmServiceProvider::new(OrmConfig::default());
/// let orm = provider.boot(&bindings).unwrap();
/// assert!(orm.tenant().get().is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct OrmServiceProvider {
    config: OrmConfig,
}

impl OrmServiceProvider {
    /// A provider with this config.
    pub fn new(config: OrmConfig) -> Self {
        OrmServiceProvider { config }
    }

    /// The config.
    pub fn config(&self) -> &OrmConfig {
        &self.config
    }

    fn attach<S: BindingSource>(&self, orm: &Orm, binding: S::Binding) {
        if self.config.use_session {
            orm.use_session(D1SessionHandle::auto_marking(binding));
        } else {
            orm.use_executor(Arc::new(binding));
        }
    }

    /// A new request's `Orm` on the shared binding, with a fresh tenant context, the
    /// config's query budget (unspent) and a session handle when `use_session` is on.
    pub fn boot<S: BindingSource>(&self, source: &S) -> Result<Orm> {
        let binding = source.binding(&self.config.d1_binding).ok_or_else(|| {
            OrmError::InvalidConfig(format!("D1 binding {:?} not found", self.config.d1_binding))
        })?;
        let orm = Orm::with_context(Arc::new(crate::orm::NoDatabase), TenantContext::new())
            .with_query_budget(self.config.query_budget);
        self.attach::<S>(&orm, binding);
        Ok(orm)
    }

    /// Once `orm`'s tenant is set: with the `database` strategy, move the request to
    /// the tenant's binding (`DB_TENANT_ACME_CORP` for `acme-corp`). A missing binding
    /// is `TenantBindingNotFound`, or — with `strict_tenant_binding` off — falls back to
    /// the shared one with a warning. No-op for the `row` strategy or without a tenant.
    pub fn apply_tenant<S: BindingSource>(&self, orm: &Orm, source: &S) -> Result<()> {
        if self.config.tenant_strategy != TenantStrategy::Database {
            return Ok(());
        }
        let Some(tenant) = orm.tenant().get() else {
            return Ok(());
        };
        let name = tenant_binding_name(&self.config.tenant_binding_pattern, &tenant.org_slug);
        match source.binding(&name) {
            Some(binding) => {
                self.attach::<S>(orm, binding);
                Ok(())
            }
            None if self.config.strict_tenant_binding => {
                Err(OrmError::TenantBindingNotFound { binding: name })
            }
            None => {
                tracing::warn!(
                    target: "roost_orm::tenant",
                    binding = %name,
                    slug = %tenant.org_slug,
                    "tenant database binding not found; using the shared binding"
                );
                Ok(())
            }
        }
    }
}
