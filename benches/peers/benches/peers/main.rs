//! Peer comparison on embedded SQLite: find by primary key and a 1,000-row fetch, run by
//! raw rusqlite (into a struct — the baseline of every ratio — and into the map an
//! `Instance` holds), roost-orm (records, and typed reads into the same struct), SeaORM
//! (sqlx-sqlite), sqlx and Diesel, on the same data in the same process, with the
//! harness of `benches/orm` (interleaved samples, min / median / max, page faults per
//! operation; `ROOST_BENCH_JSON=<file>` appends JSON lines).
//!
//! Runtimes: raw rusqlite and Diesel are synchronous; roost-orm's futures (its SQLite
//! executor runs each statement synchronously) are driven by `futures::executor::block_on`
//! as in `benches/orm`, and once more by tokio's `block_on` for comparison with earlier
//! reports; SeaORM and sqlx need tokio and run on one current-thread runtime (sqlx-sqlite
//! also runs each connection on a worker thread of its own).
//!
//! Run: `cargo bench` in this directory (or `scripts/bench.sh` at the repository root).
//! Without `--bench` every variant runs once, untimed.

#[allow(dead_code)]
#[path = "../../../orm/fixtures.rs"]
mod fixtures;
#[allow(dead_code)]
#[path = "../../../orm/harness.rs"]
mod harness;
mod models;

use std::hint::black_box;
use std::str::FromStr;

use diesel::prelude::*;
use futures::executor::block_on;
use roost_orm::prelude::*;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection as _};
use tokio::runtime::Runtime;

use fixtures::{
    post_row, user_row, Post, PostRow, User, UserRow, POST_COLUMNS, USERS, USER_COLUMNS,
};
use harness::{Conditions, Config, Group};
use models::{diesel_rows, sea, sqlx_rows};

const BENCH: &str = "peers";

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

const FIND: &str = "SELECT * FROM users WHERE id = ?1";

fn find_by_key(config: &Config, dbs: &mut Dbs) {
    let mut g = Group::new("peers_find_by_key", "find by primary key");
    let raw = &dbs.raw;
    let rt = &dbs.rt;
    let mut k = 0;
    g.bench("raw_struct", "raw rusqlite → struct", move || {
        let mut stmt = raw.prepare_cached(FIND).expect("prepare");
        let mut rows = stmt.query([next_key(&mut k)]).expect("query");
        let user = rows
            .next()
            .expect("step")
            .map(|row| user_row(row).expect("row"));
        black_box(user);
    });
    let mut k = 0;
    g.bench("raw_map", "raw rusqlite → map", move || {
        let rows = fixtures::query(raw, FIND, USER_COLUMNS, [next_key(&mut k)]);
        black_box(rows.into_iter().next());
    });
    let mut k = 0;
    g.bench("roost", "roost-orm", move || {
        black_box(block_on(User::find(next_key(&mut k))).expect("find"));
    });
    let mut k = 0;
    g.bench("roost_typed", "roost-orm typed (`find_as`)", move || {
        black_box(block_on(User::find_as::<UserRow>(next_key(&mut k))).expect("find_as"));
    });
    let mut k = 0;
    g.bench("roost_tokio", "roost-orm on tokio `block_on`", move || {
        black_box(rt.block_on(User::find(next_key(&mut k))).expect("find"));
    });
    let sea = &dbs.sea;
    let mut k = 0;
    g.bench("seaorm", "SeaORM 2", move || {
        let found = sea::user::Entity::find_by_id(next_key(&mut k)).one(sea);
        black_box(rt.block_on(found).expect("find"));
    });
    let conn = &mut dbs.sqlx;
    let mut k = 0;
    g.bench("sqlx", "sqlx 0.9", move || {
        let id = next_key(&mut k);
        let found = sqlx::query_as::<_, sqlx_rows::User>("SELECT * FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn);
        black_box(rt.block_on(found).expect("find"));
    });
    let conn = &mut dbs.diesel;
    let mut k = 0;
    g.bench("diesel", "Diesel 2", move || {
        let found = diesel_rows::users::table
            .find(next_key(&mut k))
            .select(diesel_rows::User::as_select())
            .first(conn)
            .optional();
        black_box(found.expect("find"));
    });
    dbs.roost.scope_sync(|| g.run(config, BENCH));
}

fn fetch_1000(config: &Config, dbs: &mut Dbs) {
    let mut g = Group::new("peers_fetch_1000", "fetch 1,000 rows");
    let raw = &dbs.raw;
    let rt = &dbs.rt;
    g.bench("raw_struct", "raw rusqlite → struct", move || {
        black_box(fixtures::query_as(raw, "SELECT * FROM posts", [], post_row));
    });
    g.bench("raw_map", "raw rusqlite → map", move || {
        black_box(fixtures::query(
            raw,
            "SELECT * FROM posts",
            POST_COLUMNS,
            [],
        ));
    });
    g.bench("roost", "roost-orm", || {
        black_box(block_on(Post::all()).expect("all"));
    });
    g.bench("roost_typed", "roost-orm typed (`all_as`)", || {
        black_box(block_on(Post::all_as::<PostRow>()).expect("all_as"));
    });
    g.bench("roost_tokio", "roost-orm on tokio `block_on`", move || {
        black_box(rt.block_on(Post::all()).expect("all"));
    });
    let sea = &dbs.sea;
    g.bench("seaorm", "SeaORM 2", move || {
        black_box(
            rt.block_on(sea::post::Entity::find().all(sea))
                .expect("all"),
        );
    });
    let conn = &mut dbs.sqlx;
    g.bench("sqlx", "sqlx 0.9", move || {
        let all = sqlx::query_as::<_, sqlx_rows::Post>("SELECT * FROM posts").fetch_all(&mut *conn);
        black_box(rt.block_on(all).expect("all"));
    });
    let conn = &mut dbs.diesel;
    g.bench("diesel", "Diesel 2", move || {
        let all = diesel_rows::posts::table
            .select(diesel_rows::Post::as_select())
            .load(conn);
        black_box(all.expect("all"));
    });
    dbs.roost.scope_sync(|| g.run(config, BENCH));
}

fn main() {
    let config = Config::from_env();
    let conditions = Conditions::start();
    if config.timed {
        println!("settings: {}", config.describe());
    }
    let mut dbs = Dbs::open();
    check_same_data(&mut dbs);
    find_by_key(&config, &mut dbs);
    fetch_1000(&config, &mut dbs);
    if config.timed {
        conditions.finish(BENCH, &config);
    }
}

/// Every library sees the same 1,000 posts before anything is timed.
fn check_same_data(dbs: &mut Dbs) {
    let raw = fixtures::query_as(&dbs.raw, "SELECT * FROM posts", [], post_row);
    let roost = dbs
        .roost
        .scope_sync(|| block_on(Post::all_as::<PostRow>()))
        .expect("roost");
    assert_eq!(raw, roost);
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
    assert_eq!([raw.len(), sea, sqlx, diesel], [1000; 4]);
}
