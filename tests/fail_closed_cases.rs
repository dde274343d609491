//! Fail closed: every mistake is an error before any SQL runs, and no validation failure
//! widens what a query reads or writes. One test per way it used to fail open, each on
//! the embedded engine (each failed before the fix: the test names say what happened).
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{SqlValue, SqliteExecutor, Statement};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT,
    body TEXT,
    n INTEGER,
    code TEXT,
    meta TEXT,
    data BLOB
);
";

/// No `COLUMNS`: any valid name is accepted, so only the database can say a name is
/// unknown.
struct Note;
impl ModelDef for Note {
    const TIMESTAMPS: bool = false;
}

/// The same table with declared columns and casts.
struct Typed;
impl ModelDef for Typed {
    const TABLE: Option<&'static str> = Some("notes");
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("org_id").nullable(),
        Column::text("body").nullable(),
        Column::integer("n").nullable(),
        Column::text("code").nullable(),
        Column::json("meta").nullable(),
        Column::blob("data").nullable(),
    ];
}

/// Tenant-scoped on a column name that is not an identifier.
struct BadTenant;
impl ModelDef for BadTenant {
    const TABLE: Option<&'static str> = Some("notes");
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org-id");
}

/// Tenant-scoped properly.
struct Scoped;
impl ModelDef for Scoped {
    const TABLE: Option<&'static str> = Some("notes");
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
}

fn setup() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    db.execute_batch(
        "INSERT INTO notes (org_id, body, n, code, meta, data) VALUES
           ('a', 'one', 1, '5', '\"x\"', x'0102'),
           ('b', 'two', 2, '6', '5', x'0304'),
           ('b', 'three', 9223372036854775807, '7', '{\"k\":1}', NULL);",
    )
    .unwrap();
    (Orm::new(db.clone()), db)
}

