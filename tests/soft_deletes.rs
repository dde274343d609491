//! Soft deletes: excluded by default on every read path; with_trashed, only_trashed,
//! restore, force_delete.
mod common;

use common::{orm, raw_count, Post, User};
use roost_orm::prelude::*;
use serde_json::json;

async fn three_posts_one_trashed() -> Instance<Post> {
    for t in ["a", "b", "c"] {
        Post::create(json!({"title": t})).await.unwrap();
    }
    let mut b = Post::find(2).await.unwrap().unwrap();
    b.delete().await.unwrap();
    b
}

#[tokio::test]
async fn delete_sets_deleted_at_and_hides_the_row_everywhere() {
    let (orm, db) = orm();
    orm.scope(async {
        let b = three_posts_one_trashed().await;
        assert!(b.exists());
        assert!(b.trashed());
        assert!(b.get("deleted_at").unwrap().is_string());
        assert_eq!(raw_count(&db, "posts"), 3, "row kept");
        assert!(Post::find(2).await.unwrap().is_none());
        assert!(Post::find_or_fail(2).await.is_err());
        assert_eq!(Post::all().await.unwrap().len(), 2);
        assert_eq!(Post::query().count().await.unwrap(), 2);
        assert!(Post::where_("title", "b").first().await.unwrap().is_none());
        assert_eq!(Post::where_in("id", [1, 2, 3]).count().await.unwrap(), 2);
        // or_where cannot reach around the scope.
        let rows = Post::where_("title", "a")
            .or_where("title", "b")
            .all()
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let page = Post::query().paginate(1, 10).await.unwrap();
        assert_eq!((page.total, page.data.len()), (2, 2));
    })
    .await;
}

#[tokio::test]
async fn with_trashed_and_only_trashed() {
    let (orm, _db) = orm();
    orm.scope(async {
        three_posts_one_trashed().await;
        assert_eq!(Post::with_trashed().count().await.unwrap(), 3);
        let trashed = Post::only_trashed().all().await.unwrap();
        assert_eq!(trashed.len(), 1);
        assert_eq!(trashed[0].get("title"), Some(&json!("b")));
        assert!(Post::with_trashed().find(2).await.unwrap().is_some());
        let err = User::only_trashed().all().await.unwrap_err();
        assert_eq!(err, OrmError::NotSoftDeletable { model: "User" });
    })
    .await;
}

#[tokio::test]
async fn restore_and_force_delete() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut b = three_posts_one_trashed().await;
        b.restore().await.unwrap();
        assert!(!b.trashed());
        assert_eq!(b.get("deleted_at"), Some(&json!(null)));
        assert_eq!(Post::all().await.unwrap().len(), 3);
        b.force_delete().await.unwrap();
        assert!(!b.exists());
        assert_eq!(raw_count(&db, "posts"), 2);
        let mut user = User::create(json!({"name": "a", "email": "a@x"}))
            .await
            .unwrap();
        assert_eq!(
            user.restore().await.unwrap_err(),
            OrmError::NotSoftDeletable { model: "User" }
        );
        // A model without soft deletes really deletes.
        user.delete().await.unwrap();
        assert_eq!(raw_count(&db, "users"), 0);
    })
    .await;
}

#[tokio::test]
async fn a_trashed_row_can_still_be_saved_and_refreshed() {
    let (orm, _db) = orm();
    orm.scope(async {
        let mut b = three_posts_one_trashed().await;
        b.set("title", "b2");
        b.save().await.unwrap();
        b.refresh().await.unwrap();
        assert_eq!(b.get("title"), Some(&json!("b2")));
        assert!(b.trashed());
    })
    .await;
}
