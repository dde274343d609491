//! Querying by relations (`has`, `doesnt_have`, `where_has`, `where_doesnt_have`,
//! `where_relation`, nested paths) on the real engine, and the SQL they send.
mod relations_common;

use relations_common::{id, orm, raw, Comment, Post, Tag, User};
use roost_orm::prelude::*;
use roost_orm::{MockExecutor, SqlValue};

fn ids<M: ModelDef>(rows: &[Instance<M>]) -> Vec<i64> {
    rows.iter().map(id).collect()
}

/// Users 1..=3; user 1 has posts 1, 2 (post 2 soft-deleted), user 2 post 3, user 3
/// none. Post 1 has comments 1 (approved) and 2; post 3 comment 3 (soft-deleted), post 2
/// comment 4. Post 1 is tagged `rust`, post 3 `d1` (soft-deleted tag).
fn seed(db: &roost_orm::SqliteExecutor) {
    raw(
        db,
        "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
         INSERT INTO posts (id, author_id, title, deleted_at) VALUES
           (1, 1, 'one', NULL), (2, 1, 'two', '2026-01-01'), (3, 2, 'three', NULL);
         INSERT INTO comments (id, post_id, user_id, body, deleted_at) VALUES
           (1, 1, 2, 'approved', NULL), (2, 1, 3, 'meh', NULL),
           (3, 3, 1, 'approved', '2026-01-01'), (4, 2, 1, 'approved', NULL);
         INSERT INTO tags (id, name, deleted_at) VALUES (1, 'rust', NULL), (2, 'd1', '2026-01-01');
         INSERT INTO post_tag (post_id, tag_id) VALUES (1, 1), (3, 2);",
    );
}

#[tokio::test]
async fn existence_counts_and_nesting_apply_the_related_scopes() {
    let (orm, db) = orm();
    seed(&db);
    orm.scope(async {
        let all =
            |q: QueryBuilder<User>| async move { ids(&q.order_by_asc("id").all().await.unwrap()) };
        // Post 2 is soft-deleted: only live posts count.
        assert_eq!(all(User::query().has("posts", ">=", 1)).await, [1, 2]);
        assert_eq!(all(User::query().doesnt_have("posts")).await, [3]);
        assert_eq!(
            all(User::query().has("posts", ">=", 2)).await,
            Vec::<i64>::new()
        );
        assert_eq!(all(User::query().has("posts", "=", 1)).await, [1, 2]);
        assert_eq!(all(User::query().has("posts", "<", 1)).await, [3]);
        // Comment 3 is soft-deleted and comment 4 is on a soft-deleted post.
        assert_eq!(all(User::query().has("posts.comments", ">=", 1)).await, [1]);
        assert_eq!(all(User::query().has("posts.comments", ">=", 2)).await, [1]);
        assert_eq!(
            all(User::query().has("posts.comments", ">=", 3)).await,
            Vec::<i64>::new()
        );
        // A constraint on the last level.
        let approved = |q: QueryBuilder<Comment>| q.where_("body", "approved");
        assert_eq!(
            all(User::query().where_has("posts.comments", approved)).await,
            [1]
        );
        let approved_trashed =
            |q: QueryBuilder<Comment>| q.where_("body", "approved").with_trashed();
        assert_eq!(
            all(User::query().where_has("posts.comments", approved_trashed)).await,
            [1, 2],
            "with_trashed in the constraint lifts the comments' soft delete only"
        );
        assert_eq!(
            all(User::query().where_doesnt_have("posts.comments", approved)).await,
            [2, 3]
        );
        // OR forms stay inside the caller's group.
        assert_eq!(
            all(User::where_("name", "cy")
                .or_where_has("posts", |q: QueryBuilder<Post>| q.where_("title", "three")))
            .await,
            [2, 3]
        );
        assert_eq!(
            all(User::where_("name", "ann").or_doesnt_have("posts")).await,
            [1, 3]
        );
        assert_eq!(
            all(User::where_("name", "bob").or_has("posts", ">", 5)).await,
            [2]
        );
        // where_relation: the related model's column, its value bound.
        assert_eq!(
            all(User::query().where_relation("posts", "title", "=", "three")).await,
            [2]
        );
        assert_eq!(
            all(User::where_("id", 1).or_where_relation("posts", "title", "like", "thr%")).await,
            [1, 2]
        );
        // Counted with a constraint.
        let any = |q: QueryBuilder<Comment>| q.where_op("id", ">", 0);
        let posts: Vec<i64> = ids(&Post::query()
            .where_has_count("comments", any, ">=", 2)
            .all()
            .await
            .unwrap());
        assert_eq!(posts, [1]);
        // Many-to-many through the pivot; the tag's soft delete applies.
        let tagged: Vec<i64> = ids(&Post::query().has("tags", ">=", 1).all().await.unwrap());
        assert_eq!(tagged, [1]);
        let by_tag: Vec<i64> = ids(&Tag::query()
            .with_trashed()
            .where_has("posts", |q: QueryBuilder<Post>| q.where_("title", "three"))
            .all()
            .await
            .unwrap());
        assert_eq!(by_tag, [2]);
        // Belongs-to: comments whose post is live.
        let on_live: Vec<i64> = ids(&Comment::query()
            .has("post", ">=", 1)
            .order_by_asc("id")
            .all()
            .await
            .unwrap());
        assert_eq!(on_live, [1, 2]);
        // Every terminal: count, paginate, first, mass update.
        assert_eq!(
            User::query().has("posts", ">=", 1).count().await.unwrap(),
            2
        );
        let page = User::query()
            .doesnt_have("posts")
            .paginate(1, 10)
            .await
            .unwrap();
        assert_eq!((page.total, ids(&page.data)), (1, vec![3]));
        let changed = User::query()
            .doesnt_have("posts")
            .update(serde_json::json!({"name": "idle"}))
            .await
            .unwrap();
        assert_eq!(changed, 1);
        assert_eq!(User::where_("name", "idle").count().await.unwrap(), 1);
        // A nested where_has inside a constraint.
        let with_approved = |q: QueryBuilder<Post>| {
            q.where_has("comments", |c: QueryBuilder<Comment>| {
                c.where_("body", "approved")
            })
        };
        assert_eq!(
            all(User::query().where_has("posts", with_approved)).await,
            [1]
        );
        // And inside an eager-load constraint.
        let users = User::query()
            .with_constraint("posts", |q: QueryBuilder<Post>| q.has("comments", ">=", 1))
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        let loaded: Vec<usize> = users
            .iter()
            .map(|u| u.related::<Post>("posts").unwrap().len())
            .collect();
        assert_eq!(loaded, [1, 0, 0]);
    })
    .await;
}

