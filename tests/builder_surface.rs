//! The rest of Eloquent's builder on the real engine: columns, aggregates and single
//! values, more conditions, ordering, grouping and simple pages.
mod common;

use common::{orm, Post, User};
use roost_orm::prelude::*;
use roost_orm::query::Aggregate;
use serde_json::{json, Value};

/// Seven posts: views 0..=60 by tens, status alternating, one soft-deleted, dates in
/// 2026 spread over months.
async fn seed() {
    User::create(json!({"name": "Ada", "email": "ada@x"}))
        .await
        .unwrap();
    for i in 0..7i64 {
        Post::create(json!({
            "title": format!("Post {i}"),
            "status": if i % 2 == 0 { "draft" } else { "live" },
            "views": i * 10,
            "published": i % 3 == 0,
            "meta": {"i": i},
            "author_id": if i < 4 { Some(1) } else { None },
            "created_at": format!("2026-{:02}-15T10:{:02}:00.000Z", i + 1, i),
        }))
        .await
        .unwrap();
    }
    Post::where_("title", "Post 6").delete().await.unwrap();
}

fn ids(rows: &[Instance<Post>]) -> Vec<i64> {
    rows.iter()
        .map(|r| r.get_as::<i64>("id").unwrap())
        .collect()
}

#[tokio::test]
async fn columns_and_partial_records() {
    let (orm, db) = orm();
    orm.scope(async {
        seed().await;
        let rows = Post::query()
            .select(["id", "title"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        assert_eq!(
            rows[0].attributes.keys().collect::<Vec<_>>(),
            ["id", "title"]
        );
        let more = Post::query()
            .select(["id"])
            .add_select(["views"])
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(more.attributes.keys().collect::<Vec<_>>(), ["id", "views"]);
        // Saving a partial record writes only what changed: the rest stays.
        let mut partial = rows.into_iter().nth(1).unwrap();
        partial.set("title", "Renamed");
        partial.save().await.unwrap();
        let stored = Post::find_or_fail(2).await.unwrap();
        assert_eq!(stored.get("title"), Some(&json!("Renamed")));
        assert_eq!(stored.get("views"), Some(&json!(10)));
        assert_eq!(stored.get("meta"), Some(&json!({"i": 1})));
        let statuses: Vec<String> = Post::query()
            .select(["status"])
            .distinct()
            .order_by_asc("status")
            .pluck("status")
            .await
            .unwrap();
        assert_eq!(statuses, ["draft", "live"]);
        assert_eq!(
            Post::query()
                .select(["status"])
                .distinct()
                .count()
                .await
                .unwrap(),
            2
        );
        // Unknown columns fail before SQL.
        let sent = orm.statements();
        assert!(matches!(
            Post::query().select(["nope"]).all().await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert_eq!(orm.statements(), sent);
        let _ = db;
    })
    .await;
}

#[tokio::test]
async fn aggregates_and_single_values() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let live = || Post::where_("status", "live");
        assert_eq!(Post::query().sum::<i64>("views").await.unwrap(), Some(150));
        assert_eq!(live().sum::<i64>("views").await.unwrap(), Some(90));
        assert_eq!(live().avg::<f64>("views").await.unwrap(), Some(30.0));
        assert_eq!(Post::query().min::<i64>("views").await.unwrap(), Some(0));
        assert_eq!(Post::query().max::<i64>("views").await.unwrap(), Some(50));
        // The cast applies to min/max: a boolean column reads as a boolean.
        assert_eq!(
            Post::query().max::<bool>("published").await.unwrap(),
            Some(true)
        );
        // Empty sets are None; limit/order don't change an aggregate.
        let none = || Post::where_("status", "none");
        assert_eq!(none().sum::<i64>("views").await.unwrap(), None);
        assert_eq!(none().max::<i64>("views").await.unwrap(), None);
        assert_eq!(
            Post::query().limit(1).sum::<i64>("views").await.unwrap(),
            Some(150)
        );
        assert_eq!(Post::query().count_column("author_id").await.unwrap(), 4);
        assert!(live().exists().await.unwrap());
        assert!(none().doesnt_exist().await.unwrap());
        assert!(
            !Post::where_("title", "Post 6").exists().await.unwrap(),
            "soft-deleted"
        );
        let authors: Vec<Option<i64>> = Post::query()
            .order_by_asc("id")
            .pluck("author_id")
            .await
            .unwrap();
        assert_eq!(
            authors,
            [Some(1), Some(1), Some(1), Some(1), None, None],
            "NULLs kept"
        );
        assert!(matches!(
            Post::query().pluck::<i64>("author_id").await,
            Err(OrmError::Decode { .. })
        ));
        let views: Vec<i64> = live().order_by_desc("views").pluck("views").await.unwrap();
        assert_eq!(views, [50, 30, 10]);
        let metas: Vec<Value> = live().order_by_asc("id").pluck("meta").await.unwrap();
        assert_eq!(metas[0], json!({"i": 1}), "pluck applies casts");
        let by_id: indexmap::IndexMap<i64, String> = live()
            .order_by_asc("id")
            .pluck_keyed("title", "id")
            .await
            .unwrap();
        assert_eq!(by_id.get(&2).map(String::as_str), Some("Post 1"));
        assert_eq!(by_id.len(), 3);
        let title: Option<String> = live().order_by_desc("id").value("title").await.unwrap();
        assert_eq!(title.as_deref(), Some("Post 5"));
        assert_eq!(
            ids(&Post::query().find_many([1, 3, 7, 99]).await.unwrap()),
            [1, 3]
        );
        assert!(matches!(
            Post::query().find_many([json!([1])]).await,
            Err(OrmError::InvalidKey { .. })
        ));
        assert_eq!(
            Post::where_("views", 20).sole().await.unwrap().get("title"),
            Some(&json!("Post 2"))
        );
        assert!(matches!(
            live().sole().await,
            Err(OrmError::MultipleRecordsFound { model: "Post" })
        ));
        assert!(matches!(
            none().sole().await,
            Err(OrmError::ModelNotFound { .. })
        ));
        let first = Post::query()
            .first_where("views", 40)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.get("title"), Some(&json!("Post 4")));
        // A grouped aggregate is refused rather than answered for one group.
        assert!(matches!(
            Post::query().group_by(["status"]).sum::<i64>("views").await,
            Err(OrmError::InvalidQuery(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn more_conditions() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let q = || Post::query().order_by_asc("id");
        let got = |rows: Result<Vec<Instance<Post>>>| ids(&rows.unwrap());
        assert_eq!(
            got(q().where_between("views", [10, 30]).all().await),
            [2, 3, 4]
        );
        assert_eq!(
            got(q().where_not_between("views", [10, 40]).all().await),
            [1, 6]
        );
        assert_eq!(
            got(q()
                .where_("views", 0)
                .or_where_between("views", [45, 60])
                .all()
                .await),
            [1, 6]
        );
        assert_eq!(got(q().where_column("id", ">", "views").all().await), [1]);
        assert_eq!(
            got(q().where_not(|w| w.where_("status", "draft")).all().await),
            [2, 4, 6]
        );
        assert_eq!(
            got(q().where_like("title", "post 1%", false).all().await),
            [2]
        );
        assert!(got(q().where_like("title", "post 1%", true).all().await).is_empty());
        assert_eq!(
            got(q().where_like("title", "Post _", true).all().await).len(),
            6
        );
        assert_eq!(
            got(q().where_not_like("title", "%5", false).all().await).len(),
            5
        );
        assert_eq!(
            got(q().where_year("created_at", "=", 2026).all().await).len(),
            6
        );
        assert_eq!(got(q().where_month("created_at", "=", 3).all().await), [3]);
        assert_eq!(
            got(q().where_month("created_at", ">=", 5).all().await),
            [5, 6]
        );
        assert_eq!(
            got(q().where_day("created_at", "=", 15).all().await).len(),
            6
        );
        assert_eq!(
            got(q().where_date("created_at", "<", "2026-03-01").all().await),
            [1, 2]
        );
        assert_eq!(
            got(q().where_time("created_at", "=", "10:02:00").all().await),
            [3]
        );
        assert_eq!(
            got(q()
                .where_any(&["title", "status"], "like", "%4%")
                .all()
                .await),
            [5]
        );
        assert_eq!(
            got(q().where_all(&["views", "id"], ">", 4).all().await),
            [5, 6]
        );
        assert_eq!(
            got(q().where_none(&["views", "id"], ">", 2).all().await),
            [1]
        );
        let filter: Option<&str> = std::hint::black_box(Some("live"));
        assert_eq!(
            got(q()
                .when(filter.is_some(), |q| q
                    .where_("status", filter.unwrap_or_default()))
                .all()
                .await),
            [2, 4, 6]
        );
        assert_eq!(
            got(q().unless(true, |q| q.where_("id", 1)).all().await).len(),
            6
        );
        assert_eq!(
            got(q().where_("id", 1).or_where_in("id", [5, 6]).all().await),
            [1, 5, 6]
        );
        assert_eq!(
            got(q().where_("id", 1).or_where_null("author_id").all().await),
            [1, 5, 6]
        );
        // Scopes stay outside the caller's OR group: the soft-deleted post 7 never shows.
        assert!(!got(q().where_("id", 1).or_where_not_null("id").all().await).contains(&7));
        // Bad input: an error before SQL.
        let sent = orm.statements();
        for bad in [
            q().where_column("id", "==", "views").all().await,
            q().where_between("nope", [1, 2]).all().await,
            q().where_month("created_at", "=", json!([5])).all().await,
            q().where_any(&[], "=", 1).all().await,
            q().where_not(|w| w.where_("nope", 1)).all().await,
        ] {
            assert!(bad.is_err());
        }
        assert_eq!(orm.statements(), sent);
    })
    .await;
}

#[tokio::test]
async fn ordering_grouping_and_simple_pages() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed().await;
        let first = |q: QueryBuilder<Post>| async move {
            q.first()
                .await
                .unwrap()
                .unwrap()
                .get_as::<i64>("id")
                .unwrap()
        };
        assert_eq!(first(Post::query().latest()).await, 6);
        assert_eq!(first(Post::query().oldest()).await, 1);
        assert_eq!(first(Post::query().latest_by("views")).await, 6);
        assert_eq!(first(Post::query().order_by_desc("id").reorder()).await, 1);
        assert_eq!(
            first(Post::query().order_by_desc("id").reorder_by("views", "asc")).await,
            1
        );
        assert_eq!(
            Post::query().in_random_order().all().await.unwrap().len(),
            6
        );

        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Group {
            status: String,
            total: i64,
            views: i64,
        }
        let groups: Vec<Group> = Post::query()
            .select(["status"])
            .select_count("total")
            .select_sum("views", "views")
            .group_by(["status"])
            .order_by("total", "desc")
            .order_by("status", "asc")
            .all_as()
            .await
            .unwrap();
        assert_eq!(
            groups,
            [
                Group {
                    status: "draft".into(),
                    total: 3,
                    views: 60
                },
                Group {
                    status: "live".into(),
                    total: 3,
                    views: 90
                },
            ]
        );
        let big: Vec<Group> = Post::query()
            .select(["status"])
            .select_count("total")
            .select_aggregate(Aggregate::Sum, "views", "views")
            .group_by(["status"])
            .having("views", ">", 70)
            .all_as()
            .await
            .unwrap();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].status, "live");
        let between = Post::query()
            .select(["status"])
            .select_count("total")
            .group_by(["status"])
            .having_between("total", [3, 3])
            .or_having("status", "=", "x")
            .count()
            .await
            .unwrap();
        assert_eq!(between, 2, "count() of a grouped query counts groups");
        // A grouped page: the page is groups, the total is the number of groups.
        let page = Post::query()
            .select(["status"])
            .select_count("total")
            .group_by(["status"])
            .order_by("status", "asc")
            .paginate_as::<serde_json::Map<String, Value>>(1, 1)
            .await
            .unwrap();
        assert_eq!((page.total, page.data.len()), (2, 1));
        // An unknown alias in having is a column name, checked like any other.
        assert!(matches!(
            Post::query()
                .group_by(["status"])
                .having("nope", ">", 1)
                .all()
                .await,
            Err(OrmError::UnknownColumn { .. })
        ));

        let page = Post::query()
            .order_by_asc("id")
            .simple_paginate(2, 4)
            .await
            .unwrap();
        assert_eq!((page.data.len(), page.has_more_pages), (2, false));
        let page = Post::query()
            .order_by_asc("id")
            .simple_paginate(1, 4)
            .await
            .unwrap();
        assert_eq!((page.data.len(), page.has_more_pages), (4, true));
        let body = serde_json::to_value(&page).unwrap();
        assert_eq!(body["hasMorePages"], json!(true));
        assert_eq!(body["perPage"], json!(4));
        let typed = Post::query()
            .order_by_asc("id")
            .simple_paginate_as::<serde_json::Map<String, Value>>(3, 3)
            .await
            .unwrap();
        assert!(typed.data.is_empty() && !typed.has_more_pages);
        let sent = orm.statements();
        assert!(Post::query().simple_paginate(0, 5).await.is_err());
        assert_eq!(orm.statements(), sent);
        let users = User::where_("id", 99).simple_paginate(1, 5).await.unwrap();
        assert!(users.data.is_empty());
    })
    .await;
}
