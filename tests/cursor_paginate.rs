//! `cursor_paginate` on the real engine: forward and backward walks over mixed-direction
//! orders with duplicate values, one statement per page, scopes (soft deletes, tenant)
//! kept with any cursor, bad cursors refused before any SQL, rows written between
//! reads neither skipped nor repeated. The exact SQL and the cursor fuzz are in
//! `cursor_paginate_sql.rs`.
mod common;
mod cursor_common;

use std::collections::HashSet;

use common::{orm, Post, User};
use cursor_common::{craft, ids, seed};
use roost_orm::prelude::*;
use roost_orm::query::{Cursor, CursorPage};
use roost_orm::tenant::TenantContextData;
use roost_orm::SqliteExecutor;
use serde::Deserialize;
use serde_json::{json, Value};

/// Walk `query` forward to the end, then back to the start with the previous cursors:
/// every page one statement, the forward pages in order make `expected` (each row
/// once), and the backward walk returns the same pages.
async fn walk(orm: &Orm, query: impl Fn() -> QueryBuilder<Post>, per_page: u64, expected: &[i64]) {
    let mut pages: Vec<CursorPage<Instance<Post>>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let before = orm.statements();
        let page = query()
            .cursor_paginate(per_page, cursor.as_deref())
            .await
            .unwrap();
        assert_eq!(orm.statements() - before, 1, "one statement per page");
        assert_eq!(page.on_first_page(), pages.is_empty());
        cursor = page.next_cursor.clone();
        let last = cursor.is_none();
        assert_eq!(page.has_more_pages(), !last);
        if !last {
            assert_eq!(page.data.len() as u64, per_page);
        }
        pages.push(page);
        if last {
            break;
        }
        assert!(pages.len() < 100, "the walk doesn't end");
    }
    let seen: Vec<i64> = pages.iter().flat_map(|p| ids(&p.data)).collect();
    assert_eq!(seen, expected, "forward walk");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "every row once"
    );

    // Backward from the last page: the same pages, in reverse.
    let mut index = pages.len() - 1;
    let mut prev = pages[index].prev_cursor.clone();
    while let Some(cursor) = prev {
        index -= 1;
        let before = orm.statements();
        let page = query()
            .cursor_paginate(per_page, Some(&cursor))
            .await
            .unwrap();
        assert_eq!(orm.statements() - before, 1);
        assert_eq!(
            ids(&page.data),
            ids(&pages[index].data),
            "page {index} backward"
        );
        assert_eq!(page.on_first_page(), index == 0);
        // Forward again from a page reached backward.
        let next = query()
            .cursor_paginate(per_page, page.next_cursor.as_deref())
            .await
            .unwrap();
        assert_eq!(ids(&next.data), ids(&pages[index + 1].data));
        prev = page.prev_cursor;
    }
    assert_eq!(index, 0, "the backward walk reaches the first page");
}

#[tokio::test]
async fn walks_forward_and_back_over_mixed_directions() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        // Soft-deleted rows are not on any page.
        Post::where_in("id", [2, 9, 16]).delete().await.unwrap();

        // views DESC (duplicates), status ASC (duplicates), then the key as tiebreaker.
        let query = || Post::query().order_by_desc("views").order_by_asc("status");
        let expected = ids(&query().order_by_asc("id").all().await.unwrap());
        assert_eq!(expected.len(), 20);
        assert!(!expected.iter().any(|id| [2, 9, 16].contains(id)));
        for per_page in [1, 3, 5, 20, 50] {
            walk(&orm, query, per_page, &expected).await;
        }

        // A boolean column ascending, the key descending (given, so not appended).
        let query = || Post::query().order_by_asc("published").order_by_desc("id");
        let expected = ids(&query().all().await.unwrap());
        walk(&orm, query, 4, &expected).await;

        // No order: the key ascending; the caller's OR stays inside its group.
        let query = || Post::where_("status", "a").or_where("views", 3);
        let mut expected = ids(&query().all().await.unwrap());
        expected.sort();
        walk(&orm, query, 2, &expected).await;
    })
    .await;
}

