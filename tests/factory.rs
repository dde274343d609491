//! Factories: counts, states, sequences, callbacks, configure, fake data (writes, hooks,
//! atomicity and round trips are in `factory_writes.rs`).
mod common;

use std::sync::{Arc, Mutex};

use common::{orm, raw_count, Post, User};
use roost_orm::factory::fake::faker::internet::en::SafeEmail;
use roost_orm::factory::fake::faker::name::en::Name;
use roost_orm::factory::fake::Fake;
use roost_orm::prelude::*;
use serde_json::{json, Value};

/// The TS reference's `PostFactory`, on the shared `Post` model.
struct PostFactory;
impl Factory for PostFactory {
    type Model = Post;
    fn definition(&self) -> impl IntoAttributes {
        json!({"title": "Test Post", "status": "published", "views": 0})
    }
}

/// Users with fake names; unique emails from a sequence.
struct UserFactory;
impl Factory for UserFactory {
    type Model = User;
    fn definition(&self) -> impl IntoAttributes {
        let name: String = Name().fake();
        let email: String = SafeEmail().fake();
        json!({"name": name, "email": email})
    }
}

fn draft(mut a: Attributes) -> Attributes {
    a.insert("status".into(), json!("draft"));
    a
}

fn titles<M: ModelDef>(instances: &[Instance<M>]) -> Vec<Value> {
    instances
        .iter()
        .map(|i| i.get("title").cloned().unwrap_or(Value::Null))
        .collect()
}

#[test]
fn make_builds_unsaved_instances_one_by_default() {
    let one = PostFactory.make().unwrap();
    assert_eq!(one.len(), 1);
    assert!(!one[0].exists());
    assert_eq!(one[0].get("title"), Some(&json!("Test Post")));
    assert_eq!(PostFactory.count(3).make().unwrap().len(), 3);
    assert!(PostFactory.count(0).make().unwrap().is_empty());
    // make_one ignores the count.
    let post = PostFactory.count(5).make_one().unwrap();
    assert!(!post.exists() && post.key().is_none());
}

#[test]
fn states_apply_in_call_order() {
    let posts = PostFactory
        .count(2)
        .state(draft)
        .state(|mut a| {
            // Sees the previous state's result.
            let status = a["status"].as_str().unwrap_or_default().to_uppercase();
            a.insert("title".into(), json!(format!("{status} post")));
            a
        })
        .state_attrs(json!({"views": 7}))
        .state_attrs([("status", "archived")])
        .make()
        .unwrap();
    for post in &posts {
        assert_eq!(post.get("title"), Some(&json!("DRAFT post")));
        assert_eq!(post.get("status"), Some(&json!("archived")));
        assert_eq!(post.get("views"), Some(&json!(7)));
    }
}

