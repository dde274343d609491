//! Queries: the reference's "QueryBuilder API".
//!
//! [`ast`] says what a query means, [`compiler`] is the one place SQL text is written,
//! [`QueryBuilder`] is the lazy chainable builder (chain methods, then terminals),
//! [`Paginated`] the page result, [`Cursor`] the position of a cursor-paged walk
//! (`cursor_paginate`, whose pages are [`CursorPage`]s). `scopes` holds the conditions
//! every query of a model carries (tenant, soft deletes); `text_cache` remembers the
//! compiled text of queries whose text is fixed by their model (`Post::find(id)`);
//! `typed` decodes rows straight into the caller's structs (`all_as`, `find_as`, ...).

pub mod ast;
mod builder;
pub mod compiler;
mod cursor;
pub(crate) mod global_scopes;
pub(crate) mod insert_plan;
mod paginate;
mod raw;
pub(crate) mod scopes;
mod text_cache;
mod typed;

pub use ast::{
    Aggregate, Assignment, Boolean, Condition, DatePart, Direction, Group, Having, HavingTarget,
    HavingTest, Ident, IntoDirection, IntoOperator, Join, JoinKind, JoinSource, OnConflict,
    Operator, Order, Projection, RawSql, Select, Where,
};
pub(crate) use builder::{find_as_by_key, find_by_key};
pub use builder::{CursorPage, JoinClause, QueryBuilder, SimplePage};
pub use cursor::{Cursor, MAX_CURSOR_LEN};
pub use global_scopes::GlobalScopes;
pub use paginate::{Page, Paginated};
pub use scopes::Trashed;