#[tokio::test]
async fn typed_pages_carry_the_same_cursors() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Title {
        title: String,
    }
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let query = || Post::query().order_by_desc("views");
        let records = query().cursor_paginate(4, None).await.unwrap();
        let typed = query().cursor_paginate_as::<Title>(4, None).await.unwrap();
        assert_eq!(typed.next_cursor, records.next_cursor);
        assert_eq!(typed.data.len(), 4);
        let next = records.next_cursor.as_deref();
        let records = query().cursor_paginate(4, next).await.unwrap();
        let typed = query().cursor_paginate_as::<Title>(4, next).await.unwrap();
        assert_eq!(
            (&typed.next_cursor, &typed.prev_cursor),
            (&records.next_cursor, &records.prev_cursor)
        );
        let titles: Vec<String> = records
            .data
            .iter()
            .map(|r| r.get_as("title").unwrap())
            .collect();
        assert_eq!(
            typed.data.into_iter().map(|t| t.title).collect::<Vec<_>>(),
            titles
        );

        // The page's JSON, and what its cursor says.
        let body = serde_json::to_value(&records).unwrap();
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data", "perPage", "nextCursor", "prevCursor"]);
        let cursor = Cursor::decode(records.next_cursor.as_deref().unwrap()).unwrap();
        assert!(cursor.points_to_next_items());
        let last = records.data.last().unwrap();
        assert_eq!(cursor.parameter("views"), last.get("views"));
        assert_eq!(cursor.parameter("id"), last.get("id"));
        // The last page.
        let end = Post::query()
            .order_by_asc("id")
            .cursor_paginate(30, None)
            .await
            .unwrap();
        assert_eq!(
            (end.data.len(), end.next_cursor, end.prev_cursor),
            (23, None, None)
        );
        let body = serde_json::to_value(
            Post::where_("status", "none")
                .cursor_paginate(5, None)
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            body,
            json!({"data": [], "perPage": 5, "nextCursor": null, "prevCursor": null})
        );
    })
    .await;
}

