//! `push()` on embedded SQLite: a record and its loaded relations (nested) saved in one
//! atomic batch; clean records send nothing; a failure stores nothing and leaves the
//! loaded relations as they were.
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE votes (id INTEGER PRIMARY KEY, comment_id INTEGER NOT NULL, up INTEGER NOT NULL);
INSERT INTO posts VALUES (1, 'p');
INSERT INTO comments VALUES (1, 1, 'c1'), (2, 1, 'c2');
INSERT INTO votes VALUES (1, 1, 0);
";

struct Post;
impl ModelDef for Post {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Comment>("comments", "post_id", "id");
    }
}

struct Comment;
impl ModelDef for Comment {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Vote>("votes", "comment_id", "id");
    }
}

struct Vote;
impl ModelDef for Vote {
    const TIMESTAMPS: bool = false;
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    (Orm::new(db.clone()), db)
}

fn stored(db: &SqliteExecutor) -> Vec<String> {
    db.with_connection(|c| {
        let sql = "SELECT 'p' || title FROM posts UNION ALL SELECT 'c' || body FROM comments \
                   UNION ALL SELECT 'v' || up FROM votes";
        let mut s = c.prepare(sql).unwrap();
        let rows = s.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    })
}

/// The loaded comment at `i` of `post`, mutably.
fn comment(post: &mut Instance<Post>, i: usize) -> &mut Instance<Comment> {
    post.related_mut::<Comment>("comments")
        .unwrap()
        .swap_remove(i)
}

fn vote(comment: &mut Instance<Comment>) -> &mut Instance<Vote> {
    comment.related_mut::<Vote>("votes").unwrap().swap_remove(0)
}

#[tokio::test]
async fn push_saves_the_record_and_its_nested_relations_in_one_round_trip() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::query()
            .with(["comments.votes"])
            .find_or_fail(1)
            .await
            .unwrap();
        post.set("title", "P");
        comment(&mut post, 1).set("body", "C2");
        vote(comment(&mut post, 0)).set("up", 1);
        let (trips, statements) = (orm.round_trips(), orm.statements());
        post.push().await.unwrap();
        assert_eq!(orm.round_trips() - trips, 1);
        // Three UPDATEs, each with its guard; the clean comment sends nothing.
        assert_eq!(orm.statements() - statements, 6);
        assert!(!post.is_dirty());
        assert!(!comment(&mut post, 1).is_dirty() && comment(&mut post, 1).was_changed("body"));
        assert_eq!(vote(comment(&mut post, 0)).get("up"), Some(&json!(1)));
        // A push of clean records sends nothing.
        let trips = orm.round_trips();
        post.push().await.unwrap();
        assert_eq!(orm.round_trips(), trips);
    })
    .await;
    assert_eq!(stored(&db), ["pP", "cc1", "cC2", "v1"]);
}

#[tokio::test]
async fn a_failed_push_stores_nothing_and_keeps_the_loaded_relations() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::query()
            .with(["comments.votes"])
            .find_or_fail(1)
            .await
            .unwrap();
        post.set("title", "P");
        comment(&mut post, 0).set("body", "C1");
        comment(&mut post, 1).set("body", Value::Null); // NOT NULL: the batch fails
        assert!(post.push().await.is_err());
        assert!(
            comment(&mut post, 0).is_dirty(),
            "the loaded copy is untouched"
        );
        assert_eq!(comment(&mut post, 0).get("body"), Some(&json!("C1")));
    })
    .await;
    assert_eq!(stored(&db), ["pp", "cc1", "cc2", "v0"]);
}

#[tokio::test]
async fn push_inserts_new_records_set_on_a_relation() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut post = Post::find_or_fail(1).await.unwrap();
        let new =
            Instance::<Comment>::from_attributes(json!({"post_id": 1, "body": "c3"})).unwrap();
        post.set_relation("comments", vec![new]);
        post.push().await.unwrap();
        let pushed = post.related::<Comment>("comments").unwrap();
        assert!(pushed[0].exists());
        assert_eq!(pushed[0].get("id"), Some(&json!(3)));
        assert!(
            post.related_mut::<Vote>("comments").is_err(),
            "wrong model: an error"
        );
    })
    .await;
    assert_eq!(stored(&db), ["pp", "cc1", "cc2", "cc3", "v0"]);
}
