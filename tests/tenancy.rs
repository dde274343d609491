//! Tenant scoping on every path, per-model bypass, request isolation (embedded SQLite).
use futures::future::join;
use roost_orm::prelude::*;
use roost_orm::tenant::{TenantContextData, TenantScopeMiddleware};
use roost_orm::{MockExecutor, SqlValue, SqliteExecutor};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, title TEXT NOT NULL,
  created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
";

/// Tenant-scoped, soft-deletable.
struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
}

/// Not tenant-scoped.
struct Tag;
impl ModelDef for Tag {
    const TIMESTAMPS: bool = false;
}

/// Orgs "a" and "b" with 3 notes each ("a1".."a3", "b1".."b3") and 2 tags.
fn seeded() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    db.execute_batch(
        "INSERT INTO notes (org_id, title) VALUES ('a','a1'),('b','b1'),('a','a2'),('b','b2'),('a','a3'),('b','b3');
         INSERT INTO tags (name) VALUES ('x'), ('y');",
    )
    .unwrap();
    (Orm::new(db.clone()), db)
}

fn as_tenant(orm: &Orm, org: &str) {
    orm.tenant()
        .set(TenantContextData::new(org, format!("org-{org}")));
}

fn titles(rows: &[Instance<Note>]) -> Vec<String> {
    rows.iter()
        .map(|n| n.get_as::<String>("title").unwrap())
        .collect()
}

fn org_of(db: &SqliteExecutor, id: i64) -> Option<String> {
    db.with_connection(|c| {
        c.query_row("SELECT org_id FROM notes WHERE id = ?", [id], |r| r.get(0))
            .ok()
    })
}

