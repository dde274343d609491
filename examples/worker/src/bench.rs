//! `GET /bench?n=&rounds=`: roost-orm against hand-written `worker` D1 calls, measured
//! in the same request on the same binding. Not part of the app.
//!
//! Compiled only with the example's `e2e` feature and served only when the var `BENCH`
//! is `"true"` (`scripts/d1-bench.sh` does both; elsewhere it is a 404). It works on its
//! own table, `bench_items`, which it creates and seeds with [`SEED_ROWS`] rows on first
//! use, and it deletes the rows its `create` case added before answering, so the app's
//! tables and the e2e's stored-row checks never see it.
//!
//! Cases, each run `n` times per side and round (after one untimed run of each side);
//! within a round the sides take turns one operation at a time, alternating which goes
//! first, and every operation is timed on its own:
//!
//! | case | roost-orm | hand-written (`worker` D1 API, rows mapped by serde into [`RawItem`]) |
//! |---|---|---|
//! | `find` | `BenchItem::find(id)` | `SELECT * … WHERE id = ?1` → `first::<RawItem>()` |
//! | `list_100` | `order_by("id").limit(100).all()` | `SELECT * … ORDER BY id LIMIT 100` → `all()?.results::<RawItem>()` |
//! | `paginate_3_20` | `order_by("id").paginate(3, 20)` | one `SELECT *, (SELECT COUNT(*) …) AS total … LIMIT 20 OFFSET 40` → a page |
//! | `create` | `BenchItem::create({..})` | `INSERT … RETURNING *` → `first::<RawItem>()` |
//!
//! Both sides use the plain binding (no D1 session). Times come from `performance.now()`;
//! `clock` in the answer says whether it moved without I/O and by what step. Locally it
//! does (in 1 ms steps: the sums over many operations average the steps out); deployed,
//! workerd moves it only at I/O, and the turn-taking would then charge one side's work
//! after its D1 answer to the other side, so these figures are for local D1.

use roost_orm::prelude::*;
use roost_orm::D1Executor;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Request};

use crate::api::{json, query_params, ApiError};

/// The var that turns the route on.
pub const ENABLE_VAR: &str = "BENCH";
/// Rows seeded into `bench_items`.
pub const SEED_ROWS: i64 = 1000;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Whether this Worker serves `/bench` (`BENCH = "true"`).
pub fn enabled(env: &Env) -> bool {
    env.var(ENABLE_VAR).is_ok_and(|v| v.to_string() == "true")
}

/// `bench_items` through the ORM.
pub struct BenchItem;
impl ModelDef for BenchItem {
    const TABLE: Option<&'static str> = Some("bench_items");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("title"),
        Column::text("body"),
        Column::real("score"),
        Column::boolean("published"),
    ];
}

/// A `bench_items` row as a hand-written Worker maps it.
#[derive(Debug, Deserialize, Serialize)]
pub struct RawItem {
    /// Primary key.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Body text.
    pub body: String,
    /// A float column.
    pub score: f64,
    /// 0 or 1.
    pub published: i64,
    /// ISO-8601 text.
    pub created_at: Option<String>,
    /// ISO-8601 text.
    pub updated_at: Option<String>,
}

/// A row of the hand-written page query: the item and the total beside it.
#[derive(Debug, Deserialize)]
struct RawPageRow {
    #[serde(flatten)]
    item: RawItem,
    total: u64,
}

