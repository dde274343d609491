//! Lifecycle hooks: order, aborts (nothing written), changes written, async hooks.
//! Each test uses its own model types: the hook registry is process-wide.
mod common;

use std::sync::{Arc, Mutex};

use common::{orm, raw_count};
use roost_orm::prelude::*;
use serde_json::json;

macro_rules! post_model {
    ($name:ident) => {
        struct $name;
        impl ModelDef for $name {
            const TABLE: Option<&'static str> = Some("posts");
            const SOFT_DELETES: bool = true;
        }
    };
}

#[tokio::test]
async fn hooks_fire_in_registration_order_around_each_write() {
    post_model!(OrderPost);
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    for event in [
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Deleting,
        HookEvent::Deleted,
    ] {
        for n in 1..=2 {
            let log = log.clone();
            OrderPost::on(event, move |p: &mut Instance<OrderPost>| {
                log.lock()
                    .unwrap()
                    .push(format!("{event}#{n} exists={}", p.exists()));
            });
        }
    }
    let (orm, _db) = orm();
    orm.scope(async {
        let mut p = OrderPost::create(json!({"title": "a"})).await.unwrap();
        p.set("title", "b");
        p.save().await.unwrap();
        p.save().await.unwrap(); // clean: no hooks
        p.delete().await.unwrap();
    })
    .await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "creating#1 exists=false",
            "creating#2 exists=false",
            "created#1 exists=true",
            "created#2 exists=true",
            "updating#1 exists=true",
            "updating#2 exists=true",
            "updated#1 exists=true",
            "updated#2 exists=true",
            "deleting#1 exists=true",
            "deleting#2 exists=true",
            "deleted#1 exists=true",
            "deleted#2 exists=true",
        ]
    );
    OrderPost::clear_hooks();
}

#[tokio::test]
async fn a_false_pre_hook_aborts_with_nothing_written() {
    post_model!(GuardedPost);
    let later_ran = Arc::new(Mutex::new(false));
    GuardedPost::on(HookEvent::Creating, |p: &mut Instance<GuardedPost>| {
        p.get("title") != Some(&json!("forbidden"))
    });
    let flag = later_ran.clone();
    GuardedPost::on(HookEvent::Creating, move |_: &mut Instance<GuardedPost>| {
        *flag.lock().unwrap() = true;
    });
    GuardedPost::on(HookEvent::Updating, |p: &mut Instance<GuardedPost>| {
        p.get("title") != Some(&json!("frozen"))
    });
    GuardedPost::on(HookEvent::Deleting, |p: &mut Instance<GuardedPost>| {
        p.get("views") != Some(&json!(99))
    });
    let (orm, db) = orm();
    orm.scope(async {
        let err = GuardedPost::create(json!({"title": "forbidden"}))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            OrmError::HookAborted {
                model: "GuardedPost",
                event: HookEvent::Creating,
                hook: 1
            }
        );
        assert!(err.to_string().contains("GuardedPost") && err.to_string().contains("creating"));
        assert!(
            !*later_ran.lock().unwrap(),
            "hooks after the aborting one don't run"
        );
        assert_eq!(raw_count(&db, "posts"), 0);

        let mut p = GuardedPost::create(json!({"title": "ok", "views": 99}))
            .await
            .unwrap();
        p.set("title", "frozen");
        let err = p.save().await.unwrap_err();
        assert!(matches!(
            err,
            OrmError::HookAborted {
                event: HookEvent::Updating,
                ..
            }
        ));
        let stored = GuardedPost::find(1).await.unwrap().unwrap();
        assert_eq!(stored.get("title"), Some(&json!("ok")));

        let err = stored.clone().delete().await.unwrap_err();
        assert!(matches!(
            err,
            OrmError::HookAborted {
                event: HookEvent::Deleting,
                ..
            }
        ));
        assert!(GuardedPost::find(1).await.unwrap().is_some());
        let err = stored.clone().force_delete().await.unwrap_err();
        assert!(matches!(
            err,
            OrmError::HookAborted {
                event: HookEvent::Deleting,
                ..
            }
        ));
        assert_eq!(raw_count(&db, "posts"), 1);
    })
    .await;
    GuardedPost::clear_hooks();
}