#[tokio::test]
async fn mistakes_fail_before_any_sql() {
    let (orm, db) = orm();
    seed(&db);
    orm.scope(async {
        let sent = orm.statements();
        let err = User::query().has("postz", ">=", 1).all().await.unwrap_err();
        assert!(matches!(&err, OrmError::InvalidRelation { relation, .. } if relation == "postz"), "{err:?}");
        let err = User::query().has("posts.commentz", ">=", 1).count().await.unwrap_err();
        assert!(matches!(&err, OrmError::InvalidRelation { model: "Post", relation } if relation == "commentz"), "{err:?}");
        let err = User::query().where_has("posts", |q: QueryBuilder<Comment>| q.where_("body", "x")).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        // A related model with declared columns: a typo is caught before SQL.
        let err = Comment::query().where_has("author", |q: QueryBuilder<User>| q.where_("nmae", "x")).all().await.unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        let err = Comment::query().where_relation("post.author", "nope", "=", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        let err = User::query().has("posts", "like", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidOperator(_)), "{err:?}");
        let err = User::query().has("posts", "~", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidOperator(_)), "{err:?}");
        let err = User::query().where_has("posts", |q: QueryBuilder<Post>| q.limit(1)).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        let err = User::query().has("", ">=", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        let err = User::query().has("posts..comments", ">=", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        assert_eq!(orm.statements(), sent, "no statement sent");
        // Without declared columns, a typo is SQLite's error (qualified names are never
        // read as strings): it fails, it never matches.
        let err = User::query().where_has("posts", |q: QueryBuilder<Post>| q.where_("titel", "x")).all().await.unwrap_err();
        assert!(matches!(&err, OrmError::Database { message, .. } if message.contains("no such column")), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn the_sql_is_one_correlated_subquery_per_level() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        User::query()
            .where_("name", "ann")
            .or_where_has("posts.comments", |q: QueryBuilder<Comment>| {
                q.where_("body", "ok")
            })
            .all()
            .await
            .unwrap();
        User::query()
            .has("posts", ">", 2)
            .doesnt_have("profile")
            .all()
            .await
            .unwrap();
        Post::query().has("tags", ">=", 1).all().await.unwrap();
    })
    .await;
    use SqlValue::{Integer as I, Text as T};
    let statements = mock.statements();
    assert_eq!(
        statements[0].sql.to_string(),
        "SELECT * FROM \"users\" WHERE \"users\".\"name\" = ? OR EXISTS (SELECT 1 FROM \"posts\" \
         WHERE \"posts\".\"author_id\" = \"users\".\"id\" AND EXISTS (SELECT 1 FROM \"comments\" \
         WHERE \"comments\".\"post_id\" = \"posts\".\"id\" AND (\"comments\".\"body\" = ?) \
         AND \"comments\".\"deleted_at\" IS NULL) AND \"posts\".\"deleted_at\" IS NULL)"
    );
    assert_eq!(statements[0].params, [T("ann".into()), T("ok".into())]);
    assert_eq!(
        statements[1].sql.to_string(),
        "SELECT * FROM \"users\" WHERE (SELECT COUNT(*) FROM \"posts\" WHERE \"posts\".\"author_id\" = \"users\".\"id\" \
         AND \"posts\".\"deleted_at\" IS NULL) > ? AND NOT EXISTS (SELECT 1 FROM \"profiles\" \
         WHERE \"profiles\".\"user_id\" = \"users\".\"id\")"
    );
    assert_eq!(statements[1].params, [I(2)]);
    assert_eq!(
        statements[2].sql.to_string(),
        "SELECT * FROM \"posts\" WHERE EXISTS (SELECT 1 FROM \"tags\" INNER JOIN \"post_tag\" \
         ON \"post_tag\".\"tag_id\" = \"tags\".\"id\" WHERE \"post_tag\".\"post_id\" = \"posts\".\"id\" \
         AND \"tags\".\"deleted_at\" IS NULL) AND \"posts\".\"deleted_at\" IS NULL"
    );
}

#[tokio::test]
async fn relation_aggregates_are_columns_of_the_one_statement() {
    let (orm, db) = orm();
    seed(&db);
    orm.scope(async {
        let before = orm.statements();
        let users = User::query()
            .with_count(["posts", "posts as all_posts"])
            .with_exists(["profile", "posts"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        assert_eq!(
            orm.statements() - before,
            1,
            "one statement with the parent query"
        );
        let counts: Vec<i64> = users
            .iter()
            .map(|u| u.get_as("posts_count").unwrap())
            .collect();
        assert_eq!(counts, [1, 1, 0], "the soft-deleted post is not counted");
        assert_eq!(users[0].get("all_posts"), Some(&serde_json::json!(1)));
        let exists: Vec<bool> = users
            .iter()
            .map(|u| u.get_as("posts_exists").unwrap())
            .collect();
        assert_eq!(exists, [true, true, false]);
        assert_eq!(
            users[0].get("profile_exists"),
            Some(&serde_json::json!(false))
        );
        // Serialized as Laravel does: beside the attributes.
        let body = serde_json::to_value(&users[0]).unwrap();
        assert_eq!(
            (body["posts_count"].clone(), body["name"].clone()),
            (serde_json::json!(1), serde_json::json!("ann"))
        );

        let posts = Post::query()
            .with_count_where("comments as approved", |q: QueryBuilder<Comment>| {
                q.where_("body", "approved")
            })
            .with_sum("comments", "user_id")
            .with_max("comments", "user_id")
            .with_avg("comments", "user_id")
            .with_min("comments", "user_id")
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        assert_eq!(ids(&posts), [1, 3]);
        assert_eq!(posts[0].get("approved"), Some(&serde_json::json!(1)));
        assert_eq!(
            posts[0].get("comments_sum_user_id"),
            Some(&serde_json::json!(5))
        );
        assert_eq!(
            posts[0].get("comments_max_user_id"),
            Some(&serde_json::json!(3))
        );
        assert_eq!(
            posts[0].get("comments_min_user_id"),
            Some(&serde_json::json!(2))
        );
        assert_eq!(
            posts[0].get("comments_avg_user_id"),
            Some(&serde_json::json!(2.5))
        );
        // Post 3's only comment is soft-deleted: no rows, so SUM is NULL and COUNT 0.
        assert_eq!(
            posts[1].get("comments_sum_user_id"),
            Some(&serde_json::Value::Null)
        );
        assert_eq!(posts[1].get("approved"), Some(&serde_json::json!(0)));

        // With where_has, paginate, first, find, typed reads and an explicit select.
        let page = User::query()
            .has("posts", ">=", 1)
            .with_count(["posts"])
            .paginate(1, 1)
            .await
            .unwrap();
        assert_eq!(
            (
                page.total,
                page.data[0].get_as::<i64>("posts_count").unwrap()
            ),
            (2, 1)
        );
        let first = User::query()
            .with_exists(["posts"])
            .where_("id", 3)
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.get("posts_exists"), Some(&serde_json::json!(false)));
        let found = User::query()
            .with_count(["posts"])
            .find(1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.get_as::<i64>("posts_count").unwrap(), 1);
        #[derive(serde::Deserialize)]
        struct Row {
            name: String,
            posts_count: i64,
        }
        let rows: Vec<Row> = User::query()
            .select(["name"])
            .with_count(["posts"])
            .order_by_asc("id")
            .all_as()
            .await
            .unwrap();
        assert_eq!((rows[1].name.as_str(), rows[1].posts_count), ("bob", 1));

        // Mistakes, before any SQL.
        let sent = orm.statements();
        let err = User::query().with_count(["postz"]).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        let err = User::query()
            .with_count(["posts.comments"])
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        let err = User::query()
            .with_count(["posts as bad name"])
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidIdentifier(_)), "{err:?}");
        let err = Comment::query()
            .with_sum("author", "nope")
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        assert_eq!(orm.statements(), sent);
    })
    .await;
}

#[tokio::test]
async fn with_count_sql_is_pinned() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        User::query()
            .with_count(["posts"])
            .with_exists(["profile"])
            .all()
            .await
            .unwrap();
    })
    .await;
    assert_eq!(
        mock.statements()[0].sql.to_string(),
        "SELECT \"users\".*, (SELECT COUNT(*) FROM \"posts\" WHERE \"posts\".\"author_id\" = \"users\".\"id\" \
         AND \"posts\".\"deleted_at\" IS NULL) AS \"posts_count\", EXISTS (SELECT 1 FROM \"profiles\" \
         WHERE \"profiles\".\"user_id\" = \"users\".\"id\") AS \"profile_exists\" FROM \"users\""
    );
}
