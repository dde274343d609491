//! Mass writes on a query (`update`, `delete`, `force_delete`): one statement, the
//! model's scopes (tenant, soft deletes) applied, casts and timestamps as on a save,
//! ORDER BY / LIMIT through a primary-key subquery, bad input rejected before anything
//! is sent.
mod common;

use common::{orm, raw_count, Post, PostComment};
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, SqlValue, SqliteExecutor, Statement};
use serde_json::json;

fn trips() -> u64 {
    Orm::current().map(|o| o.round_trips()).unwrap_or(0)
}

async fn seed_posts() {
    for (title, views) in [("a", 1), ("b", 5), ("c", 50), ("d", 500)] {
        Post::create(json!({"title": title, "status": "draft", "views": views}))
            .await
            .unwrap();
    }
}

fn statuses(posts: &[Instance<Post>]) -> Vec<(String, String)> {
    posts
        .iter()
        .map(|p| {
            (
                p.get_as::<String>("title").unwrap(),
                p.get_as::<String>("status").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn update_sets_matching_rows_in_one_statement() {
    let (orm, db) = orm();
    orm.scope(async {
        seed_posts().await;
        db.execute_batch("UPDATE posts SET updated_at = 'old'")
            .unwrap();
        let trips_before = trips();
        let changed = Post::where_op("views", "<", 10)
            .update(json!({"status": "archived", "published": true}))
            .await
            .unwrap();
        assert_eq!(changed, 2);
        assert_eq!(trips() - trips_before, 1);
        let posts = Post::query().order_by_asc("id").all().await.unwrap();
        assert_eq!(
            statuses(&posts),
            [
                ("a".into(), "archived".into()),
                ("b".into(), "archived".into()),
                ("c".into(), "draft".into()),
                ("d".into(), "draft".into())
            ]
        );
        assert_eq!(
            posts[0].get("published"),
            Some(&json!(true)),
            "boolean cast"
        );
        assert_ne!(
            posts[0].get("updated_at"),
            Some(&json!("old")),
            "updated_at touched"
        );
        assert_eq!(
            posts[2].get("updated_at"),
            Some(&json!("old")),
            "others untouched"
        );
        assert_eq!(posts[2].get("published"), Some(&json!(false)));
    })
    .await;
}

#[tokio::test]
async fn soft_deleted_rows_are_left_alone_unless_asked_for() {
    let (orm, db) = orm();
    orm.scope(async {
        seed_posts().await;
        Post::find_or_fail(1).await.unwrap().delete().await.unwrap();
        let changed = Post::query().update(json!({"status": "x"})).await.unwrap();
        assert_eq!(changed, 3);
        let changed = Post::only_trashed()
            .update(json!({"status": "gone"}))
            .await
            .unwrap();
        assert_eq!(changed, 1);

        // delete() on a soft-deleting model sets deleted_at; force_delete removes rows.
        assert_eq!(Post::where_op("views", ">", 10).delete().await.unwrap(), 2);
        assert_eq!(Post::query().count().await.unwrap(), 1);
        assert_eq!(raw_count(&db, "posts"), 4);
        assert_eq!(Post::only_trashed().force_delete().await.unwrap(), 3);
        assert_eq!(raw_count(&db, "posts"), 1);
        // On a model without soft deletes, delete() removes the rows.
        for body in ["x", "y"] {
            PostComment::create(json!({"post_id": 2, "body": body}))
                .await
                .unwrap();
        }
        assert_eq!(PostComment::where_("body", "x").delete().await.unwrap(), 1);
        assert_eq!(raw_count(&db, "post_comments"), 1);
    })
    .await;
}

#[tokio::test]
async fn order_and_limit_pick_the_rows_through_the_key() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts().await;
        let changed = Post::query()
            .order_by_desc("views")
            .limit(2)
            .update(json!({"status": "top"}))
            .await
            .unwrap();
        assert_eq!(changed, 2);
        let top: Vec<String> = Post::where_("status", "top")
            .order_by_asc("id")
            .all()
            .await
            .unwrap()
            .iter()
            .map(|p| p.get_as::<String>("title").unwrap())
            .collect();
        assert_eq!(top, ["c", "d"]);
        assert_eq!(
            Post::query()
                .order_by_asc("id")
                .offset(1)
                .limit(1)
                .force_delete()
                .await
                .unwrap(),
            1
        );
        assert!(Post::find(2).await.unwrap().is_none());
    })
    .await;
}

struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const TIMESTAMPS: bool = false;
}

#[tokio::test]
async fn a_tenant_writes_only_its_own_rows() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, body TEXT);
         INSERT INTO notes (org_id, body) VALUES ('a', 'x'), ('a', 'y'), ('b', 'x'), ('b', 'y');",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.scope(async {
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("a", "a"));
        // An OR can't widen the scope; the tenant column can't be moved.
        let changed = Note::where_("body", "x")
            .or_where("body", "y")
            .update(json!({"body": "z", "org_id": "b"}))
            .await
            .unwrap();
        assert_eq!(changed, 2);
        assert_eq!(Note::query().force_delete().await.unwrap(), 2);
    })
    .await;
    let rows: Vec<(String, String)> = db.with_connection(|c| {
        let mut stmt = c
            .prepare("SELECT org_id, body FROM notes ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(rows, [("b".into(), "x".into()), ("b".into(), "y".into())]);
}

#[tokio::test]
async fn the_sql_and_bad_input() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        // Bad names and builder errors: nothing is sent.
        assert!(matches!(
            Post::query().update(json!({"nope": 1})).await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert!(matches!(
            Post::where_op("views", "~", 1).delete().await,
            Err(OrmError::InvalidOperator(_))
        ));
        assert!(matches!(
            Post::query().update(json!([1, 2])).await,
            Err(OrmError::InvalidAttributes(_))
        ));
        assert!(mock.statements().is_empty());

        PostComment::where_("a", 1)
            .or_where("b", 2)
            .update(json!({"body": "z"}))
            .await
            .unwrap();
        Post::where_("status", "draft")
            .order_by_desc("id")
            .limit(3)
            .force_delete()
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        mock.statements(),
        [
            Statement::new(
                "UPDATE \"post_comments\" SET \"body\" = ? WHERE \"post_comments\".\"a\" = ? OR \"post_comments\".\"b\" = ?",
                vec![
                    SqlValue::Text("z".into()),
                    SqlValue::Integer(1),
                    SqlValue::Integer(2)
                ]
            ),
            Statement::new(
                "DELETE FROM \"posts\" WHERE \"posts\".\"id\" IN (SELECT \"posts\".\"id\" FROM \"posts\" WHERE \"posts\".\"status\" = ? AND \"posts\".\"deleted_at\" IS NULL ORDER BY \"posts\".\"id\" DESC LIMIT ?)",
                vec![SqlValue::Text("draft".into()), SqlValue::Integer(3)]
            ),
        ]
    );
}
