//! Storing several new instances in as few statements as D1 allows, in one round
//! trip: each instance's `creating` hooks, tenant stamp and timestamps
//! ([`before_insert`](Instance::before_insert)), the INSERTs planned by
//! [`insert_plan`](crate::query::insert_plan) (one statement per column set), then the
//! stored rows (`RETURNING *`) read back into their instances and `created` fired.
//! Shared by factories (which plan level by level) and relation writes
//! (`create_many`, `save_many`). Builds no SQL itself.

use std::mem;
use std::sync::Arc;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::QueryResult;
use crate::model::returning::match_rows;
use crate::model::{Instance, ModelDef};
use crate::orm::Orm;
use crate::query::insert_plan::{self, InsertPlan, Row};
use crate::relations::touches::touch_statements;

/// A stored row read back: the result's column names and the row's values.
type StoredRow = (Arc<[String]>, Vec<Value>);

/// Run the `creating` hooks of `instances` (which may change them or abort) and plan
/// their INSERTs, then their owners' touches ([`ModelDef::TOUCHES`]); nothing is sent.
pub(crate) async fn plan_inserts<M: ModelDef>(
    orm: &Orm,
    instances: &mut [Instance<M>],
) -> Result<InsertPlan> {
    let mut rows = Vec::with_capacity(instances.len());
    for instance in instances.iter_mut() {
        let (columns, values) = instance.before_insert(orm).await?;
        rows.push(Row {
            columns,
            values,
            supplied_key: instance.key().cloned(),
        });
    }
    let mut plan = insert_plan::plan::<M>(rows)?;
    // The owners' touches ride in the same round trip, after the INSERTs.
    let touches = touch_statements(orm, instances.iter())?;
    plan.trailing = touches.len();
    plan.statements.extend(touches);
    Ok(plan)
}

/// Read the stored rows of `plan`'s statements (their results, next in `results`)
/// back into `instances`, in row order, and fire `created` on each.
pub(crate) async fn apply_inserts<M: ModelDef>(
    plan: &mut InsertPlan,
    instances: &mut [Instance<M>],
    results: &mut std::vec::IntoIter<QueryResult>,
) -> Result<()> {
    let mut stored: Vec<Option<StoredRow>> = vec![None; instances.len()];
    for members in mem::take(&mut plan.members) {
        let result = results.next().ok_or_else(missing_result::<M>)?;
        let supplied: Vec<Option<Value>> = members
            .iter()
            .map(|&i| plan.supplied_keys.get(i).cloned().flatten())
            .collect();
        let order = match_rows(M::model_name(), M::PRIMARY_KEY, &supplied, &result)?;
        let columns = Arc::clone(&result.columns);
        let mut rows: Vec<Option<Vec<Value>>> = result.into_rows().map(Some).collect();
        for (&i, &r) in members.iter().zip(&order) {
            // A row matched twice, or a member past the plan: never an empty record.
            let row = rows.get_mut(r).and_then(Option::take);
            match (row, stored.get_mut(i)) {
                (Some(row), Some(slot)) => *slot = Some((Arc::clone(&columns), row)),
                _ => return Err(missing_result::<M>()),
            }
        }
    }
    for _ in 0..mem::take(&mut plan.trailing) {
        results.next().ok_or_else(missing_result::<M>)?;
    }
    for (instance, row) in instances.iter_mut().zip(stored) {
        let (columns, row) = row.ok_or_else(missing_result::<M>)?;
        instance.after_insert(&columns, row).await?;
    }
    Ok(())
}

/// Store every instance of `instances` (all new): hooks up front, the INSERTs in one
/// round trip (atomic: all rows or none), then the stored rows and `created` hooks.
pub(crate) async fn insert_many<M: ModelDef>(
    orm: &Orm,
    instances: &mut [Instance<M>],
) -> Result<()> {
    if instances.is_empty() {
        return Ok(());
    }
    let mut plan = plan_inserts(orm, instances).await?;
    let statements = mem::take(&mut plan.statements);
    let results = match statements.as_slice() {
        [one] => vec![orm.run(one).await?],
        many => orm.batch(many).await?,
    };
    apply_inserts(&mut plan, instances, &mut results.into_iter()).await
}

pub(crate) fn missing_result<M: ModelDef>() -> OrmError {
    OrmError::database(
        format!(
            "insert of [{}]: the database returned fewer stored rows or results than it was sent",
            M::model_name()
        ),
        "",
    )
}
