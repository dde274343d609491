//! The exact SQL and parameters of relation loads and pivot writes, pinned against the
//! mock executor.
mod relations_common;

use relations_common::{Comment, Post, User};
use roost_orm::prelude::*;
use roost_orm::{MockExecutor, QueryResult, SqlValue, Statement};
use serde_json::json;

fn mock() -> (Orm, MockExecutor) {
    let mock = MockExecutor::new();
    (Orm::new(mock.clone()), mock)
}

fn stmt(sql: &str, params: Vec<SqlValue>) -> Statement {
    Statement::new(sql, params)
}

fn user(id: i64) -> Instance<User> {
    Instance::from_attributes(json!({"id": id, "name": "x"})).unwrap()
}

#[tokio::test]
async fn single_loads() {
    let (orm, mock) = mock();
    orm.scope(async {
        mock.push(QueryResult::rows(
            ["id", "author_id", "title", "deleted_at"],
            [vec![json!(5), json!(7), json!("t"), json!(null)]],
        ));
        let posts = User::POSTS.load(&user(7)).await.unwrap();
        assert_eq!(posts.len(), 1);
        User::PROFILE.load(&user(7)).await.unwrap();
        let post = Instance::<Post>::from_attributes(json!({"id": 5, "author_id": 7})).unwrap();
        Post::USER.load(&post).await.unwrap();
    })
    .await;
    assert_eq!(
        mock.statements(),
        [
            stmt(
                r#"SELECT * FROM "posts" WHERE "posts"."author_id" = ? AND "posts"."deleted_at" IS NULL"#,
                vec![SqlValue::Integer(7)]
            ),
            stmt(
                r#"SELECT * FROM "profiles" WHERE "profiles"."user_id" = ? LIMIT ?"#,
                vec![SqlValue::Integer(7), SqlValue::Integer(1)]
            ),
            stmt(
                r#"SELECT * FROM "users" WHERE "users"."id" = ? LIMIT ?"#,
                vec![SqlValue::Integer(7), SqlValue::Integer(1)]
            ),
        ]
    );
}

#[tokio::test]
async fn nested_eager_load_binds_each_key_list_as_one_parameter() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(
        ["id", "name"],
        [vec![json!(1), json!("a")], vec![json!(2), json!("b")]],
    ));
    mock.push(QueryResult::rows(
        ["id", "author_id", "title"],
        [
            vec![json!(10), json!(1), json!("p")],
            vec![json!(11), json!(2), json!("q")],
            vec![json!(12), json!(2), json!("r")],
        ],
    ));
    mock.push(QueryResult::rows(
        ["id", "post_id", "body"],
        [vec![json!(100), json!(12), json!("c")]],
    ));
    let users = orm
        .scope(User::where_op("id", "<", 3).with(["posts.comments"]).all())
        .await
        .unwrap();
    assert_eq!(
        mock.statements(),
        [
            stmt(
                r#"SELECT * FROM "users" WHERE "users"."id" < ?"#,
                vec![SqlValue::Integer(3)]
            ),
            stmt(
                r#"SELECT * FROM "posts" WHERE "posts"."author_id" IN (SELECT value FROM json_each(?)) AND "posts"."deleted_at" IS NULL"#,
                vec![SqlValue::Text("[1,2]".into())]
            ),
            stmt(
                r#"SELECT * FROM "comments" WHERE "comments"."post_id" IN (SELECT value FROM json_each(?)) AND "comments"."deleted_at" IS NULL"#,
                vec![SqlValue::Text("[10,11,12]".into())]
            ),
        ]
    );
    // Matched by key: user 2 got posts 11 and 12, and post 12 its comment.
    let posts = users[1].related::<Post>("posts").unwrap();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[1].related::<Comment>("comments").unwrap()[0].get("id"),
        Some(&json!(100))
    );
    assert!(users[0].related::<Post>("posts").unwrap()[0]
        .related::<Comment>("comments")
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn many_to_many_load_joins_the_pivot() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(
        [
            "id",
            "name",
            "__pivot_post_id",
            "__pivot_tag_id",
            "__pivot_added_by",
            "__pivot_created_at",
            "__pivot_updated_at",
        ],
        [vec![
            json!(3),
            json!("rust"),
            json!(1),
            json!(3),
            json!("ada"),
            json!("t0"),
            json!("t1"),
        ]],
    ));
    let post = Instance::<Post>::from_attributes(json!({"id": 1})).unwrap();
    let tags = orm.scope(Post::TAGS.load(&post)).await.unwrap();
    assert_eq!(
        mock.statements(),
        [stmt(
            concat!(
                r#"SELECT "tags".*, "post_tag"."post_id" AS "__pivot_post_id", "#,
                r#""post_tag"."tag_id" AS "__pivot_tag_id", "#,
                r#""post_tag"."added_by" AS "__pivot_added_by", "#,
                r#""post_tag"."created_at" AS "__pivot_created_at", "#,
                r#""post_tag"."updated_at" AS "__pivot_updated_at" "#,
                r#"FROM "tags" INNER JOIN "post_tag" ON "post_tag"."tag_id" = "tags"."id" "#,
                r#"WHERE "post_tag"."post_id" = ? AND "tags"."deleted_at" IS NULL"#
            ),
            vec![SqlValue::Integer(1)]
        )]
    );
    // The pivot columns are split off the tag's own attributes.
    assert_eq!(
        serde_json::to_value(&tags[0]).unwrap(),
        json!({
            "id": 3,
            "name": "rust",
            "pivot": {"post_id": 1, "tag_id": 3, "added_by": "ada", "created_at": "t0", "updated_at": "t1"}
        })
    );
}

