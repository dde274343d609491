//! The posts endpoints: what a roostjs app's `PostController` does, with the crate.

use roost_orm::prelude::*;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::api::{flag, id_field, json, object, only, query_number, query_params, text, ApiError};
use crate::models::{Comment, Post, User};

/// Relations every post response carries: its author, and its comments with theirs.
pub const EAGER: [&str; 3] = ["author", "comments", "comments.author"];

const TITLE: (usize, usize) = (1, 200);
const BODY: (usize, usize) = (0, 10_000);
const COMMENT: (usize, usize) = (1, 2_000);

/// `GET /posts?page=&per_page=&trashed=with|only` → `{data, total, perPage, currentPage, lastPage}`.
pub async fn list(req: &Request) -> Result<Response, ApiError> {
    let params = query_params(req);
    let page = query_number(params.get("page").map(String::as_str), "page", 1, 1_000_000)?;
    let per_page = query_number(
        params.get("per_page").map(String::as_str),
        "per_page",
        10,
        100,
    )?;
    let mut query = Post::with(EAGER).order_by("id", "asc");
    query = match params.get("trashed").map(String::as_str) {
        None => query,
        Some("with") => query.with_trashed(),
        Some("only") => query.only_trashed(),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "trashed must be \"with\" or \"only\", got {other:?}"
            )))
        }
    };
    json(200, &query.paginate(page, per_page).await?)
}

/// `GET /posts/{id}`: the post with author and comments, or 404 (also for another
/// tenant's post, or a soft-deleted one).
pub async fn show(id: i64) -> Result<Response, ApiError> {
    json(200, &find_loaded(id).await?)
}

async fn find_loaded(id: i64) -> Result<Instance<Post>, ApiError> {
    Post::with(EAGER)
        .find(id)
        .await?
        .ok_or_else(|| ApiError::not_found("Post"))
}

/// An author id must name a user of the request's organization (the tenant scope
/// hides every other user).
async fn check_author(author_id: i64) -> Result<(), ApiError> {
    match User::find(author_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid(format!(
            "author_id {author_id} is not a user of this organization"
        ))),
    }
}

/// `POST /posts {title, body?, author_id, published?, comments?: [{body, author_id}]}` →
/// 201 and the stored post. Every check runs before anything is written; the post and
/// its comments are one unit of work — one D1 batch, stored together or not at all —
/// the comments pointing at the post's new id; the tenant column is written by the ORM.
pub async fn create(mut req: Request) -> Result<Response, ApiError> {
    let input = object(&req.text().await?)?;
    only(
        &input,
        &["title", "body", "author_id", "published", "comments"],
    )?;
    let title = text(&input, "title", TITLE.0, TITLE.1)?
        .ok_or_else(|| ApiError::invalid("title is required"))?;
    let body = text(&input, "body", BODY.0, BODY.1)?.unwrap_or_default();
    let author_id =
        id_field(&input, "author_id")?.ok_or_else(|| ApiError::invalid("author_id is required"))?;
    let published = flag(&input, "published")?.unwrap_or(false);
    let comments = match input.get("comments") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(comment_input)
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(ApiError::invalid("comments must be an array")),
    };
    check_author(author_id).await?;
    for (_, author) in &comments {
        check_author(*author).await?;
    }
    let orm = Orm::current()?;
    let mut unit = orm.unit_of_work();
    let post = unit
        .create::<Post>(json!({
            "title": title,
            "body": body,
            "author_id": author_id,
            "published": published,
        }))
        .await?;
    for (body, author_id) in comments {
        let attributes = json!({"author_id": author_id, "body": body});
        unit.create_related(&Post::COMMENTS, &post, attributes)
            .await?;
    }
    let mut post = unit.commit().await?.take(post)?;
    post.load(EAGER).await?;
    json(201, &post)
}

/// One of `comments` in a create: `{body, author_id}`.
fn comment_input(item: &Value) -> Result<(String, i64), ApiError> {
    let Value::Object(item) = item else {
        return Err(ApiError::invalid("each comment must be an object"));
    };
    only(item, &["body", "author_id"])?;
    let body = text(item, "body", COMMENT.0, COMMENT.1)?
        .ok_or_else(|| ApiError::invalid("a comment's body is required"))?;
    let author_id = id_field(item, "author_id")?
        .ok_or_else(|| ApiError::invalid("a comment's author_id is required"))?;
    Ok((body, author_id))
}

/// `PATCH /posts/{id} {title?, body?, published?, author_id?}` → the updated post. The
/// known fields are checked here; the rest is the model's to refuse: `fill` applies
/// `Post::FILLABLE` strictly (a guarded key such as `org_id` or `id` is a 422 naming
/// it, an unknown one a 422 too), so no whitelist is repeated in the handler.
pub async fn update(mut req: Request, id: i64) -> Result<Response, ApiError> {
    let mut input = object(&req.text().await?)?;
    // The checked, trimmed texts replace what was sent.
    for (key, (min, max)) in [("title", TITLE), ("body", BODY)] {
        if let Some(value) = text(&input, key, min, max)? {
            input.insert(key.into(), value.into());
        }
    }
    flag(&input, "published")?;
    if let Some(author_id) = id_field(&input, "author_id")? {
        check_author(author_id).await?;
    }
    if input.is_empty() {
        return Err(ApiError::invalid(
            "Nothing to update: send title, body, published or author_id",
        ));
    }
    let mut post = find_loaded(id).await?;
    post.fill(Value::Object(input))?;
    post.save().await?;
    json(200, &post)
}

/// `DELETE /posts/{id}`: soft delete → the post, with `deleted_at` set.
pub async fn delete(id: i64) -> Result<Response, ApiError> {
    let mut post = Post::find(id)
        .await?
        .ok_or_else(|| ApiError::not_found("Post"))?;
    post.delete().await?;
    json(200, &post)
}

/// `POST /posts/{id}/restore`: undo a soft delete → the post; 409 when not deleted.
pub async fn restore(id: i64) -> Result<Response, ApiError> {
    let mut post = Post::with_trashed()
        .find(id)
        .await?
        .ok_or_else(|| ApiError::not_found("Post"))?;
    if !post.trashed() {
        return Err(ApiError::new(409, "not_deleted", "Post is not deleted"));
    }
    post.restore().await?;
    json(200, &find_loaded(id).await?)
}

/// `POST /posts/{id}/comments {body, author_id}` → 201 and the comment with its author.
pub async fn comment(mut req: Request, post_id: i64) -> Result<Response, ApiError> {
    let input = object(&req.text().await?)?;
    only(&input, &["body", "author_id"])?;
    let body = text(&input, "body", COMMENT.0, COMMENT.1)?
        .ok_or_else(|| ApiError::invalid("body is required"))?;
    let author_id =
        id_field(&input, "author_id")?.ok_or_else(|| ApiError::invalid("author_id is required"))?;
    if Post::find(post_id).await?.is_none() {
        return Err(ApiError::not_found("Post"));
    }
    check_author(author_id).await?;
    let mut comment = Comment::create(json!({
        "post_id": post_id,
        "author_id": author_id,
        "body": body,
    }))
    .await?;
    comment.load(["author"]).await?;
    json(201, &comment)
}
