//! Model statics and instance persistence on embedded SQLite.
mod common;

use common::{orm, raw_count, Post, PostComment, User};
use roost_orm::prelude::*;
use serde_json::json;

#[tokio::test]
async fn create_reads_back_ids_defaults_and_timestamps() {
    let (orm, _db) = orm();
    orm.scope(async {
        let user = User::create(json!({"name": "Ada", "email": "ada@example.com"}))
            .await
            .unwrap();
        assert!(user.exists());
        assert_eq!(user.get("id"), Some(&json!(1)));
        // Default from the schema, cast to a boolean.
        assert_eq!(user.get("admin"), Some(&json!(false)));
        let created = user.get_as::<String>("created_at").unwrap();
        assert_eq!(created.len(), 24);
        assert!(created.ends_with('Z'));
        assert_eq!(user.get("updated_at"), user.get("created_at"));
        assert!(!user.is_dirty());
        // Column order is the table's.
        let keys: Vec<&str> = user.attributes.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "name",
                "email",
                "admin",
                "settings",
                "created_at",
                "updated_at"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn find_all_and_find_or_fail() {
    let (orm, _db) = orm();
    orm.scope(async {
        for i in 0..3 {
            User::create(json!({"name": format!("u{i}"), "email": format!("u{i}@x")}))
                .await
                .unwrap();
        }
        let found = User::find(2).await.unwrap().unwrap();
        assert_eq!(found.get("name"), Some(&json!("u1")));
        assert!(User::find(99).await.unwrap().is_none());
        assert_eq!(User::all().await.unwrap().len(), 3);
        let err = User::find_or_fail(99).await.unwrap_err();
        assert_eq!(
            err,
            OrmError::ModelNotFound {
                model: "User",
                id: Some("99".into())
            }
        );
        assert_eq!(
            err.to_string(),
            "No query results for model [User] with key 99"
        );
        // A key given as text still finds the integer key (SQLite affinity).
        assert!(User::find("2").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn save_inserts_new_instances() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::make(json!({"title": "Draft"})).unwrap();
        post.set("views", 3);
        post.save().await.unwrap();
        assert!(post.exists());
        assert_eq!(post.get("id"), Some(&json!(1)));
        assert_eq!(post.get("status"), Some(&json!("draft")));
        assert_eq!(raw_count(&db, "posts"), 1);
    })
    .await;
}

#[tokio::test]
async fn save_updates_only_changed_columns_and_nothing_when_clean() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::create(json!({"title": "A", "views": 1}))
            .await
            .unwrap();
        let trips = Orm::current().unwrap().round_trips();
        post.save().await.unwrap();
        assert_eq!(
            Orm::current().unwrap().round_trips(),
            trips,
            "clean save sends nothing"
        );

        // Another writer changes `views` behind our back; our save of `title` must not
        // overwrite it (only changed columns are written).
        db.execute_batch("UPDATE posts SET views = 42 WHERE id = 1")
            .unwrap();
        post.set("title", "B");
        assert!(post.is_dirty());
        assert_eq!(post.get_original("title"), Some(&json!("A")));
        post.save().await.unwrap();
        assert_eq!(
            post.get("views"),
            Some(&json!(42)),
            "row read back after update"
        );
        assert!(post.was_changed("title"));
        assert!(!post.was_changed("views"));
        assert!(post.was_changed("updated_at"));
        let stored = Post::find(1).await.unwrap().unwrap();
        assert_eq!(stored.get("title"), Some(&json!("B")));
        assert_eq!(stored.get("views"), Some(&json!(42)));
    })
    .await;
}

#[tokio::test]
async fn casts_round_trip_booleans_and_json() {
    let (orm, db) = orm();
    orm.scope(async {
        let post = Post::create(json!({
            "title": "Cast",
            "published": true,
            "meta": {"tags": ["a", "b"], "n": 1}
        }))
        .await
        .unwrap();
        assert_eq!(post.get("published"), Some(&json!(true)));
        assert_eq!(post.get("meta"), Some(&json!({"tags": ["a", "b"], "n": 1})));
        let raw: (i64, String) = db.with_connection(|c| {
            c.query_row("SELECT published, meta FROM posts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        });
        assert_eq!(raw, (1, "{\"tags\":[\"a\",\"b\"],\"n\":1}".to_string()));
        let json = serde_json::to_value(&post).unwrap();
        assert_eq!(json["published"], json!(true));
        assert_eq!(json["meta"]["tags"][1], json!("b"));
        // A boolean in a where binds as 0/1.
        assert_eq!(Post::where_("published", true).count().await.unwrap(), 1);
        assert_eq!(Post::where_("published", false).count().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn unknown_columns_are_errors_and_nothing_is_written() {
    let (orm, db) = orm();
    orm.scope(async {
        let err = User::create(json!({"name": "x", "email": "x@x", "nope": 1}))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            OrmError::UnknownColumn {
                model: "User",
                column: "nope".into()
            }
        );
        assert_eq!(raw_count(&db, "users"), 0);
        let err = User::where_("nope", 1).all().await.unwrap_err();
        assert_eq!(
            err,
            OrmError::UnknownColumn {
                model: "User",
                column: "nope".into()
            }
        );
        let err = User::where_("name; DROP TABLE users", 1)
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidIdentifier(_)));
        let err = User::create(json!(["not", "an", "object"]))
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidAttributes(_)));
        // A model without a column list accepts any identifier, but the database still
        // rejects a column it lacks, with the SQL in the error.
        let err = PostComment::create(json!({"post_id": 1, "body": "x", "nope": 1}))
            .await
            .unwrap_err();
        match err {
            OrmError::Database { message, sql } => {
                assert!(message.contains("nope"), "{message}");
                assert!(sql.starts_with("INSERT INTO \"post_comments\""), "{sql}");
            }
            other => panic!("expected a database error, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn constraint_failures_are_database_errors() {
    let (orm, db) = orm();
    orm.scope(async {
        User::create(json!({"name": "a", "email": "same@x"}))
            .await
            .unwrap();
        let err = User::create(json!({"name": "b", "email": "same@x"}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OrmError::Database { message, .. } if message.contains("UNIQUE")),
            "{err}"
        );
        let err = User::create(json!({"email": "noname@x"}))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OrmError::Database { message, .. } if message.contains("NOT NULL")),
            "{err}"
        );
        assert_eq!(raw_count(&db, "users"), 1);
    })
    .await;
}

#[tokio::test]
async fn hard_delete_and_refresh() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut c = PostComment::create(json!({"post_id": 1, "body": "hi"}))
            .await
            .unwrap();
        assert_eq!(c.get("id"), Some(&json!(1)));
        db.execute_batch("UPDATE post_comments SET body = 'edited'")
            .unwrap();
        c.set("body", "unsaved");
        c.refresh().await.unwrap();
        assert_eq!(c.get("body"), Some(&json!("edited")));
        assert!(!c.is_dirty());
        c.delete().await.unwrap();
        assert!(!c.exists());
        assert_eq!(raw_count(&db, "post_comments"), 0);
        let mut ghost = PostComment::make(json!({"post_id": 1, "body": "never saved"})).unwrap();
        ghost.delete().await.unwrap(); // nothing to delete, nothing sent
        let err = c.refresh().await.unwrap_err();
        assert!(matches!(
            err,
            OrmError::ModelNotFound {
                model: "PostComment",
                ..
            }
        ));
    })
    .await;
}

#[tokio::test]
async fn update_of_a_vanished_row_is_model_not_found() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut user = User::create(json!({"name": "a", "email": "a@x"}))
            .await
            .unwrap();
        db.execute_batch("DELETE FROM users").unwrap();
        user.set("name", "b");
        let err = user.save().await.unwrap_err();
        assert!(
            matches!(err, OrmError::ModelNotFound { model: "User", .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn derived_table_names() {
    assert_eq!(PostComment::table_name(), "post_comments");
    assert_eq!(Post::table_name(), "posts");
    assert_eq!(User::table_name(), "users");
}

/// `attributes` is public: changes made through it directly (not `set`) are tracked
/// like any other, and an instance that is only read stays clean.
#[tokio::test]
async fn direct_mutation_of_attributes_is_tracked() {
    let (orm, _db) = orm();
    orm.scope(async {
        Post::create(json!({"title": "A", "status": "b"}))
            .await
            .unwrap();
        let mut post = Post::find(1).await.unwrap().unwrap();
        let _ = post.attributes.keys().count();
        assert!(!post.is_dirty(), "reading leaves the instance clean");

        post.attributes.insert("title".into(), json!("B"));
        if let Some(status) = post.attributes.get_mut("status") {
            *status = json!("c");
        }
        assert_eq!(post.get_original("title"), Some(&json!("A")));
        assert_eq!(post.get_original("status"), Some(&json!("b")));
        assert_eq!(
            post.get_dirty().keys().collect::<Vec<_>>(),
            ["title", "status"]
        );
        post.save().await.unwrap();
        assert!(!post.is_dirty());
        assert_eq!(post.get_original("title"), Some(&json!("B")));
        assert!(post.was_changed("title") && post.was_changed("status"));

        let stored = Post::find(1).await.unwrap().unwrap();
        assert_eq!(stored.attributes["title"], json!("B"));
        assert_eq!(stored.attributes["status"], json!("c"));
        assert_eq!(stored.attributes, post.attributes);
    })
    .await;
}
