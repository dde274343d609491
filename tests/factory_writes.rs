//! Factory writes on embedded SQLite: ids and timestamps, hooks, atomicity, round trips
//! and statement sizes, tenancy. Hook tests use model types private to this file: the
//! hook registry is process-wide.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{orm, raw_count, Post};
use roost_orm::factory::MAX_BOUND_PARAMS;
use roost_orm::prelude::*;
use roost_orm::{Executor, QueryResult, SqliteExecutor, Statement};
use serde_json::{json, Value};

/// The TS reference's `PostFactory`, on the shared `Post` model.
struct PostFactory;
impl Factory for PostFactory {
    type Model = Post;
    fn definition(&self) -> impl IntoAttributes {
        json!({"title": "Test Post", "status": "published", "views": 0})
    }
}

fn draft(mut a: Attributes) -> Attributes {
    a.insert("status".into(), json!("draft"));
    a
}

#[tokio::test]
async fn create_persists_with_ids_defaults_and_timestamps() {
    let (orm, db) = orm();
    orm.scope(async {
        let drafts = PostFactory.count(3).state(draft).create().await.unwrap();
        assert_eq!(drafts.len(), 3);
        for (i, post) in drafts.iter().enumerate() {
            assert!(post.exists());
            assert!(!post.is_dirty());
            assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
            assert_eq!(post.get("status"), Some(&json!("draft")));
            // SQL default, read back and cast.
            assert_eq!(post.get("published"), Some(&json!(false)));
            let created = post.get_as::<String>("created_at").unwrap();
            assert_eq!(created.len(), 24);
            assert_eq!(post.get("updated_at"), post.get("created_at"));
        }
        let one = PostFactory.count(9).create_one().await.unwrap();
        assert_eq!(one.get("id"), Some(&json!(4)));
        let stored = Post::find_or_fail(2).await.unwrap();
        assert_eq!(stored.attributes, drafts[1].attributes);
        assert_eq!(raw_count(&db, "posts"), 4);
        // The documented trait form: TS `factory.createOne()`.
        let two = PostFactory.create().await.unwrap();
        assert_eq!(two.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_builder_can_be_run_again() {
    let (orm, db) = orm();
    orm.scope(async {
        let builder = PostFactory.count(2).state(draft);
        let a = builder.create().await.unwrap();
        let b = builder.create().await.unwrap();
        assert_eq!(a[1].get("id"), Some(&json!(2)));
        assert_eq!(b[1].get("id"), Some(&json!(4)));
        assert_eq!(raw_count(&db, "posts"), 4);
    })
    .await;
}

#[tokio::test]
async fn create_outside_a_scope_is_orm_not_booted() {
    assert_eq!(
        PostFactory.create_one().await.unwrap_err(),
        OrmError::OrmNotBooted {
            model: Some("Post")
        }
    );
}

#[tokio::test]
async fn count_zero_sends_nothing() {
    let (orm, _db) = orm();
    orm.scope(async {
        assert!(PostFactory.count(0).create().await.unwrap().is_empty());
    })
    .await;
    assert_eq!(orm.round_trips(), 0);
}

#[tokio::test]
async fn unknown_columns_fail_before_anything_is_sent() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(3)
                .state_attrs(json!({"nope": 1}))
                .create(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::UnknownColumn { ref column, .. } if column == "nope"));
    assert_eq!(orm.round_trips(), 0);
    assert_eq!(raw_count(&db, "posts"), 0);
}

#[tokio::test]
async fn creating_hooks_fire_per_row_and_their_changes_are_written() {
    struct HookedPost;
    impl ModelDef for HookedPost {
        const TABLE: Option<&'static str> = Some("posts");
    }
    struct HookedPostFactory;
    impl Factory for HookedPostFactory {
        type Model = HookedPost;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "t"})
        }
    }
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    HookedPost::on(HookEvent::Creating, move |p: &mut Instance<HookedPost>| {
        let title = p.attributes["title"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        l.lock().unwrap().push(format!("creating {title}"));
        p.set("status", format!("hooked {title}"));
    });
    let l = log.clone();
    HookedPost::on(HookEvent::Created, move |p: &mut Instance<HookedPost>| {
        l.lock()
            .unwrap()
            .push(format!("created {}", p.attributes["id"]));
    });
    let (orm, _db) = orm();
    orm.scope(async {
        let posts = HookedPostFactory
            .count(3)
            .sequence_fn(|i| json!({"title": format!("p{i}")}))
            .create()
            .await
            .unwrap();
        assert_eq!(posts[2].get("status"), Some(&json!("hooked p2")));
        let stored = HookedPost::find_or_fail(3).await.unwrap();
        assert_eq!(stored.get("status"), Some(&json!("hooked p2")));
    })
    .await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "creating p0",
            "creating p1",
            "creating p2",
            "created 1",
            "created 2",
            "created 3"
        ]
    );
    HookedPost::clear_hooks();
}

#[tokio::test]
async fn a_false_creating_hook_aborts_the_whole_batch() {
    struct GuardedPost;
    impl ModelDef for GuardedPost {
        const TABLE: Option<&'static str> = Some("posts");
    }
    struct GuardedFactory;
    impl Factory for GuardedFactory {
        type Model = GuardedPost;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "ok"})
        }
    }
    GuardedPost::on(HookEvent::Creating, |p: &mut Instance<GuardedPost>| {
        p.get("title") != Some(&json!("forbidden"))
    });
    let (orm, db) = orm();
    let err = orm
        .scope(
            GuardedFactory
                .count(10)
                .sequence_fn(|i| json!({"title": if i == 6 { "forbidden" } else { "ok" }}))
                .create(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            OrmError::HookAborted {
                model: "GuardedPost",
                event: HookEvent::Creating,
                hook: 1
            }
        ),
        "{err:?}"
    );
    assert_eq!(raw_count(&db, "posts"), 0);
    assert_eq!(orm.round_trips(), 0, "aborted before anything was sent");
    GuardedPost::clear_hooks();
}