#[test]
fn sequences_cycle_per_row_and_interleave_with_states() {
    let posts = PostFactory
        .count(5)
        .sequence([json!({"status": "draft"}), json!({"status": "published"})])
        .sequence_fn(|i| json!({"title": format!("Post {i}")}))
        .state_attrs(json!({"views": 1}))
        .make()
        .unwrap();
    let statuses: Vec<_> = posts
        .iter()
        .map(|p| p.attributes["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        ["draft", "published", "draft", "published", "draft"]
    );
    assert_eq!(
        titles(&posts),
        ["Post 0", "Post 1", "Post 2", "Post 3", "Post 4"]
    );
    // A state after a sequence overrides it; before it, the sequence wins.
    let p = PostFactory
        .state_attrs(json!({"status": "x"}))
        .sequence([json!({"status": "seq"})])
        .state_attrs(json!({"views": 2}))
        .make_one()
        .unwrap();
    assert_eq!(p.get("status"), Some(&json!("seq")));
    let p = PostFactory
        .sequence([json!({"status": "seq"})])
        .state_attrs(json!({"status": "x"}))
        .make_one()
        .unwrap();
    assert_eq!(p.get("status"), Some(&json!("x")));
}

#[test]
fn bad_attributes_are_errors_not_panics() {
    struct Bad;
    impl Factory for Bad {
        type Model = Post;
        fn definition(&self) -> impl IntoAttributes {
            json!([1, 2])
        }
    }
    assert!(matches!(Bad.make(), Err(OrmError::InvalidAttributes(_))));
    assert!(matches!(
        PostFactory.state_attrs(json!("draft")).make(),
        Err(OrmError::InvalidAttributes(_))
    ));
    assert!(matches!(
        PostFactory.count(2).sequence([json!({}), json!(3)]).make(),
        Err(OrmError::InvalidAttributes(_))
    ));
    assert!(matches!(
        PostFactory.sequence_fn(|_| json!(null)).make_one(),
        Err(OrmError::InvalidAttributes(_))
    ));
}

#[tokio::test]
async fn fake_data_fills_definitions() {
    let (orm, db) = orm();
    orm.scope(async {
        let users = UserFactory
            .count(20)
            .sequence_fn(|i| json!({"email": format!("user{i}@example.com")}))
            .create()
            .await
            .unwrap();
        assert_eq!(raw_count(&db, "users"), 20);
        for user in &users {
            let name = user.get_as::<String>("name").unwrap();
            assert!(!name.trim().is_empty(), "fake name {name:?}");
        }
        let made = UserFactory.make_one().unwrap();
        assert!(made.get_as::<String>("email").unwrap().contains('@'));
    })
    .await;
}

#[tokio::test]
async fn after_making_and_after_creating_callbacks() {
    let (orm, _db) = orm();
    let seen_ids = Arc::new(Mutex::new(Vec::new()));
    let ids = seen_ids.clone();
    let builder = PostFactory
        .count(3)
        .after_making(|p: &mut Instance<Post>| {
            assert!(!p.exists());
            p.set("views", 5);
        })
        .after_creating(move |p: &mut Instance<Post>| {
            ids.lock().unwrap().push(p.get("id").cloned());
            p.set("title", "changed after creating (not saved)");
        });
    let made = builder.make().unwrap();
    assert!(made.iter().all(|p| p.get("views") == Some(&json!(5))));
    assert!(
        seen_ids.lock().unwrap().is_empty(),
        "make runs no after_creating"
    );
    orm.scope(async {
        let created = builder.create().await.unwrap();
        assert!(created.iter().all(|p| p.get("views") == Some(&json!(5))));
        assert!(created.iter().all(|p| p.is_dirty_key("title")));
        assert_eq!(
            *seen_ids.lock().unwrap(),
            [Some(json!(1)), Some(json!(2)), Some(json!(3))]
        );
        // An async callback can query, in the request scope.
        let counted = PostFactory
            .after_creating_async(|mut p: Instance<Post>| async move {
                let n = Post::query().count().await?;
                p.set("views", n);
                Ok(p)
            })
            .create_one()
            .await
            .unwrap();
        assert_eq!(counted.get("views"), Some(&json!(4)));
    })
    .await;
}

#[tokio::test]
async fn configure_applies_to_every_builder_and_has_factory_finds_it() {
    #[derive(Default)]
    struct ArchivedPostFactory;
    impl Factory for ArchivedPostFactory {
        type Model = ArchivedPost;
        fn definition(&self) -> impl IntoAttributes {
            json!({"title": "Old"})
        }
        fn configure(&self, builder: FactoryBuilder<Self>) -> FactoryBuilder<Self> {
            builder.state_attrs(json!({"status": "archived"}))
        }
    }
    struct ArchivedPost;
    impl ModelDef for ArchivedPost {
        const TABLE: Option<&'static str> = Some("posts");
    }
    impl HasFactory for ArchivedPost {
        type Factory = ArchivedPostFactory;
    }
    let (orm, _db) = orm();
    orm.scope(async {
        let posts = ArchivedPost::factory().count(2).create().await.unwrap();
        assert!(posts
            .iter()
            .all(|p| p.attributes["status"] == json!("archived")));
        let p = ArchivedPostFactory.make_one().unwrap();
        assert_eq!(p.get("status"), Some(&json!("archived")));
    })
    .await;
}
