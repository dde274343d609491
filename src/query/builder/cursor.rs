//! `cursor_paginate`: keyset pages — Laravel's `cursorPaginate`. A page starts right
//! after (or before) the row its cursor names, found by comparing the query's order
//! columns, never by counting rows: no `OFFSET` (which on D1 reads, and bills, every row
//! it skips), no `COUNT(*)`, and rows written between two page reads are neither
//! skipped nor repeated. One statement per page, reading one row more than the page to
//! know whether another follows.
//!
//! This file owns the keyset: which columns a query pages on (its `order_by` columns,
//! then the primary key as the tiebreaker that makes the position unique), the
//! condition that resumes after a cursor — built from the builder's own condition
//! nodes, ANDed with the caller's conditions, so tenant, soft-delete and global scopes
//! still apply — and the page with its cursors. The cursor text is
//! [`Cursor`](crate::query::Cursor)'s; the SQL is the compiler's, as for every read.
//!
//! **NULLs are not supported in order columns** (Laravel has the same limit): a page
//! whose boundary row holds NULL in an order column is [`OrmError::InvalidQuery`] —
//! filter them out with `where_not_null`, or order by a NOT NULL column.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::executor::RowSink;
use crate::model::{bind_value, check_column, column_of, Cast, ColumnType, Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Direction, Ident, Operator, Order, Projection, Where};
use crate::query::compiler;
use crate::query::cursor::Cursor;
use crate::query::typed::TypedRows;
use crate::runtime::MaybeSend;

/// A page of a cursor-paged walk (Laravel `cursorPaginate`). Serializes as `data`,
/// `perPage`, `nextCursor`, `prevCursor` (the cursors `null` at either end).
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// # struct Post; impl ModelDef for Post {}
/// # async fn f(cursor: Option<String>) -> roost_orm::Result<()> {
/// let page = Post::query()
///     .order_by_desc("created_at")
///     .cursor_paginate(20, cursor.as_deref())
///     .await?;
/// // Hand `page.next_cursor` to the client; it comes back as the next `cursor`.
/// let body = serde_json::to_string(&page).unwrap();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CursorPage<T> {
    /// The rows of this page, in the query's order.
    pub data: Vec<T>,
    /// Page size asked for.
    pub per_page: u64,
    /// The cursor of the page after this one; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The cursor of the page before this one; `None` on the first page.
    pub prev_cursor: Option<String>,
}

impl<T> CursorPage<T> {
    /// Whether a page follows this one (there is a [`next_cursor`](Self::next_cursor)).
    pub fn has_more_pages(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// Whether this is the first page (there is no
    /// [`prev_cursor`](Self::prev_cursor)).
    pub fn on_first_page(&self) -> bool {
        self.prev_cursor.is_none()
    }
}

/// The keyset of one page read: the columns the walk pages on with their directions
/// in the query's order, which way this read goes, and the page size.
struct Keyset {
    columns: Vec<(Ident, Direction)>,
    /// Reading the rows after the cursor (or from the start), not before it.
    forward: bool,
    /// A cursor was given (so there is a page before this one to point back to).
    resumed: bool,
    per_page: u64,
}

fn flip(direction: Direction) -> Direction {
    match direction {
        Direction::Asc => Direction::Desc,
        Direction::Desc => Direction::Asc,
    }
}

/// The bare name a keyset column comes back under.
fn bare(ident: &Ident) -> &str {
    ident.parts().1
}

/// Whether `value` has the shape of a value of column `name` of `M` (an undeclared
/// column takes any non-NULL scalar). JSON and BLOB columns take none.
fn fits<M: ModelDef>(name: &str, value: &Value) -> bool {
    let scalar = matches!(value, Value::Bool(_) | Value::Number(_) | Value::String(_));
    let Some(column) = column_of::<M>(name) else {
        return scalar;
    };
    match (column.cast, column.sql_type) {
        (Cast::Boolean, _) => value.is_boolean(),
        (Cast::Integer, _) | (Cast::None, ColumnType::Integer) => value.is_i64(),
        (Cast::Real, _) | (Cast::None, ColumnType::Real) => value.is_number(),
        (Cast::Text, _) | (Cast::None, ColumnType::Text) => value.is_string(),
        (Cast::None, ColumnType::Numeric) => value.is_number() || value.is_string(),
        (Cast::Converted(_), ColumnType::Integer) => value.is_i64(),
        (Cast::Converted(_), _) => value.is_string(),
        (Cast::Json | Cast::Blob, _) | (Cast::None, ColumnType::Blob) => false,
    }
}

impl Keyset {
    /// The keyset of `M`'s query ordered by `orders`: its column orders (a column named
    /// twice counts once, as SQL reads it), then the primary key ascending unless it is
    /// among them. A random, raw or aggregate order has no value to resume from.
    fn of<M: ModelDef>(orders: &[Order], per_page: u64) -> Result<Keyset> {
        let mut columns: Vec<(Ident, Direction)> = Vec::with_capacity(orders.len() + 1);
        for order in orders {
            let (column, direction) = match order {
                Order::Column(column, direction) => (column, *direction),
                Order::Random => return Err(unkeyable("a random order (in_random_order)")),
                Order::Raw(_) => return Err(unkeyable("a raw order (order_by_raw)")),
                Order::Aggregate(..) => return Err(unkeyable("an order by an aggregate")),
            };
            if columns.iter().any(|(c, _)| bare(c) == bare(column)) {
                continue;
            }
            if let Some(c) = column_of::<M>(bare(column)) {
                let unscalar = matches!(c.cast, Cast::Json | Cast::Blob)
                    || (c.cast == Cast::None && c.sql_type == ColumnType::Blob);
                if unscalar {
                    return Err(OrmError::InvalidQuery(format!(
                        "cursor_paginate can't page on the JSON / BLOB column [{column}]: \
                         order by scalar columns"
                    )));
                }
            }
            columns.push((column.clone(), direction));
        }
        if !columns.iter().any(|(c, _)| bare(c) == M::PRIMARY_KEY) {
            columns.push((check_column::<M>(M::PRIMARY_KEY)?, Direction::Asc));
        }
        Ok(Keyset {
            columns,
            forward: true,
            resumed: false,
            per_page,
        })
    }

