//! Column declarations and casts: the Rust form of a roostjs model's `static columns`.
//!
//! A cast turns the stored value into the attribute a handler sees (and back when bound):
//! SQLite and D1 store booleans as 0/1 and JSON as text, so without casts a handler
//! would return `1` and `"{\"a\":1}"`. Casts are applied once, when a row is read
//! (hydration), so attributes and dirty tracking always hold the cast form.

use serde_json::Value;

use crate::error::Result;
use crate::value::SqlValue;

/// The SQL type of a column (its SQLite affinity / D1 type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// INTEGER
    Integer,
    /// REAL
    Real,
    /// TEXT
    Text,
    /// BLOB
    Blob,
    /// NUMERIC
    Numeric,
}

impl ColumnType {
    /// The SQL spelling.
    pub const fn sql(self) -> &'static str {
        match self {
            ColumnType::Integer => "INTEGER",
            ColumnType::Real => "REAL",
            ColumnType::Text => "TEXT",
            ColumnType::Blob => "BLOB",
            ColumnType::Numeric => "NUMERIC",
        }
    }
}

/// A cast's two directions as functions (see [`Cast::Converted`]).
pub struct Conversion {
    /// The cast's name, for messages and comparison.
    pub(crate) name: &'static str,
    /// A stored value as the attribute.
    pub(crate) read: fn(Value) -> Value,
    /// A caller's value as bound for `column` (which holds a one-of's values and a
    /// decimal's scale).
    pub(crate) write: fn(&Value, &Column) -> Result<SqlValue>,
}

/// A custom cast (Laravel's `CastsAttributes`): how a stored value becomes the
/// attribute, and how a caller's value is checked and turned into what is stored.
/// Declare it on a column with [`Column::cast_with`] and [`Conversion::of`].
///
/// ```
/// use roost_orm::model::column::{CastsAttributes, Conversion};
/// use roost_orm::model::Column;
/// use roost_orm::{OrmError, SqlValue};
/// use serde_json::{json, Value};
///
/// /// Stored as lower-case text; anything but a string is refused.
/// struct Lowercase;
/// impl CastsAttributes for Lowercase {
///     const NAME: &'static str = "lowercase";
///     fn get(stored: Value) -> Value {
///         stored
///     }
///     fn set(value: &Value) -> roost_orm::Result<SqlValue> {
///         match value.as_str() {
///             Some(s) => Ok(SqlValue::Text(s.to_lowercase())),
///             None => Err(OrmError::InvalidAttributes(format!("{value} is not text"))),
///         }
///     }
/// }
/// const LOWERCASE: Conversion = Conversion::of::<Lowercase>();
/// let email = Column::text("email").cast_with(&LOWERCASE);
/// assert_eq!(email.bind(&json!("Ada@X")).unwrap(), SqlValue::Text("ada@x".into()));
/// assert!(email.bind(&json!(1)).is_err());
/// ```
pub trait CastsAttributes {
    /// The cast's name (for messages; two casts with one name compare equal).
    const NAME: &'static str;
    /// A stored value (never NULL) as the attribute.
    fn get(stored: Value) -> Value;
    /// A caller's value (never NULL) as bound, or an error before any SQL.
    fn set(value: &Value) -> Result<SqlValue>;
}

impl Conversion {
    /// The conversion of custom cast `C`.
    pub const fn of<C: CastsAttributes>() -> Conversion {
        Conversion {
            name: C::NAME,
            read: C::get,
            write: |value, _| C::set(value),
        }
    }
}

