//! [`Instance<M>`]: one record — its attributes (with their originals, see
//! [`TrackedAttributes`]), whether it exists in the database, its loaded relations.
//!
//! Attributes are a string-keyed map of JSON values (TS `attributes`), so Worker handlers
//! written against string keys port line by line. Stored rows become instances here
//! (hydration applies the model's casts once); this file must not run queries.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;
use crate::model::attributes::{Attributes, IntoAttributes, TrackedAttributes};
use crate::model::{Cast, Column, ModelDef, DELETED_AT};

/// One record of model `M`.
///
/// ```
/// use roost_orm::model::{Instance, ModelDef};
/// use serde_json::json;
/// struct Post;
/// impl ModelDef for Post {}
///
/// let mut post = Instance::<Post>::from_attributes(json!({"title": "Hello"})).unwrap();
/// post.set("title", "Hi");
/// assert_eq!(post.get("title"), Some(&json!("Hi")));
/// assert!(!post.exists());
/// assert_eq!(serde_json::to_value(&post).unwrap(), json!({"title": "Hi"}));
/// ```
pub struct Instance<M: ModelDef> {
    /// The raw column values (TS `attributes`), with their originals. Read and mutate
    /// it as the [`Attributes`] map it derefs to, then `save()`.
    pub attributes: TrackedAttributes,
    /// What the last `save()` wrote; boxed (and absent before any save) to keep
    /// instances small — they are moved through every query's future.
    changes: Option<Box<Attributes>>,
    exists: bool,
    pub(crate) relations: crate::relations::LoadedRelations,
    /// This instance's own `make_hidden` / `make_visible` (absent: the model's).
    pub(crate) visibility: Option<Box<crate::model::visibility::Visibility>>,
    _model: PhantomData<fn() -> M>,
}

impl<M: ModelDef> Default for Instance<M> {
    fn default() -> Self {
        Instance {
            attributes: TrackedAttributes::default(),
            changes: None,
            exists: false,
            relations: Default::default(),
            visibility: None,
            _model: PhantomData,
        }
    }
}

impl<M: ModelDef> Clone for Instance<M> {
    fn clone(&self) -> Self {
        Instance {
            attributes: self.attributes.clone(),
            changes: self.changes.clone(),
            exists: self.exists,
            relations: self.relations.clone(),
            visibility: self.visibility.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: ModelDef> fmt::Debug for Instance<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(M::model_name())
            .field("exists", &self.exists)
            .field("attributes", &self.attributes)
            .field("relations", &self.relations)
            .finish()
    }
}

impl<M: ModelDef> PartialEq for Instance<M> {
    fn eq(&self, other: &Self) -> bool {
        self.exists == other.exists && self.attributes == other.attributes
    }
}

impl<M: ModelDef> Instance<M> {
    /// A new, empty, unsaved instance.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new unsaved instance with every one of these attributes, unguarded (Eloquent
    /// `(new Post)->forceFill($attrs)`; for input from a client use
    /// [`Model::make`](crate::Model::make), which applies the mass-assignment guard).
    pub fn from_attributes(attributes: impl IntoAttributes) -> Result<Self> {
        let attributes = attributes.into_attributes()?;
        if M::ACCESSORS.is_empty() {
            return Ok(Instance {
                attributes: TrackedAttributes::unsaved(attributes),
                ..Self::default()
            });
        }
        let mut instance = Self::default();
        instance.assign_all(attributes);
        Ok(instance)
    }

    /// An instance for a stored row (casts applied, clean, existing).
    pub(crate) fn from_stored(attributes: Attributes) -> Self {
        Instance {
            attributes: TrackedAttributes::stored(attributes, None),
            exists: true,
            ..Self::default()
        }
    }

    /// An instance for one row of a result: `values` (one per column, in order, casts
    /// not yet applied) move into the attributes, which are clean; the names are
    /// shared with the result. The names are taken by value: the last row of a result
    /// gets the result's own handle, the others a clone.
    fn from_row(
        columns: Arc<[String]>,
        values: impl Iterator<Item = Value>,
        casts: &Casts<M>,
    ) -> Self {
        Instance {
            attributes: TrackedAttributes::from_row(columns, casts.apply(values)),
            changes: None,
            exists: true,
            relations: Default::default(),
            visibility: None,
            _model: PhantomData,
        }
    }

    /// Hydrate every row of a result.
    pub(crate) fn hydrate_all(result: QueryResult) -> Vec<Self> {
        let casts = Casts::<M>::for_columns(&result.columns);
        let (columns, rows, mut values) = result.into_parts();
        let width = columns.len();
        let mut columns = Some(columns);
        let mut instances = Vec::with_capacity(rows);
        for left in (0..rows).rev() {
            let names = match left {
                0 => columns.take(),
                _ => columns.clone(),
            };
            let row = values.by_ref().take(width);
            instances.push(Self::from_row(names.unwrap_or_default(), row, &casts));
        }
        instances
    }

