//! Writes through relations on embedded SQLite: `create` / `create_many` / `make` /
//! `save` / `save_many` on has-one and has-many, `associate` / `dissociate` on
//! belongs-to, and `TOUCHES` bumping owners — foreign keys set from the parent, one
//! round trip for many children, tenants stamped, owners outside the scopes untouched,
//! and mistakes before any SQL.
use roost_orm::prelude::*;
use roost_orm::relations::{BelongsToRelation, HasManyRelation, HasOneRelation};
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, QueryResult, SqliteExecutor};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE writers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT, updated_at TEXT);
CREATE TABLE bios (id INTEGER PRIMARY KEY, writer_id INTEGER NOT NULL, text TEXT);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY, writer_id INTEGER, title TEXT NOT NULL, org_id TEXT,
    created_at TEXT, updated_at TEXT, deleted_at TEXT
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY, article_id INTEGER, body TEXT NOT NULL, org_id TEXT,
    created_at TEXT, updated_at TEXT
);
INSERT INTO writers (id, name, updated_at) VALUES (1, 'ann', 'old'), (2, 'bob', 'old');
";

const OLD: &str = "old";

struct Writer;
impl Writer {
    const ARTICLES: HasManyRelation<Article> = HasManyRelation::new("writer_id", "id");
    const BIO: HasOneRelation<Bio> = HasOneRelation::foreign("writer_id");
}
impl ModelDef for Writer {
    const TABLE: Option<&'static str> = Some("writers");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::text("created_at"),
        Column::text("updated_at"),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.add("articles", Writer::ARTICLES).add("bio", Writer::BIO);
    }
}

struct Bio;
impl ModelDef for Bio {
    const TIMESTAMPS: bool = false;
}

/// Tenant-scoped, soft deletes; touches its writer.
struct Article;
impl Article {
    const WRITER: BelongsToRelation<Writer> = BelongsToRelation::new("writer_id", "id");
    const NOTES: HasManyRelation<Note> = HasManyRelation::new("article_id", "id");
}
impl ModelDef for Article {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
    const TOUCHES: &'static [&'static str] = &["writer"];
    fn relations(r: &mut RelationMap<Self>) {
        r.add("writer", Article::WRITER)
            .add("notes", Article::NOTES);
    }
}

/// Tenant-scoped; touches its article (tenant-scoped, soft-deleting).
struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const TOUCHES: &'static [&'static str] = &["article"];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Article>("article", "article_id", "id");
    }
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

