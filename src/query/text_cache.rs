//! SQL text of queries whose text is fixed by their type, compiled once and reused —
//! the statement cache keyed by query type that Diesel keeps for its static queries.
//!
//! A query qualifies when everything its text depends on is known from a
//! [`TextKey`]: the model type (table, primary key, tenant column and soft deletes are
//! its consts), the query's [`Shape`], and which scopes apply ([`ScopeShape`]). Values
//! never enter the text — they are bound — so the text compiled for one call is right
//! for every later call with the same key. On a hit the compiler makes the same walk in
//! params-only mode (e.g. [`compiler::select_by_key`](crate::query::compiler::select_by_key)
//! given a text), so parameters always come in the order the text expects; debug builds
//! also recompile and compare.
//!
//! Which builders qualify is decided by their callers (today: `find` on an otherwise
//! unconstrained query). This module only remembers text; it must not build ASTs.
//!
//! Lookups go to a per-thread map (no lock, no reference count on the hot path). The
//! texts themselves are interned once for the program and never freed, so handing one
//! out copies nothing: there is one per distinct text — at most a few per model type —
//! however many threads come and go.

use std::any::TypeId;
use std::cell::RefCell;
use std::sync::Mutex;

use once_cell::sync::Lazy;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::executor::{SqlText, Statement};
use crate::query::scopes::ScopeShape;

/// The query shapes whose text is fixed by the model type and its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// `SELECT * FROM t WHERE "pk" = ? [AND scopes]`.
    FindByKey,
}

/// What a cached text is the text of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TextKey {
    model: TypeId,
    shape: Shape,
    scopes: ScopeShape,
}

impl TextKey {
    /// The key of a `shape` query on the model with `TypeId` `model`, with scopes
    /// `scopes`.
    pub(crate) fn of(model: TypeId, shape: Shape, scopes: ScopeShape) -> Self {
        TextKey {
            model,
            shape,
            scopes,
        }
    }
}

thread_local! {
    static TEXTS: RefCell<FxHashMap<TextKey, &'static str>> = RefCell::default();
}

/// Every cached text of the program, each kept once.
static INTERNED: Lazy<Mutex<FxHashSet<&'static str>>> = Lazy::new(Default::default);

/// `text`, kept for the rest of the program (the same `&str` for equal texts).
fn intern(text: &str) -> &'static str {
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = interned.get(text) {
        return known;
    }
    let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
    interned.insert(text);
    text
}

/// The text cached for `key` on this thread, if any.
pub(crate) fn get(key: TextKey) -> Option<SqlText> {
    TEXTS.with(|texts| {
        texts
            .borrow()
            .get(&key)
            .map(|text| SqlText::from_static(text))
    })
}

/// The statement for `key`: `compile(known)`, where `known` is what [`get`] returned —
/// with a text, the compiler binds the parameters only; without, it writes the text,
/// which is remembered for the next call. Debug builds compile in full on a hit too and
/// check that the cached text is what the compiler writes.
pub(crate) fn statement(
    key: TextKey,
    known: Option<SqlText>,
    compile: impl Fn(Option<SqlText>) -> Statement,
) -> Statement {
    match known {
        Some(text) => {
            let statement = compile(Some(text));
            debug_assert_eq!(
                statement,
                compile(None),
                "cached text for {key:?} differs from the compiled text"
            );
            statement
        }
        None => {
            let mut statement = compile(None);
            let text = intern(&statement.sql);
            TEXTS.with(|texts| texts.borrow_mut().insert(key, text));
            statement.sql = SqlText::from_static(text);
            statement
        }
    }
}
