//! Writes on a query that add rows — `insert`, `insert_or_ignore`, `upsert`,
//! `update_or_insert` — on embedded SQLite: statement counts, all-or-nothing, casts,
//! timestamps, the tenant stamped and never crossed; the SQL pinned through the mock.
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, OrmError, SqlValue, SqliteExecutor, Statement};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE members (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE, name TEXT, score INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 0, prefs TEXT,
  created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
";

/// Tenant-scoped, soft-deleting, with casts.
struct Member;
impl ModelDef for Member {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("org_id"),
        Column::text("email"),
        Column::text("name").nullable(),
        Column::integer("score"),
        Column::boolean("active"),
        Column::json("prefs").nullable(),
    ];
}

/// No tenant, no timestamps, no column list.
struct Tag;
impl ModelDef for Tag {
    const TIMESTAMPS: bool = false;
}

fn setup(tenant: Option<&str>) -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    if let Some(org) = tenant {
        orm.tenant()
            .set(TenantContextData::new(org, format!("org-{org}")));
    }
    (orm, db)
}

/// `SELECT <sql>` straight from SQLite, each row's columns as text.
fn rows(db: &SqliteExecutor, sql: &str) -> Vec<Vec<String>> {
    db.with_connection(|c| {
        let mut s = c.prepare(sql).unwrap();
        let n = s.column_count();
        s.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(f) => f.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(_) => "BLOB".to_string(),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    })
}

fn count(db: &SqliteExecutor, table: &str) -> usize {
    rows(db, &format!("SELECT id FROM {table}")).len()
}

#[tokio::test]
async fn insert_is_one_statement_with_casts_timestamps_and_the_tenant() {
    let (orm, db) = setup(Some("a"));
    let many: Vec<Value> = (0..1000)
        .map(|i| json!({"email": format!("m{i}@x"), "score": i, "active": i % 2 == 0}))
        .collect();
    let n = orm.scope(Member::insert(many)).await.unwrap();
    assert_eq!(n, 1000);
    assert_eq!((orm.statements(), orm.round_trips()), (1, 1));
    // Another tenant named in a row is overwritten with the active one, as on a save.
    let n = orm
        .scope(Member::insert([json!({
            "email": "z@x", "org_id": "b", "active": true, "prefs": {"theme": "dark"}
        })]))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        rows(&db, "SELECT org_id, active, prefs, created_at IS NOT NULL, updated_at = created_at FROM members WHERE email = 'z@x'"),
        [["a", "1", "{\"theme\":\"dark\"}", "1", "1"]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*), sum(active), min(org_id), max(org_id) FROM members"
        ),
        [["1001", "501", "a", "a"]]
    );
    // Rows naming different columns: one statement per column list, one round trip.
    let before = (orm.statements(), orm.round_trips());
    let n = orm
        .scope(Tag::insert([
            json!({"name": "x"}),
            json!({"id": 500, "name": "y"}),
            json!({"name": "z"}),
        ]))
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        (orm.statements() - before.0, orm.round_trips() - before.1),
        (2, 1)
    );
    assert_eq!(
        rows(&db, "SELECT id, name FROM tags ORDER BY name"),
        // Grouped by column list in order of first appearance: x and z, then y.
        [["1", "x"], ["500", "y"], ["2", "z"]]
    );
    // Nothing to insert: no statement.
    let before = orm.statements();
    assert_eq!(
        orm.scope(Tag::insert(Vec::<Value>::new())).await.unwrap(),
        0
    );
    assert_eq!(orm.statements(), before);
}

#[tokio::test]
async fn insert_is_all_or_nothing() {
    let (orm, db) = setup(None);
    db.execute_batch("INSERT INTO tags (name) VALUES ('taken')")
        .unwrap();
    // The duplicate is in the second statement of the batch: the first is rolled back.
    let err = orm
        .scope(Tag::insert([
            json!({"name": "a"}),
            json!({"name": "b"}),
            json!({"id": 9, "name": "taken"}),
        ]))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::Database { .. }), "{err}");
    assert_eq!(count(&db, "tags"), 1);
}