#[tokio::test]
async fn changes_made_by_creating_and_updating_hooks_are_written() {
    post_model!(SluggedPost);
    SluggedPost::on(HookEvent::Creating, |p: &mut Instance<SluggedPost>| {
        let title = p.get_as::<String>("title").unwrap_or_default();
        p.set("status", format!("slug-{}", title.to_lowercase()));
    });
    SluggedPost::on(HookEvent::Updating, |p: &mut Instance<SluggedPost>| {
        p.set("views", 1000);
    });
    let (orm, _db) = orm();
    orm.scope(async {
        let mut p = SluggedPost::create(json!({"title": "Hello"}))
            .await
            .unwrap();
        assert_eq!(p.get("status"), Some(&json!("slug-hello")));
        p.set("title", "Again");
        p.save().await.unwrap();
        let stored = SluggedPost::find(1).await.unwrap().unwrap();
        assert_eq!(stored.get("status"), Some(&json!("slug-hello")));
        assert_eq!(stored.get("views"), Some(&json!(1000)));
        assert_eq!(stored.get("title"), Some(&json!("Again")));
    })
    .await;
    SluggedPost::clear_hooks();
}

#[tokio::test]
async fn async_hooks_can_query_and_abort() {
    post_model!(AsyncPost);
    // An async hook that looks at the database before allowing the insert.
    AsyncPost::on_async(
        HookEvent::Creating,
        |mut p: Instance<AsyncPost>| async move {
            let existing = AsyncPost::query().count().await.unwrap_or(0);
            p.set("views", existing as i64);
            (p, existing < 2)
        },
    );
    let (orm, db) = orm();
    orm.scope(async {
        let a = AsyncPost::create(json!({"title": "a"})).await.unwrap();
        let b = AsyncPost::create(json!({"title": "b"})).await.unwrap();
        assert_eq!(a.get("views"), Some(&json!(0)));
        assert_eq!(b.get("views"), Some(&json!(1)));
        let err = AsyncPost::create(json!({"title": "c"})).await.unwrap_err();
        assert!(matches!(
            err,
            OrmError::HookAborted {
                model: "AsyncPost",
                ..
            }
        ));
        assert_eq!(raw_count(&db, "posts"), 2);
    })
    .await;
    AsyncPost::clear_hooks();
}

#[tokio::test]
async fn post_event_false_does_not_abort_and_clear_removes_hooks() {
    post_model!(ClearedPost);
    ClearedPost::on(HookEvent::Created, |_: &mut Instance<ClearedPost>| false);
    ClearedPost::on(HookEvent::Creating, |_: &mut Instance<ClearedPost>| false);
    let (orm, db) = orm();
    orm.scope(async {
        assert!(ClearedPost::create(json!({"title": "x"})).await.is_err());
        ClearedPost::clear_hooks();
        ClearedPost::on(HookEvent::Created, |_: &mut Instance<ClearedPost>| false);
        ClearedPost::create(json!({"title": "x"})).await.unwrap();
        assert_eq!(raw_count(&db, "posts"), 1);
    })
    .await;
    ClearedPost::clear_hooks();
}

#[test]
fn hook_names_parse_from_ts_strings() {
    assert_eq!(
        "creating".parse::<HookEvent>().unwrap(),
        HookEvent::Creating
    );
    assert_eq!("deleted".parse::<HookEvent>().unwrap(), HookEvent::Deleted);
    assert_eq!("saving".parse::<HookEvent>().unwrap(), HookEvent::Saving);
    assert_eq!(
        "forceDeleting".parse::<HookEvent>().unwrap(),
        HookEvent::ForceDeleting
    );
    assert!("save".parse::<HookEvent>().is_err());
}
