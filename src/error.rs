//! The crate's one error type.
//!
//! Every fallible call returns [`Result<T>`]. Bad input (an unknown column, operator,
//! relation, a page of 0, a hook that says no) is reported here before any SQL runs;
//! database failures carry the SQL text that failed. Nothing in the crate panics on input.

use crate::model::HookEvent;

/// `Result` with [`OrmError`].
pub type Result<T, E = OrmError> = std::result::Result<T, E>;

/// Everything that can go wrong in roost-orm.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OrmError {
    /// A model query ran outside a request scope (TS `OrmNotBootedError`). `model` is
    /// the model whose query or write asked, when one did.
    #[error(
        "ORM not booted: {} ran with no database bound to this task. Run model queries inside \
         `orm.scope(async {{ ... }})` (the Rust form of booting the app with OrmServiceProvider), \
         e.g. `let orm = Orm::sqlite_memory()?; orm.scope(async {{ Post::all().await }}).await`",
         .model.map(|m| format!("a query of model [{m}]")).unwrap_or_else(|| "a query".to_string())
    )]
    OrmNotBooted {
        /// The model type name, when a model's static or instance method asked.
        model: Option<&'static str>,
    },

    /// A model's declaration cannot be used: an invalid table, primary-key, tenant or
    /// column name, a column declared twice, a relation or pivot naming a bad column.
    /// Reported by every query and write of the model, before any SQL: a model whose
    /// tenant column can't be used never runs unscoped.
    #[error("Model [{model}] is misconfigured: {reason}")]
    InvalidModel {
        /// The model type name.
        model: &'static str,
        /// What is wrong, and which const says it.
        reason: String,
    },

    /// A primary-key value that can't be a key: an array or object (`find([1, 2])`).
    #[error("Invalid key for model [{model}]: {key} can't be {value}; pass a number or a string")]
    InvalidKey {
        /// The model type name.
        model: &'static str,
        /// The key column.
        key: &'static str,
        /// The value given, as JSON.
        value: String,
    },

    /// An integer outside SQLite's 64-bit range (SQLite would store it as a REAL,
    /// changing it), or an increment that would overflow.
    #[error("Value out of range{}: {value} does not fit SQLite's 64-bit integers", .column.as_ref().map(|c| format!(" for column [{c}]")).unwrap_or_default())]
    ValueOutOfRange {
        /// The column, when known.
        column: Option<String>,
        /// The value, as JSON (or the increment as `column + amount`).
        value: String,
    },

    /// `find_or_fail` / `first_or_fail` found no row (TS `ModelNotFoundError`).
    #[error("No query results for model [{model}]{}", .id.as_ref().map(|i| format!(" with key {i}")).unwrap_or_default())]
    ModelNotFound {
        /// The model type name.
        model: &'static str,
        /// The key that was looked up, if the lookup was by key.
        id: Option<String>,
    },

    /// A relation name that the model does not define (TS `InvalidRelationError`).
    #[error("Relation [{relation}] is not defined on model [{model}]")]
    InvalidRelation {
        /// The model type name.
        model: &'static str,
        /// The relation name that was asked for.
        relation: String,
    },

    /// A relation read back from an instance (`related`, `related_one`) that was not
    /// loaded onto it.
    #[error("Relation [{relation}] is not loaded on this [{model}] instance: name it in with(...) or load(...) first")]
    RelationNotLoaded {
        /// The model type name of the instance.
        model: &'static str,
        /// The relation name that was asked for.
        relation: String,
    },

    /// A loaded relation read back as another model type, or as a list when it holds
    /// one record (or the reverse).
    #[error("Relation [{relation}] of model [{model}] holds {found}, not {expected}")]
    RelationMismatch {
        /// The model type name of the instance.
        model: &'static str,
        /// The relation name that was asked for.
        relation: String,
        /// What the caller asked for (`a list of Post`, `one User`).
        expected: String,
        /// What is loaded.
        found: String,
    },

    /// An eager-load constraint (`with_constraint`) that cannot apply: written for
    /// another model than the relation loads, or using `limit` / `offset` / `with`.
    #[error("Eager-load constraint on [{relation}]: {reason}")]
    InvalidConstraint {
        /// The relation name (path) the constraint was given for.
        relation: String,
        /// Why it cannot apply.
        reason: String,
    },

    /// A pre-event hook returned false: nothing was written.
    #[error("The {event} hook #{hook} of model [{model}] returned false: the operation was aborted and nothing was written")]
    HookAborted {
        /// The model type name.
        model: &'static str,
        /// The event whose hook aborted.
        event: HookEvent,
        /// 1-based registration position of the hook that returned false.
        hook: usize,
    },

    /// A table or column name that is not a plain SQL identifier.
    #[error("Invalid identifier {0:?}: expected [A-Za-z_][A-Za-z0-9_]* or table.column")]
    InvalidIdentifier(String),

    /// A comparison operator outside the accepted set.
    #[error("Invalid operator {0:?}: expected one of =, !=, <>, >, <, >=, <=, like, not like")]
    InvalidOperator(String),

    /// An `order_by` direction other than asc / desc.
    #[error("Invalid order direction {0:?}: expected \"asc\" or \"desc\"")]
    InvalidDirection(String),

    /// A column that the model's column list does not declare.
    #[error("Unknown column [{column}] on model [{model}]")]
    UnknownColumn {
        /// The model type name.
        model: &'static str,
        /// The column name that was used.
        column: String,
    },

    /// Attributes that are not a JSON object / key-value map.
    #[error("Invalid attributes: {0}")]
    InvalidAttributes(String),

    /// `paginate` with a page or page size of 0 (or an offset that overflows).
    #[error("Invalid pagination: page {page}, per page {per_page} (both must be at least 1)")]
    InvalidPagination {
        /// The page asked for.
        page: u64,
        /// The page size asked for.
        per_page: u64,
    },

    /// A `cursor_paginate` cursor that can't be used: not a cursor this crate wrote
    /// (not base64url, not its payload), or one written for another query — other
    /// order columns or directions — or holding a value of the wrong shape for its
    /// column. Reported before any SQL: a bad cursor never falls back to the first
    /// page.
    #[error("Invalid cursor: {0}")]
    InvalidCursor(String),

    /// An existing instance without a primary-key value cannot be updated or deleted.
    #[error("Model [{model}] instance has no value for its primary key [{key}]")]
    MissingPrimaryKey {
        /// The model type name.
        model: &'static str,
        /// The primary-key column.
        key: &'static str,
    },

    /// `restore` / `only_trashed` on a model without soft deletes.
    #[error("Model [{model}] does not use soft deletes")]
    NotSoftDeletable {
        /// The model type name.
        model: &'static str,
    },

    /// A value could not be turned into the type asked for.
    #[error("Cannot decode attribute [{key}]: {message}")]
    Decode {
        /// The attribute name.
        key: String,
        /// What went wrong.
        message: String,
    },

    /// The request names an organization that the org lookup doesn't know
    /// (TS `TenantNotResolvedError`).
    #[error("Tenant not resolved: no organization with slug {slug:?}")]
    TenantNotResolved {
        /// The slug the request named.
        slug: String,
    },

    /// The per-tenant database binding is missing and the provider is strict.
    #[error("Tenant database binding {binding:?} not found")]
    TenantBindingNotFound {
        /// The binding name that was looked up.
        binding: String,
    },

    /// A query asks for something its parts can't express together (an aggregate of a
    /// grouped query, an empty column list, ...).
    #[error("Invalid query: {0}")]
    InvalidQuery(String),

    /// `sole()` found more than one record.
    #[error("Expected one record of model [{model}], found more")]
    MultipleRecordsFound {
        /// The model type name.
        model: &'static str,
    },

    /// Mass assignment met keys the model guards (Laravel `MassAssignmentException`):
    /// every key of a totally guarded model (`GUARDED = ["*"]` without `FILLABLE`), or
    /// any guarded key once `Orm::prevent_silently_discarding_attributes(true)`. Nothing
    /// was assigned.
    #[error(
        "Mass assignment of {keys:?} on model [{model}] is not allowed: add them to FILLABLE \
         (or out of GUARDED), or set them with force_fill / set"
    )]
    MassAssignment {
        /// The model type name.
        model: &'static str,
        /// The guarded keys given.
        keys: Vec<String>,
    },

    /// A configuration value could not be used.
    #[error("Invalid ORM configuration: {0}")]
    InvalidConfig(String),

    /// A statement or batch would take the request past its per-invocation query
    /// budget ([`Orm::set_query_budget`](crate::Orm::set_query_budget), the provider's
    /// `OrmConfig::query_budget`): refused before anything was sent. D1 counts every
    /// statement of a batch against its per-invocation query limit.
    #[error(
        "Query budget exceeded: {requested} more statement(s) would take this invocation to \
         {} of its budget of {budget} ({used} already sent; D1 counts every statement of a \
         batch). Nothing was sent. Send fewer statements, or raise the budget \
         (OrmConfig::query_budget / DATABASE_QUERY_BUDGET, Orm::set_query_budget)",
        .used.saturating_add(*.requested)
    )]
    QueryBudgetExceeded {
        /// The budget: statements allowed per invocation.
        budget: u64,
        /// Statements already sent by this invocation.
        used: u64,
        /// Statements the refused call would have sent.
        requested: u64,
    },

    /// The database rejected a statement (constraint failure, syntax, I/O...).
    #[error("Database error: {message} (SQL: {sql})")]
    Database {
        /// The engine's message.
        message: String,
        /// The SQL text that failed (for a batch, the statement that failed when known).
        sql: String,
    },
}

impl OrmError {
    /// Shorthand for a [`OrmError::Database`] error.
    pub fn database(message: impl Into<String>, sql: impl Into<String>) -> Self {
        OrmError::Database {
            message: message.into(),
            sql: sql.into(),
        }
    }
}
