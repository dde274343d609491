//! Factories with related rows: `for_parent` and `has`, one round trip per level.
//! Own schema and model types (default foreign keys: `user_id`, `post_id`).

use std::sync::{Arc, Mutex};

use roost_orm::prelude::*;
use roost_orm::relations::{BelongsToRelation, HasManyRelation, HasOneRelation};
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL
);
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
    bio TEXT
);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    body TEXT NOT NULL
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL
);
";

macro_rules! model {
    ($model:ident, $factory:ident, $definition:expr) => {
        struct $model;
        impl ModelDef for $model {
            const TIMESTAMPS: bool = false;
        }
        struct $factory;
        impl Factory for $factory {
            type Model = $model;
            fn definition(&self) -> impl IntoAttributes {
                $definition
            }
        }
    };
}

model!(User, UserFactory, json!({"name": "Ada"}));
model!(Post, PostFactory, json!({"title": "Hello"}));
model!(Profile, ProfileFactory, json!({"bio": "hi"}));
model!(Comment, CommentFactory, json!({"body": "nice"}));
model!(Article, ArticleFactory, json!({"title": "News"}));

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().expect("in-memory sqlite");
    db.execute_batch(SCHEMA).expect("schema");
    (Orm::new(db.clone()), db)
}

fn count(db: &SqliteExecutor, sql: &str) -> i64 {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get(0)).unwrap())
}

#[tokio::test]
async fn a_user_with_three_posts_is_two_round_trips() {
    let (orm, db) = orm();
    let user = orm
        .scope(UserFactory.has(PostFactory.count(3)).create_one())
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 2);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM posts WHERE user_id = 1"),
        3
    );
    // The children are attached under the child table's name, and serialize nested.
    let body = serde_json::to_value(&user).unwrap();
    assert_eq!(body["name"], json!("Ada"));
    let posts = body["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| p["user_id"] == json!(1)));
    assert_eq!(posts[2]["id"], json!(3));
}

#[tokio::test]
async fn many_parents_with_children_and_siblings_share_round_trips() {
    let (orm, db) = orm();
    // users; posts + profiles; comments.
    let users = orm
        .scope(async {
            let before = Orm::current().unwrap().round_trips();
            let users = UserFactory
                .count(10)
                .has(
                    PostFactory
                        .count(3)
                        .has(CommentFactory.count(2))
                        .sequence_fn(|i| json!({"title": format!("post {i}")})),
                )
                .has(ProfileFactory.builder())
                .create()
                .await
                .unwrap();
            assert_eq!(Orm::current().unwrap().round_trips() - before, 3);
            users
        })
        .await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users"), 10);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM posts"), 30);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM profiles"), 10);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM comments"), 60);
    // Every child points at its own parent.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT p.user_id FROM comments c
             JOIN posts p ON p.id = c.post_id GROUP BY p.user_id HAVING COUNT(*) = 6)"
        ),
        10
    );
    for user in &users {
        let body = serde_json::to_value(user).unwrap();
        let posts = body["posts"].as_array().unwrap();
        assert_eq!(posts.len(), 3);
        // The sequence index restarts per parent, as Laravel's `has` does.
        let titles: Vec<&Value> = posts.iter().map(|p| &p["title"]).collect();
        assert_eq!(
            titles,
            [&json!("post 0"), &json!("post 1"), &json!("post 2")]
        );
        for post in posts {
            assert_eq!(post["user_id"], body["id"]);
            let comments = post["comments"].as_array().unwrap();
            assert_eq!(comments.len(), 2);
            assert!(comments.iter().all(|c| c["post_id"] == post["id"]));
        }
        assert_eq!(body["profiles"][0]["user_id"], body["id"]);
    }
}

#[tokio::test]
async fn posts_for_a_given_user_are_one_round_trip() {
    let (orm, db) = orm();
    orm.scope(async {
        let user = UserFactory.create_one().await.unwrap();
        let other = UserFactory.create_one().await.unwrap();
        let orm = Orm::current().unwrap();
        let before = orm.round_trips();
        let posts = PostFactory
            .count(4)
            .for_parent(&user)
            .create()
            .await
            .unwrap();
        assert_eq!(orm.round_trips() - before, 1);
        assert!(posts.iter().all(|p| p.get("user_id") == user.key()));
        // A foreign key named explicitly; the parent's key wins over states.
        let articles = ArticleFactory
            .count(2)
            .for_parent_via(&other, "author_id")
            .state_attrs(json!({"author_id": 999}))
            .create()
            .await
            .unwrap();
        assert!(articles
            .iter()
            .all(|a| a.get("author_id") == Some(&json!(2))));
        // has_via, with a named key.
        let third = UserFactory
            .has_via(ArticleFactory.count(2), "author_id")
            .create_one()
            .await
            .unwrap();
        let body = serde_json::to_value(&third).unwrap();
        assert_eq!(body["articles"].as_array().unwrap().len(), 2);
        assert_eq!(body["articles"][1]["author_id"], json!(3));
    })
    .await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM posts WHERE user_id = 1"),
        4
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM articles WHERE author_id = 2"),
        2
    );
}