    /// Run `statement` and build a record from each row as it is stepped: no
    /// result-sized buffer of values exists at any point (on SQLite; other executors
    /// hand over a result first).
    pub(crate) async fn fetch_all(
        orm: &crate::orm::Orm,
        statement: &crate::executor::Statement,
    ) -> crate::error::Result<Vec<Self>> {
        let mut hydrator = Hydrator::<M> {
            columns: None,
            instances: Vec::new(),
        };
        orm.run_rows(statement, &mut hydrator).await?;
        Ok(hydrator.instances)
    }

    /// Hydrate the first row of a result, if any (no list is built for it).
    pub(crate) fn hydrate_first(result: QueryResult) -> Option<Self> {
        if result.is_empty() {
            return None;
        }
        let casts = Casts::<M>::for_columns(&result.columns);
        let (columns, _, values) = result.into_parts();
        let width = columns.len();
        Some(Self::from_row(columns, values.take(width), &casts))
    }

    /// Replace the attributes with the first row of a result read back by a write.
    pub(crate) fn sync_stored(&mut self, result: QueryResult) {
        let (columns, rows, values) = result.into_parts();
        let width = if rows == 0 { 0 } else { columns.len() };
        self.sync_row(&columns, values.take(width).collect());
    }

    /// Replace the attributes with a stored row (casts not yet applied); an empty row
    /// keeps the attributes. Either way the instance becomes existing and clean.
    pub(crate) fn sync_row(&mut self, columns: &Arc<[String]>, row: Vec<Value>) {
        if row.is_empty() {
            self.attributes.mark_stored();
            self.exists = true;
        } else {
            let casts = Casts::<M>::for_columns(columns);
            let relations = std::mem::take(&mut self.relations);
            let changes = std::mem::take(&mut self.changes);
            *self = Self::from_row(columns.clone(), row.into_iter(), &casts);
            self.relations = relations;
            self.changes = changes;
        }
    }

    pub(crate) fn set_exists(&mut self, exists: bool) {
        self.exists = exists;
    }

    pub(crate) fn set_changes(&mut self, changes: Attributes) {
        self.changes = Some(Box::new(changes));
    }

