//! D1 sessions (through the session-capable mock), the binding resolver and the
//! provider's config and strategies.
use std::collections::HashMap;

use roost_orm::prelude::*;
use roost_orm::tenant::{
    D1SessionHandle, HeaderOrgResolver, OrmConfig, OrmServiceProvider, SessionAwareRaw,
    TenantContextData, TenantDatabaseResolver, TenantScopeMiddleware, TenantStrategy,
};
use roost_orm::{Executor, MockExecutor, QueryResult, SqliteExecutor, Statement};
use serde_json::json;

struct Item;
impl ModelDef for Item {
    const TIMESTAMPS: bool = false;
}

fn select() -> Statement {
    Statement::new("SELECT 1", vec![])
}

fn insert() -> Statement {
    Statement::new("INSERT INTO t DEFAULT VALUES", vec![])
}

#[tokio::test]
async fn documented_handle_uses_the_plain_binding_until_mark_written() {
    let mock = MockExecutor::new();
    let handle = D1SessionHandle::new(mock.clone());
    handle.run(&select()).await.unwrap();
    handle.run(&insert()).await.unwrap(); // not auto-marking: still plain
    assert!(matches!(
        handle.session_aware_raw().unwrap(),
        SessionAwareRaw::Plain(_)
    ));
    handle.mark_written(None);
    assert!(matches!(
        handle.session_aware_raw().unwrap(),
        SessionAwareRaw::Session(_)
    ));
    handle.run(&select()).await.unwrap();
    assert_eq!(
        mock.session_log(),
        [None, None, Some("first-primary".into())]
    );

    let mock = MockExecutor::new();
    let handle = D1SessionHandle::new(mock.clone());
    handle.mark_written(Some("bookmark-000042"));
    handle.run(&select()).await.unwrap();
    assert_eq!(mock.sessions_started(), ["bookmark-000042"]);
}

#[tokio::test]
async fn auto_marking_writes_start_the_session_and_bookmarks_advance() {
    let mock = MockExecutor::new();
    let handle = D1SessionHandle::auto_marking(mock.clone());
    handle.run(&select()).await.unwrap();
    assert!(
        handle.latest_bookmark().is_none(),
        "reads before a write stay plain"
    );
    handle.run(&insert()).await.unwrap();
    let after_first = handle.latest_bookmark().unwrap();
    handle.run(&select()).await.unwrap();
    handle.batch(&[insert(), insert()]).await.unwrap();
    let after_batch = handle.latest_bookmark().unwrap();
    assert!(after_batch > after_first, "{after_batch} > {after_first}");
    assert_eq!(
        mock.session_log(),
        [
            None,
            Some("first-primary".into()),
            Some("first-primary".into()),
            Some("first-primary".into()),
            Some("first-primary".into())
        ]
    );
    assert_eq!(mock.sessions_started().len(), 1, "one session per request");
}

#[tokio::test]
async fn resuming_from_a_bookmark_routes_every_query_through_it() {
    let mock = MockExecutor::new();
    let handle = D1SessionHandle::auto_marking(mock.clone());
    handle.resume_from("bookmark-000007");
    handle.run(&select()).await.unwrap();
    handle.run(&insert()).await.unwrap();
    assert_eq!(mock.sessions_started(), ["bookmark-000007"]);
    assert!(mock
        .session_log()
        .iter()
        .all(|s| s.as_deref() == Some("bookmark-000007")));
    handle.resume_from("  ");
    assert_eq!(
        mock.sessions_started().len(),
        1,
        "blank bookmarks are ignored"
    );
}

#[tokio::test]
async fn without_sessions_the_handle_falls_back_to_the_plain_binding() {
    let mock = MockExecutor::new();
    mock.disable_sessions();
    let handle = D1SessionHandle::auto_marking(mock.clone());
    handle.run(&insert()).await.unwrap();
    handle.mark_written(None);
    handle.run(&select()).await.unwrap();
    assert_eq!(mock.session_log(), [None, None]);
    assert!(handle.latest_bookmark().is_none());
    assert!(matches!(
        handle.session_aware_raw().unwrap(),
        SessionAwareRaw::Plain(_)
    ));
}

