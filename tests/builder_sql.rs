//! The SQL of the wider builder, pinned through the mock executor: every column
//! qualified, every value bound, scopes outside the caller's group.
mod common;

use common::Post;
use roost_orm::prelude::*;
use roost_orm::{MockExecutor, QueryResult, SqlValue};

use SqlValue::{Integer as I, Text as T};

/// The statement `f` sends (the mock answers with no rows).
async fn sql_of<F, Fut, R>(f: F) -> (String, Vec<SqlValue>)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<R>>,
{
    let mock = MockExecutor::new();
    mock.push(QueryResult::rows(
        ["aggregate"],
        [vec![serde_json::json!(0)]],
    ));
    let orm = Orm::new(mock.clone());
    let _ = orm.scope(f()).await;
    let last = mock.last().expect("a statement");
    (last.sql.to_string(), last.params)
}

const LIVE: &str = "\"posts\".\"deleted_at\" IS NULL";

#[tokio::test]
async fn conditions() {
    let (sql, params) = sql_of(|| {
        Post::query()
            .where_between("views", [1, 9])
            .or_where_column("views", ">", "author_id")
            .where_not(|q| q.where_("status", "x"))
            .all()
    })
    .await;
    assert_eq!(
        sql,
        format!(
            "SELECT * FROM \"posts\" WHERE (\"posts\".\"views\" BETWEEN ? AND ? OR \"posts\".\"views\" > \"posts\".\"author_id\" \
             AND NOT (\"posts\".\"status\" = ?)) AND {LIVE}"
        )
    );
    assert_eq!(params, [I(1), I(9), T("x".into())]);
    let (sql, params) = sql_of(|| {
        Post::query()
            .where_like("title", "A%", true)
            .where_not_like("title", "%b", false)
            .where_month("created_at", "=", 5)
            .where_date("created_at", "<", "2026-01-01")
            .all()
    })
    .await;
    assert_eq!(
        sql,
        format!(
            "SELECT * FROM \"posts\" WHERE \"posts\".\"title\" GLOB ? AND \"posts\".\"title\" NOT LIKE ? \
             AND strftime('%m', \"posts\".\"created_at\") = ? AND date(\"posts\".\"created_at\") < ? AND {LIVE}"
        )
    );
    assert_eq!(
        params,
        [
            T("A*".into()),
            T("%b".into()),
            T("05".into()),
            T("2026-01-01".into())
        ]
    );
    let (sql, _) = sql_of(|| {
        Post::query()
            .where_any(&["title", "status"], "=", "a")
            .all()
    })
    .await;
    assert_eq!(
        sql,
        format!("SELECT * FROM \"posts\" WHERE (\"posts\".\"title\" = ? OR \"posts\".\"status\" = ?) AND {LIVE}")
    );
}

#[tokio::test]
async fn columns_grouping_and_aggregates() {
    let (sql, params) = sql_of(|| {
        Post::query()
            .select(["status"])
            .select_count("total")
            .group_by(["status"])
            .having("total", ">", 2)
            .order_by("total", "desc")
            .all()
    })
    .await;
    assert_eq!(
        sql,
        format!(
            "SELECT \"posts\".\"status\", COUNT(*) AS \"total\" FROM \"posts\" WHERE {LIVE} \
             GROUP BY \"posts\".\"status\" HAVING COUNT(*) > ? ORDER BY COUNT(*) DESC"
        )
    );
    assert_eq!(params, [I(2)]);
    let (sql, _) = sql_of(|| Post::where_("status", "a").limit(3).sum::<i64>("views")).await;
    assert_eq!(
        sql,
        format!("SELECT SUM(\"posts\".\"views\") AS \"aggregate\" FROM \"posts\" WHERE \"posts\".\"status\" = ? AND {LIVE}")
    );
    let (sql, _) = sql_of(|| Post::where_("status", "a").exists()).await;
    assert_eq!(
        sql,
        format!("SELECT EXISTS (SELECT 1 FROM \"posts\" WHERE \"posts\".\"status\" = ? AND {LIVE}) AS \"aggregate\"")
    );
    let (sql, _) = sql_of(|| Post::query().select(["status"]).distinct().count()).await;
    assert_eq!(
        sql,
        format!("SELECT COUNT(*) AS \"aggregate\" FROM (SELECT DISTINCT \"posts\".\"status\" FROM \"posts\" WHERE {LIVE})")
    );
    let (sql, params) = sql_of(|| Post::query().in_random_order().simple_paginate(2, 5)).await;
    assert_eq!(
        sql,
        format!("SELECT * FROM \"posts\" WHERE {LIVE} ORDER BY random() LIMIT ? OFFSET ?")
    );
    assert_eq!(params, [I(6), I(5)]);
}
