//! Typed reads (`all_as::<T>()`, `first_as`, `find_as`, `paginate_as`): rows
//! deserialized straight into the caller's `T: Deserialize`, with the model's casts
//! applied and no attribute map built.
//!
//! [`TypedRows`] is a [`RowSink`]: each row, as the executor steps it, becomes one `T`
//! through [`RowDeserializer`], which presents the row to serde as a map of column
//! name → value (so a struct's fields match columns by name; columns the struct
//! doesn't name are skipped) or, for a tuple, as a sequence in column order. This
//! module decodes rows only; the SQL comes from the compiler as for every read.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::RowSink;
use crate::model::{Casts, ModelDef};

/// Builds a `T` from each row; keeps the first decoding error.
pub(crate) struct TypedRows<M: ModelDef, T> {
    columns: Option<(Arc<[String]>, Casts<M>)>,
    pub(crate) rows: Vec<T>,
    error: Option<OrmError>,
    _model: PhantomData<fn() -> M>,
}

impl<M: ModelDef, T: DeserializeOwned> TypedRows<M, T> {
    pub(crate) fn new() -> Self {
        TypedRows {
            columns: None,
            rows: Vec::new(),
            error: None,
            _model: PhantomData,
        }
    }

    /// The rows, or the first row's decoding error.
    pub(crate) fn finish(self) -> Result<Vec<T>> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.rows),
        }
    }
}

impl<M: ModelDef, T: DeserializeOwned + crate::runtime::MaybeSend> RowSink for TypedRows<M, T> {
    fn columns(&mut self, columns: &Arc<[String]>) {
        if self.columns.is_none() {
            self.columns = Some((columns.clone(), Casts::for_columns(columns)));
        }
    }

    fn row(&mut self, values: &mut Vec<Value>) {
        let Some((columns, casts)) = &self.columns else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let row = RowDeserializer {
            columns,
            values: casts.apply(values.drain(..)),
        };
        match T::deserialize(row) {
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

/// One row as a serde input: a map of column → value, or a sequence of values.
struct RowDeserializer<'a, I> {
    columns: &'a [String],
    values: I,
}

impl<'de, 'a, I: Iterator<Item = Value>> de::Deserializer<'de> for RowDeserializer<'a, I> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(RowMap {
            columns: self.columns.iter(),
            values: self.values,
            column: None,
            value: None,
        })
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(RowSeq {
            values: self.values,
        })
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct map struct enum
        identifier ignored_any
    }
}

struct RowMap<'a, I> {
    columns: std::slice::Iter<'a, String>,
    values: I,
    column: Option<&'a str>,
    value: Option<Value>,
}

impl<'de, 'a, I: Iterator<Item = Value>> MapAccess<'de> for RowMap<'a, I> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let (Some(column), Some(value)) = (self.columns.next(), self.values.next()) else {
            return Ok(None);
        };
        self.column = Some(column);
        self.value = Some(value);
        let name: de::value::StrDeserializer<'_, serde_json::Error> =
            column.as_str().into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let value = self.value.take().unwrap_or(Value::Null);
        let column = self.column.unwrap_or_default();
        seed.deserialize(value)
            .map_err(|e| de::Error::custom(format!("column {column}: {e}")))
    }
}

struct RowSeq<I> {
    values: I,
}

impl<'de, I: Iterator<Item = Value>> SeqAccess<'de> for RowSeq<I> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        match self.values.next() {
            Some(value) => seed.deserialize(value).map(Some),
            None => Ok(None),
        }
    }
}
