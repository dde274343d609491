//! The request scope: no scope → OrmNotBooted; interleaved requests never share a
//! database; futures are Send on native.
mod common;

use std::future::Future;

use common::{orm, User};
use futures::future::join;
use roost_orm::prelude::*;
use serde_json::json;

#[tokio::test]
async fn statics_outside_a_scope_fail_with_orm_not_booted() {
    let not_booted = OrmError::OrmNotBooted {
        model: Some("User"),
    };
    let err = User::find(1).await.unwrap_err();
    assert_eq!(err, not_booted);
    // The message names the model that asked and says how to fix it.
    let message = err.to_string();
    assert!(message.contains("[User]"), "{message}");
    assert!(message.contains("orm.scope"), "{message}");
    assert_eq!(User::all().await.unwrap_err(), not_booted);
    assert_eq!(
        User::create(json!({"name": "x"})).await.unwrap_err(),
        not_booted
    );
    assert_eq!(User::query().count().await.unwrap_err(), not_booted);
    let mut u = User::make(json!({"name": "x"})).unwrap();
    assert_eq!(u.save().await.unwrap_err(), not_booted);
    // Outside any model, the error says so.
    assert_eq!(
        Orm::current().unwrap_err(),
        OrmError::OrmNotBooted { model: None }
    );
}

#[tokio::test(flavor = "current_thread")]
async fn interleaved_requests_on_one_thread_see_their_own_database() {
    let (orm_a, _a) = orm();
    let (orm_b, _b) = orm();
    let (tx_a, rx_a) = tokio::sync::oneshot::channel::<()>();
    let (tx_b, rx_b) = tokio::sync::oneshot::channel::<()>();
    // Each request writes, then waits for the other to write, then reads: the polls
    // interleave on this single thread.
    let request_a = orm_a.scope(async move {
        User::create(json!({"name": "from a", "email": "a@x"}))
            .await
            .unwrap();
        tx_a.send(()).unwrap();
        rx_b.await.unwrap();
        tokio::task::yield_now().await;
        User::all().await.unwrap()
    });
    let request_b = orm_b.scope(async move {
        rx_a.await.unwrap();
        User::create(json!({"name": "from b", "email": "b@x"}))
            .await
            .unwrap();
        User::create(json!({"name": "from b too", "email": "b2@x"}))
            .await
            .unwrap();
        tx_b.send(()).unwrap();
        User::all().await.unwrap()
    });
    let (users_a, users_b) = join(request_a, request_b).await;
    let names = |v: &[Instance<User>]| -> Vec<String> {
        v.iter()
            .map(|u| u.get_as::<String>("name").unwrap())
            .collect()
    };
    assert_eq!(names(&users_a), ["from a"]);
    assert_eq!(names(&users_b), ["from b", "from b too"]);
    assert_eq!(orm_a.round_trips(), 2);
    assert_eq!(orm_b.round_trips(), 3);
    // And outside both scopes, nothing is current.
    assert!(Orm::current().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_futures_move_between_threads() {
    let (orm, _db) = orm();
    let handle = tokio::spawn(orm.scope(async {
        User::create(json!({"name": "n", "email": "e"}))
            .await
            .unwrap();
        for _ in 0..10 {
            tokio::task::yield_now().await;
            assert!(Orm::current().is_ok());
        }
        User::query().count().await.unwrap()
    }));
    assert_eq!(handle.await.unwrap(), 1);
}

#[test]
fn nested_scopes_restore_the_outer_one() {
    let (outer, _a) = orm();
    let (inner, _b) = orm();
    futures::executor::block_on(outer.scope(async {
        let before = Orm::current().unwrap();
        inner
            .scope(async {
                let now = Orm::current().unwrap();
                assert_eq!(now.round_trips(), inner.round_trips());
                User::query().count().await.unwrap();
            })
            .await;
        assert_eq!(inner.round_trips(), 1);
        assert_eq!(before.round_trips(), 0);
        User::query().count().await.unwrap();
        assert_eq!(Orm::current().unwrap().round_trips(), 1);
    }));
    assert_eq!(outer.round_trips(), 1);
}

fn assert_send<F: Future + Send>(_: F) {}

#[test]
fn model_futures_are_send_on_native() {
    assert_send(User::find(1));
    assert_send(User::all());
    assert_send(User::create(json!({})));
    assert_send(User::query().paginate(1, 1));
    assert_send(User::query().count());
    let mut u = User::make(json!({})).unwrap();
    assert_send(async move { u.save().await.map(|_| ()) });
    let (orm, _db) = orm();
    assert_send(orm.scope(User::all()));
}
