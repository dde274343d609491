//! Shared fixtures for the relation tests: a blog schema with every relation kind, on a
//! fresh in-memory SQLite database per test, plus fast raw seeding.
#![allow(dead_code)]

use roost_orm::prelude::*;
use roost_orm::relations::BelongsToManyRelation;
use roost_orm::SqliteExecutor;

pub const SCHEMA: &str = "
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    bio TEXT
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER REFERENCES users(id),
    title TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX posts_author ON posts(author_id);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    user_id INTEGER REFERENCES users(id),
    body TEXT NOT NULL,
    deleted_at TEXT
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    deleted_at TEXT
);
CREATE TABLE post_tag (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    added_by TEXT,
    created_at TEXT,
    updated_at TEXT
);
";

/// A user: has many posts, has one profile.
pub struct User;
impl User {
    /// TS: `static posts = new HasManyRelation(Post, 'author_id', 'id')`.
    pub const POSTS: HasManyRelation<Post> = HasManyRelation::new("author_id", "id");
    /// TS: `static profile = new HasOneRelation(Profile, 'user_id')`.
    pub const PROFILE: HasOneRelation<Profile> = HasOneRelation::foreign("user_id");
}
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("name")];

    fn relations(r: &mut RelationMap<Self>) {
        r.add("posts", User::POSTS).add("profile", User::PROFILE);
    }
}

/// A profile: belongs to a user.
pub struct Profile;
impl ModelDef for Profile {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<User>("user", "user_id", "id");
    }
}

/// A post: soft deletes; belongs to an author, has many comments, many tags.
pub struct Post;
impl Post {
    /// TS: `static user = new BelongsToRelation(User, 'author_id', 'id')`.
    pub const USER: BelongsToRelation<User> = BelongsToRelation::new("author_id", "id");
    pub const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
    /// Pivot `post_tag` by convention, with an extra column and timestamps.
    pub const TAGS: BelongsToManyRelation<Tag> = BelongsToManyRelation::conventional()
        .with_pivot(&["added_by"])
        .with_timestamps();
}
impl ModelDef for Post {
    const SOFT_DELETES: bool = true;
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("author", Post::USER)
            .add("comments", Post::COMMENTS)
            .add("tags", Post::TAGS);
    }
}

/// A comment: soft deletes; belongs to a post and to its author (a user).
pub struct Comment;
impl ModelDef for Comment {
    const SOFT_DELETES: bool = true;
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Post>("post", "post_id", "id")
            .belongs_to::<User>("author", "user_id", "id");
    }
}

/// A tag: soft deletes; the inverse many-to-many, all names by convention.
pub struct Tag;
impl Tag {
    pub const POSTS: BelongsToManyRelation<Post> = BelongsToManyRelation::conventional();
}
impl ModelDef for Tag {
    const SOFT_DELETES: bool = true;
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("posts", Tag::POSTS);
    }
}

/// A fresh database with the schema, and its `Orm`.
pub fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().expect("in-memory sqlite");
    db.execute_batch(SCHEMA).expect("schema");
    (Orm::new(db.clone()), db)
}

/// Run raw SQL (seeding outside the ORM, so round-trip counts stay the ORM's own).
pub fn raw(db: &SqliteExecutor, sql: &str) {
    db.execute_batch(sql).expect("seed sql");
}

/// `users` users (ids 1..=users), each with `posts` posts (author_id = user id), each
/// with `comments` comments written by user 1. Post ids run user by user.
pub fn seed_blog(db: &SqliteExecutor, users: usize, posts: usize, comments: usize) {
    let mut sql = String::from("BEGIN;");
    for u in 1..=users {
        sql.push_str(&format!(
            "INSERT INTO users (id, name) VALUES ({u}, 'user {u}');"
        ));
    }
    let mut post_id = 0;
    for u in 1..=users {
        for p in 1..=posts {
            post_id += 1;
            sql.push_str(&format!(
                "INSERT INTO posts (id, author_id, title) VALUES ({post_id}, {u}, 'post {u}.{p}');"
            ));
            for c in 1..=comments {
                sql.push_str(&format!(
                    "INSERT INTO comments (post_id, user_id, body) VALUES ({post_id}, 1, 'comment {post_id}.{c}');"
                ));
            }
        }
    }
    sql.push_str("COMMIT;");
    raw(db, &sql);
}

/// The `id` attribute as an integer.
pub fn id<M: ModelDef>(instance: &Instance<M>) -> i64 {
    instance.get_as::<i64>("id").expect("integer id")
}

/// Ids of a list of records.
pub fn ids<M: ModelDef>(instances: &[&Instance<M>]) -> Vec<i64> {
    instances.iter().map(|i| id(*i)).collect()
}
