//! `paginate` on the real engine: one statement for a page with rows (and an empty page
//! 1), a count more past the last page; the page's order,
//! the total of the filter (not of the page), and the filter's values bound once.
mod common;

use common::{orm, Post};
use roost_orm::prelude::*;
use serde_json::json;

async fn seed(n: i64) {
    for i in 1..=n {
        Post::create(json!({"title": format!("post {i}"), "views": i % 7, "status": if i % 2 == 0 { "even" } else { "odd" }}))
            .await
            .unwrap();
    }
}

fn ids(page: &Paginated<Post>) -> Vec<i64> {
    page.data
        .iter()
        .map(|p| p.get_as::<i64>("id").unwrap())
        .collect()
}

#[tokio::test]
async fn pages_totals_and_order() {
    let (orm, _db) = orm();
    orm.scope(async {
        seed(25).await;
        let page = Post::where_("status", "odd")
            .order_by_desc("id")
            .paginate(2, 5)
            .await
            .unwrap();
        assert_eq!(ids(&page), [15, 13, 11, 9, 7]);
        assert_eq!((page.total, page.last_page), (13, 3));
        // Order by a non-unique column, then the key: stable across the join.
        let page = Post::query()
            .order_by("views", "asc")
            .order_by_desc("id")
            .paginate(1, 4)
            .await
            .unwrap();
        assert_eq!(ids(&page), [21, 14, 7, 22]);
        // Past the end: the page statement finds no rows, a count gives the total.
        let before = orm.statements();
        let empty = Post::where_("status", "even").paginate(9, 5).await.unwrap();
        assert_eq!(orm.statements() - before, 2);
        assert!(empty.data.is_empty());
        assert_eq!((empty.total, empty.last_page), (12, 3));
        // No rows at all: page 1 is empty only when nothing matches, one statement.
        let before = orm.statements();
        let none = Post::where_("status", "none").paginate(1, 5).await.unwrap();
        assert_eq!(orm.statements() - before, 1);
        assert_eq!((none.total, none.last_page, none.data.len()), (0, 1, 0));
        // The last page, partly filled: one statement.
        let before = orm.statements();
        let last = Post::where_("status", "even").paginate(3, 5).await.unwrap();
        assert_eq!(orm.statements() - before, 1);
        assert_eq!((last.total, ids(&last)), (12, vec![22, 24]));
        // Soft-deleted rows are neither on the page nor in the total.
        Post::where_in("id", [1, 3]).delete().await.unwrap();
        let page = Post::where_("status", "odd").paginate(1, 50).await.unwrap();
        assert_eq!((page.total, page.data.len()), (11, 11));
        // The page is hydrated like all(): no helper columns left on the records.
        let keys: Vec<&String> = page.data[0].attributes.keys().collect();
        assert!(keys.iter().all(|k| !k.starts_with("__roost")), "{keys:?}");
    })
    .await;
}

#[tokio::test]
async fn the_filters_values_are_bound_once() {
    // 60 conditions: written twice (count and page) but bound once, so the statement
    // stays within D1's 100 parameters (which the SQLite executor enforces).
    let (orm, _db) = orm();
    orm.scope(async {
        seed(10).await;
        let mut query = Post::query();
        for i in 0..60 {
            query = query.where_op("views", "!=", 100 + i);
        }
        let page = query.paginate(1, 3).await.unwrap();
        assert_eq!((page.total, page.data.len()), (10, 3));
        let statement = Post::query()
            .where_op("views", "!=", 1)
            .to_statement()
            .unwrap();
        assert_eq!(statement.params.len(), 1);
    })
    .await;
}
