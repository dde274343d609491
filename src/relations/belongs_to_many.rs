//! [`BelongsToManyRelation`]: many-to-many through a pivot table, and [`Pivot`], the
//! pivot row each related record carries.
//!
//! Loading joins the related table with the pivot table in one query and selects the
//! pivot's columns under aliases ([`compiler::PIVOT_PREFIX`]). Each related record gets
//! its pivot row attached as a relation named `pivot` — an [`Instance<Pivot>`] read with
//! [`Instance::pivot`] and serialized as a nested `"pivot": {...}` object, as Laravel's
//! `toArray()` does. The pivot row always holds the two keys, plus the columns named in
//! [`with_pivot`](BelongsToManyRelation::with_pivot) and, with
//! [`with_timestamps`](BelongsToManyRelation::with_timestamps), `created_at` /
//! `updated_at`. The writes (`attach`, `detach`, `sync`) live in `pivot.rs`.
//!
//! Defaults follow Laravel: the pivot table is the two singular table names in
//! alphabetical order joined by `_` (`posts` + `tags` → `post_tag`), the pivot keys are
//! each singular table name plus `_` plus that model's primary key (`post_id`,
//! `tag_id`), and both models are matched on their primary keys.

use std::fmt;
use std::marker::PhantomData;

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;
use crate::model::naming::singularize;
use crate::model::{check_column, Attributes, Instance, ModelDef, CREATED_AT, UPDATED_AT};
use crate::orm::Orm;
use crate::query::ast::{
    Boolean, Condition, Ident, Join, JoinKind, JoinSource, Operator, Select, Where,
};
use crate::query::compiler::{self, PIVOT_PREFIX};
use crate::query::scopes::model_scopes;
use crate::relations::constraint::Constraint;
use crate::relations::fetched::{dict_key, key_condition, parent_keys, Fetched};
use crate::relations::loaded::Loaded;
use crate::relations::map::{load_many_named, load_one_parent, sealed::RelationImpl, Relation};
use crate::relations::plan::Plan;

/// The name under which a related record of a many-to-many relation keeps its pivot row.
pub const PIVOT_RELATION: &str = "pivot";

/// A pivot-table row, attached to each record loaded through a
/// [`BelongsToManyRelation`] (read it with [`Instance::pivot`]). Not meant to be queried
/// on its own: its table is the relation's.
#[derive(Debug, Clone, Copy)]
pub struct Pivot;

impl ModelDef for Pivot {
    const TIMESTAMPS: bool = false;
}

/// Many-to-many through a pivot table (Laravel `belongsToMany`).
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// # use roost_orm::relations::BelongsToManyRelation;
/// # struct Tag; impl ModelDef for Tag {}
/// struct Post;
/// impl Post {
///     // pivot `post_tag` (post_id, tag_id, added_by)
///     pub const TAGS: BelongsToManyRelation<Tag> =
///         BelongsToManyRelation::conventional().with_pivot(&["added_by"]);
/// }
/// # impl ModelDef for Post {}
/// # async fn f(post: Instance<Post>) -> roost_orm::Result<()> {
/// Post::TAGS.attach(&post, [1, 2]).await?;
/// for tag in Post::TAGS.load(&post).await? {
///     let added_by = tag.pivot().and_then(|p| p.get("added_by"));
/// }
/// let changes = Post::TAGS.sync(&post, [2, 3]).await?; // attached [3], detached [1]
/// # Ok(()) }
/// ```
pub struct BelongsToManyRelation<R: ModelDef> {
    table: Option<&'static str>,
    foreign_pivot_key: Option<&'static str>,
    related_pivot_key: Option<&'static str>,
    parent_key: Option<&'static str>,
    related_key: Option<&'static str>,
    pivot_columns: &'static [&'static str],
    timestamps: bool,
    /// A polymorphic pivot's type column, and whose morph name it holds.
    morph: Option<(&'static str, MorphSide)>,
    _related: PhantomData<fn() -> R>,
}