#[tokio::test]
async fn orm_writes_through_a_session_orm_mark_it_and_expose_the_bookmark() {
    let mock = MockExecutor::new();
    mock.push(QueryResult::rows(["id"], []));
    mock.push(QueryResult::rows(
        ["id", "name"],
        [vec![json!(1), json!("a")]],
    ));
    let bindings = HashMap::from([("DB".to_string(), mock.clone())]);
    let config = OrmConfig {
        use_session: true,
        ..OrmConfig::default()
    };
    let orm = OrmServiceProvider::new(config).boot(&bindings).unwrap();
    orm.scope(async {
        Item::all().await.unwrap();
        Item::create(json!({"name": "a"})).await.unwrap();
        Item::all().await.unwrap();
    })
    .await;
    assert_eq!(
        mock.session_log(),
        [
            None,
            Some("first-primary".into()),
            Some("first-primary".into())
        ]
    );
    assert_eq!(orm.latest_bookmark().as_deref(), Some("bookmark-000001"));

    // The next request resumes from the bookmark the client sent back.
    let next = OrmServiceProvider::new(OrmConfig {
        use_session: true,
        ..OrmConfig::default()
    })
    .boot(&bindings)
    .unwrap();
    next.session().unwrap().resume_from("bookmark-000001");
    next.scope(Item::all()).await.unwrap();
    assert_eq!(
        mock.session_log().last().unwrap().as_deref(),
        Some("bookmark-000001")
    );
}

#[test]
fn resolver_follows_the_documented_pattern() {
    let resolver = TenantDatabaseResolver::new("DB_TENANT_{SLUG}", |name: &str| {
        (name == "DB_TENANT_ACME_CORP").then(|| name.to_string())
    });
    assert_eq!(
        resolver.resolve("acme-corp").as_deref(),
        Some("DB_TENANT_ACME_CORP")
    );
    assert_eq!(resolver.resolve("globex"), None);
    let default = TenantDatabaseResolver::new("", |_: &str| None::<()>);
    assert_eq!(default.binding_name("a-b-c"), "DB_TENANT_A_B_C");
    let custom = TenantDatabaseResolver::new("TENANT_{SLUG}_DB", |_: &str| None::<()>);
    assert_eq!(custom.binding_name("x"), "TENANT_X_DB");
}

