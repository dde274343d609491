//! `simple_paginate`: a page without a total — Laravel's `simplePaginate`. One
//! statement that reads one row more than the page to know whether another page
//! follows; no `COUNT(*)`, which on D1 reads (and bills) every matching row.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::query::compiler;
use crate::query::typed::TypedRows;
use crate::runtime::MaybeSend;

/// A page without a total (Laravel `simplePaginate`). Serializes as `data`, `perPage`,
/// `currentPage`, `hasMorePages`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimplePage<T> {
    /// The rows of this page.
    pub data: Vec<T>,
    /// Page size asked for.
    pub per_page: u64,
    /// Page number asked for (1-based).
    pub current_page: u64,
    /// Whether a next page has rows.
    pub has_more_pages: bool,
}

impl<T> SimplePage<T> {
    fn new(mut data: Vec<T>, per_page: u64, current_page: u64) -> Self {
        let has_more_pages = data.len() as u64 > per_page;
        data.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        SimplePage {
            data,
            per_page,
            current_page,
            has_more_pages,
        }
    }
}

impl<M: ModelDef> QueryBuilder<M> {
    /// The select of page `page`: `per_page + 1` rows from the page's start.
    fn simple_page_select(
        &mut self,
        orm: &Orm,
        page: u64,
        per_page: u64,
    ) -> Result<crate::query::Select> {
        let invalid = OrmError::InvalidPagination { page, per_page };
        if page == 0 || per_page == 0 {
            return Err(invalid);
        }
        let offset = (page - 1).checked_mul(per_page).ok_or(invalid.clone())?;
        let mut select = self.take_select(orm)?;
        select.limit = Some(per_page.checked_add(1).ok_or(invalid)?);
        select.offset = Some(offset);
        Ok(select)
    }

    /// One page of records and whether more follow, in one statement and without a
    /// count (Laravel `simplePaginate`); relations named in `with` are loaded.
    pub async fn simple_paginate(
        mut self,
        page: u64,
        per_page: u64,
    ) -> Result<SimplePage<Instance<M>>> {
        let orm = Orm::current_for::<M>()?;
        let select = self.simple_page_select(&orm, page, per_page)?;
        self.check_eager()?;
        let rows = Instance::<M>::fetch_all(&orm, &compiler::select(&select)).await?;
        let mut page = SimplePage::new(rows, per_page, page);
        crate::model::hooks::fire_retrieved(&mut page.data).await?;
        crate::relations::eager_load(&orm, &mut page.data, &self.eager).await?;
        Ok(page)
    }

    /// [`simple_paginate`](Self::simple_paginate) with rows decoded into `T` (see
    /// [`all_as`](Self::all_as)).
    pub async fn simple_paginate_as<T: DeserializeOwned + MaybeSend>(
        mut self,
        page: u64,
        per_page: u64,
    ) -> Result<SimplePage<T>> {
        let orm = Orm::current_for::<M>()?;
        let select = self.simple_page_select(&orm, page, per_page)?;
        let mut rows = TypedRows::<M, T>::new();
        orm.run_rows(&compiler::select(&select), &mut rows).await?;
        Ok(SimplePage::new(rows.finish()?, per_page, page))
    }
}