    /// The condition of the rows on `cursor`'s side of its boundary row: the
    /// lexicographic expansion `(a > ?) OR (a = ? AND b < ?) OR ...`, each column's
    /// operator following its direction (flipped for the rows before). A cursor
    /// written for other columns or directions, or with a value of the wrong shape for
    /// its column, is [`OrmError::InvalidCursor`].
    fn condition<M: ModelDef>(&self, cursor: &Cursor) -> Result<Condition> {
        let keys: Vec<(&str, Direction, &Value)> = cursor.keys().collect();
        let same_order = keys.len() == self.columns.len()
            && keys
                .iter()
                .zip(&self.columns)
                .all(|((name, d, _), (column, direction))| *name == bare(column) && d == direction);
        if !same_order {
            return Err(OrmError::InvalidCursor(format!(
                "written for another order than this query's ({})",
                self.describe()
            )));
        }
        let mut bound = Vec::with_capacity(keys.len());
        for ((name, _, value), (column, _)) in keys.iter().zip(&self.columns) {
            let wrong =
                || OrmError::InvalidCursor(format!("a value of the wrong shape for [{name}]"));
            if !fits::<M>(name, value) {
                return Err(wrong());
            }
            bound.push(bind_value::<M>(column, value).map_err(|_| wrong())?);
        }
        let after = cursor.points_to_next_items();
        let mut disjuncts = Vec::with_capacity(self.columns.len());
        for (i, (column, direction)) in self.columns.iter().enumerate() {
            let mut terms: Vec<Where> = (0..i)
                .map(|j| Where {
                    boolean: Boolean::And,
                    condition: Condition::Compare {
                        column: self.columns[j].0.clone(),
                        op: Operator::Eq,
                        value: bound[j].clone(),
                    },
                })
                .collect();
            let op = match (direction, after) {
                (Direction::Asc, true) | (Direction::Desc, false) => Operator::Gt,
                (Direction::Desc, true) | (Direction::Asc, false) => Operator::Lt,
            };
            terms.push(Where {
                boolean: Boolean::And,
                condition: Condition::Compare {
                    column: column.clone(),
                    op,
                    value: bound[i].clone(),
                },
            });
            let condition = match terms.len() {
                1 => terms.remove(0).condition,
                _ => Condition::Group(terms),
            };
            disjuncts.push(Where {
                boolean: Boolean::Or,
                condition,
            });
        }
        Ok(Condition::Group(disjuncts))
    }

    /// `views desc, id asc`: the order, for messages.
    fn describe(&self) -> String {
        let terms: Vec<String> = self
            .columns
            .iter()
            .map(|(c, d)| format!("{} {}", bare(c), d.sql().to_ascii_lowercase()))
            .collect();
        terms.join(", ")
    }

    /// The order this read sends: the keyset's, reversed for the rows before a cursor.
    fn orders(&self) -> Vec<Order> {
        self.columns
            .iter()
            .map(|(column, direction)| {
                let direction = if self.forward {
                    *direction
                } else {
                    flip(*direction)
                };
                Order::Column(column.clone(), direction)
            })
            .collect()
    }