#[tokio::test]
async fn bad_rows_fail_before_any_sql() {
    let (orm, db) = setup(Some("a"));
    let cases: Vec<Vec<Value>> = vec![
        vec![json!({"email": "a@x"}), json!({"emial": "typo@x"})],
        vec![json!({"email": "a@x", "score": u64::MAX})],
        vec![json!({"email\"; --": "a@x"})],
        vec![json!(["not", "a", "map"])],
        vec![json!({"email": "a@x", "members.email": "b@x"})],
    ];
    for case in cases {
        let err = orm.scope(Member::insert(case.clone())).await.unwrap_err();
        assert!(!matches!(err, OrmError::Database { .. }), "{case:?}: {err}");
        let err = orm
            .scope(Member::insert_or_ignore(case.clone()))
            .await
            .unwrap_err();
        assert!(!matches!(err, OrmError::Database { .. }), "{case:?}: {err}");
        let err = orm
            .scope(Member::upsert(case.clone(), &["email"], None))
            .await
            .unwrap_err();
        assert!(!matches!(err, OrmError::Database { .. }), "{case:?}: {err}");
    }
    // Bad upsert configurations.
    let row = || vec![json!({"email": "a@x", "name": "A"})];
    for (unique, update) in [
        (vec![], None),
        (vec!["emial"], None),
        (vec!["name"], Some(vec!["score"])),
        (vec!["email"], Some(vec!["org_id"])),
        (vec!["email"], Some(vec!["nope"])),
        (vec!["score"], None),
    ] {
        let result = orm
            .scope(Member::upsert(row(), &unique, update.as_deref()))
            .await;
        if unique == ["name"] {
            // A column the rows give but no UNIQUE index: SQLite refuses the statement.
            assert!(
                matches!(result, Err(OrmError::Database { .. })),
                "{result:?}"
            );
        } else {
            assert!(
                matches!(
                    result,
                    Err(OrmError::InvalidQuery(_)) | Err(OrmError::UnknownColumn { .. })
                ),
                "{unique:?} {update:?}: {result:?}"
            );
        }
    }
    let err = orm
        .scope(Member::upsert(
            [
                json!({"email": "a@x"}),
                json!({"email": "b@x", "name": "B"}),
            ],
            &["email"],
            None,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::InvalidQuery(_)), "{err}");
    assert_eq!(orm.statements(), 1); // only the unindexed upsert reached SQLite
    assert_eq!(count(&db, "members"), 0);
}

#[tokio::test]
async fn insert_or_ignore_skips_conflicts() {
    let (orm, db) = setup(None);
    orm.scope(Tag::insert([json!({"name": "a"})]))
        .await
        .unwrap();
    let n = orm
        .scope(Tag::insert_or_ignore([
            json!({"name": "a"}),
            json!({"name": "b"}),
            json!({"name": "b"}),
            json!({"name": "c"}),
        ]))
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        rows(&db, "SELECT name FROM tags ORDER BY id"),
        [["a"], ["b"], ["c"]]
    );
}