impl std::fmt::Debug for Conversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Conversion {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Conversion {}

/// How a stored value becomes an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cast {
    /// As stored.
    #[default]
    None,
    /// 0/1 → `false`/`true`; binds `true`/`false` as 1/0.
    Boolean,
    /// JSON text → JSON value; binds any value as its JSON text.
    Json,
    /// → integer (REAL truncated, numeric text parsed).
    Integer,
    /// → float.
    Real,
    /// → string (numbers printed).
    Text,
    /// Bytes: an array of byte numbers binds as a BLOB.
    Blob,
    /// A conversion of its own — date-time, date, Unix timestamp, one-of, decimal —
    /// made by [`Column::datetime`], [`Column::date`], [`Column::unix_timestamp`],
    /// [`Column::one_of`], [`Column::decimal`]. Behind a pointer, so a Worker whose
    /// models declare none of them links none of their code.
    Converted(&'static Conversion),
}

impl Cast {
    /// Apply the cast in place: like [`Cast::read`], but a value the cast would return
    /// unchanged (an integer under `Integer`, text under `Text`, `null`) is not touched.
    pub fn read_in_place(self, value: &mut Value) {
        let unchanged = match (self, &*value) {
            (Cast::None, _) | (_, Value::Null) => true,
            (Cast::Integer, Value::Number(n)) => n.is_i64(),
            (Cast::Real, Value::Number(n)) => n.is_f64(),
            (Cast::Text, Value::String(_)) => true,
            _ => false,
        };
        if !unchanged {
            *value = self.read(std::mem::take(value));
        }
    }

    /// Apply the cast to a value read from the database.
    pub fn read(self, value: Value) -> Value {
        match (self, value) {
            (_, Value::Null) => Value::Null,
            (Cast::Boolean, Value::Number(n)) => Value::Bool(n.as_f64().is_some_and(|f| f != 0.0)),
            (Cast::Boolean, Value::String(s)) => match s.as_str() {
                "1" | "true" => Value::Bool(true),
                "0" | "false" | "" => Value::Bool(false),
                _ => Value::String(s),
            },
            (Cast::Json, Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
            // A REAL within i64's range truncates; one outside it is kept as it is
            // (saturating to i64::MAX would show a value that isn't stored).
            (Cast::Integer, Value::Number(n)) if n.as_i64().is_none() => match n.as_f64() {
                Some(f)
                    if f.is_finite()
                        && f.trunc() >= -9.223_372_036_854_776e18
                        && f.trunc() < 9.223_372_036_854_776e18 =>
                {
                    Value::from(f.trunc() as i64)
                }
                _ => Value::Number(n),
            },
            (Cast::Integer, Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => Value::String(s),
            },
            (Cast::Integer, Value::Bool(b)) => Value::from(i64::from(b)),
            (Cast::Real, Value::Number(n)) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::Number(n)),
            (Cast::Real, Value::String(s)) => match s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => Value::String(s),
            },
            (Cast::Text, Value::Number(n)) => Value::String(n.to_string()),
            (Cast::Text, Value::Bool(b)) => Value::String(b.to_string()),
            (Cast::Converted(conversion), v) => (conversion.read)(v),
            (_, v) => v,
        }
    }

    /// The bound form of an attribute for a column with this cast. An integer outside
    /// SQLite's range is [`OrmError::ValueOutOfRange`](crate::OrmError::ValueOutOfRange).
    pub fn write(self, value: &Value) -> Result<SqlValue> {
        Ok(match (self, value) {
            (_, Value::Null) => SqlValue::Null,
            (Cast::Json, v) => SqlValue::Text(v.to_string()),
            (Cast::Blob, Value::Array(items)) => {
                let bytes: Option<Vec<u8>> = items
                    .iter()
                    .map(|i| i.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect();
                match bytes {
                    Some(b) => SqlValue::Blob(b),
                    None => SqlValue::from_json(value)?,
                }
            }
            (Cast::Blob, Value::String(s)) => SqlValue::Blob(s.as_bytes().to_vec()),
            // Without its column (a one-of's values, a decimal's scale): as a bare one.
            (Cast::Converted(conversion), v) => {
                (conversion.write)(v, &Column::new("", ColumnType::Text))?
            }
            (_, v) => SqlValue::from_json(v)?,
        })
    }
}

/// One declared column.
///
/// ```
/// use roost_orm::model::Column;
/// const COLUMNS: &[Column] = &[
///     Column::integer("id"),
///     Column::text("title"),
///     Column::boolean("published").default("0"),
///     Column::json("meta").nullable(),
/// ];
/// assert_eq!(COLUMNS[2].sql_type.sql(), "INTEGER");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: &'static str,
    /// SQL type.
    pub sql_type: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// SQL default expression, if any.
    pub default: Option<&'static str>,
    /// Read/write cast.
    pub cast: Cast,
    /// The values a [`Column::one_of`] column takes (empty otherwise).
    pub allowed: &'static [&'static str],
    /// The decimals of a [`Column::decimal`] column.
    pub scale: u8,
}

