//! A factory `create` of N rows is one statement (the rows as one JSON parameter read
//! with `json_each`), split only where D1's limits on one statement force it — on
//! embedded SQLite with D1's limits: what is stored is exactly what a one-row
//! `VALUES` insert stores, all or nothing, counted in statements and round trips.
mod common;

use std::sync::{Arc, Mutex};

use common::{orm, raw_count, Post};
use roost_orm::factory::MAX_JSON_PARAM_BYTES;
use roost_orm::prelude::*;
use roost_orm::{Executor, QueryResult, SqlValue, SqliteExecutor, Statement};
use rusqlite::types::ValueRef;
use serde_json::{json, Value};

struct PostFactory;
impl Factory for PostFactory {
    type Model = Post;
    fn definition(&self) -> impl IntoAttributes {
        json!({"title": "Test Post", "status": "published", "views": 0})
    }
}

/// A SQLite executor that records every statement it is sent.
#[derive(Clone)]
struct Recording {
    db: SqliteExecutor,
    sent: Arc<Mutex<Vec<Statement>>>,
}

impl Recording {
    fn new(db: &SqliteExecutor) -> Self {
        Recording {
            db: db.clone(),
            sent: Arc::default(),
        }
    }

    /// The byte size of each statement's JSON parameter (0 for other statements).
    fn json_sizes(&self) -> Vec<usize> {
        let sent = self.sent.lock().unwrap();
        sent.iter()
            .map(|s| match s.params.as_slice() {
                [SqlValue::Text(json)] if s.sql.contains("json_each(?)") => json.len(),
                _ => 0,
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Executor for Recording {
    async fn run(&self, statement: &Statement) -> roost_orm::Result<QueryResult> {
        self.sent.lock().unwrap().push(statement.clone());
        self.db.run(statement).await
    }

    async fn batch(&self, statements: &[Statement]) -> roost_orm::Result<Vec<QueryResult>> {
        self.sent.lock().unwrap().extend_from_slice(statements);
        self.db.batch(statements).await
    }
}

#[tokio::test]
async fn a_thousand_rows_of_five_columns_are_one_statement() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    let posts = orm
        .scope(
            PostFactory
                .count(1000)
                .sequence_fn(|i| json!({"title": format!("p{i}"), "published": i % 2 == 0}))
                .create(),
        )
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1);
    assert_eq!(orm.statements(), 1);
    let sent = recording.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].params.len(), 1, "one JSON parameter");
    assert_eq!(raw_count(&db, "posts"), 1000);
    orm.scope(async {
        for (i, post) in posts.iter().enumerate() {
            assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
            assert_eq!(post.get("title"), Some(&json!(format!("p{i}"))));
            // Booleans went in as 0 / 1 and come back through the cast.
            assert_eq!(post.get("published"), Some(&json!(i % 2 == 0)));
            let created = post.get_as::<String>("created_at").unwrap();
            assert_eq!(created.len(), 24, "{created}");
            assert_eq!(post.get("updated_at"), Some(&json!(created)));
            assert!(!post.is_dirty());
        }
        let stored = Post::find_or_fail(737).await.unwrap();
        assert_eq!(stored.attributes, posts[736].attributes);
    })
    .await;
}

#[tokio::test]
async fn a_not_null_violation_in_row_500_writes_nothing() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(1000)
                .sequence_fn(|i| json!({"title": if i == 500 { Value::Null } else { json!(format!("p{i}")) }}))
                .create(),
        )
        .await
        .unwrap_err();
    let OrmError::Database { message, sql } = &err else {
        panic!("expected a database error, got {err:?}");
    };
    assert!(
        message.contains("NOT NULL constraint failed: posts.title"),
        "{message}"
    );
    assert!(
        message.contains("none of its rows were written"),
        "{message}"
    );
    assert!(sql.contains("FROM json_each(?)"), "{sql}");
    assert_eq!(raw_count(&db, "posts"), 0);
    assert_eq!((orm.round_trips(), orm.statements()), (1, 1));
}

