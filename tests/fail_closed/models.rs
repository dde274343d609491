//! The schema of the fail-closed property, its models and the per-thread fixture.

use std::sync::Arc;

use roost_orm::prelude::*;
use roost_orm::relations::BelongsToManyRelation;
use roost_orm::SqliteExecutor;

use super::checker::{CheckingExecutor, Checks, Schema};

pub struct Gadget;
impl ModelDef for Gadget {
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::boolean("flag"),
        Column::json("meta").nullable(),
        Column::integer("qty"),
        Column::blob("data").nullable(),
    ];
}

pub struct Note;
impl ModelDef for Note {}

pub struct Post;
impl Post {
    pub const AUTHOR: BelongsToRelation<Author> = BelongsToRelation::new("author_id", "id");
    pub const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
    pub const TAGS: BelongsToManyRelation<Tag> =
        BelongsToManyRelation::conventional().with_pivot(&["role"]);
}
impl ModelDef for Post {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("comments", Post::COMMENTS)
            .add("author", Post::AUTHOR)
            .add("tags", Post::TAGS);
    }
}

pub struct BadTenant;
impl ModelDef for BadTenant {
    const TABLE: Option<&'static str> = Some("posts");
    const TENANT_COLUMN: Option<&'static str> = Some("org-id");
    const SOFT_DELETES: bool = true;
}

pub struct Comment;
impl ModelDef for Comment {
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("post_id"),
        Column::text("body"),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Post>("post", "post_id", "id");
    }
}

pub struct Author;
impl ModelDef for Author {
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Post>("posts", "author_id", "id");
    }
}

pub struct Tag;
impl ModelDef for Tag {
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("name")];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to_many::<Post>("posts", "post_tag", "tag_id", "post_id");
    }
}

pub const SCHEMA: &str = "
CREATE TABLE gadgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', flag INTEGER NOT NULL DEFAULT 0,
  meta TEXT, qty INTEGER NOT NULL DEFAULT 0, data BLOB, created_at TEXT, updated_at TEXT);
CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT, rank INTEGER, created_at TEXT, updated_at TEXT);
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, author_id INTEGER, title TEXT,
  views INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, body TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE post_tag (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, role TEXT);
CREATE TABLE canary (id INTEGER PRIMARY KEY, secret TEXT NOT NULL);
INSERT INTO canary VALUES (1, 'alpha'), (2, 'bodyy'), (3, 'x');";

/// The mapped tables' rows, restored before every case.
pub const SEED: &str = "
DELETE FROM gadgets; DELETE FROM notes; DELETE FROM authors; DELETE FROM posts;
DELETE FROM comments; DELETE FROM tags; DELETE FROM post_tag;
INSERT INTO gadgets VALUES (1, 'alpha', 1, '{\"a\":1}', 3, NULL, NULL, NULL), (2, 'x', 0, NULL, 0, x'00ff', NULL, NULL),
  (3, 'id', 1, '[1,2]', 9, NULL, NULL, NULL);
INSERT INTO notes VALUES (1, 'alpha', 'bodyy', 1, NULL, NULL), (2, 'x', 'b', 2, NULL, NULL), (3, 't1', NULL, NULL, NULL, NULL);
INSERT INTO authors VALUES (1, 'alpha', NULL, NULL), (2, 'x', NULL, NULL);
INSERT INTO posts VALUES (1, 't1', 1, 'alpha', 1, NULL, NULL, NULL), (2, 't1', 2, 'x', 0, NULL, NULL, NULL),
  (3, 't2', 1, 'alpha', 5, NULL, NULL, NULL), (4, 't1', NULL, 'gone', 2, NULL, NULL, '2020-01-01'),
  (5, 't2', 2, 'x', 7, NULL, NULL, '2020-01-01');
INSERT INTO comments VALUES (1, 1, 'alpha', NULL, NULL), (2, 1, 'x', NULL, NULL), (3, 3, 'b', NULL, NULL), (4, 4, 'c', NULL, NULL);
INSERT INTO tags VALUES (1, 'alpha', NULL, NULL), (2, 'x', NULL, NULL), (3, 't1', NULL, NULL);
INSERT INTO post_tag VALUES (1, 1, 'a'), (1, 2, NULL), (3, 1, 'b'), (4, 3, NULL);";

/// Rows of a table (or the schema), as text, straight from SQLite.
pub fn dump(db: &SqliteExecutor, sql: &str) -> Vec<String> {
    db.with_connection(|c| {
        let mut s = c.prepare(sql).unwrap();
        let n = s.column_count();
        s.query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .map(|r| format!("{:?}", r.unwrap()))
        .collect()
    })
}

pub const MASTER: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name";
pub const CANARY: &str = "SELECT * FROM canary ORDER BY id";

pub struct Fixture {
    pub db: SqliteExecutor,
    pub app: Orm,
    pub checker: Arc<CheckingExecutor>,
    pub checks: Arc<Checks>,
    pub schema: Arc<Schema>,
    pub master: Vec<String>,
    pub canary: Vec<String>,
}

impl Fixture {
    pub fn new() -> Fixture {
        let db = SqliteExecutor::memory().unwrap();
        db.execute_batch(SCHEMA).unwrap();
        let schema = Arc::new(Schema::read(&db));
        let checks = Arc::new(Checks::default());
        let checker = Arc::new(CheckingExecutor::new(
            db.clone(),
            schema.clone(),
            checks.clone(),
        ));
        Fixture {
            app: Orm::new(checker.clone()),
            master: dump(&db, MASTER),
            canary: dump(&db, CANARY),
            db,
            checker,
            checks,
            schema,
        }
    }
}