#[tokio::test]
async fn one_bad_row_in_500_leaves_nothing_written() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(500)
                .sequence_fn(|i| json!({"title": if i == 437 { Value::Null } else { json!(format!("p{i}")) }}))
                .create(),
        )
        .await
        .unwrap_err();
    let OrmError::Database { message, sql } = &err else {
        panic!("expected a database error, got {err:?}");
    };
    assert!(
        message.contains("NOT NULL constraint failed: posts.title"),
        "{message}"
    );
    assert!(sql.starts_with("INSERT INTO \"posts\""), "{sql}");
    assert!(
        message.ends_with(
            "(factory for [Post]: the batch was rolled back, none of its rows were written)"
        ),
        "{message}"
    );
    assert!(err.to_string().contains("NOT NULL constraint failed"));
    assert_eq!(raw_count(&db, "posts"), 0, "the batch rolled back");
    assert_eq!(orm.round_trips(), 1);
}

/// A SQLite executor that records the parameter count of every statement it runs.
#[derive(Clone)]
struct Recording {
    db: SqliteExecutor,
    params: Arc<Mutex<Vec<usize>>>,
}

#[async_trait::async_trait]
impl Executor for Recording {
    async fn run(&self, statement: &Statement) -> roost_orm::Result<QueryResult> {
        self.params.lock().unwrap().push(statement.params.len());
        self.db.run(statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> roost_orm::Result<Vec<QueryResult>> {
        self.params
            .lock()
            .unwrap()
            .extend(statements.iter().map(|s| s.params.len()));
        self.db.batch(statements).await
    }
}

#[tokio::test]
async fn a_thousand_rows_are_one_round_trip_and_one_statement() {
    let (_, db) = orm();
    let recording = Recording {
        db: db.clone(),
        params: Arc::default(),
    };
    let orm = Orm::new(recording.clone());
    let posts = orm
        .scope(
            PostFactory
                .count(1000)
                .sequence_fn(|i| json!({"title": format!("p{i}")}))
                .create(),
        )
        .await
        .unwrap();
    // title, status, views, created_at, updated_at: 5,000 values in one statement of
    // one bound parameter (D1 binds at most 100), one of D1's per-invocation queries.
    assert_eq!(orm.round_trips(), 1);
    assert_eq!(orm.statements(), 1);
    let params = recording.params.lock().unwrap().clone();
    assert_eq!(params, [1]);
    assert!(params[0] < MAX_BOUND_PARAMS);
    assert_eq!(raw_count(&db, "posts"), 1000);
    // Each instance got its own row back.
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
        assert_eq!(post.get("title"), Some(&json!(format!("p{i}"))));
    }
}

/// Rows with different attribute names go in different statements (each keeps its SQL
/// defaults), still in one round trip, and still map back to the right rows.
#[tokio::test]
async fn rows_with_different_columns_keep_their_defaults() {
    struct Alternating(AtomicUsize);
    impl Factory for Alternating {
        type Model = Post;
        fn definition(&self) -> impl IntoAttributes {
            let i = self.0.fetch_add(1, Ordering::Relaxed);
            if i % 2 == 0 {
                json!({"title": format!("even {i}")})
            } else {
                json!({"title": format!("odd {i}"), "status": "published", "views": i})
            }
        }
    }
    let (orm, _db) = orm();
    orm.scope(async {
        let posts = Alternating(AtomicUsize::new(0))
            .count(6)
            .create()
            .await
            .unwrap();
        for (i, post) in posts.iter().enumerate() {
            let stored = Post::find_or_fail(post.attributes["id"].clone())
                .await
                .unwrap();
            assert_eq!(stored.attributes, post.attributes);
            if i % 2 == 0 {
                assert_eq!(post.get("title"), Some(&json!(format!("even {i}"))));
                assert_eq!(post.get("status"), Some(&json!("draft")), "SQL default");
                assert_eq!(post.get("views"), Some(&json!(0)), "SQL default");
            } else {
                assert_eq!(post.get("views"), Some(&json!(i)));
            }
        }
        // Groups are inserted in order of first appearance: evens, then odds.
        let ids: Vec<_> = posts.iter().map(|p| p.attributes["id"].clone()).collect();
        assert_eq!(ids, [1, 4, 2, 5, 3, 6]);
    })
    .await;
    assert_eq!(orm.round_trips(), 1 + 6);
    assert_eq!(orm.statements(), 2 + 6);
}

#[tokio::test]
async fn factory_rows_are_stamped_with_the_current_tenant() {
    use roost_orm::tenant::TenantContextData;
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
        const TIMESTAMPS: bool = false;
    }
    struct NoteFactory;
    impl Factory for NoteFactory {
        type Model = Note;
        fn definition(&self) -> impl IntoAttributes {
            // A caller-supplied tenant is overwritten, as with `Model::create`.
            json!({"title": "n", "org_id": "other"})
        }
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, title TEXT NOT NULL)",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    let notes = orm.scope(NoteFactory.count(3).create()).await.unwrap();
    assert!(notes.iter().all(|n| n.get("org_id") == Some(&json!("a"))));
    let stored: i64 = db.with_connection(|c| {
        c.query_row("SELECT COUNT(*) FROM notes WHERE org_id = 'a'", [], |r| {
            r.get(0)
        })
        .unwrap()
    });
    assert_eq!(stored, 3);
}
