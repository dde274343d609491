//! [`Paginated`]: one page of results and where it sits (TS `PaginationResult`).

use serde::Serialize;

use crate::model::{Instance, ModelDef};

/// A page of results. Serializes as the TS `PaginationResult` JSON
/// (`data`, `total`, `perPage`, `currentPage`, `lastPage`), so a ported handler returns
/// the same body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase", bound = "")]
pub struct Paginated<M: ModelDef> {
    /// The rows of this page.
    pub data: Vec<Instance<M>>,
    /// Rows matching the query, over all pages.
    pub total: u64,
    /// Page size asked for.
    pub per_page: u64,
    /// Page number asked for (1-based).
    pub current_page: u64,
    /// Last page number: at least 1, also when there are no rows.
    pub last_page: u64,
}

impl<M: ModelDef> Paginated<M> {
    pub(crate) fn new(
        data: Vec<Instance<M>>,
        total: u64,
        per_page: u64,
        current_page: u64,
    ) -> Self {
        Paginated {
            data,
            total,
            per_page,
            current_page,
            last_page: total.div_ceil(per_page).max(1),
        }
    }
}

impl<M: ModelDef> Clone for Paginated<M> {
    fn clone(&self) -> Self {
        Paginated {
            data: self.data.clone(),
            ..*self
        }
    }
}

impl<M: ModelDef> std::fmt::Debug for Paginated<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginated")
            .field("data", &self.data)
            .field("total", &self.total)
            .field("per_page", &self.per_page)
            .field("current_page", &self.current_page)
            .field("last_page", &self.last_page)
            .finish()
    }
}
