//! QueryBuilder behaviour on embedded SQLite.
mod common;

use common::{orm, Post, User};
use roost_orm::prelude::*;
use serde_json::json;

async fn seed_posts(n: i64) {
    for i in 1..=2 {
        User::create(json!({"name": format!("u{i}"), "email": format!("u{i}@x")}))
            .await
            .unwrap();
    }
    for i in 1..=n {
        Post::create(json!({
            "title": format!("post {i}"),
            "views": i * 10,
            "status": if i % 2 == 0 { "published" } else { "draft" },
            "author_id": if i % 3 == 0 { json!(null) } else { json!(i % 3) },
        }))
        .await
        .unwrap();
    }
}

fn titles(rows: &[Instance<Post>]) -> Vec<String> {
    rows.iter()
        .map(|p| p.get_as::<String>("title").unwrap())
        .collect()
}

#[tokio::test]
async fn operators() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(6).await;
        let count = |op: &'static str, v: i64| async move {
            Post::where_op("views", op, v).count().await.unwrap()
        };
        assert_eq!(count("=", 30).await, 1);
        assert_eq!(count("!=", 30).await, 5);
        assert_eq!(count(">", 30).await, 3);
        assert_eq!(count("<", 30).await, 2);
        assert_eq!(count(">=", 30).await, 4);
        assert_eq!(count("<=", 30).await, 3);
        assert_eq!(
            Post::where_op("title", "like", "post 1%")
                .count()
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            Post::where_op("title", Operator::Like, "POST%")
                .count()
                .await
                .unwrap(),
            6
        );
        let err = Post::where_op("views", "=>", 1).all().await.unwrap_err();
        assert_eq!(err, OrmError::InvalidOperator("=>".into()));
    })
    .await;
}

#[tokio::test]
async fn or_where_groups_the_callers_conditions() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(6).await;
        let rows = Post::where_("status", "draft")
            .where_op("views", ">", 20)
            .or_where("title", "post 2")
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        // (draft AND views > 20) OR title = 'post 2', as SQL precedence reads it.
        assert_eq!(titles(&rows), ["post 2", "post 3", "post 5"]);
    })
    .await;
}

#[tokio::test]
async fn where_in_handles_empty_and_long_lists() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(6).await;
        assert_eq!(
            Post::where_in("id", Vec::<i64>::new())
                .count()
                .await
                .unwrap(),
            0
        );
        assert_eq!(Post::where_in("id", [2, 4, 99]).count().await.unwrap(), 2);
        // Far beyond D1's 100 bound parameters: still one parameter.
        let ids: Vec<i64> = (1..=5000).collect();
        let q = Post::where_in("id", ids.clone());
        assert_eq!(q.to_statement().unwrap().params.len(), 1);
        assert_eq!(q.count().await.unwrap(), 6);
        assert_eq!(
            Post::where_in("title", ["post 1", "post 6"])
                .count()
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            Post::query()
                .where_not_in("id", [1, 2])
                .count()
                .await
                .unwrap(),
            4
        );
    })
    .await;
}

#[tokio::test]
async fn null_checks() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(6).await;
        assert_eq!(
            Post::query().where_null("author_id").count().await.unwrap(),
            2
        );
        assert_eq!(
            Post::query()
                .where_not_null("author_id")
                .count()
                .await
                .unwrap(),
            4
        );
    })
    .await;
}

#[tokio::test]
async fn ordering_limit_offset() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(6).await;
        let rows = Post::query()
            .order_by("status", "desc")
            .order_by("views", "asc")
            .all()
            .await
            .unwrap();
        assert_eq!(
            titles(&rows),
            ["post 2", "post 4", "post 6", "post 1", "post 3", "post 5"]
        );
        let rows = Post::query()
            .order_by_desc("id")
            .limit(2)
            .offset(1)
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&rows), ["post 5", "post 4"]);
        let rows = Post::query()
            .order_by_asc("id")
            .offset(4)
            .all()
            .await
            .unwrap();
        assert_eq!(titles(&rows), ["post 5", "post 6"]);
        // count ignores limit/offset, as Laravel's and the original's do: it counts
        // every matching row (6 posts here).
        assert_eq!(Post::query().limit(4).offset(3).count().await.unwrap(), 6);
        assert_eq!(Post::query().limit(1).count().await.unwrap(), 6);
        let err = Post::query()
            .order_by("id", "sideways")
            .all()
            .await
            .unwrap_err();
        assert_eq!(err, OrmError::InvalidDirection("sideways".into()));
        let err = Post::query()
            .order_by("nope", "asc")
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }));
    })
    .await;
}

