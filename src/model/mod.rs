//! Models: the reference's "Model API".
//!
//! A model is a zero-sized type implementing [`ModelDef`], whose associated consts mirror
//! the TS statics (`tableName`, `primaryKey`, `timestamps`, `softDeletes`,
//! `tenantColumn`, `columns`). Records are [`Instance<M>`]. The documented statics
//! (`find`, `all`, `create`, `where`, ...) come from the blanket trait [`Model`].
//!
//! Files by concern, as Eloquent splits its model: [`column`](mod@column) (declarations and casts),
//! `attributes` (the attribute map and dirty tracking), `instance` (one record),
//! `persistence` (save / delete / restore),
//! `timestamps`, [`hooks`] (lifecycle events), `statics`, `naming` (table names).
//! This module must not write SQL: it builds ASTs and hands them to [`crate::query`].

pub(crate) mod accessors;
mod attributes;
pub(crate) mod bulk;
pub(crate) mod casts;
pub mod column;
mod column_memo;
pub(crate) mod config;
pub(crate) mod guards;
mod helpers;
pub mod hooks;
mod instance;
mod keys;
pub mod naming;
pub(crate) mod observers;
pub(crate) mod persistence;
mod returning;
mod schema;
mod statics;
pub(crate) mod timestamps;
pub(crate) mod visibility;

pub use accessors::{Attribute, Getter, ManySetter, Setter};
pub use attributes::{Attributes, IntoAttributes, TrackedAttributes};
pub use column::{Cast, Column, ColumnType};
pub(crate) use column_memo::ColumnMemo;
pub(crate) use config::check_model;
pub use hooks::{clear_all_hooks, HookEvent, HookReturn};
pub(crate) use instance::Casts;
pub use instance::Instance;
pub use keys::KeyType;
pub use observers::Observer;
pub(crate) use schema::Schema;
pub use statics::Model;
pub use timestamps::now_timestamp;
pub(crate) use visibility::serialize_record;

use serde_json::Value;

use crate::error::Result;
use crate::query::Ident;
use crate::value::SqlValue;

/// Column written on insert when [`ModelDef::TIMESTAMPS`] is on.
pub const CREATED_AT: &str = "created_at";
/// Column written on insert and update when [`ModelDef::TIMESTAMPS`] is on.
pub const UPDATED_AT: &str = "updated_at";
/// Column set by a soft delete when [`ModelDef::SOFT_DELETES`] is on.
pub const DELETED_AT: &str = "deleted_at";

