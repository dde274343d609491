//! The SELECT list and grouping of [`QueryBuilder`]: `select`, `add_select`,
//! `distinct`, aggregate columns (`select_count`, `select_sum`, ...), `group_by`,
//! `having`. Names are checked as everywhere; an aggregate alias must be a plain name,
//! and `having` / `order_by` on an alias this query selects compare or sort by the
//! aggregate itself.

use serde_json::Value;

use super::QueryBuilder;
use crate::error::{OrmError, Result};
use crate::model::ModelDef;
use crate::query::ast::{
    Aggregate, Boolean, Group, Having, HavingTarget, HavingTest, Ident, IntoOperator, Projection,
};

impl<M: ModelDef> QueryBuilder<M> {
    /// Select only `columns` (Laravel `select`), replacing an earlier list. Records
    /// read this way hold only those attributes; saving one writes only what changed,
    /// never the attributes it doesn't hold.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let titles = Post::query().select(["id", "title"]).all().await?;
    /// # Ok(()) }
    /// ```
    pub fn select<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.columns.clear();
        self.add_select(columns)
    }

    /// Add `columns` to the SELECT list (Laravel `addSelect`).
    pub fn add_select<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in columns {
            let name = name.as_ref();
            // `table.*`: every column of the model's table or a joined one.
            let projection = match name.strip_suffix(".*") {
                Some(table) => self.check_table(table).map(Projection::AllOf),
                None => self.check_col(name).map(Projection::Column),
            };
            match projection {
                Ok(projection) => self.columns.push(projection),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// `SELECT DISTINCT` (Laravel `distinct`).
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    fn aggregate(mut self, function: Aggregate, column: Option<&str>, alias: &str) -> Self {
        let projection = (|| {
            let alias = Ident::parse(alias)?;
            if alias.parts().0.is_some() {
                return Err(OrmError::InvalidIdentifier(alias.to_string()));
            }
            let column = column.map(|c| self.check_col(c)).transpose()?;
            Ok(Projection::Aggregate {
                function,
                column,
                alias,
            })
        })();
        match projection {
            Ok(projection) => self.columns.push(projection),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Add `COUNT(*) AS alias` to the SELECT list (Laravel
    /// `selectRaw('count(*) as total')`), for grouped queries.
    ///
    /// ```no_run
    /// # use roost_orm::prelude::*;
    /// # struct Post; impl ModelDef for Post {}
    /// # async fn f() -> roost_orm::Result<()> {
    /// let per_status = Post::query()
    ///     .select(["status"])
    ///     .select_count("total")
    ///     .group_by(["status"])
    ///     .having("total", ">", 1)
    ///     .order_by("total", "desc")
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn select_count(self, alias: &str) -> Self {
        self.aggregate(Aggregate::Count, None, alias)
    }

    /// Add `FUNC(column) AS alias` (`Aggregate::Sum`, `Avg`, `Min`, `Max`, `Count`).
    pub fn select_aggregate(self, function: Aggregate, column: &str, alias: &str) -> Self {
        self.aggregate(function, Some(column), alias)
    }

    /// Add `SUM(column) AS alias`.
    pub fn select_sum(self, column: &str, alias: &str) -> Self {
        self.aggregate(Aggregate::Sum, Some(column), alias)
    }

    /// `GROUP BY columns` (Laravel `groupBy`).
    pub fn group_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in columns {
            match self.check_col(name.as_ref()) {
                Ok(column) => self.groups.push(Group::Column(column)),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// The aggregate a SELECT-list alias of this query names, if `name` is one (an
    /// alias wins over a column of the same name, as in SQL's ORDER BY).
    pub(super) fn selected_aggregate(&self, name: &str) -> Option<(Aggregate, Option<Ident>)> {
        self.columns.iter().find_map(|item| match item {
            Projection::Aggregate {
                function,
                column,
                alias,
            } if alias.as_str() == name => Some((*function, column.clone())),
            _ => None,
        })
    }

    /// What `name` in a HAVING term is: a selected aggregate, else a column.
    fn having_target(&self, name: &str) -> Result<HavingTarget> {
        match self.selected_aggregate(name) {
            Some((function, column)) => Ok(HavingTarget::Aggregate(function, column)),
            None => self.check_col(name).map(HavingTarget::Column),
        }
    }

    fn having_test(&self, target: &HavingTarget, value: &Value) -> Result<crate::SqlValue> {
        match target {
            HavingTarget::Column(column) => self.bind_col(column, value),
            // A raw target takes its values with its text (`having_raw`), never here.
            HavingTarget::Aggregate(..) | HavingTarget::Raw(_) => crate::SqlValue::from_json(value),
        }
    }

    fn push_having(mut self, boolean: Boolean, name: &str, test: Result<HavingTest>) -> Self {
        let having = self.having_target(name).and_then(|target| {
            Ok(Having {
                boolean,
                target,
                test: test?,
            })
        });
        match having {
            Ok(having) => self.having.push(having),
            Err(e) => self.fail(e),
        }
        self
    }

    fn compare_having(
        self,
        boolean: Boolean,
        name: &str,
        op: impl IntoOperator,
        value: Value,
    ) -> Self {
        let test = self.having_target(name).and_then(|target| {
            Ok(HavingTest::Compare(
                op.into_operator()?,
                self.having_test(&target, &value)?,
            ))
        });
        self.push_having(boolean, name, test)
    }

    /// `HAVING name op value` (Laravel `having`): `name` is an aggregate alias this
    /// query selects (`select_count("total")`) or a column.
    pub fn having(self, name: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare_having(Boolean::And, name, op, value.into())
    }

    /// `OR name op value` in the HAVING clause (Laravel `orHaving`).
    pub fn or_having(self, name: &str, op: impl IntoOperator, value: impl Into<Value>) -> Self {
        self.compare_having(Boolean::Or, name, op, value.into())
    }

    /// `HAVING name BETWEEN low AND high` (Laravel `havingBetween`).
    pub fn having_between(self, name: &str, range: [impl Into<Value>; 2]) -> Self {
        let [low, high] = range.map(Into::into);
        let test = self.having_target(name).and_then(|target| {
            Ok(HavingTest::Between(
                self.having_test(&target, &low)?,
                self.having_test(&target, &high)?,
                false,
            ))
        });
        self.push_having(Boolean::And, name, test)
    }
}
