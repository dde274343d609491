//! The benchmark cases. Each is one [`Group`] of variants doing the same work in the
//! same process:
//!
//! - `raw_map`: hand-written rusqlite, a cached prepared statement, each row mapped into
//!   the `IndexMap<String, serde_json::Value>` an `Instance` holds;
//! - `raw_struct`: hand-written rusqlite, each row `row.get`-ed into a struct
//!   ([`UserRow`], [`PostRow`]) — what a competent raw user writes;
//! - `orm`: the model API, rows hydrated into `Instance`s;
//! - `orm_typed`: the ORM's typed reads (`find_as`, `all_as`, `paginate_as`) into the
//!   same structs, where the case is a read.
//!
//! Before anything is timed each case checks that its variants return the same rows.

use std::collections::HashMap;
use std::hint::black_box;

use futures::executor::block_on;
use roost_orm::prelude::*;
use serde_json::{json, Value};

use crate::fixtures::{
    self, post_row, user_row, Post, PostRow, Row, User, UserFactory, UserRow, POST_COLUMNS, USERS,
    USER_COLUMNS,
};
use crate::harness::{Config, Group};

const RAW_MAP: (&str, &str) = ("raw_map", "raw rusqlite → map");
const RAW_STRUCT: (&str, &str) = ("raw_struct", "raw rusqlite → struct");
const ORM: (&str, &str) = ("orm", "roost-orm");
const ORM_TYPED: (&str, &str) = ("orm_typed", "roost-orm typed (`*_as`)");

/// The bench name in the JSON results.
const BENCH: &str = "orm";

/// Cycle through the user keys 1..=USERS.
fn next_key(k: &mut i64) -> i64 {
    *k = *k % USERS + 1;
    *k
}

const FIND: &str = "SELECT * FROM users WHERE id = ?1";