/// Which side's [`ModelDef::MORPH_NAME`] a polymorphic pivot's type column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MorphSide {
    /// The parent's (Laravel `morphToMany`: a post's tags).
    Parent,
    /// The related model's (Laravel `morphedByMany`: a tag's posts).
    Related,
}

/// Short name of [`BelongsToManyRelation`].
pub type BelongsToMany<R> = BelongsToManyRelation<R>;

impl<R: ModelDef> Clone for BelongsToManyRelation<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: ModelDef> Copy for BelongsToManyRelation<R> {}

impl<R: ModelDef> PartialEq for BelongsToManyRelation<R> {
    fn eq(&self, other: &Self) -> bool {
        self.table == other.table
            && self.foreign_pivot_key == other.foreign_pivot_key
            && self.related_pivot_key == other.related_pivot_key
            && self.parent_key == other.parent_key
            && self.related_key == other.related_key
            && self.pivot_columns == other.pivot_columns
            && self.timestamps == other.timestamps
            && self.morph == other.morph
    }
}

impl<R: ModelDef> Eq for BelongsToManyRelation<R> {}

impl<R: ModelDef> fmt::Debug for BelongsToManyRelation<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BelongsToManyRelation")
            .field("related", &R::model_name())
            .field("table", &self.table)
            .field("foreign_pivot_key", &self.foreign_pivot_key)
            .field("related_pivot_key", &self.related_pivot_key)
            .field("pivot_columns", &self.pivot_columns)
            .field("timestamps", &self.timestamps)
            .field("morph", &self.morph)
            .finish()
    }
}

/// The names of a many-to-many relation, resolved for a parent model and validated.
pub(crate) struct Resolved {
    pub(crate) pivot: Ident,
    pub(crate) foreign_pivot_key: Ident,
    pub(crate) related_pivot_key: Ident,
    pub(crate) parent_key: &'static str,
    pub(crate) related_key: &'static str,
    pub(crate) timestamps: bool,
    /// A polymorphic pivot's qualified type column and the morph name it must hold.
    pub(crate) morph: Option<(Ident, &'static str)>,
    columns: Vec<Ident>,
}

impl Resolved {
    /// `pivot.type_column = 'name'`, for a polymorphic pivot.
    pub(crate) fn morph_condition(&self) -> Option<Condition> {
        self.morph
            .as_ref()
            .map(|(column, name)| Condition::Compare {
                column: column.clone(),
                op: Operator::Eq,
                value: crate::value::SqlValue::Text(name.to_string()),
            })
    }

    /// `pivot.column`.
    fn qualified(&self, column: &Ident) -> Result<Ident> {
        Ident::parse(&format!("{}.{}", self.pivot, column))
    }
}

impl<R: ModelDef> BelongsToManyRelation<R> {
    /// Through `table`, whose `foreign_pivot_key` holds the parent's key and
    /// `related_pivot_key` the related record's (Laravel `belongsToMany(R, table,
    /// foreignPivotKey, relatedPivotKey)`).
    pub const fn new(
        table: &'static str,
        foreign_pivot_key: &'static str,
        related_pivot_key: &'static str,
    ) -> Self {
        BelongsToManyRelation {
            table: Some(table),
            foreign_pivot_key: Some(foreign_pivot_key),
            related_pivot_key: Some(related_pivot_key),
            ..Self::conventional()
        }
    }

    /// Every name by Laravel's conventions (see the module docs).
    pub const fn conventional() -> Self {
        BelongsToManyRelation {
            table: None,
            foreign_pivot_key: None,
            related_pivot_key: None,
            parent_key: None,
            related_key: None,
            pivot_columns: &[],
            timestamps: false,
            morph: None,
            _related: PhantomData,
        }
    }

