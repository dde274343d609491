//! The benchmark data set and the raw-rusqlite side of every case.
//!
//! Both sides get their own in-memory database seeded identically: 100 users with 10
//! posts each (1,000 posts). The raw side is what careful hand-written rusqlite code
//! does: one cached prepared statement per query, column names known up front, each row
//! mapped into the shape an [`Instance`](roost_orm::Instance) holds — an
//! `IndexMap<String, serde_json::Value>`.

use indexmap::IndexMap;
use roost_orm::prelude::*;
use roost_orm::relations::RelationMap;
use roost_orm::SqliteExecutor;
use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Params};
use serde_json::Value;

/// One row in the shape an `Instance` holds.
pub type Row = IndexMap<String, Value>;

/// Users in the data set.
pub const USERS: i64 = 100;
/// Posts per user.
pub const POSTS_PER_USER: i64 = 10;

/// The schema both sides run on.
pub const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    bio TEXT,
    created_at TEXT,
    updated_at TEXT
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    published INTEGER NOT NULL DEFAULT 0,
    created_at TEXT,
    updated_at TEXT
);
CREATE INDEX posts_user_id ON posts (user_id);
";

/// Column names of `users`, in table order (hand-written code knows them).
pub const USER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "email",
    "score",
    "bio",
    "created_at",
    "updated_at",
];

/// Column names of `posts`, in table order.
pub const POST_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "title",
    "body",
    "views",
    "published",
    "created_at",
    "updated_at",
];

/// The `users` model.
pub struct User;
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::text("email"),
        Column::integer("score"),
        Column::text("bio").nullable(),
    ];

    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Post>("posts", "user_id", "id");
    }
}

/// Makes users (`UserFactory.count(1000).create()`).
pub struct UserFactory;
impl Factory for UserFactory {
    type Model = User;
    fn definition(&self) -> impl IntoAttributes {
        serde_json::json!({"name": "Factory user", "email": "factory@example.com", "score": 1})
    }
}

/// The `posts` model.
pub struct Post;
impl ModelDef for Post {
    const TABLE: Option<&'static str> = Some("posts");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("user_id"),
        Column::text("title"),
        Column::text("body"),
        Column::integer("views"),
        Column::integer("published"),
    ];
}

/// The whole data set as one SQL script, so every library under test — here and in the
/// peer comparison — loads identical data: the schema, 100 users and 1,000 posts.
#[allow(dead_code)] // the peer crate and benches/instructions.rs seed with it
pub fn seed_script() -> String {
    posts_script(USERS * POSTS_PER_USER)
}

/// The schema, the 100 users and `posts` posts (10 per user, the users taken in turn
/// once there are more than 1,000), written by recursive CTEs in one transaction.
/// The first 1,000 posts are the same at every size.
pub fn posts_script(posts: i64) -> String {
    let ts = "2026-01-01T00:00:00.000Z";
    format!(
        "{SCHEMA}
BEGIN;
WITH RECURSIVE n(u) AS (SELECT 1 UNION ALL SELECT u + 1 FROM n WHERE u < {USERS})
INSERT INTO users (name, email, score, bio, created_at, updated_at)
SELECT 'User ' || u, 'user' || u || '@example.com', u * 7 % 100,
       'Bio of user ' || u || ', who writes about databases.', '{ts}', '{ts}'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {posts}),
  k(u, p) AS (SELECT (i - 1) / {POSTS_PER_USER} % {USERS} + 1, (i - 1) % {POSTS_PER_USER} FROM n),
  b(u, p, body) AS (SELECT u, p, 'Body of post ' || p || ' by user ' || u || '. ' FROM k)
INSERT INTO posts (user_id, title, body, views, published, created_at, updated_at)
SELECT u, 'Post ' || p || ' by user ' || u, body || body || body || body,
       (u * 31 + p * 17) % 1000, (u + p) % 2, '{ts}', '{ts}'
FROM b;
COMMIT;
"
    )
}

/// A raw connection on a freshly seeded in-memory database.
pub fn raw_db() -> Connection {
    raw_db_with(USERS * POSTS_PER_USER)
}

/// A raw connection on a freshly seeded in-memory database with `posts` posts.
pub fn raw_db_with(posts: i64) -> Connection {
    let conn = Connection::open_in_memory().expect("sqlite");
    // The same engine settings as the ORM's executor: cached statements, and the query
    // planner stability guarantee (without it a bound LIMIT re-prepares every run).
    conn.set_prepared_statement_cache_capacity(256);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .expect("qpsg");
    conn.execute_batch(&posts_script(posts)).expect("seed");
    conn
}

/// An `Orm` on a freshly seeded in-memory database.
pub fn orm_db() -> Orm {
    orm_and_db().0
}

/// An `Orm` on a freshly seeded in-memory database, and that database.
pub fn orm_and_db() -> (Orm, SqliteExecutor) {
    orm_and_db_with(USERS * POSTS_PER_USER)
}

/// An `Orm` on a freshly seeded in-memory database with `posts` posts, and that database.
pub fn orm_and_db_with(posts: i64) -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().expect("sqlite");
    db.execute_batch(&posts_script(posts)).expect("seed");
    (Orm::new(db.clone()), db)
}

/// A stored value as JSON: the mapping the ORM's SQLite executor applies.
pub fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ValueRef::Text(t) => Value::String(match std::str::from_utf8(t) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
        ValueRef::Blob(b) => Value::Array(b.iter().map(|x| Value::from(*x)).collect()),
    }
}

/// Run a cached statement and map each row into a [`Row`] keyed by `columns`.
pub fn query(conn: &Connection, sql: &str, columns: &[&str], params: impl Params) -> Vec<Row> {
    let mut stmt = conn.prepare_cached(sql).expect("prepare");
    let mut rows = stmt.query(params).expect("query");
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("step") {
        out.push(map_row(row, columns));
    }
    out
}

/// One row into a [`Row`].
pub fn map_row(row: &rusqlite::Row<'_>, columns: &[&str]) -> Row {
    let mut map = Row::with_capacity(columns.len());
    for (i, name) in columns.iter().enumerate() {
        map.insert(
            (*name).to_string(),
            to_json(row.get_ref(i).expect("column")),
        );
    }
    map
}

/// A `users` row as a struct: what hand-written rusqlite code maps into, and the target
/// of the ORM's typed reads (`find_as::<UserRow>`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub score: i64,
    pub bio: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A `posts` row as a struct.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct PostRow {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: String,
    pub views: i64,
    pub published: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A `users` row into a [`UserRow`] by hand (`row.get` by position).
pub fn user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        score: row.get(3)?,
        bio: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

/// A `posts` row into a [`PostRow`] by hand.
pub fn post_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostRow> {
    Ok(PostRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        views: row.get(4)?,
        published: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

/// Run a cached statement and map each row into a struct with `map`.
pub fn query_as<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    let mut stmt = conn.prepare_cached(sql).expect("prepare");
    let mut rows = stmt.query(params).expect("query");
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("step") {
        out.push(map(row).expect("row"));
    }
    out
}