/// A model definition: the TS `class Post extends Model { static ... }`.
///
/// ```
/// use roost_orm::model::{Column, ModelDef};
///
/// struct PostComment;
/// impl ModelDef for PostComment {
///     const SOFT_DELETES: bool = true;
///     const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("body")];
/// }
/// # use roost_orm::model::Model;
/// assert_eq!(PostComment::table_name(), "post_comments");
/// assert_eq!(PostComment::model_name(), "PostComment");
/// ```
///
/// A declaration is checked once per model type, at its first query or write: an
/// invalid table, key, tenant or column name, a column declared twice, or a relation
/// naming a bad column makes every query and write of the model
/// [`OrmError::InvalidModel`](crate::OrmError::InvalidModel), before any SQL (see the README's table of
/// misconfigurations).
///
/// The table is fixed per type: it is [`ModelDef::TABLE`] (or derived), read through
/// [`Model::table_name`], which a model cannot override:
///
/// ```compile_fail
/// use roost_orm::model::ModelDef;
/// struct Moving;
/// impl ModelDef for Moving {
///     fn table_name() -> &'static str { "somewhere_else" } // not a ModelDef item
/// }
/// ```
pub trait ModelDef: Sized + 'static {
    /// Table name; `None` derives it from the type name (`PostComment` → `post_comments`).
    /// Read it with [`Model::table_name`]: it is fixed per model type.
    const TABLE: Option<&'static str> = None;
    /// Primary-key column. Default `id`.
    const PRIMARY_KEY: &'static str = "id";
    /// Where the primary key's value comes from: the database (default), a UUID or
    /// ULID generated on create (Laravel `HasUuids` / `HasUlids`), or the caller. See
    /// [`KeyType`].
    const KEY_TYPE: KeyType = KeyType::Incrementing;
    /// Write `created_at` on insert and `updated_at` on insert and update. Default true.
    const TIMESTAMPS: bool = true;
    /// `delete` sets `deleted_at` instead of removing the row. Default false.
    const SOFT_DELETES: bool = false;
    /// Column holding the tenant id, for tenant scoping. Default none.
    const TENANT_COLUMN: Option<&'static str> = None;
    /// Declared columns. Empty means "any column" (no name check, no casts), as a TS
    /// model without `static columns`; non-empty means unknown names are errors.
    const COLUMNS: &'static [Column] = &[];
    /// Belongs-to relations (by their name in [`relations`](Self::relations)) whose
    /// owner's `updated_at` is bumped whenever a record of this model is inserted,
    /// updated, deleted or restored (Laravel's `$touches`). Default none.
    ///
    /// ```
    /// use roost_orm::prelude::*;
    /// struct Post;
    /// impl ModelDef for Post {}
    /// struct Comment;
    /// impl ModelDef for Comment {
    ///     const TOUCHES: &'static [&'static str] = &["post"];
    ///     fn relations(r: &mut RelationMap<Self>) {
    ///         r.belongs_to::<Post>("post", "post_id", "id");
    ///     }
    /// }
    /// ```
    ///
    /// A name that is not a declared belongs-to, or whose owner has no timestamps, makes
    /// the model [`OrmError::InvalidModel`](crate::OrmError::InvalidModel).
    const TOUCHES: &'static [&'static str] = &[];
    /// The stable name stored in polymorphic relations' type columns for this model
    /// (an entry of Laravel's morph map: `"post"`, not a Rust path, so stored rows
    /// survive a rename). Required of every model a morph relation points at or starts
    /// from; its absence there is an error before any SQL. Default none.
    const MORPH_NAME: Option<&'static str> = None;
    /// The attributes mass assignment (`create`, `make`, `fill`, `update`,
    /// `first_or_*`, `update_or_create`, relation `create`) may set (Laravel
    /// `$fillable`); empty means every attribute not [`GUARDED`](Self::GUARDED).
    const FILLABLE: &'static [&'static str] = &[];
    /// The attributes mass assignment may not set (Laravel `$guarded`); `&["*"]`
    /// guards all but [`FILLABLE`](Self::FILLABLE). Default none: every attribute is
    /// fillable, as in the TypeScript original (Laravel's default is `["*"]`). The
    /// tenant column is never mass assignable. See [`Model::force_create`].
    const GUARDED: &'static [&'static str] = &[];
    /// Attributes (and loaded relations) left out of the JSON (Laravel `$hidden`):
    /// `password_hash` never reaches a response. Default none.
    const HIDDEN: &'static [&'static str] = &[];
    /// When non-empty, the only attributes (and loaded relations) in the JSON (Laravel
    /// `$visible`). Default empty: all but [`HIDDEN`](Self::HIDDEN).
    const VISIBLE: &'static [&'static str] = &[];
    /// Computed attributes added to the JSON (Laravel `$appends`), each the value of
    /// its [`ACCESSORS`](Self::ACCESSORS) getter, else of
    /// [`appended`](Self::appended); hidden and visible apply to them too.
    const APPENDS: &'static [&'static str] = &[];
    /// Accessors and mutators by attribute (Laravel's `Attribute::make(get, set)`): see
    /// [`Attribute`]. Default none.
    const ACCESSORS: &'static [Attribute] = &[];

    /// Declare the model's relations by name, for `with(...)` and `load(...)` (the TS
    /// `static posts = new HasManyRelation(...)`). Called once per model type; the map
    /// is cached. Default: no relations.
    ///
    /// ```
    /// use roost_orm::prelude::*;
    /// struct Post;
    /// impl ModelDef for Post {}
    /// struct User;
    /// impl ModelDef for User {
    ///     fn relations(r: &mut RelationMap<Self>) {
    ///         r.has_many::<Post>("posts", "author_id", "id");
    ///     }
    /// }
    /// # assert!(roost_orm::relations::relation_map::<User>().contains("posts"));
    /// ```
    fn relations(_relations: &mut crate::relations::RelationMap<Self>) {}

    /// Declare the model's global scopes (Laravel `addGlobalScope`): named conditions
    /// ANDed into every query of the model, lifted per query with
    /// `without_global_scope(name)` / `without_global_scopes()`. Called once per model
    /// type. Default: none. See [`GlobalScopes`](crate::query::GlobalScopes).
    fn global_scopes(_scopes: &mut crate::query::GlobalScopes<Self>) {}

    /// The value of appended attribute `name` (one of [`APPENDS`](Self::APPENDS)) for
    /// `record` (Laravel's accessor behind an `$appends` entry). Default `null`.
    ///
    /// ```
    /// use roost_orm::prelude::*;
    /// use serde_json::{json, Value};
    /// struct User;
    /// impl ModelDef for User {
    ///     const HIDDEN: &'static [&'static str] = &["password_hash"];
    ///     const APPENDS: &'static [&'static str] = &["initial"];
    ///     fn appended(name: &str, user: &Instance<Self>) -> Value {
    ///         let first = user.get("name").and_then(Value::as_str).and_then(|n| n.chars().next());
    ///         match (name, first) {
    ///             ("initial", Some(c)) => Value::from(c.to_string()),
    ///             _ => Value::Null,
    ///         }
    ///     }
    /// }
    /// let user = Instance::<User>::from_attributes(json!({"name": "Ada", "password_hash": "x"})).unwrap();
    /// assert_eq!(serde_json::to_value(&user).unwrap(), json!({"name": "Ada", "initial": "A"}));
    /// ```
    fn appended(_name: &str, _record: &Instance<Self>) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// The model's name for messages: the type name without its path.
    fn model_name() -> &'static str {
        naming::short_type_name(std::any::type_name::<Self>())
    }
}