#[tokio::test]
async fn each_column_set_is_one_statement_and_keeps_its_defaults() {
    let (orm, _db) = orm();
    let sets = [
        json!({"title": "bare"}),
        json!({"title": "with status", "status": "published"}),
        json!({"title": "with views", "views": 7}),
    ];
    struct Bare;
    impl Factory for Bare {
        type Model = Post;
        fn definition(&self) -> impl IntoAttributes {
            json!({})
        }
    }
    let posts = orm
        .scope(Bare.count(300).sequence(sets).create())
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1, "one batch");
    assert_eq!(orm.statements(), 3, "one statement per column set");
    for (i, post) in posts.iter().enumerate() {
        let (status, views) = match i % 3 {
            0 => ("draft", 0), // both SQL defaults
            1 => ("published", 0),
            _ => ("draft", 7),
        };
        assert_eq!(post.get("status"), Some(&json!(status)), "row {i}");
        assert_eq!(post.get("views"), Some(&json!(views)), "row {i}");
    }
    // Sets are inserted in order of first appearance: row 1 follows all 100 of set 0.
    assert_eq!(posts[0].get("id"), Some(&json!(1)));
    assert_eq!(posts[1].get("id"), Some(&json!(101)));
    assert_eq!(posts[2].get("id"), Some(&json!(201)));
    assert_eq!(posts[3].get("id"), Some(&json!(2)));
}

/// 20,000 rows of about 150 bytes of JSON each: more than one statement's parameter
/// may hold, so the rows are cut into statements of at most `MAX_JSON_PARAM_BYTES`.
fn long_posts(bad_row: Option<usize>) -> impl Fn(usize) -> Value {
    move |i| {
        let title = format!("post number {i:05} with a title long enough to fill the JSON");
        json!({"title": if Some(i) == bad_row { Value::Null } else { json!(title) }})
    }
}

#[tokio::test]
async fn twenty_thousand_rows_split_by_size_in_one_batch() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    let posts = orm
        .scope(
            PostFactory
                .count(20_000)
                .sequence_fn(long_posts(None))
                .create(),
        )
        .await
        .unwrap();
    let sizes = recording.json_sizes();
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(
        sizes.iter().all(|&n| n > 0 && n <= MAX_JSON_PARAM_BYTES),
        "{sizes:?}"
    );
    assert_eq!(orm.round_trips(), 1);
    assert_eq!(orm.statements(), sizes.len() as u64);
    assert_eq!(raw_count(&db, "posts"), 20_000);
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(post.get("id"), Some(&json!(i as i64 + 1)));
        assert_eq!(post.get("title"), Some(&long_posts(None)(i)["title"]));
    }
}

#[tokio::test]
async fn a_bad_row_in_the_last_of_several_statements_writes_nothing() {
    let (orm, db) = orm();
    let err = orm
        .scope(
            PostFactory
                .count(20_000)
                .sequence_fn(long_posts(Some(19_999)))
                .create(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("NOT NULL constraint failed"),
        "{err}"
    );
    assert_eq!(
        raw_count(&db, "posts"),
        0,
        "the earlier statements rolled back"
    );
    assert_eq!(orm.round_trips(), 1);
    assert!(orm.statements() >= 2);
}

#[tokio::test]
async fn rows_are_stamped_with_the_tenant_in_one_statement() {
    use roost_orm::tenant::TenantContextData;
    struct Note;
    impl ModelDef for Note {
        const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    }
    struct NoteFactory;
    impl Factory for NoteFactory {
        type Model = Note;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "n", "org_id": "other"})
        }
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, title TEXT NOT NULL, \
         created_at TEXT, updated_at TEXT)",
    )
    .unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    let notes = orm.scope(NoteFactory.count(1000).create()).await.unwrap();
    assert_eq!(orm.statements(), 1);
    assert!(notes.iter().all(|n| n.get("org_id") == Some(&json!("a"))));
    let stamped: i64 = db.with_connection(|c| {
        c.query_row("SELECT COUNT(*) FROM notes WHERE org_id = 'a'", [], |r| {
            r.get(0)
        })
        .unwrap()
    });
    assert_eq!(stamped, 1000);
}

// --- Values: the JSON path stores exactly what binding each value stores. ---

const SAMPLE_COLUMNS: &[Column] = &[
    Column::integer("id"),
    Column::integer("n").nullable(),
    Column::real("r").nullable(),
    Column::text("t").nullable(),
    Column::blob("b").nullable(),
    Column::boolean("flag"),
];

