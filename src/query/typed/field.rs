//! [`Field`]: one column's value as a serde input — an engine cell the model's cast
//! leaves as it is, read without a `serde_json::Value`, or the cast attribute value.

use serde::de;
use serde_json::Value;

#[cfg(feature = "sqlite")]
use crate::executor::Cell;
#[cfg(feature = "sqlite")]
use crate::model::Cast;

/// One column's value for serde: an engine cell the model's cast leaves as it is, or
/// the attribute value (cast applied). Only the SQLite executor hands out cells; without
/// it a field is always a value (and the Worker ships no cell decoding per type).
pub(super) enum Field<'a> {
    #[cfg(feature = "sqlite")]
    Cell(Cell<'a>),
    /// A text cell, checked as UTF-8.
    #[cfg(feature = "sqlite")]
    Str(&'a str),
    Json(Value),
    /// Keeps the lifetime without cells; never built.
    #[cfg(not(feature = "sqlite"))]
    #[allow(dead_code)]
    Never(std::convert::Infallible, std::marker::PhantomData<&'a ()>),
}

impl<'a> Field<'a> {
    /// `cell` as the cast reads it: the cell itself where the cast would not change
    /// it (no cast, NULL, an integer as integer, a finite real as real, valid UTF-8
    /// text as text), otherwise its attribute value through the cast.
    #[cfg(feature = "sqlite")]
    #[inline]
    pub(super) fn of(cell: Cell<'a>, cast: Cast) -> Self {
        let unchanged = match (cast, cell) {
            (Cast::None | Cast::Text, Cell::Text(t)) => match std::str::from_utf8(t) {
                Ok(text) => return Field::Str(text),
                Err(_) => false,
            },
            (_, Cell::Real(f)) if !f.is_finite() => false,
            (_, Cell::Blob(_) | Cell::Text(_)) => false,
            (Cast::None, _) | (_, Cell::Null) => true,
            (Cast::Integer, Cell::Integer(_)) => true,
            (Cast::Real, Cell::Real(_)) => true,
            _ => false,
        };
        if unchanged {
            Field::Cell(cell)
        } else {
            let mut value = cell.to_json();
            cast.read_in_place(&mut value);
            Field::Json(value)
        }
    }
}

impl<'de> de::Deserializer<'de> for Field<'_> {
    type Error = serde_json::Error;

    #[inline]
    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Json(value) => de::Deserializer::deserialize_any(value, visitor),
            #[cfg(feature = "sqlite")]
            Field::Cell(Cell::Null) => visitor.visit_unit(),
            #[cfg(feature = "sqlite")]
            Field::Cell(Cell::Integer(i)) => visitor.visit_i64(i),
            #[cfg(feature = "sqlite")]
            Field::Cell(Cell::Real(f)) => visitor.visit_f64(f),
            #[cfg(feature = "sqlite")]
            Field::Str(text) => visitor.visit_str(text),
            // `Field::of` passes text as `Str` and blobs as values.
            #[cfg(feature = "sqlite")]
            Field::Cell(cell @ (Cell::Text(_) | Cell::Blob(_))) => {
                de::Deserializer::deserialize_any(cell.to_json(), visitor)
            }
            #[cfg(not(feature = "sqlite"))]
            Field::Never(never, _) => match never {},
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Field::Json(value) => de::Deserializer::deserialize_option(value, visitor),
            #[cfg(feature = "sqlite")]
            Field::Cell(Cell::Null) => visitor.visit_none(),
            #[cfg(feature = "sqlite")]
            cell => visitor.visit_some(cell),
            #[cfg(not(feature = "sqlite"))]
            Field::Never(never, _) => match never {},
        }
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Field::Json(value) => value.deserialize_enum(name, variants, visitor),
            #[cfg(feature = "sqlite")]
            Field::Str(text) => {
                Value::String(text.to_owned()).deserialize_enum(name, variants, visitor)
            }
            #[cfg(feature = "sqlite")]
            Field::Cell(cell) => cell.to_json().deserialize_enum(name, variants, visitor),
            #[cfg(not(feature = "sqlite"))]
            Field::Never(never, _) => match never {},
        }
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}
