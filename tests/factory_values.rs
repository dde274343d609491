//! The values a factory `create` stores through its one JSON parameter are exactly what
//! binding each value stores: every storage class, `i64` extremes, unicode and quotes,
//! BLOBs (as hex through `unhex`), and REALs bit for bit — those SQLite's decimal
//! reader would get wrong are bound instead.
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use rusqlite::types::ValueRef;
use serde_json::{json, Value};

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