    /// A polymorphic many-to-many from the parent's side (Laravel `morphToMany(Tag,
    /// 'taggable')` is `morph_to_many("taggables", "taggable_type", "taggable_id",
    /// "tag_id")`): the pivot's `type_column` holds the parent's
    /// [`ModelDef::MORPH_NAME`], so a post's and a video's tags never mix. Loads,
    /// existence, counts and every pivot write match and write the type.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Tag; impl ModelDef for Tag {}
    /// struct Post;
    /// impl Post {
    ///     pub const TAGS: BelongsToManyRelation<Tag> = BelongsToManyRelation::morph_to_many(
    ///         "taggables", "taggable_type", "taggable_id", "tag_id",
    ///     );
    /// }
    /// impl ModelDef for Post { const MORPH_NAME: Option<&'static str> = Some("post"); }
    /// ```
    pub const fn morph_to_many(
        table: &'static str,
        type_column: &'static str,
        foreign_pivot_key: &'static str,
        related_pivot_key: &'static str,
    ) -> Self {
        Self::new(table, foreign_pivot_key, related_pivot_key).morph(type_column, MorphSide::Parent)
    }

    /// The inverse, from the related side (Laravel `morphedByMany(Post, 'taggable')` on
    /// a tag is `morphed_by_many("taggables", "taggable_type", "tag_id",
    /// "taggable_id")`): the pivot's `type_column` holds the *related* model's morph
    /// name.
    pub const fn morphed_by_many(
        table: &'static str,
        type_column: &'static str,
        foreign_pivot_key: &'static str,
        related_pivot_key: &'static str,
    ) -> Self {
        Self::new(table, foreign_pivot_key, related_pivot_key)
            .morph(type_column, MorphSide::Related)
    }

    /// A polymorphic pivot: its `type_column` holds `side`'s morph name.
    const fn morph(mut self, type_column: &'static str, side: MorphSide) -> Self {
        self.morph = Some((type_column, side));
        self
    }

    /// Match the pivot's foreign key against this parent column instead of the parent's
    /// primary key.
    pub const fn parent_key(mut self, column: &'static str) -> Self {
        self.parent_key = Some(column);
        self
    }

    /// Match the pivot's related key against this related column instead of `R`'s
    /// primary key.
    pub const fn related_key(mut self, column: &'static str) -> Self {
        self.related_key = Some(column);
        self
    }

    /// Also read these pivot columns onto each related record's pivot row.
    pub const fn with_pivot(mut self, columns: &'static [&'static str]) -> Self {
        self.pivot_columns = columns;
        self
    }

    /// The pivot has `created_at` / `updated_at`: `attach` and `sync` stamp them and
    /// loads read them.
    pub const fn with_timestamps(mut self) -> Self {
        self.timestamps = true;
        self
    }

    /// The pivot table for parent model `P`.
    pub fn pivot_table<P: ModelDef>(&self) -> String {
        match self.table {
            Some(table) => table.to_string(),
            None => {
                let mut names = [
                    singularize(crate::model::table_of::<P>()),
                    singularize(crate::model::table_of::<R>()),
                ];
                names.sort();
                names.join("_")
            }
        }
    }

    /// The pivot column holding the parent's key, for parent model `P`.
    pub fn foreign_pivot_key<P: ModelDef>(&self) -> String {
        match self.foreign_pivot_key {
            Some(key) => key.to_string(),
            None => format!(
                "{}_{}",
                singularize(crate::model::table_of::<P>()),
                P::PRIMARY_KEY
            ),
        }
    }

    /// The pivot column holding the related record's key.
    pub fn related_pivot_key(&self) -> String {
        match self.related_pivot_key {
            Some(key) => key.to_string(),
            None => format!(
                "{}_{}",
                singularize(crate::model::table_of::<R>()),
                R::PRIMARY_KEY
            ),
        }
    }