#[tokio::test]
async fn first_and_first_or_fail() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(3).await;
        let p = Post::query()
            .order_by_desc("views")
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.get("title"), Some(&json!("post 3")));
        assert!(Post::where_("title", "zzz")
            .first()
            .await
            .unwrap()
            .is_none());
        let err = Post::where_("title", "zzz")
            .first_or_fail()
            .await
            .unwrap_err();
        assert_eq!(
            err,
            OrmError::ModelNotFound {
                model: "Post",
                id: None
            }
        );
        assert_eq!(err.to_string(), "No query results for model [Post]");
    })
    .await;
}

#[tokio::test]
async fn paginate_reports_metadata() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(7).await;
        let page = Post::query()
            .order_by_asc("id")
            .paginate(2, 3)
            .await
            .unwrap();
        assert_eq!(titles(&page.data), ["post 4", "post 5", "post 6"]);
        assert_eq!(
            (page.total, page.per_page, page.current_page, page.last_page),
            (7, 3, 2, 3)
        );
        assert!(page.data[0].get("__roost_total").is_none());
        let last = Post::query()
            .order_by_asc("id")
            .paginate(3, 3)
            .await
            .unwrap();
        assert_eq!(titles(&last.data), ["post 7"]);
        let beyond = Post::query().paginate(9, 3).await.unwrap();
        assert!(beyond.data.is_empty());
        assert_eq!((beyond.total, beyond.last_page), (7, 3));
        let filtered = Post::where_("status", "draft")
            .paginate(1, 2)
            .await
            .unwrap();
        assert_eq!((filtered.total, filtered.last_page), (4, 2));
        let json = serde_json::to_value(&filtered).unwrap();
        assert_eq!(json["perPage"], json!(2));
        assert_eq!(json["currentPage"], json!(1));
        assert_eq!(json["lastPage"], json!(2));
        assert_eq!(json["data"].as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn paginate_empty_and_bad_pages() {
    let (orm, _db) = orm();
    orm.scope(async {
        let empty = User::query().paginate(1, 10).await.unwrap();
        assert_eq!((empty.total, empty.last_page, empty.data.len()), (0, 1, 0));
        assert_eq!(
            User::query().paginate(0, 10).await.unwrap_err(),
            OrmError::InvalidPagination {
                page: 0,
                per_page: 10
            }
        );
        assert_eq!(
            User::query().paginate(1, 0).await.unwrap_err(),
            OrmError::InvalidPagination {
                page: 1,
                per_page: 0
            }
        );
        assert!(User::query().paginate(u64::MAX, u64::MAX).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn builders_are_lazy_and_reusable() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed_posts(4).await;
        let trips = Orm::current().unwrap().round_trips();
        let drafts = Post::where_("status", "draft").order_by_asc("id");
        assert_eq!(
            Orm::current().unwrap().round_trips(),
            trips,
            "nothing runs before a terminal"
        );
        assert_eq!(drafts.clone().count().await.unwrap(), 2);
        assert_eq!(titles(&drafts.all().await.unwrap()), ["post 1", "post 3"]);
    })
    .await;
}

#[tokio::test]
async fn unknown_relation_in_with_is_an_error_before_any_query() {
    let (orm, _db) = orm();
    orm.scope(async {
        let trips = Orm::current().unwrap().round_trips();
        let err = User::with(["nope"]).all().await.unwrap_err();
        assert_eq!(
            err,
            OrmError::InvalidRelation {
                model: "User",
                relation: "nope".into()
            }
        );
        assert_eq!(Orm::current().unwrap().round_trips(), trips);
    })
    .await;
}