impl Column {
    /// A column of any type, not null, no default, no cast.
    pub const fn new(name: &'static str, sql_type: ColumnType) -> Self {
        Column {
            name,
            sql_type,
            nullable: false,
            default: None,
            cast: Cast::None,
            allowed: &[],
            scale: 0,
        }
    }

    /// INTEGER, cast to integer.
    pub const fn integer(name: &'static str) -> Self {
        Self::new(name, ColumnType::Integer).cast(Cast::Integer)
    }

    /// REAL, cast to float.
    pub const fn real(name: &'static str) -> Self {
        Self::new(name, ColumnType::Real).cast(Cast::Real)
    }

    /// TEXT.
    pub const fn text(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// BLOB (arrays of byte numbers).
    pub const fn blob(name: &'static str) -> Self {
        Self::new(name, ColumnType::Blob).cast(Cast::Blob)
    }

    /// INTEGER 0/1, cast to boolean.
    pub const fn boolean(name: &'static str) -> Self {
        Self::new(name, ColumnType::Integer).cast(Cast::Boolean)
    }

    /// TEXT holding JSON, cast to a JSON value.
    pub const fn json(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text).cast(Cast::Json)
    }

    /// TEXT holding an ISO-8601 timestamp, as written (no cast; see
    /// [`datetime`](Self::datetime) for one that checks and normalizes).
    pub const fn timestamp(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text)
    }

    /// TEXT holding a UTC date-time (`2026-12-04T09:30:00.000Z`), cast as
    /// `Cast::Converted`: a caller's RFC 3339 / `YYYY-MM-DD HH:MM:SS` / Unix-seconds
    /// value is normalized, anything else refused (Laravel `datetime`).
    pub const fn datetime(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text).cast(Cast::Converted(&crate::model::casts::DATETIME))
    }

    /// TEXT holding a date (`2026-12-04`), cast as `Cast::Converted`.
    pub const fn date(name: &'static str) -> Self {
        Self::new(name, ColumnType::Text).cast(Cast::Converted(&crate::model::casts::DATE))
    }

    /// INTEGER Unix seconds, cast as `Cast::Converted` (Laravel `timestamp`).
    pub const fn unix_timestamp(name: &'static str) -> Self {
        Self::new(name, ColumnType::Integer).cast(Cast::Converted(&crate::model::casts::UNIX))
    }

    /// TEXT restricted to `allowed` (Laravel's enum cast): writing another value is
    /// [`OrmError::InvalidAttributes`](crate::OrmError::InvalidAttributes).
    pub const fn one_of(name: &'static str, allowed: &'static [&'static str]) -> Self {
        let mut column =
            Self::new(name, ColumnType::Text).cast(Cast::Converted(&crate::model::casts::ONE_OF));
        column.allowed = allowed;
        column
    }

    /// TEXT decimal with exactly `scale` decimals (Laravel `decimal:2`): exact, never
    /// through a float.
    pub const fn decimal(name: &'static str, scale: u8) -> Self {
        let mut column =
            Self::new(name, ColumnType::Text).cast(Cast::Converted(&crate::model::casts::DECIMAL));
        column.scale = scale;
        column
    }

    /// Allow NULL.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Set the SQL default expression.
    pub const fn default(mut self, sql: &'static str) -> Self {
        self.default = Some(sql);
        self
    }

    /// Cast with a custom [`Conversion`] (see [`CastsAttributes`]).
    pub const fn cast_with(self, conversion: &'static Conversion) -> Self {
        self.cast(Cast::Converted(conversion))
    }

    /// Set the cast.
    pub const fn cast(mut self, cast: Cast) -> Self {
        self.cast = cast;
        self
    }

    /// The bound value of a caller's `value` for this column: the one rule every
    /// condition (`where_`, `where_in`, ...), write and relation key goes through, so
    /// they all agree on what a value means. The cast's write form, then the column's
    /// TEXT affinity for an integer (SQLite applies affinity to `column = ?` but not
    /// to the values of `IN (SELECT value FROM json_each(?))`, so without it the number
    /// `5` would find the text `'5'` through `where_` and not through `where_in`).
    ///
    /// ```
    /// use roost_orm::model::Column;
    /// use roost_orm::SqlValue;
    /// use serde_json::json;
    /// assert_eq!(Column::text("code").bind(&json!(5)).unwrap(), SqlValue::Text("5".into()));
    /// assert_eq!(Column::json("meta").bind(&json!("x")).unwrap(), SqlValue::Text("\"x\"".into()));
    /// assert!(Column::integer("n").bind(&json!(u64::MAX)).is_err());
    /// ```
    pub fn bind(&self, value: &Value) -> Result<SqlValue> {
        if let (Cast::Converted(conversion), false) = (self.cast, value.is_null()) {
            return (conversion.write)(value, self);
        }
        Ok(match (self.sql_type, self.cast.write(value)?) {
            (ColumnType::Text, SqlValue::Integer(n)) => SqlValue::Text(n.to_string()),
            (_, bound) => bound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn in_place_reads_match_reads() {
        use serde_json::json;
        let casts = [
            Cast::None,
            Cast::Boolean,
            Cast::Json,
            Cast::Integer,
            Cast::Real,
            Cast::Text,
            Cast::Blob,
        ];
        let values = [
            json!(null),
            json!(0),
            json!(7),
            json!(-7),
            json!(u64::MAX),
            json!(1.5),
            json!("1"),
            json!("text"),
            json!("{\"a\":1}"),
            json!(true),
            json!([1, 2]),
        ];
        for cast in casts {
            for value in &values {
                let mut in_place = value.clone();
                cast.read_in_place(&mut in_place);
                assert_eq!(in_place, cast.read(value.clone()), "{cast:?} {value}");
            }
        }
    }

    #[test]
    fn casts_read_stored_forms() {
        assert_eq!(Cast::Boolean.read(json!(1)), json!(true));
        assert_eq!(Cast::Boolean.read(json!(0)), json!(false));
        assert_eq!(
            Cast::Json.read(json!("{\"a\":[1,2]}")),
            json!({"a": [1, 2]})
        );
        assert_eq!(Cast::Json.read(json!("not json")), json!("not json"));
        assert_eq!(Cast::Integer.read(json!("42")), json!(42));
        assert_eq!(Cast::Integer.read(json!(2.9)), json!(2));
        assert_eq!(Cast::Real.read(json!(2)), json!(2.0));
        assert_eq!(Cast::Text.read(json!(5)), json!("5"));
        assert_eq!(Cast::Boolean.read(json!(null)), json!(null));
    }

    #[test]
    fn casts_bind_attribute_forms() {
        let write = |cast: Cast, v: Value| cast.write(&v).unwrap();
        assert_eq!(write(Cast::Boolean, json!(true)), SqlValue::Integer(1));
        assert_eq!(write(Cast::Json, json!([1])), SqlValue::Text("[1]".into()));
        assert_eq!(
            write(Cast::Json, json!("s")),
            SqlValue::Text("\"s\"".into())
        );
        assert_eq!(
            write(Cast::Blob, json!([0, 255])),
            SqlValue::Blob(vec![0, 255])
        );
        assert_eq!(
            write(Cast::Blob, json!([0, 256])),
            SqlValue::Text("[0,256]".into())
        );
        assert!(Cast::Integer.write(&json!(u64::MAX)).is_err());
        assert!(Cast::None.write(&json!(u64::MAX)).is_err());
        // JSON text of a huge number is text: the value is kept exactly.
        assert_eq!(
            write(Cast::Json, json!(u64::MAX)),
            SqlValue::Text(u64::MAX.to_string())
        );
    }

    #[test]
    fn integer_casts_never_saturate() {
        assert_eq!(Cast::Integer.read(json!(1e19)), json!(1e19));
        assert_eq!(Cast::Integer.read(json!(-2.5)), json!(-2));
    }

    #[test]
    fn binding_applies_text_affinity_to_integers() {
        assert_eq!(
            Column::text("c").bind(&json!(5)).unwrap(),
            SqlValue::Text("5".into())
        );
        assert_eq!(
            Column::text("c").bind(&json!(true)).unwrap(),
            SqlValue::Text("1".into())
        );
        assert_eq!(
            Column::integer("c").bind(&json!("5")).unwrap(),
            SqlValue::Text("5".into())
        );
        assert_eq!(
            Column::text("c").bind(&json!(1.5)).unwrap(),
            SqlValue::Real(1.5)
        );
    }
}
