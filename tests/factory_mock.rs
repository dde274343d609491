//! The exact SQL, parameters and round trips of factory writes, pinned through the mock
//! executor; and how `RETURNING` rows are matched back to instances.

use roost_orm::prelude::*;
use roost_orm::{MockExecutor, QueryResult, SqlValue, Statement};
use serde_json::{json, Value};

use SqlValue::{Integer as I, Text as T};

struct Tag;
impl ModelDef for Tag {
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::boolean("pinned"),
    ];
}

struct TagFactory;
impl Factory for TagFactory {
    type Model = Tag;
    fn definition(&self) -> impl IntoAttributes {
        json!({"name": "tag", "pinned": false})
    }
}

fn mock() -> (Orm, MockExecutor) {
    let mock = MockExecutor::new();
    (Orm::new(mock.clone()), mock)
}

fn returned(rows: &[(i64, &str)]) -> QueryResult {
    QueryResult::rows(
        ["id", "name", "pinned"],
        rows.iter()
            .map(|(id, name)| vec![json!(id), json!(name), json!(0)]),
    )
}

fn named(i: usize) -> Value {
    json!({"name": format!("t{i}")})
}

/// The factory's multi-row INSERT of `columns`: the rows as one JSON parameter.
fn json_insert(table: &str, columns: &[&str], rows: &str) -> Statement {
    let names: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let reads: Vec<String> = (0..columns.len())
        .map(|i| format!("json_extract(\"json_each\".\"value\", '$[{i}]')"))
        .collect();
    Statement::new(
        format!(
            "INSERT INTO \"{table}\" ({}) SELECT {} FROM json_each(?) ORDER BY \"json_each\".\"key\" RETURNING *",
            names.join(", "),
            reads.join(", ")
        ),
        vec![T(rows.into())],
    )
}

#[tokio::test]
async fn a_small_create_is_one_insert_of_one_json_parameter() {
    let (orm, mock) = mock();
    mock.push(returned(&[(1, "t0"), (2, "t1")]));
    let tags = orm
        .scope(TagFactory.count(2).sequence_fn(named).create())
        .await
        .unwrap();
    assert_eq!(
        mock.statements(),
        [json_insert(
            "tags",
            &["name", "pinned"],
            r#"[["t0",0],["t1",0]]"#
        )]
    );
    assert_eq!(mock.round_trips(), 1);
    assert_eq!(orm.statements(), 1);
    assert_eq!(tags[1].get("id"), Some(&json!(2)));
    // Read back through the boolean cast.
    assert_eq!(tags[1].get("pinned"), Some(&json!(false)));
}

#[tokio::test]
async fn rows_beyond_the_parameter_limit_are_still_one_statement() {
    let (orm, mock) = mock();
    let ids: Vec<(i64, String)> = (1..=40).map(|i| (i, format!("t{}", i - 1))).collect();
    let rows: Vec<(i64, &str)> = ids.iter().map(|(i, n)| (*i, n.as_str())).collect();
    mock.push(returned(&rows));
    let tags = orm
        .scope(
            TagFactory
                .count(40)
                .sequence_fn(named)
                .state_attrs(json!({"id": null}))
                .create(),
        )
        .await
        .unwrap();
    let statements = mock.statements();
    // 40 rows of 3 columns: 120 values, D1 binds at most 100 — in one JSON parameter.
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].params.len(), 1);
    assert_eq!(mock.round_trips(), 1);
    assert_eq!(orm.statements(), 1);
    let rows: Vec<String> = (0..40).map(|i| format!(r#"["t{i}",0,null]"#)).collect();
    assert_eq!(
        statements[0],
        json_insert(
            "tags",
            &["name", "pinned", "id"],
            &format!("[{}]", rows.join(","))
        )
    );
    assert_eq!(tags[39].get("id"), Some(&json!(40)));
    assert_eq!(tags[39].get("name"), Some(&json!("t39")));
}

#[tokio::test]
async fn a_lone_row_is_a_plain_values_insert() {
    let (orm, mock) = mock();
    mock.push(returned(&[(1, "t0")]));
    orm.scope(TagFactory.count(1).sequence_fn(named).create())
        .await
        .unwrap();
    assert_eq!(
        mock.statements(),
        [Statement::new(
            "INSERT INTO \"tags\" (\"name\", \"pinned\") VALUES (?, ?) RETURNING *",
            vec![T("t0".into()), I(0)]
        )]
    );
}

#[tokio::test]
async fn returning_rows_out_of_order_are_matched_by_key() {
    let (orm, mock) = mock();
    // Rows 0 and 2 get assigned ids; row 1 supplies id 50. The database answers in a
    // different order than VALUES.
    mock.push(returned(&[(50, "t1"), (8, "t2"), (7, "t0")]));
    let tags = orm
        .scope(
            TagFactory
                .count(3)
                .sequence_fn(named)
                .sequence([json!({"id": null}), json!({"id": 50}), json!({"id": null})])
                .create(),
        )
        .await
        .unwrap();
    let pairs: Vec<(Value, Value)> = tags
        .iter()
        .map(|t| (t.attributes["id"].clone(), t.attributes["name"].clone()))
        .collect();
    assert_eq!(
        pairs,
        [
            (json!(7), json!("t0")),
            (json!(50), json!("t1")),
            (json!(8), json!("t2"))
        ]
    );
}

#[tokio::test]
async fn a_statement_returning_too_few_rows_is_a_clear_error() {
    let (orm, mock) = mock();
    mock.push(returned(&[(1, "t0")]));
    let err = orm
        .scope(TagFactory.count(2).sequence_fn(named).create())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("gave back 1 rows for 2 inserted"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failing_batch_returns_the_database_error() {
    struct Mixed;
    impl Factory for Mixed {
        type Model = Tag;
        fn definition(&self) -> impl IntoAttributes {
            json!({"name": "tag"})
        }
    }
    let (orm, mock) = mock();
    mock.push(returned(&[(1, "t0"), (2, "t1")]));
    mock.push_error("UNIQUE constraint failed: tags.name");
    // Two column sets → 2 statements in one batch, the second fails.
    let rows = [
        json!({}),
        json!({}),
        json!({"pinned": true}),
        json!({"pinned": true}),
    ];
    let err = orm
        .scope(Mixed.count(4).sequence(rows).create())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OrmError::Database { message, sql } if message.contains("UNIQUE") && sql.starts_with("INSERT")),
        "{err:?}"
    );
    assert_eq!(mock.round_trips(), 1);
}

#[tokio::test]
async fn has_children_go_in_a_second_round_trip() {
    struct Item;
    impl ModelDef for Item {
        const TIMESTAMPS: bool = false;
    }
    struct ItemFactory;
    impl Factory for ItemFactory {
        type Model = Item;
        fn definition(&self) -> impl IntoAttributes {
            json!({"label": "x"})
        }
    }
    let (orm, mock) = mock();
    mock.push(returned(&[(1, "a"), (2, "b")]));
    mock.push(QueryResult::rows(
        ["id", "label", "tag_id"],
        (1..=4).map(|i| vec![json!(i), json!("x"), json!((i + 1) / 2)]),
    ));
    orm.scope(TagFactory.count(2).has(ItemFactory.count(2)).create())
        .await
        .unwrap();
    let statements = mock.statements();
    assert_eq!(mock.round_trips(), 2);
    assert_eq!(
        statements[1],
        json_insert(
            "items",
            &["label", "tag_id"],
            r#"[["x",1],["x",1],["x",2],["x",2]]"#
        )
    );
}
