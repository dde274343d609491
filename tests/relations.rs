//! The typed relation objects on embedded SQLite: `load`, `load_many`, pivot writes,
//! and reading loaded relations back.
mod relations_common;

use relations_common::{id, ids, orm, raw, seed_blog, Comment, Post, Profile, Tag, User};
use roost_orm::prelude::*;
use roost_orm::relations::{relation_map, BelongsToManyRelation, SyncChanges};
use serde_json::json;

fn trips() -> u64 {
    Orm::current().map(|o| o.round_trips()).unwrap_or(0)
}

#[tokio::test]
async fn has_many_load_returns_live_children() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 3, 0);
    raw(
        &db,
        "UPDATE posts SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id = 2;",
    );
    orm.scope(async {
        let user = User::find(1).await.unwrap().unwrap();
        let before = trips();
        let posts = User::POSTS.load(&user).await.unwrap();
        assert_eq!(trips() - before, 1);
        let got: Vec<i64> = posts.iter().map(id).collect();
        assert_eq!(got, [1, 3]);
        assert!(posts.iter().all(|p| p.exists() && !p.is_dirty()));
    })
    .await;
}

#[tokio::test]
async fn has_one_load_finds_the_record_or_none() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 0, 0);
    raw(&db, "INSERT INTO profiles (user_id, bio) VALUES (2, 'hi');");
    orm.scope(async {
        let first = User::find(1).await.unwrap().unwrap();
        let second = User::find(2).await.unwrap().unwrap();
        assert_eq!(User::PROFILE.load(&first).await.unwrap(), None);
        let profile = User::PROFILE.load(&second).await.unwrap().unwrap();
        assert_eq!(profile.get("bio"), Some(&json!("hi")));
        // And back.
        let owner = roost_orm::relations::BelongsToRelation::<User>::new("user_id", "id")
            .load(&profile)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(id(&owner), 2);
    })
    .await;
}

#[tokio::test]
async fn belongs_to_load_and_null_foreign_key_without_query() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 1, 0);
    raw(
        &db,
        "INSERT INTO posts (id, author_id, title) VALUES (9, NULL, 'orphan');",
    );
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let author = Post::USER.load(&post).await.unwrap().unwrap(); // TS: await Post.user.load(post)
        assert_eq!(author.get("name"), Some(&json!("user 1")));

        let orphan = Post::find_or_fail(9).await.unwrap();
        let before = trips();
        assert_eq!(Post::USER.load(&orphan).await.unwrap(), None);
        assert_eq!(trips(), before, "a NULL foreign key sends no query");
    })
    .await;
}

#[tokio::test]
async fn load_many_attaches_under_the_declared_name() {
    let (orm, db) = orm();
    seed_blog(&db, 3, 2, 1);
    orm.scope(async {
        let mut users = User::query().order_by("id", "asc").all().await.unwrap();
        let before = trips();
        User::POSTS.load_many(&mut users).await.unwrap();
        User::PROFILE.load_many(&mut users).await.unwrap();
        assert_eq!(trips() - before, 2);
        assert_eq!(ids(&users[2].related::<Post>("posts").unwrap()), [5, 6]);
        assert_eq!(users[0].related_one::<Profile>("profile").unwrap(), None);

        // Not declared on the model: the default name, or an explicit one.
        let mut posts = Post::query().order_by("id", "asc").all().await.unwrap();
        let by_post = roost_orm::relations::HasManyRelation::<Comment>::foreign("post_id");
        by_post.load_many(&mut posts).await.unwrap();
        assert_eq!(posts[0].related::<Comment>("comments").unwrap().len(), 1);
        Post::USER.load_many_as(&mut posts, "writer").await.unwrap();
        let writer = posts[5].related_one::<User>("writer").unwrap().unwrap();
        assert_eq!(id(writer), 3);
        let undeclared = roost_orm::relations::BelongsToRelation::<User>::foreign("author_id");
        undeclared.load_many(&mut posts).await.unwrap();
        assert!(posts[0].relation_loaded("user"));
    })
    .await;
}

