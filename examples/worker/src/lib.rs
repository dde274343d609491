//! The example Worker: a roostjs app ported to Rust with roost-orm, on Cloudflare D1.
//!
//! Every request gets its own [`Orm`] from the [`OrmServiceProvider`] (config from
//! `[vars]` in `wrangler.toml`: `DATABASE_USE_SESSION = "true"`), its tenant from
//! [`TenantScopeMiddleware`] (the org slug in the `x-org` header, looked up in
//! `organizations`), and runs its handler inside `orm.scope(...)`, where the models find
//! their database and tenant. With sessions on, the response carries the D1 bookmark in
//! `x-d1-bookmark`; a client that sends it back reads at least what it wrote.
//!
//! | route | |
//! |---|---|
//! | `GET /health` | readiness (no tenant) |
//! | `GET /posts?page=&per_page=&trashed=with\|only` | page of posts with author and comments |
//! | `GET /posts/{id}` | one post with author and comments |
//! | `POST /posts` | create `{title, body?, author_id, published?}` |
//! | `PATCH /posts/{id}` | update `{title?, body?, published?}` |
//! | `DELETE /posts/{id}` | soft delete |
//! | `POST /posts/{id}/restore` | restore |
//! | `POST /posts/{id}/comments` | comment `{body, author_id}` |
//! | `GET /stats` | counts, per-author counts, latest titles (see `src/stats.rs`) |
//! | `/probe/...` | e2e probes, only with `E2E_PROBES = "true"` (see `src/probes.rs`) |
//! | `GET /bench?n=&rounds=` | ORM vs hand-written D1 calls, only with `BENCH = "true"` (see `src/bench.rs`) |
//!
//! The last two are test scaffolding: they are compiled only with the `e2e` feature
//! (`scripts/e2e.sh` and `scripts/d1-bench.sh` build with it; the deployed and measured
//! build, `scripts/wasm-size.sh`, does not).

mod api;
#[cfg(feature = "e2e")]
mod bench;
mod models;
mod posts;
#[cfg(feature = "e2e")]
mod probes;
mod stats;

use roost_orm::prelude::*;
use roost_orm::tenant::{HeaderOrgResolver, OrmConfig, OrmServiceProvider, TenantScopeMiddleware};
use serde_json::{json, Value};
use worker::{event, Context, Env, Method, Request, Response};

use api::{path_id, ApiError};
use models::Organization;

/// The request header naming the organization (tenant) by slug.
pub const ORG_HEADER: &str = "x-org";
/// The header carrying the D1 session bookmark, both ways.
pub const BOOKMARK_HEADER: &str = "x-d1-bookmark";

/// The middleware's org lookup: slug → `organizations.id`.
async fn lookup_org(slug: String) -> roost_orm::Result<Option<Value>> {
    Ok(Organization::where_("slug", slug)
        .first()
        .await?
        .and_then(|org| org.get("id").cloned()))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    console_error_panic_hook::set_once();
    Ok(handle(req, &env)
        .await
        .unwrap_or_else(ApiError::into_response))
}

async fn handle(req: Request, env: &Env) -> Result<Response, ApiError> {
    let provider = OrmServiceProvider::new(OrmConfig::from_env(env)?);
    let orm = provider.boot(env)?;
    // Laravel's preventSilentlyDiscardingAttributes: a key a model guards (`org_id`,
    // `id`, `deleted_at` on a post) is a 422 naming it, not silently dropped.
    orm.prevent_silently_discarding_attributes(true);
    if let (Some(bookmark), Some(session)) = (req.headers().get(BOOKMARK_HEADER)?, orm.session()) {
        session.resume_from(&bookmark);
    }
    let middleware = {
        let (provider, orm, env) = (provider.clone(), orm.clone(), env.clone());
        TenantScopeMiddleware::new(
            HeaderOrgResolver(ORG_HEADER.into()),
            lookup_org,
            orm.tenant().clone(),
        )
        // The `database` strategy moves the request to the tenant's own binding.
        .on_tenant(move |_| provider.apply_tenant(&orm, &env))
    };
    let mut response = orm
        .scope(async {
            match middleware.handle(req, |req| route(req, &orm, env)).await {
                Ok(result) => result,
                Err(e) => Err(e.into()),
            }
        })
        .await
        .unwrap_or_else(ApiError::into_response);
    if let Some(bookmark) = orm.latest_bookmark() {
        response.headers_mut().set(BOOKMARK_HEADER, &bookmark)?;
    }
    Ok(response)
}

#[cfg_attr(not(feature = "e2e"), allow(unused_variables))]
async fn route(req: Request, orm: &Orm, env: &Env) -> Result<Response, ApiError> {
    let path = req.path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method();
    if segments == ["health"] {
        return api::json(200, &json!({"ok": true}));
    }
    #[cfg(feature = "e2e")]
    if segments == ["bench"] && bench::enabled(env) {
        return bench::route(&req, env).await;
    }
    if orm.tenant().get().is_none() {
        return Err(ApiError::new(
            400,
            "missing_organization",
            format!("Send the organization's slug in the {ORG_HEADER} header"),
        ));
    }
    match (method, segments.as_slice()) {
        (Method::Get, ["posts"]) => posts::list(&req).await,
        (Method::Get, ["stats"]) => stats::show().await,
        (Method::Post, ["posts"]) => posts::create(req).await,
        (Method::Get, ["posts", id]) => posts::show(path_id(id)?).await,
        (Method::Patch, ["posts", id]) => {
            let id = path_id(id)?;
            posts::update(req, id).await
        }
        (Method::Delete, ["posts", id]) => posts::delete(path_id(id)?).await,
        (Method::Post, ["posts", id, "restore"]) => posts::restore(path_id(id)?).await,
        (Method::Post, ["posts", id, "comments"]) => {
            let id = path_id(id)?;
            posts::comment(req, id).await
        }
        #[cfg(feature = "e2e")]
        (_, ["probe", rest @ ..]) if probes::enabled(env) => probes::route(req, env, rest).await,
        (_, ["posts", ..]) => Err(ApiError::new(
            405,
            "method_not_allowed",
            "Method not allowed",
        )),
        _ => Err(ApiError::new(404, "not_found", "No such route")),
    }
}
