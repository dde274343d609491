//! Peer comparison on embedded SQLite: find by primary key and a 1,000-row fetch, run by
//! raw rusqlite, roost-orm, SeaORM (sqlx-sqlite), sqlx and Diesel on the same data in the
//! same run. Each library maps rows into its natural shape: raw rusqlite and roost-orm
//! into the `IndexMap<String, serde_json::Value>` an `Instance` holds, the others into
//! typed structs. Async libraries are driven by one current-thread tokio runtime.
//!
//! Run: `cargo bench` in this directory (or `scripts/bench.sh` at the repository root).

#[allow(dead_code)]
#[path = "../../../orm/fixtures.rs"]
mod fixtures;
mod models;
#[allow(dead_code)]
#[path = "../../../orm/report.rs"]
mod report;

use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use diesel::prelude::*;
use roost_orm::prelude::*;
use rusqlite::OptionalExtension as _;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection as _};
use tokio::runtime::Runtime;

use fixtures::{Post, User, POST_COLUMNS, USERS, USER_COLUMNS};
use models::{diesel_rows, sea, sqlx_rows};

/// The libraries, in table order (criterion function names).
const LIBRARIES: &[(&str, &str)] = &[
    ("raw", "raw rusqlite"),
    ("raw_typed", "raw rusqlite → struct"),
    ("roost", "roost-orm"),
    ("seaorm", "SeaORM 2"),
    ("sqlx", "sqlx 0.9"),
    ("diesel", "Diesel 2"),
];

/// The cases: (criterion group, label).
const CASES: &[(&str, &str)] = &[
    ("peers_find_by_key", "find by primary key"),
    ("peers_fetch_1000", "fetch 1,000 rows"),
];

fn next_key(k: &mut i64) -> i64 {
    *k = *k % USERS + 1;
    *k
}

/// Every library's connection, each on its own freshly seeded in-memory database.
struct Dbs {
    rt: Runtime,
    raw: rusqlite::Connection,
    roost: Orm,
    sea: DatabaseConnection,
    sqlx: SqliteConnection,
    diesel: diesel::SqliteConnection,
}

impl Dbs {
    fn open() -> Dbs {
        // sqlx needs tokio's timer (pool and connect timeouts).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let script = fixtures::seed_script();
        let sea = rt.block_on(async {
            let mut options = ConnectOptions::new("sqlite::memory:");
            options
                .max_connections(1)
                .min_connections(1)
                .sqlx_logging(false);
            let db = Database::connect(options).await.expect("seaorm");
            db.execute_unprepared(&script).await.expect("seed seaorm");
            db
        });
        let sqlx = rt.block_on(async {
            let options = SqliteConnectOptions::from_str("sqlite::memory:").expect("url");
            let mut conn = SqliteConnection::connect_with(&options)
                .await
                .expect("sqlx");
            sqlx::raw_sql(AssertSqlSafe(script.clone()))
                .execute(&mut conn)
                .await
                .expect("seed sqlx");
            conn
        });
        let mut diesel = diesel::SqliteConnection::establish(":memory:").expect("diesel");
        diesel::connection::SimpleConnection::batch_execute(&mut diesel, &script)
            .expect("seed diesel");
        Dbs {
            rt,
            raw: fixtures::raw_db(),
            roost: fixtures::orm_db(),
            sea,
            sqlx,
            diesel,
        }
    }
}

