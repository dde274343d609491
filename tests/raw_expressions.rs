//! Raw expressions (`select_raw`, `where_raw`, `or_where_raw`, `order_by_raw`,
//! `group_by_raw`, `having_raw`, `or_having_raw`) and whole raw statements
//! (`Orm::select`, `Orm::statement`) on embedded SQLite, with the SQL pinned through
//! the mock executor.
mod common;

use common::Post;
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, OrmError, SqlValue, SqliteExecutor, Statement};
use serde_json::json;

/// Posts 1..=6: titles "p1".."p6", views 10, 20, .., 60, status alternating
/// draft/live; post 6 soft-deleted.
async fn seeded() -> (Orm, SqliteExecutor) {
    let (orm, db) = common::orm();
    db.execute_batch(
        "INSERT INTO posts (title, status, views) VALUES
           ('p1','draft',10),('p2','live',20),('p3','draft',30),
           ('p4','live',40),('p5','draft',50),('p6','live',60);
         UPDATE posts SET deleted_at = '2020-01-01T00:00:00.000Z' WHERE id = 6;",
    )
    .unwrap();
    (orm, db)
}

fn ids(rows: &[Instance<Post>]) -> Vec<i64> {
    rows.iter()
        .map(|p| p.get_as::<i64>("id").unwrap())
        .collect()
}

#[tokio::test]
async fn where_raw_binds_its_values_and_keeps_soft_deletes() {
    let (orm, _db) = seeded().await;
    let rows = orm
        .scope(async {
            Post::query()
                .where_raw("\"posts\".\"views\" % ? = 0", &[json!(20)])
                .order_by("id", "asc")
                .all()
                .await
        })
        .await
        .unwrap();
    // 60 is a multiple of 20 too, but post 6 is soft-deleted.
    assert_eq!(ids(&rows), [2, 4]);

    // An OR that matches everything stays inside the caller's group: the soft-delete
    // condition is still ANDed after it.
    let rows = orm
        .scope(async {
            Post::where_("status", "live")
                .or_where_raw("1 = 1", &[])
                .all()
                .await
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
}

#[tokio::test]
async fn raw_fragments_cannot_escape_the_tenant_scope() {
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, title TEXT,
           created_at TEXT, updated_at TEXT);
         INSERT INTO notes (org_id, title) VALUES ('a','a1'),('b','b1'),('a','a2'),('b','b2');",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    let (all, count, page) = orm
        .scope(async {
            let all = Note::query()
                .or_where_raw("1 = 1", &[])
                .or_where_raw("\"notes\".\"org_id\" = ?", &[json!("b")])
                .all()
                .await?;
            let count = Note::query().or_where_raw("1 = 1", &[]).count().await?;
            let page = Note::query()
                .where_raw("\"notes\".\"title\" LIKE ?", &[json!("%")])
                .or_where_raw("1 = 1", &[])
                .paginate(1, 10)
                .await?;
            Ok::<_, OrmError>((all, count, page))
        })
        .await
        .unwrap();
    let orgs: Vec<String> = all.iter().map(|n| n.get_as("org_id").unwrap()).collect();
    assert_eq!(orgs, ["a", "a"]);
    assert_eq!(count, 2);
    assert_eq!((page.total, page.data.len()), (2, 2));

    // Text that would close the caller's group is refused before any SQL.
    let before = orm.statements();
    let err = orm
        .scope(Note::query().where_raw("1=1) OR (1=1", &[]).all())
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::InvalidQuery(_)), "{err}");
    assert_eq!(orm.statements(), before);
}

/// Refused before SQL: bad text, or a value no statement can bind.
fn refused(err: &OrmError) -> bool {
    matches!(
        err,
        OrmError::InvalidQuery(_) | OrmError::ValueOutOfRange { .. }
    )
}