const SAMPLE_SCHEMA: &str = "
CREATE TABLE one_by_one (id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT, b BLOB, flag INTEGER NOT NULL);
CREATE TABLE all_at_once (id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT, b BLOB, flag INTEGER NOT NULL);
";

/// Rows inserted one `VALUES` statement each (`Model::create`: every value bound).
struct OneByOne;
impl ModelDef for OneByOne {
    const TABLE: Option<&'static str> = Some("one_by_one");
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = SAMPLE_COLUMNS;
}

/// The same rows through a factory: one JSON statement.
struct AllAtOnce;
impl ModelDef for AllAtOnce {
    const TABLE: Option<&'static str> = Some("all_at_once");
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = SAMPLE_COLUMNS;
}

struct SampleFactory;
impl Factory for SampleFactory {
    type Model = AllAtOnce;
    fn definition(&self) -> impl IntoAttributes {
        json!({"flag": false})
    }
}

fn samples() -> Vec<Value> {
    let n = [
        json!(i64::MAX),
        json!(i64::MIN),
        json!(-1),
        json!(0),
        json!(9_007_199_254_740_993_i64),
        json!(null),
        json!(u32::MAX),
    ];
    // REALs SQLite reads back exactly from decimal text (see `extreme_reals_...`).
    let r = [
        json!(0.1),
        json!(19.99),
        json!(3.0),
        json!(-7.25e-5),
        json!(-0.0),
        json!(1.0 / 3.0),
        json!(null),
        json!(42),
        json!(51.507_351),
        json!(1e22),
    ];
    let t = [
        json!("é😀 ünïcode ✓"),
        json!("\"double\" and 'single' quotes"),
        json!("back\\slash, new\nline, tab\t, bell\u{7}"),
        json!(""),
        json!("'); DROP TABLE all_at_once; --"),
        json!("$[0]"),
        json!("[1,2]"),
        json!("null"),
        json!(null),
        json!(12),
        json!("nul\u{0}inside"),
    ];
    let b = [
        json!([0, 255, 16, 1]),
        json!([]),
        json!(null),
        json!("text as bytes"),
        json!(7),
        json!(1.5),
        json!([1, 300]),
    ];
    (0..77)
        .map(|i| {
            json!({
                "n": n[i % n.len()],
                "r": r[i % r.len()],
                "t": t[i % t.len()],
                "b": b[i % b.len()],
                "flag": i % 3 == 0,
            })
        })
        .collect()
}

/// Every stored value of `table` by id: its storage class and exact content (REAL as
/// its bits).
fn stored(db: &SqliteExecutor, table: &str) -> Vec<Vec<String>> {
    db.with_connection(|c| {
        let mut stmt = c
            .prepare(&format!("SELECT n, r, t, b, flag FROM {table} ORDER BY id"))
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            out.push(
                (0..5)
                    .map(|i| match row.get_ref(i).unwrap() {
                        ValueRef::Null => "null".to_string(),
                        ValueRef::Integer(n) => format!("integer {n}"),
                        ValueRef::Real(f) => format!("real {f} {:#x}", f.to_bits()),
                        ValueRef::Text(t) => format!("text {:?}", String::from_utf8_lossy(t)),
                        ValueRef::Blob(b) => format!("blob {b:?}"),
                    })
                    .collect(),
            );
        }
        out
    })
}

#[tokio::test]
async fn values_are_stored_exactly_as_bound_values_are() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SAMPLE_SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    let rows = samples();
    let (singles, batch) = orm
        .scope(async {
            let mut singles = Vec::new();
            for row in &rows {
                singles.push(OneByOne::create(row.clone()).await.unwrap());
            }
            let before = Orm::current().unwrap().statements();
            let batch = SampleFactory
                .count(rows.len())
                .sequence(rows.clone())
                .create()
                .await
                .unwrap();
            assert_eq!(Orm::current().unwrap().statements() - before, 1);
            (singles, batch)
        })
        .await;
    let expected = stored(&db, "one_by_one");
    let got = stored(&db, "all_at_once");
    assert_eq!(got.len(), rows.len());
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(e, g, "row {i}: {}", rows[i]);
    }
    // The storage classes the sample covers, blobs and large integers among them.
    assert_eq!(got[0][0], format!("integer {}", i64::MAX));
    assert_eq!(got[1][0], format!("integer {}", i64::MIN));
    assert_eq!(got[0][3], "blob [0, 255, 16, 1]");
    assert_eq!(got[1][3], "blob []");
    assert_eq!(got[4][3], "integer 7");
    assert_eq!(got[10][2], "text \"nul\\0inside\"");
    // And the instances read back the same attributes.
    for (single, made) in singles.iter().zip(&batch) {
        let mut a = single.attributes.clone();
        let mut b = made.attributes.clone();
        a.shift_remove("id");
        b.shift_remove("id");
        assert_eq!(a, b);
    }
}

