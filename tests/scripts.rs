//! `SqliteExecutor::execute_batch`: scripts split by SQLite's own parser, run in time
//! linear in their length, failures naming the statement that failed.
use roost_orm::{OrmError, SqliteExecutor};

fn count(db: &SqliteExecutor, sql: &str) -> i64 {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get(0)).unwrap())
}

fn texts(db: &SqliteExecutor, sql: &str) -> Vec<String> {
    db.with_connection(|c| {
        let mut stmt = c.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    })
}

#[test]
fn tricky_scripts_run_statement_by_statement() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "-- a comment; with a semicolon\n\
         CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT DEFAULT ';');\n\
         CREATE TABLE log (entry TEXT);\n\
         /* a block comment; INSERT INTO t (body) VALUES ('never'); */\n\
         CREATE TRIGGER t_logged AFTER INSERT ON t BEGIN\n\
             INSERT INTO log (entry) VALUES ('inserted; ' || NEW.body);\n\
             INSERT INTO log (entry) VALUES (CASE WHEN NEW.body = ';' THEN 'default' ELSE 'given' END);\n\
         END;\n\
         INSERT INTO t (body) VALUES ('a;b'), ('it''s; quoted'), ('-- not a comment');\n\
         INSERT INTO t DEFAULT VALUES;;\n\
         ;\n\
         INSERT INTO t (body) VALUES ('/* not a comment either */') -- trailing comment",
    )
    .unwrap();
    assert_eq!(
        texts(&db, "SELECT body FROM t ORDER BY id"),
        [
            "a;b",
            "it's; quoted",
            "-- not a comment",
            ";",
            "/* not a comment either */"
        ]
    );
    let log = texts(&db, "SELECT entry FROM log");
    assert_eq!(
        log.len(),
        10,
        "the trigger's two statements ran per row: {log:?}"
    );
    assert_eq!(log[0], "inserted; a;b");
    assert_eq!(log[7], "default");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM log WHERE entry = 'given'"),
        4
    );
}

#[test]
fn an_empty_or_comment_only_script_does_nothing() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch("").unwrap();
    db.execute_batch("  \n -- nothing\n /* at all */ ;; ")
        .unwrap();
}

#[test]
fn a_failing_statement_is_named_and_carried_as_the_sql() {
    let db = SqliteExecutor::memory().unwrap();
    let err = db
        .execute_batch(
            "CREATE TABLE t (x TEXT NOT NULL);\n\
             INSERT INTO t VALUES ('ok');\n\
             INSERT INTO t VALUES (NULL);\n\
             INSERT INTO t VALUES ('never');",
        )
        .unwrap_err();
    let OrmError::Database { message, sql } = &err else {
        panic!("{err:?}");
    };
    assert!(
        message.contains("NOT NULL constraint failed: t.x"),
        "{message}"
    );
    assert!(message.contains("statement 3 of the script"), "{message}");
    assert_eq!(sql, "INSERT INTO t VALUES (NULL);");
    // Statements before the failure stay run (a script is not a transaction).
    assert_eq!(count(&db, "SELECT COUNT(*) FROM t"), 1);

    let err = db
        .execute_batch("SELECT 1;\nSELEC 2 FROM t;\nSELECT 3;")
        .unwrap_err();
    let OrmError::Database { message, sql } = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains("syntax error"), "{message}");
    assert!(message.contains("statement 2 of the script"), "{message}");
    assert_eq!(sql, "SELEC 2 FROM t;");
}

#[test]
fn a_one_statement_script_keeps_pragmas_and_rows() {
    let db = SqliteExecutor::memory().unwrap();
    // A statement returning rows is stepped once, as rusqlite's `execute_batch` does.
    db.execute_batch("PRAGMA user_version = 7; PRAGMA user_version")
        .unwrap();
    assert_eq!(count(&db, "PRAGMA user_version"), 7);
}

#[test]
fn a_hundred_thousand_statement_script_runs() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, n INTEGER)")
        .unwrap();
    let mut script = String::from("BEGIN;\n");
    for i in 0..100_000 {
        script.push_str(&format!(
            "INSERT INTO notes (title, n) VALUES ('note {i}; with a semicolon', {i});\n"
        ));
    }
    script.push_str("COMMIT;\n");
    let started = std::time::Instant::now();
    db.execute_batch(&script).unwrap();
    eprintln!(
        "execute_batch: 100,000 statements ({} bytes) in {:.2?}",
        script.len(),
        started.elapsed()
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM notes"), 100_000);
    assert_eq!(count(&db, "SELECT SUM(n) FROM notes"), 4_999_950_000);
}
