//! The benchmark cases: one criterion group each, `raw` beside `orm`.

use std::hint::black_box;

use criterion::Criterion;
use futures::executor::block_on;
use roost_orm::prelude::*;
use serde_json::json;

use crate::fixtures::{self, Post, Row, User, POST_COLUMNS, USERS, USER_COLUMNS};

/// Cycle through the user keys 1..=USERS.
fn next_key(k: &mut i64) -> i64 {
    *k = *k % USERS + 1;
    *k
}

/// `User::find(id)` against `SELECT * FROM users WHERE id = ?`.
pub fn find_by_key(c: &mut Criterion) {
    let mut g = c.benchmark_group("find_by_key");
    let conn = fixtures::raw_db();
    let mut k = 0;
    g.bench_function("raw", |b| {
        b.iter(|| {
            let id = next_key(&mut k);
            let rows = fixtures::query(
                &conn,
                "SELECT * FROM users WHERE id = ?1",
                USER_COLUMNS,
                [id],
            );
            black_box(rows.into_iter().next())
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| black_box(block_on(User::find(next_key(&mut k))).expect("find")))
        })
    });
    g.finish();
}

/// A filtered, ordered, limited list of 20 posts.
pub fn where_order_limit(c: &mut Criterion) {
    let mut g = c.benchmark_group("where_order_limit_20");
    let conn = fixtures::raw_db();
    g.bench_function("raw", |b| {
        b.iter(|| {
            black_box(fixtures::query(
                &conn,
                "SELECT * FROM posts WHERE published = ?1 ORDER BY id DESC LIMIT ?2",
                POST_COLUMNS,
                [1, 20],
            ))
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| {
                let q = Post::where_("published", 1)
                    .order_by("id", "desc")
                    .limit(20);
                black_box(block_on(q.all()).expect("all"))
            })
        })
    });
    g.finish();
}

/// Every post (1,000 rows).
pub fn fetch_1000(c: &mut Criterion) {
    let mut g = c.benchmark_group("fetch_1000");
    let conn = fixtures::raw_db();
    g.bench_function("raw", |b| {
        b.iter(|| {
            black_box(fixtures::query(
                &conn,
                "SELECT * FROM posts",
                POST_COLUMNS,
                [],
            ))
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| {
                let posts = block_on(Post::all()).expect("all");
                assert_eq!(posts.len(), 1000);
                black_box(posts)
            })
        })
    });
    g.finish();
}

/// Insert one user and read it back as stored.
pub fn create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create");
    let conn = fixtures::raw_db();
    g.bench_function("raw", |b| {
        b.iter(|| {
            let now = roost_orm::model::now_timestamp();
            let rows = fixtures::query(
                &conn,
                "INSERT INTO users (name, email, score, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING *",
                USER_COLUMNS,
                rusqlite::params!["New", "new@example.com", 5, now, now],
            );
            black_box(rows.into_iter().next())
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| {
                let attributes = json!({"name": "New", "email": "new@example.com", "score": 5});
                black_box(block_on(User::create(attributes)).expect("create"))
            })
        })
    });
    g.finish();
}

/// Change one column of a loaded user and save it (UPDATE … RETURNING *).
pub fn save_one_column(c: &mut Criterion) {
    let mut g = c.benchmark_group("save_one_column");
    let conn = fixtures::raw_db();
    let mut score = 0i64;
    g.bench_function("raw", |b| {
        b.iter(|| {
            score += 1;
            let now = roost_orm::model::now_timestamp();
            let rows = fixtures::query(
                &conn,
                "UPDATE users SET score = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *",
                USER_COLUMNS,
                rusqlite::params![score, now, 1],
            );
            black_box(rows.into_iter().next())
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        let mut user = block_on(User::find(1)).expect("find").expect("user 1");
        g.bench_function("orm", |b| {
            b.iter(|| {
                score += 1;
                user.set("score", score);
                block_on(user.save()).expect("save");
                black_box(&user);
            })
        })
    });
    g.finish();
}

/// 100 users, each with their 10 posts (two statements either way).
pub fn eager_100x10(_c: &mut Criterion) {
    // Needs relations (`with(["posts"])`); added when they land.
}

/// Page 3 of 20 posts with the total.
pub fn paginate(c: &mut Criterion) {
    let mut g = c.benchmark_group("paginate");
    let conn = fixtures::raw_db();
    g.bench_function("raw", |b| {
        b.iter(|| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT *, COUNT(*) OVER () AS total FROM posts ORDER BY id ASC LIMIT ?1 OFFSET ?2",
                )
                .expect("prepare");
            let mut rows = stmt.query([20, 40]).expect("query");
            let mut data: Vec<Row> = Vec::with_capacity(20);
            let mut total = 0i64;
            while let Some(row) = rows.next().expect("step") {
                total = row.get(POST_COLUMNS.len()).expect("total");
                data.push(fixtures::map_row(row, POST_COLUMNS));
            }
            black_box((data, total))
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| {
                let page = Post::query().order_by("id", "asc").paginate(3, 20);
                black_box(block_on(page).expect("paginate"))
            })
        })
    });
    g.finish();
}

/// 1,000 users made by a factory and written in one batch.
pub fn factory_create_1000(_c: &mut Criterion) {
    // Needs factories (`Factory::count(1000).create()`); added when they land.
}