    pub(crate) fn resolve<P: ModelDef>(&self) -> Result<Resolved> {
        let plain = |name: &str| -> Result<Ident> {
            let ident = Ident::parse(name)?;
            match ident.parts() {
                (None, _) => Ok(ident),
                _ => Err(OrmError::InvalidIdentifier(name.to_string())),
            }
        };
        let foreign_pivot_key = plain(&self.foreign_pivot_key::<P>())?;
        let related_pivot_key = plain(&self.related_pivot_key())?;
        let mut columns = vec![foreign_pivot_key.clone(), related_pivot_key.clone()];
        let stamps: &[&str] = if self.timestamps {
            &[CREATED_AT, UPDATED_AT]
        } else {
            &[]
        };
        for name in self.pivot_columns.iter().chain(stamps) {
            let column = plain(name)?;
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        let parent_key = self.parent_key.unwrap_or(P::PRIMARY_KEY);
        let related_key = self.related_key.unwrap_or(R::PRIMARY_KEY);
        check_column::<P>(parent_key)?;
        check_column::<R>(related_key)?;
        let pivot = plain(&self.pivot_table::<P>())?;
        let morph = match self.morph {
            None => None,
            Some((column, side)) => {
                let name = match side {
                    MorphSide::Parent => crate::relations::morph::morph_name::<P>()?,
                    MorphSide::Related => crate::relations::morph::morph_name::<R>()?,
                };
                let column = Ident::parse(&format!("{pivot}.{}", plain(column)?))?;
                Some((column, name))
            }
        };
        Ok(Resolved {
            pivot,
            morph,
            foreign_pivot_key,
            related_pivot_key,
            parent_key,
            related_key,
            timestamps: self.timestamps,
            columns,
        })
    }

    /// The parent's related records, each with its pivot row (TS-style `load(parent)`).
    pub async fn load<P: ModelDef>(&self, parent: &Instance<P>) -> Result<Vec<Instance<R>>> {
        load_one_parent(self, parent).await
    }

    /// Load the relation onto every parent with one query, under the name the parent
    /// model declares it with (else the related table name).
    pub async fn load_many<P: ModelDef>(&self, parents: &mut [Instance<P>]) -> Result<()>
    where
        Self: Relation<P>,
    {
        load_many_named(self, parents, None).await
    }

    /// Like [`load_many`](Self::load_many), under `name`.
    pub async fn load_many_as<P: ModelDef>(
        &self,
        parents: &mut [Instance<P>],
        name: &str,
    ) -> Result<()>
    where
        Self: Relation<P>,
    {
        load_many_named(self, parents, Some(name)).await
    }

    /// The joined query of the related rows of `parents`, and its grouping by the
    /// pivot's parent key.
    fn plan_through<P: ModelDef>(
        &self,
        orm: &Orm,
        parents: &[Instance<P>],
        constraint: Option<&Constraint>,
    ) -> Result<Plan<R>> {
        crate::model::check_model::<R>()?;
        let names = self.resolve::<P>()?;
        let (values, keys) = parent_keys(parents, names.parent_key);
        if values.is_empty() {
            return Ok(Plan::empty(parents.len()));
        }
        let table = crate::model::table_of::<R>();
        let related_table = Ident::parse_static(table)?;
        let on = (
            names.qualified(&names.related_pivot_key)?,
            Ident::parse(&format!("{table}.{}", names.related_key))?,
        );
        let mut select = Select::new(related_table);
        let fk = names.foreign_pivot_key.as_str().to_string();
        let partition = names.qualified(&names.foreign_pivot_key)?;
        select.filter.push(Where {
            boolean: Boolean::And,
            condition: key_condition::<P>(
                partition.clone(),
                &Ident::parse_static(names.parent_key)?,
                values,
            )?,
        });
        if let Some(morph) = names.morph_condition() {
            select.filter.push(Where {
                boolean: Boolean::And,
                condition: morph,
            });
        }
        Constraint::apply(constraint, orm, &mut select)?;
        select.scopes = model_scopes::<R>(orm, Constraint::trashed(constraint))?;
        select
            .scopes
            .extend(Constraint::global_scopes::<R>(constraint)?);
        let through = (&names.pivot, (&on.0, &on.1), names.columns.as_slice());
        let per_parent = Constraint::per_parent(constraint);
        let statement = if per_parent {
            compiler::select_through_per_parent(
                &select, through.0, through.1, through.2, &partition,
            )
        } else {
            compiler::select_through(&select, through.0, through.1, through.2)
        };
        let group = move |mut result| {
            if per_parent {
                Constraint::strip_row_number(&mut result);
            }
            let (result, pivots) = split_pivot(result);
            let mut related = Instance::<R>::hydrate_all(result);
            let pivot_keys: Vec<Option<String>> = pivots
                .iter()
                .map(|p| p.get(&fk).and_then(dict_key))
                .collect();
            for (row, pivot) in related.iter_mut().zip(pivots) {
                let pivot = Box::new(Instance::<Pivot>::from_stored(pivot));
                row.relations
                    .insert(PIVOT_RELATION, Loaded::One(Some(pivot)));
            }
            Fetched::group(related, &keys, |i, _| pivot_keys.get(i).cloned().flatten())
        };
        Ok(Plan::query(parents.len(), statement, Box::new(group)))
    }
}

/// Split the aliased pivot columns off a joined result: the related rows, and each
/// row's pivot attributes (alias prefix removed). Also the carried key of a through
/// relation.
pub(super) fn split_pivot(result: QueryResult) -> (QueryResult, Vec<Attributes>) {
    let is_pivot: Vec<bool> = result
        .columns
        .iter()
        .map(|c| c.starts_with(PIVOT_PREFIX))
        .collect();
    let columns: std::sync::Arc<[String]> = result
        .columns
        .iter()
        .zip(&is_pivot)
        .filter(|(_, pivot)| !**pivot)
        .map(|(c, _)| c.clone())
        .collect();
    let mut pivots = Vec::with_capacity(result.len());
    let mut related = QueryResult::with_columns(columns, result.len());
    related.changes = result.changes;
    related.last_row_id = result.last_row_id;
    let all_columns = result.columns.clone();
    for row in result.into_rows() {
        let mut pivot = Attributes::new();
        for ((value, name), is_pivot) in row.into_iter().zip(all_columns.iter()).zip(&is_pivot) {
            if *is_pivot {
                let name = name.strip_prefix(PIVOT_PREFIX).unwrap_or(name);
                pivot.insert(name.to_string(), value);
            } else {
                related.push_value(value);
            }
        }
        related.end_row();
        pivots.push(pivot);
    }
    (related, pivots)
}

impl<P: ModelDef, R: ModelDef> RelationImpl<P> for BelongsToManyRelation<R> {
    type Related = R;
    const MANY: bool = true;

