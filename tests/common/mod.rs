//! Shared fixtures: a blog schema on a fresh in-memory SQLite database per test.
#![allow(dead_code)]

use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;

pub const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    admin INTEGER NOT NULL DEFAULT 0,
    settings TEXT,
    created_at TEXT,
    updated_at TEXT
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER REFERENCES users(id),
    title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft',
    views INTEGER NOT NULL DEFAULT 0,
    published INTEGER NOT NULL DEFAULT 0,
    meta TEXT,
    created_at TEXT,
    updated_at TEXT,
    deleted_at TEXT
);
CREATE TABLE post_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL,
    body TEXT NOT NULL
);
";

/// A user: timestamps on, declared columns with casts.
pub struct User;
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::text("email"),
        Column::boolean("admin").default("0"),
        Column::json("settings").nullable(),
    ];
}

/// A post: soft deletes, boolean and json casts.
pub struct Post;
impl ModelDef for Post {
    const SOFT_DELETES: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("author_id").nullable(),
        Column::text("title"),
        Column::text("status"),
        Column::integer("views"),
        Column::boolean("published"),
        Column::json("meta").nullable(),
    ];
}

/// A comment: derived table name (`post_comments`), no timestamps, no column list.
pub struct PostComment;
impl ModelDef for PostComment {
    const TIMESTAMPS: bool = false;
}

/// A fresh database with the schema, and its `Orm`.
pub fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().expect("in-memory sqlite");
    db.execute_batch(SCHEMA).expect("schema");
    (Orm::new(db.clone()), db)
}

/// Rows in a table, read straight from SQLite (not through the ORM).
pub fn raw_count(db: &SqliteExecutor, table: &str) -> i64 {
    db.with_connection(|c| {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    })
}
