//! Instruction counts: the two targeted cases (find by key, 1,000-row fetch), raw
//! rusqlite against the ORM, run N times each in a function of its own so that
//! `valgrind --tool=callgrind --toggle-collect=<function>` counts exactly that loop.
//!
//! Wall-clock medians on a shared 2-core VM move by ±10% between runs; instruction
//! counts move by well under 1%, so they show what a change bought even when timings
//! cannot. `scripts/instructions.sh` runs every case under callgrind and prints the
//! counts per operation and the ratios. Without valgrind, `cargo bench --bench
//! instructions -- <case>` runs a case once and prints its wall time.

use std::hint::black_box;
use std::time::Instant;

use futures::executor::block_on;
use roost_orm::prelude::*;

#[path = "orm/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use fixtures::{Post, User};

/// Finds per run of a find case.
const FINDS: i64 = 100_000;
/// 1,000-row fetches per run of a fetch case.
const FETCHES: usize = 100;

#[inline(never)]
fn find_raw(conn: &rusqlite::Connection) {
    for i in 0..FINDS {
        let rows = fixtures::query(
            conn,
            "SELECT * FROM users WHERE id = ?1",
            fixtures::USER_COLUMNS,
            [i % fixtures::USERS + 1],
        );
        black_box(rows.into_iter().next());
    }
}

#[inline(never)]
fn find_raw_struct(conn: &rusqlite::Connection) {
    for i in 0..FINDS {
        let rows = fixtures::query_as(
            conn,
            "SELECT * FROM users WHERE id = ?1",
            [i % fixtures::USERS + 1],
            fixtures::user_row,
        );
        black_box(rows.into_iter().next());
    }
}

#[inline(never)]
fn find_orm() {
    for i in 0..FINDS {
        black_box(block_on(User::find(i % fixtures::USERS + 1)).expect("find"));
    }
}

#[inline(never)]
fn fetch_raw(conn: &rusqlite::Connection) {
    for _ in 0..FETCHES {
        black_box(fixtures::query(
            conn,
            "SELECT * FROM \"posts\"",
            fixtures::POST_COLUMNS,
            [],
        ));
    }
}

#[inline(never)]
fn fetch_orm() {
    for _ in 0..FETCHES {
        black_box(block_on(Post::all()).expect("all"));
    }
}

#[inline(never)]
fn fetch_raw_struct(conn: &rusqlite::Connection) {
    for _ in 0..FETCHES {
        black_box(fixtures::query_as(
            conn,
            "SELECT * FROM \"posts\"",
            [],
            fixtures::post_row,
        ));
    }
}

#[inline(never)]
fn find_typed() {
    for i in 0..FINDS {
        black_box(
            block_on(User::find_as::<fixtures::UserRow>(i % fixtures::USERS + 1)).expect("find_as"),
        );
    }
}

#[inline(never)]
fn fetch_typed() {
    for _ in 0..FETCHES {
        black_box(block_on(Post::all_as::<fixtures::PostRow>()).expect("all_as"));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the case is the first other argument.
    let case = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_default();
    let conn = fixtures::raw_db();
    let orm = fixtures::orm_db();
    let started = Instant::now();
    let ops = match case.as_str() {
        "find_raw" => {
            find_raw(&conn);
            FINDS as usize
        }
        "find_raw_struct" => {
            find_raw_struct(&conn);
            FINDS as usize
        }
        "find_orm" => {
            orm.scope_sync(find_orm);
            FINDS as usize
        }
        "fetch_raw" => {
            fetch_raw(&conn);
            FETCHES
        }
        "fetch_orm" => {
            orm.scope_sync(fetch_orm);
            FETCHES
        }
        "fetch_raw_struct" => {
            fetch_raw_struct(&conn);
            FETCHES
        }
        "find_typed" => {
            orm.scope_sync(find_typed);
            FINDS as usize
        }
        "fetch_typed" => {
            orm.scope_sync(fetch_typed);
            FETCHES
        }
        _ => {
            eprintln!("cases: find_raw find_raw_struct find_orm fetch_raw fetch_orm fetch_raw_struct fetch_typed find_typed");
            return;
        }
    };
    eprintln!("{case}: {:?} per operation", started.elapsed() / ops as u32);
}