/// The table of model `M`: [`ModelDef::TABLE`] or the name derived from the type. Not
/// a trait method a model could override: the table is fixed per model type, which
/// is what cached statement text relies on.
pub(crate) fn table_of<M: ModelDef>() -> &'static str {
    match M::TABLE {
        Some(t) => t,
        None => naming::derived_table_name::<M>(),
    }
}

/// The declared column called `name`, if any.
pub(crate) fn column_of<M: ModelDef>(name: &str) -> Option<&'static Column> {
    M::COLUMNS.iter().find(|c| c.name == name)
}

/// The cast of column `name` (`Cast::None` when undeclared).
pub(crate) fn cast_of<M: ModelDef>(name: &str) -> Cast {
    column_of::<M>(name).map(|c| c.cast).unwrap_or_default()
}

/// Validate a column reference of model `M` (`col` or `table.col`): a valid identifier,
/// qualified (if at all) by `M`'s own table, and a known column.
pub(crate) fn check_column<M: ModelDef>(name: &str) -> Result<Ident> {
    Schema::of::<M>().check_column(name)
}

/// A column named by an attribute key of a write (`create`, `set` + `save`, `update`,
/// `increment`, ...): [`check_column`], and a bare name — `posts.title` is a column
/// reference, not an attribute, and can't be written.
pub(crate) fn check_attribute<M: ModelDef>(name: &str) -> Result<Ident> {
    Schema::of::<M>().check_attribute(name)
}

/// The bound value of a caller's `value` for column `ident` of `M` — the one rule of
/// [`Column::bind`] for a declared column, the plain JSON mapping otherwise. Every
/// condition, write and relation key binds through here.
pub(crate) fn bind_value<M: ModelDef>(ident: &Ident, value: &Value) -> Result<SqlValue> {
    Schema::of::<M>().bind_value(ident, value)
}

/// [`bind_value`] for each of `values`.
pub(crate) fn bind_values<M: ModelDef>(ident: &Ident, values: &[Value]) -> Result<Vec<SqlValue>> {
    let schema = Schema::of::<M>();
    values.iter().map(|v| schema.bind_value(ident, v)).collect()
}
