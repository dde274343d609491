//! The app's models: what a roostjs app declares in `src/models/*.ts`.
//!
//! `User`, `Post` and `Comment` are tenant-scoped on `org_id` (row strategy): every query
//! of a request that the middleware gave a tenant is filtered by it, and `create` writes
//! it. `Organization` is the tenant table itself, so it is not scoped.

use roost_orm::prelude::*;
use roost_orm::relations::{HasManyRelation, RelationMap};

/// `class Organization extends Model { static tableName = 'organizations' }`
pub struct Organization;
impl ModelDef for Organization {
    const TABLE: Option<&'static str> = Some("organizations");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("slug"),
        Column::text("name"),
    ];
}

/// `class User extends Model { static tenantColumn = 'org_id'; static posts = new HasManyRelation(Post, 'author_id') }`,
/// with Laravel's `$hidden = ['email']`: an address never reaches a response.
pub struct User;
impl ModelDef for User {
    const TABLE: Option<&'static str> = Some("users");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const HIDDEN: &'static [&'static str] = &["email"];
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::text("name"),
        Column::text("email"),
    ];

    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Post>("posts", "author_id", "id");
    }
}

/// `class Post extends Model { static softDeletes = true; static tenantColumn = 'org_id' }`
/// with `author` (belongs to a user) and `comments` (has many), and Laravel's
/// `$fillable`: only these keys are mass assignable (the tenant column never is).
pub struct Post;
impl Post {
    /// `static comments = new HasManyRelation(Comment, 'post_id')`: declared as a const
    /// so a unit of work can create comments through it.
    pub const COMMENTS: HasManyRelation<Comment> = HasManyRelation::new("post_id", "id");
}
impl ModelDef for Post {
    const TABLE: Option<&'static str> = Some("posts");
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const FILLABLE: &'static [&'static str] = &["title", "body", "author_id", "published"];
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::integer("author_id"),
        Column::text("title"),
        Column::text("body").default("''"),
        Column::boolean("published").default("0"),
    ];

    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<User>("author", "author_id", "id");
        r.add("comments", Post::COMMENTS);
    }
}

/// `class Comment extends Model { static tenantColumn = 'org_id' }` with its `author`.
pub struct Comment;
impl ModelDef for Comment {
    const TABLE: Option<&'static str> = Some("comments");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::integer("post_id"),
        Column::integer("author_id"),
        Column::text("body"),
    ];

    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<User>("author", "author_id", "id");
    }
}