#[tokio::test]
async fn a_parent_without_a_key_is_an_error() {
    let (orm, db) = orm();
    let unsaved = UserFactory.make_one().unwrap();
    let err = orm
        .scope(PostFactory.for_parent(&unsaved).create())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        OrmError::MissingPrimaryKey {
            model: "User",
            key: "id"
        }
    );
    assert!(PostFactory.for_parent(&unsaved).make().is_err());
    assert_eq!(orm.round_trips(), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM posts"), 0);
}

#[tokio::test]
async fn make_does_not_make_children() {
    let users = UserFactory
        .count(2)
        .has(PostFactory.count(3))
        .make()
        .unwrap();
    assert_eq!(users.len(), 2);
    let body = serde_json::to_value(&users[0]).unwrap();
    assert!(body.get("posts").is_none());
}

#[tokio::test]
async fn a_failing_child_level_leaves_the_parents_written() {
    // Documented: each level is atomic on its own.
    let (orm, db) = orm();
    let err = orm
        .scope(
            UserFactory
                .count(3)
                .has(PostFactory.count(2).state_attrs(json!({"title": null})))
                .create(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OrmError::Database { message, .. } if message.contains("NOT NULL")
            && message.contains("the 3 rows of earlier levels stay written")),
        "{err:?}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users"), 3);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM posts"), 0);
}

#[tokio::test]
async fn after_creating_runs_once_children_are_attached() {
    let (orm, _db) = orm();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    orm.scope(
        UserFactory
            .count(2)
            .has(PostFactory.count(2))
            .after_creating(move |u: &mut Instance<User>| {
                let posts = serde_json::to_value(&*u).unwrap()["posts"]
                    .as_array()
                    .map(Vec::len);
                s.lock().unwrap().push(posts);
            })
            .create(),
    )
    .await
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), [Some(2), Some(2)]);
}

#[tokio::test]
async fn children_of_no_parents_send_nothing_more() {
    let (orm, _db) = orm();
    orm.scope(UserFactory.count(2).has(PostFactory.count(0)).create())
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1);
}

/// Users declaring their relations, for `has_relation` / `for_relation`.
struct Author;
impl Author {
    const ARTICLES: HasManyRelation<Article> = HasManyRelation::new("author_id", "id");
    const PROFILE: HasOneRelation<Profile> = HasOneRelation::new("user_id", "id");
}
impl ModelDef for Author {
    const TABLE: Option<&'static str> = Some("users");
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("written", Author::ARTICLES);
    }
}
struct AuthorFactory;
impl Factory for AuthorFactory {
    type Model = Author;
    fn definition(&self) -> impl IntoAttributes {
        json!({"name": "Grace"})
    }
}
const ARTICLE_AUTHOR: BelongsToRelation<Author> = BelongsToRelation::new("author_id", "id");

#[tokio::test]
async fn declared_relations_give_keys_and_names() {
    let (orm, db) = orm();
    orm.scope(async {
        let authors = AuthorFactory
            .count(2)
            .has_relation(Author::ARTICLES, ArticleFactory.count(3))
            .has_relation(Author::PROFILE, ProfileFactory.builder())
            .create()
            .await
            .unwrap();
        assert_eq!(Orm::current().unwrap().round_trips(), 2);
        for author in &authors {
            // Attached under the declared name, typed.
            let written = author.related::<Article>("written").unwrap();
            assert_eq!(written.len(), 3);
            assert!(written.iter().all(|a| a.get("author_id") == author.key()));
            // Has-one: one record, under the related model's snake-case name.
            let profile = author.related_one::<Profile>("profile").unwrap().unwrap();
            assert_eq!(profile.get("user_id"), author.key());
        }
        // Eager loading by the same name finds the same rows.
        let loaded = Author::with(["written"]).find_or_fail(2).await.unwrap();
        assert_eq!(loaded.related::<Article>("written").unwrap().len(), 3);

        let more = ArticleFactory
            .count(2)
            .for_relation(ARTICLE_AUTHOR, &authors[0])
            .create()
            .await
            .unwrap();
        assert!(more.iter().all(|a| a.get("author_id") == Some(&json!(1))));
    })
    .await;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM articles WHERE author_id = 1"),
        5
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM profiles"), 2);
}