    /// The cursor text at a row whose keyset values are `values` (`None`: not among the
    /// row's columns).
    fn cursor_at<M: ModelDef>(&self, values: Vec<Option<Value>>, next: bool) -> Result<String> {
        let mut keys = Vec::with_capacity(values.len());
        for (value, (column, direction)) in values.into_iter().zip(&self.columns) {
            let name = bare(column);
            let value = value.ok_or_else(|| {
                OrmError::InvalidQuery(format!(
                    "cursor_paginate needs the order column [{name}] among the selected columns"
                ))
            })?;
            if value.is_null() {
                return Err(OrmError::InvalidQuery(format!(
                    "cursor_paginate can't page past a NULL in the order column [{name}] \
                     (NULLs are not supported in keyset columns): filter them out with \
                     where_not_null, or order by a NOT NULL column"
                )));
            }
            if !fits::<M>(name, &value) {
                return Err(OrmError::InvalidQuery(format!(
                    "cursor_paginate read a value of [{name}] that doesn't fit the column's \
                     declared type: {value}"
                )));
            }
            keys.push((name.to_string(), *direction, value));
        }
        Ok(Cursor::new(keys, next).encode())
    }

    /// The page of `rows` (as read: `per_page + 1` at most, in this read's order) and
    /// its cursors, Laravel's rules: no next cursor when a forward read found no more
    /// rows, no previous cursor on a read from the start or when a backward read found
    /// no more rows. `key_at` gives the keyset values of the row at an index.
    fn page<M: ModelDef, T>(
        &self,
        mut rows: Vec<T>,
        key_at: impl Fn(&[T], usize) -> Vec<Option<Value>>,
    ) -> Result<CursorPage<T>> {
        let per_page = usize::try_from(self.per_page).unwrap_or(usize::MAX);
        let more = rows.len() > per_page;
        let kept = rows.len().min(per_page);
        let (mut next_cursor, mut prev_cursor) = (None, None);
        if kept > 0 {
            // The page's first and last rows, as read (a backward read is reversed).
            let (first, last) = if self.forward {
                (0, kept - 1)
            } else {
                (kept - 1, 0)
            };
            if !self.forward || more {
                next_cursor = Some(self.cursor_at::<M>(key_at(&rows, last), true)?);
            }
            if self.resumed && (self.forward || more) {
                prev_cursor = Some(self.cursor_at::<M>(key_at(&rows, first), false)?);
            }
        }
        rows.truncate(kept);
        if !self.forward {
            rows.reverse();
        }
        Ok(CursorPage {
            data: rows,
            per_page: self.per_page,
            next_cursor,
            prev_cursor,
        })
    }
}

fn unkeyable(what: &str) -> OrmError {
    OrmError::InvalidQuery(format!(
        "cursor_paginate can't resume {what}: order by columns (the primary key is added \
         as the tiebreaker)"
    ))
}

/// [`TypedRows`] that also keeps each row's keyset values (cast as on a record), for
/// the page's cursors.
struct KeyedRows<M: ModelDef, T> {
    rows: TypedRows<M, T>,
    /// The keyset columns' bare names and casts.
    names: Vec<(String, Cast)>,
    /// Each keyset column's position among the statement's columns.
    positions: Vec<Option<usize>>,
    keys: Vec<Vec<Option<Value>>>,
}

impl<M: ModelDef, T: DeserializeOwned + MaybeSend> RowSink for KeyedRows<M, T> {
    fn columns(&mut self, columns: &std::sync::Arc<[String]>) {
        if self.positions.is_empty() {
            self.positions = self
                .names
                .iter()
                .map(|(name, _)| columns.iter().position(|c| c == name))
                .collect();
        }
        self.rows.columns(columns);
    }

