//! A factory `create` of N rows is one statement (the rows as one JSON parameter read
//! with `json_each`), split only where D1's limits on one statement force it — on
//! embedded SQLite with D1's limits: what is stored is exactly what a one-row
//! `VALUES` insert stores, all or nothing, counted in statements and round trips.
mod common;

use std::sync::{Arc, Mutex};

use common::{orm, raw_count, Post};
use roost_orm::factory::MAX_JSON_PARAM_BYTES;
use roost_orm::prelude::*;
use roost_orm::{Executor, QueryResult, SqlValue, SqliteExecutor, Statement};
use serde_json::{json, Value};

struct PostFactory;
impl Factory for PostFactory {
    type Model = Post;
    fn definition(&self) -> impl IntoAttributes {
        json!({"title": "Test Post", "status": "published", "views": 0})
    }
}

/// A SQLite executor that records every statement it is sent.
#[derive(Clone)]
struct Recording {
    db: SqliteExecutor,
    sent: Arc<Mutex<Vec<Statement>>>,
}

impl Recording {
    fn new(db: &SqliteExecutor) -> Self {
        Recording {
            db: db.clone(),
            sent: Arc::default(),
        }
    }

    /// The byte size of each statement's JSON parameter (0 for other statements).
    fn json_sizes(&self) -> Vec<usize> {
        let sent = self.sent.lock().unwrap();
        sent.iter()
            .map(|s| match s.params.as_slice() {
                [SqlValue::Text(json)] if s.sql.contains("json_each(?)") => json.len(),
                _ => 0,
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Executor for Recording {
    async fn run(&self, statement: &Statement) -> roost_orm::Result<QueryResult> {
        self.sent.lock().unwrap().push(statement.clone());
        self.db.run(statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> roost_orm::Result<Vec<QueryResult>> {
        self.sent.lock().unwrap().extend_from_slice(statements);
        self.db.batch(statements).await
    }
}

#[tokio::test]
async fn a_thousand_rows_of_five_columns_are_one_statement() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    let posts = orm
        .scope(
            PostFactory
                .count(1000)
                .sequence_fn(|i| json!({"title": format!("p{i}"), "published": i % 2 == 0}))
                .create(),
        )
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1);
    assert_eq!(orm.statements(), 1);
    let sent = recording.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].params.len(), 1, "one JSON parameter");
    assert_eq!(raw_count(&db, "posts"), 1000);
    orm.scope(async {
        for (i, post) in posts.iter().enumerate() {
            assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
            assert_eq!(post.get("title"), Some(&json!(format!("p{i}"))));
            // Booleans went in as 0 / 1 and come back through the cast.
            assert_eq!(post.get("published"), Some(&json!(i % 2 == 0)));
            let created = post.get_as::<String>("created_at").unwrap();
            assert_eq!(created.len(), 24, "{created}");
            assert_eq!(post.get("updated_at"), Some(&json!(created)));
            assert!(!post.is_dirty());
        }
        let stored = Post::find_or_fail(737).await.unwrap();
        assert_eq!(stored.attributes, posts[736].attributes);
    })
    .await;
}

#[tokio::test]
async fn a_not_null_violation_in_row_500_writes_nothing() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(1000)
                .sequence_fn(|i| json!({"title": if i == 500 { Value::Null } else { json!(format!("p{i}")) }}))
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
    assert!(
        message.contains("none of its rows were written"),
        "{message}"
    );
    assert!(sql.contains("FROM json_each(?)"), "{sql}");
    assert_eq!(raw_count(&db, "posts"), 0);
    assert_eq!((orm.round_trips(), orm.statements()), (1, 1));
}

#[tokio::test]
async fn each_column_set_is_one_statement_and_keeps_its_defaults() {
    let (orm, _db) = orm();
    let sets = [
        json!({"title": "bare"}),
        json!({"title": "with status", "status": "published"}),
        json!({"title": "with views", "views": 7}),
    ];
    struct Bare;
    impl Factory for Bare {
        type Model = Post;
        fn definition(&self) -> impl IntoAttributes {
            json!({})
        }
    }
    let posts = orm
        .scope(Bare.count(300).sequence(sets).create())
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1, "one batch");
    assert_eq!(orm.statements(), 3, "one statement per column set");
    for (i, post) in posts.iter().enumerate() {
        let (status, views) = match i % 3 {
            0 => ("draft", 0), // both SQL defaults
            1 => ("published", 0),
            _ => ("draft", 7),
        };
        assert_eq!(post.get("status"), Some(&json!(status)), "row {i}");
        assert_eq!(post.get("views"), Some(&json!(views)), "row {i}");
    }
    // Sets are inserted in order of first appearance: row 1 follows all 100 of set 0.
    assert_eq!(posts[0].get("id"), Some(&json!(1)));
    assert_eq!(posts[1].get("id"), Some(&json!(101)));
    assert_eq!(posts[2].get("id"), Some(&json!(201)));
    assert_eq!(posts[3].get("id"), Some(&json!(2)));
}

