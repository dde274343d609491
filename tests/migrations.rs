//! Wrangler-format migrations applied through the embedded SQLite executor.
#![cfg(feature = "sqlite")]

use std::path::{Path, PathBuf};

use roost_orm::migrations::{MigrationError, Migrations};
use roost_orm::{Executor, SqliteExecutor, Statement};
use serde_json::Value;

fn project_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

async fn query(db: &SqliteExecutor, sql: &str) -> Vec<Vec<Value>> {
    db.run(&Statement::new(sql, vec![]))
        .await
        .unwrap()
        .into_rows()
        .collect()
}

/// Every schema object and every row of every table: equal dumps mean equal databases.
async fn dump(db: &SqliteExecutor) -> Vec<String> {
    let objects = query(
        db,
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .await;
    let mut out: Vec<String> = objects.iter().map(|r| format!("{r:?}")).collect();
    for row in &objects {
        if row[0] == "table" {
            let name = row[1].as_str().unwrap();
            for r in query(db, &format!("SELECT * FROM \"{name}\" ORDER BY rowid")).await {
                out.push(format!("{name}: {r:?}"));
            }
        }
    }
    out
}

fn write(dir: &Path, name: &str, sql: &str) {
    std::fs::write(dir.join(name), sql).unwrap();
}

#[tokio::test]
async fn applies_the_project_folder_and_records_it_as_wrangler_does() {
    let db = SqliteExecutor::memory().unwrap();
    let migrations = Migrations::from_dir(project_migrations()).unwrap();
    let names: Vec<&str> = migrations
        .migrations()
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    let applied = migrations.apply(&db).await.unwrap();
    assert_eq!(applied, names);

    // The example's schema is there.
    let tables: Vec<String> = query(
        &db,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .await
    .into_iter()
    .map(|r| r[0].as_str().unwrap().to_string())
    .collect();
    for t in [
        "organizations",
        "users",
        "posts",
        "comments",
        "d1_migrations",
    ] {
        assert!(tables.iter().any(|x| x == t), "missing {t} in {tables:?}");
    }
    let post_columns: Vec<String> = query(&db, "SELECT name FROM pragma_table_info('posts')")
        .await
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    for c in ["org_id", "created_at", "updated_at", "deleted_at"] {
        assert!(post_columns.iter().any(|x| x == c), "posts lacks {c}");
    }

    // wrangler's table: id INTEGER PK AUTOINCREMENT, name TEXT UNIQUE,
    // applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL.
    let info = query(
        &db,
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('d1_migrations')",
    )
    .await;
    assert_eq!(
        info,
        vec![
            vec![
                "id".into(),
                "INTEGER".into(),
                0.into(),
                Value::Null,
                1.into()
            ],
            vec![
                "name".into(),
                "TEXT".into(),
                0.into(),
                Value::Null,
                0.into()
            ],
            vec![
                "applied_at".into(),
                "TIMESTAMP".into(),
                1.into(),
                "CURRENT_TIMESTAMP".into(),
                0.into()
            ],
        ]
    );
    let rows = migrations.applied(&db).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        names
    );
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        (1..=names.len() as i64).collect::<Vec<_>>()
    );
    for r in &rows {
        // SQLite CURRENT_TIMESTAMP: "YYYY-MM-DD HH:MM:SS".
        assert_eq!(r.applied_at.len(), 19, "{}", r.applied_at);
        assert_eq!(&r.applied_at[4..5], "-");
    }
}

