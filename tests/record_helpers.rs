//! Record helpers on embedded SQLite: `touch`, `replicate`, `is` / `is_not`, `fresh`,
//! and `refresh` reloading the loaded relations.
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE writers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT, updated_at TEXT);
CREATE TABLE pieces (id INTEGER PRIMARY KEY, writer_id INTEGER, title TEXT, deleted_at TEXT);
INSERT INTO writers VALUES (1, 'ann', '2020', '2020'), (2, 'bob', '2020', '2020');
INSERT INTO pieces VALUES (1, 1, 'one', NULL);
";

struct Writer;
impl ModelDef for Writer {
    const TABLE: Option<&'static str> = Some("writers");
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Piece>("pieces", "writer_id", "id");
    }
}

struct Piece;
impl ModelDef for Piece {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    (Orm::new(db.clone()), db)
}

#[tokio::test]
async fn touch_sets_updated_at_or_reports_no_timestamps() {
    let (orm, _db) = orm();
    orm.scope(async {
        let mut ann = Writer::find_or_fail(1).await.unwrap();
        assert!(ann.touch().await.unwrap());
        let stored = Writer::find_or_fail(1).await.unwrap();
        assert_ne!(stored.get("updated_at"), Some(&json!("2020")));
        assert_eq!(stored.get("created_at"), Some(&json!("2020")));

        let mut piece = Piece::find_or_fail(1).await.unwrap();
        let before = orm.statements();
        assert!(!piece.touch().await.unwrap());
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
}

#[tokio::test]
async fn replicate_is_a_new_record_without_key_or_timestamps() {
    let (orm, db) = orm();
    orm.scope(async {
        let ann = Writer::find_or_fail(1).await.unwrap();
        let mut copy = ann.replicate().await.unwrap();
        assert!(!copy.exists());
        assert_eq!(copy.get("id"), None);
        assert_eq!(copy.get("created_at"), None);
        assert_eq!(copy.get("name"), Some(&json!("ann")));
        copy.save().await.unwrap();
        assert_ne!(copy.key(), ann.key());
        let without_name = ann.replicate_except(&["name"]).await.unwrap();
        assert_eq!(without_name.get("name"), None);
    })
    .await;
    let n: i64 = db.with_connection(|c| {
        c.query_row("SELECT COUNT(*) FROM writers", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(n, 3);
}

#[tokio::test]
async fn is_compares_model_and_key() {
    let (orm, _db) = orm();
    orm.scope(async {
        let a = Writer::find_or_fail(1).await.unwrap();
        let a2 = Writer::find_or_fail(1).await.unwrap();
        let b = Writer::find_or_fail(2).await.unwrap();
        let piece = Piece::find_or_fail(1).await.unwrap();
        assert!(a.is(&a2) && a.is_not(&b));
        assert!(a.is_not(&piece), "another model with the same key");
        let unsaved = Instance::<Writer>::new();
        assert!(
            unsaved.is_not(&Instance::<Writer>::new()),
            "no key is no record"
        );
    })
    .await;
}

#[tokio::test]
async fn fresh_and_refresh_read_the_row_and_its_loaded_relations_again() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut ann = Writer::with(["pieces"]).find(1).await.unwrap().unwrap();
        ann.set("name", "unsaved");
        db.execute_batch(
            "UPDATE writers SET name = 'ann2' WHERE id = 1;
             INSERT INTO pieces VALUES (2, 1, 'two', NULL);",
        )
        .unwrap();
        let fresh = ann.fresh().await.unwrap().unwrap();
        assert_eq!(fresh.get("name"), Some(&json!("ann2")));
        assert_eq!(fresh.related::<Piece>("pieces").unwrap().len(), 2);
        assert_eq!(
            ann.get("name"),
            Some(&json!("unsaved")),
            "fresh leaves the instance alone"
        );
        assert_eq!(ann.related::<Piece>("pieces").unwrap().len(), 1);

        ann.refresh().await.unwrap();
        assert_eq!(ann.get("name"), Some(&json!("ann2")));
        assert!(!ann.is_dirty());
        assert_eq!(
            ann.related::<Piece>("pieces").unwrap().len(),
            2,
            "relations reloaded"
        );

        db.execute_batch("DELETE FROM writers WHERE id = 1")
            .unwrap();
        assert!(ann.fresh().await.unwrap().is_none());
        let err = ann.refresh().await.unwrap_err();
        assert!(matches!(err, OrmError::ModelNotFound { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn without_timestamps_leaves_the_stamps_alone_inside_only() {
    let (orm, _db) = orm();
    orm.scope(async {
        let mut ann = Writer::find_or_fail(1).await.unwrap();
        ann.set("name", "quiet");
        Writer::without_timestamps(|| ann.save()).await.unwrap();
        let stored = Writer::find_or_fail(1).await.unwrap();
        assert_eq!(stored.get("name"), Some(&json!("quiet")));
        assert_eq!(
            stored.get("updated_at"),
            Some(&json!("2020")),
            "not stamped inside"
        );
        let made = Writer::without_timestamps(|| Writer::create(json!({"name": "new"})))
            .await
            .unwrap();
        assert_eq!(made.get("created_at"), Some(&serde_json::Value::Null));
        Writer::without_timestamps(|| {
            Writer::query()
                .where_("id", 2)
                .update(json!({"name": "b2"}))
        })
        .await
        .unwrap();
        assert_eq!(
            Writer::find_or_fail(2).await.unwrap().get("updated_at"),
            Some(&json!("2020"))
        );

        ann.set("name", "loud");
        ann.save().await.unwrap();
        assert_ne!(
            ann.get("updated_at"),
            Some(&json!("2020")),
            "stamped again outside"
        );
    })
    .await;
}
