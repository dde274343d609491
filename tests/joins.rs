//! Joins — `join`, `left_join`, `join_with`, `cross_join`, `join_sub` — on embedded
//! SQLite: the model's table hydrated alone, joined columns checked, the joined model's
//! tenant in its `ON`, every terminal (count, paginate, find, mass writes) joined; the
//! SQL pinned through the mock.
use roost_orm::prelude::*;
use roost_orm::query::Aggregate;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, OrmError, SqlValue, SqliteExecutor};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, author_id INTEGER,
  title TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft',
  created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, post_id INTEGER NOT NULL,
  body TEXT NOT NULL, created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE colors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
-- Users 1-3 of org a (1 and 3 admins), user 4 of org b (admin).
INSERT INTO users (id, org_id, name, admin) VALUES
  (1, 'a', 'ann', 1), (2, 'a', 'bob', 0), (3, 'a', 'cyd', 1), (4, 'b', 'dee', 1);
-- Posts of org a: 10 by ann, 11 by bob, 12 by nobody, 13 by dee (a user of org b),
-- 14 by ann but soft-deleted; post 20 of org b by dee.
INSERT INTO posts (id, org_id, author_id, title, deleted_at) VALUES
  (10, 'a', 1, 'ann one', NULL), (11, 'a', 2, 'bob one', NULL), (12, 'a', NULL, 'orphan', NULL),
  (13, 'a', 4, 'foreign author', NULL), (14, 'a', 1, 'ann gone', '2020-01-01'),
  (20, 'b', 4, 'dee one', NULL);
INSERT INTO comments (id, org_id, post_id, body, created_at, deleted_at) VALUES
  (1, 'a', 10, 'c1', '2026-01-01', NULL), (2, 'a', 10, 'c2', '2026-03-01', NULL),
  (3, 'a', 11, 'c3', '2026-02-01', NULL), (4, 'a', 11, 'late but gone', '2026-09-01', '2026-09-02'),
  (5, 'b', 11, 'foreign', '2026-12-01', NULL);
INSERT INTO colors (id, name) VALUES (1, 'red'), (2, 'blue');
";

struct User;
impl ModelDef for User {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("org_id"),
        Column::text("name"),
        Column::boolean("admin"),
    ];
}

struct Post;
impl ModelDef for Post {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
}

struct Comment;
impl ModelDef for Comment {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
}

/// Not tenant-scoped.
struct Color;
impl ModelDef for Color {
    const TIMESTAMPS: bool = false;
}

fn setup() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

fn ids(rows: &[Instance<Post>]) -> Vec<i64> {
    rows.iter()
        .map(|p| p.get_as::<i64>("id").unwrap())
        .collect()
}

#[tokio::test]
async fn inner_join_filters_by_the_joined_table_and_hydrates_the_model_alone() {
    let (orm, _db) = setup();
    let posts = orm
        .scope(
            Post::query()
                .join::<User>("users.id", "=", "posts.author_id")
                .where_("users.admin", true)
                .order_by("posts.id", "asc")
                .all(),
        )
        .await
        .unwrap();
    // Post 13's author is org b's: the tenant in the join's ON leaves it out; 14 is
    // trashed; 20 is org b's.
    assert_eq!(ids(&posts), [10]);
    // The model's row only: its own id and columns, none of the user's.
    assert_eq!(posts[0].get("org_id"), Some(&json!("a")));
    assert!(posts[0].get("name").is_none() && posts[0].get("admin").is_none());

    // Joined columns on request, and never another tenant's.
    let rows = orm
        .scope(
            Post::query()
                .select(["posts.*", "users.name"])
                .left_join::<User>("users.id", "=", "posts.author_id")
                .order_by("posts.id", "asc")
                .all(),
        )
        .await
        .unwrap();
    let names: Vec<_> = rows.iter().map(|p| p.get("name").cloned()).collect();
    assert_eq!(
        names,
        [
            Some(json!("ann")),
            Some(json!("bob")),
            Some(json!(null)),
            Some(json!(null))
        ]
    );
    assert_eq!(ids(&rows), [10, 11, 12, 13]);
}