/// 20,000 rows of about 150 bytes of JSON each: more than one statement's parameter
/// may hold, so the rows are cut into statements of at most `MAX_JSON_PARAM_BYTES`.
fn long_posts(bad_row: Option<usize>) -> impl Fn(usize) -> Value {
    move |i| {
        let title = format!("post number {i:05} with a title long enough to fill the JSON");
        json!({"title": if Some(i) == bad_row { Value::Null } else { json!(title) }})
    }
}

#[tokio::test]
async fn twenty_thousand_rows_split_by_size_in_one_batch() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    let posts = orm
        .scope(
            PostFactory
                .count(20_000)
                .sequence_fn(long_posts(None))
                .create(),
        )
        .await
        .unwrap();
    let sizes = recording.json_sizes();
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| n > 0 && n <= MAX_JSON_PARAM_BYTES),
        "{sizes:?}"
    );
    assert_eq!(orm.round_trips(), 1);
    assert_eq!(orm.statements(), sizes.len() as u64);
    assert_eq!(raw_count(&db, "posts"), 20_000);
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
        assert_eq!(post.get("title"), Some(&long_posts(None)(i)["title"]));
    }
}

#[tokio::test]
async fn a_bad_row_in_the_last_of_several_statements_writes_nothing() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(20_000)
                .sequence_fn(long_posts(Some(19_999)))
                .create(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("NOT NULL constraint failed"),
        "{err}"
    );
    assert_eq!(
        raw_count(&db, "posts"),
        0,
        "the earlier statements rolled back"
    );
    assert_eq!(orm.round_trips(), 1);
    assert!(orm.statements() >= 2);
}

#[tokio::test]
async fn rows_are_stamped_with_the_tenant_in_one_statement() {
    use roost_orm::tenant::TenantContextData;
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    }
    struct NoteFactory;
    impl Factory for NoteFactory {
        type Model = Note;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "n", "org_id": "other"})
        }
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, title TEXT NOT NULL, \
         created_at TEXT, updated_at TEXT)",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    let notes = orm.scope(NoteFactory.count(1000).create()).await.unwrap();
    assert_eq!(orm.statements(), 1);
    assert!(notes.iter().all(|n| n.get("org_id") == Some(&json!("a"))));
    let stamped: i64 = db.with_connection(|c| {
        c.query_row("SELECT COUNT(*) FROM notes WHERE org_id = 'a'", [], |r| {
            r.get(0)
        })
        .unwrap()
    });
    assert_eq!(stamped, 1000);
}

#[tokio::test]
async fn a_row_too_large_for_the_json_parameter_is_bound_as_itself() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    // 1.5 MB: within D1's 2,000,000-byte value limit, past the JSON parameter's.
    let big = "x".repeat(1_500_000);
    let rows = vec![
        json!({"title": "small 0"}),
        json!({"title": "small 1"}),
        json!({"title": big}),
        json!({"title": "small 3"}),
        json!({"title": "small 4"}),
    ];
    let posts = orm
        .scope(PostFactory.count(5).sequence(rows).create())
        .await
        .unwrap();
    let sent = recording.sent.lock().unwrap().clone();
    let shapes: Vec<bool> = sent.iter().map(|s| s.sql.contains("json_each")).collect();
    assert_eq!(
        shapes,
        [true, false, true],
        "JSON, the big row's VALUES, JSON"
    );
    assert_eq!(orm.round_trips(), 1);
    let ids: Vec<&Value> = posts.iter().map(|p| &p.attributes["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3), &json!(4), &json!(5)]);
    assert_eq!(posts[2].get("title"), Some(&json!(big)));
}
