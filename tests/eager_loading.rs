//! Eager loading by name (`with`, `Instance::load`, `relations::load`) on embedded
//! SQLite: nesting, round-trip counts, large parent sets, empty and soft-deleted
//! children, unknown names, and the JSON a handler returns.
mod relations_common;

use relations_common::{id, ids, orm, raw, seed_blog, Comment, Post, Profile, Tag, User};
use roost_orm::prelude::*;
use serde_json::json;

fn trips() -> u64 {
    Orm::current().map(|o| o.round_trips()).unwrap_or(0)
}

#[tokio::test]
async fn nested_two_levels_costs_one_query_per_level() {
    let (orm, db) = orm();
    seed_blog(&db, 3, 10, 5);
    orm.scope(async {
        let before = trips();
        let users = User::with(["posts.comments"]).all().await.unwrap();
        assert_eq!(trips() - before, 3, "users + posts + comments");
        assert_eq!(users.len(), 3);
        for user in &users {
            let posts = user.related::<Post>("posts").unwrap();
            assert_eq!(posts.len(), 10);
            for post in posts {
                assert_eq!(post.get("author_id"), user.get("id"));
                let comments = post.related::<Comment>("comments").unwrap();
                assert_eq!(comments.len(), 5);
                assert!(comments.iter().all(|c| c.get("post_id") == post.get("id")));
            }
        }
    })
    .await;
}

#[tokio::test]
async fn nested_three_levels_and_several_names() {
    let (orm, db) = orm();
    seed_blog(&db, 4, 3, 2);
    raw(
        &db,
        "INSERT INTO profiles (user_id, bio) VALUES (2, 'two');",
    );
    orm.scope(async {
        let before = trips();
        let statements = orm.statements();
        let users = User::query()
            .with(["posts", "posts.comments.author", "profile"])
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        // One round trip per level: users; posts + profiles (one batch); comments;
        // comment authors. Five statements.
        assert_eq!(trips() - before, 4);
        assert_eq!(orm.statements() - statements, 5);
        let comment = users[3].related::<Post>("posts").unwrap()[2]
            .related::<Comment>("comments")
            .unwrap()[1];
        let author = comment.related_one::<User>("author").unwrap().unwrap();
        assert_eq!(id(author), 1);
        assert_eq!(author.get("name"), Some(&json!("user 1")));
        let profiles: Vec<Option<i64>> = users
            .iter()
            .map(|u| {
                u.related_one::<Profile>("profile")
                    .unwrap()
                    .map(|p| p.get_as("user_id").unwrap())
            })
            .collect();
        assert_eq!(profiles, [None, Some(2), None, None]);
    })
    .await;
}

#[tokio::test]
async fn more_than_a_hundred_parents_is_still_one_query_per_level() {
    let (orm, db) = orm();
    seed_blog(&db, 250, 2, 0);
    orm.scope(async {
        let before = trips();
        let users = User::with(["posts"]).all().await.unwrap();
        assert_eq!(trips() - before, 2);
        assert_eq!(users.len(), 250);
        let total: usize = users
            .iter()
            .map(|u| u.related::<Post>("posts").unwrap().len())
            .sum();
        assert_eq!(total, 500);
        assert_eq!(
            ids(&users[249].related::<Post>("posts").unwrap()),
            [499, 500]
        );

        // And the inverse: 500 posts, 250 distinct authors, one query.
        let before = trips();
        let posts = Post::with(["author"]).all().await.unwrap();
        assert_eq!(trips() - before, 2);
        assert_eq!(posts.len(), 500);
        for post in &posts {
            let author = post.related_one::<User>("author").unwrap().unwrap();
            assert_eq!(author.get("id"), post.get("author_id"));
        }
    })
    .await;
}

#[tokio::test]
async fn parents_without_children_get_empty_entries() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 1, 0);
    raw(&db, "INSERT INTO users (id, name) VALUES (3, 'lonely');");
    orm.scope(async {
        let users = User::with(["posts.comments", "profile"])
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        let lonely = &users[2];
        assert!(lonely.related::<Post>("posts").unwrap().is_empty());
        assert_eq!(lonely.related_one::<Profile>("profile").unwrap(), None);
        let post = users[0].related::<Post>("posts").unwrap()[0];
        assert!(post.relation_loaded("comments"));
        assert!(post.related::<Comment>("comments").unwrap().is_empty());
        let json = serde_json::to_value(lonely).unwrap();
        assert_eq!(
            json,
            json!({"id": 3, "name": "lonely", "posts": [], "profile": null})
        );
    })
    .await;
}

