//! Executors: the value mapping both ways on embedded SQLite, atomic batches, column
//! order; the mock's recording.
mod common;

use roost_orm::{
    Executor, MockExecutor, OrmError, QueryResult, SqlValue, SqliteExecutor, Statement,
};
use serde_json::json;

fn db() -> SqliteExecutor {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch("CREATE TABLE v (n, i INTEGER, r REAL, t TEXT, b BLOB)")
        .unwrap();
    db
}

#[tokio::test]
async fn values_map_both_ways() {
    let db = db();
    let insert = Statement::new(
        "INSERT INTO v (n, i, r, t, b) VALUES (?, ?, ?, ?, ?) RETURNING *",
        vec![
            SqlValue::Null,
            SqlValue::Integer(i64::MAX),
            SqlValue::Real(1.5),
            SqlValue::Text("héllo".into()),
            SqlValue::Blob(vec![0, 1, 254, 255]),
        ],
    );
    let r = db.run(&insert).await.unwrap();
    assert_eq!(&*r.columns, ["n", "i", "r", "t", "b"]);
    assert_eq!(
        r.to_rows(),
        vec![vec![
            json!(null),
            json!(i64::MAX),
            json!(1.5),
            json!("héllo"),
            json!([0, 1, 254, 255])
        ]]
    );
    assert_eq!(r.changes, 1);
    assert_eq!(r.last_row_id, 1);
    let typed = db
        .run(&Statement::new(
            "SELECT typeof(n), typeof(i), typeof(r), typeof(t), typeof(b) FROM v",
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(
        typed.row(0).unwrap(),
        vec![
            json!("null"),
            json!("integer"),
            json!("real"),
            json!("text"),
            json!("blob")
        ]
    );
}

#[tokio::test]
async fn column_order_is_the_statements() {
    let db = db();
    let r = db
        .run(&Statement::new("SELECT 3 AS c, 1 AS a, 2 AS b", vec![]))
        .await
        .unwrap();
    assert_eq!(&*r.columns, ["c", "a", "b"]);
    assert_eq!(r.row(0).unwrap(), vec![json!(3), json!(1), json!(2)]);
}

#[tokio::test]
async fn plain_selects_report_no_changes() {
    let db = db();
    db.execute_batch("INSERT INTO v (i) VALUES (1)").unwrap();
    let r = db
        .run(&Statement::new("SELECT * FROM v", vec![]))
        .await
        .unwrap();
    assert_eq!(r.changes, 0);
}

#[tokio::test]
async fn batches_are_all_or_nothing() {
    let db = db();
    db.execute_batch("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .unwrap();
    let ok = |n: &str| {
        Statement::new(
            "INSERT INTO u (name) VALUES (?)",
            vec![SqlValue::Text(n.into())],
        )
    };
    let bad = Statement::new("INSERT INTO u (name) VALUES (NULL)", vec![]);
    let err = db
        .batch(&[ok("a"), ok("b"), bad.clone(), ok("c")])
        .await
        .unwrap_err();
    match err {
        OrmError::Database { message, sql } => {
            assert!(message.contains("NOT NULL"), "{message}");
            assert_eq!(sql, bad.sql);
        }
        other => panic!("{other:?}"),
    }
    let count = db
        .run(&Statement::new("SELECT COUNT(*) FROM u", vec![]))
        .await
        .unwrap();
    assert_eq!(count.row(0).unwrap()[0], json!(0));
    let results = db.batch(&[ok("a"), ok("b")]).await.unwrap();
    assert_eq!(
        results.iter().map(|r| r.last_row_id).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[tokio::test]
async fn bad_sql_is_a_database_error_with_the_sql() {
    let db = db();
    let err = db
        .run(&Statement::new("SELEC nonsense", vec![]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OrmError::Database { ref sql, .. } if sql == "SELEC nonsense"),
        "{err}"
    );
    // Wrong parameter count is an error, not a panic.
    let err = db
        .run(&Statement::new(
            "SELECT ?",
            vec![SqlValue::Integer(1), SqlValue::Integer(2)],
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, OrmError::Database { .. }));
}

#[tokio::test]
async fn file_databases_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sqlite");
    {
        let db = SqliteExecutor::open(&path).unwrap();
        db.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42)")
            .unwrap();
    }
    let db = SqliteExecutor::open(&path).unwrap();
    let r = db
        .run(&Statement::new("SELECT x FROM t", vec![]))
        .await
        .unwrap();
    assert_eq!(r.row(0).unwrap()[0], json!(42));
}

#[tokio::test]
async fn the_mock_records_and_replays() {
    let mock = MockExecutor::new();
    mock.push(QueryResult::rows(["a"], [vec![json!(1)]]));
    mock.push_error("boom");
    let s = Statement::new("SELECT 1", vec![]);
    assert_eq!(mock.run(&s).await.unwrap().to_rows(), vec![vec![json!(1)]]);
    let err = mock.run(&s).await.unwrap_err();
    assert_eq!(err, OrmError::database("boom", "SELECT 1"));
    assert_eq!(mock.run(&s).await.unwrap(), QueryResult::default());
    mock.batch(&[s.clone(), s.clone()]).await.unwrap();
    assert_eq!(mock.statements().len(), 5);
    assert_eq!(mock.round_trips(), 4);
}

/// The D1 executor binds integers beyond 2^53 as decimal text (a JS number would round
/// them); this pins the SQLite behaviour that makes that exact.
#[tokio::test]
async fn big_integers_bound_as_text_stay_exact_in_integer_columns() {
    let db = db();
    let big = 9_007_199_254_740_993_i64; // 2^53 + 1: not representable as f64
    let text = SqlValue::Text(big.to_string());
    db.run(&Statement::new(
        "INSERT INTO v (i) VALUES (?)",
        vec![text.clone()],
    ))
    .await
    .unwrap();
    let r = db
        .run(&Statement::new(
            "SELECT i, typeof(i) FROM v WHERE i = ?",
            vec![text],
        ))
        .await
        .unwrap();
    assert_eq!(r.to_rows(), vec![vec![json!(big), json!("integer")]]);
}
