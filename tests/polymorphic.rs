//! Polymorphic relations on embedded SQLite: `MorphManyRelation` / `MorphOneRelation`
//! (the type column holds the parent's `MORPH_NAME`), `MorphToRelation` (one query per
//! target type, in one batch), their scopes, writes, and mistakes.
use roost_orm::prelude::*;
use roost_orm::relations::{MorphManyRelation, MorphOneRelation, MorphTarget, MorphToRelation};
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, QueryResult, SqlValue, SqliteExecutor};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, org_id TEXT NOT NULL);
CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT NOT NULL, org_id TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY, commentable_type TEXT, commentable_id INTEGER,
    body TEXT NOT NULL, org_id TEXT NOT NULL
);
CREATE TABLE images (id INTEGER PRIMARY KEY, imageable_type TEXT NOT NULL, imageable_id INTEGER NOT NULL, url TEXT NOT NULL);
INSERT INTO posts (id, title, org_id) VALUES (1, 'p1', 'a'), (2, 'p2', 'b');
INSERT INTO videos (id, title, org_id, deleted_at) VALUES (1, 'v1', 'a', NULL), (2, 'v2', 'a', '2026-01-01');
-- Post 1 and video 1 share id 1: only the type tells their comments apart.
INSERT INTO comments (id, commentable_type, commentable_id, body, org_id) VALUES
  (1, 'post', 1, 'on p1', 'a'), (2, 'video', 1, 'on v1', 'a'), (3, 'post', 2, 'on b''s p2', 'a'),
  (4, 'video', 2, 'on trashed v2', 'a'), (5, NULL, NULL, 'on nothing', 'a'), (6, 'post', 1, 'b''s', 'b');
INSERT INTO images (id, imageable_type, imageable_id, url) VALUES (1, 'video', 1, 'v.png'), (2, 'post', 1, 'p.png');
";

struct Post;
impl Post {
    const COMMENTS: MorphManyRelation<Comment> =
        MorphManyRelation::new("commentable_type", "commentable_id");
    const IMAGE: MorphOneRelation<Image> = MorphOneRelation::new("imageable_type", "imageable_id");
}
impl ModelDef for Post {
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const MORPH_NAME: Option<&'static str> = Some("post");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("comments", Post::COMMENTS).add("image", Post::IMAGE);
    }
}

struct Video;
impl ModelDef for Video {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const MORPH_NAME: Option<&'static str> = Some("video");
    fn relations(r: &mut RelationMap<Self>) {
        r.add(
            "comments",
            MorphManyRelation::<Comment>::new("commentable_type", "commentable_id"),
        );
    }
}

struct Comment;
impl Comment {
    const COMMENTABLE: MorphToRelation = MorphToRelation::new(
        "commentable_type",
        "commentable_id",
        &[MorphTarget::of::<Post>(), MorphTarget::of::<Video>()],
    );
}
impl ModelDef for Comment {
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    fn relations(r: &mut RelationMap<Self>) {
        r.morph_to("commentable", Comment::COMMENTABLE);
    }
}

struct Image;
impl ModelDef for Image {
    const TIMESTAMPS: bool = false;
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

fn ids<M: ModelDef>(rows: &[&Instance<M>]) -> Vec<i64> {
    rows.iter().map(|r| r.get_as("id").unwrap()).collect()
}

#[tokio::test]
async fn morph_many_and_one_match_the_type_and_the_key() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.round_trips();
        let posts = Post::with(["comments", "image"]).all().await.unwrap();
        assert_eq!(orm.round_trips() - before, 2);
        assert_eq!(posts.len(), 1, "post 2 is tenant b's");
        assert_eq!(ids(&posts[0].related::<Comment>("comments").unwrap()), [1]);
        let image = posts[0].related_one::<Image>("image").unwrap().unwrap();
        assert_eq!(image.get("url"), Some(&json!("p.png")));

