//! Typed reads (`all_as::<T>()`, `first_as`, `find_as`, `paginate_as`): rows
//! deserialized straight into the caller's `T: Deserialize`, with the model's casts
//! applied and no attribute map built.
//!
//! [`TypedRows`] is a [`RowSink`]: each row, as the executor steps it, becomes one `T`.
//! A row is presented to serde as a map of column name → value (so a struct's fields
//! match columns by name; columns the struct doesn't name are skipped) or, for a tuple,
//! as a sequence in column order; a struct whose names all match columns one to one is
//! read by position from its third row on ([`row`]). On a synchronous executor (SQLite)
//! the values are the engine's cells, read straight into the fields: an integer or a
//! text the model's cast leaves as it is never becomes a `serde_json::Value`; a value
//! the cast changes goes through the cast as an attribute would ([`field`]). This
//! module decodes rows only; the SQL comes from the compiler as for every read.

mod field;
mod row;

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::RowSink;
#[cfg(feature = "sqlite")]
use crate::executor::{with_cells, Cells};
use crate::model::{Casts, ColumnMemo, ModelDef};
use field::Field;

/// Builds a `T` from each row; keeps the first decoding error.
pub(crate) struct TypedRows<M: ModelDef, T> {
    columns: Option<(Arc<[String]>, Casts<M>)>,
    plan: Plan,
    /// The plan's stage as the memo gave it: a later stage is remembered at the end.
    start: std::mem::Discriminant<Plan>,
    pub(crate) rows: Vec<T>,
    error: Option<OrmError>,
    _model: PhantomData<fn() -> M>,
}

/// Decode one row by `plan`; `field(i)` gives column `i`'s value (called twice for a
/// column of the second row, which is decoded both ways to decide the plan).
#[cfg_attr(not(feature = "sqlite"), allow(unused_mut))]
fn decode<'c, T: DeserializeOwned>(
    columns: &[String],
    plan: &mut Plan,
    width: usize,
    mut field: impl FnMut(usize) -> Field<'c>,
) -> std::result::Result<T, serde_json::Error> {
    match plan {
        #[cfg(feature = "sqlite")]
        Plan::ByPosition(positions) => row::by_position(columns, positions, field).0,
        Plan::ByName => row::by_name(columns, (0..width).map(field)),
        Plan::Unknown => {
            // A one-row read (find, first) never pays for deciding.
            *plan = Plan::Second;
            row::by_name(columns, (0..width).map(field))
        }
        // Reading by position is an embedded-engine speed-up; on D1 the network costs
        // far more, and the Worker ships one decoder less per type.
        #[cfg(not(feature = "sqlite"))]
        Plan::Second => {
            *plan = Plan::ByName;
            row::by_name(columns, (0..width).map(field))
        }
        #[cfg(feature = "sqlite")]
        Plan::Second => {
            let decoded = row::by_name(columns, (0..width).map(&mut field));
            // A row that fails by name decides nothing: the next one is read both ways.
            if decoded.is_ok() {
                *plan = Plan::ByName;
                if let Some(positions) = row::positions::<T>(columns) {
                    let (again, taken) = row::by_position::<T>(columns, &positions, field);
                    if again.is_ok() && taken == positions.len() {
                        *plan = Plan::ByPosition(positions.into());
                    }
                }
            }
            decoded
        }
    }
}

/// How a row becomes a `T`, decided on the second row read with a column list (in
/// this result or an earlier one: the plan is remembered per thread for the type and
/// the list, so repeated one-row reads are read by position from the third on).
#[derive(Clone)]
enum Plan {
    /// The first row: read by name.
    Unknown,
    /// The second row: read by name, then by position to decide.
    Second,
    /// Columns by name, as a map (any `T`; the reference behaviour).
    ByName,
    /// A struct's fields in declaration order, field `k` from column `positions[k]`
    /// (see [`row`] for when this gives what `ByName` gives).
    #[cfg(feature = "sqlite")]
    ByPosition(Arc<[usize]>),
}

thread_local! {
    /// ((model, row type), column list) → how its rows are read.
    static PLANS: RefCell<ColumnMemo<Plan>> = Default::default();
}

impl<M: ModelDef, T: DeserializeOwned> TypedRows<M, T> {
    pub(crate) fn new() -> Self {
        TypedRows {
            columns: None,
            plan: Plan::Unknown,
            start: std::mem::discriminant(&Plan::Unknown),
            rows: Vec::new(),
            error: None,
            _model: PhantomData,
        }
    }

    /// The rows, or the first row's decoding error.
    pub(crate) fn finish(self) -> Result<Vec<T>> {
        if let Some((columns, _)) = &self.columns {
            if std::mem::discriminant(&self.plan) != self.start {
                let plan = self.plan.clone();
                // Without the memo (threads' locals torn down) the next read decides again.
                let _ = PLANS
                    .try_with(|memo| memo.borrow_mut().set(typeid::of::<(M, T)>(), columns, plan));
            }
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.rows),
        }
    }

    /// Keep a decoded row, or the first decoding error.
    fn keep(&mut self, decoded: std::result::Result<T, serde_json::Error>) {
        match decoded {
            Ok(t) => self.rows.push(t),
            Err(e) => {
                self.error = Some(OrmError::Decode {
                    key: std::any::type_name::<T>().to_string(),
                    message: e.to_string(),
                })
            }
        }
    }
}

impl<M: ModelDef, T: DeserializeOwned + crate::runtime::MaybeSend> RowSink for TypedRows<M, T> {
    fn columns(&mut self, columns: &Arc<[String]>) {
        if self.columns.is_none() {
            self.columns = Some((columns.clone(), Casts::for_columns(columns)));
            let known = PLANS.try_with(|memo| {
                memo.borrow_mut()
                    .get_or_insert(typeid::of::<(M, T)>(), columns, || Plan::Unknown)
            });
            // Without the memo, decide within this result.
            self.plan = known.unwrap_or(Plan::Unknown);
            self.start = std::mem::discriminant(&self.plan);
        }
    }

    fn row(&mut self, values: &mut Vec<Value>) {
        let Some((columns, casts)) = &self.columns else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        for (i, value) in values.iter_mut().enumerate() {
            casts.cast(i).read_in_place(value);
        }
        let twice = matches!(self.plan, Plan::Second);
        let decoded = decode(columns, &mut self.plan, values.len(), |i| match twice {
            // The second row is read twice: keep the values for the second reading.
            true => Field::Json(values[i].clone()),
            false => Field::Json(std::mem::take(&mut values[i])),
        });
        values.clear();
        self.keep(decoded);
    }

    #[cfg(feature = "sqlite")]
    fn row_cells(&mut self, cells: &dyn Cells, _buffer: &mut Vec<Value>) -> Result<()> {
        let Some((columns, casts)) = &self.columns else {
            return Ok(());
        };
        if self.error.is_some() {
            return Ok(());
        }
        let plan = &mut self.plan;
        let decoded = with_cells(cells, |cells| {
            decode(columns, plan, cells.len(), |i| {
                Field::of(cells[i], casts.cast(i))
            })
        })?;
        self.keep(decoded);
        Ok(())
    }
}
