//! Quick start: what roost-orm does, step by step, on an embedded SQLite file — each
//! call, the SQL it sent (the ORM's query log) and what came back: create, query,
//! update, an eager load and its round trips, tenant scoping (two tenants, one query
//! each), a soft delete and a page.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::Mutex;

use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

// ---- the models (a roostjs app's `class User extends Model { ... }`) ------------------

struct User;
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::text("name"),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Post>("posts", "author_id", "id");
    }
}

/// Table `posts`, derived from the type name.
struct Post;
impl Post {
    const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
}
impl ModelDef for Post {
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::integer("author_id"),
        Column::text("title"),
        Column::boolean("published"),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.add("comments", Post::COMMENTS);
    }
}

struct Comment;
impl ModelDef for Comment {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::integer("post_id"),
        Column::text("body"),
    ];
}

const SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, name TEXT NOT NULL,
  created_at TEXT, updated_at TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL,
  published INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT, deleted_at TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL,
  post_id INTEGER NOT NULL REFERENCES posts(id), body TEXT NOT NULL,
  created_at TEXT, updated_at TEXT);
";

// ---- the query log, printed under each step ---------------------------------------------

/// Statements the ORM reported (its `tracing` events, target `roost_orm::query`) since
/// the last [`sent`].
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A `tracing` layer that keeps each statement's SQL and what it did.
struct QueryLog;