/// The hand-written page, shaped like the ORM's.
#[derive(Debug, Serialize)]
struct RawPage {
    data: Vec<RawItem>,
    total: u64,
    per_page: u64,
    current_page: u64,
    last_page: u64,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_items (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT NOT NULL, score REAL NOT NULL, published INTEGER NOT NULL, created_at TEXT, updated_at TEXT)";
const SEED: &str = "INSERT INTO bench_items (title, body, score, published, created_at, updated_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) SELECT 'Item ' || i, 'The body of bench item number ' || i, i * 1.5, i % 2, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n";

fn fail(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(500, "bench_failed", e.to_string())
}

/// Create and seed `bench_items` when it is not there yet.
async fn prepare_table(db: &D1Database) -> Result<(), ApiError> {
    db.prepare(CREATE_TABLE).run().await.map_err(fail)?;
    let count: Option<i64> = db
        .prepare("SELECT COUNT(*) AS n FROM bench_items")
        .first(Some("n"))
        .await
        .map_err(fail)?;
    if count.unwrap_or(0) < SEED_ROWS {
        db.prepare("DELETE FROM bench_items")
            .run()
            .await
            .map_err(fail)?;
        db.prepare(SEED)
            .bind(&[JsValue::from_f64(SEED_ROWS as f64)])?
            .run()
            .await
            .map_err(fail)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Case {
    Find,
    List,
    Paginate,
    Create,
}

impl Case {
    const ALL: [Case; 4] = [Case::Find, Case::List, Case::Paginate, Case::Create];

    fn name(self) -> &'static str {
        match self {
            Case::Find => "find",
            Case::List => "list_100",
            Case::Paginate => "paginate_3_20",
            Case::Create => "create",
        }
    }
}

fn new_item(i: u32) -> (String, String, f64, bool) {
    (
        format!("Created {i}"),
        "A body written by the bench".to_string(),
        f64::from(i) * 0.5,
        i.is_multiple_of(2),
    )
}

/// One operation through the ORM; returns the rows it produced.
async fn orm_op(case: Case, i: u32) -> Result<usize, ApiError> {
    Ok(match case {
        Case::Find => BenchItem::find(i64::from(i % 1000) + 1)
            .await?
            .map_or(0, |_| 1),
        Case::List => BenchItem::query()
            .order_by("id", "asc")
            .limit(100)
            .all()
            .await?
            .len(),
        Case::Paginate => BenchItem::query()
            .order_by("id", "asc")
            .paginate(3, 20)
            .await?
            .data
            .len(),
        Case::Create => {
            let (title, body, score, published) = new_item(i);
            let item = BenchItem::create(json!({
                "title": title, "body": body, "score": score, "published": published,
            }))
            .await?;
            usize::from(item.get("id").is_some())
        }
    })
}

/// The same operation hand-written against the binding.
async fn raw_op(db: &D1Database, case: Case, i: u32) -> Result<usize, ApiError> {
    Ok(match case {
        Case::Find => db
            .prepare("SELECT * FROM bench_items WHERE id = ?1")
            .bind(&[JsValue::from_f64(f64::from(i % 1000) + 1.0)])?
            .first::<RawItem>(None)
            .await
            .map_err(fail)?
            .map_or(0, |_| 1),
        Case::List => db
            .prepare("SELECT * FROM bench_items ORDER BY id LIMIT 100")
            .all()
            .await
            .map_err(fail)?
            .results::<RawItem>()
            .map_err(fail)?
            .len(),
        Case::Paginate => {
            let (page, per_page) = (3u64, 20u64);
            let rows = db
                .prepare("SELECT *, (SELECT COUNT(*) FROM bench_items) AS total FROM bench_items ORDER BY id LIMIT ?1 OFFSET ?2")
                .bind(&[JsValue::from_f64(per_page as f64), JsValue::from_f64(((page - 1) * per_page) as f64)])?
                .all()
                .await
                .map_err(fail)?
                .results::<RawPageRow>()
                .map_err(fail)?;
            let total = rows.first().map_or(0, |r| r.total);
            let page = RawPage {
                data: rows.into_iter().map(|r| r.item).collect(),
                total,
                per_page,
                current_page: page,
                last_page: total.div_ceil(per_page).max(1),
            };
            page.data.len()
        }
        Case::Create => {
            let (title, body, score, published) = new_item(i);
            let now = worker::js_sys::Date::new_0().to_iso_string();
            db.prepare("INSERT INTO bench_items (title, body, score, published, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING *")
                .bind(&[title.into(), body.into(), score.into(), JsValue::from_f64(f64::from(u8::from(published))), now.into()])?
                .first::<RawItem>(None)
                .await
                .map_err(fail)?
                .map_or(0, |_| 1)
        }
    })
}

/// One round: `n` operations per side, the sides taking turns one operation at a time
/// (and turns at going first), each operation timed on its own, so a change of the
/// machine's load hits both sides alike. Milliseconds per operation, ORM and raw.
async fn round(db: &D1Database, case: Case, n: u32) -> Result<(f64, f64), ApiError> {
    let (mut orm, mut raw) = (0.0, 0.0);
    for i in 0..n {
        let orm_first = i.is_multiple_of(2);
        for is_orm in [orm_first, !orm_first] {
            let start = performance_now();
            if is_orm {
                orm_op(case, i).await?;
                orm += performance_now() - start;
            } else {
                raw_op(db, case, i).await?;
                raw += performance_now() - start;
            }
        }
    }
    Ok((orm / f64::from(n), raw / f64::from(n)))
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Whether the clock moves during pure computation (without I/O), and its step.
fn clock_check() -> Value {
    let start = performance_now();
    let mut x: u64 = 1;
    for i in 0..20_000_000u64 {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    let spent = performance_now() - start;
    // The step: from one change of the reading to the next (bounded, in case it never moves).
    let mut step = 0.0;
    let first = performance_now();
    let mut seen = first;
    for _ in 0..50_000_000u32 {
        let now = performance_now();
        if now != seen {
            if seen != first {
                step = now - seen;
                break;
            }
            seen = now;
        }
    }
    json!({"advances_without_io": spent > 0.0, "busy_loop_ms": spent, "step_ms": step, "sink": x % 2})
}

/// `GET /bench?n=&rounds=`.
pub async fn route(req: &Request, env: &Env) -> Result<worker::Response, ApiError> {
    let params = query_params(req);
    let number = |name: &str, default: u32| {
        params
            .get(name)
            .and_then(|v| v.parse::<u32>().ok())
            .map_or(default, |v| v.clamp(1, 200))
    };
    let (n, rounds) = (number("n", 20), number("rounds", 6));
    // D1 allows 1,000 queries per invocation: the cases' operations, their warm-ups
    // and the setup must fit.
    let queries = Case::ALL.len() as u32 * (2 + rounds * n * 2) + 6;
    if queries > 1000 {
        return Err(ApiError::invalid(format!(
            "n={n}, rounds={rounds} would send {queries} queries; D1 allows 1000 per request"
        )));
    }
    let db = env.d1("DB")?;
    prepare_table(&db).await?;
    let orm = Orm::new(D1Executor::new(env.d1("DB")?));
    let clock = clock_check();
    let mut cases = Vec::new();
    let result: Result<(), ApiError> = orm
        .scope(async {
            for case in Case::ALL {
                orm_op(case, 0).await?;
                raw_op(&db, case, 0).await?;
                let (mut orm_ms, mut raw_ms) = (Vec::new(), Vec::new());
                let sent = orm.round_trips();
                for _ in 0..rounds {
                    let (orm, raw) = round(&db, case, n).await?;
                    orm_ms.push(orm);
                    raw_ms.push(raw);
                }
                let per_op = (orm.round_trips() - sent) as f64 / f64::from(rounds * n);
                let (orm_median, raw_median) = (median(&orm_ms), median(&raw_ms));
                cases.push(json!({
                    "case": case.name(),
                    "orm_ms": orm_ms, "raw_ms": raw_ms,
                    "orm_median_ms": orm_median, "raw_median_ms": raw_median,
                    "ratio": orm_median / raw_median,
                    "orm_round_trips_per_op": per_op,
                }));
            }
            Ok(())
        })
        .await;
    // The `create` case's rows go, whatever happened.
    let cleanup = db
        .prepare("DELETE FROM bench_items WHERE id > ?1")
        .bind(&[JsValue::from_f64(SEED_ROWS as f64)])?
        .run()
        .await;
    result?;
    cleanup.map_err(fail)?;
    json(
        200,
        &json!({"n": n, "rounds": rounds, "rows": SEED_ROWS, "clock": clock, "cases": cases}),
    )
}