    /// Whether the record is stored in the database.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// An attribute's stored value (casts applied; accessors not: see
    /// [`get_attribute`](Self::get_attribute)).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// An attribute as read (through its accessor, if any), decoded into a Rust type
    /// (`post.get_as::<i64>("id")`, `post.get_as::<DateTime<Utc>>("created_at")`).
    pub fn get_as<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let value = self.get_attribute(key).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| OrmError::Decode {
            key: key.to_string(),
            message: e.to_string(),
        })
    }

    /// Set an attribute (chainable), through its mutator if one is declared
    /// ([`ModelDef::ACCESSORS`]; Laravel `setAttribute`).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.assign(key.into(), value.into());
        self
    }

    /// Set an attribute as it is, past any mutator: the ORM's own writes (tenant,
    /// timestamps, keys, foreign keys).
    pub(crate) fn set_raw(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Set the fillable part of these attributes (Eloquent `fill`; see
    /// [`ModelDef::FILLABLE`]): guarded keys are dropped, or refused with
    /// [`OrmError::MassAssignment`](crate::OrmError::MassAssignment) (then nothing is
    /// set).
    pub fn fill(&mut self, attributes: impl IntoAttributes) -> Result<&mut Self> {
        let attributes = crate::model::guards::fillable::<M>(attributes.into_attributes()?)?;
        self.assign_all(attributes);
        Ok(self)
    }

    /// Set every one of these attributes, guarded or not (Eloquent `forceFill`).
    pub fn force_fill(&mut self, attributes: impl IntoAttributes) -> Result<&mut Self> {
        self.assign_all(attributes.into_attributes()?);
        Ok(self)
    }

    /// The value of column `key`, which must be set (a parent's key that children
    /// point at): [`OrmError::MissingPrimaryKey`](crate::OrmError::MissingPrimaryKey)
    /// when it is absent or NULL.
    pub(crate) fn required_value(&self, key: &'static str) -> Result<Value> {
        self.get(key)
            .filter(|v| !v.is_null())
            .cloned()
            .ok_or_else(|| crate::error::OrmError::MissingPrimaryKey {
                model: M::model_name(),
                key,
            })
    }

    /// The primary-key value, if set.
    pub fn key(&self) -> Option<&Value> {
        self.attributes.get(M::PRIMARY_KEY).filter(|v| !v.is_null())
    }

    /// The value an attribute had when last read from or written to the database.
    pub fn get_original(&self, key: &str) -> Option<&Value> {
        self.attributes.get_original(key)
    }

    /// Attributes that differ from the originals (what `save()` would write).
    pub fn get_dirty(&self) -> Attributes {
        self.attributes.get_dirty()
    }

    /// Whether any attribute differs from its original.
    pub fn is_dirty(&self) -> bool {
        self.attributes.is_dirty()
    }

    /// Whether attribute `key` differs from its original.
    pub fn is_dirty_key(&self, key: &str) -> bool {
        self.attributes.is_dirty_key(key)
    }

    /// The attributes the last `save()` wrote (Eloquent `getChanges`).
    pub fn get_changes(&self) -> &Attributes {
        static NONE: once_cell::sync::Lazy<Attributes> =
            once_cell::sync::Lazy::new(Attributes::new);
        self.changes.as_deref().unwrap_or(&NONE)
    }

    /// Whether the last `save()` wrote attribute `key` (Eloquent `wasChanged`).
    pub fn was_changed(&self, key: &str) -> bool {
        self.changes.as_ref().is_some_and(|c| c.contains_key(key))
    }

    /// Whether the record is soft-deleted.
    pub fn trashed(&self) -> bool {
        M::SOFT_DELETES && self.get(DELETED_AT).is_some_and(|v| !v.is_null())
    }
}

/// A [`RowSink`](crate::executor::RowSink) that turns each row into a record.
struct Hydrator<M: ModelDef> {
    /// The names (shared by every record) and their casts, from the first call.
    columns: Option<(Arc<[String]>, Casts<M>)>,
    instances: Vec<Instance<M>>,
}

impl<M: ModelDef> crate::executor::RowSink for Hydrator<M> {
    fn columns(&mut self, columns: &Arc<[String]>) {
        if self.columns.is_none() {
            self.columns = Some((columns.clone(), Casts::for_columns(columns)));
        }
    }

    fn row(&mut self, values: &mut Vec<Value>) {
        if let Some((columns, casts)) = &self.columns {
            self.instances
                .push(Instance::from_row(columns.clone(), values.drain(..), casts));
        }
    }

    /// Values straight from the engine's cells into the record's map, no buffer between.
    #[cfg(feature = "sqlite")]
    fn row_cells(
        &mut self,
        cells: &dyn crate::executor::Cells,
        _buffer: &mut Vec<Value>,
    ) -> crate::Result<()> {
        let Some((columns, casts)) = &self.columns else {
            return Ok(());
        };
        let instance = crate::executor::with_cells(cells, |cells| {
            let values = cells.iter().map(|cell| cell.to_json());
            Instance::from_row(columns.clone(), values, casts)
        })?;
        self.instances.push(instance);
        Ok(())
    }
}

/// The casts of a result's columns, looked up once per column list (per thread, see
/// [`ColumnMemo`](super::column_memo::ColumnMemo)) rather than per result or row.
pub(crate) struct Casts<M> {
    /// `None` when no column has a cast.
    casts: Option<Arc<[Cast]>>,
    _model: PhantomData<fn() -> M>,
}

thread_local! {
    /// (model, column list) → the columns' casts.
    static CASTS: std::cell::RefCell<super::column_memo::ColumnMemo<Option<Arc<[Cast]>>>> =
        Default::default();
}

/// [`casts_of`], remembered per thread for (`model`, `columns`).
fn remembered_casts(
    model: std::any::TypeId,
    declared: &'static [Column],
    columns: &Arc<[String]>,
) -> Option<Arc<[Cast]>> {
    let make = || casts_of(declared, columns);
    // While the thread's locals are being torn down the memo is gone: compute.
    CASTS
        .try_with(|memo| memo.borrow_mut().get_or_insert(model, columns, make))
        .unwrap_or_else(|_| make())
}

/// The casts `declared` gives `columns`, or `None` when none has one. Not generic:
/// one copy serves every model.
fn casts_of(declared: &'static [Column], columns: &[String]) -> Option<Arc<[Cast]>> {
    // `SELECT *` returns the columns in table order, which is usually the order they
    // are declared in: try the declaration at the same position first.
    let cast = |i: usize, name: &str| match declared.get(i) {
        Some(column) if column.name == name => column.cast,
        _ => declared
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.cast)
            .unwrap_or_default(),
    };
    let casts: Arc<[Cast]> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| cast(i, c))
        .collect();
    casts.iter().any(|c| *c != Cast::None).then_some(casts)
}

impl<M: ModelDef> Casts<M> {
    pub(crate) fn for_columns(columns: &Arc<[String]>) -> Self {
        Casts {
            casts: remembered_casts(std::any::TypeId::of::<M>(), M::COLUMNS, columns),
            _model: PhantomData,
        }
    }

    /// The cast of column `i` (`Cast::None` when the model declares none).
    pub(crate) fn cast(&self, i: usize) -> Cast {
        match &self.casts {
            Some(casts) => casts.get(i).copied().unwrap_or(Cast::None),
            None => Cast::None,
        }
    }

    /// The casts applied to a row's values, in column order (a value the cast would
    /// leave unchanged is not touched).
    pub(crate) fn apply<'a>(
        &'a self,
        values: impl Iterator<Item = Value> + 'a,
    ) -> impl Iterator<Item = Value> + 'a {
        let casts = self.casts.as_deref().unwrap_or_default();
        values.enumerate().map(move |(i, mut value)| {
            if let Some(cast) = casts.get(i) {
                cast.read_in_place(&mut value);
            }
            value
        })
    }
}
