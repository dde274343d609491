//! How made rows become INSERT statements within D1's limits.
//!
//! Rows are grouped by their column list (in order of first appearance), because one
//! multi-row `INSERT` has one column list and a row must not send NULL for a column it
//! left out (the SQL default applies instead). Each group is cut into statements of at
//! most `MAX_BOUND_PARAMS / columns` rows, so no statement binds more than D1's 100
//! parameters; a group of 1,000 rows of 5 columns is 50 statements of 20 rows — one
//! round trip in a batch, and 50 of D1's 1,000 queries per invocation. The SQL text comes
//! from [`compiler::insert`].

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Result;
use crate::executor::Statement;
use crate::model::ModelDef;
use crate::query::compiler;
use crate::query::Ident;
use crate::value::SqlValue;

/// The most bound parameters one statement may carry: D1's limit.
pub const MAX_BOUND_PARAMS: usize = 100;

/// One row ready to insert: its validated columns and bound values (from
/// `before_insert`) and the primary key it supplied, if any.
pub(crate) struct Row {
    pub columns: Vec<Ident>,
    pub values: Vec<SqlValue>,
    pub supplied_key: Option<Value>,
}

/// The statements for a list of rows, and which rows each statement carries.
#[derive(Default)]
pub(crate) struct InsertPlan {
    /// The INSERT statements, in sending order.
    pub statements: Vec<Statement>,
    /// For each statement, the indices (into the planned rows) of its rows, in VALUES
    /// order.
    pub members: Vec<Vec<usize>>,
    /// For each row, the primary key it supplied, if any (to match `RETURNING` rows).
    pub supplied_keys: Vec<Option<Value>>,
}

/// Rows sharing one column list: the columns, then (row index, values) per row.
type Group = (Vec<Ident>, Vec<(usize, Vec<SqlValue>)>);

/// Rows per statement for `columns` columns under [`MAX_BOUND_PARAMS`] (at least 1;
/// with no columns `INSERT ... DEFAULT VALUES` writes one row per statement).
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    match columns {
        0 => 1,
        n => (MAX_BOUND_PARAMS / n).max(1),
    }
}

/// Plan the INSERTs of `rows` into `M`'s table.
pub(crate) fn plan<M: ModelDef>(rows: Vec<Row>) -> Result<InsertPlan> {
    let table = Ident::parse(crate::model::table_of::<M>())?;
    let mut supplied_keys = Vec::with_capacity(rows.len());
    // Groups by column list, in order of first appearance.
    let mut group_of: HashMap<Vec<Ident>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        supplied_keys.push(row.supplied_key);
        let next = groups.len();
        let g = *group_of.entry(row.columns.clone()).or_insert(next);
        if g == next {
            groups.push((row.columns, Vec::new()));
        }
        groups[g].1.push((index, row.values));
    }
    let mut plan = InsertPlan {
        supplied_keys,
        ..InsertPlan::default()
    };
    for (columns, members) in groups {
        let per_statement = rows_per_statement(columns.len());
        let mut members = members.into_iter().peekable();
        while members.peek().is_some() {
            let chunk: Vec<(usize, Vec<SqlValue>)> = members.by_ref().take(per_statement).collect();
            let (indices, values): (Vec<usize>, Vec<Vec<SqlValue>>) = chunk.into_iter().unzip();
            plan.statements
                .push(compiler::insert(&table, &columns, values));
            plan.members.push(indices);
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct T;
    impl ModelDef for T {
        const TABLE: Option<&'static str> = Some("t");
    }

    fn row(cols: &[&str]) -> Row {
        Row {
            columns: cols.iter().map(|c| Ident::parse(c).unwrap()).collect(),
            values: cols.iter().map(|c| SqlValue::from(*c)).collect(),
            supplied_key: None,
        }
    }

    #[test]
    fn rows_per_statement_respects_the_parameter_limit() {
        assert_eq!(rows_per_statement(0), 1);
        assert_eq!(rows_per_statement(1), 100);
        assert_eq!(rows_per_statement(3), 33);
        assert_eq!(rows_per_statement(7), 14);
        assert_eq!(rows_per_statement(100), 1);
        assert_eq!(rows_per_statement(250), 1);
    }

    #[test]
    fn rows_are_chunked_and_grouped_by_columns() {
        let mut rows: Vec<Row> = (0..70).map(|_| row(&["a", "b", "c"])).collect();
        rows.insert(1, row(&["a"]));
        let plan = plan::<T>(rows).unwrap();
        // 70 rows of 3 columns: 33 + 33 + 4; then the one-column row.
        let sizes: Vec<usize> = plan.members.iter().map(Vec::len).collect();
        assert_eq!(sizes, [33, 33, 4, 1]);
        assert!(plan.statements.iter().all(|s| s.params.len() <= 100));
        assert_eq!(plan.members[3], [1]);
        assert_eq!(plan.members[0][..3], [0, 2, 3]);
        assert_eq!(
            plan.statements[3].sql,
            "INSERT INTO \"t\" (\"a\") VALUES (?) RETURNING *"
        );
    }
}
