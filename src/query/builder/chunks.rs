//! Large results in bounded memory: `chunk`, `chunk_by_id`, `each_by_id`,
//! `lazy_by_id` — Laravel's `chunk` / `chunkById` / `each` / `lazyById`. Each chunk is
//! one statement of the query (its conditions and scopes) with a bound `LIMIT`; memory
//! holds one chunk at a time.
//!
//! The `_by_id` forms page by key (`WHERE key > last ORDER BY key LIMIT n`): each chunk
//! starts where the last one ended, so rows written meanwhile are neither skipped nor
//! read twice, and no chunk pays for an `OFFSET` — on D1 a large OFFSET reads, and
//! bills, every row it skips. `chunk` pages by `OFFSET` in the query's own order, as
//! Laravel's does; prefer `chunk_by_id`.

use std::future::Future;

use futures::stream::{self, Stream};
use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::query::ast::Direction;

/// The key the next chunk starts after: a record without one (a `select` that left
/// the key out) would restart the walk, so it is an error.
fn key_of<M: ModelDef>(row: &Instance<M>) -> Result<Value> {
    row.get(M::PRIMARY_KEY)
        .filter(|v| !v.is_null())
        .cloned()
        .ok_or_else(|| OrmError::MissingPrimaryKey {
            model: M::model_name(),
            key: M::PRIMARY_KEY,
        })
}

impl<M: ModelDef> QueryBuilder<M> {
    fn check_chunk(size: u64) -> Result<()> {
        match size {
            0 => Err(OrmError::InvalidQuery("a chunk size of 0".to_string())),
            _ => Ok(()),
        }
    }

    /// Chunk `after` of the key-paged walk: the next `size` records past key `after`
    /// (from the start with `None`) in key order — ascending, or descending for the
    /// `_desc` forms.
    async fn chunk_after(
        &self,
        after: Option<&Value>,
        size: u64,
        direction: Direction,
    ) -> Result<Vec<Instance<M>>> {
        let mut query = self.clone().isolate_filter();
        if let Some(last) = after {
            let past = match direction {
                Direction::Asc => ">",
                Direction::Desc => "<",
            };
            query = query.where_op(M::PRIMARY_KEY, past, last.clone());
        }
        query
            .reorder()
            .order_by(M::PRIMARY_KEY, direction)
            .limit(size)
            .all()
            .await
    }

    /// Chunk `index` of the offset-paged walk in the query's own order.
    async fn chunk_at(&self, index: u64, size: u64) -> Result<Vec<Instance<M>>> {
        let offset = index
            .checked_mul(size)
            .ok_or_else(|| OrmError::InvalidQuery("chunk offset overflows".to_string()))?;
        self.clone().limit(size).offset(offset).all().await
    }

    /// Run `f` on the matching records `size` at a time, paged by primary key (Laravel
    /// `chunkById`); `f` returns `Ok(false)` to stop. Returns the number of chunks
    /// handed to `f`. The query's own order, limit and offset are replaced by the key
    /// order.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// Post::where_("status", "draft")
    ///     .chunk_by_id(500, |posts| async move {
    ///         for mut post in posts {
    ///             post.set("status", "archived");
    ///             post.save().await?;
    ///         }
    ///         Ok(true)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn chunk_by_id<F, Fut>(self, size: u64, f: F) -> Result<u64>
    where
        F: FnMut(Vec<Instance<M>>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        self.chunk_by_key(size, Direction::Asc, f).await
    }

    /// [`chunk_by_id`](Self::chunk_by_id) from the highest key down (Laravel
    /// `chunkByIdDesc`).
    pub async fn chunk_by_id_desc<F, Fut>(self, size: u64, f: F) -> Result<u64>
    where
        F: FnMut(Vec<Instance<M>>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        self.chunk_by_key(size, Direction::Desc, f).await
    }

    async fn chunk_by_key<F, Fut>(self, size: u64, direction: Direction, mut f: F) -> Result<u64>
    where
        F: FnMut(Vec<Instance<M>>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        Self::check_chunk(size)?;
        let mut last: Option<Value> = None;
        let mut chunks = 0;
        loop {
            let rows = self.chunk_after(last.as_ref(), size, direction).await?;
            let full = rows.len() as u64 == size;
            let Some(row) = rows.last() else {
                return Ok(chunks);
            };
            last = Some(key_of(row)?);
            chunks += 1;
            if !f(rows).await? || !full {
                return Ok(chunks);
            }
        }
    }