#[tokio::test]
async fn no_parents_or_no_keys_sends_no_relation_query() {
    let (orm, db) = orm();
    raw(
        &db,
        "INSERT INTO posts (id, author_id, title) VALUES (1, NULL, 'a'), (2, NULL, 'b');",
    );
    orm.scope(async {
        let before = trips();
        let users = User::with(["posts.comments"]).all().await.unwrap();
        assert!(users.is_empty());
        assert_eq!(trips() - before, 1);

        // Every foreign key NULL: the belongs-to loads None without a query.
        let before = trips();
        let posts = Post::with(["author"]).all().await.unwrap();
        assert_eq!(trips() - before, 1);
        assert_eq!(posts.len(), 2);
        assert!(posts
            .iter()
            .all(|p| p.related_one::<User>("author").unwrap().is_none()));
    })
    .await;
}

#[tokio::test]
async fn soft_deleted_children_are_excluded() {
    let (orm, db) = orm();
    seed_blog(&db, 2, 3, 2);
    raw(
        &db,
        "UPDATE posts SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id = 2;
         UPDATE comments SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id IN (1, 7);",
    );
    orm.scope(async {
        let users = User::with(["posts.comments"])
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        let posts = users[0].related::<Post>("posts").unwrap();
        assert_eq!(ids(&posts), [1, 3]);
        assert_eq!(ids(&posts[0].related::<Comment>("comments").unwrap()), [2]);
        let second = users[1].related::<Post>("posts").unwrap();
        assert_eq!(ids(&second[0].related::<Comment>("comments").unwrap()), [8]);

        // A comment on the soft-deleted post: its belongs-to finds nothing.
        let comment = Comment::with(["post"]).find(3).await.unwrap().unwrap();
        assert_eq!(comment.related_one::<Post>("post").unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn unknown_names_fail_before_any_query() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 1, 1);
    orm.scope(async {
        let before = trips();
        let cases = [
            (vec!["nope"], "User", "nope"),
            (vec!["posts", "posts.nope"], "Post", "nope"),
            (vec!["posts.comments.author.nope"], "User", "nope"),
            (vec!["posts..comments"], "Post", ""),
        ];
        for (names, model, relation) in cases {
            let expected = OrmError::InvalidRelation {
                model,
                relation: relation.to_string(),
            };
            assert_eq!(User::with(names.clone()).all().await.unwrap_err(), expected);
            assert_eq!(
                User::with(names.clone()).first().await.unwrap_err(),
                expected
            );
            assert_eq!(
                User::with(names.clone()).find(1).await.unwrap_err(),
                expected
            );
            // (`Paginated<User>` is not Debug, so no unwrap_err here.)
            let page = User::with(names.clone()).paginate(1, 10).await;
            assert_eq!(page.err(), Some(expected));
        }
        let mut user = User::find(1).await.unwrap().unwrap();
        let before_load = trips();
        assert_eq!(
            user.load(["posts.tags.nope"]).await.unwrap_err(),
            OrmError::InvalidRelation {
                model: "Tag",
                relation: "nope".into()
            }
        );
        assert_eq!(trips(), before_load);
        assert_eq!(
            trips() - before,
            1,
            "only the find above reached the database"
        );
        assert_eq!(
            OrmError::InvalidRelation {
                model: "Post",
                relation: "nope".into()
            }
            .to_string(),
            "Relation [nope] is not defined on model [Post]"
        );
    })
    .await;
}

#[tokio::test]
async fn serialized_user_nests_posts_and_comments() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 2, 2);
    orm.scope(async {
        let user = User::with(["posts.comments"]).find(1).await.unwrap().unwrap();
        let comment = |id: i64, post: i64, n: i64| {
            json!({"id": id, "post_id": post, "user_id": 1, "body": format!("comment {post}.{n}"), "deleted_at": null})
        };
        assert_eq!(
            serde_json::to_value(&user).unwrap(),
            json!({
                "id": 1,
                "name": "user 1",
                "posts": [
                    {"id": 1, "author_id": 1, "title": "post 1.1", "deleted_at": null,
                     "comments": [comment(1, 1, 1), comment(2, 1, 2)]},
                    {"id": 2, "author_id": 1, "title": "post 1.2", "deleted_at": null,
                     "comments": [comment(3, 2, 1), comment(4, 2, 2)]},
                ]
            })
        );
    })
    .await;
}

