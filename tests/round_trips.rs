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
            "empty page adds a count"
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
