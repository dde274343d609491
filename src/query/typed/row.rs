//! A row as serde input: by name ([`by_name`], a map of column → value, or a sequence
//! in column order for a tuple) or by position ([`by_position`], a struct's fields as a
//! sequence), and the first-row check that decides between them ([`plan`]).
//!
//! Reading by position skips the derived visitor's per-row name matching and
//! missing-field bookkeeping (about a sixth of a typed fetch). It is only used where it
//! must give what reading by name gives: every name the struct declares is exactly one
//! column's, and on a row read both ways the struct takes exactly one value per declared name
//! (a `#[serde(alias)]` adds names without fields, so it fails this and keeps the
//! struct on names), that row having decoded by name without error (so no unknown or duplicate
//! column is refused).

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess};
use serde_json::Value;

use super::field::Field;

/// The row as a map of column → value (a sequence for tuples and sequences).
pub(super) fn by_name<'c, T: DeserializeOwned>(
    columns: &[String],
    values: impl Iterator<Item = Field<'c>>,
) -> Result<T, serde_json::Error> {
    T::deserialize(ByName { columns, values })
}

#[cfg(feature = "sqlite")]
/// The row as the sequence of `T`'s fields: field `k` from the column at
/// `positions[k]`; `field(i)` gives column `i`'s value. Returns how many values `T`
/// took beside the result.
pub(super) fn by_position<'c, T: DeserializeOwned>(
    columns: &[String],
    positions: &[usize],
    field: impl FnMut(usize) -> Field<'c>,
) -> (Result<T, serde_json::Error>, usize) {
    let mut seq = Positional {
        columns,
        positions: positions.iter(),
        field,
        taken: 0,
    };
    let decoded = T::deserialize(ByPosition { seq: &mut seq });
    (decoded, seq.taken)
}

#[cfg(feature = "sqlite")]
/// The positions [`by_position`] would read `T`'s fields from, when `T` is a struct
/// whose every declared name (aliases included) is exactly one of `columns`; `None`
/// otherwise (read by name).
pub(super) fn positions<T: DeserializeOwned>(columns: &[String]) -> Option<Vec<usize>> {
    let mut fields = None;
    // The probe only records the names and fails: nothing is decoded.
    let _ = T::deserialize(FieldsProbe {
        fields: &mut fields,
    });
    let fields = fields?;
    fields
        .iter()
        .map(|name| {
            let mut matches = (columns.iter().enumerate()).filter(|(_, c)| c == name);
            match (matches.next(), matches.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        })
        .collect()
}

struct ByName<'a, I> {
    columns: &'a [String],
    values: I,
}

impl<'de, 'c, I: Iterator<Item = Field<'c>>> de::Deserializer<'de> for ByName<'_, I> {
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
        let names = self.columns.iter().map(String::as_str);
        visitor.visit_seq(Fields {
            values: names.zip(self.values),
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

#[cfg(feature = "sqlite")]
struct ByPosition<'s, 'a, F> {
    seq: &'s mut Positional<'a, F>,
}

#[cfg(feature = "sqlite")]
impl<'de, 'c, F: FnMut(usize) -> Field<'c>> de::Deserializer<'de> for ByPosition<'_, '_, F> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(self.seq)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        struct enum identifier ignored_any
    }
}

/// A struct's fields as a sequence: field `k` is `field(positions[k])`. The column's
/// name is looked up only for an error's message. Counts the values taken.
#[cfg(feature = "sqlite")]
struct Positional<'a, F> {
    columns: &'a [String],
    positions: std::slice::Iter<'a, usize>,
    field: F,
    taken: usize,
}

#[cfg(feature = "sqlite")]
impl<'de, 'c, F: FnMut(usize) -> Field<'c>> SeqAccess<'de> for Positional<'_, F> {
    type Error = serde_json::Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        let Some(&i) = self.positions.next() else {
            return Ok(None);
        };
        self.taken += 1;
        seed.deserialize((self.field)(i))
            .map(Some)
            .map_err(|e| in_column(self.columns.get(i).map_or("?", String::as_str), e))
    }
}

