//! The benchmark cases: one criterion group each, `raw` beside `orm`.

use std::hint::black_box;

use std::collections::HashMap;

use criterion::{BatchSize, Criterion};
use futures::executor::block_on;
use roost_orm::prelude::*;
use serde_json::{json, Value};

use crate::fixtures::{self, Post, Row, User, UserFactory, POST_COLUMNS, USERS, USER_COLUMNS};

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

/// 100 users, each with their 10 posts: two statements either way (the users, then
/// the posts of all of them, keys bound as one JSON array), posts grouped per user.
pub fn eager_100x10(c: &mut Criterion) {
    let mut g = c.benchmark_group("eager_100x10");
    let conn = fixtures::raw_db();
    g.bench_function("raw", |b| {
        b.iter(|| {
            let users = fixtures::query(&conn, "SELECT * FROM users", USER_COLUMNS, []);
            let ids: Vec<&Value> = users.iter().filter_map(|u| u.get("id")).collect();
            let keys = serde_json::to_string(&ids).expect("keys");
            let posts = fixtures::query(
                &conn,
                "SELECT * FROM posts WHERE posts.user_id IN (SELECT value FROM json_each(?1))",
                POST_COLUMNS,
                [keys],
            );
            let mut by_user: HashMap<i64, Vec<Row>> = HashMap::new();
            for post in posts {
                let user = post.get("user_id").and_then(Value::as_i64).unwrap_or(0);
                by_user.entry(user).or_default().push(post);
            }
            let loaded: Vec<(Row, Vec<Row>)> = users
                .into_iter()
                .map(|u| {
                    let id = u.get("id").and_then(Value::as_i64).unwrap_or(0);
                    let posts = by_user.remove(&id).unwrap_or_default();
                    (u, posts)
                })
                .collect();
            assert_eq!(loaded.len(), 100);
            black_box(loaded)
        })
    });
    let orm = fixtures::orm_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter(|| {
                let users = block_on(User::with(["posts"]).all()).expect("eager");
                assert_eq!(users.len(), 100);
                black_box(users)
            })
        })
    });
    g.finish();
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

/// 1,000 users made by a factory and written in one round trip, every stored row read
/// back. Raw rusqlite sends 50 multi-row `INSERT ... VALUES ... RETURNING *` statements
/// of 20 rows (D1's 100-parameter limit) in one transaction; the ORM sends one
/// statement, the rows as one JSON parameter read with `json_each`. The rows are
/// deleted between iterations, untimed, so the table does not grow.
pub fn factory_create_1000(c: &mut Criterion) {
    const ROWS: usize = 1000;
    const PER_STATEMENT: usize = 20;
    let mut g = c.benchmark_group("factory_create_1000");
    g.sample_size(20);
    let conn = fixtures::raw_db();
    let row = "(?, ?, ?, ?, ?)";
    let sql = format!(
        "INSERT INTO users (name, email, score, created_at, updated_at) VALUES {} RETURNING *",
        vec![row; PER_STATEMENT].join(", ")
    );
    let reset = "DELETE FROM users WHERE id > 100";
    g.bench_function("raw", |b| {
        b.iter_batched(
            || conn.execute_batch(reset).expect("reset"),
            |()| {
                let tx = conn.unchecked_transaction().expect("begin");
                let mut created: Vec<Row> = Vec::with_capacity(ROWS);
                for _ in 0..ROWS / PER_STATEMENT {
                    let mut params: Vec<rusqlite::types::Value> =
                        Vec::with_capacity(PER_STATEMENT * 5);
                    for _ in 0..PER_STATEMENT {
                        let now = roost_orm::model::now_timestamp();
                        params.push("Factory user".to_string().into());
                        params.push("factory@example.com".to_string().into());
                        params.push(1i64.into());
                        params.push(now.clone().into());
                        params.push(now.into());
                    }
                    let rows = fixtures::query(
                        &tx,
                        &sql,
                        USER_COLUMNS,
                        rusqlite::params_from_iter(params),
                    );
                    created.extend(rows);
                }
                tx.commit().expect("commit");
                assert_eq!(created.len(), ROWS);
                black_box(created)
            },
            BatchSize::PerIteration,
        )
    });
    let (orm, db) = fixtures::orm_and_db();
    orm.scope_sync(|| {
        g.bench_function("orm", |b| {
            b.iter_batched(
                || db.execute_batch(reset).expect("reset"),
                |()| {
                    let users = block_on(UserFactory.count(ROWS).create()).expect("create");
                    assert_eq!(users.len(), ROWS);
                    black_box(users)
                },
                BatchSize::PerIteration,
            )
        })
    });
    g.finish();
}