#[tokio::test]
async fn bad_fragments_fail_before_any_sql() {
    let (orm, db) = seeded().await;
    let cases: Vec<(&str, Vec<serde_json::Value>)> = vec![
        ("1=1) OR (1=1", vec![]),
        ("\"posts\".\"views\" > ? -- and the scope", vec![json!(1)]),
        ("1; DELETE FROM posts", vec![]),
        ("\"posts\".\"views\" > ?1", vec![json!(1)]),
        ("\"posts\".\"views\" > :v", vec![]),
        ("\"posts\".\"views\" > $1", vec![]),
        ("\"posts\".\"views\" > ?", vec![]),
        ("\"posts\".\"views\" > ?", vec![json!(1), json!(2)]),
        ("\"posts\".\"views\" > ?", vec![json!(u64::MAX)]),
        ("'unclosed", vec![]),
        ("", vec![]),
    ];
    for (text, bindings) in cases {
        let calls: Vec<QueryBuilder<Post>> = vec![
            Post::query().where_raw(text, &bindings),
            Post::query().or_where_raw(text, &bindings),
            Post::query().select_raw(text, &bindings),
            Post::query().order_by_raw(text, &bindings),
            Post::query().group_by_raw(text, &bindings),
            Post::query()
                .group_by(["status"])
                .having_raw(text, &bindings),
            Post::query()
                .group_by(["status"])
                .or_having_raw(text, &bindings),
        ];
        for q in calls {
            let err = orm.scope(q.delete()).await.unwrap_err();
            assert!(refused(&err), "{text:?}: {err}");
        }
        let err = orm.select(text, &bindings).await.unwrap_err();
        assert!(refused(&err), "{text:?}: {err}");
        let err = orm.statement(text, &bindings).await.unwrap_err();
        assert!(refused(&err), "{text:?}: {err}");
    }
    assert_eq!(orm.statements(), 0);
    assert_eq!(common::raw_count(&db, "posts"), 6);
}

#[tokio::test]
async fn select_group_having_and_order_raw() {
    let (orm, _db) = seeded().await;
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row {
        status: String,
        doubled: i64,
    }
    let rows: Vec<Row> = orm
        .scope(async {
            Post::query()
                .select(["status"])
                .select_raw("sum(\"posts\".\"views\") * ? AS \"doubled\"", &[json!(2)])
                .group_by_raw("lower(\"posts\".\"status\")", &[])
                .having_raw("sum(\"posts\".\"views\") > ?", &[json!(50)])
                .or_having_raw("count(*) = ?", &[json!(99)])
                .order_by_raw("\"doubled\" DESC", &[])
                .all_as()
                .await
        })
        .await
        .unwrap();
    // draft: 10 + 30 + 50 = 90; live: 20 + 40 = 60 (60 is trashed).
    assert_eq!(
        rows,
        [
            Row {
                status: "draft".into(),
                doubled: 180
            },
            Row {
                status: "live".into(),
                doubled: 120
            }
        ]
    );
}

#[tokio::test]
async fn paginate_keeps_a_raw_order_and_binds_raw_values() {
    let (orm, _db) = seeded().await;
    let page = orm
        .scope(async {
            Post::query()
                .where_raw("\"posts\".\"views\" >= ?", &[json!(20)])
                // 40 first, then by views descending.
                .order_by_raw(
                    "\"posts\".\"views\" = ? DESC, \"posts\".\"views\" DESC",
                    &[json!(40)],
                )
                .paginate(1, 3)
                .await
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.last_page), (4, 2));
    assert_eq!(ids(&page.data), [4, 5, 3]);
    let page = orm
        .scope(
            Post::query()
                .where_raw("\"posts\".\"views\" >= ?", &[json!(20)])
                .order_by_raw(
                    "\"posts\".\"views\" = ? DESC, \"posts\".\"views\" DESC",
                    &[json!(40)],
                )
                .paginate(2, 3),
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.data), [2]);
    assert_eq!(orm.statements(), 2);
}

