//! Single-value terminals of [`QueryBuilder`]: aggregates (`count_column`, `sum`,
//! `avg`, `min`, `max`), `exists`, `pluck`, `value`, and the record shortcuts
//! `find_many`, `sole`, `first_where`. One statement each, with the query's conditions
//! and scopes; values come back through the column's cast and decode into the type
//! asked for.

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::QueryResult;
use crate::model::{cast_of, Cast, Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{Aggregate, Ident, Projection};
use crate::query::compiler;

/// `value` decoded into `T`; NULL is `None`.
fn decode<T: DeserializeOwned>(key: &str, value: Value) -> Result<Option<T>> {
    if value.is_null() {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| OrmError::Decode {
            key: key.to_string(),
            message: e.to_string(),
        })
}

/// The cast of a column `ident` of `M` names (its bare name; `M`'s own table only).
fn cast_for<M: ModelDef>(ident: &Ident) -> Cast {
    cast_of::<M>(ident.parts().1)
}

/// The first value of every row, the cast applied.
fn first_values(result: QueryResult, cast: Cast) -> impl Iterator<Item = Value> {
    result.into_rows().map(move |row| {
        let mut value = row.into_iter().next().unwrap_or(Value::Null);
        cast.read_in_place(&mut value);
        value
    })
}

impl<M: ModelDef> QueryBuilder<M> {
    /// `SELECT FUNC(column)` over the matching rows (order, limit and offset don't
    /// apply, as for `count`), the raw value.
    async fn aggregate_value(
        mut self,
        function: Aggregate,
        column: Option<Ident>,
    ) -> Result<Value> {
        let orm = Orm::current_for::<M>()?;
        if !self.groups.is_empty() || !self.having.is_empty() {
            return Err(OrmError::InvalidQuery(format!(
                "{}() of a grouped query: select the aggregate per group with select_aggregate \
                 and read the groups with all() / all_as()",
                function.sql().to_ascii_lowercase()
            )));
        }
        // On the builder, so take_select verifies the column's table like any other.
        self.columns = vec![Projection::Aggregate {
            function,
            column,
            alias: Ident::trusted_static("aggregate"),
        }];
        let mut select = self.take_select(&orm)?;
        select.orders.clear();
        select.limit = None;
        select.offset = None;
        let result = orm.run(&compiler::select(&select)).await?;
        Ok(first_values(result, Cast::None)
            .next()
            .unwrap_or(Value::Null))
    }

    async fn aggregate_of<T: DeserializeOwned>(
        self,
        function: Aggregate,
        column: &str,
        cast: bool,
    ) -> Result<Option<T>> {
        let ident = self.check_col(column);
        let (ident, cast) = match ident {
            Ok(ident) => {
                let read = if cast {
                    cast_for::<M>(&ident)
                } else {
                    Cast::None
                };
                (ident, read)
            }
            Err(e) => return Err(e),
        };
        let mut value = self.aggregate_value(function, Some(ident)).await?;
        cast.read_in_place(&mut value);
        decode(column, value)
    }

    /// `COUNT(column)`: the matching rows where `column` is not NULL (Laravel
    /// `count($column)`).
    pub async fn count_column(self, column: &str) -> Result<u64> {
        Ok(self
            .aggregate_of::<u64>(Aggregate::Count, column, false)
            .await?
            .unwrap_or(0))
    }

    /// `SUM(column)` of the matching rows, or `None` when there are none (Laravel
    /// `sum`): `Post::query().sum::<i64>("views")`.
    pub async fn sum<T: DeserializeOwned>(self, column: &str) -> Result<Option<T>> {
        self.aggregate_of(Aggregate::Sum, column, false).await
    }

    /// `AVG(column)`, or `None` on an empty set (Laravel `avg`).
    pub async fn avg<T: DeserializeOwned>(self, column: &str) -> Result<Option<T>> {
        self.aggregate_of(Aggregate::Avg, column, false).await
    }

    /// `MIN(column)` through the column's cast, or `None` (Laravel `min`).
    pub async fn min<T: DeserializeOwned>(self, column: &str) -> Result<Option<T>> {
        self.aggregate_of(Aggregate::Min, column, true).await
    }

    /// `MAX(column)` through the column's cast, or `None` (Laravel `max`).
    pub async fn max<T: DeserializeOwned>(self, column: &str) -> Result<Option<T>> {
        self.aggregate_of(Aggregate::Max, column, true).await
    }

    /// Whether any record matches (Laravel `exists`): `SELECT EXISTS (...)`.
    pub async fn exists(mut self) -> Result<bool> {
        let orm = Orm::current_for::<M>()?;
        let select = self.take_select(&orm)?;
        let result = orm.run(&compiler::exists(&select)).await?;
        Ok(first_values(result, Cast::Boolean).next() == Some(Value::Bool(true)))
    }

    /// Whether no record matches (Laravel `doesntExist`).
    pub async fn doesnt_exist(self) -> Result<bool> {
        Ok(!self.exists().await?)
    }

    /// The values of `column` of every matching record, in the query's order, through
    /// the column's cast (Laravel `pluck($column)`). NULLs are kept: pluck a nullable
    /// column as `Option<T>`.
    pub async fn pluck<T: DeserializeOwned>(mut self, column: &str) -> Result<Vec<T>> {
        let orm = Orm::current_for::<M>()?;
        let ident = self.check_col(column)?;
        let cast = cast_for::<M>(&ident);
        self.columns = vec![Projection::Column(ident)];
        let select = self.take_select(&orm)?;
        let result = orm.run(&compiler::select(&select)).await?;
        // Every row is kept: a NULL decodes as `None` for an `Option<T>`, and is a
        // decode error for a `T` that can't hold it (never silently dropped).
        first_values(result, cast)
            .map(|v| {
                serde_json::from_value::<T>(v).map_err(|e| OrmError::Decode {
                    key: column.to_string(),
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// `key → value` of every matching record (Laravel `pluck($value, $key)`); a later
    /// record with the same key replaces an earlier one, as in Laravel. Records whose
    /// value is NULL are kept only when `V` accepts NULL (`Option<_>`, `Value`).
    pub async fn pluck_keyed<K, V>(mut self, value: &str, key: &str) -> Result<IndexMap<K, V>>
    where
        K: DeserializeOwned + std::hash::Hash + Eq,
        V: DeserializeOwned,
    {
        let orm = Orm::current_for::<M>()?;
        let (value_column, key_column) = (self.check_col(value)?, self.check_col(key)?);
        let casts = (cast_for::<M>(&value_column), cast_for::<M>(&key_column));
        self.columns = vec![
            Projection::Column(value_column),
            Projection::Column(key_column),
        ];
        let select = self.take_select(&orm)?;
        let result = orm.run(&compiler::select(&select)).await?;
        let mut out = IndexMap::with_capacity(result.len());
        for row in result.into_rows() {
            let mut row = row.into_iter();
            let (mut v, mut k) = (
                row.next().unwrap_or(Value::Null),
                row.next().unwrap_or(Value::Null),
            );
            casts.0.read_in_place(&mut v);
            casts.1.read_in_place(&mut k);
            let k: K = serde_json::from_value(k).map_err(|e| OrmError::Decode {
                key: key.to_string(),
                message: e.to_string(),
            })?;
            let v: V = serde_json::from_value(v).map_err(|e| OrmError::Decode {
                key: value.to_string(),
                message: e.to_string(),
            })?;
            out.insert(k, v);
        }
        Ok(out)
    }

    /// `column` of the first matching record, or `None` (Laravel `value`).
    pub async fn value<T: DeserializeOwned>(self, column: &str) -> Result<Option<T>> {
        Ok(self.limit(1).pluck::<T>(column).await?.into_iter().next())
    }

    /// The records whose primary key is one of `ids` (Laravel `findMany`), within this
    /// query's conditions; one statement for any number of ids. An array or object id
    /// is `InvalidKey`.
    pub async fn find_many<I, V>(self, ids: I) -> Result<Vec<Instance<M>>>
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let ids: Vec<Value> = ids.into_iter().map(Into::into).collect();
        if let Some(bad) = ids.iter().find(|v| v.is_array() || v.is_object()) {
            return Err(OrmError::InvalidKey {
                model: M::model_name(),
                key: M::PRIMARY_KEY,
                value: bad.to_string(),
            });
        }
        self.isolate_filter()
            .where_in(M::PRIMARY_KEY, ids)
            .all()
            .await
    }

    /// The one matching record (Laravel `sole`): `ModelNotFound` when there is none,
    /// `MultipleRecordsFound` when there are more. Reads at most two rows.
    pub async fn sole(self) -> Result<Instance<M>> {
        let mut found = self.limit(2).all().await?;
        match found.len() {
            0 => Err(OrmError::ModelNotFound {
                model: M::model_name(),
                id: None,
            }),
            1 => Ok(found.remove(0)),
            _ => Err(OrmError::MultipleRecordsFound {
                model: M::model_name(),
            }),
        }
    }

    /// The first record where `column = value` (Laravel `firstWhere`).
    pub async fn first_where(
        self,
        column: &str,
        value: impl Into<Value>,
    ) -> Result<Option<Instance<M>>> {
        self.isolate_filter().where_(column, value).first().await
    }
}
