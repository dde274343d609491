//! Units of work on embedded SQLite: many model writes in one atomic batch — one round
//! trip, all or nothing (checked on the stored rows), pre-events when queued,
//! post-events after the batch, stored rows back in the instances, children of
//! parents created in the same unit (generated and database-assigned keys), tenant
//! scopes on every write, and mistakes refused before anything is sent.
use std::sync::{Arc, Mutex};

use roost_orm::prelude::*;
use roost_orm::relations::{BelongsToManyRelation, HasManyRelation};
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, OrmError, QueryResult, SqliteExecutor};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE posts (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, org_id TEXT,
    created_at TEXT, updated_at TEXT, deleted_at TEXT
);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id), body TEXT NOT NULL,
    org_id TEXT
);
CREATE TABLE replies (id INTEGER PRIMARY KEY, comment_id INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE post_tag (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL);
CREATE TABLE boards (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE cards (id INTEGER PRIMARY KEY, board_id TEXT NOT NULL, name TEXT NOT NULL);
INSERT INTO posts (id, title, org_id) VALUES (1, 'a1', 'a'), (2, 'a2', 'a'), (3, 'b1', 'b');
INSERT INTO tags (id, name) VALUES (1, 'rust'), (2, 'd1');
";

struct Post;
impl Post {
    const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
    const TAGS: BelongsToManyRelation<Tag> =
        BelongsToManyRelation::new("post_tag", "post_id", "tag_id");
}
impl ModelDef for Post {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("comments", Post::COMMENTS).add("tags", Post::TAGS);
    }
}

struct Comment;
impl Comment {
    const REPLIES: HasManyRelation<Reply> = HasManyRelation::new("comment_id", "id");
}
impl ModelDef for Comment {
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("replies", Comment::REPLIES);
    }
}

struct Reply;
impl ModelDef for Reply {
    const TIMESTAMPS: bool = false;
}

struct Tag;
impl ModelDef for Tag {
    const TIMESTAMPS: bool = false;
}

/// A UUID-keyed parent.
struct Board;
impl Board {
    const CARDS: HasManyRelation<Card> = HasManyRelation::new("board_id", "id");
}
impl ModelDef for Board {
    const KEY_TYPE: KeyType = KeyType::Uuid;
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("cards", Board::CARDS);
    }
}

struct Card;
impl ModelDef for Card {
    const TIMESTAMPS: bool = false;
}

/// Same table as `Post`, its own hooks (hooks are per model type, tests run at once).
struct Logged;
impl ModelDef for Logged {
    const TABLE: Option<&'static str> = Some("posts");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

fn rows(db: &SqliteExecutor, sql: &str) -> Vec<Vec<Value>> {
    db.with_connection(|c| {
        let mut s = c.prepare(sql).unwrap();
        let n = s.column_count();
        let rows = s.query_map([], |r| {
            Ok((0..n)
                .map(|i| match r.get::<_, rusqlite::types::Value>(i).unwrap() {
                    rusqlite::types::Value::Null => Value::Null,
                    rusqlite::types::Value::Integer(i) => json!(i),
                    rusqlite::types::Value::Text(t) => json!(t),
                    other => panic!("{other:?}"),
                })
                .collect())
        });
        rows.unwrap().map(Result::unwrap).collect()
    })
}

/// Everything stored, for "nothing changed" checks.
fn snapshot(db: &SqliteExecutor) -> Vec<Vec<Vec<Value>>> {
    [
        "posts", "comments", "replies", "post_tag", "boards", "cards",
    ]
    .iter()
    .map(|t| rows(db, &format!("SELECT * FROM {t} ORDER BY rowid")))
    .collect()
}

#[tokio::test]
async fn many_writes_are_one_round_trip_and_instances_get_their_stored_rows() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut first = Post::find_or_fail(1).await.unwrap();
        let mut second = Post::find_or_fail(2).await.unwrap();
        let trips = orm.round_trips();
        let mut unit = orm.unit_of_work();
        let created = unit
            .create::<Post>(json!({"title": "new", "org_id": "b"}))
            .await
            .unwrap();
        // What only reads a record (a pivot write) is queued before the unit borrows it.
        let tagged = unit.attach(&Post::TAGS, &first, [1, 2]).unwrap();
        first.set("title", "renamed");
        unit.save(&mut first).await.unwrap();
        unit.delete(&mut second).await.unwrap();
        let archived = unit
            .update(Post::where_("title", "a1"), json!({"title": "never"}))
            .unwrap();
        // create, attach, save + guard, delete + guard, mass update.
        assert_eq!(unit.statement_count(), 7);
        assert_eq!(orm.round_trips(), trips, "nothing sent before commit");
        // Reads inside the unit see the database as it was.
        assert_eq!(Post::query().count().await.unwrap(), 2);
        let trips = orm.round_trips();
        let statements = orm.statements();
        let mut done = unit.commit().await.unwrap();
        assert_eq!(orm.round_trips() - trips, 1);
        assert_eq!(orm.statements() - statements, 7);

