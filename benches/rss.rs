//! Peak memory of one large fetch: every post of a table of 100,000, read once, in a
//! process of its own so that nothing else has touched the heap.
//!
//! `cargo bench --bench rss -- <variant> [rows]` seeds an in-memory database, resets the
//! kernel's peak-RSS mark (`echo 5 > /proc/self/clear_refs`), fetches every row, keeps
//! the result alive and reads `VmHWM` (the peak since the reset) and `VmRSS` from
//! `/proc/self/status`. Variants: `raw_map` (rusqlite → the map an `Instance` holds),
//! `raw_struct` (rusqlite → a struct), `orm` (`Post::all()`), `orm_typed`
//! (`Post::all_as::<PostRow>()`), and the walks that hold one chunk of 1,000 at a time,
//! `orm_lazy_by_id` (`lazy_by_id(1000)`) and `orm_chunk_by_id` (`chunk_by_id(1000, ..)`). `scripts/bench.sh` runs each variant in fresh
//! processes several times; with `ROOST_BENCH_JSON=<file>` the figures are appended as a
//! JSON line. Without `--bench` (as under `cargo test --benches`) every variant runs in
//! this one process on 1,000 rows, as a smoke test.

use std::hint::black_box;
use std::time::Instant;

use futures::executor::block_on;
use roost_orm::prelude::*;

#[path = "orm/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "orm/harness.rs"]
#[allow(dead_code)]
mod harness;

use fixtures::{Post, PostRow, POST_COLUMNS};

const VARIANTS: &[&str] = &[
    "raw_map",
    "raw_struct",
    "orm",
    "orm_typed",
    "orm_lazy_by_id",
    "orm_chunk_by_id",
];

/// Walk every post with `lazy_by_id(1000)`, holding one chunk at a time; the count.
async fn lazy_count() -> usize {
    use futures::TryStreamExt;
    let stream = std::pin::pin!(Post::query().lazy_by_id(1000));
    stream
        .try_fold(0usize, |n, post| async move {
            black_box(&post);
            Ok(n + 1)
        })
        .await
        .expect("lazy_by_id")
}

/// Walk every post with `chunk_by_id(1000, ..)`; the count.
async fn chunk_count() -> usize {
    let mut n = 0;
    Post::query()
        .chunk_by_id(1000, |rows| {
            n += black_box(rows).len();
            async { Ok(true) }
        })
        .await
        .expect("chunk_by_id");
    n
}

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Reset the peak-RSS mark to the current RSS; false where the kernel can't.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Leak `rows` (it stays in memory while the figures are read); its length.
fn keep<T>(rows: Vec<T>) -> usize {
    let n = rows.len();
    std::mem::forget(black_box(rows));
    n
}

/// Seed, then fetch every row once with `variant`; returns the figures as JSON.
fn measure(variant: &str, rows: i64) -> serde_json::Value {
    let sql = "SELECT * FROM posts";
    // Both databases are seeded either way, so every variant's process holds the same.
    let conn = fixtures::raw_db_with(rows);
    let (orm, _db) = fixtures::orm_and_db_with(rows);
    let rss_before = status_kib("VmRSS:");
    let reset = reset_peak();
    let faults_before = harness::faults().0;
    let started = Instant::now();
    // Each result is kept alive (leaked) until the figures are read.
    let fetched = orm.scope_sync(|| match variant {
        "raw_map" => keep(fixtures::query(&conn, sql, POST_COLUMNS, [])),
        "raw_struct" => keep(fixtures::query_as(&conn, sql, [], fixtures::post_row)),
        "orm" => keep(block_on(Post::all()).expect("all")),
        "orm_typed" => keep(block_on(Post::all_as::<PostRow>()).expect("all_as")),
        // Bounded memory: a chunk at a time, nothing kept.
        "orm_lazy_by_id" => block_on(lazy_count()),
        "orm_chunk_by_id" => block_on(chunk_count()),
        _ => panic!("variants: {VARIANTS:?}"),
    });
    let elapsed = started.elapsed();
    let faults = harness::faults().0 - faults_before;
    let hwm = status_kib("VmHWM:");
    let rss_after = status_kib("VmRSS:");
    assert_eq!(fetched as i64, rows);
    serde_json::json!({
        "kind": "rss",
        "variant": variant,
        "rows": rows,
        "rss_before_kib": rss_before,
        "peak_kib": hwm,
        "rss_after_kib": rss_after,
        "peak_reset": reset,
        "faults": faults,
        "fetch_ms": elapsed.as_secs_f64() * 1e3,
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let timed = std::env::args().any(|a| a == "--bench");
    if !timed {
        for variant in VARIANTS {
            println!("{}", measure(variant, 1_000));
        }
        return;
    }
    let variant = args.first().map(String::as_str).unwrap_or("");
    if !VARIANTS.contains(&variant) {
        eprintln!("usage: rss <{}> [rows]", VARIANTS.join("|"));
        std::process::exit(2);
    }
    let rows = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(100_000);
    let figures = measure(variant, rows);
    println!("{figures}");
    harness::record_json(&figures);
}