#[tokio::test]
async fn upsert_inserts_and_updates_within_the_tenant() {
    let (orm, db) = setup(Some("a"));
    db.execute_batch(
        "INSERT INTO members (org_id, email, name, score, created_at, updated_at)
         VALUES ('a', 'a1@x', 'old', 1, '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z'),
                ('b', 'b1@x', 'theirs', 7, '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z');",
    )
    .unwrap();
    let n = orm
        .scope(Member::upsert(
            [
                json!({"email": "a1@x", "name": "new", "score": 2}),
                json!({"email": "a2@x", "name": "fresh", "score": 3}),
                // Another tenant's email: its row must not be taken over.
                json!({"email": "b1@x", "name": "stolen", "score": 99}),
            ],
            &["email"],
            Some(&["name"]),
        ))
        .await
        .unwrap();
    assert_eq!(
        n, 2,
        "one update, one insert; the foreign conflict changes nothing"
    );
    assert_eq!(orm.statements(), 1);
    assert_eq!(
        rows(&db, "SELECT org_id, email, name, score, created_at = '2020-01-01T00:00:00.000Z', updated_at > created_at FROM members ORDER BY id"),
        [
            // Only `name` (and updated_at) taken from the new row; created_at kept.
            ["a", "a1@x", "new", "1", "1", "1"],
            ["b", "b1@x", "theirs", "7", "1", "0"],
            ["a", "a2@x", "fresh", "3", "0", "0"],
        ]
    );
    // `None`: every column the rows give (never the tenant); `Some(&[])`: no update.
    orm.scope(Member::upsert(
        [json!({"email": "a1@x", "name": "again", "score": 5})],
        &["email"],
        None,
    ))
    .await
    .unwrap();
    let n = orm
        .scope(Member::upsert(
            [
                json!({"email": "a1@x", "name": "ignored", "score": 6}),
                json!({"email": "a3@x", "name": "x", "score": 0}),
            ],
            &["email"],
            Some(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        rows(
            &db,
            "SELECT org_id, name, score FROM members WHERE email IN ('a1@x', 'a3@x') ORDER BY id"
        ),
        [["a", "again", "5"], ["a", "x", "0"]]
    );
}

#[tokio::test]
async fn update_or_insert_is_one_round_trip_and_scoped() {
    let (orm, db) = setup(Some("a"));
    db.execute_batch(
        "INSERT INTO members (org_id, email, name, score) VALUES ('b', 'shared@x', 'theirs', 7);
         INSERT INTO members (org_id, email, name, score, deleted_at) VALUES ('a', 'gone@x', 'gone', 1, '2020-01-01T00:00:00.000Z');",
    )
    .unwrap();
    // Missing for tenant a: inserted.
    let inserted = orm
        .scope(Member::update_or_insert(
            json!({"name": "alice"}),
            json!({"email": "alice@x", "score": 1}),
        ))
        .await
        .unwrap();
    assert!(inserted);
    assert_eq!((orm.round_trips(), orm.statements()), (1, 2));
    // Present: updated, nothing inserted.
    let inserted = orm
        .scope(Member::update_or_insert(
            json!({"name": "alice"}),
            json!({"score": 2}),
        ))
        .await
        .unwrap();
    assert!(!inserted);
    // Tenant b's row with the same name is neither matched nor changed.
    let inserted = orm
        .scope(Member::update_or_insert(
            json!({"name": "theirs"}),
            json!({"email": "mine@x", "score": 3}),
        ))
        .await
        .unwrap();
    assert!(inserted);
    // A value that changes the matched column: the insert is skipped, the update runs
    // once on the stored row.
    let inserted = orm
        .scope(
            Member::where_("score", 2)
                .update_or_insert(json!({"name": "alice"}), json!({"name": "alicia"})),
        )
        .await
        .unwrap();
    assert!(!inserted);
    assert_eq!(
        rows(
            &db,
            "SELECT org_id, email, name, score, deleted_at IS NULL FROM members ORDER BY id"
        ),
        [
            ["b", "shared@x", "theirs", "7", "1"],
            ["a", "gone@x", "gone", "1", "0"],
            ["a", "alice@x", "alicia", "2", "1"],
            ["a", "mine@x", "theirs", "3", "1"],
        ]
    );
    // A failing insert rolls the batch back.
    let err = orm
        .scope(Member::update_or_insert(
            json!({"name": "nobody"}),
            json!({"email": "shared@x"}),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::Database { .. }), "{err}");
    assert_eq!(count(&db, "members"), 4);
}

#[tokio::test]
async fn insert_sql_is_pinned() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm.scope(async {
        Tag::insert([json!({"name": "x"}), json!({"name": "y"})])
            .await
            .unwrap();
        Tag::insert_or_ignore([json!({"name": "x"})]).await.unwrap();
        Tag::upsert([json!({"name": "x"})], &["name"], None)
            .await
            .unwrap();
    })
    .await;
    use SqlValue::Text as T;
    assert_eq!(
        mock.statements(),
        vec![
            Statement::new(
                "INSERT INTO \"tags\" (\"name\") SELECT json_extract(\"json_each\".\"value\", '$[0]') \
                 FROM json_each(?) ORDER BY \"json_each\".\"key\"",
                vec![T("[[\"x\"],[\"y\"]]".into())]
            ),
            Statement::new("INSERT OR IGNORE INTO \"tags\" (\"name\") VALUES (?)", vec![T("x".into())]),
            Statement::new(
                "INSERT INTO \"tags\" (\"name\") VALUES (?) ON CONFLICT (\"name\") \
                 DO UPDATE SET \"name\" = \"excluded\".\"name\"",
                vec![T("x".into())]
            ),
        ]
    );
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm.scope(async {
        Member::upsert(
            [json!({"email": "e", "created_at": "t", "updated_at": "t"})],
            &["email"],
            Some(&["email"]),
        )
        .await
        .unwrap();
        Member::update_or_insert(json!({"email": "e"}), json!({"updated_at": "t"}))
            .await
            .unwrap();
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
            // The update is guarded by the tenant column.
            "INSERT INTO \"members\" (\"email\", \"created_at\", \"updated_at\", \"org_id\") VALUES (?, ?, ?, ?) \
             ON CONFLICT (\"email\") DO UPDATE SET \"email\" = \"excluded\".\"email\", \
             \"updated_at\" = \"excluded\".\"updated_at\" \
             WHERE \"members\".\"org_id\" = \"excluded\".\"org_id\"",
            "INSERT INTO \"members\" (\"email\", \"updated_at\", \"org_id\", \"created_at\") SELECT ?, ?, ?, ? \
             WHERE NOT EXISTS (SELECT 1 FROM \"members\" WHERE \"members\".\"email\" = ? \
             AND \"members\".\"org_id\" = ? AND \"members\".\"deleted_at\" IS NULL)",
            "UPDATE \"members\" SET \"updated_at\" = ? WHERE \"members\".\"email\" = ? \
             AND \"members\".\"org_id\" = ? AND \"members\".\"deleted_at\" IS NULL",
        ]
    );
}