#[tokio::test]
async fn sync_is_one_batch_of_delete_and_insert() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(["tag_id"], [vec![json!(1)]]));
    mock.push(QueryResult::rows(["tag_id"], [vec![json!(3)]]));
    let post = Instance::<Post>::from_attributes(json!({"id": 1})).unwrap();
    let relation = roost_orm::relations::BelongsToManyRelation::<relations_common::Tag>::new(
        "taggings", "post_id", "tag_id",
    );
    let changes = orm.scope(relation.sync(&post, [2, 3])).await.unwrap();
    assert_eq!(changes.attached, [json!(3)]);
    assert_eq!(changes.detached, [json!(1)]);
    assert_eq!(mock.round_trips(), 1);
    assert_eq!(
        mock.statements(),
        [
            stmt(
                r#"DELETE FROM "taggings" WHERE "taggings"."post_id" = ? AND "taggings"."tag_id" NOT IN (SELECT value FROM json_each(?)) RETURNING "taggings"."tag_id""#,
                vec![SqlValue::Integer(1), SqlValue::Text("[2,3]".into())]
            ),
            stmt(
                concat!(
                    r#"INSERT INTO "taggings" ("post_id", "tag_id") SELECT ?, "value" FROM json_each(?) "#,
                    r#"WHERE "value" NOT IN (SELECT "taggings"."tag_id" FROM "taggings" WHERE "taggings"."post_id" = ?) RETURNING "taggings"."tag_id""#
                ),
                vec![
                    SqlValue::Integer(1),
                    SqlValue::Text("[2,3]".into()),
                    SqlValue::Integer(1)
                ]
            ),
        ]
    );
}

#[tokio::test]
async fn toggle_reads_the_pairs_then_writes_both_ways_in_one_batch() {
    let (orm, mock) = mock();
    mock.push(QueryResult::rows(
        ["post_id", "tag_id"],
        [vec![json!(1), json!(2)]],
    ));
    mock.push(QueryResult::rows(["tag_id"], [vec![json!(2)]]));
    mock.push(QueryResult::rows(["tag_id"], [vec![json!(3)]]));
    let post = Instance::<Post>::from_attributes(json!({"id": 1})).unwrap();
    let relation = roost_orm::relations::BelongsToManyRelation::<relations_common::Tag>::new(
        "taggings", "post_id", "tag_id",
    );
    let changes = orm.scope(relation.toggle(&post, [2, 3])).await.unwrap();
    assert_eq!(changes.attached, [json!(3)]);
    assert_eq!(changes.detached, [json!(2)]);
    assert_eq!(mock.round_trips(), 2);
    assert_eq!(
        mock.statements(),
        [
            stmt(
                r#"SELECT * FROM "taggings" WHERE "taggings"."post_id" = ? AND "taggings"."tag_id" IN (SELECT value FROM json_each(?))"#,
                vec![SqlValue::Integer(1), SqlValue::Text("[2,3]".into())]
            ),
            stmt(
                r#"DELETE FROM "taggings" WHERE "taggings"."post_id" = ? AND "taggings"."tag_id" IN (SELECT value FROM json_each(?)) RETURNING "taggings"."tag_id""#,
                vec![SqlValue::Integer(1), SqlValue::Text("[2]".into())]
            ),
            stmt(
                concat!(
                    r#"INSERT INTO "taggings" ("post_id", "tag_id") SELECT ?, "value" FROM json_each(?) "#,
                    r#"WHERE "value" NOT IN (SELECT "taggings"."tag_id" FROM "taggings" WHERE "taggings"."post_id" = ?) RETURNING "taggings"."tag_id""#
                ),
                vec![
                    SqlValue::Integer(1),
                    SqlValue::Text("[3]".into()),
                    SqlValue::Integer(1)
                ]
            ),
        ]
    );
}