#[tokio::test]
async fn raw_sql_is_pinned() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        Post::query()
            .select(["id"])
            .select_raw("\"posts\".\"views\" * ? AS \"w\"", &[json!(2)])
            .where_("status", "live")
            .or_where_raw("\"posts\".\"views\" > ?", &[json!(5)])
            .order_by_raw("\"w\" DESC", &[])
            .all()
            .await
            .unwrap();
        Post::query()
            .where_raw("\"posts\".\"views\" IN (?, ?)", &[json!(1), json!(2)])
            .order_by_raw("\"posts\".\"views\" % ?", &[json!(3)])
            .paginate(2, 5)
            .await
            .unwrap();
    })
    .await;
    use SqlValue::{Integer as I, Text as T};
    assert_eq!(
        mock.statements(),
        vec![
            Statement::new(
                "SELECT \"posts\".\"id\", \"posts\".\"views\" * ? AS \"w\" FROM \"posts\" \
                 WHERE (\"posts\".\"status\" = ? OR (\"posts\".\"views\" > ?)) \
                 AND \"posts\".\"deleted_at\" IS NULL ORDER BY \"w\" DESC",
                vec![I(2), T("live".into()), I(5)]
            ),
            // Placeholders numbered: the filter is bound once for both copies.
            Statement::new(
                "SELECT *, (SELECT COUNT(*) FROM \"posts\" \
                 WHERE (\"posts\".\"views\" IN (?1, ?2)) AND \"posts\".\"deleted_at\" IS NULL) AS \"__roost_total\" \
                 FROM \"posts\" \
                 WHERE (\"posts\".\"views\" IN (?1, ?2)) AND \"posts\".\"deleted_at\" IS NULL \
                 ORDER BY \"posts\".\"views\" % ?3 LIMIT ?4 OFFSET ?5",
                vec![I(1), I(2), I(3), I(5), I(5)]
            ),
            // The mock's page 2 has no rows: past the last page, a count.
            Statement::new(
                "SELECT COUNT(*) AS \"aggregate\" FROM \"posts\" \
                 WHERE (\"posts\".\"views\" IN (?, ?)) AND \"posts\".\"deleted_at\" IS NULL",
                vec![I(1), I(2)]
            ),
        ]
    );
}

#[tokio::test]
async fn orm_select_and_statement_are_counted_and_unscoped() {
    let (orm, db) = seeded().await;
    let changed = orm
        .statement(
            "UPDATE posts SET views = views + ? WHERE status = ?",
            &[json!(1), json!("draft")],
        )
        .await
        .unwrap();
    assert_eq!(changed, 3);
    let rows = orm
        .select(
            "SELECT status, sum(views) AS total FROM posts WHERE views > ? GROUP BY status ORDER BY status",
            &[json!(0)],
        )
        .await
        .unwrap();
    // Unscoped: the soft-deleted post 6 (60 views) is in the live total.
    assert_eq!(
        rows.iter()
            .map(|r| (r["status"].clone(), r["total"].clone()))
            .collect::<Vec<_>>(),
        [(json!("draft"), json!(93)), (json!("live"), json!(120))]
    );
    let with = orm
        .select("WITH t AS (SELECT ? AS n) SELECT n FROM t", &[json!(7)])
        .await
        .unwrap();
    assert_eq!(with[0]["n"], json!(7));
    assert_eq!(orm.statements(), 3);

    // `select` runs reads only; the write is refused before SQL.
    for write in [
        "DELETE FROM posts",
        "UPDATE posts SET views = 0",
        "WITH t AS (SELECT 1) DELETE FROM posts",
        "DROP TABLE posts",
    ] {
        let err = orm.select(write, &[]).await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{write}: {err}");
    }
    assert_eq!(orm.statements(), 3);
    assert_eq!(common::raw_count(&db, "posts"), 6);

    // Held to the query budget like every statement.
    orm.set_query_budget(Some(3));
    let err = orm.statement("DELETE FROM posts", &[]).await.unwrap_err();
    assert!(matches!(err, OrmError::QueryBudgetExceeded { .. }), "{err}");
    assert_eq!(common::raw_count(&db, "posts"), 6);
}
