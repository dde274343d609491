//! The embedded executor enforces D1's limits, so a query D1 would reject fails in a
//! local test too — through the model API as well as raw statements.
use roost_orm::prelude::*;
use roost_orm::{Executor, OrmError, SqlValue, SqliteExecutor, Statement};

struct Note;
impl ModelDef for Note {
    const TIMESTAMPS: bool = false;
}

fn db() -> SqliteExecutor {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT)")
        .unwrap();
    db
}

fn params(n: usize) -> Statement {
    let marks = vec!["?"; n].join(", ");
    Statement::new(
        format!("SELECT {marks}"),
        (0..n as i64).map(SqlValue::Integer).collect(),
    )
}

fn is_database_error(result: Result<impl std::fmt::Debug>, needle: &str) -> bool {
    match result {
        Err(OrmError::Database { message, .. }) => message.contains(needle),
        other => panic!("expected a database error with {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn at_most_100_bound_parameters() {
    let db = db();
    assert_eq!(db.run(&params(100)).await.unwrap().width(), 100);
    assert!(is_database_error(
        db.run(&params(101)).await,
        "too many SQL variables"
    ));
}

#[tokio::test]
async fn like_patterns_of_at_most_50_bytes_through_the_builder() {
    let orm = Orm::new(db());
    orm.scope(async {
        Note::create(serde_json::json!({"title": "a".repeat(60)}))
            .await
            .unwrap();
        let fifty = format!("{}%", "a".repeat(49));
        assert_eq!(
            Note::where_op("title", "like", fifty)
                .count()
                .await
                .unwrap(),
            1
        );
        let fifty_one = format!("{}%", "a".repeat(50));
        let too_long = Note::where_op("title", "like", fifty_one).count().await;
        assert!(is_database_error(
            too_long,
            "LIKE or GLOB pattern too complex"
        ));
    })
    .await;
}

#[tokio::test]
async fn sql_text_of_at_most_100_kb_and_32_function_arguments() {
    let db = db();
    let text = |n: usize| Statement::new(format!("SELECT '{}'", "x".repeat(n)), vec![]);
    db.run(&text(99_000)).await.unwrap();
    assert!(is_database_error(
        db.run(&text(100_001)).await,
        "statement too long"
    ));
    let args = |n: usize| format!("SELECT max({})", vec!["1"; n].join(", "));
    db.run(&Statement::new(args(32), vec![])).await.unwrap();
    assert!(is_database_error(
        db.run(&Statement::new(args(33), vec![])).await,
        "too many arguments"
    ));
}

#[tokio::test]
async fn a_script_of_small_statements_may_exceed_100_kb() {
    let db = db();
    let rows: String = (0..3_000)
        .map(|i| format!("INSERT INTO notes (title) VALUES ('note number {i:05}');\n"))
        .collect();
    assert!(rows.len() > 150_000);
    db.execute_batch(&format!("BEGIN;\n{rows}COMMIT;")).unwrap();
    let count = db
        .run(&Statement::new("SELECT count(*) FROM notes", vec![]))
        .await
        .unwrap();
    assert_eq!(count.first().unwrap()[0], serde_json::json!(3000));
    // The limit is back for statements.
    let long = Statement::new(format!("SELECT '{}'", "x".repeat(100_001)), vec![]);
    assert!(is_database_error(db.run(&long).await, "statement too long"));
}

#[tokio::test]
async fn at_most_100_columns_per_table() {
    let columns = |n: usize| {
        (0..n)
            .map(|i| format!("c{i} INTEGER"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let db = db();
    db.execute_batch(&format!("CREATE TABLE wide ({})", columns(100)))
        .unwrap();
    let err = db
        .execute_batch(&format!("CREATE TABLE wider ({})", columns(101)))
        .unwrap_err();
    assert!(err.to_string().contains("too many columns"), "{err}");
}

#[tokio::test]
async fn sqlite_limits_can_be_restored_for_other_uses() {
    let db = db().with_sqlite_limits();
    assert_eq!(db.run(&params(101)).await.unwrap().width(), 101);
}

#[tokio::test]
async fn strings_and_blobs_of_at_most_2_000_000_bytes() {
    let db = db();
    let length = |value: SqlValue| Statement::new("SELECT length(?)", vec![value]);
    let text = |n: usize| SqlValue::Text("x".repeat(n));
    let got = db.run(&length(text(2_000_000))).await.unwrap();
    assert_eq!(got.first().unwrap()[0], serde_json::json!(2_000_000));
    assert!(is_database_error(
        db.run(&length(text(2_000_001))).await,
        "string or blob too big"
    ));
    assert!(is_database_error(
        db.run(&length(SqlValue::Blob(vec![0; 2_000_001]))).await,
        "string or blob too big"
    ));
    // A value the database builds is held to it too.
    assert!(is_database_error(
        db.run(&Statement::new("SELECT zeroblob(2000001)", vec![]))
            .await,
        "string or blob too big"
    ));
    // The limit is on a whole stored row, as on D1.
    let insert = |n: usize| Statement::new("INSERT INTO notes (title) VALUES (?)", vec![text(n)]);
    db.run(&insert(1_999_000)).await.unwrap();
    assert!(is_database_error(
        db.run(&insert(2_000_000)).await,
        "string or blob too big"
    ));
    // Lifted with the other limits.
    let lifted = SqliteExecutor::memory().unwrap().with_sqlite_limits();
    lifted.run(&length(text(3_000_000))).await.unwrap();
}