        let created = done.take(created).unwrap();
        assert!(created.exists() && !created.is_dirty());
        assert_eq!(created.get("id"), Some(&json!(4)));
        assert_eq!(
            created.get("org_id"),
            Some(&json!("a")),
            "the active tenant wins"
        );
        assert!(created.get("created_at").is_some_and(Value::is_string));
        assert_eq!(first.get("title"), Some(&json!("renamed")));
        assert!(!first.is_dirty() && first.was_changed("title"));
        assert!(second.trashed());
        assert_eq!(*done.get(&tagged).unwrap(), 2);
        assert_eq!(
            *done.get(&archived).unwrap(),
            0,
            "a1 was renamed earlier in the batch"
        );
    })
    .await;
    assert_eq!(
        rows(
            &db,
            "SELECT id, title, deleted_at IS NOT NULL FROM posts ORDER BY id"
        ),
        [
            vec![json!(1), json!("renamed"), json!(0)],
            vec![json!(2), json!("a2"), json!(1)],
            vec![json!(3), json!("b1"), json!(0)],
            vec![json!(4), json!("new"), json!(0)],
        ]
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM post_tag"), [vec![json!(2)]]);
}

#[tokio::test]
async fn a_failing_statement_leaves_nothing_written() {
    let (orm, db) = orm();
    let before = snapshot(&db);
    orm.scope(async {
        let mut first = Post::find_or_fail(1).await.unwrap();
        let mut unit = orm.unit_of_work();
        unit.create::<Post>(json!({"title": "kept?"}))
            .await
            .unwrap();
        unit.attach(&Post::TAGS, &first, [1]).unwrap();
        first.set("title", "changed?");
        unit.save(&mut first).await.unwrap();
        // NOT NULL body: the database refuses the last statement.
        unit.create::<Comment>(json!({"post_id": 1, "body": null}))
            .await
            .unwrap();
        let error = unit.commit().await.unwrap_err();
        assert!(matches!(error, OrmError::Database { .. }), "{error}");
        assert!(!first.was_changed("title"), "no stored row was handed back");
    })
    .await;
    assert_eq!(snapshot(&db), before, "all or nothing");
}

#[tokio::test]
async fn a_write_that_finds_no_row_fails_the_whole_batch_as_model_not_found() {
    let (orm, db) = orm();
    // Post 3 as tenant b sees it, then written while tenant a is active.
    let b = orm.new_request();
    b.tenant().set(TenantContextData::new("b", "org-b"));
    let mut foreign = b.scope(Post::find_or_fail(3)).await.unwrap();
    let before = snapshot(&db);
    orm.scope(async {
        let mut unit = orm.unit_of_work();
        unit.create::<Post>(json!({"title": "x"})).await.unwrap();
        foreign.set("title", "taken over");
        unit.save(&mut foreign).await.unwrap();
        let error = unit.commit().await.unwrap_err();
        assert!(
            matches!(&error, OrmError::ModelNotFound { model: "Post", id: Some(id) } if id == "3"),
            "{error}"
        );
        // A record deleted behind the unit's back: its delete fails the batch too.
        let mut gone = Post::find_or_fail(2).await.unwrap();
        let mut unit = orm.unit_of_work();
        unit.create::<Post>(json!({"title": "y"})).await.unwrap();
        unit.force_delete(&mut gone).await.unwrap();
        Post::query()
            .with_trashed()
            .where_("id", 2)
            .force_delete()
            .await
            .unwrap();
        let error = unit.commit().await.unwrap_err();
        assert!(matches!(error, OrmError::ModelNotFound { .. }), "{error}");
    })
    .await;
    let mut expected = before;
    expected[0].remove(1); // only the out-of-band delete of post 2
    assert_eq!(snapshot(&db), expected);
}

