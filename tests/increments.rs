//! Atomic increments (`SET "views" = "views" + ?`), on a record and on a query: the
//! database adds, so concurrent increments all count; the record takes the stored value
//! back and keeps its other changes; hooks fire on a record; scopes apply on a query;
//! bad input is an error with nothing sent.
mod common;

use common::{orm, Post};
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, SqlValue, SqliteExecutor};
use serde_json::json;

#[tokio::test]
async fn a_record_increments_in_the_database_and_takes_the_value_back() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::create(json!({"title": "a", "status": "draft", "views": 10}))
            .await
            .unwrap();
        let mut stale = Post::find_or_fail(1).await.unwrap();
        db.execute_batch("UPDATE posts SET updated_at = 'old'")
            .unwrap();

        // Two copies increment: the database adds both.
        post.increment("views", 5).await.unwrap();
        stale.increment("views", 1).await.unwrap();
        assert_eq!(post.get("views"), Some(&json!(15)));
        assert_eq!(stale.get("views"), Some(&json!(16)));
        assert!(stale.was_changed("views") && stale.was_changed("updated_at"));
        assert_ne!(stale.get("updated_at"), Some(&json!("old")));

        // An unsaved change elsewhere stays unsaved (and dirty).
        post.set("title", "changed");
        post.decrement("views", 2).await.unwrap();
        assert_eq!(
            post.get("views"),
            Some(&json!(14)),
            "16 in the database, minus 2"
        );
        assert!(post.is_dirty_key("title"));
        assert!(!post.is_dirty_key("views"));
        let stored = Post::find_or_fail(1).await.unwrap();
        assert_eq!(stored.get("title"), Some(&json!("a")));
        assert_eq!(stored.get("views"), Some(&json!(14)));
    })
    .await;
}

#[tokio::test]
async fn hooks_fire_and_can_abort() {
    struct Counter;
    impl ModelDef for Counter {
        const TIMESTAMPS: bool = false;
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, locked INTEGER);
        INSERT INTO counters (n, locked) VALUES (0, 0), (0, 1);",
    )
    .unwrap();
    Counter::on(HookEvent::Updating, |c: &mut Instance<Counter>| {
        c.get("locked") != Some(&json!(1))
    });
    let orm = Orm::new(db.clone());
    orm.scope(async {
        let mut open = Counter::find_or_fail(1).await.unwrap();
        open.increment("n", 1).await.unwrap();
        assert_eq!(open.get("n"), Some(&json!(1)));
        let mut locked = Counter::find_or_fail(2).await.unwrap();
        assert!(matches!(
            locked.increment("n", 1).await,
            Err(OrmError::HookAborted { .. })
        ));
        assert_eq!(
            Counter::find_or_fail(2).await.unwrap().get("n"),
            Some(&json!(0))
        );
        // Not stored: nothing to increment.
        let mut unsaved = Counter::make(json!({"id": 1, "n": 0})).unwrap();
        assert!(matches!(
            unsaved.increment("n", 1).await,
            Err(OrmError::ModelNotFound { .. })
        ));
    })
    .await;
    Counter::clear_hooks();
}

#[tokio::test]
async fn a_query_increments_its_rows_within_the_scopes() {
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
        const TIMESTAMPS: bool = false;
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, hits INTEGER NOT NULL);
         INSERT INTO notes (org_id, hits) VALUES ('a', 1), ('a', 2), ('b', 3);",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.scope(async {
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("a", "a"));
        assert_eq!(Note::query().increment("hits", 10).await.unwrap(), 2);
        assert_eq!(
            Note::where_("id", 2)
                .or_where("id", 3)
                .decrement("hits", 1)
                .await
                .unwrap(),
            1
        );
        assert!(matches!(
            Note::query().increment("org_id", 1).await,
            Err(OrmError::InvalidAttributes(_))
        ));
    })
    .await;
    let hits: Vec<i64> = db.with_connection(|c| {
        let mut stmt = c.prepare("SELECT hits FROM notes ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(hits, [11, 11, 3]);
}

#[tokio::test]
async fn the_sql_and_bad_amounts() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        assert!(matches!(
            Post::query().increment("views", "lots").await,
            Err(OrmError::InvalidAttributes(_))
        ));
        assert!(matches!(
            Post::query().increment("nope", 1).await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert!(matches!(
            Post::query().decrement("views", i64::MIN).await,
            Err(OrmError::ValueOutOfRange { .. })
        ));
        assert!(matches!(
            Post::query().increment("views", u64::MAX).await,
            Err(OrmError::ValueOutOfRange { .. })
        ));
        assert!(mock.statements().is_empty());
        Post::where_("status", "live")
            .increment("views", 2)
            .await
            .unwrap();
    })
    .await;
    let statement = mock.last().unwrap();
    // An integer increment carries the overflow guard: SQLite would silently turn an
    // overflowing INTEGER sum into a REAL; `abs(i64::MIN)` makes it an error instead.
    assert_eq!(
        statement.sql,
        "UPDATE \"posts\" SET \"views\" = CASE WHEN typeof(\"posts\".\"views\") = 'integer' \
         AND typeof(\"posts\".\"views\" + ?) = 'real' THEN abs(-9223372036854775808) \
         ELSE \"posts\".\"views\" + ? END, \"updated_at\" = ? \
         WHERE \"posts\".\"status\" = ? AND \"posts\".\"deleted_at\" IS NULL"
    );
    assert_eq!(statement.params[0], SqlValue::Integer(2));
    assert_eq!(statement.params[1], SqlValue::Integer(2));
    assert_eq!(statement.params[3], SqlValue::Text("live".into()));
}
