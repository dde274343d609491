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

/// Five posts: from the third row on, a struct whose names match columns one to one is
/// read by position; every other shape stays on names. Both must agree with `all()`.
async fn seed_five() -> Vec<Value> {
    seed().await;
    for title in ["d", "e"] {
        Post::create(json!({"title": title, "published": true, "views": 300}))
            .await
            .unwrap();
    }
    // Invalid UTF-8 in a stored text: replaced, as an attribute is.
    let orm = Orm::current().unwrap();
    orm.statement(
        "UPDATE posts SET title = CAST(x'ff61' AS TEXT) WHERE id = 4",
        &[],
    )
    .await
    .unwrap();
    let records = Post::query().order_by_asc("id").all().await.unwrap();
    records
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect()
}

#[tokio::test]
async fn reading_by_position_agrees_with_reading_by_name() {
    let (orm, _db) = orm();
    orm.scope(async {
        let records = seed_five().await;
        assert_eq!(records[3]["title"], json!("\u{fffd}a"));
        // Fields in another order than the columns, casts (bool, json) and nullables.
        #[derive(Debug, Deserialize, PartialEq)]
        struct Reordered {
            meta: Option<Value>,
            published: bool,
            author_id: Option<i64>,
            views: i64,
            title: String,
            id: i64,
            status: Option<String>,
        }
        let rows: Vec<Reordered> = Post::query().order_by_asc("id").all_as().await.unwrap();
        let expected: Vec<Reordered> = records
            .iter()
            .map(|r| serde_json::from_value(r.clone()).unwrap())
            .collect();
        assert_eq!(rows, expected);
        assert_eq!(rows[3].title, "\u{fffd}a");
        assert!(rows[4].published && rows[4].meta.is_none());

        // An alias adds a name without a field: read by name on every row.
        #[derive(Debug, Deserialize, PartialEq)]
        struct Aliased {
            #[serde(alias = "headline")]
            title: String,
            id: i64,
        }
        let rows: Vec<Aliased> = Post::query().order_by_asc("id").all_as().await.unwrap();
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(rows[4].title, "e");

        // A field no column has: its default, on every row.
        #[derive(Debug, Deserialize, PartialEq)]
        struct WithDefault {
            id: i64,
            #[serde(default)]
            extra: i64,
        }
        let rows: Vec<WithDefault> = Post::query().all_as().await.unwrap();
        assert!(rows.iter().all(|r| r.extra == 0) && rows.len() == 5);

        // Unknown columns refused: refused on the first row, whatever the plan.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            id: i64,
        }
        let err = Post::query().all_as::<Strict>().await.unwrap_err();
        assert!(matches!(err, OrmError::Decode { .. }), "{err:?}");
        let ids: Vec<Strict> = Post::query().select(["id"]).all_as().await.unwrap();
        assert_eq!(ids.len(), 5);

        // A value that doesn't fit on a row read by position: the column is named.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Small {
            id: i64,
            views: u8,
        }
        let err = Post::query()
            .order_by_asc("id")
            .all_as::<Small>()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OrmError::Decode { message, .. } if message.contains("column views")),
            "{err:?}"
        );

        // Tuples: columns in order, on every row.
        let tuples: Vec<(i64, Option<i64>, String)> = Post::query()
            .select(["id", "author_id", "title"])
            .order_by_asc("id")
            .all_as()
            .await
            .unwrap();
        assert_eq!(tuples.len(), 5);
        assert_eq!(tuples[4], (5, None, "e".to_string()));

        // A joined column named twice (`id`): refused by name, never read by position.
        let err = Post::query()
            .join::<User>("users.id", "=", "posts.author_id")
            .select(["posts.*", "users.id"])
            .all_as::<Reordered>()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, OrmError::Decode { message, .. } if message.contains("duplicate")),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn repeated_typed_reads_of_one_statement_and_of_several_stay_right() {
    let (orm, _db) = orm();
    orm.scope(async {
        let records = seed_five().await;
        #[derive(Debug, Deserialize, PartialEq)]
        struct Row {
            views: i64,
            title: String,
            id: i64,
        }
        let expect = |i: usize| -> Row { serde_json::from_value(records[i].clone()).unwrap() };
        // One-row reads, repeated: each gives what reading by name gives.
        for round in 0..3 {
            for id in 1..=5i64 {
                let row: Row = Post::find_as(id).await.unwrap().unwrap();
                assert_eq!(row, expect(id as usize - 1), "round {round}");
            }
        }
        // Another column list for the same type.
        for _ in 0..2 {
            let rows: Vec<Row> = Post::query()
                .select(["id", "title", "views"])
                .order_by_asc("id")
                .all_as()
                .await
                .unwrap();
            assert_eq!(rows, (0..5).map(expect).collect::<Vec<_>>());
        }
        // A type with a field no column has.
        #[derive(Debug, Deserialize, PartialEq)]
        struct Partial {
            id: i64,
            #[serde(default)]
            missing: Option<i64>,
        }
        for _ in 0..2 {
            let row: Partial = Post::find_as(2).await.unwrap().unwrap();
            assert_eq!(
                row,
                Partial {
                    id: 2,
                    missing: None
                }
            );
        }
    })
    .await;
}

