//! The built-in org resolvers of the tenant middleware: what each reads from a request,
//! and that a resolver configured so it could never name an org fails every request
//! (`InvalidConfig`, handler not run) instead of running it unscoped.
use std::cell::Cell;

use roost_orm::tenant::{
    HeaderOrgResolver, OrgResolvable, PathOrgResolver, SubdomainOrgResolver, TenantScopeMiddleware,
};
use roost_orm::{Orm, OrmError, SqliteExecutor};

type Request = http::Request<()>;

fn request(uri: &str, headers: &[(&str, &str)]) -> Request {
    let mut builder = http::Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

fn slug(resolver: &impl OrgResolvable<Request>, request: &Request) -> Option<String> {
    resolver.check().unwrap();
    resolver.resolve(request)
}

#[test]
fn a_header_names_the_org() {
    let r = HeaderOrgResolver("x-org".into());
    assert_eq!(
        slug(&r, &request("/", &[("x-org", "acme")])),
        Some("acme".into())
    );
    assert_eq!(
        slug(&r, &request("/", &[("X-Org", " acme ")])),
        Some("acme".into())
    );
    assert_eq!(slug(&r, &request("/", &[("x-org", "  ")])), None);
    assert_eq!(slug(&r, &request("/", &[])), None);
}

#[test]
fn a_subdomain_names_the_org_whatever_the_case() {
    let r = SubdomainOrgResolver("example.com".into());
    let host = |h: &str| slug(&r, &request("/posts", &[("host", h)]));
    assert_eq!(host("acme.example.com"), Some("acme".into()));
    assert_eq!(host("acme.example.com:8787"), Some("acme".into()));
    assert_eq!(host("Acme.Example.COM"), Some("acme".into()));
    assert_eq!(host("example.com"), None, "the base itself names no org");
    assert_eq!(host("a.b.example.com"), None, "one label only");
    assert_eq!(host("acmeexample.com"), None, "a label, not a suffix");
    assert_eq!(host("acme.other.com"), None);
    let absolute = request("https://globex.example.com/posts", &[]);
    assert_eq!(slug(&r, &absolute), Some("globex".into()));
    let upper = SubdomainOrgResolver("EXAMPLE.com".into());
    assert_eq!(
        slug(&upper, &request("/", &[("host", "acme.example.com")])),
        Some("acme".into())
    );
}

#[test]
fn a_path_segment_names_the_org() {
    let r = PathOrgResolver("/orgs/".into());
    let path = |p: &str| slug(&r, &request(p, &[]));
    assert_eq!(path("/orgs/acme/posts"), Some("acme".into()));
    assert_eq!(path("/orgs/acme"), Some("acme".into()));
    assert_eq!(path("/orgs/"), None);
    assert_eq!(path("/posts"), None);
    let root = PathOrgResolver("/".into());
    assert_eq!(
        slug(&root, &request("/acme/posts", &[])),
        Some("acme".into())
    );
}

/// Run `resolver` in the middleware on a request that names org `acme` every way a
/// resolver can read it; whether the handler ran, and what `handle` returned.
async fn handled<Res: OrgResolvable<Request>>(resolver: Res) -> (bool, roost_orm::Result<()>) {
    let db = SqliteExecutor::memory().unwrap();
    let orm = Orm::new(db);
    let middleware = TenantScopeMiddleware::new(
        resolver,
        |slug: String| async move { Ok((slug == "acme").then_some("1")) },
        orm.tenant().clone(),
    );
    let ran = Cell::new(false);
    let request = request(
        "https://acme.example.com/orgs/acme/posts",
        &[("x-org", "acme")],
    );
    let result = orm
        .scope(middleware.handle(request, |_| async { ran.set(true) }))
        .await;
    assert_eq!(orm.statements(), 0, "nothing sent");
    (ran.get(), result)
}

#[tokio::test]
async fn a_resolver_that_could_never_name_an_org_fails_every_request() {
    let bad_headers = ["x org", "", "x-org\n", "x:org"];
    let bad_bases = [
        "",
        ".example.com",
        "example.com.",
        "example.com:443",
        "example.com/",
        "https://example.com",
    ];
    let bad_prefixes = ["", "/orgs", "orgs/", "orgs"];
    let mut cases: Vec<(String, (bool, roost_orm::Result<()>))> = Vec::new();
    for h in bad_headers {
        cases.push((
            format!("header {h:?}"),
            handled(HeaderOrgResolver(h.into())).await,
        ));
    }
    for b in bad_bases {
        cases.push((
            format!("base {b:?}"),
            handled(SubdomainOrgResolver(b.into())).await,
        ));
    }
    for p in bad_prefixes {
        cases.push((
            format!("prefix {p:?}"),
            handled(PathOrgResolver(p.into())).await,
        ));
    }
    for (case, (ran, result)) in cases {
        assert!(!ran, "{case}: the handler ran");
        match result {
            Err(OrmError::InvalidConfig(message)) => {
                assert!(message.contains("unscoped"), "{case}: {message}")
            }
            other => panic!("{case}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn well_configured_resolvers_set_the_tenant() {
    let good: [(&str, (bool, roost_orm::Result<()>)); 4] = [
        ("header", handled(HeaderOrgResolver("x-org".into())).await),
        (
            "subdomain",
            handled(SubdomainOrgResolver("example.com".into())).await,
        ),
        ("path", handled(PathOrgResolver("/orgs/".into())).await),
        (
            "closure",
            handled(|r: &Request| r.headers().get("x-org").map(|_| "acme".to_string())).await,
        ),
    ];
    for (case, (ran, result)) in good {
        assert!(ran, "{case}: the handler did not run");
        assert!(result.is_ok(), "{case}: {result:?}");
    }
}

#[test]
fn header_names_are_judged_as_the_http_crate_judges_them() {
    let mut names: Vec<String> = (0u8..128).map(|b| format!("x-{}", b as char)).collect();
    names.extend(["", "x-org", "X-Org", "x-é", "x org", "-", "x_org.1"].map(String::from));
    for name in names {
        let ours = OrgResolvable::<Request>::check(&HeaderOrgResolver(name.clone())).is_ok();
        let http = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
        assert_eq!(ours, http, "{name:?}");
    }
}
