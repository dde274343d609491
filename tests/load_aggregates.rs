//! Relation aggregates loaded onto records already fetched (`load_count`,
//! `load_exists`, `load_aggregates`): one statement, clean attributes, the related
//! scopes applied, and mistakes before any SQL.
mod relations_common;

use relations_common::{id, orm, raw, Comment, Post, User};
use roost_orm::prelude::*;
use roost_orm::relations::{load_aggregates, load_count, load_exists};
use roost_orm::MockExecutor;
use serde_json::json;

/// Users 1..=3; user 1 has posts 1 and 2 (2 soft-deleted), user 2 post 3. Post 1 has
/// comments by users 2 and 3; post 3 one soft-deleted comment.
fn seed(db: &roost_orm::SqliteExecutor) {
    raw(
        db,
        "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
         INSERT INTO posts (id, author_id, title, deleted_at) VALUES
           (1, 1, 'one', NULL), (2, 1, 'two', '2026-01-01'), (3, 2, 'three', NULL);
         INSERT INTO comments (id, post_id, user_id, body, deleted_at) VALUES
           (1, 1, 2, 'approved', NULL), (2, 1, 3, 'meh', NULL),
           (3, 3, 1, 'approved', '2026-01-01');",
    );
}

#[tokio::test]
async fn load_count_sets_clean_attributes_in_one_statement() {
    let (orm, db) = orm();
    seed(&db);
    orm.scope(async {
        let mut users = User::query().order_by_asc("id").all().await.unwrap();
        let before = orm.statements();
        load_count(&mut users, ["posts", "posts as total"])
            .await
            .unwrap();
        assert_eq!(
            orm.statements() - before,
            1,
            "one statement for every record"
        );
        let counts: Vec<i64> = users
            .iter()
            .map(|u| u.get_as("posts_count").unwrap())
            .collect();
        assert_eq!(counts, [1, 1, 0], "the soft-deleted post is not counted");
        assert_eq!(users[0].get("total"), Some(&json!(1)));
        assert!(
            users.iter().all(|u| !u.is_dirty()),
            "loaded counts are clean: a save does not write them"
        );
        let before = orm.statements();
        users[0].set("name", "ann2");
        users[0].save().await.unwrap();
        assert_eq!(orm.statements() - before, 1);
        let stored = User::find_or_fail(1).await.unwrap();
        assert_eq!(stored.get("name"), Some(&json!("ann2")));
        assert_eq!(stored.get("posts_count"), None);

        // On one record, with exists and a constrained count.
        let mut post = Post::find_or_fail(1).await.unwrap();
        post.load_exists(["comments", "author"]).await.unwrap();
        assert_eq!(
            (post.get("comments_exists"), post.get("author_exists")),
            (Some(&json!(true)), Some(&json!(true)))
        );
        post.load_aggregates(|q| {
            q.with_count_where("comments as approved", |c: QueryBuilder<Comment>| {
                c.where_("body", "approved")
            })
            .with_max("comments", "user_id")
        })
        .await
        .unwrap();
        assert_eq!(post.get("approved"), Some(&json!(1)));
        assert_eq!(post.get("comments_max_user_id"), Some(&json!(3)));
        let body = serde_json::to_value(&post).unwrap();
        assert_eq!(
            body["approved"],
            json!(1),
            "serialized beside the attributes"
        );

        // A soft-deleted record fetched with_trashed still gets its count.
        let mut trashed = Post::query().with_trashed().find(2).await.unwrap().unwrap();
        trashed.load_count(["comments"]).await.unwrap();
        assert_eq!(trashed.get("comments_count"), Some(&json!(0)));
        let mut live = Post::query()
            .with_trashed()
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        load_exists(&mut live, ["comments"]).await.unwrap();
        let exists: Vec<bool> = live
            .iter()
            .map(|p| p.get_as("comments_exists").unwrap())
            .collect();
        assert_eq!(
            exists,
            [true, false, false],
            "post 3's only comment is trashed"
        );
    })
    .await;
}

#[tokio::test]
async fn load_count_mistakes_fail_before_any_sql() {
    let (orm, db) = orm();
    seed(&db);
    orm.scope(async {
        let mut users = User::query().all().await.unwrap();
        let mut comments = Comment::query().all().await.unwrap();
        let sent = orm.statements();
        let err = load_count(&mut users, ["postz"]).await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        let err = load_aggregates(&mut users, |q| q.with_count(["posts"]).where_("id", 1))
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{err:?}");
        let err = load_aggregates(&mut users, |q| q.with_count(["posts"]).or_where("id", 9))
            .await
            .unwrap_err();
        assert!(
            matches!(err, OrmError::InvalidQuery(_)),
            "an OR would widen the read"
        );
        let err = load_aggregates(&mut comments, |q| q.with_sum("author", "nope"))
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        // No record with a key: nothing to read, but the names are still checked.
        let mut fresh = vec![Instance::<User>::from_attributes(json!({"name": "new"})).unwrap()];
        let err = load_count(&mut fresh, ["postz"]).await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        load_count(&mut fresh, ["posts"]).await.unwrap();
        assert_eq!(fresh[0].get("posts_count"), None);
        load_count(&mut Vec::<Instance<User>>::new(), ["posts"])
            .await
            .unwrap();
        assert_eq!(orm.statements(), sent);
        assert!(users.iter().all(|u| u.get("posts_count").is_none()));
        assert_eq!(users.iter().map(id).count(), 3);
    })
    .await;
}

#[tokio::test]
async fn load_count_sql_is_pinned() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        let mut users = vec![
            Instance::<User>::from_attributes(json!({"id": 1})).unwrap(),
            Instance::<User>::from_attributes(json!({"id": 2})).unwrap(),
            Instance::<User>::from_attributes(json!({"id": 1})).unwrap(),
        ];
        load_count(&mut users, ["posts"]).await.unwrap();
    })
    .await;
    let sent = &mock.statements()[0];
    assert_eq!(
        sent.sql.to_string(),
        "SELECT \"users\".\"id\", (SELECT COUNT(*) FROM \"posts\" WHERE \"posts\".\"author_id\" = \
         \"users\".\"id\" AND \"posts\".\"deleted_at\" IS NULL) AS \"posts_count\" FROM \"users\" \
         WHERE \"users\".\"id\" IN (SELECT value FROM json_each(?))"
    );
    assert_eq!(
        sent.params.len(),
        1,
        "keys bind once, deduplicated: {:?}",
        sent.params
    );
}
