//! Constrained eager loads (`with_constraint`, Eloquent's `with(['posts' => fn ($q) =>
//! ...])`): conditions, order and soft-delete mode on the related query, one query per
//! level still, on every relation kind and terminal; bad constraints fail before any
//! query; the exact SQL is pinned through the mock.
mod relations_common;

use relations_common::{id, orm, raw, seed_blog, Comment, Post, Tag, User};
use roost_orm::prelude::*;
use roost_orm::{MockExecutor, SqlValue, Statement};

fn trips() -> u64 {
    Orm::current().map(|o| o.round_trips()).unwrap_or(0)
}

fn titles(posts: &[&Instance<Post>]) -> Vec<String> {
    posts
        .iter()
        .map(|p| p.get_as::<String>("title").unwrap())
        .collect()
}

#[tokio::test]
async fn a_has_many_load_keeps_only_matching_rows_in_the_given_order() {
    let (orm, db) = orm();
    seed_blog(&db, 3, 4, 0);
    orm.scope(async {
        let before = trips();
        let users = User::with_constraint("posts", |q: QueryBuilder<Post>| {
            q.where_op("title", "like", "%.2")
                .or_where("title", "post 1.4")
                .order_by_desc("id")
        })
        .order_by_asc("id")
        .all()
        .await
        .unwrap();
        assert_eq!(trips() - before, 2, "users + their posts");
        let got: Vec<Vec<String>> = users
            .iter()
            .map(|u| titles(&u.related::<Post>("posts").unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                vec!["post 1.4".to_string(), "post 1.2".to_string()],
                vec!["post 2.2".to_string()],
                vec!["post 3.2".to_string()],
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_nested_path_constrains_its_level_only() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 2, 3);
    orm.scope(async {
        let before = trips();
        let users = User::query()
            .with_constraint("posts.comments", |q: QueryBuilder<Comment>| {
                q.where_("body", "comment 1.2")
                    .or_where("body", "comment 4.3")
            })
            .all()
            .await
            .unwrap();
        assert_eq!(trips() - before, 3, "users + posts + comments");
        let mut seen = Vec::new();
        for user in &users {
            let posts = user.related::<Post>("posts").unwrap();
            assert_eq!(posts.len(), 2, "posts are not constrained");
            for post in posts {
                for comment in post.related::<Comment>("comments").unwrap() {
                    seen.push((id(post), comment.get_as::<String>("body").unwrap()));
                }
            }
        }
        assert_eq!(
            seen,
            [
                (1, "comment 1.2".to_string()),
                (4, "comment 4.3".to_string())
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn soft_deleted_related_rows_on_request_and_every_terminal() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 3, 0);
    raw(
        &db,
        "UPDATE posts SET deleted_at = '2026-01-01' WHERE id = 2",
    );
    orm.scope(async {
        let count = |u: &Instance<User>| u.related::<Post>("posts").unwrap().len();
        let all = User::with_constraint("posts", |q: QueryBuilder<Post>| q.with_trashed())
            .all()
            .await
            .unwrap();
        assert_eq!(count(&all[0]), 3);
        let only = User::with_constraint("posts", |q: QueryBuilder<Post>| q.only_trashed())
            .first()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            titles(&only.related::<Post>("posts").unwrap()),
            ["post 1.2"]
        );
        let found = User::with_constraint("posts", |q: QueryBuilder<Post>| q.where_("id", 3))
            .find(1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            titles(&found.related::<Post>("posts").unwrap()),
            ["post 1.3"]
        );
        let page = User::with_constraint("posts", |q: QueryBuilder<Post>| q.where_op("id", ">", 1))
            .paginate(1, 10)
            .await
            .unwrap();
        assert_eq!(count(&page.data[0]), 1, "post 2 is trashed, post 3 is left");
    })
    .await;
}

#[tokio::test]
async fn belongs_to_many_and_belongs_to_take_constraints() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 1, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'rust'), (2, 'd1'), (3, 'sql');
         INSERT INTO post_tag (post_id, tag_id) VALUES (1, 1), (1, 2), (1, 3), (2, 3);",
    );
    orm.scope(async {
        let posts = Post::with_constraint("tags", |q: QueryBuilder<Tag>| {
            q.where_in("name", ["rust", "sql"]).order_by_desc("name")
        })
        .with_constraint("author", |q: QueryBuilder<User>| q.where_("name", "user 2"))
        .order_by_asc("id")
        .all()
        .await
        .unwrap();
        let tags = |p: &Instance<Post>| -> Vec<String> {
            p.related::<Tag>("tags")
                .unwrap()
                .iter()
                .map(|t| t.get_as::<String>("name").unwrap())
                .collect()
        };
        assert_eq!(tags(&posts[0]), ["sql", "rust"]);
        assert_eq!(tags(&posts[1]), ["sql"]);
        assert!(posts[0].related_one::<User>("author").unwrap().is_none());
        assert_eq!(
            posts[1]
                .related_one::<User>("author")
                .unwrap()
                .map(|u| u.get_as::<String>("name").unwrap()),
            Some("user 2".to_string())
        );
    })
    .await;
}

#[tokio::test]
async fn bad_constraints_fail_before_any_query() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        let invalid =
            |r: Result<Vec<Instance<User>>>| matches!(r, Err(OrmError::InvalidConstraint { .. }));
        // Written for another model than the relation loads.
        let wrong = User::with_constraint("posts", |q: QueryBuilder<Comment>| q).all();
        assert!(invalid(wrong.await));
        let nested = User::with_constraint("posts", |q: QueryBuilder<Post>| q.with(["comments"]));
        assert!(invalid(nested.all().await));
        let bad_name =
            User::with_constraint("posts", |q: QueryBuilder<Post>| q.where_("bad name", 1));
        assert!(matches!(
            bad_name.all().await,
            Err(OrmError::InvalidIdentifier(_))
        ));
        let missing = User::with_constraint("nothing", |q: QueryBuilder<Post>| q).all();
        assert!(matches!(
            missing.await,
            Err(OrmError::InvalidRelation { .. })
        ));
    })
    .await;
    assert!(mock.statements().is_empty());
}

