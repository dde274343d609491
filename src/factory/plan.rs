//! How made rows become INSERT statements within D1's limits.
//!
//! D1 counts every statement of a batch against its per-invocation query limit (50 on
//! the free plan, 1,000 paid), so rows go in as few statements as D1's limits on *one*
//! statement allow:
//!
//! - Rows are grouped by their column list (in order of first appearance), because one
//!   `INSERT` has one column list and a row must not send NULL for a column it left out
//!   (the SQL default applies instead): a statement per column set.
//! - A group's rows travel as **one bound parameter**, a JSON array of row arrays read
//!   back with `json_each` ([`compiler::insert_json_rows`]). The SQL text grows with
//!   the column count only, so the 100-parameter and 100 KB text limits never depend
//!   on the number of rows: 1,000 rows of 5 columns are one statement (one round trip,
//!   and one of D1's queries).
//! - The one limit that grows with the rows is the size of a bound value (D1: 2,000,000
//!   bytes for a string or BLOB). A group whose JSON would pass [`MAX_JSON_PARAM_BYTES`]
//!   (half of that) is cut into several statements, all sent in the same atomic batch.
//! - A statement of a single row — a lone row, or one row whose JSON alone is over
//!   [`MAX_JSON_PARAM_BYTES`] (a large BLOB doubles in hex) — is a plain
//!   `INSERT ... VALUES (?, ...)` ([`compiler::insert`]), each value bound as itself
//!   (at most [`MAX_BOUND_PARAMS`], D1's table has at most 100 columns).
//! - A row with no columns at all is `INSERT ... DEFAULT VALUES`, one statement per
//!   row (SQL has no multi-row form of it).

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Result;
use crate::executor::Statement;
use crate::model::ModelDef;
use crate::query::compiler::{self, encode_json_row, JsonRows};
use crate::query::Ident;
use crate::value::SqlValue;

/// The most bound parameters one statement may carry: D1's limit.
pub const MAX_BOUND_PARAMS: usize = 100;

/// The largest JSON parameter (in bytes) one factory INSERT statement binds: half of
/// D1's 2,000,000-byte limit on a bound string, so a statement stays well inside it.
/// More rows than fit are cut into further statements of the same batch.
pub const MAX_JSON_PARAM_BYTES: usize = 1_000_000;

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
    /// For each statement, the indices (into the planned rows) of its rows, in the
    /// order the statement inserts them.
    pub members: Vec<Vec<usize>>,
    /// For each row, the primary key it supplied, if any (to match `RETURNING` rows).
    pub supplied_keys: Vec<Option<Value>>,
}

/// Rows sharing one column list: the columns, then (row index, values) per row.
type Group = (Vec<Ident>, Vec<(usize, Vec<SqlValue>)>);

/// Plan the INSERTs of `rows` into `M`'s table.
pub(crate) fn plan<M: ModelDef>(rows: Vec<Row>) -> Result<InsertPlan> {
    plan_with_limit::<M>(rows, MAX_JSON_PARAM_BYTES)
}

/// [`plan`] with a given JSON size limit per statement.
fn plan_with_limit<M: ModelDef>(rows: Vec<Row>, max_json: usize) -> Result<InsertPlan> {
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
        if columns.is_empty() {
            for (index, values) in members {
                plan.push(
                    compiler::insert(&table, &columns, vec![values]),
                    vec![index],
                );
            }
            continue;
        }
        let mut chunk = Chunk::new(columns.len());
        let mut encoded = String::new();
        for (index, values) in members {
            encode_json_row(&values, &mut encoded);
            if chunk.json.byte_len_with(encoded.len()) > max_json && chunk.json.rows() > 0 {
                chunk.flush(&mut plan, &table, &columns);
            }
            if chunk.json.byte_len_with(encoded.len()) > max_json {
                // Too large for a JSON parameter even alone: bind its values directly.
                plan.push(
                    compiler::insert(&table, &columns, vec![values]),
                    vec![index],
                );
                continue;
            }
            chunk.json.push(&encoded, &values);
            if chunk.indices.is_empty() {
                chunk.first = Some(values);
            }
            chunk.indices.push(index);
        }
        chunk.flush(&mut plan, &table, &columns);
    }
    Ok(plan)
}