#[derive(Default)]
struct Fields {
    sql: String,
    params: u64,
    rows: u64,
    changes: u64,
    batch: u64,
    error: String,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "params" => self.params = value,
            "rows" => self.rows = value,
            "changes" => self.changes = value,
            "batch" => self.batch = value,
            _ => {}
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "sql" => self.sql = format!("{value:?}"),
            "error" => self.error = format!("{value:?}"),
            _ => {}
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for QueryLog {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "roost_orm::query" {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let what = if !f.error.is_empty() {
            format!("failed: {}", f.error)
        } else if f.changes > 0 && f.rows == 0 {
            format!("{} changed", count(f.changes, "row"))
        } else {
            format!("{} back", count(f.rows, "row"))
        };
        let batch = if f.batch > 1 {
            format!(", one of a batch of {}", f.batch)
        } else {
            String::new()
        };
        LOG.lock().unwrap().push(format!(
            "  sql  {}\n       ({}; {what}{batch})",
            f.sql,
            count(f.params, "bound value")
        ));
    }
}

/// "1 row", "3 rows".
fn count(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Prints the statements sent since the last call (every value is a bound `?`).
fn sent() {
    for line in LOG.lock().unwrap().drain(..) {
        println!("{line}");
    }
}

fn step(title: &str) {
    println!("\n== {title}");
}

/// What came back, one line.
fn got(what: impl std::fmt::Display) {
    println!("  got  {what}");
}

/// A record's attributes, without its timestamps (they only make the line long).
fn brief<M: ModelDef>(record: &Instance<M>) -> Value {
    let mut v = serde_json::to_value(record).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.retain(|k, _| !k.ends_with("_at"));
    }
    v
}

fn titles(posts: &[Instance<Post>]) -> String {
    let titles: Vec<&str> = posts
        .iter()
        .filter_map(|p| p.get("title").and_then(Value::as_str))
        .collect();
    format!("{titles:?}")
}

// ---- the steps ------------------------------------------------------------------------

async fn tour(orm: &Orm) -> roost_orm::Result<()> {
    // In a Worker, TenantScopeMiddleware sets this from the request (e.g. an `x-org`
    // header); every query of a model with a TENANT_COLUMN is then scoped to it.
    let acme = TenantContextData::new("1", "acme");
    let globex = TenantContextData::new("2", "globex");
    orm.tenant().set(acme.clone());

    step("1. create: an INSERT that reads the stored row back (id, timestamps) in the same round trip");
    println!(
        "User::create(json!({{\"name\": \"Ada\"}}))   // tenant acme (org 1) stamped into org_id"
    );
    let ada = User::create(json!({"name": "Ada"})).await?;
    sent();
    got(brief(&ada));

    step("2. insert many rows: one statement, the rows as one JSON parameter");
    println!("Post::insert([3 posts]), then Comment::insert([3 comments])");
    let author = ada.get("id").cloned().unwrap_or(Value::Null);
    Post::insert([
        json!({"author_id": author, "title": "Hello D1", "published": true}),
        json!({"author_id": author, "title": "Rust on Workers", "published": false}),
        json!({"author_id": author, "title": "Eloquent, ported", "published": true}),
    ])
    .await?;
    Comment::insert([
        json!({"post_id": 1, "body": "Nice"}),
        json!({"post_id": 1, "body": "Thanks"}),
        json!({"post_id": 3, "body": "Hm"}),
    ])
    .await?;
    sent();

    step("3. query: the caller's conditions, then the scopes (tenant, soft deletes) ANDed outside them");
    println!("Post::where_(\"published\", true).or_where(\"title\", \"Rust on Workers\").order_by(\"id\", \"desc\").all()");
    let posts = Post::where_("published", true)
        .or_where("title", "Rust on Workers")
        .order_by("id", "desc")
        .all()
        .await?;
    sent();
    got(titles(&posts));

    step("4. update: save() writes only the changed column (and updated_at)");
    println!("let mut post = Post::find_or_fail(2); post.set(\"published\", true); post.save()");
    let mut post = Post::find_or_fail(2).await?;
    post.set("published", true);
    post.save().await?;
    sent();
    got(brief(&post));

    step("5. eager load: one query per relation level, whatever the number of parents");
    println!("User::with([\"posts\", \"posts.comments\"]).all()");
    let before = orm.round_trips();
    let users = User::with(["posts", "posts.comments"]).all().await?;
    sent();
    for user in &users {
        let mut parts = Vec::new();
        for p in user.related::<Post>("posts")? {
            let comments = p.related::<Comment>("comments")?.len() as u64;
            let title = p.get("title").and_then(Value::as_str).unwrap_or("");
            parts.push(format!("{title:?} ({})", count(comments, "comment")));
        }
        let name = user.get("name").and_then(Value::as_str).unwrap_or("");
        got(format!("{name}: {}", parts.join(", ")));
    }
    got(format!(
        "{} round trips for users, their posts and the posts' comments",
        orm.round_trips() - before
    ));

    step("6. tenant scoping: the same query for two tenants, each seeing only its rows");
    orm.tenant().set(globex.clone());
    println!("as globex (org 2): User::create(Grace), Post::create(\"Globex only\")");
    let grace = User::create(json!({"name": "Grace"})).await?;
    Post::create(json!({"author_id": grace.get("id"), "title": "Globex only"})).await?;
    sent();
    for tenant in [&acme, &globex] {
        orm.tenant().set(tenant.clone());
        println!(
            "as {} (org {}): Post::all()",
            tenant.org_slug, tenant.org_id
        );
        let posts = Post::all().await?;
        sent();
        got(titles(&posts));
    }
    orm.tenant().set(acme.clone());

    step("7. soft delete: delete() sets deleted_at; the row stays, hidden from queries");
    println!("Post::find_or_fail(1).delete(), then Post::query().count() and Post::with_trashed().count()");
    let mut doomed = Post::find_or_fail(1).await?;
    doomed.delete().await?;
    let visible = Post::query().count().await?;
    let stored = Post::with_trashed().count().await?;
    sent();
    got(format!("{visible} visible, {stored} stored"));
    println!("doomed.restore()");
    doomed.restore().await?;
    let visible = Post::query().count().await?;
    sent();
    got(format!("{visible} visible"));

    step("8. paginate: the page and the total in one statement");
    println!("Post::query().order_by(\"id\", \"asc\").paginate(1, 2)");
    let page = Post::query().order_by("id", "asc").paginate(1, 2).await?;
    sent();
    got(format!(
        "{} on page {} of {} ({} posts, {} per page)",
        titles(&page.data),
        page.current_page,
        page.last_page,
        page.total,
        page.per_page
    ));

    step("9. unit of work: several writes in one atomic batch (one D1 round trip, all or none)");
    println!("unit.create::<Post>(..), unit.create_related(&Post::COMMENTS, &post, ..) x2, unit.commit()");
    let before = orm.round_trips();
    let mut unit = orm.unit_of_work();
    let draft = json!({"author_id": author, "title": "Batched", "published": false});
    let post = unit.create::<Post>(draft).await?;
    for body in ["First", "Second"] {
        unit.create_related(&Post::COMMENTS, &post, json!({"body": body}))
            .await?;
    }
    let mut done = unit.commit().await?;
    sent();
    let post = done.take(post)?;
    got(format!(
        "post {} with its comments, in {} round trip (the comments read the new id with last_insert_rowid())",
        post.get("id").unwrap_or(&Value::Null),
        orm.round_trips() - before
    ));
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(QueryLog))?;

    let path = std::env::temp_dir().join("roost-orm-quickstart.sqlite");
    let _ = std::fs::remove_file(&path);
    let db = SqliteExecutor::open(&path)?;
    db.execute_batch(SCHEMA)?;
    println!("roost-orm quick start on {}", path.display());
    println!("Under each call: the SQL it sent, as the ORM's query log reports it.");

    let orm = Orm::new(db);
    orm.scope(tour(&orm)).await?;
    println!(
        "\n{} statements in {} round trips in all.",
        orm.statements(),
        orm.round_trips()
    );
    Ok(())
}
