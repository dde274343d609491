//! [`TenantDatabaseResolver`]: org slug → per-tenant binding name → binding (TS
//! `TenantDatabaseResolver`), for the provider's `database` tenant strategy.

/// The default binding-name pattern.
pub const DEFAULT_TENANT_BINDING_PATTERN: &str = "DB_TENANT_{SLUG}";

use crate::runtime::{MaybeSend, MaybeSync};

#[cfg(not(target_arch = "wasm32"))]
type ResolveBinding<D> = Box<dyn Fn(&str) -> Option<D> + Send + Sync>;
#[cfg(target_arch = "wasm32")]
type ResolveBinding<D> = Box<dyn Fn(&str) -> Option<D>>;

/// Maps an org slug to a binding through a pattern (`DB_TENANT_{SLUG}`; `{SLUG}` is the
/// slug uppercased with `-` turned into `_`).
///
/// ```
/// use roost_orm::tenant::TenantDatabaseResolver;
/// let resolver = TenantDatabaseResolver::new("DB_TENANT_{SLUG}", |name: &str| {
///     (name == "DB_TENANT_ACME_CORP").then(|| "acme's database")
/// });
/// assert_eq!(resolver.binding_name("acme-corp"), "DB_TENANT_ACME_CORP");
/// assert_eq!(resolver.resolve("acme-corp"), Some("acme's database"));
/// assert_eq!(resolver.resolve("other"), None);
/// ```
pub struct TenantDatabaseResolver<D> {
    pattern: String,
    resolve_binding: ResolveBinding<D>,
}

impl<D> std::fmt::Debug for TenantDatabaseResolver<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantDatabaseResolver")
            .field("pattern", &self.pattern)
            .finish_non_exhaustive()
    }
}

impl<D> TenantDatabaseResolver<D> {
    /// A resolver from a pattern (empty → the default) and a binding lookup that
    /// returns `None` for a missing binding.
    pub fn new<F>(pattern: impl Into<String>, resolve_binding: F) -> Self
    where
        F: Fn(&str) -> Option<D> + MaybeSend + MaybeSync + 'static,
    {
        let pattern = pattern.into();
        TenantDatabaseResolver {
            pattern: if pattern.is_empty() {
                DEFAULT_TENANT_BINDING_PATTERN.to_string()
            } else {
                pattern
            },
            resolve_binding: Box::new(resolve_binding),
        }
    }

    /// The binding name for `slug`.
    pub fn binding_name(&self, slug: &str) -> String {
        tenant_binding_name(&self.pattern, slug)
    }

    /// The binding for `slug`, or `None` when no such binding exists.
    pub fn resolve(&self, slug: &str) -> Option<D> {
        (self.resolve_binding)(&self.binding_name(slug))
    }
}

/// The binding name for `slug` under `pattern`: `{SLUG}` becomes the slug uppercased
/// with `-` turned into `_` (`acme-corp` → `DB_TENANT_ACME_CORP`).
pub fn tenant_binding_name(pattern: &str, slug: &str) -> String {
    pattern.replace("{SLUG}", &slug.to_uppercase().replace('-', "_"))
}
