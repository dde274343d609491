//! `first_or_new`, `first_or_create`, `update_or_create` (Laravel's): found by the
//! lookup attributes within the scopes, else made or created from both argument maps.
mod common;

use common::{orm, raw_count, Post};
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::SqliteExecutor;
use serde_json::json;

fn trips() -> u64 {
    Orm::current().map(|o| o.round_trips()).unwrap_or(0)
}

#[tokio::test]
async fn first_or_create_creates_once_then_finds() {
    let (orm, db) = orm();
    orm.scope(async {
        let before = trips();
        let made = Post::first_or_create(json!({"title": "a"}), json!({"status": "live"}))
            .await
            .unwrap();
        assert_eq!(trips() - before, 2, "a lookup, then the insert");
        assert!(made.exists());
        assert_eq!(made.get("status"), Some(&json!("live")));
        let found = Post::first_or_create(json!({"title": "a"}), json!({"status": "other"}))
            .await
            .unwrap();
        assert_eq!(found.get("id"), made.get("id"));
        assert_eq!(
            found.get("status"),
            Some(&json!("live")),
            "values only on create"
        );
        assert_eq!(raw_count(&db, "posts"), 1);

        let new = Post::first_or_new(json!({"title": "b"}), json!({"status": "draft"}))
            .await
            .unwrap();
        assert!(!new.exists());
        assert_eq!(new.get("title"), Some(&json!("b")));
        assert_eq!(raw_count(&db, "posts"), 1, "first_or_new writes nothing");
        let old = Post::first_or_new(json!({"title": "a"}), json!({}))
            .await
            .unwrap();
        assert!(old.exists());
        // null looks up IS NULL.
        let by_null = Post::first_or_new(json!({"title": "a", "meta": null}), json!({}))
            .await
            .unwrap();
        assert!(by_null.exists());
    })
    .await;
}

#[tokio::test]
async fn update_or_create_saves_only_changes_or_creates() {
    let (orm, db) = orm();
    orm.scope(async {
        let first = Post::update_or_create(json!({"title": "a"}), json!({"views": 1}))
            .await
            .unwrap();
        assert!(first.exists());
        let updated = Post::update_or_create(json!({"title": "a"}), json!({"views": 5}))
            .await
            .unwrap();
        assert_eq!(updated.get("id"), first.get("id"));
        assert_eq!(updated.get("views"), Some(&json!(5)));
        assert!(updated.was_changed("views"));
        assert_eq!(raw_count(&db, "posts"), 1);
        // Nothing changed: the save sends nothing.
        let before = trips();
        Post::update_or_create(json!({"title": "a"}), json!({"views": 5}))
            .await
            .unwrap();
        assert_eq!(trips() - before, 1, "the lookup only");
        // Bad input: an error before anything is sent.
        let before = trips();
        assert!(matches!(
            Post::update_or_create(json!({"nope": 1}), json!({})).await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert!(matches!(
            Post::first_or_create(json!([1]), json!({})).await,
            Err(OrmError::InvalidAttributes(_))
        ));
        assert_eq!(trips(), before);
    })
    .await;
}

#[tokio::test]
async fn the_lookup_and_the_create_stay_in_the_tenant() {
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
        const TIMESTAMPS: bool = false;
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, slug TEXT);
         INSERT INTO notes (org_id, slug) VALUES ('b', 'x');",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.scope(async {
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("a", "a"));
        let note = Note::first_or_create(json!({"slug": "x"}), json!({"org_id": "b"}))
            .await
            .unwrap();
        assert_eq!(
            note.get("org_id"),
            Some(&json!("a")),
            "created in the tenant"
        );
        assert_ne!(note.get("id"), Some(&json!(1)), "b's row was not found");
    })
    .await;
    assert_eq!(raw_count(&db, "notes"), 2);
}