#[tokio::test]
async fn the_sql_groups_the_constraint_and_keeps_the_scopes_outside() {
    let mock = MockExecutor::new();
    mock.push(roost_orm::QueryResult::rows(
        ["id", "name"],
        [vec![1.into(), "u".into()]],
    ));
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        User::with_constraint("posts", |q: QueryBuilder<Post>| {
            q.where_("title", "a")
                .or_where("title", "b")
                .order_by_desc("id")
        })
        .all()
        .await
        .unwrap();
    })
    .await;
    let statements = mock.statements();
    assert_eq!(
        statements[1],
        Statement::new(
            "SELECT * FROM \"posts\" WHERE \"posts\".\"author_id\" = ? AND (\"posts\".\"title\" = ? OR \"posts\".\"title\" = ?) AND \"posts\".\"deleted_at\" IS NULL ORDER BY \"posts\".\"id\" DESC",
            vec![
                SqlValue::Integer(1),
                SqlValue::Text("a".into()),
                SqlValue::Text("b".into())
            ]
        )
    );
}

#[tokio::test]
async fn limit_and_offset_count_per_parent() {
    let (orm, db) = orm();
    seed_blog(&db, 3, 4, 2);
    raw(
        &db,
        "UPDATE posts SET deleted_at = '2026-01-01' WHERE id = 4",
    );
    orm.scope(async {
        let before = trips();
        let users = User::with_constraint("posts", |q: QueryBuilder<Post>| {
            q.order_by_desc("id").limit(2)
        })
        .order_by_asc("id")
        .all()
        .await
        .unwrap();
        assert_eq!(
            trips() - before,
            2,
            "users + one query for every user's posts"
        );
        let got: Vec<Vec<String>> = users
            .iter()
            .map(|u| titles(&u.related::<Post>("posts").unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                // post 1.4 is soft-deleted: the scope applies before the numbering.
                vec!["post 1.3".to_string(), "post 1.2".to_string()],
                vec!["post 2.4".to_string(), "post 2.3".to_string()],
                vec!["post 3.4".to_string(), "post 3.3".to_string()],
            ]
        );
        // The row number never shows as an attribute.
        let first = users[0].related::<Post>("posts").unwrap()[0];
        assert!(first.get("__roost_row").is_none());

        let second_page = User::with_constraint("posts", |q: QueryBuilder<Post>| {
            q.order_by_asc("id").offset(1).limit(2)
        })
        .find(2)
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            titles(&second_page.related::<Post>("posts").unwrap()),
            ["post 2.2", "post 2.3"]
        );
        // Nested: each post's newest comment.
        let users = User::query()
            .with_constraint("posts.comments", |q: QueryBuilder<Comment>| {
                q.order_by_desc("id").limit(1)
            })
            .all()
            .await
            .unwrap();
        for post in users[1].related::<Post>("posts").unwrap() {
            let comments = post.related::<Comment>("comments").unwrap();
            assert_eq!(comments.len(), 1);
            assert_eq!(
                comments[0].get_as::<String>("body").unwrap(),
                format!("comment {}.2", id(post))
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_many_to_many_limit_counts_per_parent_and_keeps_the_pivot() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 1, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');
         INSERT INTO post_tag (post_id, tag_id, added_by) VALUES
           (1, 1, 'x'), (1, 2, 'y'), (1, 3, 'z'), (2, 3, 'w');",
    );
    orm.scope(async {
        let posts = Post::with_constraint("tags", |q: QueryBuilder<Tag>| {
            q.order_by_desc("name").limit(2)
        })
        .order_by_asc("id")
        .all()
        .await
        .unwrap();
        let tags = |p: &Instance<Post>| -> Vec<(String, String)> {
            p.related::<Tag>("tags")
                .unwrap()
                .iter()
                .map(|t| {
                    let pivot = t.pivot().unwrap();
                    (
                        t.get_as::<String>("name").unwrap(),
                        pivot.get_as::<String>("added_by").unwrap(),
                    )
                })
                .collect()
        };
        assert_eq!(
            tags(&posts[0]),
            [
                ("c".to_string(), "z".to_string()),
                ("b".to_string(), "y".to_string())
            ]
        );
        assert_eq!(tags(&posts[1]), [("c".to_string(), "w".to_string())]);
    })
    .await;
}

#[tokio::test]
async fn the_per_parent_sql_numbers_rows_in_a_window() {
    let mock = MockExecutor::new();
    mock.push(roost_orm::QueryResult::rows(
        ["id", "name"],
        [vec![1.into(), "u".into()], vec![2.into(), "v".into()]],
    ));
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        User::with_constraint("posts", |q: QueryBuilder<Post>| {
            q.where_("title", "a")
                .order_by_desc("id")
                .offset(1)
                .limit(3)
        })
        .all()
        .await
        .unwrap();
    })
    .await;
    assert_eq!(
        mock.statements()[1],
        Statement::new(
            concat!(
                "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY \"posts\".\"author_id\" ",
                "ORDER BY \"posts\".\"id\" DESC) AS \"__roost_row\" FROM \"posts\" ",
                "WHERE \"posts\".\"author_id\" IN (SELECT value FROM json_each(?)) ",
                "AND (\"posts\".\"title\" = ?) AND \"posts\".\"deleted_at\" IS NULL) ",
                "WHERE \"__roost_row\" > ? AND \"__roost_row\" <= ? ORDER BY \"__roost_row\""
            ),
            vec![
                SqlValue::Text("[1,2]".into()),
                SqlValue::Text("a".into()),
                SqlValue::Integer(1),
                SqlValue::Integer(4)
            ]
        )
    );
}