#[tokio::test]
async fn left_join_with_clauses_and_or_on_cannot_lift_the_tenant() {
    let (orm, _db) = setup();
    // Posts whose author is missing (or not visible to this tenant).
    let orphans = orm
        .scope(
            Post::query()
                .left_join_with::<User>(|j| j.on("users.id", "=", "posts.author_id"))
                .where_null("users.id")
                .order_by("posts.id", "asc")
                .all(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&orphans), [12, 13]);
    // An OR in the ON stays inside the caller's group; the tenant is ANDed after it.
    let rows = orm
        .scope(
            Post::query()
                .select(["posts.id", "users.name"])
                .join_with::<User>(|j| {
                    j.on("users.id", "=", "posts.author_id")
                        .or_on("users.id", ">", "posts.author_id")
                        .where_op("users.name", "!=", "zed")
                })
                .all(),
        )
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.get("name") != Some(&json!("dee"))));
    assert!(!rows.is_empty());
}

#[tokio::test]
async fn join_sub_keeps_the_subquery_scopes() {
    let (orm, _db) = setup();
    let latest = Comment::query()
        .select(["post_id"])
        .select_aggregate(Aggregate::Max, "created_at", "last_at")
        .group_by(["post_id"]);
    let rows = orm
        .scope(
            Post::query()
                .select(["posts.id", "latest.last_at"])
                .join_sub(latest, "latest", "latest.post_id", "=", "posts.id")
                .order_by("latest.last_at", "desc")
                .all(),
        )
        .await
        .unwrap();
    let got: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (r.get_as("id").unwrap(), r.get_as("last_at").unwrap()))
        .collect();
    // Comment 4 is trashed and comment 5 is org b's: neither counts.
    assert_eq!(got, [(10, "2026-03-01".into()), (11, "2026-02-01".into())]);
}

#[tokio::test]
async fn cross_join_and_every_terminal() {
    let (orm, db) = setup();
    orm.scope(async {
        let pairs = Post::query()
            .select(["posts.id", "colors.name"])
            .cross_join::<Color>()
            .count()
            .await?;
        assert_eq!(pairs, 4 * 2);
        let joined = || Post::query().join::<User>("users.id", "=", "posts.author_id");
        assert_eq!(joined().count().await?, 2);
        assert!(joined().where_("users.name", "bob").exists().await?);
        let page = joined()
            .order_by("users.name", "desc")
            .paginate(1, 1)
            .await?;
        assert_eq!((page.total, ids(&page.data)), (2, vec![11]));
        let names: Vec<String> = joined()
            .order_by("users.name", "asc")
            .pluck("users.name")
            .await?;
        assert_eq!(names, ["ann", "bob"]);
        // find through a join: the key lookup is not the cached one.
        assert!(joined()
            .where_("users.admin", true)
            .find(11)
            .await?
            .is_none());
        assert!(joined()
            .where_("users.admin", true)
            .find(10)
            .await?
            .is_some());
        // Mass writes choose their rows through the join.
        let changed = joined()
            .where_("users.admin", false)
            .update(json!({"status": "review"}))
            .await?;
        assert_eq!(changed, 1);
        let deleted = joined().where_("users.name", "ann").delete().await?;
        assert_eq!(deleted, 1);
        Ok::<_, OrmError>(())
    })
    .await
    .unwrap();
    let status: Vec<(i64, String, bool)> = db.with_connection(|c| {
        let mut s = c
            .prepare("SELECT id, status, deleted_at IS NOT NULL FROM posts ORDER BY id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    });
    assert_eq!(
        status,
        [
            (10, "draft".into(), true),
            (11, "review".into(), false),
            (12, "draft".into(), false),
            (13, "draft".into(), false),
            (14, "draft".into(), true),
            (20, "draft".into(), false),
        ]
    );
}

#[tokio::test]
async fn bad_joins_fail_before_any_sql() {
    let (orm, _db) = setup();
    let on = |q: QueryBuilder<Post>| q.join::<User>("users.id", "=", "posts.author_id");
    let cases: Vec<QueryBuilder<Post>> = vec![
        // A declared model's unknown column, a table the query does not join.
        on(Post::query()).where_("users.nope", 1),
        Post::query().where_("users.name", "ann"),
        Post::query().join::<User>("users.nope", "=", "posts.author_id"),
        Post::query().join::<User>("comments.id", "=", "posts.author_id"),
        Post::query().join::<User>("users.id", "==", "posts.author_id"),
        Post::query().join::<User>("users.id;--", "=", "posts.author_id"),
        // The same table twice, the model's own table, no ON, a bad alias.
        on(on(Post::query())),
        Post::query().join::<Post>("posts.id", "=", "posts.id"),
        Post::query().join_with::<User>(|j| j),
        Post::query().join_sub(Comment::query(), "a.b", "a.b.post_id", "=", "posts.id"),
        Post::query().join_sub(Comment::query(), "posts", "posts.id", "=", "posts.id"),
        Post::query().join_sub(
            Comment::query().where_("nope\"", 1),
            "c",
            "c.post_id",
            "=",
            "posts.id",
        ),
        Post::query().select(["comments.*"]),
        on(Post::query()).select(["users.*", "posts.*", "nope.*"]),
    ];
    for q in cases {
        let shown = format!("{q:?}");
        let err = orm.scope(q.all()).await.unwrap_err();
        assert!(!matches!(err, OrmError::Database { .. }), "{shown}: {err}");
    }
    // Terminals that pick their own columns check a table the query never joins too.
    let err = orm
        .scope(Post::query().pluck::<String>("users.name"))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err}");
    let err = orm
        .scope(Post::query().pluck_keyed::<i64, String>("users.name", "id"))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err}");
    let err = orm
        .scope(Post::query().max::<i64>("users.id"))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err}");
    assert_eq!(orm.statements(), 0);
}