/// The decoding plan and the casts are remembered per thread across reads: what a
/// later read decodes must still be what reading by name gives, for every shape.
#[tokio::test]
async fn plans_remembered_across_reads_stay_right_for_every_shape() {
    let (orm, _db) = orm();
    orm.scope(async {
        let records = seed_five().await;
        #[derive(Debug, Deserialize, PartialEq)]
        struct Exact {
            id: i64,
            title: String,
            published: bool,
            meta: Option<Value>,
        }
        #[derive(Debug, Deserialize, PartialEq)]
        struct Aliased {
            #[serde(alias = "headline")]
            title: String,
            id: i64,
        }
        let by_name = |i: usize| -> Exact { serde_json::from_value(records[i].clone()).unwrap() };
        // Interleaved one-row reads of two shapes over one statement text, many times:
        // the first shape moves to reading by position, the aliased one never does.
        for round in 0..4 {
            for id in 1..=5i64 {
                let exact: Exact = Post::find_as(id).await.unwrap().unwrap();
                assert_eq!(exact, by_name(id as usize - 1), "round {round}");
                let aliased: Aliased = Post::find_as(id).await.unwrap().unwrap();
                assert_eq!((aliased.id, aliased.title), (id, exact.title));
            }
        }
        // A row that fails to decode decides nothing: later rows still decode right.
        #[derive(Debug, Deserialize, PartialEq)]
        struct Views {
            id: i64,
            views: u8,
        }
        Post::where_("id", 1)
            .update(json!({"views": 1000}))
            .await
            .unwrap();
        for _ in 0..3 {
            let err = Post::find_as::<Views>(1).await.unwrap_err();
            assert!(
                matches!(&err, OrmError::Decode { message, .. } if message.contains("column views")),
                "{err:?}"
            );
            let ok: Views = Post::find_as(2).await.unwrap().unwrap();
            assert_eq!(ok, Views { id: 2, views: 0 });
        }
    })
    .await;
}

/// Two models over one table whose statements are the same text, with different
/// casts: the remembered casts and plans are each model's own.
#[tokio::test]
async fn remembered_casts_are_per_model() {
    struct Flag;
    impl ModelDef for Flag {
        const TABLE: Option<&'static str> = Some("flags");
        const TIMESTAMPS: bool = false;
        const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::boolean("enabled")];
    }
    struct RawFlag;
    impl ModelDef for RawFlag {
        const TABLE: Option<&'static str> = Some("flags");
        const TIMESTAMPS: bool = false;
        const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::integer("enabled")];
    }
    let (orm, db) = orm();
    db.execute_batch(
        "CREATE TABLE flags (id INTEGER PRIMARY KEY, enabled INTEGER NOT NULL);
         INSERT INTO flags (enabled) VALUES (1), (0);",
    )
    .unwrap();
    orm.scope(async {
        for _ in 0..3 {
            let cast: Vec<(i64, Value)> = Flag::query().all_as().await.unwrap();
            assert_eq!(cast, [(1, json!(true)), (2, json!(false))]);
            let raw: Vec<(i64, Value)> = RawFlag::query().all_as().await.unwrap();
            assert_eq!(raw, [(1, json!(1)), (2, json!(0))]);
            #[derive(Debug, Deserialize, PartialEq)]
            struct Row {
                id: i64,
                enabled: Value,
            }
            let cast: Option<Row> = Flag::find_as(2).await.unwrap();
            assert_eq!(cast.unwrap().enabled, json!(false));
            let raw: Option<Row> = RawFlag::find_as(2).await.unwrap();
            assert_eq!(raw.unwrap().enabled, json!(0));
        }
    })
    .await;
}