/// A `users` row into a struct, by hand.
fn raw_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<diesel_rows::User> {
    Ok(diesel_rows::User {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        score: row.get(3)?,
        bio: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

/// A `posts` row into a struct, by hand.
fn raw_post(row: &rusqlite::Row<'_>) -> rusqlite::Result<diesel_rows::Post> {
    Ok(diesel_rows::Post {
        id: row.get(0)?,
        user_id: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        views: row.get(4)?,
        published: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

fn find_by_key(g: &mut BenchmarkGroup<'_, WallTime>, dbs: &mut Dbs) {
    let mut k = 0;
    g.bench_function("raw", |b| {
        b.iter(|| {
            let rows = fixtures::query(
                &dbs.raw,
                "SELECT * FROM users WHERE id = ?1",
                USER_COLUMNS,
                [next_key(&mut k)],
            );
            black_box(rows.into_iter().next())
        })
    });
    g.bench_function("raw_typed", |b| {
        b.iter(|| {
            let mut stmt = dbs
                .raw
                .prepare_cached("SELECT * FROM users WHERE id = ?1")
                .expect("prepare");
            let user = stmt
                .query_row([next_key(&mut k)], raw_user)
                .optional()
                .expect("find");
            black_box(user)
        })
    });
    let rt = &dbs.rt;
    dbs.roost.scope_sync(|| {
        g.bench_function("roost", |b| {
            b.iter(|| black_box(rt.block_on(User::find(next_key(&mut k))).expect("find")))
        })
    });
    let sea = &dbs.sea;
    g.bench_function("seaorm", |b| {
        b.iter(|| {
            let found = sea::user::Entity::find_by_id(next_key(&mut k)).one(sea);
            black_box(rt.block_on(found).expect("find"))
        })
    });
    let conn = &mut dbs.sqlx;
    g.bench_function("sqlx", |b| {
        b.iter(|| {
            let id = next_key(&mut k);
            let found = sqlx::query_as::<_, sqlx_rows::User>("SELECT * FROM users WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *conn);
            black_box(rt.block_on(found).expect("find"))
        })
    });
    let conn = &mut dbs.diesel;
    g.bench_function("diesel", |b| {
        b.iter(|| {
            let found = diesel_rows::users::table
                .find(next_key(&mut k))
                .select(diesel_rows::User::as_select())
                .first(conn)
                .optional();
            black_box(found.expect("find"))
        })
    });
}

fn fetch_1000(g: &mut BenchmarkGroup<'_, WallTime>, dbs: &mut Dbs) {
    g.bench_function("raw", |b| {
        b.iter(|| {
            black_box(fixtures::query(
                &dbs.raw,
                "SELECT * FROM posts",
                POST_COLUMNS,
                [],
            ))
        })
    });
    g.bench_function("raw_typed", |b| {
        b.iter(|| {
            let mut stmt = dbs
                .raw
                .prepare_cached("SELECT * FROM posts")
                .expect("prepare");
            let posts: Vec<diesel_rows::Post> = stmt
                .query_map([], raw_post)
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            black_box(posts)
        })
    });
    let rt = &dbs.rt;
    dbs.roost.scope_sync(|| {
        g.bench_function("roost", |b| {
            b.iter(|| black_box(rt.block_on(Post::all()).expect("all")))
        })
    });
    let sea = &dbs.sea;
    g.bench_function("seaorm", |b| {
        b.iter(|| {
            black_box(
                rt.block_on(sea::post::Entity::find().all(sea))
                    .expect("all"),
            )
        })
    });
    let conn = &mut dbs.sqlx;
    g.bench_function("sqlx", |b| {
        b.iter(|| {
            let all =
                sqlx::query_as::<_, sqlx_rows::Post>("SELECT * FROM posts").fetch_all(&mut *conn);
            black_box(rt.block_on(all).expect("all"))
        })
    });
    let conn = &mut dbs.diesel;
    g.bench_function("diesel", |b| {
        b.iter(|| {
            let all = diesel_rows::posts::table
                .select(diesel_rows::Post::as_select())
                .load(conn);
            black_box(all.expect("all"))
        })
    });
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut dbs = Dbs::open();
    check_same_data(&mut dbs);
    let mut g = c.benchmark_group("peers_find_by_key");
    find_by_key(&mut g, &mut dbs);
    g.finish();
    let mut g = c.benchmark_group("peers_fetch_1000");
    fetch_1000(&mut g, &mut dbs);
    g.finish();
    c.final_summary();
    print_table();
}

/// Every library sees the same 1,000 posts before anything is timed.
fn check_same_data(dbs: &mut Dbs) {
    let raw = fixtures::query(&dbs.raw, "SELECT * FROM posts", POST_COLUMNS, []).len();
    let roost = dbs
        .roost
        .scope_sync(|| dbs.rt.block_on(Post::all()))
        .expect("roost")
        .len();
    let sea = dbs
        .rt
        .block_on(sea::post::Entity::find().all(&dbs.sea))
        .expect("seaorm")
        .len();
    let sqlx = dbs
        .rt
        .block_on(
            sqlx::query_as::<_, sqlx_rows::Post>("SELECT * FROM posts").fetch_all(&mut dbs.sqlx),
        )
        .expect("sqlx")
        .len();
    let diesel = diesel_rows::posts::table
        .select(diesel_rows::Post::as_select())
        .load(&mut dbs.diesel)
        .expect("diesel")
        .len();
    assert_eq!([raw, roost, sea, sqlx, diesel], [1000; 5]);
}

/// One Markdown table: case, library, median, ratio to raw rusqlite, ratio to roost-orm.
fn print_table() {
    println!();
    println!("| case | library | median | vs raw rusqlite | vs roost-orm |");
    println!("|---|---|---:|---:|---:|");
    for (group, case) in CASES {
        let raw = report::median_ns(group, "raw");
        let roost = report::median_ns(group, "roost");
        for (function, library) in LIBRARIES {
            let Some(t) = report::median_ns(group, function) else {
                println!("| {case} | {library} | – | – | – |");
                continue;
            };
            let ratio = |base: Option<f64>| base.map_or("–".into(), |b| format!("{:.2}×", t / b));
            println!(
                "| {case} | {library} | {} | {} | {} |",
                report::fmt_ns(t),
                ratio(raw),
                ratio(roost)
            );
        }
    }
}