/// One column of every row of `table`, in id order, read outside the ORM.
fn column(db: &SqliteExecutor, table: &str, column: &str) -> Vec<Value> {
    let sql = format!("SELECT {column} FROM {table} ORDER BY id");
    db.with_connection(|conn| {
        let mut statement = conn.prepare(&sql).unwrap();
        let rows = statement.query_map([], |row| row.get::<_, rusqlite::types::Value>(0));
        rows.unwrap()
            .map(|v| match v.unwrap() {
                rusqlite::types::Value::Null => Value::Null,
                rusqlite::types::Value::Integer(i) => json!(i),
                rusqlite::types::Value::Text(t) => json!(t),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    })
}

fn writer(orm: &Orm, id: i64) -> Instance<Writer> {
    let _ = orm;
    Instance::from_attributes(json!({"id": id, "name": "x"})).unwrap()
}

#[tokio::test]
async fn create_sets_the_foreign_key_stamps_the_tenant_and_touches_in_one_round_trip() {
    let (orm, db) = orm();
    orm.scope(async {
        let ann = Writer::find_or_fail(1).await.unwrap();
        let (trips, statements) = (orm.round_trips(), orm.statements());
        let article = Writer::ARTICLES
            .create(&ann, json!({"title": "t", "writer_id": 2, "org_id": "b"}))
            .await
            .unwrap();
        assert_eq!(
            orm.round_trips() - trips,
            1,
            "the INSERT and the touch together"
        );
        assert_eq!(orm.statements() - statements, 2);
        assert_eq!(
            article.get("writer_id"),
            Some(&json!(1)),
            "the parent's key wins"
        );
        assert_eq!(
            article.get("org_id"),
            Some(&json!("a")),
            "the active tenant wins"
        );
        assert!(article.exists() && !article.is_dirty());
        assert!(article.get("created_at").is_some_and(Value::is_string));
    })
    .await;
    let touched = column(&db, "writers", "updated_at");
    assert_ne!(touched[0], json!(OLD), "writer 1 touched");
    assert_eq!(touched[1], json!(OLD), "writer 2 not touched");
}

#[tokio::test]
async fn make_sends_nothing_and_has_one_create_and_save_set_the_key() {
    let (orm, db) = orm();
    orm.scope(async {
        let ann = writer(&orm, 1);
        let before = orm.statements();
        let draft = Writer::ARTICLES.make(&ann, json!({"title": "d"})).unwrap();
        assert_eq!(orm.statements(), before, "make only builds the instance");
        assert!(!draft.exists());
        assert_eq!(draft.get("writer_id"), Some(&json!(1)));

        let bio = Writer::BIO
            .create(&ann, json!({"text": "hi"}))
            .await
            .unwrap();
        assert_eq!(bio.get("writer_id"), Some(&json!(1)));
        let mut moved = Instance::<Bio>::from_attributes(json!({"text": "again"})).unwrap();
        Writer::BIO
            .save(&writer(&orm, 2), &mut moved)
            .await
            .unwrap();
        assert!(moved.exists());
    })
    .await;
    assert_eq!(column(&db, "bios", "writer_id"), [json!(1), json!(2)]);
}

#[tokio::test]
async fn create_many_is_one_round_trip_all_or_nothing() {
    let (orm, db) = orm();
    orm.scope(async {
        let ann = writer(&orm, 1);
        let before = orm.round_trips();
        let rows: Vec<Value> = (0..300)
            .map(|i| json!({"title": format!("t{i}")}))
            .collect();
        let articles = Writer::ARTICLES.create_many(&ann, rows).await.unwrap();
        assert_eq!(orm.round_trips() - before, 1);
        assert_eq!(articles.len(), 300);
        assert!(articles
            .iter()
            .all(|a| a.exists() && a.get("writer_id") == Some(&json!(1))));
        assert_eq!(articles[299].get("title"), Some(&json!("t299")));

        // A row the database refuses (title is NOT NULL) stores none of them.
        let bad = [json!({"title": "fine"}), json!({"title": null})];
        let err = Writer::ARTICLES.create_many(&ann, bad).await.unwrap_err();
        assert!(matches!(err, OrmError::Database { .. }), "{err:?}");
    })
    .await;
    assert_eq!(column(&db, "articles", "id").len(), 300);
}

#[tokio::test]
async fn save_many_inserts_the_new_together_and_updates_the_stored() {
    let (orm, db) = orm();
    orm.scope(async {
        let bob = writer(&orm, 2);
        let mut stored = Article::create(json!({"title": "kept", "writer_id": 1}))
            .await
            .unwrap();
        stored.set("title", "moved");
        let mut children = vec![
            Instance::<Article>::from_attributes(json!({"title": "n1"})).unwrap(),
            stored,
            Instance::<Article>::from_attributes(json!({"title": "n2"})).unwrap(),
        ];
        let before = orm.round_trips();
        Writer::ARTICLES
            .save_many(&bob, &mut children)
            .await
            .unwrap();
        assert_eq!(
            orm.round_trips() - before,
            3,
            "the new ones together (+ touch), the stored one, its touch"
        );
        assert!(children.iter().all(|c| c.exists() && !c.is_dirty()));
        assert_eq!(children[0].get("title"), Some(&json!("n1")), "order kept");
        assert_eq!(children[1].get("title"), Some(&json!("moved")));
    })
    .await;
    assert_eq!(
        column(&db, "articles", "writer_id"),
        [json!(2), json!(2), json!(2)]
    );
}

#[tokio::test]
async fn associate_and_dissociate_change_the_child_until_saved() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut article = Article::create(json!({"title": "t"})).await.unwrap();
        let bob = Writer::find_or_fail(2).await.unwrap();
        let before = orm.statements();
        Article::WRITER.associate(&mut article, &bob).unwrap();
        assert_eq!(orm.statements(), before, "associate writes nothing");
        assert_eq!(article.get("writer_id"), Some(&json!(2)));
        let loaded = article.related_one::<Writer>("writer").unwrap().unwrap();
        assert_eq!(loaded.get("name"), Some(&json!("bob")));
        article.save().await.unwrap();
        assert_eq!(column(&db, "articles", "writer_id"), [json!(2)]);

        Article::WRITER.dissociate(&mut article).unwrap();
        assert!(article.related_one::<Writer>("writer").unwrap().is_none());
        article.save().await.unwrap();
        assert_eq!(column(&db, "articles", "writer_id"), [json!(null)]);

        // An owner without a key can't be associated.
        let unsaved = Instance::<Writer>::from_attributes(json!({"name": "new"})).unwrap();
        let err = Article::WRITER
            .associate(&mut article, &unsaved)
            .unwrap_err();
        assert!(matches!(err, OrmError::MissingPrimaryKey { .. }), "{err:?}");
        assert_eq!(
            article.get("writer_id"),
            Some(&Value::Null),
            "left as it was"
        );
    })
    .await;
}

