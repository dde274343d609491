//! Benchmarks: roost-orm against raw rusqlite on embedded SQLite, case by case.
//!
//! Every case runs its variants in this one process (see `cases.rs`): raw rusqlite into
//! the map an `Instance` holds, raw rusqlite into a struct, the ORM, and the ORM's typed
//! read where the case is a read. The harness (`harness.rs`) interleaves their samples
//! and prints min / median / max of each variant's samples with the minor page faults
//! per operation; with `ROOST_BENCH_JSON=<file>` it appends the results as JSON lines,
//! which `scripts/bench.sh` collects over several processes.
//!
//! Run: `cargo bench --bench orm` (or `scripts/bench.sh` for the report). A name
//! filter runs only the cases whose name contains it: `cargo bench --bench orm --
//! paginate`. Without `--bench` (as under `cargo test --benches`) every variant runs
//! once, untimed, after its case's checks. ORM futures are driven by
//! `futures::executor::block_on` inside one request scope.
//!
//! `ROOST_BENCH_SQL=1` prints the statements the ORM sends (to check that the raw side
//! runs the same SQL); it slows the ORM down, so never time with it.

mod cases;
mod fixtures;
mod harness;

use harness::{Conditions, Config};

/// One case: its name (for filters) and how to run it.
type Case = (&'static str, fn(&Config));

/// The cases, in table order.
const CASES: &[Case] = &[
    ("find_by_key", cases::find_by_key),
    ("where_order_limit_20", cases::where_order_limit),
    ("fetch_1000", cases::fetch_1000),
    ("fetch_100", cases::fetch_100),
    ("paginate_1k", |c| cases::paginate(c, 1_000)),
    ("paginate_10k", |c| cases::paginate(c, 10_000)),
    ("paginate_100k", |c| cases::paginate(c, 100_000)),
    ("create", cases::create),
    ("save_one_column", cases::save_one_column),
    ("eager_100x10", cases::eager_100x10),
    ("factory_create_1000", cases::factory_create_1000),
];

fn main() {
    if std::env::var_os("ROOST_BENCH_SQL").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter("roost_orm::query=debug")
            .init();
    }
    let config = Config::from_env();
    let filters = Config::filters();
    let conditions = Conditions::start();
    if config.timed {
        println!("settings: {}", config.describe());
    }
    for (name, case) in CASES {
        if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
            case(&config);
        }
    }
    if config.timed {
        conditions.finish("orm", &config);
    }
}