#[test]
fn config_defaults_and_env_vars() {
    let config = OrmConfig::default();
    assert_eq!(config.tenant_strategy, TenantStrategy::Row);
    assert!(!config.use_session);
    assert_eq!(config.d1_binding, "DB");
    assert_eq!(config.tenant_binding_pattern, "DB_TENANT_{SLUG}");
    assert_eq!(OrmConfig::from_vars(|_| None).unwrap(), config);
    let vars = HashMap::from([
        ("DATABASE_TENANT_STRATEGY", "database"),
        ("DATABASE_USE_SESSION", "true"),
        ("DATABASE_D1_BINDING", "MAIN"),
        ("DATABASE_TENANT_BINDING_PATTERN", "T_{SLUG}"),
        ("DATABASE_STRICT_TENANT_BINDING", "1"),
        ("DATABASE_QUERY_BUDGET", "50"),
    ]);
    let config = OrmConfig::from_vars(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(
        config,
        OrmConfig {
            tenant_strategy: TenantStrategy::Database,
            use_session: true,
            d1_binding: "MAIN".into(),
            tenant_binding_pattern: "T_{SLUG}".into(),
            strict_tenant_binding: true,
            query_budget: Some(50),
        }
    );
    let bad = OrmConfig::from_vars(|k| (k == "DATABASE_TENANT_STRATEGY").then(|| "schema".into()));
    assert!(matches!(bad, Err(OrmError::InvalidConfig(_))));
    let bad = OrmConfig::from_vars(|k| (k == "DATABASE_USE_SESSION").then(|| "maybe".into()));
    assert!(matches!(bad, Err(OrmError::InvalidConfig(_))));
}

fn db_with_item(name: &str) -> SqliteExecutor {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(&format!(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('{name}');"
    ))
    .unwrap();
    db
}

async fn names(orm: &Orm) -> Vec<String> {
    orm.scope(Item::all())
        .await
        .unwrap()
        .iter()
        .map(|i| i.get_as::<String>("name").unwrap())
        .collect()
}

#[tokio::test]
async fn database_strategy_picks_the_tenants_binding() {
    let bindings = HashMap::from([
        ("DB".to_string(), db_with_item("shared")),
        ("DB_TENANT_ACME_CORP".to_string(), db_with_item("acme")),
    ]);
    let config = OrmConfig {
        tenant_strategy: TenantStrategy::Database,
        ..OrmConfig::default()
    };
    let provider = OrmServiceProvider::new(config.clone());

    let orm = provider.boot(&bindings).unwrap();
    assert_eq!(names(&orm).await, ["shared"]);
    orm.tenant().set(TenantContextData::new("1", "acme-corp"));
    provider.apply_tenant(&orm, &bindings).unwrap();
    assert_eq!(names(&orm).await, ["acme"]);

    // Missing binding: fall back to the shared one (with a warning) only when asked...
    let lenient = OrmServiceProvider::new(OrmConfig {
        strict_tenant_binding: false,
        ..config.clone()
    });
    let orm = lenient.boot(&bindings).unwrap();
    orm.tenant().set(TenantContextData::new("2", "globex"));
    lenient.apply_tenant(&orm, &bindings).unwrap();
    assert_eq!(names(&orm).await, ["shared"]);
    // ...else fail: strict is the default.
    assert!(OrmConfig::default().strict_tenant_binding);
    let strict = OrmServiceProvider::new(OrmConfig {
        strict_tenant_binding: true,
        ..config
    });
    let orm = strict.boot(&bindings).unwrap();
    orm.tenant().set(TenantContextData::new("2", "globex"));
    assert_eq!(
        strict.apply_tenant(&orm, &bindings).unwrap_err(),
        OrmError::TenantBindingNotFound {
            binding: "DB_TENANT_GLOBEX".into()
        }
    );
    // Row strategy never switches.
    let row = OrmServiceProvider::new(OrmConfig::default());
    let orm = row.boot(&bindings).unwrap();
    orm.tenant().set(TenantContextData::new("1", "acme-corp"));
    row.apply_tenant(&orm, &bindings).unwrap();
    assert_eq!(names(&orm).await, ["shared"]);
    // A missing shared binding is a config error.
    let empty: HashMap<String, SqliteExecutor> = HashMap::new();
    assert!(matches!(row.boot(&empty), Err(OrmError::InvalidConfig(_))));
}

#[tokio::test]
async fn middleware_switches_the_database_through_the_provider() {
    let bindings = HashMap::from([
        ("DB".to_string(), db_with_item("shared")),
        ("DB_TENANT_ACME_CORP".to_string(), db_with_item("acme")),
    ]);
    let provider = OrmServiceProvider::new(OrmConfig {
        tenant_strategy: TenantStrategy::Database,
        ..OrmConfig::default()
    });
    let orm = provider.boot(&bindings).unwrap();
    let (p, o, b) = (provider.clone(), orm.clone(), bindings.clone());
    let middleware = TenantScopeMiddleware::new(
        HeaderOrgResolver("x-org".into()),
        |slug: String| async move { Ok(Some(format!("id-{slug}"))) },
        orm.tenant().clone(),
    )
    .on_tenant(move |_| p.apply_tenant(&o, &b));
    let request = http::Request::builder()
        .header("x-org", "acme-corp")
        .body(())
        .unwrap();
    let seen = orm
        .scope(middleware.handle(request, |_| async {
            Item::all().await.unwrap()[0]
                .get_as::<String>("name")
                .unwrap()
        }))
        .await
        .unwrap();
    assert_eq!(seen, "acme");
}
