//! Typed reads: rows decoded straight into the caller's types, scopes and casts applied.
mod common;

use common::{orm, Post, User};
use roost_orm::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct PostRow {
    id: i64,
    title: String,
    published: bool,
    meta: Option<Value>,
    author_id: Option<i64>,
}

async fn seed() {
    let ada = User::create(json!({"name": "Ada", "email": "ada@x", "admin": true}))
        .await
        .unwrap();
    for (i, title) in ["a", "b", "c"].iter().enumerate() {
        Post::create(json!({
            "title": title,
            "published": i % 2 == 0,
            "meta": {"n": i},
            "author_id": ada.get("id").cloned().unwrap(),
        }))
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn rows_decode_into_structs_with_casts_and_scopes() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        Post::where_("title", "c").delete().await.unwrap();
        let rows: Vec<PostRow> = Post::query().order_by_asc("id").all_as().await.unwrap();
        assert_eq!(rows.len(), 2, "the soft-deleted post is out of scope");
        assert_eq!(
            rows[0],
            PostRow {
                id: 1,
                title: "a".into(),
                published: true,
                meta: Some(json!({"n": 0})),
                author_id: Some(1),
            }
        );
        assert!(!rows[1].published, "boolean cast applied");
        // The same records through all(), serialized, agree with the typed rows.
        let records = Post::query().order_by_asc("id").all().await.unwrap();
        for (record, row) in records.iter().zip(&rows) {
            assert_eq!(record.get_as::<String>("title").unwrap(), row.title);
            assert_eq!(record.get("meta"), row.meta.as_ref());
        }
        // first_as / find_as (the cached find text) / tuples in column order.
        let first: Option<PostRow> = Post::where_("title", "b").first_as().await.unwrap();
        assert_eq!(first.unwrap().id, 2);
        let found: Option<PostRow> = Post::find_as(1).await.unwrap();
        assert_eq!(found.unwrap().title, "a");
        let missing: Option<PostRow> = Post::find_as(3).await.unwrap();
        assert!(missing.is_none(), "soft-deleted: not found");
        #[derive(Deserialize)]
        struct Name {
            name: String,
            admin: bool,
        }
        let users: Vec<Name> = User::query().all_as().await.unwrap();
        assert_eq!((users[0].name.as_str(), users[0].admin), ("Ada", true));
        let tuples: Vec<(i64, String)> = User::query().all_as().await.unwrap();
        assert_eq!(tuples[0], (1, "Ada".to_string()));
    })
    .await;
}

#[tokio::test]
async fn pages_of_structs_serialize_like_pages_of_records() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let page = Post::query()
            .order_by_desc("id")
            .paginate_as::<PostRow>(1, 2)
            .await
            .unwrap();
        assert_eq!((page.total, page.last_page, page.data.len()), (3, 2, 2));
        assert_eq!(page.data[0].id, 3);
        let body = serde_json::to_value(&page).unwrap();
        assert_eq!(body["perPage"], json!(2));
        assert_eq!(body["data"][1]["title"], json!("b"));
        let empty = Post::query().paginate_as::<PostRow>(5, 2).await.unwrap();
        assert!(empty.data.is_empty());
        assert_eq!(empty.total, 3);
    })
    .await;
}

#[tokio::test]
async fn decode_errors_and_relations_are_errors() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        #[derive(Debug, Deserialize)]
        struct Wrong {
            #[allow(dead_code)]
            title: i64,
        }
        let err = Post::query().all_as::<Wrong>().await.unwrap_err();
        assert!(
            matches!(&err, OrmError::Decode { message, .. } if message.contains("column title")),
            "{err:?}"
        );
        let sent = orm.statements();
        let err = Post::with(["author"])
            .all_as::<PostRow>()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        assert_eq!(orm.statements(), sent);
        // Bad input fails as on every read.
        assert!(matches!(
            Post::where_("nope", 1).all_as::<PostRow>().await,
            Err(OrmError::UnknownColumn { .. })
        ));
    })
    .await;
}
