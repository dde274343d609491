//! [`Page`]: one page of results and where it sits (TS `PaginationResult`);
//! [`Paginated<M>`] is a page of records, `Page<T>` a page of the caller's structs
//! (`paginate_as`).

use serde::Serialize;

use crate::model::Instance;

/// A page of results. Serializes as the TS `PaginationResult` JSON
/// (`data`, `total`, `perPage`, `currentPage`, `lastPage`), so a ported handler returns
/// the same body.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The rows of this page.
    pub data: Vec<T>,
    /// Rows matching the query, over all pages.
    pub total: u64,
    /// Page size asked for.
    pub per_page: u64,
    /// Page number asked for (1-based).
    pub current_page: u64,
    /// Last page number: at least 1, also when there are no rows.
    pub last_page: u64,
}

/// A page of records of model `M` (what `paginate` returns).
pub type Paginated<M> = Page<Instance<M>>;

impl<T> Page<T> {
    pub(crate) fn new(data: Vec<T>, total: u64, per_page: u64, current_page: u64) -> Self {
        Page {
            data,
            total,
            per_page,
            current_page,
            last_page: total.div_ceil(per_page).max(1),
        }
    }
}