/// xorshift64 from `seed`.
fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Create one `AllAtOnce` row per REAL; what is stored, bit for bit, must be `reals`.
async fn assert_reals_round_trip(reals: &[f64]) -> Orm {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SAMPLE_SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    let rows: Vec<Value> = reals.iter().map(|r| json!({"r": r})).collect();
    orm.scope(SampleFactory.count(rows.len()).sequence(rows).create())
        .await
        .unwrap();
    assert_eq!(orm.round_trips(), 1);
    let stored: Vec<f64> = db.with_connection(|c| {
        let mut stmt = c.prepare("SELECT r FROM all_at_once ORDER BY id").unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, f64>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    });
    assert_eq!(stored.len(), reals.len());
    for (want, got) in reals.iter().zip(&stored) {
        assert_eq!(
            want.to_bits(),
            got.to_bits(),
            "{want:e} came back as {got:e}"
        );
    }
    orm
}

/// Everyday REALs — up to 15 significant digits, from 1e-22 to 1e22: prices,
/// coordinates, measurements — go in as JSON text: one statement, read back bit for
/// bit.
#[tokio::test]
async fn everyday_reals_are_one_statement_bit_for_bit() {
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let reals: Vec<f64> = (0..5_000)
        .map(|_| {
            let digits = next() % 1_000_000_000_000_000;
            let exponent = (next() % 30) as i64 - 22;
            let sign = if next() % 2 == 0 { "" } else { "-" };
            format!("{sign}{digits}e{exponent}").parse().unwrap()
        })
        .collect();
    let orm = assert_reals_round_trip(&reals).await;
    assert_eq!(orm.statements(), 1);
}

/// REALs SQLite's decimal reader would get one unit in the last place wrong
/// (`1.715373926431966e178`), and any others outside its exact range, are bound as
/// themselves — still one round trip, still bit for bit.
#[tokio::test]
async fn extreme_reals_are_bound_and_round_trip_bit_for_bit() {
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut reals: Vec<f64> = std::iter::repeat_with(|| f64::from_bits(next()))
        .filter(|f| f.is_finite())
        .take(2_000)
        .collect();
    reals.extend([
        1.715_373_926_431_966e178,
        -2.5e-300,
        1e300,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        0.5,
    ]);
    let orm = assert_reals_round_trip(&reals).await;
    // Bound rows go 100 values to a statement, in row order.
    assert!(orm.statements() >= 20, "{}", orm.statements());
}

#[tokio::test]
async fn a_row_too_large_for_the_json_parameter_is_bound_as_itself() {
    let (_, db) = orm();
    let recording = Recording::new(&db);
    let orm = Orm::new(recording.clone());
    // 1.5 MB: within D1's 2,000,000-byte value limit, past the JSON parameter's.
    let big = "x".repeat(1_500_000);
    let rows = vec![
        json!({"title": "small 0"}),
        json!({"title": "small 1"}),
        json!({"title": big}),
        json!({"title": "small 3"}),
        json!({"title": "small 4"}),
    ];
    let posts = orm
        .scope(PostFactory.count(5).sequence(rows).create())
        .await
        .unwrap();
    let sent = recording.sent.lock().unwrap().clone();
    let shapes: Vec<bool> = sent.iter().map(|s| s.sql.contains("json_each")).collect();
    assert_eq!(
        shapes,
        [true, false, true],
        "JSON, the big row's VALUES, JSON"
    );
    assert_eq!(orm.round_trips(), 1);
    let ids: Vec<&Value> = posts.iter().map(|p| &p.attributes["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3), &json!(4), &json!(5)]);
    assert_eq!(posts[2].get("title"), Some(&json!(big)));
}