    fn row(&mut self, values: &mut Vec<Value>) {
        let key = self
            .positions
            .iter()
            .zip(&self.names)
            .map(|(position, (_, cast))| {
                position.and_then(|i| values.get(i)).map(|value| {
                    let mut value = value.clone();
                    cast.read_in_place(&mut value);
                    value
                })
            })
            .collect();
        self.keys.push(key);
        self.rows.row(values);
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    /// This query as the read of one cursor page, and its keyset: the keyset order, the
    /// resume condition of `cursor` ANDed with the caller's conditions, `per_page + 1`
    /// rows. Every check — page size, order, selected columns, the cursor — happens
    /// here, before any SQL.
    fn cursor_query(mut self, per_page: u64, cursor: Option<&str>) -> Result<(Self, Keyset)> {
        let invalid = OrmError::InvalidPagination { page: 1, per_page };
        if per_page == 0 {
            return Err(invalid);
        }
        if let Some(e) = self.error.take() {
            return Err(*e);
        }
        if !self.groups.is_empty() || !self.having.is_empty() {
            return Err(OrmError::InvalidQuery(
                "cursor_paginate pages rows by their order columns; a grouped query has no \
                 row to resume from (use paginate or simple_paginate)"
                    .to_string(),
            ));
        }
        let mut keyset = Keyset::of::<M>(&self.orders, per_page)?;
        if !self.columns.is_empty() {
            for (column, _) in &keyset.columns {
                let selected = self
                    .columns
                    .iter()
                    .any(|p| matches!(p, Projection::Column(c) if bare(c) == bare(column)));
                if !selected {
                    return Err(OrmError::InvalidQuery(format!(
                        "cursor_paginate needs the order column [{}] among the selected \
                         columns (the primary key too: it is the tiebreaker)",
                        bare(column)
                    )));
                }
            }
        }
        if let Some(text) = cursor {
            let cursor = Cursor::decode(text)?;
            let condition = keyset.condition::<M>(&cursor)?;
            keyset.forward = cursor.points_to_next_items();
            keyset.resumed = true;
            self = self.isolate_filter();
            self.push(Boolean::And, condition);
        }
        self.orders = keyset.orders();
        self.limit = Some(per_page.checked_add(1).ok_or(invalid)?);
        self.offset = None;
        Ok((self, keyset))
    }

    /// One page of records after (or before) `cursor`, in the query's order (Laravel
    /// `cursorPaginate`); `None` reads the first page. Relations named in `with` are
    /// loaded.
    ///
    /// The walk pages on the query's `order_by` columns, with the primary key added as
    /// the tiebreaker (no order: the primary key ascending); mixed directions work. The
    /// page's [`next_cursor`](CursorPage::next_cursor) and
    /// [`prev_cursor`](CursorPage::prev_cursor) are opaque URL-safe text to hand back
    /// as `cursor`. One statement per page, with no `OFFSET` and no count; rows written
    /// between two reads are neither skipped nor repeated. The query's own `limit` and
    /// `offset` are replaced.
    ///
    /// Before any SQL: `per_page` 0 is [`OrmError::InvalidPagination`]; a random, raw
    /// or aggregate order, a grouped query, or a `select` without the order columns
    /// and key is [`OrmError::InvalidQuery`]; a cursor that doesn't decode, was written
    /// for another order, or holds a value of the wrong shape is
    /// [`OrmError::InvalidCursor`] — never the first page. NULLs in order columns are
    /// not supported (see the module docs).
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let query = Post::where_("status", "published").order_by_desc("views");
    /// let first = query.clone().cursor_paginate(20, None).await?;
    /// if let Some(next) = &first.next_cursor {
    ///     let second = query.clone().cursor_paginate(20, Some(next)).await?;
    ///     // Back again: the same rows as `first`.
    ///     let back = query.cursor_paginate(20, second.prev_cursor.as_deref()).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn cursor_paginate(
        self,
        per_page: u64,
        cursor: Option<&str>,
    ) -> Result<CursorPage<Instance<M>>> {
        let orm = Orm::current_for::<M>()?;
        let (mut query, keyset) = self.cursor_query(per_page, cursor)?;
        let select = query.take_select(&orm)?;
        query.check_eager()?;
        let rows = Instance::<M>::fetch_all(&orm, &compiler::select(&select)).await?;
        let mut page = keyset.page::<M, _>(rows, |rows, i| {
            keyset
                .columns
                .iter()
                .map(|(column, _)| rows[i].get(bare(column)).cloned())
                .collect()
        })?;
        crate::model::hooks::fire_retrieved(&mut page.data).await?;
        crate::relations::eager_load(&orm, &mut page.data, &query.eager).await?;
        Ok(page)
    }

    /// [`cursor_paginate`](Self::cursor_paginate) with rows decoded into `T` (see
    /// [`all_as`](Self::all_as)). `T` needn't hold the order columns: the cursors are
    /// read from the rows before they are decoded, and are the same text
    /// `cursor_paginate` writes.
    pub async fn cursor_paginate_as<T: DeserializeOwned + MaybeSend>(
        self,
        per_page: u64,
        cursor: Option<&str>,
    ) -> Result<CursorPage<T>> {
        let orm = Orm::current_for::<M>()?;
        let (mut query, keyset) = self.cursor_query(per_page, cursor)?;
        let select = query.take_select(&orm)?;
        let mut sink = KeyedRows::<M, T> {
            rows: TypedRows::new(),
            names: keyset
                .columns
                .iter()
                .map(|(c, _)| (bare(c).to_string(), crate::model::cast_of::<M>(bare(c))))
                .collect(),
            positions: Vec::new(),
            keys: Vec::new(),
        };
        orm.run_rows(&compiler::select(&select), &mut sink).await?;
        let KeyedRows { rows, keys, .. } = sink;
        keyset.page::<M, _>(rows.finish()?, |_, i| keys[i].clone())
    }
}