#[tokio::test]
async fn children_of_parents_created_in_the_same_unit_get_the_database_assigned_key() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut unit = orm.unit_of_work();
        let post = unit
            .create::<Post>(json!({"title": "parent"}))
            .await
            .unwrap();
        let first = unit
            .create_related(
                &Post::COMMENTS,
                &post,
                json!({"body": "one", "post_id": 99}),
            )
            .await
            .unwrap();
        let second = unit
            .create_related(&Post::COMMENTS, &post, json!({"body": "two"}))
            .await
            .unwrap();
        let reply = unit
            .create_related(&Comment::REPLIES, &second, json!({"body": "re"}))
            .await
            .unwrap();
        let trips = orm.round_trips();
        let mut done = unit.commit().await.unwrap();
        assert_eq!(orm.round_trips() - trips, 1);
        let post = done.take(post).unwrap();
        let (first, second) = (done.take(first).unwrap(), done.take(second).unwrap());
        assert_eq!(
            first.get("post_id"),
            post.key(),
            "the batch's key, not the caller's 99"
        );
        assert_eq!(second.get("post_id"), post.key());
        assert_eq!(second.get("org_id"), Some(&json!("a")));
        assert_eq!(done.get(&reply).unwrap().get("comment_id"), second.key());
    })
    .await;
    assert_eq!(
        rows(
            &db,
            "SELECT c.body, p.title FROM comments c JOIN posts p ON p.id = c.post_id ORDER BY c.id"
        ),
        [
            vec![json!("one"), json!("parent")],
            vec![json!("two"), json!("parent")]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT r.body, c.body FROM replies r JOIN comments c ON c.id = r.comment_id"
        ),
        [vec![json!("re"), json!("two")]]
    );
}

#[tokio::test]
async fn generated_keys_link_children_anywhere_in_the_unit_and_an_unreadable_key_is_refused() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut unit = orm.unit_of_work();
        let board = unit.create::<Board>(json!({"name": "b"})).await.unwrap();
        unit.create::<Post>(json!({"title": "between"}))
            .await
            .unwrap();
        let card = unit
            .create_related(&Board::CARDS, &board, json!({"name": "c"}))
            .await
            .unwrap();
        let mut done = unit.commit().await.unwrap();
        let board = done.take(board).unwrap();
        assert_eq!(done.get(&card).unwrap().get("board_id"), board.key());

        // An integer-keyed parent with another INSERT in between: refused at once, and
        // the unit is poisoned — its commit sends nothing.
        let before = orm.statements();
        let mut unit = orm.unit_of_work();
        let post = unit.create::<Post>(json!({"title": "p"})).await.unwrap();
        unit.create::<Board>(json!({"name": "other"}))
            .await
            .unwrap();
        let error = unit
            .create_related(&Post::COMMENTS, &post, json!({"body": "orphan?"}))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, OrmError::InvalidQuery(m) if m.contains("KeyType::Uuid")),
            "{error}"
        );
        assert!(
            unit.create::<Post>(json!({"title": "q"})).await.is_err(),
            "poisoned"
        );
        assert!(unit.commit().await.is_err());
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
    assert_eq!(rows(&db, "SELECT count(*) FROM boards"), [vec![json!(1)]]);
    assert_eq!(rows(&db, "SELECT count(*) FROM posts"), [vec![json!(4)]]);
}

