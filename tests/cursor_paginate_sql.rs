//! `cursor_paginate`'s statements: the exact SQL and parameters of a next and a
//! previous page (mock executor), and any cursor text either refused before SQL or the
//! exact page (a property test on the real engine).
mod common;
mod cursor_common;

use common::{orm, Post};
use cursor_common::{craft, ids, seed};
use roost_orm::prelude::*;
use roost_orm::query::Cursor;
use roost_orm::{MockExecutor, SqlValue, Statement};
use serde_json::{json, Value};

#[tokio::test]
async fn the_sql_of_a_next_and_a_previous_page() {
    use SqlValue::{Integer as I, Text as T};
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    let next = craft(json!({"next": true, "keys": [["views", "desc", 5], ["id", "asc", 9]]}));
    let prev = craft(json!({"next": false, "keys": [["views", "desc", 5], ["id", "asc", 9]]}));
    orm.scope(async {
        for cursor in [&next, &prev] {
            Post::where_("status", "a")
                .or_where("status", "b")
                .order_by_desc("views")
                .limit(100)
                .offset(7)
                .cursor_paginate(3, Some(cursor))
                .await
                .unwrap();
        }
        Post::query().cursor_paginate(3, None).await.unwrap();
    })
    .await;
    let page = |op1: &str, op2: &str, order: &str| {
        format!(
            "SELECT * FROM \"posts\" WHERE (\"posts\".\"status\" = ? OR \"posts\".\"status\" = ?) \
             AND (\"posts\".\"views\" {op1} ? OR (\"posts\".\"views\" = ? AND \"posts\".\"id\" {op2} ?)) \
             AND \"posts\".\"deleted_at\" IS NULL ORDER BY {order} LIMIT ?"
        )
    };
    let params = vec![T("a".into()), T("b".into()), I(5), I(5), I(9), I(4)];
    assert_eq!(
        mock.statements(),
        vec![
            Statement::new(
                page("<", ">", "\"posts\".\"views\" DESC, \"posts\".\"id\" ASC"),
                params.clone()
            ),
            Statement::new(
                page(">", "<", "\"posts\".\"views\" ASC, \"posts\".\"id\" DESC"),
                params
            ),
            Statement::new(
                "SELECT * FROM \"posts\" WHERE \"posts\".\"deleted_at\" IS NULL \
                 ORDER BY \"posts\".\"id\" ASC LIMIT ?",
                vec![I(4)]
            ),
        ]
    );
}

/// Any cursor text — random, a crafted payload of any shape, a damaged real cursor —
/// is either refused with [`OrmError::InvalidCursor`] before any SQL, or one statement
/// whose rows are exactly the page the oracle computes from the full ordered list (and
/// never a soft-deleted row).
#[test]
fn any_cursor_is_refused_or_an_exact_page() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let (orm, _db) = orm();
    let (rows, real) = futures::executor::block_on(orm.scope(async {
        seed().await;
        Post::where_in("id", [4, 11]).delete().await.unwrap();
        let rows: Vec<(i64, i64)> = Post::query()
            .order_by_desc("views")
            .order_by_asc("id")
            .all()
            .await
            .unwrap()
            .iter()
            .map(|p| (p.get_as("views").unwrap(), p.get_as("id").unwrap()))
            .collect();
        let page = Post::query()
            .order_by_desc("views")
            .cursor_paginate(3, None)
            .await
            .unwrap();
        (rows, page.next_cursor.unwrap())
    }));

    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-2i64..6).prop_map(Value::from),
        (0i64..30).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z0-9]{0,3}".prop_map(Value::from),
        Just(json!([1])),
        Just(json!({"a": 1})),
    ];
    let key = (
        prop::sample::select(vec!["views", "id", "title", "ID", "x\"; --"]),
        prop::sample::select(vec!["asc", "desc", "up"]),
        value,
    )
        .prop_map(|(c, d, v)| json!([c, d, v]));
    let payload = (
        prop_oneof![4 => any::<bool>().prop_map(Value::from), 1 => Just(json!("yes"))],
        prop::collection::vec(key, 0..4),
    )
        .prop_map(|(next, keys)| craft(json!({"next": next, "keys": keys})));
    // The right shape, any position: mostly valid.
    let positioned = (any::<bool>(), -1i64..5, 0i64..26).prop_map(|(next, v, i)| {
        craft(json!({"next": next, "keys": [["views", "desc", v], ["id", "asc", i]]}))
    });
    let real_len = real.len();
    let damaged = (0..real_len, any::<u8>()).prop_map({
        let real = real.clone();
        move |(at, b)| {
            let mut bytes = real.clone().into_bytes();
            bytes[at] = b'A' + b % 58;
            String::from_utf8_lossy(&bytes[..bytes.len() - at % 3]).into_owned()
        }
    });
    let text = prop_oneof![1 => ".{0,40}", 3 => payload, 3 => positioned, 2 => damaged];

    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let (pages, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&text, |text| {
            let before = orm.statements();
            let result = futures::executor::block_on(orm.scope(async {
                Post::query()
                    .order_by_desc("views")
                    .cursor_paginate(3, Some(&text))
                    .await
            }));
            let sent = orm.statements() - before;
            let page = match result {
                Err(OrmError::InvalidCursor(_)) => {
                    refused.set(refused.get() + 1);
                    prop_assert_eq!(sent, 0, "an invalid cursor sent SQL");
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(format!("{e:?} for {text}"))),
                Ok(page) => page,
            };
            prop_assert_eq!(sent, 1);
            pages.set(pages.get() + 1);
            // The oracle: the cursor's position in (views DESC, id ASC) order.
            let cursor = Cursor::decode(&text).unwrap();
            let at = (
                cursor.parameter("views").and_then(Value::as_i64).unwrap(),
                cursor.parameter("id").and_then(Value::as_i64).unwrap(),
            );
            let after = |&(v, i): &(i64, i64)| v < at.0 || (v == at.0 && i > at.1);
            let expected: Vec<i64> = if cursor.points_to_next_items() {
                rows.iter()
                    .filter(|r| after(r))
                    .take(3)
                    .map(|r| r.1)
                    .collect()
            } else {
                let before: Vec<i64> = rows
                    .iter()
                    .filter(|r| !after(r) && **r != at)
                    .map(|r| r.1)
                    .collect();
                before[before.len().saturating_sub(3)..].to_vec()
            };
            prop_assert_eq!(ids(&page.data), expected, "{}", text);
            Ok(())
        })
        .unwrap();
    // Both outcomes were exercised.
    assert!(
        pages.get() > 50 && refused.get() > 50,
        "{pages:?} {refused:?}"
    );
}
