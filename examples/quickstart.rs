//! Quick start: a SQLite file, two models, and the everyday calls of the reference —
//! create, find, where chains, update, soft delete, restore, paginate.
//!
//! Run with `cargo run --example quickstart`.

use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::json;

/// `class User extends Model { static tableName = 'users' }`
struct User;
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name"),
        Column::text("email"),
        Column::boolean("admin").default("0"),
    ];
}

/// `class Post extends Model { static softDeletes = true }` — table `posts` derived.
struct Post;
impl ModelDef for Post {
    const SOFT_DELETES: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("author_id"),
        Column::text("title"),
        Column::text("status"),
        Column::json("tags").nullable(),
    ];
}

const SCHEMA: &str = "
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE, admin INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER NOT NULL REFERENCES users(id),
  title TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft', tags TEXT,
  created_at TEXT, updated_at TEXT, deleted_at TEXT);
";

fn show<T: serde::Serialize>(label: &str, value: &T) {
    println!(
        "{label}: {}",
        serde_json::to_string(value).unwrap_or_default()
    );
}

async fn app() -> roost_orm::Result<()> {
    // Hooks: `Post.on('creating', ...)`.
    Post::on(HookEvent::Creating, |post: &mut Instance<Post>| {
        if post.get("status").is_none() {
            post.set("status", "draft");
        }
    });

    let ada =
        User::create(json!({"name": "Ada", "email": "ada@example.com", "admin": true})).await?;
    show("created user", &ada);

    for (i, title) in [
        "Hello D1",
        "Rust on Workers",
        "Eloquent, ported",
        "Soft deletes",
    ]
    .iter()
    .enumerate()
    {
        let status = if i % 2 == 0 { "published" } else { "draft" };
        Post::create(json!({"author_id": ada.get("id"), "title": title, "status": status, "tags": ["d1", i]}))
            .await?;
    }

    let first = Post::find_or_fail(1).await?;
    show("find_or_fail(1)", &first);

    let published = Post::where_("status", "published")
        .order_by("id", "desc")
        .all()
        .await?;
    println!("published posts: {}", published.len());

    let mut draft = Post::where_("status", "draft").first_or_fail().await?;
    draft.set("status", "published");
    draft.save().await?;
    println!(
        "updated post {} → status {}",
        draft.get("id").unwrap_or(&json!(null)),
        draft.get("status").unwrap_or(&json!(null))
    );

    let mut doomed = Post::find_or_fail(4).await?;
    doomed.delete().await?;
    println!(
        "soft-deleted post 4: visible={}, with_trashed={}",
        Post::query().count().await?,
        Post::with_trashed().count().await?
    );

    let page = Post::query().order_by("id", "asc").paginate(1, 2).await?;
    println!(
        "page {}/{} of {} posts ({} per page)",
        page.current_page, page.last_page, page.total, page.per_page
    );
    show("page 1", &page);

    doomed.restore().await?;
    println!("restored post 4: visible={}", Post::query().count().await?);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("roost-orm-quickstart.sqlite");
    let _ = std::fs::remove_file(&path);
    let db = SqliteExecutor::open(&path)?;
    db.execute_batch(SCHEMA)?;
    println!("database: {}", path.display());

    let orm = Orm::new(db);
    orm.scope(app()).await?;
    println!("{} round trips", orm.round_trips());
    Ok(())
}
