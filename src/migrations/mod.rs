//! Migrations in wrangler's format, applied through any [`Executor`](crate::Executor).
//!
//! A migrations folder holds `NNNN_name.sql` files (what `wrangler d1 migrations create`
//! writes). [`Migrations`] applies the ones not yet applied, in order, and records each in
//! a `d1_migrations` table exactly as `wrangler d1 migrations apply` does, so the two agree
//! on the same database: a file applied by one is skipped by the other.
//!
//! What is copied from wrangler 4 (its `d1 migrations apply` source):
//! - the bookkeeping table, created if missing before anything else:
//!   `d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
//!   applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)`; its name can be changed
//!   (wrangler's `migrations_table`) with [`Migrations::table`];
//! - which files: names ending in `.sql`, sorted by name, then by the number before the
//!   first `_`; a file is applied when its *name* is not in the table;
//! - how a file runs: its text is split into statements by wrangler's splitter (quotes,
//!   comments, `BEGIN ... END` trigger bodies; a file's `BEGIN TRANSACTION;` / `COMMIT;`
//!   are dropped), the `INSERT INTO d1_migrations (name)` is appended, and the whole runs
//!   as **one batch** — one transaction on D1 and on SQLite. A failing file is rolled back
//!   entirely and stops the run; the files before it stay applied.
//!
//! On native builds [`Migrations::from_dir`] reads a folder; in a Worker (no file
//! system) embed the files with [`Migrations::from_sources`] and `include_str!`.
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use roost_orm::migrations::Migrations;
//! use roost_orm::SqliteExecutor;
//!
//! let db = SqliteExecutor::memory().unwrap();
//! let migrations = Migrations::from_sources([
//!     ("0001_create_posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);"),
//! ]);
//! assert_eq!(migrations.apply(&db).await.unwrap(), ["0001_create_posts.sql"]);
//! assert!(migrations.apply(&db).await.unwrap().is_empty()); // applying twice is a no-op
//! # });
//! ```

mod error;
mod runner;
mod source;
mod split;

pub use error::MigrationError;
pub use runner::{AppliedMigration, Migrations, DEFAULT_MIGRATIONS_TABLE};
pub use source::Migration;
pub use split::split_sql;