struct RowMap<'a, 'c, I> {
    columns: std::slice::Iter<'a, String>,
    values: I,
    column: Option<&'a str>,
    value: Option<Field<'c>>,
}

impl<'de, 'a, 'c, I: Iterator<Item = Field<'c>>> MapAccess<'de> for RowMap<'a, 'c, I> {
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
        let value = self.value.take().unwrap_or(Field::Json(Value::Null));
        let column = self.column.unwrap_or_default();
        seed.deserialize(value).map_err(|e| in_column(column, e))
    }
}

/// Values as a sequence, each with its column's name for errors (a tuple read by
/// name). Reading a struct by position has its own sequence, [`Positional`], which
/// looks names up only for errors: built per field, the name cost 4% of a typed fetch,
/// and one sequence for both (over `(index, value)` pairs) measured 2.6% slower.
struct Fields<I> {
    values: I,
}

impl<'de, 'c, 'n, I: Iterator<Item = (&'n str, Field<'c>)>> SeqAccess<'de> for Fields<I> {
    type Error = serde_json::Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        match self.values.next() {
            Some((column, value)) => seed
                .deserialize(value)
                .map(Some)
                .map_err(|e| in_column(column, e)),
            None => Ok(None),
        }
    }
}

fn in_column(column: &str, e: serde_json::Error) -> serde_json::Error {
    de::Error::custom(format!("column {column}: {e}"))
}

#[cfg(feature = "sqlite")]
/// Records the names a struct declares (`deserialize_struct`'s `fields`) and fails.
struct FieldsProbe<'a> {
    fields: &'a mut Option<&'static [&'static str]>,
}

#[cfg(feature = "sqlite")]
impl<'de> de::Deserializer<'de> for FieldsProbe<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.fields = Some(fields);
        Err(de::Error::custom("probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        title: String,
        id: i64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Aliased {
        #[serde(alias = "status")]
        title: String,
        id: i64,
    }

    fn fields<'c>(values: &'c [Value]) -> impl FnMut(usize) -> Field<'c> + 'c {
        |i| Field::Json(values[i].clone())
    }

    #[test]
    fn positions_need_every_name_once() {
        let cols = columns(&["id", "title", "status"]);
        assert_eq!(positions::<Row>(&cols), Some(vec![1, 0]));
        assert_eq!(positions::<Row>(&columns(&["id"])), None, "title missing");
        assert_eq!(
            positions::<Row>(&columns(&["id", "title", "title"])),
            None,
            "title twice"
        );
        assert_eq!(positions::<(i64, String)>(&cols), None, "not a struct");
        // An alias is a name: present here, so positions exist — but the struct takes
        // fewer values than names, which keeps it on names.
        let positions = positions::<Aliased>(&cols).unwrap();
        assert_eq!(positions.len(), 3, "title, its alias, id");
        let values = [json_i(7), Value::from("t"), Value::from("s")];
        let (decoded, taken) = by_position::<Aliased>(&cols, &positions, fields(&values));
        assert!(decoded.is_err() || taken != positions.len());
    }

    #[test]
    fn by_position_reads_fields_in_declaration_order() {
        let cols = columns(&["id", "title"]);
        let values = [json_i(7), Value::from("t")];
        let positions = positions::<Row>(&cols).unwrap();
        let (row, taken) = by_position::<Row>(&cols, &positions, fields(&values));
        assert_eq!(
            (row.unwrap(), taken),
            (
                Row {
                    title: "t".into(),
                    id: 7
                },
                2
            )
        );
        let by_name: Row = by_name(&cols, values.iter().cloned().map(Field::Json)).unwrap();
        assert_eq!(
            by_name,
            Row {
                title: "t".into(),
                id: 7
            }
        );
    }

    fn json_i(i: i64) -> Value {
        Value::from(i)
    }
}
