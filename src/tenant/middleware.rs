//! [`TenantScopeMiddleware`]: request → org slug → org id → the request's
//! [`TenantContext`] (TS `TenantScopeMiddleware`).
//!
//! The context it fills is the one the request's [`Orm`](crate::Orm) reads
//! (`orm.tenant()`), so the models of that request are scoped — in the original the
//! documented wiring filled a context the models never read. Requests are anything an
//! [`OrgResolvable`] understands; [`RequestParts`] is implemented for `http::Request`
//! (native servers and tests) and `worker::Request` (feature `d1`), and the built-in
//! resolvers read a header, a subdomain or a path segment through it.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::runtime::{BoxFuture, MaybeSend, MaybeSync};
use crate::tenant::{TenantContext, TenantContextData};

/// The parts of an HTTP request the built-in resolvers read.
pub trait RequestParts {
    /// A header's value.
    fn header(&self, name: &str) -> Option<String>;
    /// The URL path (`/orgs/acme/posts`).
    fn path(&self) -> String;
    /// The host name, without port.
    fn host(&self) -> Option<String>;
}

impl<B> RequestParts for http::Request<B> {
    /// A header that is present but not UTF-8 is read lossily, never as absent: absent
    /// means "no tenant", while an unreadable slug must fail the org lookup
    /// (`TenantNotResolved`), not run the request unscoped.
    fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    fn path(&self) -> String {
        self.uri().path().to_string()
    }

    fn host(&self) -> Option<String> {
        self.uri()
            .host()
            .map(str::to_string)
            .or_else(|| host_header(self))
    }
}

/// The `Host` header's host name, without its port.
fn host_header(request: &impl RequestParts) -> Option<String> {
    let host = request.header("host")?;
    Some(host.split(':').next().unwrap_or_default().to_string())
}

#[cfg(feature = "d1")]
impl RequestParts for worker::Request {
    /// `worker`'s header read fails only for a name that is not a header name, which
    /// reads as absent here; the built-in `HeaderOrgResolver` refuses such a name
    /// before any request ([`OrgResolvable::check`]).
    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).ok().flatten()
    }

    fn path(&self) -> String {
        worker::Request::path(self)
    }

    /// The URL's host; if the URL can't be parsed (the runtime hands Workers parsed
    /// URLs, so this is defensive), the `Host` header's, as for `http::Request`.
    fn host(&self) -> Option<String> {
        match self.url() {
            Ok(url) => url.host_str().map(str::to_string),
            Err(_) => host_header(self),
        }
    }
}

/// Finds the org slug of a request (TS `OrgResolvable`). Closures `Fn(&R) ->
/// Option<String>` are resolvers too.
pub trait OrgResolvable<R> {
    /// The org slug named by `request`, or `None` when it names none.
    fn resolve(&self, request: &R) -> Option<String>;

