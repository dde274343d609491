//! `GET /stats`: a dashboard's numbers, each one statement of the query builder
//! (aggregates, grouping, `pluck`, `exists`, a join, a raw condition, `with_count`,
//! `where_has`),
//! every one scoped to the request's tenant and blind to soft-deleted posts.

use roost_orm::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};
use worker::Response;

use crate::api::{json, ApiError};
use crate::models::{Comment, Post, User};

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
    by_author_name: Map<String, Value>,
    long_titles: u64,
    comment_counts: Map<String, Value>,
    discussed: Vec<i64>,
}

/// `GET /stats` → `{posts, published, drafts, by_author: {author_id: n}, latest_titles,
/// max_id, has_comments, commented_posts, by_author_name: {name: n}, long_titles,
/// comment_counts: {post_id: n}, discussed: [post ids with a comment]}`.
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
    // A join: the users table's tenant goes into its ON, so only this tenant's authors.
    let named = Post::query()
        .select(["users.name"])
        .select_count("n")
        .join::<User>("users.id", "=", "posts.author_id")
        .group_by(["users.name"])
        .all()
        .await?;
    let mut by_author_name = Map::new();
    for group in &named {
        let name = group.get_as::<String>("name")?;
        by_author_name.insert(name, group.get("n").cloned().unwrap_or(Value::Null));
    }
    // A raw condition, its value bound; the scopes stay outside it.
    let long_titles = Post::query()
        .where_raw("length(\"posts\".\"title\") > ?", &[Value::from(10)])
        .count()
        .await?;
    // with_count: each post's comments as a column of the one statement; the comments'
    // tenant scope is inside the subquery.
    let counted = Post::query()
        .select(["id"])
        .with_count(["comments"])
        .order_by("id", "asc")
        .all()
        .await?;
    let mut comment_counts = Map::new();
    for post in &counted {
        let id = post.get_as::<i64>("id")?;
        let n = post.get("comments_count").cloned().unwrap_or(Value::Null);
        comment_counts.insert(id.to_string(), n);
    }
    // where_has: posts with a comment that has a body (a correlated EXISTS).
    let discussed = Post::query()
        .where_has("comments", |q: QueryBuilder<Comment>| {
            q.where_not_null("body")
        })
        .order_by("id", "asc")
        .pluck::<i64>("id")
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
            by_author_name,
            long_titles,
            comment_counts,
            discussed,
        },
    )
}