#[tokio::test]
async fn reading_back_checks_names_types_and_arity() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 2, 0);
    orm.scope(async {
        let mut user = User::with(["posts", "profile"])
            .find(1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            user.related::<Post>("nope").unwrap_err(),
            OrmError::RelationNotLoaded {
                model: "User",
                relation: "nope".into()
            }
        );
        let err = user.related::<Comment>("posts").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Relation [posts] of model [User] holds a list of Post, not a list of Comment"
        );
        assert!(matches!(
            user.related_one::<Post>("posts"),
            Err(OrmError::RelationMismatch { .. })
        ));
        assert!(matches!(
            user.related::<Profile>("profile"),
            Err(OrmError::RelationMismatch { .. })
        ));
        assert!(user.take_related::<Comment>("posts").is_err());
        assert!(
            user.relation_loaded("posts"),
            "a failed take keeps the relation"
        );
        let posts = user.take_related::<Post>("posts").unwrap();
        assert_eq!(posts.len(), 2);
        assert!(!user.relation_loaded("posts"));
        assert_eq!(user.take_related_one::<Profile>("profile").unwrap(), None);
        let names: Vec<&String> = user.loaded_relations().iter().map(|(n, _)| n).collect();
        assert!(names.is_empty());
    })
    .await;
}

#[tokio::test]
async fn belongs_to_many_attach_load_detach() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 2, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');",
    );
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let before = trips();
        assert_eq!(Post::TAGS.attach(&post, [1, 2]).await.unwrap(), 2);
        assert_eq!(
            Post::TAGS
                .attach_with(&post, [3], json!({"added_by": "ada"}))
                .await
                .unwrap(),
            1
        );
        assert_eq!(trips() - before, 2, "one statement per attach");

        let tags = Post::TAGS.load(&post).await.unwrap();
        let got: Vec<i64> = tags.iter().map(id).collect();
        assert_eq!(got, [1, 2, 3]);
        let pivot = tags[2].pivot().unwrap();
        assert_eq!(pivot.get("added_by"), Some(&json!("ada")));
        assert_eq!(pivot.get("tag_id"), Some(&json!(3)));
        let stamped = pivot.get_as::<String>("created_at").unwrap();
        assert_eq!(stamped.len(), 24);
        assert_eq!(tags[0].pivot().unwrap().get("added_by"), Some(&json!(null)));

        // The inverse relation reads the same pivot by convention.
        let tag = Tag::find(2).await.unwrap().unwrap();
        assert_eq!(Tag::POSTS.load(&tag).await.unwrap().len(), 1);

        assert_eq!(Post::TAGS.detach(&post, [1, 9]).await.unwrap(), 1);
        assert_eq!(Post::TAGS.load(&post).await.unwrap().len(), 2);
        assert_eq!(Post::TAGS.detach_all(&post).await.unwrap(), 2);
        assert!(Post::TAGS.load(&post).await.unwrap().is_empty());
        // Related rows themselves stay.
        assert_eq!(Tag::query().count().await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn sync_makes_the_list_exact_in_one_round_trip() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 2, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');",
    );
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let other = Post::find_or_fail(2).await.unwrap();
        Post::TAGS.attach(&post, [1, 2]).await.unwrap();
        Post::TAGS.attach(&other, [1]).await.unwrap();

        let before = trips();
        let changes = Post::TAGS.sync(&post, [2, 3, 4, 3]).await.unwrap();
        assert_eq!(trips() - before, 1);
        assert_eq!(
            changes,
            SyncChanges {
                attached: vec![json!(3), json!(4)],
                detached: vec![json!(1)],
            }
        );
        let got: Vec<i64> = Post::TAGS
            .load(&post)
            .await
            .unwrap()
            .iter()
            .map(id)
            .collect();
        assert_eq!(got, [2, 3, 4]);

        // Again: nothing to do. Then empty: everything detached.
        assert_eq!(
            Post::TAGS.sync(&post, [4, 3, 2]).await.unwrap(),
            SyncChanges::default()
        );
        let changes = Post::TAGS.sync(&post, Vec::<i64>::new()).await.unwrap();
        assert_eq!(changes.detached.len(), 3);
        assert!(changes.attached.is_empty());
        // The other post's pivot rows are untouched.
        assert_eq!(Post::TAGS.load(&other).await.unwrap().len(), 1);
        let rows: i64 = db.with_connection(|c| {
            c.query_row("SELECT COUNT(*) FROM post_tag", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(rows, 1);
    })
    .await;
}

#[tokio::test]
async fn pivot_writes_need_a_parent_key_and_valid_columns() {
    let (orm, _db) = orm();
    orm.scope(async {
        let unsaved = Post::make(json!({"title": "new"})).unwrap();
        assert_eq!(
            Post::TAGS.attach(&unsaved, [1]).await.unwrap_err(),
            OrmError::MissingPrimaryKey {
                model: "Post",
                key: "id"
            }
        );
        let saved = Instance::<Post>::from_attributes(json!({"id": 1})).unwrap();
        assert!(matches!(
            Post::TAGS
                .attach_with(&saved, [1], json!({"bad name": 1}))
                .await,
            Err(OrmError::InvalidIdentifier(_))
        ));
        assert_eq!(Orm::current().unwrap().round_trips(), 0);
    })
    .await;
}