#[tokio::test]
async fn join_sql_is_pinned() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm.scope(async {
        Post::query()
            .join_with::<User>(|j| {
                j.on("users.id", "=", "posts.author_id")
                    .or_where("users.admin", true)
            })
            .where_("users.name", "ann")
            .all()
            .await
            .unwrap();
        Post::query()
            .left_join_sub(
                Comment::query().where_("body", "x"),
                "c",
                "c.post_id",
                "=",
                "posts.id",
            )
            .paginate(1, 5)
            .await
            .unwrap();
    })
    .await;
    use SqlValue::{Integer as I, Text as T};
    let statements = mock.statements();
    assert_eq!(
        statements[0].sql.to_string(),
        "SELECT \"posts\".* FROM \"posts\" INNER JOIN \"users\" \
         ON (\"users\".\"id\" = \"posts\".\"author_id\" OR \"users\".\"admin\" = ?) \
         AND \"users\".\"org_id\" = ? \
         WHERE \"users\".\"name\" = ? AND \"posts\".\"org_id\" = ? AND \"posts\".\"deleted_at\" IS NULL"
    );
    assert_eq!(
        statements[0].params,
        [I(1), T("a".into()), T("ann".into()), T("a".into())]
    );
    // The joined FROM is written in both halves of the page, its values bound once.
    let from =
        "FROM \"posts\" LEFT JOIN (SELECT * FROM \"comments\" WHERE \"comments\".\"body\" = ?1 \
                AND \"comments\".\"org_id\" = ?2 AND \"comments\".\"deleted_at\" IS NULL) AS \"c\" \
                ON \"c\".\"post_id\" = \"posts\".\"id\" \
                WHERE \"posts\".\"org_id\" = ?3 AND \"posts\".\"deleted_at\" IS NULL";
    assert_eq!(
        statements[1].sql.to_string(),
        format!(
            "SELECT \"posts\".*, (SELECT COUNT(*) {from}) AS \"__roost_total\" {from} \
             LIMIT ?4 OFFSET ?5"
        )
    );
    assert_eq!(
        statements[1].params,
        [T("x".into()), T("a".into()), T("a".into()), I(5), I(0)]
    );
}
