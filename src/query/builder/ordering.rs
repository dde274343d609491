//! Ordering shortcuts of [`QueryBuilder`]: `latest` / `oldest` (by `created_at` or a
//! column of your choice), `in_random_order`, `reorder`.

use super::QueryBuilder;
use crate::model::{ModelDef, CREATED_AT};
use crate::query::ast::{Direction, IntoDirection, Order};

impl<M: ModelDef> QueryBuilder<M> {
    /// `ORDER BY created_at DESC` (Laravel `latest()`).
    pub fn latest(self) -> Self {
        self.order_by(CREATED_AT, Direction::Desc)
    }

    /// `ORDER BY column DESC` (Laravel `latest($column)`).
    pub fn latest_by(self, column: &str) -> Self {
        self.order_by(column, Direction::Desc)
    }

    /// `ORDER BY created_at ASC` (Laravel `oldest()`).
    pub fn oldest(self) -> Self {
        self.order_by(CREATED_AT, Direction::Asc)
    }

    /// `ORDER BY column ASC` (Laravel `oldest($column)`).
    pub fn oldest_by(self, column: &str) -> Self {
        self.order_by(column, Direction::Asc)
    }

    /// `ORDER BY random()` (Laravel `inRandomOrder`).
    pub fn in_random_order(mut self) -> Self {
        self.orders.push(Order::Random);
        self
    }

    /// Drop every ORDER BY term so far (Laravel `reorder()`).
    pub fn reorder(mut self) -> Self {
        self.orders.clear();
        self
    }

    /// Drop every ORDER BY term so far and order by `column` (Laravel
    /// `reorder($column, $direction)`).
    pub fn reorder_by(self, column: &str, direction: impl IntoDirection) -> Self {
        self.reorder().order_by(column, direction)
    }
}