#[tokio::test]
async fn load_after_the_fact_and_paginate_with_relations() {
    let (orm, db) = orm();
    seed_blog(&db, 5, 2, 1);
    orm.scope(async {
        let mut users = User::query().order_by("id", "asc").all().await.unwrap();
        let before = trips();
        roost_orm::relations::load(&mut users, ["posts.comments"])
            .await
            .unwrap();
        assert_eq!(trips() - before, 2);
        assert_eq!(users[4].related::<Post>("posts").unwrap().len(), 2);

        let mut user = User::find(2).await.unwrap().unwrap();
        let before = trips();
        user.load(["posts"]).await.unwrap();
        assert_eq!(trips() - before, 1);
        assert_eq!(ids(&user.related::<Post>("posts").unwrap()), [3, 4]);

        let before = trips();
        let page = User::with(["posts"])
            .order_by("id", "asc")
            .paginate(2, 2)
            .await
            .unwrap();
        assert_eq!(trips() - before, 2);
        assert_eq!(ids(&page.data.iter().collect::<Vec<_>>()), [3, 4]);
        assert_eq!(ids(&page.data[1].related::<Post>("posts").unwrap()), [7, 8]);
    })
    .await;
}

#[tokio::test]
async fn many_to_many_eager_loads_with_pivot_and_nests() {
    let (orm, db) = orm();
    seed_blog(&db, 1, 3, 0);
    raw(
        &db,
        "INSERT INTO tags (id, name) VALUES (1, 'rust'), (2, 'd1'), (3, 'gone');
         UPDATE tags SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE id = 3;
         INSERT INTO post_tag (post_id, tag_id, added_by) VALUES
            (1, 1, 'ada'), (1, 2, 'bob'), (2, 2, 'cy'), (2, 3, 'dee');",
    );
    orm.scope(async {
        let before = trips();
        let posts = Post::with(["tags.posts"])
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        assert_eq!(trips() - before, 3, "posts + tags + tags' posts");
        let tags = posts[0].related::<Tag>("tags").unwrap();
        assert_eq!(ids(&tags), [1, 2]);
        let pivot = tags[1].pivot().unwrap();
        assert_eq!(pivot.get("added_by"), Some(&json!("bob")));
        assert_eq!(pivot.get("post_id"), Some(&json!(1)));
        // Back through the inverse relation: tag 2 is on posts 1 and 2.
        assert_eq!(ids(&tags[1].related::<Post>("posts").unwrap()), [1, 2]);
        // The soft-deleted tag 3 is not loaded; post 3 has no tags.
        assert_eq!(ids(&posts[1].related::<Tag>("tags").unwrap()), [2]);
        assert!(posts[2].related::<Tag>("tags").unwrap().is_empty());
        let json = serde_json::to_value(&posts[1]).unwrap();
        assert_eq!(json["tags"][0]["pivot"]["added_by"], json!("cy"));
        assert_eq!(json["tags"][0]["pivot"]["tag_id"], json!(2));
    })
    .await;
}

#[tokio::test]
async fn siblings_of_one_level_share_one_round_trip() {
    let (orm, db) = orm();
    seed_blog(&db, 3, 2, 2);
    raw(
        &db,
        "INSERT INTO profiles (user_id, bio) VALUES (1, 'one');
         INSERT INTO tags (name) VALUES ('rust'), ('d1');
         INSERT INTO post_tag (post_id, tag_id) VALUES (1, 1), (1, 2), (4, 2);",
    );
    orm.scope(async {
        let (trips0, statements0) = (trips(), orm.statements());
        let users = User::query()
            .with(["posts.comments", "posts.tags", "profile"])
            .order_by("id", "asc")
            .all()
            .await
            .unwrap();
        // The parents; posts + profile; comments + tags.
        assert_eq!(trips() - trips0, 3);
        assert_eq!(orm.statements() - statements0, 5);
        let posts = users[0].related::<Post>("posts").unwrap();
        assert_eq!(ids(&posts[0].related::<Tag>("tags").unwrap()), [1, 2]);
        assert_eq!(posts[0].related::<Comment>("comments").unwrap().len(), 2);
        assert!(users[0]
            .related_one::<Profile>("profile")
            .unwrap()
            .is_some());
        assert!(users[1]
            .related_one::<Profile>("profile")
            .unwrap()
            .is_none());
        let second = users[1].related::<Post>("posts").unwrap();
        assert_eq!(ids(&second[1].related::<Tag>("tags").unwrap()), [2]);
        // A level where no parent has a key sends nothing; the others still go.
        let (trips0, statements0) = (trips(), orm.statements());
        let lonely = User::where_("id", 999)
            .with(["posts.comments", "profile"])
            .all()
            .await
            .unwrap();
        assert!(lonely.is_empty());
        assert_eq!((trips() - trips0, orm.statements() - statements0), (1, 1));
    })
    .await;
}
