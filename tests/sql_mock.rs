//! The exact SQL and parameters each call produces, pinned through the mock executor.
mod common;

use common::{Post, PostComment, User};
use roost_orm::prelude::*;
use roost_orm::{MockExecutor, QueryResult, SqlValue, Statement};
use serde_json::json;

fn mock() -> (Orm, MockExecutor) {
    let mock = MockExecutor::new();
    (Orm::new(mock.clone()), mock)
}

fn stmt(sql: &str, params: Vec<SqlValue>) -> Statement {
    Statement::new(sql, params)
}

use SqlValue::{Integer as I, Text as T};

#[tokio::test]
async fn finds_and_simple_queries() {
    let (orm, mock) = mock();
    orm.scope(async {
        User::find(5).await.unwrap();
        User::all().await.unwrap();
        Post::find("7").await.unwrap();
        PostComment::all().await.unwrap();
    })
    .await;
    assert_eq!(
        mock.statements(),
        vec![
            stmt("SELECT * FROM \"users\" WHERE \"users\".\"id\" = ?", vec![I(5)]),
            stmt("SELECT * FROM \"users\"", vec![]),
            stmt(
                "SELECT * FROM \"posts\" WHERE \"posts\".\"id\" = ? AND \"posts\".\"deleted_at\" IS NULL",
                vec![T("7".into())]
            ),
            stmt("SELECT * FROM \"post_comments\"", vec![]),
        ]
    );
}

#[tokio::test]
async fn builder_chains() {
    let (orm, mock) = mock();
    orm.scope(async {
        Post::where_("status", "draft")
            .or_where("status", "review")
            .where_op("views", ">=", 10)
            .where_null("author_id")
            .where_not_null("meta")
            .order_by("views", "desc")
            .order_by("id", "asc")
            .limit(5)
            .offset(10)
            .all()
            .await
            .unwrap();
        Post::where_in("id", [1, 2, 3])
            .with_trashed()
            .first()
            .await
            .unwrap();
        Post::where_op("title", "like", "%rust%")
            .only_trashed()
            .count()
            .await
            .unwrap();
        User::where_("admin", true).limit(3).count().await.unwrap();
        User::query().offset(2).all().await.unwrap();
        User::query()
            .where_not_in("id", Vec::<i64>::new())
            .all()
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        mock.statements(),
        vec![
            stmt(
                "SELECT * FROM \"posts\" WHERE (\"posts\".\"status\" = ? OR \"posts\".\"status\" = ? AND \"posts\".\"views\" >= ? \
                 AND \"posts\".\"author_id\" IS NULL AND \"posts\".\"meta\" IS NOT NULL) AND \"posts\".\"deleted_at\" IS NULL \
                 ORDER BY \"posts\".\"views\" DESC, \"posts\".\"id\" ASC LIMIT ? OFFSET ?",
                vec![T("draft".into()), T("review".into()), I(10), I(5), I(10)]
            ),
            stmt(
                "SELECT * FROM \"posts\" WHERE \"posts\".\"id\" IN (SELECT value FROM json_each(?)) LIMIT ?",
                vec![T("[1,2,3]".into()), I(1)]
            ),
            stmt(
                "SELECT COUNT(*) AS \"aggregate\" FROM \"posts\" WHERE \"posts\".\"title\" LIKE ? AND \"posts\".\"deleted_at\" IS NOT NULL",
                vec![T("%rust%".into())]
            ),
            stmt(
                "SELECT COUNT(*) AS \"aggregate\" FROM \"users\" WHERE \"users\".\"admin\" = ?",
                vec![I(1)]
            ),
            stmt("SELECT * FROM \"users\" LIMIT ? OFFSET ?", vec![I(-1), I(2)]),
            stmt(
                "SELECT * FROM \"users\" WHERE \"users\".\"id\" NOT IN (SELECT value FROM json_each(?))",
                vec![T("[]".into())]
            ),
        ]
    );
}

#[tokio::test]
async fn paginate_is_one_statement_when_the_page_has_rows() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(
        ["id", "name", "__roost_total"],
        [
            vec![json!(3), json!("c"), json!(12)],
            vec![json!(4), json!("d"), json!(12)],
        ],
    ));
    let page = orm
        .scope(async {
            User::where_("name", "x")
                .order_by_desc("id")
                .paginate(2, 2)
                .await
        })
        .await
        .unwrap();
    // The filter is written twice and bound once (numbered placeholders); the count
    // is a scalar subquery, not a window over every matching row, and the page is
    // the statement's own SELECT (no ephemeral table, no second sort).
    assert_eq!(
        mock.statements(),
        vec![stmt(
            "SELECT *, (SELECT COUNT(*) FROM \"users\" WHERE \"users\".\"name\" = ?1) AS \"__roost_total\" \
             FROM \"users\" WHERE \"users\".\"name\" = ?1 \
             ORDER BY \"users\".\"id\" DESC LIMIT ?2 OFFSET ?3",
            vec![T("x".into()), I(2), I(2)]
        )]
    );
    assert_eq!((page.total, page.last_page, page.data.len()), (12, 6, 2));
    assert_eq!(
        page.data[0].attributes.keys().collect::<Vec<_>>(),
        ["id", "name"]
    );
}