#[tokio::test]
async fn rows_written_between_reads_are_neither_skipped_nor_repeated() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let query = || Post::query().order_by_desc("views").order_by_asc("id");
        let before: Vec<i64> = ids(&query().all().await.unwrap());
        let first = query().cursor_paginate(5, None).await.unwrap();
        let mut seen = ids(&first.data);
        // After the first page: one row that sorts before the cursor (never shown),
        // one that sorts after it (shown once), and a page-1 row deleted.
        let ahead = Post::create(json!({"title": "ahead", "views": 9}))
            .await
            .unwrap();
        let behind = Post::create(json!({"title": "behind", "views": 0}))
            .await
            .unwrap();
        Post::where_("id", seen[0]).delete().await.unwrap();
        let mut cursor = first.next_cursor;
        while let Some(c) = cursor {
            let page = query().cursor_paginate(5, Some(&c)).await.unwrap();
            seen.extend(ids(&page.data));
            cursor = page.next_cursor;
        }
        let behind_id: i64 = behind.get_as("id").unwrap();
        let ahead_id: i64 = ahead.get_as("id").unwrap();
        let mut expected = before.clone();
        // `behind` has the lowest views and the highest key: last.
        expected.push(behind_id);
        assert_eq!(seen, expected);
        assert!(!seen.contains(&ahead_id));
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let query = || Post::query().order_by_desc("views");
        let page = query().cursor_paginate(3, None).await.unwrap();
        let good = page.next_cursor.unwrap();
        // The cursor of another order: other direction, other columns.
        let asc = Post::query()
            .order_by_asc("views")
            .cursor_paginate(3, None)
            .await
            .unwrap()
            .next_cursor
            .unwrap();
        let by_key = Post::query()
            .cursor_paginate(3, None)
            .await
            .unwrap()
            .next_cursor
            .unwrap();
        let crafted = |keys: Value| craft(json!({"next": true, "keys": keys}));
        let bad_cursors = [
            "garbage!".to_string(),
            "eyJuZXh0Ijp0cnVl".to_string(), // `{"next":true`, cut short
            good[..good.len() - 4].to_string(),
            format!("{good}x"),
            asc,
            by_key,
            // The right columns, values of the wrong shape.
            crafted(json!([["views", "desc", "many"], ["id", "asc", 3]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", "3"]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", 1.5]])),
            crafted(json!([["views", "desc", true], ["id", "asc", 3]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", null]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", [3]]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", 1e300]])),
            crafted(json!([["views", "desc", 1], ["id", "asc", u64::MAX]])),
            // Columns missing, extra, renamed or reordered.
            crafted(json!([["views", "desc", 1]])),
            crafted(json!([
                ["views", "desc", 1],
                ["id", "asc", 3],
                ["title", "asc", "x"]
            ])),
            crafted(json!([["views", "desc", 1], ["ID", "asc", 3]])),
            crafted(json!([["id", "asc", 3], ["views", "desc", 1]])),
            craft(
                json!({"next": true, "keys": [["views", "desc", 1], ["id", "asc", 3]], "page": 2}),
            ),
        ];
        let sent = orm.statements();
        for bad in &bad_cursors {
            let result = query().cursor_paginate(3, Some(bad)).await;
            assert!(
                matches!(result, Err(OrmError::InvalidCursor(_))),
                "{bad}: {result:?}"
            );
            let typed = query()
                .cursor_paginate_as::<serde_json::Map<String, Value>>(3, Some(bad))
                .await;
            assert!(matches!(typed, Err(OrmError::InvalidCursor(_))), "{bad}");
        }
        assert!(matches!(
            query().cursor_paginate(0, None).await,
            Err(OrmError::InvalidPagination { per_page: 0, .. })
        ));
        assert!(matches!(
            query().cursor_paginate(0, Some(&good)).await,
            Err(OrmError::InvalidPagination { .. })
        ));
        for unkeyable in [
            Post::query().in_random_order(),
            Post::query().order_by_raw("length(title)", &[]),
            Post::query().order_by_asc("views").in_random_order(),
            Post::query().order_by_asc("meta"),
            Post::query().group_by(["status"]),
            // The select leaves out an order column, or the key.
            Post::query().select(["title"]).order_by_asc("title"),
            Post::query().select(["id", "title"]).order_by_desc("views"),
        ] {
            let result = unkeyable.cursor_paginate(3, Some(&good)).await;
            assert!(
                matches!(result, Err(OrmError::InvalidQuery(_))),
                "{result:?}"
            );
        }
        assert!(Post::query()
            .order_by_asc("nope")
            .cursor_paginate(3, None)
            .await
            .is_err());
        assert_eq!(orm.statements(), sent, "nothing was sent");

        // A select with the order columns and the key pages.
        let page = Post::query()
            .select(["id", "views"])
            .order_by_desc("views")
            .cursor_paginate(3, Some(&good))
            .await
            .unwrap();
        assert_eq!(page.data.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn nulls_in_an_order_column_are_refused() {
    let (orm, _db) = orm();
    orm.scope(async {
        for name in ["ann", "bob"] {
            User::create(json!({"name": name, "email": format!("{name}@x.test")}))
                .await
                .unwrap();
        }
        for author in [None, None, Some(1), Some(2)] {
            Post::create(json!({"title": "t", "author_id": author}))
                .await
                .unwrap();
        }
        // NULLs sort first: the first page's last row holds NULL.
        let result = Post::query()
            .order_by_asc("author_id")
            .cursor_paginate(2, None)
            .await;
        assert!(
            matches!(&result, Err(OrmError::InvalidQuery(m)) if m.contains("NULL")),
            "{result:?}"
        );
        // Filtered out, the walk works.
        let page = Post::query()
            .where_not_null("author_id")
            .order_by_asc("author_id")
            .cursor_paginate(1, None)
            .await
            .unwrap();
        let page = Post::query()
            .where_not_null("author_id")
            .order_by_asc("author_id")
            .cursor_paginate(1, page.next_cursor.as_deref())
            .await
            .unwrap();
        assert_eq!(page.data[0].get("author_id"), Some(&json!(2)));
        assert!(page.next_cursor.is_none());
    })
    .await;
}

/// Tenant-scoped, soft-deletable.
struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
}

#[tokio::test]
async fn a_cursor_never_crosses_tenants() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
           title TEXT NOT NULL, created_at TEXT, updated_at TEXT, deleted_at TEXT);
         INSERT INTO notes (org_id, title) VALUES
           ('a','a1'),('b','b1'),('a','a2'),('b','b2'),('a','a3'),('b','b3'),('b','b4');",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    let as_tenant = |org: &str| {
        orm.tenant()
            .set(TenantContextData::new(org, format!("org-{org}")))
    };
    let titles = |rows: &[Instance<Note>]| -> Vec<String> {
        rows.iter()
            .map(|n| n.get_as::<String>("title").unwrap())
            .collect()
    };
    // Tenant b's cursors: a real one (at b1, id 2) and a crafted one at b's last row.
    as_tenant("b");
    let b_cursor = orm
        .scope(async { Note::query().cursor_paginate(1, None).await })
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    as_tenant("a");
    orm.scope(async {
        let page = Note::query()
            .cursor_paginate(5, Some(&b_cursor))
            .await
            .unwrap();
        assert_eq!(titles(&page.data), ["a2", "a3"]);
        for next in [true, false] {
            for id in [0, 2, 4, 7, 100] {
                let crafted = craft(json!({"next": next, "keys": [["id", "asc", id]]}));
                let page = Note::query()
                    .cursor_paginate(10, Some(&crafted))
                    .await
                    .unwrap();
                assert!(
                    titles(&page.data).iter().all(|t| t.starts_with('a')),
                    "{next} {id}"
                );
                // An OR in the caller's conditions doesn't widen the scope either.
                let page = Note::where_("title", "b2")
                    .or_where_op("id", ">", 0)
                    .cursor_paginate(10, Some(&crafted))
                    .await
                    .unwrap();
                assert!(titles(&page.data).iter().all(|t| t.starts_with('a')));
            }
        }
        Note::where_("title", "a2").delete().await.unwrap();
        let page = Note::query()
            .order_by_desc("title")
            .cursor_paginate(10, None)
            .await
            .unwrap();
        assert_eq!(titles(&page.data), ["a3", "a1"]);
    })
    .await;
}
