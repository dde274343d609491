//! `GET /stats`: a dashboard's numbers, each one statement of the query builder
//! (aggregates, grouping, `pluck`, `exists`), every one scoped to the request's tenant and
//! blind to soft-deleted posts, with no SQL written by hand.

use roost_orm::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use worker::Response;

use crate::api::{json, ApiError};
use crate::models::{Comment, Post};

/// The body of `GET /stats`.
#[derive(Serialize)]
struct Stats {
    posts: u64,
    published: u64,
    drafts: u64,
    by_author: Map<String, Value>,
    latest_titles: Vec<String>,
    max_id: Option<i64>,
    has_comments: bool,
    commented_posts: Vec<i64>,
}

/// `GET /stats` → `{posts, published, drafts, by_author: {author_id: n}, latest_titles,
/// max_id, has_comments, commented_posts}`.
pub async fn show() -> Result<Response, ApiError> {
    let posts = Post::query().count().await?;
    let published = Post::where_("published", true).count().await?;
    // SELECT "posts"."author_id", COUNT(*) AS "n" ... GROUP BY "posts"."author_id"
    let groups = Post::query()
        .select(["author_id"])
        .select_count("n")
        .group_by(["author_id"])
        .order_by("author_id", "asc")
        .all()
        .await?;
    let mut by_author = Map::new();
    for group in &groups {
        let author = group.get("author_id").cloned().unwrap_or(Value::Null);
        let n = group.get("n").cloned().unwrap_or(Value::Null);
        by_author.insert(author.to_string(), n);
    }
    let latest_titles = Post::query()
        .order_by("id", "desc")
        .limit(3)
        .pluck::<String>("title")
        .await?;
    let max_id = Post::query().max::<i64>("id").await?;
    let has_comments = Comment::query().exists().await?;
    let commented_posts = Comment::query()
        .select(["post_id"])
        .distinct()
        .order_by("post_id", "asc")
        .pluck::<i64>("post_id")
        .await?;
    json(
        200,
        &Stats {
            posts,
            published,
            drafts: posts.saturating_sub(published),
            by_author,
            latest_titles,
            max_id,
            has_comments,
            commented_posts,
        },
    )
}