#[tokio::test]
async fn pre_events_run_when_queued_and_post_events_after_the_batch() {
    let (orm, db) = orm();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    for event in [
        HookEvent::Saving,
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Saved,
        HookEvent::Deleting,
        HookEvent::Deleted,
        HookEvent::Restoring,
        HookEvent::Restored,
    ] {
        let log = Arc::clone(&log);
        Logged::on(event, move |post: &mut Instance<Logged>| {
            let title = post
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            log.lock().unwrap().push(format!("{event}:{title}"));
            // A `creating` hook that refuses a title aborts the write.
            !(event == HookEvent::Creating && title == "refused")
        });
    }
    let note = |s: &str| log.lock().unwrap().push(s.to_string());
    orm.scope(async {
        let mut one = Logged::find_or_fail(1).await.unwrap();
        let mut two = Logged::find_or_fail(2).await.unwrap();
        two.delete().await.unwrap();
        log.lock().unwrap().clear();
        let mut unit = orm.unit_of_work();
        unit.create::<Logged>(json!({"title": "new"}))
            .await
            .unwrap();
        one.set("title", "upd");
        unit.save(&mut one).await.unwrap();
        unit.restore(&mut two).await.unwrap();
        note("commit");
        unit.commit().await.unwrap();
        assert!(!two.trashed());

        let before = orm.statements();
        let mut unit = orm.unit_of_work();
        let error = unit
            .create::<Logged>(json!({"title": "refused"}))
            .await
            .unwrap_err();
        assert!(matches!(error, OrmError::HookAborted { .. }), "{error}");
        assert!(
            unit.commit().await.is_err(),
            "a unit with an aborted write sends nothing"
        );
        assert_eq!(orm.statements(), before);
    })
    .await;
    Logged::clear_hooks();
    let log = log.lock().unwrap().clone();
    let commit = log.iter().position(|e| e == "commit").unwrap();
    assert_eq!(
        log[..commit],
        [
            "saving:new",
            "creating:new",
            "saving:upd",
            "updating:upd",
            "restoring:a2",
            "saving:a2",
            "updating:a2"
        ]
    );
    assert_eq!(
        log[commit + 1..commit + 7],
        [
            "created:new",
            "saved:new",
            "updated:upd",
            "saved:upd",
            "updated:a2",
            "saved:a2"
        ]
    );
    assert_eq!(log[commit + 7], "restored:a2");
    assert_eq!(
        rows(&db, "SELECT count(*) FROM posts WHERE title = 'refused'"),
        [vec![json!(0)]]
    );
}

#[tokio::test]
async fn an_empty_unit_sends_nothing_and_handles_stay_with_their_unit() {
    let (orm, _db) = orm();
    orm.scope(async {
        let trips = orm.round_trips();
        orm.unit_of_work().commit().await.unwrap();
        assert_eq!(orm.round_trips(), trips);
        let mut one = orm.unit_of_work();
        let post = one.create::<Post>(json!({"title": "x"})).await.unwrap();
        assert_eq!(one.get(&post).unwrap().get("title"), Some(&json!("x")));
        let other = orm.unit_of_work();
        assert!(matches!(other.get(&post), Err(OrmError::InvalidQuery(_))));
        let mut done = one.commit().await.unwrap();
        assert!(done.take(post).is_ok());
        assert!(done.take(post).is_err(), "taken once");
    })
    .await;
}

#[tokio::test]
async fn the_batch_sql_is_the_writes_then_their_guards() {
    let mock = MockExecutor::new();
    let stored = QueryResult::rows(["id", "title"], [vec![json!(7), json!("p")]]);
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        let mut post = Instance::<Reply>::from_attributes(json!({"body": "x"})).unwrap();
        let mut unit = orm.unit_of_work();
        let parent = unit
            .create::<Comment>(json!({"post_id": 1, "body": "c"}))
            .await
            .unwrap();
        unit.create_related(&Comment::REPLIES, &parent, json!({"body": "r"}))
            .await
            .unwrap();
        unit.save(&mut post).await.unwrap();
        for _ in 0..4 {
            mock.push(stored.clone());
        }
        unit.commit().await.unwrap();
    })
    .await;
    let sql: Vec<String> = mock
        .statements()
        .iter()
        .map(|s| s.sql.to_string())
        .collect();
    assert_eq!(
        sql,
        [
            "INSERT INTO \"comments\" (\"post_id\", \"body\") VALUES (?, ?) RETURNING *",
            "INSERT INTO \"replies\" (\"body\", \"comment_id\") SELECT ?, \"comments\".\"id\" \
             FROM \"comments\" WHERE \"comments\".\"rowid\" = last_insert_rowid() RETURNING *",
            "SELECT CASE WHEN changes() > 0 THEN NULL ELSE json_extract('{}', ?) END",
            "INSERT INTO \"replies\" (\"body\") VALUES (?) RETURNING *",
        ]
    );
}

