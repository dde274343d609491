//! `find` on an unconstrained query reuses its SQL text (compiled once per model and
//! scope shape, per thread): the statement sent must be exactly what the compiler writes
//! for that shape, with the values of this call, whatever ran before it.
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, QueryResult, SqlValue, SqliteExecutor, Statement};
use serde_json::json;

use SqlValue::{Integer as I, Text as T};

struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const SOFT_DELETES: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("title"),
        Column::text("org_id"),
    ];
}

struct BadKey;
impl ModelDef for BadKey {
    const PRIMARY_KEY: &'static str = "id; DROP TABLE x";
}

fn stmt(sql: &str, params: Vec<SqlValue>) -> Statement {
    Statement::new(sql, params)
}

const PLAIN: &str =
    "SELECT * FROM \"notes\" WHERE \"notes\".\"id\" = ? AND \"notes\".\"deleted_at\" IS NULL";
const TENANT: &str = "SELECT * FROM \"notes\" WHERE \"notes\".\"id\" = ? AND \"notes\".\"org_id\" = ? AND \"notes\".\"deleted_at\" IS NULL";
const TENANT_WITH_TRASHED: &str =
    "SELECT * FROM \"notes\" WHERE \"notes\".\"id\" = ? AND \"notes\".\"org_id\" = ?";
const TENANT_ONLY_TRASHED: &str = "SELECT * FROM \"notes\" WHERE \"notes\".\"id\" = ? AND \"notes\".\"org_id\" = ? AND \"notes\".\"deleted_at\" IS NOT NULL";

#[tokio::test]
async fn every_scope_shape_gets_its_own_text_and_this_calls_values() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        // Each shape twice: the first call compiles, the second reuses the text.
        for id in [1, 2] {
            Note::find(id).await.unwrap();
        }
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("org-a", "a"));
        for id in [3, 4] {
            Note::find(id).await.unwrap();
        }
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("org-b", "b"));
        Note::find(5).await.unwrap();
        Note::query().with_trashed().find(6).await.unwrap();
        Note::query().with_trashed().find(7).await.unwrap();
        Note::query().only_trashed().find(8).await.unwrap();
        Note::without_tenant_scope(|| Note::find(9)).await.unwrap();
        Note::find_or_fail(10).await.unwrap_err();
        // The key is bound as given, as any `where` on it.
        Note::find("11").await.unwrap();
    })
    .await;
    let a = || T("org-a".into());
    let b = || T("org-b".into());
    assert_eq!(
        mock.statements(),
        vec![
            stmt(PLAIN, vec![I(1)]),
            stmt(PLAIN, vec![I(2)]),
            stmt(TENANT, vec![I(3), a()]),
            stmt(TENANT, vec![I(4), a()]),
            stmt(TENANT, vec![I(5), b()]),
            stmt(TENANT_WITH_TRASHED, vec![I(6), b()]),
            stmt(TENANT_WITH_TRASHED, vec![I(7), b()]),
            stmt(TENANT_ONLY_TRASHED, vec![I(8), b()]),
            stmt(PLAIN, vec![I(9)]),
            stmt(TENANT, vec![I(10), b()]),
            stmt(TENANT, vec![T("11".into()), b()]),
        ]
    );
}

#[tokio::test]
async fn a_constrained_find_is_compiled_as_a_where_plus_first() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        Note::find(1).await.unwrap();
        Note::where_("title", "x").find(2).await.unwrap();
        Note::query().order_by_desc("id").find(3).await.unwrap();
        Note::find(4).await.unwrap();
    })
    .await;
    assert_eq!(
        mock.statements(),
        vec![
            stmt(PLAIN, vec![I(1)]),
            stmt(
                "SELECT * FROM \"notes\" WHERE \"notes\".\"title\" = ? AND \"notes\".\"id\" = ? AND \"notes\".\"deleted_at\" IS NULL LIMIT ?",
                vec![T("x".into()), I(2), I(1)]
            ),
            stmt(
                "SELECT * FROM \"notes\" WHERE \"notes\".\"id\" = ? AND \"notes\".\"deleted_at\" IS NULL ORDER BY \"notes\".\"id\" DESC LIMIT ?",
                vec![I(3), I(1)]
            ),
            stmt(PLAIN, vec![I(4)]),
        ]
    );
}

#[tokio::test]
async fn a_bad_key_is_an_error_on_every_call_and_nothing_is_sent() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        for _ in 0..2 {
            assert!(matches!(
                BadKey::find(1).await,
                Err(OrmError::InvalidModel {
                    model: "BadKey",
                    ..
                })
            ));
            assert!(matches!(
                Note::query().with(["nope"]).find(1).await,
                Err(OrmError::InvalidRelation { .. })
            ));
        }
    })
    .await;
    assert!(mock.statements().is_empty());
}

#[test]
fn each_thread_compiles_its_own_text_and_gets_the_same_statement() {
    let run = || {
        let mock = MockExecutor::new();
        let orm = Orm::new(mock.clone());
        orm.scope_sync(|| {
            futures::executor::block_on(async {
                Note::find(1).await.unwrap();
                Note::find(2).await.unwrap();
            })
        });
        mock.statements()
    };
    let here = run();
    let there = std::thread::spawn(run).join().unwrap();
    assert_eq!(here, there);
    assert_eq!(here[1], stmt(PLAIN, vec![I(2)]));
}

#[tokio::test]
async fn cached_finds_read_the_right_rows_on_sqlite() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, org_id TEXT,
            created_at TEXT, updated_at TEXT, deleted_at TEXT);
         INSERT INTO notes (id, title, org_id) VALUES (1, 'a1', 'a'), (2, 'b2', 'b');
         INSERT INTO notes (id, title, org_id, deleted_at) VALUES (3, 'a3', 'a', '2026-01-01');",
    )
    .unwrap();
    let orm = Orm::new(db);
    orm.scope(async {
        let title = |n: Option<Instance<Note>>| n.map(|n| n.get("title").cloned().unwrap());
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("a", "a"));
        for _ in 0..3 {
            assert_eq!(title(Note::find(1).await.unwrap()), Some(json!("a1")));
            assert_eq!(title(Note::find(2).await.unwrap()), None);
            assert_eq!(title(Note::find(3).await.unwrap()), None);
            let trashed = Note::query().with_trashed().find(3).await.unwrap();
            assert_eq!(title(trashed), Some(json!("a3")));
        }
        Orm::current()
            .unwrap()
            .tenant()
            .set(TenantContextData::new("b", "b"));
        assert_eq!(title(Note::find(1).await.unwrap()), None);
        assert_eq!(title(Note::find(2).await.unwrap()), Some(json!("b2")));
    })
    .await;
}

#[tokio::test]
async fn a_scripted_row_comes_back_through_a_cached_find() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        Note::find(1).await.unwrap();
        mock.push(QueryResult::rows(
            ["id", "title"],
            [vec![json!(2), json!("two")]],
        ));
        let note = Note::find(2).await.unwrap().unwrap();
        assert_eq!(note.get("title"), Some(&json!("two")));
        assert!(!note.is_dirty());
    })
    .await;
}