/// `User::find(id)` against `SELECT * FROM users WHERE id = ?`.
pub fn find_by_key(config: &Config) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    if config.checks() {
        orm.scope_sync(|| {
            let map = fixtures::query(conn, FIND, USER_COLUMNS, [7]).pop();
            let instance = block_on(User::find(7)).expect("find").expect("user 7");
            assert_eq!(Some(&*instance.attributes), map.as_ref());
            let typed = block_on(User::find_as::<UserRow>(7)).expect("find_as");
            assert_eq!(typed, fixtures::query_as(conn, FIND, [7], user_row).pop());
        });
    }
    let mut g = Group::new("find_by_key", "find by primary key");
    let mut k = 0;
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        let rows = fixtures::query(conn, FIND, USER_COLUMNS, [next_key(&mut k)]);
        black_box(rows.into_iter().next());
    });
    let mut k = 0;
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        let mut stmt = conn.prepare_cached(FIND).expect("prepare");
        let mut rows = stmt.query([next_key(&mut k)]).expect("query");
        let user = rows
            .next()
            .expect("step")
            .map(|row| user_row(row).expect("row"));
        black_box(user);
    });
    let mut k = 0;
    g.bench(ORM.0, ORM.1, move || {
        black_box(block_on(User::find(next_key(&mut k))).expect("find"));
    });
    let mut k = 0;
    g.bench(ORM_TYPED.0, ORM_TYPED.1, move || {
        black_box(block_on(User::find_as::<UserRow>(next_key(&mut k))).expect("find_as"));
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

const WHERE_ORDER_LIMIT: &str =
    "SELECT * FROM posts WHERE published = ?1 ORDER BY id DESC LIMIT ?2";

fn where_order_limit_query() -> QueryBuilder<Post> {
    Post::where_("published", 1)
        .order_by("id", "desc")
        .limit(20)
}

/// A filtered, ordered, limited list of 20 posts.
pub fn where_order_limit(config: &Config) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    if config.checks() {
        orm.scope_sync(|| {
            let maps = fixtures::query(conn, WHERE_ORDER_LIMIT, POST_COLUMNS, [1, 20]);
            let instances = block_on(where_order_limit_query().all()).expect("all");
            assert_eq!(maps.len(), 20);
            assert!(maps
                .iter()
                .zip(&instances)
                .all(|(m, i)| *m == *i.attributes));
            let typed = block_on(where_order_limit_query().all_as::<PostRow>()).expect("all_as");
            assert_eq!(
                typed,
                fixtures::query_as(conn, WHERE_ORDER_LIMIT, [1, 20], post_row)
            );
        });
    }
    let mut g = Group::new("where_order_limit_20", "`where` + `order_by` + `limit 20`");
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        black_box(fixtures::query(
            conn,
            WHERE_ORDER_LIMIT,
            POST_COLUMNS,
            [1, 20],
        ));
    });
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        black_box(fixtures::query_as(
            conn,
            WHERE_ORDER_LIMIT,
            [1, 20],
            post_row,
        ));
    });
    g.bench(ORM.0, ORM.1, || {
        black_box(block_on(where_order_limit_query().all()).expect("all"));
    });
    g.bench(ORM_TYPED.0, ORM_TYPED.1, || {
        black_box(block_on(where_order_limit_query().all_as::<PostRow>()).expect("all_as"));
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

/// A fetch of `rows` posts: `SELECT * FROM posts LIMIT ?` (every post for 1,000).
fn fetch(config: &Config, group: &str, label: &str, rows: usize) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    let all = rows as i64 >= USERS * fixtures::POSTS_PER_USER;
    let sql = if all {
        "SELECT * FROM posts"
    } else {
        "SELECT * FROM posts LIMIT ?1"
    };
    let limit: &[i64] = if all { &[] } else { &[rows as i64] };
    let params = move || rusqlite::params_from_iter(limit.iter());
    let query = move || {
        if all {
            Post::query()
        } else {
            Post::query().limit(rows as u64)
        }
    };
    if config.checks() {
        orm.scope_sync(|| {
            let maps = fixtures::query(conn, sql, POST_COLUMNS, params());
            let instances = block_on(query().all()).expect("all");
            assert_eq!((maps.len(), instances.len()), (rows, rows));
            assert!(maps
                .iter()
                .zip(&instances)
                .all(|(m, i)| *m == *i.attributes));
            let typed = block_on(query().all_as::<PostRow>()).expect("all_as");
            assert_eq!(typed, fixtures::query_as(conn, sql, params(), post_row));
        });
    }
    let mut g = Group::new(group, label);
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        black_box(fixtures::query(conn, sql, POST_COLUMNS, params()));
    });
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        black_box(fixtures::query_as(conn, sql, params(), post_row));
    });
    g.bench(ORM.0, ORM.1, move || {
        let posts = if all {
            block_on(Post::all())
        } else {
            block_on(query().all())
        };
        black_box(posts.expect("all"));
    });
    g.bench(ORM_TYPED.0, ORM_TYPED.1, move || {
        let posts = if all {
            block_on(Post::all_as::<PostRow>())
        } else {
            block_on(query().all_as::<PostRow>())
        };
        black_box(posts.expect("all_as"));
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

/// Every post (1,000 rows).
pub fn fetch_1000(config: &Config) {
    fetch(config, "fetch_1000", "fetch 1,000 rows", 1000);
}

/// 100 posts (`limit(100)`).
pub fn fetch_100(config: &Config) {
    fetch(config, "fetch_100", "fetch 100 rows (`limit 100`)", 100);
}

const PAGE: &str = "SELECT * FROM posts ORDER BY id ASC LIMIT ?1 OFFSET ?2";
const COUNT: &str = "SELECT COUNT(*) FROM posts";
/// The statement `paginate(3, 20)` sends (`ROOST_BENCH_SQL=1` prints it).
const PAGE_ONE_STATEMENT: &str = "SELECT *, (SELECT COUNT(*) FROM \"posts\") AS \"__roost_total\" \
    FROM \"posts\" ORDER BY \"posts\".\"id\" ASC LIMIT ?1 OFFSET ?2";

/// Page 3 of 20 posts with the total, on a table of `posts` rows.
pub fn paginate(config: &Config, posts: i64) {
    let conn = &fixtures::raw_db_with(posts);
    let (orm, _db) = fixtures::orm_and_db_with(posts);
    // The raw page: the page query and a scalar count, two statements.
    let raw_map = move || {
        let mut stmt = conn.prepare_cached(PAGE).expect("prepare");
        let mut rows = stmt.query([20, 40]).expect("query");
        let mut data: Vec<Row> = Vec::with_capacity(20);
        while let Some(row) = rows.next().expect("step") {
            data.push(fixtures::map_row(row, POST_COLUMNS));
        }
        drop(rows);
        let mut count = conn.prepare_cached(COUNT).expect("prepare");
        let total: i64 = count.query_row([], |r| r.get(0)).expect("count");
        (data, total)
    };
    let raw_struct = move || {
        let data = fixtures::query_as(conn, PAGE, [20, 40], post_row);
        let mut count = conn.prepare_cached(COUNT).expect("prepare");
        let total: i64 = count.query_row([], |r| r.get(0)).expect("count");
        (data, total)
    };
    // Diagnostic: the ORM's own one statement run by hand, rows into maps — the SQL's
    // cost without the ORM's.
    let raw_one_statement = move || {
        let mut stmt = conn.prepare_cached(PAGE_ONE_STATEMENT).expect("prepare");
        let mut rows = stmt.query([20, 40]).expect("query");
        let mut data: Vec<Row> = Vec::with_capacity(20);
        let mut total = 0i64;
        while let Some(row) = rows.next().expect("step") {
            total = row.get(POST_COLUMNS.len()).expect("total");
            data.push(fixtures::map_row(row, POST_COLUMNS));
        }
        (data, total)
    };
    let page = || Post::query().order_by("id", "asc");
    if config.checks() {
        orm.scope_sync(|| {
            let (maps, total) = raw_map();
            let p = block_on(page().paginate(3, 20)).expect("paginate");
            assert_eq!((total, p.total), (posts, posts as u64));
            assert_eq!(maps.len(), 20);
            assert!(maps.iter().zip(&p.data).all(|(m, i)| *m == *i.attributes));
            assert_eq!(maps[0].get("id"), Some(&json!(41)));
            let typed = block_on(page().paginate_as::<PostRow>(3, 20)).expect("paginate_as");
            let (rows, total) = raw_struct();
            assert_eq!((typed.data, typed.total), (rows, total as u64));
            assert_eq!(raw_one_statement(), (maps, posts));
        });
    }
    let name = format!("paginate_{}k", posts / 1000);
    let label = format!(
        "`paginate(3, 20)`, {} rows in the table",
        fmt_thousands(posts)
    );
    let mut g = Group::new(name, label);
    g.bench(RAW_MAP.0, "raw page + count → map", move || {
        black_box(raw_map());
    });
    g.bench(RAW_STRUCT.0, "raw page + count → struct", move || {
        black_box(raw_struct());
    });
    g.bench(
        "raw_one_statement",
        "raw, the ORM's one statement → map",
        move || {
            black_box(raw_one_statement());
        },
    );
    g.bench(ORM.0, ORM.1, move || {
        black_box(block_on(page().paginate(3, 20)).expect("paginate"));
    });
    g.bench(ORM_TYPED.0, ORM_TYPED.1, move || {
        black_box(block_on(page().paginate_as::<PostRow>(3, 20)).expect("paginate_as"));
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

/// `1000` → `1,000`.
fn fmt_thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

const INSERT_USER: &str = "INSERT INTO users (name, email, score, created_at, updated_at) \
                           VALUES (?1, ?2, ?3, ?4, ?5) RETURNING *";

/// Insert one user and read it back as stored.
pub fn create(config: &Config) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    let mut g = Group::new("create", "`create` (INSERT … RETURNING *)");
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        let now = roost_orm::model::now_timestamp();
        let rows = fixtures::query(
            conn,
            INSERT_USER,
            USER_COLUMNS,
            rusqlite::params!["New", "new@example.com", 5, now, now],
        );
        black_box(rows.into_iter().next());
    });
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        let now = roost_orm::model::now_timestamp();
        let rows = fixtures::query_as(
            conn,
            INSERT_USER,
            rusqlite::params!["New", "new@example.com", 5, now, now],
            user_row,
        );
        black_box(rows.into_iter().next());
    });
    g.bench(ORM.0, ORM.1, || {
        let attributes = json!({"name": "New", "email": "new@example.com", "score": 5});
        black_box(block_on(User::create(attributes)).expect("create"));
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

const UPDATE_USER: &str = "UPDATE users SET score = ?1, updated_at = ?2 WHERE id = ?3 RETURNING *";

/// Change one column of a loaded user and save it (UPDATE … RETURNING *).
pub fn save_one_column(config: &Config) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    let mut user = orm
        .scope_sync(|| block_on(User::find(1)))
        .expect("find")
        .expect("user 1");
    let mut g = Group::new("save_one_column", "`save` of one dirty column");
    let mut score = 0i64;
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        score += 1;
        let now = roost_orm::model::now_timestamp();
        let rows = fixtures::query(
            conn,
            UPDATE_USER,
            USER_COLUMNS,
            rusqlite::params![score, now, 1],
        );
        black_box(rows.into_iter().next());
    });
    let mut score = 0i64;
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        score += 1;
        let now = roost_orm::model::now_timestamp();
        let rows = fixtures::query_as(
            conn,
            UPDATE_USER,
            rusqlite::params![score, now, 1],
            user_row,
        );
        black_box(rows.into_iter().next());
    });
    let mut score = 0i64;
    g.bench(ORM.0, ORM.1, move || {
        score += 1;
        user.set("score", score);
        block_on(user.save()).expect("save");
        black_box(&user);
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

const EAGER_POSTS: &str =
    "SELECT * FROM posts WHERE posts.user_id IN (SELECT value FROM json_each(?1))";

/// 100 users, each with their 10 posts: two statements either way (the users, then
/// the posts of all of them, keys bound as one JSON array), posts grouped per user.
pub fn eager_100x10(config: &Config) {
    let conn = &fixtures::raw_db();
    let orm = fixtures::orm_db();
    let mut g = Group::new("eager_100x10", "eager load 100 users × 10 posts");
    g.bench(RAW_MAP.0, RAW_MAP.1, move || {
        let users = fixtures::query(conn, "SELECT * FROM users", USER_COLUMNS, []);
        let ids: Vec<&Value> = users.iter().filter_map(|u| u.get("id")).collect();
        let keys = serde_json::to_string(&ids).expect("keys");
        let posts = fixtures::query(conn, EAGER_POSTS, POST_COLUMNS, [keys]);
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
        black_box(loaded);
    });
    g.bench(RAW_STRUCT.0, RAW_STRUCT.1, move || {
        let users = fixtures::query_as(conn, "SELECT * FROM users", [], user_row);
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        let keys = serde_json::to_string(&ids).expect("keys");
        let posts = fixtures::query_as(conn, EAGER_POSTS, [keys], post_row);
        let mut by_user: HashMap<i64, Vec<PostRow>> = HashMap::new();
        for post in posts {
            by_user.entry(post.user_id).or_default().push(post);
        }
        let loaded: Vec<(UserRow, Vec<PostRow>)> = users
            .into_iter()
            .map(|u| {
                let posts = by_user.remove(&u.id).unwrap_or_default();
                (u, posts)
            })
            .collect();
        assert_eq!(loaded.len(), 100);
        black_box(loaded);
    });
    g.bench(ORM.0, ORM.1, || {
        let users = block_on(User::with(["posts"]).all()).expect("eager");
        assert_eq!(users.len(), 100);
        black_box(users);
    });
    orm.scope_sync(|| g.run(config, BENCH));
}

/// 1,000 users made by a factory and written in one round trip, every stored row read
/// back. Raw rusqlite sends 50 multi-row `INSERT ... VALUES ... RETURNING *` statements
/// of 20 rows (D1's 100-parameter limit) in one transaction; the ORM sends one
/// statement, the rows as one JSON parameter read with `json_each`. The rows are
/// deleted between iterations, untimed, so the table does not grow.
pub fn factory_create_1000(config: &Config) {
    const ROWS: usize = 1000;
    const PER_STATEMENT: usize = 20;
    let conn = &fixtures::raw_db();
    let row = "(?, ?, ?, ?, ?)";
    let sql = &format!(
        "INSERT INTO users (name, email, score, created_at, updated_at) VALUES {} RETURNING *",
        vec![row; PER_STATEMENT].join(", ")
    );
    let reset = "DELETE FROM users WHERE id > 100";
    let params = || {
        let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(PER_STATEMENT * 5);
        for _ in 0..PER_STATEMENT {
            let now = roost_orm::model::now_timestamp();
            params.push("Factory user".to_string().into());
            params.push("factory@example.com".to_string().into());
            params.push(1i64.into());
            params.push(now.clone().into());
            params.push(now.into());
        }
        rusqlite::params_from_iter(params)
    };
    let mut g = Group::new("factory_create_1000", "factory `create` of 1,000 rows");
    g.bench_batched(
        RAW_MAP.0,
        RAW_MAP.1,
        move || conn.execute_batch(reset).expect("reset"),
        move |()| {
            let tx = conn.unchecked_transaction().expect("begin");
            let mut created: Vec<Row> = Vec::with_capacity(ROWS);
            for _ in 0..ROWS / PER_STATEMENT {
                created.extend(fixtures::query(&tx, sql, USER_COLUMNS, params()));
            }
            tx.commit().expect("commit");
            assert_eq!(created.len(), ROWS);
            black_box(created);
        },
    );
    g.bench_batched(
        RAW_STRUCT.0,
        RAW_STRUCT.1,
        move || conn.execute_batch(reset).expect("reset"),
        move |()| {
            let tx = conn.unchecked_transaction().expect("begin");
            let mut created: Vec<UserRow> = Vec::with_capacity(ROWS);
            for _ in 0..ROWS / PER_STATEMENT {
                created.extend(fixtures::query_as(&tx, sql, params(), user_row));
            }
            tx.commit().expect("commit");
            assert_eq!(created.len(), ROWS);
            black_box(created);
        },
    );
    let (orm, db) = fixtures::orm_and_db();
    g.bench_batched(
        ORM.0,
        ORM.1,
        move || db.execute_batch(reset).expect("reset"),
        |()| {
            let users = block_on(UserFactory.count(ROWS).create()).expect("create");
            assert_eq!(users.len(), ROWS);
            black_box(users);
        },
    );
    orm.scope_sync(|| g.run(config, BENCH));
}