#[tokio::test]
async fn an_empty_first_page_is_one_statement_and_a_page_past_the_end_two() {
    let (orm, mock) = mock();
    // Page 1 without rows: nothing matches, the total is 0 without a count.
    mock.push(QueryResult::rows(
        ["id", "__roost_total"],
        Vec::<Vec<serde_json::Value>>::new(),
    ));
    let page = orm
        .scope(async { User::query().paginate(1, 2).await })
        .await
        .unwrap();
    assert_eq!(mock.statements().len(), 1);
    assert_eq!((page.total, page.last_page, page.data.len()), (0, 1, 0));

    // Past the last page: the page statement, then a count with the same conditions.
    let (orm, mock) = self::mock();
    mock.push(QueryResult::rows(
        ["id", "__roost_total"],
        Vec::<Vec<serde_json::Value>>::new(),
    ));
    mock.push(QueryResult::rows(["aggregate"], [vec![json!(4)]]));
    let page = orm
        .scope(async { User::where_("name", "x").paginate(3, 2).await })
        .await
        .unwrap();
    assert_eq!(
        mock.statements(),
        vec![
            stmt(
                "SELECT *, (SELECT COUNT(*) FROM \"users\" WHERE \"users\".\"name\" = ?1) AS \"__roost_total\" \
                 FROM \"users\" WHERE \"users\".\"name\" = ?1 LIMIT ?2 OFFSET ?3",
                vec![T("x".into()), I(2), I(4)]
            ),
            stmt(
                "SELECT COUNT(*) AS \"aggregate\" FROM \"users\" WHERE \"users\".\"name\" = ?",
                vec![T("x".into())]
            ),
        ]
    );
    assert_eq!((page.total, page.last_page, page.data.len()), (4, 2, 0));
}

#[tokio::test]
async fn writes() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(
        [
            "id",
            "title",
            "published",
            "created_at",
            "updated_at",
            "deleted_at",
        ],
        [vec![
            json!(9),
            json!("T"),
            json!(1),
            json!("t0"),
            json!("t0"),
            json!(null),
        ]],
    ));
    let (mut post, insert) = orm
        .scope(async {
            let post = Post::create(json!({"title": "T", "published": true, "meta": {"a": 1}}))
                .await
                .unwrap();
            (post, mock.last().unwrap())
        })
        .await;
    assert_eq!(
        insert.sql,
        "INSERT INTO \"posts\" (\"title\", \"published\", \"meta\", \"created_at\", \"updated_at\") \
         VALUES (?, ?, ?, ?, ?) RETURNING *"
    );
    assert_eq!(
        &insert.params[..3],
        &[T("T".into()), I(1), T("{\"a\":1}".into())]
    );
    assert!(matches!(&insert.params[3], T(t) if t.ends_with('Z')));
    assert_eq!(post.get("published"), Some(&json!(true)));

    mock.clear();
    mock.push(QueryResult::rows(
        ["id", "title"],
        [vec![json!(9), json!("U")]],
    ));
    mock.push(QueryResult::rows(
        ["id", "deleted_at"],
        [vec![json!(9), json!("t1")]],
    ));
    mock.push(QueryResult::write(1, 0));
    orm.scope(async {
        post.set("title", "U");
        post.save().await.unwrap();
        post.delete().await.unwrap();
        post.force_delete().await.unwrap();
    })
    .await;
    let s = mock.statements();
    assert_eq!(
        s[0].sql,
        "UPDATE \"posts\" SET \"title\" = ?, \"updated_at\" = ? WHERE \"posts\".\"id\" = ? RETURNING *"
    );
    assert_eq!(s[0].params[0], T("U".into()));
    assert_eq!(s[0].params[2], I(9));
    assert_eq!(
        s[1].sql,
        "UPDATE \"posts\" SET \"deleted_at\" = ?, \"updated_at\" = ? WHERE \"posts\".\"id\" = ? RETURNING *"
    );
    assert_eq!(
        s[2],
        stmt(
            "DELETE FROM \"posts\" WHERE \"posts\".\"id\" = ?",
            vec![I(9)]
        )
    );
    assert_eq!(s.len(), 3);
}

#[tokio::test]
async fn empty_insert_uses_default_values() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(["id"], [vec![json!(1)]]));
    orm.scope(async { PostComment::create(json!({})).await.unwrap() })
        .await;
    assert_eq!(
        mock.last().unwrap(),
        stmt(
            "INSERT INTO \"post_comments\" DEFAULT VALUES RETURNING *",
            vec![]
        )
    );
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let (orm, mock) = mock();
    orm.scope(async {
        assert!(User::where_op("id", "<>=", 1).all().await.is_err());
        assert!(User::where_("bad name", 1).count().await.is_err());
        assert!(User::query().order_by("id", "up").first().await.is_err());
        assert!(User::query().paginate(0, 1).await.is_err());
        assert!(User::create(json!({"unknown": 1})).await.is_err());
        assert!(User::create(json!(5)).await.is_err());
    })
    .await;
    assert!(mock.statements().is_empty());
}

#[tokio::test]
async fn nested_groups() {
    let (orm, mock) = mock();
    orm.scope(async {
        Post::where_("status", "published")
            .where_group(|q| q.where_op("views", ">", 100).or_where("published", true))
            .or_where_group(|q| q.where_null("meta"))
            .where_group(|q| q) // empty: adds nothing
            .all()
            .await
            .unwrap();
        let err = Post::query()
            .where_group(|q| q.where_("nope", 1))
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }));
    })
    .await;
    assert_eq!(
        mock.statements(),
        vec![stmt(
            "SELECT * FROM \"posts\" WHERE (\"posts\".\"status\" = ? AND (\"posts\".\"views\" > ? OR \"posts\".\"published\" = ?) \
             OR (\"posts\".\"meta\" IS NULL)) AND \"posts\".\"deleted_at\" IS NULL",
            vec![T("published".into()), I(100), I(1)]
        )]
    );
}
