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

/// The whole data set as one SQL script (schema, then the rows in one transaction), so
/// every library under test — here and in the peer comparison — loads identical data.
pub fn seed_script() -> String {
    let ts = "2026-01-01T00:00:00.000Z";
    let mut sql = String::from(SCHEMA);
    sql.push_str("BEGIN;\n");
    for u in 1..=USERS {
        sql.push_str(&format!(
            "INSERT INTO users (name, email, score, bio, created_at, updated_at) \
             VALUES ('User {u}', 'user{u}@example.com', {}, \
             'Bio of user {u}, who writes about databases.', '{ts}', '{ts}');\n",
            u * 7 % 100
        ));
        for p in 0..POSTS_PER_USER {
            sql.push_str(&format!(
                "INSERT INTO posts (user_id, title, body, views, published, created_at, updated_at) \
                 VALUES ({u}, 'Post {p} by user {u}', '{}', {}, {}, '{ts}', '{ts}');\n",
                format!("Body of post {p} by user {u}. ").repeat(4),
                (u * 31 + p * 17) % 1000,
                (u + p) % 2
            ));
        }
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// A raw connection on a freshly seeded in-memory database.
pub fn raw_db() -> Connection {
    let conn = Connection::open_in_memory().expect("sqlite");
    // The same engine settings as the ORM's executor: cached statements, and the query
    // planner stability guarantee (without it a bound LIMIT re-prepares every run).
    conn.set_prepared_statement_cache_capacity(256);
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .expect("qpsg");
    conn.execute_batch(&seed_script()).expect("seed");
    conn
}

/// An `Orm` on a freshly seeded in-memory database.
pub fn orm_db() -> Orm {
    orm_and_db().0
}

/// An `Orm` on a freshly seeded in-memory database, and that database.
pub fn orm_and_db() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().expect("sqlite");
    db.execute_batch(&seed_script()).expect("seed");
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
