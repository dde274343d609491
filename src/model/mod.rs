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

mod attributes;
pub mod column;
pub mod hooks;
mod instance;
pub mod naming;
pub(crate) mod persistence;
mod statics;
mod timestamps;

pub use attributes::{Attributes, IntoAttributes, TrackedAttributes};
pub use column::{Cast, Column, ColumnType};
pub use hooks::{clear_all_hooks, HookEvent, HookReturn};
pub use instance::Instance;
pub use statics::Model;
pub use timestamps::now_timestamp;

use crate::error::{OrmError, Result};
use crate::query::Ident;

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
/// assert_eq!(PostComment::table_name(), "post_comments");
/// assert_eq!(PostComment::model_name(), "PostComment");
/// ```
pub trait ModelDef: Sized + 'static {
    /// Table name; `None` derives it from the type name (`PostComment` → `post_comments`).
    const TABLE: Option<&'static str> = None;
    /// Primary-key column. Default `id`.
    const PRIMARY_KEY: &'static str = "id";
    /// Write `created_at` on insert and `updated_at` on insert and update. Default true.
    const TIMESTAMPS: bool = true;
    /// `delete` sets `deleted_at` instead of removing the row. Default false.
    const SOFT_DELETES: bool = false;
    /// Column holding the tenant id, for tenant scoping. Default none.
    const TENANT_COLUMN: Option<&'static str> = None;
    /// Declared columns. Empty means "any column" (no name check, no casts), as a TS
    /// model without `static columns`; non-empty means unknown names are errors.
    const COLUMNS: &'static [Column] = &[];

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

    /// The model's name for messages: the type name without its path.
    fn model_name() -> &'static str {
        naming::short_type_name(std::any::type_name::<Self>())
    }

    /// The table name: [`ModelDef::TABLE`] or the derived one.
    fn table_name() -> &'static str {
        match Self::TABLE {
            Some(t) => t,
            None => naming::derived_table_name::<Self>(),
        }
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

/// Whether `name` is a column of `M`: declared, or implied by the model's settings.
pub(crate) fn is_known_column<M: ModelDef>(name: &str) -> bool {
    M::COLUMNS.is_empty()
        || column_of::<M>(name).is_some()
        || name == M::PRIMARY_KEY
        || (M::TIMESTAMPS && (name == CREATED_AT || name == UPDATED_AT))
        || (M::SOFT_DELETES && name == DELETED_AT)
        || M::TENANT_COLUMN == Some(name)
}

/// The program-lifetime spelling of `name` when it is a column of `M` named without a
/// table: declared, or implied by the model's settings.
fn static_column<M: ModelDef>(name: &str) -> Option<&'static str> {
    if let Some(column) = column_of::<M>(name) {
        return Some(column.name);
    }
    let implied = [
        Some(M::PRIMARY_KEY),
        M::TIMESTAMPS.then_some(CREATED_AT),
        M::TIMESTAMPS.then_some(UPDATED_AT),
        M::SOFT_DELETES.then_some(DELETED_AT),
        M::TENANT_COLUMN,
    ];
    implied.into_iter().flatten().find(|c| *c == name)
}

/// Validate a column reference of model `M` (`col` or `table.col`): a valid identifier
/// and, when it names `M`'s table or no table, a known column.
pub(crate) fn check_column<M: ModelDef>(name: &str) -> Result<Ident> {
    // A known column by its bare name (the common case) needs no copy of the name.
    if let Some(column) = static_column::<M>(name) {
        return Ident::parse_static(column);
    }
    let ident = Ident::parse(name)?;
    let (table, column) = ident.parts();
    if (table.is_none() || table == Some(M::table_name())) && !is_known_column::<M>(column) {
        return Err(OrmError::UnknownColumn {
            model: M::model_name(),
            column: name.to_string(),
        });
    }
    Ok(ident)
}

/// [`check_column`] and the column's cast, found with one lookup for a declared column.
pub(crate) fn check_column_cast<M: ModelDef>(name: &str) -> Result<(Ident, Cast)> {
    if let Some(column) = column_of::<M>(name) {
        return Ok((Ident::parse_static(column.name)?, column.cast));
    }
    let ident = check_column::<M>(name)?;
    let cast = cast_of::<M>(ident.parts().1);
    Ok((ident, cast))
}