/// Every row of `notes`, read straight from SQLite.
fn snapshot(db: &SqliteExecutor) -> Vec<Vec<String>> {
    db.with_connection(|c| {
        let mut stmt = c
            .prepare("SELECT id, org_id, body, typeof(n) || ':' || quote(n), code, meta, hex(data) FROM notes ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| {
            (0..7)
                .map(|i| {
                    r.get_ref(i).map(|v| match v {
                        rusqlite::types::ValueRef::Null => "NULL".to_string(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        other => format!("{other:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    })
}

fn tenant(orm: &Orm, id: &str) {
    orm.tenant().set(TenantContextData::new(id, id));
}

fn is_database_error(r: &Result<impl std::fmt::Debug>, needle: &str) -> bool {
    matches!(r, Err(OrmError::Database { message, .. }) if message.contains(needle))
}

#[tokio::test]
async fn an_invalid_tenant_column_is_an_error_for_every_query_never_unscoped() {
    let (orm, db) = setup();
    let before = snapshot(&db);
    orm.scope(async {
        tenant(&Orm::current().unwrap(), "a");
        let sent = orm.statements();
        let invalid = |r: Result<()>| {
            assert!(
                matches!(&r, Err(OrmError::InvalidModel { model: "BadTenant", reason }) if reason.contains("TENANT_COLUMN")),
                "{r:?}"
            );
        };
        invalid(BadTenant::all().await.map(drop));
        invalid(BadTenant::find(2).await.map(drop));
        invalid(BadTenant::query().count().await.map(drop));
        invalid(BadTenant::where_("id", 2).force_delete().await.map(drop));
        invalid(BadTenant::query().update(json!({"body": "x"})).await.map(drop));
        invalid(BadTenant::create(json!({"body": "x"})).await.map(drop));
        invalid(BadTenant::query().paginate(1, 10).await.map(drop));
        invalid(BadTenant::query().increment("n", 1).await.map(drop));
        // The model check is per type: a well-declared model on the same table works.
        assert_eq!(orm.statements(), sent, "nothing may be sent");
        assert_eq!(Scoped::query().count().await.unwrap(), 1);
    })
    .await;
    assert_eq!(snapshot(&db), before);
}

#[tokio::test]
async fn a_misspelled_column_is_an_error_and_a_mass_write_through_it_writes_nothing() {
    let (orm, db) = setup();
    let before = snapshot(&db);
    orm.scope(async {
        let read = Note::where_("bodyy", "bodyy").all().await;
        assert!(is_database_error(&read, "no such column"), "{read:?}");
        let update = Note::where_("bodyy", "bodyy")
            .update(json!({"body": "pwned"}))
            .await;
        assert!(is_database_error(&update, "no such column"), "{update:?}");
        let delete = Note::where_("bodyy", "bodyy").force_delete().await;
        assert!(is_database_error(&delete, "no such column"), "{delete:?}");
        let count = Note::where_op("statsu", "!=", "x").count().await;
        assert!(is_database_error(&count, "no such column"), "{count:?}");
        let null = Note::query().where_not_null("nope").all().await;
        assert!(is_database_error(&null, "no such column"), "{null:?}");
        let order = Note::query().order_by("nope", "asc").all().await;
        assert!(is_database_error(&order, "no such column"), "{order:?}");
        let within = Note::where_in("nope", ["nope"]).all().await;
        assert!(is_database_error(&within, "no such column"), "{within:?}");
        // With COLUMNS declared it never reaches the database.
        let sent = orm.statements();
        assert!(matches!(
            Typed::where_("bodyy", "bodyy").all().await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert_eq!(orm.statements(), sent);
    })
    .await;
    assert_eq!(snapshot(&db), before);
}

#[tokio::test]
async fn qualified_references_close_the_misfeature_even_with_dqs_on() {
    // D1 keeps SQLite's double-quoted-string fallback on: turn it back on here and the
    // compiler's qualified references alone must still make a misspelling an error.
    let (orm, db) = setup();
    db.with_connection(|c| {
        use rusqlite::config::DbConfig;
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, true)
            .unwrap();
        let text: String = c
            .query_row("SELECT \"nope\" FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(text, "nope", "the misfeature is on for this connection");
    });
    let before = snapshot(&db);
    orm.scope(async {
        let update = Note::where_("bodyy", "bodyy")
            .update(json!({"body": "pwned"}))
            .await;
        assert!(is_database_error(&update, "no such column"), "{update:?}");
        let delete = Note::where_("bodyy", "bodyy").force_delete().await;
        assert!(is_database_error(&delete, "no such column"), "{delete:?}");
        let order = Note::query().order_by("nope", "desc").all().await;
        assert!(is_database_error(&order, "no such column"), "{order:?}");
    })
    .await;
    assert_eq!(snapshot(&db), before);
}

#[tokio::test]
async fn the_sqlite_executor_turns_the_misfeature_off() {
    let (orm, _db) = setup();
    let result = orm
        .run(&Statement::new("SELECT \"nope\" FROM notes", vec![]))
        .await;
    assert!(is_database_error(&result, "no such column"), "{result:?}");
}

#[tokio::test]
async fn where_in_binds_values_by_the_same_rule_as_where() {
    let (orm, _db) = setup();
    orm.scope(async {
        let ids = |rows: Vec<Instance<Typed>>| -> Vec<i64> {
            rows.iter()
                .map(|r| r.get_as::<i64>("id").unwrap())
                .collect()
        };
        // (column, value, the row it matches)
        let cases: [(&str, Value, i64); 5] = [
            ("meta", json!("x"), 1),
            ("meta", json!(5), 2),
            ("code", json!(5), 1),
            ("data", json!([1, 2]), 1),
            ("n", json!("2"), 2),
        ];
        for (column, value, id) in cases {
            let by_where = ids(Typed::where_(column, value.clone()).all().await.unwrap());
            let by_in = ids(Typed::where_in(column, [value.clone()])
                .all()
                .await
                .unwrap());
            assert_eq!(by_where, [id], "where_({column}, {value})");
            assert_eq!(by_in, [id], "where_in({column}, [{value}])");
            let not_in = ids(Typed::query()
                .where_not_in(column, [value.clone()])
                .where_not_null(column)
                .all()
                .await
                .unwrap());
            assert!(!not_in.contains(&id), "where_not_in({column}, [{value}])");
        }
        // Blobs and other values in one list.
        let mixed = ids(Typed::where_in("data", [json!([3, 4]), json!("zz")])
            .all()
            .await
            .unwrap());
        assert_eq!(mixed, [2]);
    })
    .await;
}

#[tokio::test]
async fn integers_outside_sqlite_range_are_errors_and_change_nothing() {
    let (orm, db) = setup();
    let before = snapshot(&db);
    orm.scope(async {
        let sent = orm.statements();
        let out_of_range = |r: &Result<()>| matches!(r, Err(OrmError::ValueOutOfRange { .. }));
        for model_error in [
            Note::create(json!({"n": u64::MAX})).await.map(drop),
            Typed::create(json!({"n": u64::MAX})).await.map(drop),
            Note::where_("n", u64::MAX).all().await.map(drop),
            Note::where_in("n", [u64::MAX]).all().await.map(drop),
            Note::query().update(json!({"n": u64::MAX})).await.map(drop),
            Note::query().increment("n", u64::MAX).await.map(drop),
        ] {
            assert!(out_of_range(&model_error), "{model_error:?}");
        }
        assert_eq!(orm.statements(), sent, "all refused before SQL");

        // At i64::MAX an increment would make SQLite store a REAL: an error instead.
        let mut top = Typed::find_or_fail(3).await.unwrap();
        let r = top.increment("n", 1).await.map(drop);
        assert!(
            matches!(&r, Err(OrmError::ValueOutOfRange { column: Some(c), .. }) if c == "n"),
            "{r:?}"
        );
        let r = Typed::where_("id", 3).increment("n", 1).await.map(drop);
        assert!(out_of_range(&r), "{r:?}");
        let mut bottom = Typed::find_or_fail(1).await.unwrap();
        bottom.decrement("n", 3).await.unwrap();
        // -2 - i64::MAX is one below i64::MIN.
        let r = Typed::where_("id", 1)
            .decrement("n", i64::MAX)
            .await
            .map(drop);
        assert!(out_of_range(&r), "{r:?}");
        // A float increment of a REAL is not an overflow.
        Typed::where_("id", 2).increment("n", 0.5).await.unwrap();
    })
    .await;
    let after = snapshot(&db);
    assert_eq!(after[2], before[2], "the i64::MAX row is unchanged");
    assert_eq!(after[0][3], "integer:-2");
    assert_eq!(after[1][3], "real:2.5");
}

#[tokio::test]
async fn table_qualified_keys_in_writes_are_errors_before_sql() {
    let (orm, db) = setup();
    let before = snapshot(&db);
    orm.scope(async {
        let sent = orm.statements();
        // Own table: not an attribute; another table: not a column of this model.
        let attribute_error = |r: Result<()>| {
            assert!(
                matches!(
                    r,
                    Err(OrmError::InvalidAttributes(_) | OrmError::UnknownColumn { .. })
                ),
                "{r:?}"
            )
        };
        for key in ["notes.body", "other_table.secret"] {
            attribute_error(Note::create(json!({ key: "x" })).await.map(drop));
            attribute_error(Typed::create(json!({ key: "x" })).await.map(drop));
            attribute_error(Note::query().update(json!({ key: "x" })).await.map(drop));
            attribute_error(Note::query().increment(key, 1).await.map(drop));
            attribute_error(
                Note::first_or_create(json!({ key: "x" }), json!({}))
                    .await
                    .map(drop),
            );
            attribute_error(
                Note::update_or_create(json!({"body": "x"}), json!({ key: "y" }))
                    .await
                    .map(drop),
            );
        }
        assert_eq!(orm.statements(), sent);
        let mut note = Note::find_or_fail(1).await.unwrap();
        note.set("notes.body", "x");
        let sent = orm.statements();
        attribute_error(note.save().await.map(drop));
        assert_eq!(orm.statements(), sent);
        // Reading through a qualified name of the model's own table is fine.
        assert_eq!(Note::where_("notes.body", "one").count().await.unwrap(), 1);
    })
    .await;
    assert_eq!(snapshot(&db), before);
}

#[tokio::test]
async fn find_with_an_array_or_object_id_is_an_error_naming_the_model_and_key() {
    let (orm, _db) = setup();
    orm.scope(async {
        let sent = orm.statements();
        for id in [json!([1, 2]), json!({"id": 1})] {
            let err = Note::find(id.clone()).await.unwrap_err();
            assert_eq!(
                err,
                OrmError::InvalidKey {
                    model: "Note",
                    key: "id",
                    value: id.to_string()
                }
            );
            assert!(err.to_string().contains("[Note]"), "{err}");
            assert!(Note::find_or_fail(id.clone()).await.is_err());
            assert!(matches!(
                Note::find_as::<serde_json::Value>(id.clone()).await,
                Err(OrmError::InvalidKey { .. })
            ));
            assert!(Note::where_("body", "one").find(id).await.is_err());
        }
        assert_eq!(orm.statements(), sent);
    })
    .await;
}

#[tokio::test]
async fn without_tenant_scope_covers_the_synchronous_part_of_f() {
    let (orm, _db) = setup();
    orm.scope(async {
        tenant(&Orm::current().unwrap(), "a");
        let scoped = Scoped::query().to_statement().unwrap();
        assert!(scoped.sql.contains("org_id"), "{}", scoped.sql);
        let all = Scoped::without_tenant_scope(|| {
            // Runs before the future: must already be unscoped.
            let statement = Scoped::query().to_statement().unwrap();
            assert!(!statement.sql.contains("org_id"), "{}", statement.sql);
            Scoped::all()
        })
        .await
        .unwrap();
        assert_eq!(all.len(), 3);
        // And the scope is back afterwards.
        assert_eq!(Scoped::query().count().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn operators_accept_laravels_spellings_and_reject_others() {
    let (orm, _db) = setup();
    orm.scope(async {
        assert_eq!(
            Note::where_op("body", "<>", "one").count().await.unwrap(),
            2
        );
        assert_eq!(
            Note::where_op("body", "not like", "t%")
                .count()
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            Note::where_op("body", "LIKE", "T%").count().await.unwrap(),
            2
        );
        let sent = orm.statements();
        for bad in ["==", "=>", "not", "like like", "; DROP TABLE notes"] {
            let err = Note::where_op("body", bad, "one")
                .count()
                .await
                .unwrap_err();
            assert_eq!(err, OrmError::InvalidOperator(bad.trim().to_string()));
            let message = err.to_string();
            for listed in ["=", "!=", "<>", ">=", "<=", "like", "not like"] {
                assert!(message.contains(listed), "{message}");
            }
        }
        assert_eq!(orm.statements(), sent);
    })
    .await;
}

#[tokio::test]
async fn count_ignores_limit_and_offset() {
    let (orm, _db) = setup();
    orm.scope(async {
        assert_eq!(Note::query().limit(1).count().await.unwrap(), 3);
        assert_eq!(Note::query().limit(1).offset(2).count().await.unwrap(), 3);
        assert_eq!(
            Note::where_("org_id", "b").limit(1).count().await.unwrap(),
            2
        );
    })
    .await;
}

#[test]
fn the_table_name_is_fixed_by_the_model_type() {
    // `table_name` is `Model`'s, implemented for every `ModelDef`: a model can't
    // override it (see the compile_fail example on `ModelDef`), so the text cache,
    // keyed by type, can't go stale.
    assert_eq!(Typed::table_name(), "notes");
    assert_eq!(Note::table_name(), "notes");
    assert_eq!(
        SqlValue::from_json(&json!(i64::MAX)).unwrap(),
        SqlValue::Integer(i64::MAX)
    );
}

#[tokio::test]
async fn an_unreadable_tenant_header_fails_the_lookup_never_runs_unscoped() {
    use roost_orm::tenant::{HeaderOrgResolver, TenantScopeMiddleware};
    let (orm, _db) = setup();
    let middleware = TenantScopeMiddleware::new(
        HeaderOrgResolver("x-org".into()),
        |slug: String| async move { Ok((slug == "a").then_some("a")) },
        orm.tenant().clone(),
    );
    let header = http::HeaderValue::from_bytes(b"a\xff").unwrap();
    let request = http::Request::builder()
        .header("x-org", header)
        .body(())
        .unwrap();
    let ran = orm
        .scope(middleware.handle(request, |_| async { Scoped::all().await }))
        .await;
    assert!(
        matches!(&ran, Err(OrmError::TenantNotResolved { .. })),
        "{ran:?}"
    );
}

#[tokio::test]
async fn a_missing_tenant_database_is_an_error_by_default() {
    use roost_orm::tenant::{OrmConfig, OrmServiceProvider, TenantStrategy};
    let bindings =
        std::collections::HashMap::from([("DB".to_string(), SqliteExecutor::memory().unwrap())]);
    let provider = OrmServiceProvider::new(OrmConfig {
        tenant_strategy: TenantStrategy::Database,
        ..OrmConfig::default()
    });
    let orm = provider.boot(&bindings).unwrap();
    tenant(&orm, "acme");
    assert_eq!(
        provider.apply_tenant(&orm, &bindings).unwrap_err(),
        OrmError::TenantBindingNotFound {
            binding: "DB_TENANT_ACME".into()
        }
    );
}

#[tokio::test]
async fn an_insert_that_returns_no_stored_row_is_an_error_not_a_keyless_record() {
    use roost_orm::{MockExecutor, QueryResult};
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        // The database reported a write but handed back no `RETURNING *` row.
        mock.push(QueryResult::write(1, 0));
        let err = Note::create(json!({"body": "x"})).await.unwrap_err();
        assert!(
            matches!(&err, OrmError::Database { message, .. } if message.contains("fewer stored rows")),
            "{err:?}"
        );
        mock.push(QueryResult::write(1, 0));
        let mut note = Instance::<Note>::from_attributes(json!({"body": "y"})).unwrap();
        assert!(note.save().await.is_err());
        assert!(!note.exists(), "not stored as far as the caller can tell");
        assert_eq!(mock.statements().len(), 2);
    })
    .await;
}