#[test]
fn pivot_names_follow_laravel_conventions() {
    struct Role;
    impl ModelDef for Role {}
    let roles = BelongsToManyRelation::<Role>::conventional();
    assert_eq!(roles.pivot_table::<User>(), "role_user");
    assert_eq!(roles.foreign_pivot_key::<User>(), "user_id");
    assert_eq!(roles.related_pivot_key(), "role_id");
    assert_eq!(Post::TAGS.pivot_table::<Post>(), "post_tag");
    assert_eq!(Tag::POSTS.pivot_table::<Tag>(), "post_tag");
    let custom = BelongsToManyRelation::<Role>::new("memberships", "member_id", "group_id");
    assert_eq!(custom.pivot_table::<User>(), "memberships");
    assert_eq!(custom.related_pivot_key(), "group_id");
}

#[test]
fn relation_maps_list_declared_names() {
    let map = relation_map::<Post>();
    assert_eq!(
        map.names().collect::<Vec<_>>(),
        ["author", "comments", "tags"]
    );
    assert_eq!(map.related_model("tags"), Some("Tag"));
    assert!(!map.contains("nope"));
    assert!(relation_map::<Profile>().contains("user"));
    // Cached: the same map each time.
    assert!(std::sync::Arc::ptr_eq(&map, &relation_map::<Post>()));
}

#[tokio::test]
async fn toggle_flips_each_pair_and_sync_without_detaching_only_adds() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 2, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');",
    );
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        let other = Post::find_or_fail(2).await.unwrap();
        Post::TAGS.attach(&post, [1, 2]).await.unwrap();
        Post::TAGS.attach(&other, [3]).await.unwrap();
        let tag_ids = |p: &Instance<Post>| {
            let p = p.clone();
            async move {
                let mut got: Vec<i64> = Post::TAGS.load(&p).await.unwrap().iter().map(id).collect();
                got.sort();
                got
            }
        };

        let before = trips();
        let changes = Post::TAGS.toggle(&post, [2, 3, 3]).await.unwrap();
        assert_eq!(trips() - before, 2, "a read, then one batch");
        assert_eq!(
            changes,
            SyncChanges {
                attached: vec![json!(3)],
                detached: vec![json!(2)],
            }
        );
        assert_eq!(tag_ids(&post).await, [1, 3]);
        assert_eq!(tag_ids(&other).await, [3], "the other post is untouched");
        // Toggling back restores the pairs; an empty list does nothing.
        Post::TAGS.toggle(&post, [2, 3]).await.unwrap();
        assert_eq!(tag_ids(&post).await, [1, 2]);
        let before = trips();
        assert_eq!(
            Post::TAGS.toggle(&post, Vec::<i64>::new()).await.unwrap(),
            SyncChanges::default()
        );
        assert_eq!(trips(), before);

        let changes = Post::TAGS
            .sync_without_detaching(&post, [2, 4])
            .await
            .unwrap();
        assert_eq!(changes.attached, [json!(4)]);
        assert!(changes.detached.is_empty());
        assert_eq!(tag_ids(&post).await, [1, 2, 4]);
    })
    .await;
}

#[tokio::test]
async fn update_existing_pivot_writes_one_pair_and_touches_updated_at() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 1, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'a'), (2, 'b');",
    );
    orm.scope(async {
        let post = Post::find_or_fail(1).await.unwrap();
        Post::TAGS.attach(&post, [1, 2]).await.unwrap();
        raw(&db, "UPDATE post_tag SET updated_at = 'old'");
        let updated = Post::TAGS
            .update_existing_pivot(&post, 2, json!({"added_by": "grace"}))
            .await
            .unwrap();
        assert_eq!(updated, 1);
        let rows: Vec<(i64, Option<String>, String)> = db.with_connection(|c| {
            let mut stmt = c
                .prepare("SELECT tag_id, added_by, updated_at FROM post_tag ORDER BY tag_id")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        });
        assert_eq!(rows[0], (1, None, "old".to_string()));
        assert_eq!(rows[1].1.as_deref(), Some("grace"));
        assert_ne!(rows[1].2, "old");
        // Not paired: nothing updated. A bad column name: an error, nothing written.
        assert_eq!(
            Post::TAGS
                .update_existing_pivot(&post, 9, json!({"added_by": "x"}))
                .await
                .unwrap(),
            0
        );
        assert!(matches!(
            Post::TAGS
                .update_existing_pivot(&post, 1, json!({"bad name": "x"}))
                .await,
            Err(OrmError::InvalidIdentifier(_))
        ));
    })
    .await;
}
