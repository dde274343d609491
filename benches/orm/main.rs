//! Benchmarks: roost-orm against raw rusqlite on embedded SQLite, case by case.
//!
//! Each case is a criterion group with two functions, `raw` (hand-written rusqlite: a
//! cached prepared statement, rows mapped into the `IndexMap<String, Value>` an
//! `Instance` holds) and `orm` (the same work through the model API). ORM futures are
//! driven by `futures::executor::block_on` inside one request scope, so the figures are
//! the ORM's own cost, not a runtime's. After the run a table of medians and the ratio
//! ORM / raw is printed from criterion's `estimates.json` files.
//!
//! Run: `cargo bench --bench orm` (or `scripts/bench.sh` for everything). The raw side
//! runs the statements the ORM sends (`ROOST_BENCH_SQL=1` prints them).

mod cases;
mod fixtures;
mod report;

use std::time::Duration;

use criterion::Criterion;

/// The cases, in table order: (criterion group, what it measures).
pub const CASES: &[(&str, &str)] = &[
    ("find_by_key", "find by primary key"),
    ("where_order_limit_20", "`where` + `order_by` + `limit 20`"),
    ("fetch_1000", "fetch 1,000 rows into instances"),
    ("create", "`create` (INSERT … RETURNING *)"),
    ("save_one_column", "`save` of one dirty column"),
    ("eager_100x10", "eager load 100 users × 10 posts"),
    ("paginate", "`paginate` (page 3 of 20)"),
    ("factory_create_1000", "factory `create` of 1,000 rows"),
];

fn main() {
    // `ROOST_BENCH_SQL=1` logs every statement the ORM sends (to check that the raw
    // side runs the same SQL); it slows the ORM side down, so never time with it.
    if std::env::var_os("ROOST_BENCH_SQL").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter("roost_orm::query=debug")
            .init();
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    cases::find_by_key(&mut c);
    cases::where_order_limit(&mut c);
    cases::fetch_1000(&mut c);
    cases::create(&mut c);
    cases::save_one_column(&mut c);
    cases::eager_100x10(&mut c);
    cases::paginate(&mut c);
    cases::factory_create_1000(&mut c);
    c.final_summary();
    print_table();
}

/// One Markdown table: case, raw, orm, orm / raw (criterion medians).
fn print_table() {
    println!();
    println!("| case | raw rusqlite | roost-orm | orm / raw |");
    println!("|---|---:|---:|---:|");
    for (group, label) in CASES {
        match (
            report::median_ns(group, "raw"),
            report::median_ns(group, "orm"),
        ) {
            (Some(raw), Some(orm)) => println!(
                "| {label} | {} | {} | {:.2}× |",
                report::fmt_ns(raw),
                report::fmt_ns(orm),
                orm / raw
            ),
            _ => println!("| {label} | – | – | not run |"),
        }
    }
}