#[tokio::test]
async fn pivot_writes_and_mass_deletes_report_their_outcomes() {
    let (orm, db) = orm();
    db.execute_batch("INSERT INTO post_tag VALUES (1, 1), (2, 1), (2, 2);")
        .unwrap();
    orm.scope(async {
        let (one, two) = (
            Post::find_or_fail(1).await.unwrap(),
            Post::find_or_fail(2).await.unwrap(),
        );
        let mut unit = orm.unit_of_work();
        let synced = unit.sync(&Post::TAGS, &one, [2]).unwrap();
        let detached = unit.detach(&Post::TAGS, &two, [1, 2]).unwrap();
        let trashed = unit.delete_where(Post::where_op("id", ">=", 1)).unwrap();
        let mut done = unit.commit().await.unwrap();
        let changes = done.take(synced).unwrap();
        assert_eq!(
            (changes.attached, changes.detached),
            (vec![json!(2)], vec![json!(1)])
        );
        assert_eq!(*done.get(&detached).unwrap(), 2);
        assert_eq!(
            *done.get(&trashed).unwrap(),
            2,
            "the tenant's two posts, not b's"
        );
    })
    .await;
    assert_eq!(
        rows(&db, "SELECT post_id, tag_id FROM post_tag"),
        [vec![json!(1), json!(2)]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL"
        ),
        [vec![json!(2)]]
    );
}

/// A unit's futures are `Send` (a handler on tokio's multi-threaded runtime can hold
/// one across an await): checked at compile time.
#[allow(dead_code)]
fn unit_futures_are_send(orm: &Orm, post: &'static mut Instance<Post>) {
    fn send<T: Send>(_: &T) {}
    let mut unit = orm.unit_of_work();
    send(&unit.save(post));
    send(&unit.create::<Post>(json!({})));
    send(&orm.unit_of_work().commit());
    send(&Instance::<Post>::new().push());
}

#[tokio::test]
async fn a_supplied_parent_key_links_children_anywhere_and_misuse_poisons_the_unit() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut unit = orm.unit_of_work();
        let post = unit
            .create::<Post>(json!({"id": 50, "title": "keyed"}))
            .await
            .unwrap();
        unit.create::<Board>(json!({"name": "between"}))
            .await
            .unwrap();
        let comment = unit
            .create_related(&Post::COMMENTS, &post, json!({"body": "c"}))
            .await
            .unwrap();
        let mut done = unit.commit().await.unwrap();
        assert_eq!(done.get(&comment).unwrap().get("post_id"), Some(&json!(50)));

        // A restore of a model without soft deletes: refused when queued, nothing sent.
        let before = orm.statements();
        let mut tag = Tag::query().first_or_fail().await.unwrap();
        let mut unit = orm.unit_of_work();
        unit.create::<Post>(json!({"title": "never"}))
            .await
            .unwrap();
        let error = unit.restore(&mut tag).await.unwrap_err();
        assert!(
            matches!(error, OrmError::NotSoftDeletable { .. }),
            "{error}"
        );
        assert!(matches!(
            unit.commit().await,
            Err(OrmError::NotSoftDeletable { .. })
        ));
        assert_eq!(orm.statements() - before, 1, "only the read of the tag");
    })
    .await;
    assert_eq!(
        rows(&db, "SELECT count(*) FROM posts WHERE title = 'never'"),
        [vec![json!(0)]]
    );
    assert_eq!(rows(&db, "SELECT post_id FROM comments"), [vec![json!(50)]]);
}
