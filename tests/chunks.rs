//! Chunked reads on the real engine: one statement per chunk, key paging that neither
//! skips nor repeats rows written meanwhile, scopes applied, bad sizes refused.
mod common;

use common::{orm, Post};
use futures::TryStreamExt;
use roost_orm::prelude::*;
use serde_json::json;

fn seed(db: &roost_orm::SqliteExecutor, n: usize) {
    let values: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "('p{i}', {}, {})",
                i % 10,
                if i % 100 == 99 {
                    "'2020-01-01'"
                } else {
                    "NULL"
                }
            )
        })
        .collect();
    db.execute_batch(&format!(
        "INSERT INTO posts (title, views, deleted_at) VALUES {};",
        values.join(", ")
    ))
    .unwrap();
}

#[tokio::test]
async fn chunk_by_id_reads_every_live_row_once() {
    let (orm, db) = orm();
    seed(&db, 2_500);
    orm.scope(async {
        let sent = orm.statements();
        let mut seen = Vec::new();
        let chunks = Post::query()
            .chunk_by_id(1_000, |rows| {
                seen.extend(rows.iter().map(|r| r.get_as::<i64>("id").unwrap()));
                async { Ok(true) }
            })
            .await
            .unwrap();
        // 2,475 live rows (every 100th is soft-deleted): three chunks, three statements.
        assert_eq!((chunks, orm.statements() - sent), (3, 3));
        assert_eq!(seen.len(), 2_475);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        // Writes between chunks: new rows are read once, none repeated.
        let mut count = 0;
        Post::where_("views", 3)
            .chunk_by_id(50, |rows| {
                count += rows.len();
                async {
                    Post::create(json!({"title": "late", "views": 3})).await?;
                    Ok(true)
                }
            })
            .await
            .unwrap();
        let total = Post::where_("views", 3).count().await.unwrap() as usize;
        assert!(count < total && count >= 248, "{count} of {total}");
        // An OR in the chain stays one group: the key range is ANDed with all of it
        // (else `a OR b AND id > ?` would return the same rows forever).
        let mut n = 0;
        Post::where_("views", 1)
            .or_where("views", 2)
            .chunk_by_id(40, |rows| {
                n += rows.len();
                async { Ok(true) }
            })
            .await
            .unwrap();
        assert_eq!(n, 500);
        let found = Post::where_("views", 1)
            .or_where("views", 2)
            .find(1)
            .await
            .unwrap();
        assert!(found.is_none(), "post 1 has views 0: not in (views 1 OR 2)");
        let many = Post::where_("views", 1)
            .or_where("views", 2)
            .find_many([1, 2])
            .await
            .unwrap();
        assert_eq!(many.len(), 1);
        // Stopping early.
        let chunks = Post::query()
            .chunk_by_id(10, |_| async { Ok(false) })
            .await
            .unwrap();
        assert_eq!(chunks, 1);
    })
    .await;
}

#[tokio::test]
async fn chunk_each_and_lazy() {
    let (orm, db) = orm();
    seed(&db, 250);
    orm.scope(async {
        let mut sizes = Vec::new();
        Post::query()
            .order_by_desc("id")
            .chunk(100, |rows| {
                sizes.push(rows.len());
                async { Ok(true) }
            })
            .await
            .unwrap();
        assert_eq!(sizes, [100, 100, 48]);
        let mut n = 0;
        Post::where_("views", 0)
            .each_by_id(7, |post| {
                assert_eq!(post.get("views"), Some(&json!(0)));
                n += 1;
                async { Ok(true) }
            })
            .await
            .unwrap();
        assert_eq!(n, 25);
        let sent = orm.statements();
        let all: Vec<Instance<Post>> = Post::query().lazy_by_id(100).try_collect().await.unwrap();
        assert_eq!(all.len(), 248);
        assert_eq!(orm.statements() - sent, 3);
        // A selection without the key can't be walked by key.
        let err = Post::query()
            .select(["title"])
            .chunk_by_id(10, |_| async { Ok(true) })
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::MissingPrimaryKey { .. }), "{err:?}");
        let sent = orm.statements();
        assert!(Post::query()
            .chunk_by_id(0, |_| async { Ok(true) })
            .await
            .is_err());
        assert_eq!(orm.statements(), sent);
    })
    .await;
}

#[tokio::test]
async fn descending_and_offset_walks() {
    let (orm, db) = orm();
    seed(&db, 250);
    orm.scope(async {
        // By key, from the top: every live row once, descending, one statement a chunk.
        let sent = orm.statements();
        let mut seen = Vec::new();
        let chunks = Post::where_op("views", "<", 5)
            .chunk_by_id_desc(40, |rows| {
                seen.extend(rows.iter().map(|r| r.get_as::<i64>("id").unwrap()));
                async { Ok(true) }
            })
            .await
            .unwrap();
        // Row i (id i + 1) has views i % 10 and is soft-deleted when i % 100 == 99.
        let live: Vec<i64> = (1..=250)
            .filter(|id| (id - 1) % 10 < 5 && (id - 1) % 100 != 99)
            .rev()
            .collect();
        assert_eq!(seen, live);
        assert_eq!(chunks, live.len().div_ceil(40) as u64);
        assert_eq!(orm.statements() - sent, chunks);

        let down: Vec<i64> = Post::query()
            .lazy_by_id_desc(100)
            .map_ok(|p| p.get_as::<i64>("id").unwrap())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(down.len(), 248);
        assert!(down.windows(2).all(|w| w[0] > w[1]));

        // Offset walks keep the query's own order.
        let sent = orm.statements();
        let by_title: Vec<String> = Post::query()
            .order_by("title", "asc")
            .lazy(100)
            .map_ok(|p| p.get_as::<String>("title").unwrap())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(by_title.len(), 248);
        assert!(by_title.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(orm.statements() - sent, 3);
        let mut titles = Vec::new();
        Post::query()
            .order_by("title", "desc")
            .each(60, |p| {
                titles.push(p.get_as::<String>("title").unwrap());
                let more = titles.len() < 130;
                async move { Ok(more) }
            })
            .await
            .unwrap();
        assert_eq!(titles.len(), 130);
        // p99 (id 100) is soft-deleted.
        assert_eq!(titles[0], "p98");
        assert!(titles.windows(2).all(|w| w[0] >= w[1]));

        // Bad sizes fail before any statement, for the streams too.
        let sent = orm.statements();
        assert!(Post::query().each(0, |_| async { Ok(true) }).await.is_err());
        let first = std::pin::pin!(Post::query().lazy(0)).try_next().await;
        assert!(first.is_err());
        let first = std::pin::pin!(Post::query().lazy_by_id_desc(0))
            .try_next()
            .await;
        assert!(first.is_err());
        assert_eq!(orm.statements(), sent);
    })
    .await;
}