        let video = Video::find_or_fail(1).await.unwrap();
        let comments = MorphManyRelation::<Comment>::new("commentable_type", "commentable_id")
            .load(&video)
            .await
            .unwrap();
        assert_eq!(
            comments
                .iter()
                .map(|c| c.get_as::<i64>("id").unwrap())
                .collect::<Vec<_>>(),
            [2]
        );

        let counted = Post::query()
            .with_count(["comments"])
            .has("comments", ">=", 1)
            .all()
            .await
            .unwrap();
        assert_eq!(counted.len(), 1);
        assert_eq!(counted[0].get("comments_count"), Some(&json!(1)));
    })
    .await;
}

#[tokio::test]
async fn morph_many_writes_set_both_columns() {
    let (orm, db) = orm();
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let made = Post::COMMENTS
            .create(&post, json!({"body": "new", "commentable_type": "video"}))
            .await
            .unwrap();
        assert_eq!(
            made.get("commentable_type"),
            Some(&json!("post")),
            "the parent's type wins"
        );
        assert_eq!(made.get("commentable_id"), Some(&json!(1)));
        let before = orm.round_trips();
        let many = Post::COMMENTS
            .create_many(&post, [json!({"body": "x"}), json!({"body": "y"})])
            .await
            .unwrap();
        assert_eq!(orm.round_trips() - before, 1);
        assert!(many
            .iter()
            .all(|c| c.get("commentable_type") == Some(&json!("post"))));
        assert_eq!(Post::COMMENTS.load(&post).await.unwrap().len(), 4);
    })
    .await;
    db.with_connection(|c| {
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM comments WHERE commentable_type = 'post' AND commentable_id = 1 AND org_id = 'a'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 4);
    });
}