impl InsertPlan {
    fn push(&mut self, statement: Statement, members: Vec<usize>) {
        self.statements.push(statement);
        self.members.push(members);
    }
}

/// The rows of the statement being filled.
struct Chunk {
    json: JsonRows,
    indices: Vec<usize>,
    /// The first row's values: a chunk of one row is sent as `VALUES (?, ...)`.
    first: Option<Vec<SqlValue>>,
}

impl Chunk {
    fn new(columns: usize) -> Self {
        Chunk {
            json: JsonRows::new(columns),
            indices: Vec::new(),
            first: None,
        }
    }

    /// Turn the rows so far into a statement of `plan`, and start again.
    fn flush(&mut self, plan: &mut InsertPlan, table: &Ident, columns: &[Ident]) {
        let Chunk {
            json,
            indices,
            first,
        } = std::mem::replace(self, Chunk::new(columns.len()));
        let statement = match (indices.len(), first) {
            (0, _) => return,
            (1, Some(values)) => compiler::insert(table, columns, vec![values]),
            _ => compiler::insert_json_rows(table, columns, json),
        };
        plan.push(statement, indices);
    }
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
    fn a_group_is_one_statement_of_one_parameter() {
        let mut rows: Vec<Row> = (0..1000).map(|_| row(&["a", "b", "c"])).collect();
        rows.insert(1, row(&["a"]));
        let plan = plan::<T>(rows).unwrap();
        let sizes: Vec<usize> = plan.members.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1000, 1]);
        assert_eq!(plan.members[1], [1]);
        assert_eq!(plan.members[0][..3], [0, 2, 3]);
        assert_eq!(plan.statements[0].params.len(), 1);
        assert!(plan.statements[0].sql.contains("FROM json_each(?)"));
        // A lone row is a plain VALUES insert.
        assert_eq!(
            plan.statements[1].sql,
            "INSERT INTO \"t\" (\"a\") VALUES (?) RETURNING *"
        );
    }

    #[test]
    fn groups_are_cut_by_the_size_of_their_json() {
        // Each row is `["a","b"]` (9 bytes): with the outer brackets and the commas,
        // k rows take 10k + 1 bytes, so 9 rows fit in 100.
        let rows: Vec<Row> = (0..20).map(|_| row(&["a", "b"])).collect();
        let plan = plan_with_limit::<T>(rows, 100).unwrap();
        let sizes: Vec<usize> = plan.members.iter().map(Vec::len).collect();
        assert_eq!(sizes, [9, 9, 2]);
        for statement in &plan.statements {
            let SqlValue::Text(json) = &statement.params[0] else {
                panic!("{statement:?}");
            };
            assert!(json.len() <= 100, "{}", json.len());
        }
        assert_eq!(plan.members.concat(), (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_row_too_large_for_json_binds_its_values() {
        let mut big = row(&["a", "b"]);
        big.values[1] = SqlValue::Blob(vec![7; 60]);
        let rows = vec![row(&["a", "b"]), row(&["a", "b"]), big, row(&["a", "b"])];
        let plan = plan_with_limit::<T>(rows, 100).unwrap();
        assert_eq!(plan.members, [vec![0, 1], vec![2], vec![3]]);
        assert_eq!(
            plan.statements[1].sql,
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?) RETURNING *"
        );
        assert_eq!(plan.statements[1].params[1], SqlValue::Blob(vec![7; 60]));
    }

    #[test]
    fn rows_without_columns_are_one_statement_each() {
        let plan = plan::<T>(vec![row(&[]), row(&[])]).unwrap();
        assert_eq!(plan.members, [vec![0], vec![1]]);
        assert_eq!(
            plan.statements[0].sql,
            "INSERT INTO \"t\" DEFAULT VALUES RETURNING *"
        );
    }
}
