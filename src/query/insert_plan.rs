//! How rows to insert (a factory's, or a query's `insert` / `upsert`) become INSERT
//! statements within D1's limits.
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
//! - A row JSON can't carry exactly — its own JSON over [`MAX_JSON_PARAM_BYTES`] (a
//!   large BLOB doubles in hex), or a REAL that SQLite would not parse back bit for bit
//!   (see [`compiler::encode_json_row`]: `1e-300`, `1.7e178`) — has its values bound as
//!   themselves, in a multi-row `INSERT ... VALUES (?, ...), ...` of at most
//!   [`MAX_BOUND_PARAMS`] values ([`compiler::insert`], the statement form before JSON).
//!   So does a statement that would hold a single row (a `create_one`): it is the same
//!   statement as `Model::create`'s.
//! - Statements keep the rows' order within a group (a bound row between JSON rows
//!   ends one JSON statement and starts another), so assigned ids follow row order.
//! - A row with no columns at all is `INSERT ... DEFAULT VALUES`, one statement per
//!   row (SQL has no multi-row form of it).

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Result;
use crate::executor::Statement;
use crate::model::ModelDef;
use crate::query::compiler::{self, encode_json_row, JsonRows};
use crate::query::{Ident, OnConflict};
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
    /// Statements sent after the INSERTs whose results are not stored rows (the
    /// owners' touches of the model layer), counted so their results are skipped.
    pub trailing: usize,
}

/// Rows sharing one column list: the columns, then (row index, values) per row.
type Group = (Vec<Ident>, Vec<(usize, Vec<SqlValue>)>);

/// Rows per bound `VALUES` statement for `columns` columns under [`MAX_BOUND_PARAMS`]
/// (at least 1).
fn rows_per_values_statement(columns: usize) -> usize {
    (MAX_BOUND_PARAMS / columns.max(1)).max(1)
}

/// Plan the INSERTs of `rows` into `M`'s table.
pub(crate) fn plan<M: ModelDef>(rows: Vec<Row>) -> Result<InsertPlan> {
    plan_with::<M>(rows, &Shape::default())
}

/// How the planned statements end: the conflict rule and whether they return the
/// stored rows (a factory reads them back; a query's `insert` only counts).
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub conflict: OnConflict,
    pub returning: bool,
    pub max_json: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            conflict: OnConflict::Fail,
            returning: true,
            max_json: MAX_JSON_PARAM_BYTES,
        }
    }
}

/// [`plan`] with a conflict rule, `RETURNING` choice and JSON size limit.
pub(crate) fn plan_with<M: ModelDef>(rows: Vec<Row>, shape: &Shape) -> Result<InsertPlan> {
    let max_json = shape.max_json;
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
                    compiler::insert_with(
                        &table,
                        &columns,
                        vec![values],
                        &shape.conflict,
                        shape.returning,
                    ),
                    vec![index],
                );
            }
            continue;
        }
        let mut group = GroupPlanner {
            plan: &mut plan,
            table: &table,
            columns: &columns,
            json: JsonRows::new(columns.len()),
            bound: Vec::new(),
            members: Vec::new(),
            shape,
        };
        let mut encoded = String::new();
        for (index, values) in members {
            let exact = encode_json_row(&values, &mut encoded);
            // `[` row `]`: the row alone as a parameter.
            if !exact || encoded.len() + 2 > max_json {
                group.add_bound(index, values);
            } else {
                if group.json.byte_len_with(encoded.len()) > max_json {
                    group.flush();
                }
                group.add_json(index, &encoded, values);
            }
        }
        group.flush();
    }
    Ok(plan)
}

impl InsertPlan {
    fn push(&mut self, statement: Statement, members: Vec<usize>) {
        self.statements.push(statement);
        self.members.push(members);
    }
}

/// The statement being filled for one group: JSON rows, or rows with bound values
/// (never both; switching kinds ends the statement).
struct GroupPlanner<'a> {
    plan: &'a mut InsertPlan,
    table: &'a Ident,
    columns: &'a [Ident],
    json: JsonRows,
    /// The values of the rows so far when they are bound rows, or of the single JSON
    /// row so far (a statement of one row is sent as `VALUES (?, ...)`).
    bound: Vec<Vec<SqlValue>>,
    /// The rows of the statement, in order.
    members: Vec<usize>,
    shape: &'a Shape,
}

impl GroupPlanner<'_> {
    fn add_json(&mut self, index: usize, encoded: &str, values: Vec<SqlValue>) {
        if self.json.rows() == 0 && !self.members.is_empty() {
            self.flush(); // bound rows before
        }
        self.json.push(encoded, &values);
        self.bound = if self.json.rows() == 1 {
            vec![values]
        } else {
            Vec::new()
        };
        self.members.push(index);
    }

    fn add_bound(&mut self, index: usize, values: Vec<SqlValue>) {
        if self.json.rows() > 0 || self.bound.len() >= rows_per_values_statement(self.columns.len())
        {
            self.flush();
        }
        self.bound.push(values);
        self.members.push(index);
    }

    /// Turn the rows so far into a statement, and start again.
    fn flush(&mut self) {
        let members = std::mem::take(&mut self.members);
        let bound = std::mem::take(&mut self.bound);
        let json = std::mem::replace(&mut self.json, JsonRows::new(self.columns.len()));
        let (conflict, returning) = (&self.shape.conflict, self.shape.returning);
        let statement = match members.len() {
            0 => return,
            _ if members.len() > 1 && json.rows() > 0 => {
                compiler::insert_json_rows_with(self.table, self.columns, json, conflict, returning)
            }
            _ => compiler::insert_with(self.table, self.columns, bound, conflict, returning),
        };
        self.plan.push(statement, members);
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
        let plan = plan_with::<T>(
            rows,
            &Shape {
                max_json: 100,
                ..Shape::default()
            },
        )
        .unwrap();
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
        let plan = plan_with::<T>(
            rows,
            &Shape {
                max_json: 100,
                ..Shape::default()
            },
        )
        .unwrap();
        assert_eq!(plan.members, [vec![0, 1], vec![2], vec![3]]);
        assert_eq!(
            plan.statements[1].sql,
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?) RETURNING *"
        );
        assert_eq!(plan.statements[1].params[1], SqlValue::Blob(vec![7; 60]));
    }

    #[test]
    fn rows_with_inexact_reals_are_bound_in_order() {
        let real = |f: f64| Row {
            columns: vec![Ident::parse("r").unwrap()],
            values: vec![SqlValue::Real(f)],
            supplied_key: None,
        };
        let rows = vec![
            real(0.5),
            real(0.25),
            real(1e-300),
            real(2e-300),
            real(0.75),
        ];
        let plan = plan::<T>(rows).unwrap();
        assert_eq!(plan.members, [vec![0, 1], vec![2, 3], vec![4]]);
        assert!(plan.statements[0].sql.contains("json_each(?)"));
        assert_eq!(
            plan.statements[1].sql,
            "INSERT INTO \"t\" (\"r\") VALUES (?), (?) RETURNING *"
        );
        assert_eq!(
            plan.statements[1].params,
            [SqlValue::Real(1e-300), SqlValue::Real(2e-300)]
        );
        // Bound rows fill statements of at most 100 values.
        let rows = (0..150).map(|i| real(f64::from(i + 1) * 1e-300)).collect();
        let sizes: Vec<usize> = super::plan::<T>(rows)
            .unwrap()
            .members
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [100, 50]);
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
