//! Polymorphic many-to-many (`BelongsToManyRelation::morph_to_many` /
//! `morphed_by_many`) on embedded SQLite: a post's and a video's tags share one pivot
//! and never mix — in loads, counts and every pivot write.
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE taggables (tag_id INTEGER NOT NULL, taggable_id INTEGER NOT NULL, taggable_type TEXT NOT NULL);
INSERT INTO posts (id, title) VALUES (1, 'p1');
INSERT INTO videos (id, title) VALUES (1, 'v1');
INSERT INTO tags (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three');
";

struct Post;
impl Post {
    const TAGS: BelongsToManyRelation<Tag> =
        BelongsToManyRelation::morph_to_many("taggables", "taggable_type", "taggable_id", "tag_id");
}
impl ModelDef for Post {
    const TIMESTAMPS: bool = false;
    const MORPH_NAME: Option<&'static str> = Some("post");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("tags", Post::TAGS);
    }
}

struct Video;
impl Video {
    const TAGS: BelongsToManyRelation<Tag> =
        BelongsToManyRelation::morph_to_many("taggables", "taggable_type", "taggable_id", "tag_id");
}
impl ModelDef for Video {
    const TIMESTAMPS: bool = false;
    const MORPH_NAME: Option<&'static str> = Some("video");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("tags", Video::TAGS);
    }
}

struct Tag;
impl ModelDef for Tag {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add(
            "posts",
            BelongsToManyRelation::<Post>::morphed_by_many(
                "taggables",
                "taggable_type",
                "tag_id",
                "taggable_id",
            ),
        )
        .add(
            "videos",
            BelongsToManyRelation::<Video>::morphed_by_many(
                "taggables",
                "taggable_type",
                "tag_id",
                "taggable_id",
            ),
        );
    }
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    (Orm::new(db.clone()), db)
}

fn tag_ids(rows: &[Instance<Tag>]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.get_as("id").unwrap()).collect();
    ids.sort();
    ids
}

/// The pivot rows, as (tag, id, type), straight from SQLite.
fn pivot(db: &SqliteExecutor) -> Vec<(i64, i64, String)> {
    db.with_connection(|c| {
        let mut s = c
            .prepare("SELECT tag_id, taggable_id, taggable_type FROM taggables ORDER BY 3, 2, 1")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    })
}

#[tokio::test]
async fn writes_and_loads_keep_each_type_to_itself() {
    let (orm, db) = orm();
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let video = Video::find_or_fail(1).await.unwrap();
        Post::TAGS.attach(&post, [1, 2]).await.unwrap();
        Video::TAGS.attach(&video, [2, 3]).await.unwrap();
        assert_eq!(tag_ids(&Post::TAGS.load(&post).await.unwrap()), [1, 2]);
        assert_eq!(tag_ids(&Video::TAGS.load(&video).await.unwrap()), [2, 3]);

        // The inverse: tag 2's posts and videos, both id 1.
        let tags = Tag::with(["posts", "videos"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        let counts: Vec<(usize, usize)> = tags
            .iter()
            .map(|t| {
                let posts = t.related::<Post>("posts").unwrap().len();
                (posts, t.related::<Video>("videos").unwrap().len())
            })
            .collect();
        assert_eq!(counts, [(1, 0), (1, 1), (0, 1)]);

        let changes = Post::TAGS.sync(&post, [2, 3]).await.unwrap();
        assert_eq!(
            (changes.attached, changes.detached),
            (vec![json!(3)], vec![json!(1)])
        );
        // Video 1 already has tag 3: the post's attach must not see it as the post's.
        let added = Post::TAGS
            .sync_without_detaching(&post, [3, 1])
            .await
            .unwrap();
        assert_eq!(added.attached, [json!(1)]);
        let toggled = Post::TAGS.toggle(&post, [1, 2]).await.unwrap();
        assert_eq!((toggled.attached.len(), toggled.detached.len()), (0, 2));
        Post::TAGS.detach(&post, [3]).await.unwrap();
        assert!(Post::TAGS.load(&post).await.unwrap().is_empty());
        assert_eq!(tag_ids(&Video::TAGS.load(&video).await.unwrap()), [2, 3]);
        Post::TAGS.attach(&post, [1]).await.unwrap();
        Post::TAGS.detach_all(&post).await.unwrap();
    })
    .await;
    assert_eq!(pivot(&db), [(2, 1, "video".into()), (3, 1, "video".into())]);
}

#[tokio::test]
async fn existence_and_counts_match_the_type() {
    let (orm, db) = orm();
    db.execute_batch("INSERT INTO taggables VALUES (1, 1, 'video'), (2, 1, 'video')")
        .unwrap();
    orm.scope(async {
        let with_tags: Vec<i64> = Post::query()
            .has("tags", ">=", 1)
            .pluck("id")
            .await
            .unwrap();
        assert!(with_tags.is_empty(), "the video's tags are not the post's");
        let videos = Video::query().with_count(["tags"]).all().await.unwrap();
        assert_eq!(videos[0].get("tags_count"), Some(&json!(2)));
        let tags: Vec<Value> = Tag::query()
            .where_has("videos", |q: QueryBuilder<Video>| q.where_("title", "v1"))
            .pluck("name")
            .await
            .unwrap();
        assert_eq!(tags, [json!("one"), json!("two")]);
    })
    .await;
}

/// A polymorphic pivot from a model without a morph name.
struct Nameless;
impl ModelDef for Nameless {
    const TABLE: Option<&'static str> = Some("posts");
    fn relations(r: &mut RelationMap<Self>) {
        r.add(
            "tags",
            BelongsToManyRelation::<Tag>::morph_to_many(
                "taggables",
                "taggable_type",
                "taggable_id",
                "tag_id",
            ),
        );
    }
}

#[tokio::test]
async fn a_missing_morph_name_fails_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let err = Nameless::all().await.unwrap_err();
        assert!(
            matches!(&err, OrmError::InvalidModel { reason, .. } if reason.contains("MORPH_NAME")),
            "{err:?}"
        );
        assert_eq!(orm.statements(), before);
    })
    .await;
}