    /// Run `f` on the matching records `size` at a time in the query's order, paged by
    /// `OFFSET` (Laravel `chunk`); `f` returns `Ok(false)` to stop. Rows written while
    /// it runs can be skipped or seen twice — [`chunk_by_id`](Self::chunk_by_id) can't.
    pub async fn chunk<F, Fut>(self, size: u64, mut f: F) -> Result<u64>
    where
        F: FnMut(Vec<Instance<M>>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        Self::check_chunk(size)?;
        let mut chunks = 0u64;
        loop {
            let rows = self.chunk_at(chunks, size).await?;
            if rows.is_empty() {
                return Ok(chunks);
            }
            let full = rows.len() as u64 == size;
            chunks += 1;
            if !f(rows).await? || !full {
                return Ok(chunks);
            }
        }
    }

    /// Run `f` on every matching record, reading `size` at a time by primary key
    /// (Laravel `each` over `chunkById`); `f` returns `Ok(false)` to stop.
    pub async fn each_by_id<F, Fut>(self, size: u64, mut f: F) -> Result<()>
    where
        F: FnMut(Instance<M>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        Self::check_chunk(size)?;
        let mut last: Option<Value> = None;
        loop {
            let rows = self
                .chunk_after(last.as_ref(), size, Direction::Asc)
                .await?;
            let full = rows.len() as u64 == size;
            for row in rows {
                last = Some(key_of(&row)?);
                if !f(row).await? {
                    return Ok(());
                }
            }
            if !full || last.is_none() {
                return Ok(());
            }
        }
    }

    /// Run `f` on every matching record in the query's order, reading `size` at a time
    /// by `OFFSET` (Laravel `each`); `f` returns `Ok(false)` to stop. Prefer
    /// [`each_by_id`](Self::each_by_id) when rows may be written meanwhile.
    pub async fn each<F, Fut>(self, size: u64, mut f: F) -> Result<()>
    where
        F: FnMut(Instance<M>) -> Fut,
        Fut: Future<Output = Result<bool>>,
    {
        Self::check_chunk(size)?;
        let mut index = 0u64;
        loop {
            let rows = self.chunk_at(index, size).await?;
            let full = rows.len() as u64 == size;
            for row in rows {
                if !f(row).await? {
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
            index += 1;
        }
    }

    /// The matching records as a stream, read `size` at a time by primary key
    /// (Laravel `lazyById`): one statement per chunk, one chunk in memory.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut posts = std::pin::pin!(Post::query().lazy_by_id(1000));
    /// while let Some(post) = posts.try_next().await? {
    ///     // ...
    /// }
    /// # Ok(()) }
    /// ```
    pub fn lazy_by_id(self, size: u64) -> impl Stream<Item = Result<Instance<M>>> {
        self.lazy_walk(size, Walk::Key(Direction::Asc))
    }

    /// [`lazy_by_id`](Self::lazy_by_id) from the highest key down (Laravel
    /// `lazyByIdDesc`).
    pub fn lazy_by_id_desc(self, size: u64) -> impl Stream<Item = Result<Instance<M>>> {
        self.lazy_walk(size, Walk::Key(Direction::Desc))
    }

    /// The matching records as a stream in the query's order, read `size` at a time by
    /// `OFFSET` (Laravel `lazy`). Prefer [`lazy_by_id`](Self::lazy_by_id) on large
    /// tables: on D1 each OFFSET reads, and bills, every row it skips.
    pub fn lazy(self, size: u64) -> impl Stream<Item = Result<Instance<M>>> {
        self.lazy_walk(size, Walk::Offset)
    }

    fn lazy_walk(self, size: u64, walk: Walk) -> impl Stream<Item = Result<Instance<M>>> {
        struct State<M: ModelDef> {
            query: QueryBuilder<M>,
            last: Option<Value>,
            chunks: u64,
            buffer: std::vec::IntoIter<Instance<M>>,
            done: bool,
        }
        let state = State {
            query: self,
            last: None,
            chunks: 0,
            buffer: Vec::new().into_iter(),
            done: false,
        };
        stream::try_unfold(state, move |mut state| async move {
            loop {
                if let Some(row) = state.buffer.next() {
                    if let Walk::Key(_) = walk {
                        state.last = Some(key_of(&row)?);
                    }
                    return Ok(Some((row, state)));
                }
                if state.done {
                    return Ok(None);
                }
                Self::check_chunk(size)?;
                let rows = match walk {
                    Walk::Key(direction) => {
                        let last = state.last.as_ref();
                        state.query.chunk_after(last, size, direction).await?
                    }
                    Walk::Offset => state.query.chunk_at(state.chunks, size).await?,
                };
                state.chunks += 1;
                state.done = (rows.len() as u64) < size;
                if rows.is_empty() {
                    return Ok(None);
                }
                state.buffer = rows.into_iter();
            }
        })
    }
}

/// How a lazy stream pages: by key in a direction, or by offset in the query's order.
#[derive(Clone, Copy)]
enum Walk {
    Key(Direction),
    Offset,
}