#[tokio::test]
async fn every_read_path_is_scoped() {
    let (orm, _db) = seeded();
    as_tenant(&orm, "a");
    orm.scope(async {
        assert_eq!(titles(&Note::all().await.unwrap()), ["a1", "a2", "a3"]);
        assert!(Note::find(2).await.unwrap().is_none(), "b1 is id 2");
        assert!(Note::find_or_fail(2).await.is_err());
        assert!(Note::find(1).await.unwrap().is_some());
        assert_eq!(Note::query().count().await.unwrap(), 3);
        assert_eq!(Note::where_in("id", 1..=6).count().await.unwrap(), 3);
        // The original's leak: where(a).orWhere(b) returned other tenants' rows.
        let rows = Note::where_("title", "a1")
            .or_where("title", "b2")
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&rows), ["a1"]);
        let rows = Note::where_op("title", "like", "%1")
            .or_where_op("id", ">", 0)
            .all()
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        assert!(Note::where_("title", "b3").first().await.unwrap().is_none());
        let page = Note::query().paginate(1, 2).await.unwrap();
        assert_eq!((page.total, page.last_page), (3, 2));
        assert!(page
            .data
            .iter()
            .all(|n| n.get("org_id") == Some(&json!("a"))));
        assert_eq!(
            Note::query()
                .where_null("deleted_at")
                .count()
                .await
                .unwrap(),
            3
        );
        assert_eq!(Note::with_trashed().count().await.unwrap(), 3);
        // Unscoped models are untouched.
        assert_eq!(Tag::query().count().await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn no_tenant_means_unscoped() {
    let (orm, _db) = seeded();
    orm.scope(async {
        assert_eq!(Note::query().count().await.unwrap(), 6);
    })
    .await;
}

#[tokio::test]
async fn every_write_path_is_scoped() {
    let (orm, db) = seeded();
    // Load b's note while unscoped, then try to change it as tenant a.
    let mut b1 = orm.scope(Note::find_or_fail(2)).await.unwrap();
    as_tenant(&orm, "a");
    orm.scope(async {
        b1.set("title", "hijacked");
        assert!(matches!(
            b1.save().await,
            Err(OrmError::ModelNotFound { .. })
        ));
        assert!(matches!(
            b1.clone().delete().await,
            Err(OrmError::ModelNotFound { .. })
        ));
        assert!(matches!(
            b1.clone().force_delete().await,
            Err(OrmError::ModelNotFound { .. })
        ));
        assert!(b1.clone().refresh().await.is_err());

        // create stamps the tenant, overwriting a caller's value.
        let n = Note::create(json!({"title": "new", "org_id": "b"}))
            .await
            .unwrap();
        assert_eq!(n.get("org_id"), Some(&json!("a")));
        // Moving an own row to another tenant is not possible either.
        let mut a1 = Note::find_or_fail(1).await.unwrap();
        a1.set("org_id", "b");
        a1.set("title", "a1!");
        a1.save().await.unwrap();
        assert_eq!(a1.get("org_id"), Some(&json!("a")));
        // Own rows: delete, restore, force delete work.
        a1.delete().await.unwrap();
        a1.restore().await.unwrap();
        a1.force_delete().await.unwrap();
    })
    .await;
    let b_title: String = db.with_connection(|c| {
        c.query_row(
            "SELECT title FROM notes WHERE id = 2 AND deleted_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
    });
    assert_eq!(b_title, "b1");
    assert_eq!(org_of(&db, 7).as_deref(), Some("a"));
    assert_eq!(org_of(&db, 1), None, "a1 was force-deleted");
}

#[tokio::test]
async fn without_tenant_scope_bypasses_one_model_for_the_closure_only() {
    let (orm, _db) = seeded();
    as_tenant(&orm, "a");
    orm.scope(async {
        let all = Note::without_tenant_scope(Note::all).await.unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(
            Note::query().count().await.unwrap(),
            3,
            "restored after success"
        );
        let err: Result<u64> = Note::without_tenant_scope(|| async {
            Note::find_or_fail(999).await?;
            Ok(0)
        })
        .await;
        assert!(err.is_err());
        assert_eq!(
            Note::query().count().await.unwrap(),
            3,
            "restored after an error"
        );
        // Another model's bypass leaves Note scoped.
        let n = Tag::without_tenant_scope(|| Note::query().count())
            .await
            .unwrap();
        assert_eq!(n, 3);
        // Nested: the inner bypass ends with the inner closure, the outer one stays.
        let (inner, after_inner) = Tag::without_tenant_scope(|| async {
            let inner = Note::without_tenant_scope(|| Note::query().count())
                .await
                .unwrap();
            (inner, Note::query().count().await.unwrap())
        })
        .await;
        assert_eq!((inner, after_inner), (6, 3));
        let (inner, after_inner) = Note::without_tenant_scope(|| async {
            let inner = Note::without_tenant_scope(|| Note::query().count())
                .await
                .unwrap();
            (inner, Note::query().count().await.unwrap())
        })
        .await;
        assert_eq!((inner, after_inner), (6, 6));
        // Work running beside the bypass in the same request stays scoped.
        let (bypassed, beside) = join(
            Note::without_tenant_scope(|| async {
                tokio::task::yield_now().await;
                Note::query().count().await.unwrap()
            }),
            async {
                tokio::task::yield_now().await;
                Note::query().count().await.unwrap()
            },
        )
        .await;
        assert_eq!((bypassed, beside), (6, 3));
        // The context-wide bypass of the reference.
        let ctx = Orm::current().unwrap().tenant().clone();
        ctx.bypass();
        assert!(ctx.is_bypassed());
        assert_eq!(Note::query().count().await.unwrap(), 6);
        ctx.restore();
        assert_eq!(Note::query().count().await.unwrap(), 3);
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn interleaved_requests_with_different_tenants_stay_apart() {
    let (app, _db) = seeded();
    let req_a = app.new_request();
    let req_b = app.new_request();
    as_tenant(&req_a, "a");
    as_tenant(&req_b, "b");
    let run = |orm: Orm| {
        orm.clone().scope(async move {
            let mut seen = Vec::new();
            for _ in 0..5 {
                seen.extend(titles(&Note::all().await.unwrap()));
                Note::create(json!({"title": "x"})).await.unwrap();
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let (seen_a, seen_b) = join(run(req_a), run(req_b)).await;
    assert!(seen_a.iter().all(|t| t.starts_with('a') || t == "x"));
    assert!(seen_b.iter().all(|t| t.starts_with('b') || t == "x"));
    let counts = app
        .scope(async {
            let a = Note::where_("org_id", "a").count().await.unwrap();
            let b = Note::where_("org_id", "b").count().await.unwrap();
            (a, b)
        })
        .await;
    assert_eq!(counts, (8, 8));
}

#[tokio::test]
async fn middleware_to_model_query_is_scoped() {
    let (app, _db) = seeded();
    let orm = app.new_request();
    let middleware = TenantScopeMiddleware::new(
        roost_orm::tenant::HeaderOrgResolver("x-org".into()),
        |slug: String| async move {
            Ok(match slug.as_str() {
                "acme" => Some("a"),
                "globex" => Some("b"),
                _ => None,
            })
        },
        orm.tenant().clone(),
    );
    let request = http::Request::builder()
        .header("x-org", "globex")
        .body(())
        .unwrap();
    let seen = orm
        .scope(middleware.handle(request, |_req| async {
            titles(&Note::all().await.unwrap())
        }))
        .await
        .unwrap();
    assert_eq!(seen, ["b1", "b2", "b3"]);
    assert_eq!(orm.tenant().get().unwrap().org_slug, "globex");

    // Unknown slug: TenantNotResolved, the handler never runs.
    let other = app.new_request();
    let middleware = TenantScopeMiddleware::new(
        roost_orm::tenant::HeaderOrgResolver("x-org".into()),
        |_slug: String| async move { Ok(None::<String>) },
        other.tenant().clone(),
    );
    let request = http::Request::builder()
        .header("x-org", "initech")
        .body(())
        .unwrap();
    let mut ran = false;
    let err = other
        .scope(middleware.handle(request, |_| async { ran = true }))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        OrmError::TenantNotResolved {
            slug: "initech".into()
        }
    );
    assert!(!ran);

    // No slug at all: the handler runs unscoped, as documented.
    let request = http::Request::builder().body(()).unwrap();
    let count = other
        .scope(middleware.handle(request, |_| Note::query().count()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, 6);
}

#[tokio::test]
async fn the_tenant_condition_is_anded_outside_the_callers_group() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    as_tenant(&orm, "a");
    orm.scope(async {
        Note::where_("title", "x")
            .or_where("title", "y")
            .all()
            .await
            .unwrap();
    })
    .await;
    let s = mock.last().unwrap();
    assert_eq!(
        s.sql,
        "SELECT * FROM \"notes\" WHERE (\"notes\".\"title\" = ? OR \"notes\".\"title\" = ?) AND \"notes\".\"org_id\" = ? \
         AND \"notes\".\"deleted_at\" IS NULL"
    );
    assert_eq!(
        s.params,
        [
            SqlValue::Text("x".into()),
            SqlValue::Text("y".into()),
            SqlValue::Text("a".into())
        ]
    );
}

/// Tenant-scoped, no timestamps: a save whose only change is the tenant column has
/// nothing left to write once the stamp puts it back.
struct Plain;
impl ModelDef for Plain {
    const TABLE: Option<&'static str> = Some("notes");
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
}

#[tokio::test]
async fn a_save_changing_only_the_tenant_column_writes_nothing() {
    // Found by the tenant property (`push` of a remark claiming "evil"): the UPDATE had
    // no SET left and was a syntax error.
    let (orm, db) = seeded();
    as_tenant(&orm, "a");
    orm.scope(async {
        let mut note = Plain::find_or_fail(1).await.unwrap();
        note.set("org_id", "b");
        let before = orm.statements();
        note.save().await.unwrap();
        assert_eq!(orm.statements(), before, "nothing to write");
        let mut unit = orm.unit_of_work();
        note.set("org_id", "b");
        unit.save(&mut note).await.unwrap();
        assert_eq!(unit.statement_count(), 0);
        unit.commit().await.unwrap();
    })
    .await;
    assert_eq!(org_of(&db, 1).as_deref(), Some("a"));
}