    fn check(&self) -> Result<()> {
        self.resolve::<P>().map(drop)
    }

    fn plan(
        &self,
        orm: &Orm,
        parents: &[Instance<P>],
        constraint: Option<&Constraint>,
    ) -> Result<Plan<R>> {
        self.plan_through(orm, parents, constraint)
    }

    /// `FROM related INNER JOIN pivot ON pivot.related_key = related.key`, tied to the
    /// parent by `pivot.foreign_key = parent.key`.
    fn correlated(&self, _orm: &Orm, parent_table: &'static str) -> Result<(Select, Condition)> {
        let names = self.resolve::<P>()?;
        let table = crate::model::table_of::<R>();
        let mut select = Select::new(Ident::parse_static(table)?);
        select.joins.push(Join {
            kind: JoinKind::Inner,
            source: JoinSource::Table(names.pivot.clone()),
            on: vec![Where {
                boolean: Boolean::And,
                condition: Condition::Columns {
                    left: names.qualified(&names.related_pivot_key)?,
                    op: Operator::Eq,
                    right: Ident::parse(&format!("{table}.{}", names.related_key))?,
                },
            }],
            scopes: Vec::new(),
        });
        let mut correlation = Condition::Columns {
            left: names.qualified(&names.foreign_pivot_key)?,
            op: Operator::Eq,
            right: Ident::parse(&format!("{parent_table}.{}", names.parent_key))?,
        };
        if let Some(morph) = names.morph_condition() {
            correlation = Condition::Group(
                [correlation, morph]
                    .into_iter()
                    .map(|condition| Where {
                        boolean: Boolean::And,
                        condition,
                    })
                    .collect(),
            );
        }
        Ok((select, correlation))
    }
}