#[tokio::test]
async fn a_parent_without_a_key_or_a_bad_key_column_fails_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let unsaved = Instance::<Writer>::from_attributes(json!({"name": "new"})).unwrap();
        let before = orm.statements();
        let missing = |e: OrmError| matches!(e, OrmError::MissingPrimaryKey { .. });
        assert!(missing(
            Writer::ARTICLES
                .create(&unsaved, json!({"title": "t"}))
                .await
                .unwrap_err()
        ));
        assert!(missing(
            Writer::ARTICLES
                .create_many(&unsaved, [json!({"title": "t"})])
                .await
                .unwrap_err()
        ));
        let mut child = Instance::<Article>::from_attributes(json!({"title": "t"})).unwrap();
        assert!(missing(
            Writer::ARTICLES
                .save(&unsaved, &mut child)
                .await
                .unwrap_err()
        ));
        assert!(missing(
            Writer::ARTICLES
                .save_many(&unsaved, std::slice::from_mut(&mut child))
                .await
                .unwrap_err()
        ));

        // Writer declares its columns: a relation through an unknown one is refused.
        let typo = HasManyRelation::<Article>::new("writer_id", "idd");
        let err = typo
            .create(&writer(&orm, 1), json!({"title": "t"}))
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
}

#[tokio::test]
async fn touches_follow_updates_and_deletes_but_not_trashed_or_foreign_owners() {
    let (orm, db) = orm();
    db.execute_batch(
        "INSERT INTO articles (id, writer_id, title, org_id, updated_at, deleted_at) VALUES
           (1, 1, 'mine', 'a', 'old', NULL), (2, 1, 'binned', 'a', 'old', '2026-01-01'),
           (3, 2, 'theirs', 'b', 'old', NULL);
         INSERT INTO notes (id, article_id, body, org_id, updated_at) VALUES (1, 1, 'n', 'a', 'old');",
    )
    .unwrap();
    orm.scope(async {
        let mut note = Note::find_or_fail(1).await.unwrap();
        note.set("body", "edited");
        let before = orm.statements();
        note.save().await.unwrap();
        assert_eq!(orm.statements() - before, 2, "the update, then the touch");
        let updated = column(&db, "articles", "updated_at");
        assert_ne!(updated[0], json!(OLD), "the owner is touched");

        // A clean save writes nothing and touches nothing.
        let before = orm.statements();
        note.save().await.unwrap();
        assert_eq!(orm.statements(), before);

        // Notes pointing at a trashed article, and at another tenant's article.
        for article in [2, 3] {
            Note::create(json!({"article_id": article, "body": "x"}))
                .await
                .unwrap();
        }
        let stamps = column(&db, "articles", "updated_at");
        assert_eq!(stamps[1], json!(OLD), "a trashed owner is not touched");
        assert_eq!(
            stamps[2],
            json!(OLD),
            "another tenant's owner is not touched"
        );

        db.execute_batch("UPDATE articles SET updated_at = 'old' WHERE id = 1")
            .unwrap();
        note.delete().await.unwrap();
        assert_ne!(
            column(&db, "articles", "updated_at")[0],
            json!(OLD),
            "delete touches"
        );
    })
    .await;
}

#[tokio::test]
async fn a_touch_statement_is_the_owners_scoped_mass_update() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    mock.push(QueryResult::rows(
        ["id", "article_id"],
        [vec![json!(9), json!(4)]],
    ));
    orm.scope(async {
        Note::create(json!({"article_id": 4, "body": "x"}))
            .await
            .unwrap();
    })
    .await;
    let statements = mock.statements();
    assert_eq!(statements.len(), 2, "{statements:?}");
    assert!(statements[0].sql.starts_with(r#"INSERT INTO "notes""#));
    assert_eq!(
        statements[1].sql,
        r#"UPDATE "articles" SET "updated_at" = ? WHERE "articles"."id" = ? AND "articles"."org_id" = ? AND "articles"."deleted_at" IS NULL"#
    );
    assert_eq!(statements[1].params[1..], [4.into(), "a".into()]);
}

/// Bad `TOUCHES` declarations.
struct TouchesUnknown;
impl ModelDef for TouchesUnknown {
    const TABLE: Option<&'static str> = Some("notes");
    const TOUCHES: &'static [&'static str] = &["nope"];
}
struct TouchesHasMany;
impl ModelDef for TouchesHasMany {
    const TABLE: Option<&'static str> = Some("writers");
    const TOUCHES: &'static [&'static str] = &["articles"];
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Article>("articles", "writer_id", "id");
    }
}
struct TouchesNoTimestamps;
impl ModelDef for TouchesNoTimestamps {
    const TABLE: Option<&'static str> = Some("notes");
    const TOUCHES: &'static [&'static str] = &["bio"];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Bio>("bio", "article_id", "id");
    }
}

#[tokio::test]
async fn bad_touches_make_the_model_invalid_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let invalid = |e: OrmError, needle: &str| match e {
            OrmError::InvalidModel { reason, .. } => assert!(reason.contains(needle), "{reason}"),
            other => panic!("expected InvalidModel, got {other:?}"),
        };
        invalid(TouchesUnknown::all().await.unwrap_err(), "[nope]");
        invalid(TouchesHasMany::all().await.unwrap_err(), "not a belongs-to");
        invalid(
            TouchesNoTimestamps::all().await.unwrap_err(),
            "no timestamps",
        );
        assert_eq!(orm.statements(), before);
    })
    .await;
}
