//! The per-invocation statement budget: a run or batch that would take a request past
//! it is `QueryBudgetExceeded` before anything is sent; the provider applies
//! `OrmConfig::query_budget` (D1's paid-plan 1,000 by default) to each request.
use std::collections::HashMap;

use roost_orm::prelude::*;
use roost_orm::tenant::{OrmConfig, OrmServiceProvider, DEFAULT_QUERY_BUDGET};
use roost_orm::{MockExecutor, QueryResult, SqliteExecutor, Statement};
use serde_json::json;

fn select(n: i64) -> Statement {
    Statement::new("SELECT ?", vec![n.into()])
}

fn mock() -> (Orm, MockExecutor) {
    let mock = MockExecutor::new();
    for _ in 0..20 {
        mock.push(QueryResult::default());
    }
    (Orm::new(mock.clone()), mock)
}

#[tokio::test]
async fn an_orm_made_directly_has_no_budget() {
    let (orm, _) = mock();
    assert_eq!(orm.query_budget(), None);
    for i in 0..20 {
        orm.run(&select(i)).await.unwrap();
    }
    assert_eq!(orm.statements(), 20);
}

#[tokio::test]
async fn runs_stop_exactly_at_the_budget() {
    let (orm, mock) = mock();
    orm.set_query_budget(Some(3));
    assert_eq!(orm.query_budget(), Some(3));
    for i in 0..3 {
        orm.run(&select(i)).await.unwrap();
    }
    let err = orm.run(&select(3)).await.unwrap_err();
    assert_eq!(
        err,
        OrmError::QueryBudgetExceeded {
            budget: 3,
            used: 3,
            requested: 1
        }
    );
    // Refused before sending: not counted, not sent.
    assert_eq!((orm.statements(), orm.round_trips()), (3, 3));
    assert_eq!(mock.statements().len(), 3);
    let message = err.to_string();
    assert!(
        message.contains("1 more statement(s) would take this invocation to 4 of its budget of 3"),
        "{message}"
    );
    assert!(message.contains("Nothing was sent"), "{message}");
}

#[tokio::test]
async fn a_batch_that_would_cross_the_budget_sends_nothing() {
    let (orm, mock) = mock();
    let orm = orm.with_query_budget(Some(5));
    orm.run(&select(0)).await.unwrap();
    orm.batch(&[select(1), select(2)]).await.unwrap();
    assert_eq!((orm.statements(), orm.round_trips()), (3, 2));
    // 3 used + 3 requested > 5: none of the three is sent.
    let err = orm
        .batch(&[select(3), select(4), select(5)])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        OrmError::QueryBudgetExceeded {
            budget: 5,
            used: 3,
            requested: 3
        }
    );
    assert_eq!(mock.statements().len(), 3);
    assert_eq!((orm.statements(), orm.round_trips()), (3, 2));
    // Exactly up to the budget is allowed.
    orm.batch(&[select(3), select(4)]).await.unwrap();
    assert_eq!(orm.statements(), 5);
    assert!(orm.run(&select(6)).await.is_err());
    assert!(
        orm.batch(&[]).await.is_ok(),
        "an empty batch spends nothing"
    );
}

#[tokio::test]
async fn a_new_request_starts_a_fresh_count_with_the_same_budget() {
    let (orm, _) = mock();
    orm.set_query_budget(Some(2));
    orm.run(&select(0)).await.unwrap();
    orm.run(&select(1)).await.unwrap();
    assert!(orm.run(&select(2)).await.is_err());
    let next = orm.new_request();
    assert_eq!(next.query_budget(), Some(2));
    assert_eq!(next.statements(), 0);
    next.run(&select(3)).await.unwrap();
    next.run(&select(4)).await.unwrap();
    assert!(next.run(&select(5)).await.is_err());
    // Lifting the budget lets the first request go on.
    orm.set_query_budget(None);
    orm.run(&select(6)).await.unwrap();
    assert_eq!(orm.statements(), 3);
}

#[tokio::test]
async fn model_queries_are_refused_too() {
    struct Note;
    impl ModelDef for Note {
        const TIMESTAMPS: bool = false;
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT)")
        .unwrap();
    let orm = Orm::new(db).with_query_budget(Some(2));
    orm.scope(async {
        Note::create(json!({"title": "a"})).await.unwrap();
        assert_eq!(Note::all().await.unwrap().len(), 1);
        let err = Note::find(1).await.unwrap_err();
        assert!(
            matches!(err, OrmError::QueryBudgetExceeded { .. }),
            "{err:?}"
        );
    })
    .await;
}

/// With D1's free-plan budget of 50, a factory of 1,000 rows costs one statement.
#[tokio::test]
async fn a_thousand_row_factory_fits_the_free_plan() {
    struct Note;
    impl ModelDef for Note {}
    struct NoteFactory;
    impl Factory for NoteFactory {
        type Model = Note;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "n"})
        }
    }
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, created_at TEXT, updated_at TEXT)",
    )
    .unwrap();
    let orm = Orm::new(db).with_query_budget(Some(50));
    let notes = orm.scope(NoteFactory.count(1000).create()).await.unwrap();
    assert_eq!(notes.len(), 1000);
    assert_eq!(orm.statements(), 1);
}

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn the_budget_is_configured_strictly() {
    let budget = |v: &str| OrmConfig::from_vars(vars(&[("DATABASE_QUERY_BUDGET", v)]));
    assert_eq!(OrmConfig::default().query_budget, Some(1000));
    assert_eq!(DEFAULT_QUERY_BUDGET, 1000);
    assert_eq!(
        OrmConfig::from_vars(vars(&[])).unwrap().query_budget,
        Some(1000)
    );
    assert_eq!(budget("50").unwrap().query_budget, Some(50));
    assert_eq!(budget(" 1000 ").unwrap().query_budget, Some(1000));
    assert_eq!(
        budget("").unwrap().query_budget,
        Some(1000),
        "empty: default"
    );
    assert_eq!(budget("none").unwrap().query_budget, None);
    assert_eq!(budget("NONE").unwrap().query_budget, None);
    for bad in [
        "0",
        "-1",
        "+5",
        "1e3",
        "1_000",
        "1,000",
        "ten",
        "unlimited",
        "99999999999999999999",
    ] {
        match budget(bad) {
            Err(OrmError::InvalidConfig(message)) => {
                assert!(message.contains("DATABASE_QUERY_BUDGET"), "{message}")
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_provider_gives_each_request_the_configured_budget() {
    let bindings = HashMap::from([("DB".to_string(), SqliteExecutor::memory().unwrap())]);
    let default = OrmServiceProvider::new(OrmConfig::default());
    assert_eq!(default.boot(&bindings).unwrap().query_budget(), Some(1000));
    let unlimited = OrmServiceProvider::new(OrmConfig {
        query_budget: None,
        ..OrmConfig::default()
    });
    assert_eq!(unlimited.boot(&bindings).unwrap().query_budget(), None);
    let provider = OrmServiceProvider::new(OrmConfig {
        query_budget: Some(2),
        ..OrmConfig::default()
    });
    let first = provider.boot(&bindings).unwrap();
    first.run(&select(1)).await.unwrap();
    first.run(&select(2)).await.unwrap();
    assert!(matches!(
        first.run(&select(3)).await,
        Err(OrmError::QueryBudgetExceeded {
            budget: 2,
            used: 2,
            requested: 1
        })
    ));
    // The next request (a new invocation) has its own, unspent budget.
    let second = provider.boot(&bindings).unwrap();
    second.run(&select(1)).await.unwrap();
}