    /// `Ok` when this resolver can name an org at all. A misconfigured resolver (a
    /// header name that is not one, a path prefix no path starts with) would resolve
    /// every request to `None` — every request unscoped — so the middleware calls this
    /// before each request and fails it instead (`InvalidConfig`). Closures pass.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

impl<R, F: Fn(&R) -> Option<String>> OrgResolvable<R> for F {
    fn resolve(&self, request: &R) -> Option<String> {
        self(request)
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// The slug is a header's value (e.g. `x-org: acme`).
#[derive(Debug, Clone)]
pub struct HeaderOrgResolver(pub String);

impl<R: RequestParts> OrgResolvable<R> for HeaderOrgResolver {
    fn resolve(&self, request: &R) -> Option<String> {
        request.header(&self.0).and_then(|v| non_empty(&v))
    }

    /// The name must be a header name (RFC 9110 token characters): no request carries
    /// a header called `x org` or ``. (Checked by hand: `http::HeaderName::from_bytes`
    /// links the table of standard header names, 6 KiB gzipped in a Worker.)
    fn check(&self) -> Result<()> {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        match !self.0.is_empty() && self.0.bytes().all(token) {
            true => Ok(()),
            false => Err(misconfigured(
                "HeaderOrgResolver",
                &self.0,
                "is not a header name",
            )),
        }
    }
}

/// The `InvalidConfig` error of a resolver that could never name an org.
fn misconfigured(resolver: &str, value: &str, why: &str) -> OrmError {
    OrmError::InvalidConfig(format!(
        "{resolver}({value:?}) {why}: it would resolve no request to an org, so every \
         request would run unscoped"
    ))
}

/// The slug is the subdomain in front of a base domain (`acme.example.com`).
#[derive(Debug, Clone)]
pub struct SubdomainOrgResolver(pub String);

impl<R: RequestParts> OrgResolvable<R> for SubdomainOrgResolver {
    fn resolve(&self, request: &R) -> Option<String> {
        // Host names are case-insensitive: `Acme.Example.com` is org `acme`.
        let host = request.host()?.to_ascii_lowercase();
        let base = self.0.to_ascii_lowercase();
        let sub = host.strip_suffix(base.as_str())?.strip_suffix('.')?;
        (!sub.contains('.')).then(|| non_empty(sub)).flatten()
    }

    /// The base must be a domain name: not empty, no dot at either end, no port,
    /// scheme or path.
    fn check(&self) -> Result<()> {
        let base = self.0.as_str();
        let valid = !base.is_empty()
            && !base.starts_with('.')
            && !base.ends_with('.')
            && base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        match valid {
            true => Ok(()),
            false => Err(misconfigured(
                "SubdomainOrgResolver",
                base,
                "is not a domain name (write `example.com`)",
            )),
        }
    }
}

/// The slug is the path segment after a prefix (`/orgs/{slug}/...` with prefix
/// `/orgs/`).
#[derive(Debug, Clone)]
pub struct PathOrgResolver(pub String);

impl<R: RequestParts> OrgResolvable<R> for PathOrgResolver {
    fn resolve(&self, request: &R) -> Option<String> {
        let path = request.path();
        let rest = path.strip_prefix(self.0.as_str())?;
        non_empty(rest.split('/').next().unwrap_or_default())
    }

    /// The prefix must start with `/` and end with `/`, as every path it can match
    /// continues after it with the slug (`/orgs/`; `/` for `/{slug}/...`).
    fn check(&self) -> Result<()> {
        match self.0.starts_with('/') && self.0.ends_with('/') {
            true => Ok(()),
            false => Err(misconfigured(
                "PathOrgResolver",
                &self.0,
                "does not start and end with `/` (write `/orgs/`)",
            )),
        }
    }
}

/// An org id as an org lookup may return it: text, an integer, or a JSON value.
pub trait IntoOrgId {
    /// The id as text (the form stored in `TenantContextData::org_id`).
    fn into_org_id(self) -> String;
}

impl IntoOrgId for String {
    fn into_org_id(self) -> String {
        self
    }
}

impl IntoOrgId for &str {
    fn into_org_id(self) -> String {
        self.to_string()
    }
}

impl IntoOrgId for i64 {
    fn into_org_id(self) -> String {
        self.to_string()
    }
}

impl IntoOrgId for Value {
    fn into_org_id(self) -> String {
        match self {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }
}

/// Looks an org up by slug: `Ok(Some(id))`, or `Ok(None)` for an unknown slug.
pub trait OrgLookup: MaybeSend + MaybeSync {
    /// Look `slug` up.
    fn lookup(&self, slug: String) -> BoxFuture<'static, Result<Option<String>>>;
}

impl<F, Fut, I> OrgLookup for F
where
    F: Fn(String) -> Fut + MaybeSend + MaybeSync,
    Fut: Future<Output = Result<Option<I>>> + MaybeSend + 'static,
    I: IntoOrgId,
{
    fn lookup(&self, slug: String) -> BoxFuture<'static, Result<Option<String>>> {
        let fut = self(slug);
        Box::pin(async move { Ok(fut.await?.map(IntoOrgId::into_org_id)) })
    }
}

#[cfg(not(target_arch = "wasm32"))]
type OnTenant = Arc<dyn Fn(&TenantContextData) -> Result<()> + Send + Sync>;
#[cfg(target_arch = "wasm32")]
type OnTenant = Arc<dyn Fn(&TenantContextData) -> Result<()>>;

/// Sets the request's tenant before the handler runs.
///
/// ```
/// use roost_orm::tenant::{HeaderOrgResolver, TenantScopeMiddleware};
/// use roost_orm::Orm;
/// # futures::executor::block_on(async {
/// let orm = Orm::sqlite_memory().unwrap();
/// let middleware = TenantScopeMiddleware::new(
///     HeaderOrgResolver("x-org".into()),
///     |slug: String| async move { Ok((slug == "acme").then_some("7")) },
///     orm.tenant().clone(),
/// );
/// let request = http::Request::builder().header("x-org", "acme").body(()).unwrap();
/// let org = middleware
///     .handle(request, |_req| async { orm.tenant().get().unwrap().org_id })
///     .await
///     .unwrap();
/// assert_eq!(org, "7");
/// # });
/// ```
pub struct TenantScopeMiddleware<Res, L> {
    resolver: Res,
    org_lookup: L,
    ctx: TenantContext,
    on_tenant: Option<OnTenant>,
}

impl<Res, L: OrgLookup> TenantScopeMiddleware<Res, L> {
    /// TS `new TenantScopeMiddleware(resolver, orgLookup, ctx)`; pass the request's
    /// context: `orm.tenant().clone()`.
    pub fn new(resolver: Res, org_lookup: L, ctx: TenantContext) -> Self {
        TenantScopeMiddleware {
            resolver,
            org_lookup,
            ctx,
            on_tenant: None,
        }
    }

    /// Run `f` once the tenant is set (e.g. the provider's per-tenant database
    /// switch); an error from it fails the request.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn on_tenant(
        mut self,
        f: impl Fn(&TenantContextData) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.on_tenant = Some(Arc::new(f));
        self
    }

    /// Run `f` once the tenant is set (e.g. the provider's per-tenant database
    /// switch); an error from it fails the request.
    #[cfg(target_arch = "wasm32")]
    pub fn on_tenant(mut self, f: impl Fn(&TenantContextData) -> Result<()> + 'static) -> Self {
        self.on_tenant = Some(Arc::new(f));
        self
    }

    /// Resolve the slug, look the org up, set the context, then run `next` (TS
    /// `handle(request, next)`). No slug → `next` runs unscoped; an unknown slug →
    /// `TenantNotResolved` and `next` does not run; a resolver that could never name an
    /// org ([`OrgResolvable::check`]) → `InvalidConfig` and `next` does not run.
    pub async fn handle<R, Resp, N, Fut>(&self, request: R, next: N) -> Result<Resp>
    where
        Res: OrgResolvable<R>,
        N: FnOnce(R) -> Fut,
        Fut: Future<Output = Resp>,
    {
        self.resolver.check()?;
        if let Some(slug) = self.resolver.resolve(&request) {
            let org_id = self
                .org_lookup
                .lookup(slug.clone())
                .await?
                .ok_or_else(|| OrmError::TenantNotResolved { slug: slug.clone() })?;
            let data = TenantContextData::new(org_id, slug);
            self.ctx.set(data.clone());
            if let Some(on_tenant) = &self.on_tenant {
                on_tenant(&data)?;
            }
        }
        Ok(next(request).await)
    }
}