#[tokio::test]
async fn applying_twice_is_a_no_op() {
    let db = SqliteExecutor::memory().unwrap();
    let migrations = Migrations::from_dir(project_migrations()).unwrap();
    assert!(!migrations.apply(&db).await.unwrap().is_empty());
    let before = dump(&db).await;
    assert!(migrations.apply(&db).await.unwrap().is_empty());
    assert!(migrations.pending(&db).await.unwrap().is_empty());
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn a_failing_migration_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "0001_a.sql",
        "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);\n",
    );
    let db = SqliteExecutor::memory().unwrap();
    Migrations::from_dir(dir.path())
        .unwrap()
        .apply(&db)
        .await
        .unwrap();
    let before = dump(&db).await;

    // Three statements: the first two succeed, the third fails.
    write(
        dir.path(),
        "0002_b.sql",
        "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (2);\nINSERT INTO missing VALUES (3);\n",
    );
    write(dir.path(), "0003_c.sql", "CREATE TABLE c (z INTEGER);\n");
    let migrations = Migrations::from_dir(dir.path()).unwrap();
    let err = migrations.apply(&db).await.unwrap_err();
    match &err {
        MigrationError::Failed { name, source } => {
            assert_eq!(name, "0002_b.sql");
            assert!(source.to_string().contains("missing"), "{source}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(
        dump(&db).await,
        before,
        "nothing of 0002 (nor 0003) is left"
    );
    let pending: Vec<&str> = migrations
        .pending(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(pending, ["0002_b.sql", "0003_c.sql"]);

    // Fixed, the run picks up where it stopped.
    write(
        dir.path(),
        "0002_b.sql",
        "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (2);\n",
    );
    let migrations = Migrations::from_dir(dir.path()).unwrap();
    assert_eq!(
        migrations.apply(&db).await.unwrap(),
        ["0002_b.sql", "0003_c.sql"]
    );
    assert_eq!(query(&db, "SELECT x FROM a ORDER BY x").await.len(), 2);
}

#[tokio::test]
async fn files_applied_by_wrangler_are_skipped() {
    let db = SqliteExecutor::memory().unwrap();
    // What `wrangler d1 migrations apply` leaves behind after the first file.
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS d1_migrations(
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            name       TEXT UNIQUE,
            applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
        );
        CREATE TABLE organizations (id INTEGER PRIMARY KEY AUTOINCREMENT, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT, updated_at TEXT);
        INSERT INTO d1_migrations (name) values ('0001_create_organizations.sql');",
    )
    .unwrap();
    let migrations = Migrations::from_dir(project_migrations()).unwrap();
    let applied = migrations.apply(&db).await.unwrap();
    assert!(!applied.contains(&"0001_create_organizations.sql".to_string()));
    assert_eq!(
        applied.first().map(String::as_str),
        Some("0002_create_users.sql")
    );
    assert!(migrations.pending(&db).await.unwrap().is_empty());
}

#[tokio::test]
async fn order_file_filter_triggers_and_custom_table() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "10_third.sql",
        "INSERT INTO log (msg) VALUES ('third');",
    );
    write(
        dir.path(),
        "2_second.sql",
        "-- a trigger body holds semicolons\nCREATE TRIGGER log_upper AFTER INSERT ON log BEGIN\n  UPDATE log SET msg = upper(msg) WHERE id = new.id;\nEND;\nINSERT INTO log (msg) VALUES ('second; with a semicolon');\n",
    );
    write(
        dir.path(),
        "1_first.sql",
        "CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT);",
    );
    write(dir.path(), "README.md", "not a migration");
    std::fs::create_dir(dir.path().join("9_dir.sql")).unwrap();

    let db = SqliteExecutor::memory().unwrap();
    let migrations = Migrations::from_dir(dir.path())
        .unwrap()
        .table("schema_migrations")
        .unwrap();
    assert_eq!(
        migrations.apply(&db).await.unwrap(),
        ["1_first.sql", "2_second.sql", "10_third.sql"]
    );
    let msgs: Vec<Value> = query(&db, "SELECT msg FROM log ORDER BY id")
        .await
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect();
    assert_eq!(msgs, ["SECOND; WITH A SEMICOLON", "THIRD"]);
    assert_eq!(
        query(&db, "SELECT name FROM schema_migrations").await.len(),
        3
    );
    assert!(query(
        &db,
        "SELECT name FROM sqlite_master WHERE name = 'd1_migrations'"
    )
    .await
    .is_empty());
    assert!(matches!(
        Migrations::from_sources(Vec::<(String, String)>::new()).table("x; DROP TABLE log"),
        Err(MigrationError::InvalidTable(_))
    ));
}

#[tokio::test]
async fn a_missing_folder_is_an_io_error() {
    let err = Migrations::from_dir("/nonexistent/roost-orm-migrations").unwrap_err();
    assert!(matches!(err, MigrationError::Io { .. }), "{err:?}");
}
