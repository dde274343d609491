//! Exact round trips per call: on D1 each costs milliseconds.
mod common;

use common::{orm, Post, User};
use roost_orm::prelude::*;
use serde_json::json;

async fn trips_of<F: std::future::Future>(f: F) -> u64 {
    let orm = Orm::current().unwrap();
    let before = orm.round_trips();
    f.await;
    orm.round_trips() - before
}

#[tokio::test]
async fn one_round_trip_per_terminal() {
    let (orm, _db) = orm();
    orm.scope(async {
        User::create(json!({"name": "a", "email": "a@x"}))
            .await
            .unwrap();
        for i in 0..5 {
            Post::create(json!({"title": format!("p{i}"), "author_id": 1}))
                .await
                .unwrap();
        }
        assert_eq!(trips_of(Post::create(json!({"title": "x"}))).await, 1);
        assert_eq!(trips_of(Post::find(1)).await, 1);
        assert_eq!(trips_of(Post::find_or_fail(1)).await, 1);
        assert_eq!(trips_of(Post::all()).await, 1);
        assert_eq!(trips_of(Post::where_("title", "p1").first()).await, 1);
        assert_eq!(
            trips_of(Post::where_("title", "p1").first_or_fail()).await,
            1
        );
        assert_eq!(trips_of(Post::query().count()).await, 1);
        assert_eq!(trips_of(Post::where_in("id", 1..=500).all()).await, 1);
        assert_eq!(
            trips_of(Post::query().paginate(1, 2)).await,
            1,
            "page with rows"
        );
        assert_eq!(
            trips_of(Post::query().paginate(50, 2)).await,
            2,
            "past the last page: the page finds no rows, then a count"
        );
        assert_eq!(
            trips_of(Post::where_("title", "none").paginate(1, 2)).await,
            1,
            "an empty first page is one statement: nothing matches"
        );
        let mut p = Post::find(1).await.unwrap().unwrap();
        p.set("title", "changed");
        assert_eq!(trips_of(p.save()).await, 1);
        assert_eq!(trips_of(p.save()).await, 0, "clean save");
        assert_eq!(trips_of(p.delete()).await, 1);
        assert_eq!(trips_of(p.restore()).await, 1);
        assert_eq!(trips_of(p.refresh()).await, 1);
        assert_eq!(trips_of(p.force_delete()).await, 1);
    })
    .await;
}

mod relations_common;

/// A factory for the shared `Post` model.
struct PostFactory;
impl Factory for PostFactory {
    type Model = Post;
    fn definition(&self) -> impl IntoAttributes {
        json!({"title": "Generated", "status": "published"})
    }
}

#[tokio::test]
async fn eager_loads_add_one_round_trip_per_level_on_every_terminal() {
    use relations_common::User as Author;
    let (orm, db) = relations_common::orm();
    relations_common::seed_blog(&db, 3, 4, 2);
    orm.scope(async {
        assert_eq!(trips_of(Author::with(["posts"]).all()).await, 2);
        assert_eq!(trips_of(Author::with(["posts.comments"]).all()).await, 3);
        assert_eq!(trips_of(Author::with(["posts"]).first()).await, 2);
        assert_eq!(trips_of(Author::with(["posts"]).find(1)).await, 2);
        assert_eq!(
            trips_of(Author::with(["posts"]).paginate(1, 2)).await,
            2,
            "page with rows: the page, then its posts"
        );
        assert_eq!(
            trips_of(Author::with(["posts"]).paginate(9, 2)).await,
            2,
            "past the last page: the page and a count; no parents, so no posts query"
        );
        assert_eq!(
            trips_of(Author::with(["posts"]).where_("id", 999).all()).await,
            1,
            "no parents, no relation query"
        );
    })
    .await;
}

#[tokio::test]
async fn factories_write_any_number_of_rows_in_one_round_trip() {
    let (orm, db) = orm();
    orm.scope(async {
        assert_eq!(trips_of(PostFactory.count(0).create()).await, 0);
        assert_eq!(trips_of(PostFactory.create_one()).await, 1);
        assert_eq!(trips_of(PostFactory.count(1000).create()).await, 1);
    })
    .await;
    assert_eq!(common::raw_count(&db, "posts"), 1001);
}