#[tokio::test]
async fn morph_to_loads_each_type_with_its_scopes_in_one_batch() {
    let (orm, _db) = orm();
    orm.scope(async {
        let (trips, statements) = (orm.round_trips(), orm.statements());
        let comments = Comment::with(["commentable"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        assert_eq!(orm.round_trips() - trips, 2, "the comments, then one batch");
        assert_eq!(
            orm.statements() - statements,
            3,
            "one query per target type"
        );
        let post = comments[0]
            .related_one::<Post>("commentable")
            .unwrap()
            .unwrap();
        assert_eq!(post.get("title"), Some(&json!("p1")));
        let video = comments[1]
            .related_one::<Video>("commentable")
            .unwrap()
            .unwrap();
        assert_eq!(
            video.get("title"),
            Some(&json!("v1")),
            "same id, other type"
        );
        let err = comments[1].related_one::<Post>("commentable").unwrap_err();
        assert!(matches!(err, OrmError::RelationMismatch { .. }), "{err:?}");
        // Another tenant's post, a trashed video, no type: nothing.
        for comment in &comments[2..5] {
            assert!(comment
                .related_one::<Post>("commentable")
                .unwrap()
                .is_none());
            assert!(comment
                .related_one::<Video>("commentable")
                .unwrap()
                .is_none());
        }

        let mut one = vec![Comment::find_or_fail(2).await.unwrap()];
        let before = orm.statements();
        Comment::COMMENTABLE.load_many(&mut one).await.unwrap();
        assert_eq!(orm.statements() - before, 1, "only the videos are queried");
        assert!(one[0]
            .related_one::<Video>("commentable")
            .unwrap()
            .is_some());
    })
    .await;
}

#[tokio::test]
async fn a_stored_type_no_target_names_is_an_error() {
    let (orm, db) = orm();
    db.execute_batch("INSERT INTO comments (commentable_type, commentable_id, body, org_id) VALUES ('App\\Models\\Post', 1, 'x', 'a')")
        .unwrap();
    orm.scope(async {
        let err = Comment::with(["commentable"]).all().await.unwrap_err();
        assert!(
            matches!(&err, OrmError::InvalidQuery(m) if m.contains("names no target")),
            "{err:?}"
        );
    })
    .await;
}

/// Misdeclared polymorphic relations.
struct NoMorphName;
impl ModelDef for NoMorphName {
    const TABLE: Option<&'static str> = Some("posts");
    fn relations(r: &mut RelationMap<Self>) {
        r.add(
            "comments",
            MorphManyRelation::<Comment>::new("commentable_type", "commentable_id"),
        );
    }
}
struct TargetWithoutName;
impl ModelDef for TargetWithoutName {
    const TABLE: Option<&'static str> = Some("comments");
    fn relations(r: &mut RelationMap<Self>) {
        const TO: MorphToRelation = MorphToRelation::new(
            "commentable_type",
            "commentable_id",
            &[MorphTarget::of::<Post>(), MorphTarget::of::<Image>()],
        );
        r.morph_to("commentable", TO);
    }
}
struct TwiceNamed;
impl ModelDef for TwiceNamed {
    const TABLE: Option<&'static str> = Some("comments");
    fn relations(r: &mut RelationMap<Self>) {
        const TO: MorphToRelation = MorphToRelation::new(
            "commentable_type",
            "commentable_id",
            &[MorphTarget::of::<Post>(), MorphTarget::of::<Post>()],
        );
        r.morph_to("commentable", TO);
    }
}

#[tokio::test]
async fn mistakes_fail_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let reason = |e: OrmError| match e {
            OrmError::InvalidModel { reason, .. } => reason,
            other => panic!("expected InvalidModel, got {other:?}"),
        };
        assert!(reason(NoMorphName::all().await.unwrap_err()).contains("MORPH_NAME"));
        assert!(reason(TargetWithoutName::all().await.unwrap_err())
            .contains("[Image] has no MORPH_NAME"));
        assert!(reason(TwiceNamed::all().await.unwrap_err()).contains("named \"post\""));

        let err = Comment::query()
            .has("commentable", ">=", 1)
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{err:?}");
        let err = Comment::with(["commentable.comments"])
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        let err =
            Comment::with_constraint("commentable", |q: QueryBuilder<Post>| q.where_("id", 1))
                .all()
                .await
                .unwrap_err();
        assert!(matches!(err, OrmError::InvalidConstraint { .. }), "{err:?}");
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
}

#[tokio::test]
async fn the_sql_of_both_sides() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    mock.push(QueryResult::rows(["id"], [vec![json!(1)], vec![json!(2)]]));
    mock.push(QueryResult::rows(
        Vec::<String>::new(),
        Vec::<Vec<serde_json::Value>>::new(),
    ));
    mock.push(QueryResult::rows(
        ["id", "commentable_type", "commentable_id"],
        [
            vec![json!(1), json!("post"), json!(7)],
            vec![json!(2), json!("video"), json!(8)],
            vec![json!(3), json!("post"), json!(9)],
        ],
    ));
    orm.scope(async {
        Post::with(["comments"]).all().await.unwrap();
        Comment::with(["commentable"]).all().await.unwrap();
    })
    .await;
    let statements = mock.statements();
    assert_eq!(
        statements[1].sql,
        r#"SELECT * FROM "comments" WHERE "comments"."commentable_id" IN (SELECT value FROM json_each(?)) AND "comments"."commentable_type" = ?"#
    );
    assert_eq!(
        statements[1].params,
        [SqlValue::Text("[1,2]".into()), "post".into()]
    );
    assert_eq!(
        statements[3].sql,
        r#"SELECT * FROM "posts" WHERE "posts"."id" IN (SELECT value FROM json_each(?))"#
    );
    assert_eq!(statements[3].params, [SqlValue::Text("[7,9]".into())]);
    assert_eq!(
        statements[4].sql,
        r#"SELECT * FROM "videos" WHERE "videos"."id" = ? AND "videos"."deleted_at" IS NULL"#
    );
    assert_eq!(statements.len(), 5);
}
