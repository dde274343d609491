//! End-to-end probes (`/probe/...`): how the crate fails closed on D1. Not part of the app.
//!
//! Served only when the var `E2E_PROBES` is `"true"` (`scripts/e2e.sh` passes
//! `--var E2E_PROBES:true`; `wrangler.toml` leaves it unset, so elsewhere they are 404s).
//! They go through models of the `notes` table (`migrations/0005_create_notes.sql`) that
//! are declared wrong on purpose, and answer with what the crate returned, an error as
//! the app's JSON error:
//!
//! * [`LooseNote`] has no `COLUMNS`, so the crate cannot know a misspelled column. An
//!   unqualified `"bodyy"` reads in SQLite (with DQS on, as on D1) as the string
//!   `'bodyy'`: `where_("bodyy", "bodyy")` would match every row. The crate must write
//!   column references qualified (`"notes"."bodyy"`: `no such column`).
//! * [`MisTenantNote`] has the tenant column `org-id`, not an identifier: every query of
//!   it must be an error, with nothing sent (not a query without the tenant scope).
//! * `GET /probe/d1-dqs` runs hand-written SQL through the D1 binding itself, to record
//!   what D1 does with unknown double-quoted names (`docs/d1-dqs.md`).
//!
//! | route | |
//! |---|---|
//! | `GET /probe/notes` | the tenant's notes through [`Note`] (declared right): how the e2e sees the stored rows |
//! | `GET /probe/loose-notes?where=&value=&where_not_null=&order_by=` | [`LooseNote`]: `where_(where, value)`, `where_not_null(..)`, `order_by(.., "asc")`, then `all()` |
//! | `POST /probe/loose-notes/update {column, value, set}` | `where_(column, value).update(set)` → `{"changes": n}` |
//! | `POST /probe/loose-notes/force-delete {column, value}` | `where_(column, value).force_delete()` → `{"deleted": n}` |
//! | `GET /probe/mis-tenant/notes` | [`MisTenantNote`]: `all()` → `{"data": [..]}` |
//! | `GET /probe/mis-tenant/notes/{id}` | `find(id)` → `{"data": note or null}` |
//! | `GET /probe/mis-tenant/count` | `query().count()` → `{"count": n}` |
//! | `POST /probe/mis-tenant/notes {..}` | `create(..)` → 201 |
//! | `PATCH /probe/mis-tenant/notes/{id} {..}` | `where_("id", id).update(..)` → `{"changes": n}` |
//! | `DELETE /probe/mis-tenant/notes/{id}` | `where_("id", id).force_delete()` → `{"deleted": n}` |
//! | `POST /probe/unit-rollback` | one unit of work: a post, a comment on it, then a comment the database refuses (NULL body) → the batch's error; nothing of it stored |
//! | `POST /probe/unit-foreign` | one unit of work: a post, then a save of another tenant's post (read unscoped) → 404 (its guard fails the batch); the post not stored |
//! | `POST /probe/unit-save` | two units of work, each saving note 1 (a changed `status`, then the original back): their guards pass on D1 → `{"statuses": [changed, original]}` |
//! | `GET /probe/generated-keys` | `{uuid, ulid}`: `KeyType::Uuid` / `KeyType::Ulid` keys made in the Workers runtime (random bits from `crypto.getRandomValues`, time from `Date.now`) |
//! | `GET /probe/d1-dqs` | `{name: {sql, rows} or {sql, error}}` for each of [`DQS_STATEMENTS`] |

use roost_orm::prelude::*;
use roost_orm::tenant::OrmConfig;
use serde_json::{json, Map, Value};
use worker::{Env, Method, Request, Response};

use crate::api::{json, object, path_id, query_params, ApiError};

/// The var that turns the probes on.
pub const ENABLE_VAR: &str = "E2E_PROBES";

/// Whether this Worker serves `/probe/...` (`E2E_PROBES = "true"`).
pub fn enabled(env: &Env) -> bool {
    env.var(ENABLE_VAR).is_ok_and(|v| v.to_string() == "true")
}

/// `notes`, declared right: tenant-scoped on `org_id`, every column declared.
pub struct Note;
impl ModelDef for Note {
    const TABLE: Option<&'static str> = Some("notes");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::text("body"),
        Column::text("status").default("'open'"),
    ];
}

/// `notes` without `COLUMNS` (a TS model without `static columns`): any name is taken
/// as a column, so a misspelling reaches the database. Tenant-scoped on `org_id`, so a
/// probe can at worst touch the request tenant's notes.
pub struct LooseNote;
impl ModelDef for LooseNote {
    const TABLE: Option<&'static str> = Some("notes");
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
}

/// `notes` with a tenant column that is not a valid identifier (`org-id`): misconfigured
/// on purpose. Its columns are declared, so only the tenant column is wrong.
pub struct MisTenantNote;
impl ModelDef for MisTenantNote {
    const TABLE: Option<&'static str> = Some("notes");
    const TENANT_COLUMN: Option<&'static str> = Some("org-id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("org_id"),
        Column::text("body"),
        Column::text("status").default("'open'"),
    ];
}

/// What `GET /probe/d1-dqs` sends to the D1 binding as written: `(name, sql)`.
pub const DQS_STATEMENTS: &[(&str, &str)] = &[
    (
        "known_unqualified",
        r#"SELECT "body" AS v FROM notes WHERE id = 1"#,
    ),
    (
        "unknown_unqualified",
        r#"SELECT "nope" AS v FROM notes ORDER BY id LIMIT 1"#,
    ),
    (
        "unknown_qualified",
        r#"SELECT "notes"."nope" AS v FROM notes ORDER BY id LIMIT 1"#,
    ),
    ("count_all", "SELECT count(*) AS n FROM notes"),
    (
        "where_unknown_unqualified",
        r#"SELECT count(*) AS n FROM notes WHERE "statsu" != 'x'"#,
    ),
    (
        "where_unknown_qualified",
        r#"SELECT count(*) AS n FROM notes WHERE "notes"."statsu" != 'x'"#,
    ),
    (
        "where_unknown_equal_to_its_name",
        r#"SELECT count(*) AS n FROM notes WHERE "bodyy" = 'bodyy'"#,
    ),
    (
        "order_by_unknown_unqualified",
        r#"SELECT id FROM notes ORDER BY "nope", id"#,
    ),
    (
        "order_by_unknown_qualified",
        r#"SELECT id FROM notes ORDER BY "notes"."nope", id"#,
    ),
    // A SET target is a column name, never an expression: no string fallback. (WHERE 0:
    // nothing is written either way.)
    ("set_unknown", r#"UPDATE notes SET "bodyy" = 'x' WHERE 0"#),
];

/// Route `/probe/{rest..}`.
pub async fn route(req: Request, env: &Env, rest: &[&str]) -> Result<Response, ApiError> {
    match (req.method(), rest) {
        (Method::Post, ["unit-rollback"]) => unit_rollback().await,
        (Method::Post, ["unit-foreign"]) => unit_foreign().await,
        (Method::Post, ["unit-save"]) => unit_save().await,
        (Method::Get, ["generated-keys"]) => generated_keys(),
        (Method::Get, ["notes"]) => json(200, &Note::query().order_by("id", "asc").all().await?),
        (Method::Get, ["loose-notes"]) => loose_read(&req).await,
        (Method::Post, ["loose-notes", "update"]) => loose_update(req).await,
        (Method::Post, ["loose-notes", "force-delete"]) => loose_force_delete(req).await,
        (Method::Get, ["mis-tenant", "notes"]) => {
            json(200, &json!({"data": MisTenantNote::all().await?}))
        }
        (Method::Get, ["mis-tenant", "notes", id]) => {
            let note = MisTenantNote::find(path_id(id)?).await?;
            json(200, &json!({"data": note}))
        }
        (Method::Get, ["mis-tenant", "count"]) => json(
            200,
            &json!({"count": MisTenantNote::query().count().await?}),
        ),
        (Method::Post, ["mis-tenant", "notes"]) => {
            let input = body(req).await?;
            json(201, &MisTenantNote::create(Value::Object(input)).await?)
        }
        (Method::Patch, ["mis-tenant", "notes", id]) => {
            let id = path_id(id)?;
            let input = body(req).await?;
            let changes = MisTenantNote::where_("id", id)
                .update(Value::Object(input))
                .await?;
            json(200, &json!({"changes": changes}))
        }
        (Method::Delete, ["mis-tenant", "notes", id]) => {
            let deleted = MisTenantNote::where_("id", path_id(id)?)
                .force_delete()
                .await?;
            json(200, &json!({"deleted": deleted}))
        }
        (Method::Get, ["d1-dqs"]) => d1_dqs(env).await,
        _ => Err(ApiError::new(404, "not_found", "No such probe")),
    }
}

async fn body(mut req: Request) -> Result<Map<String, Value>, ApiError> {
    object(&req.text().await?)
}

/// `GET /probe/loose-notes?where=&value=&where_not_null=&order_by=`.
async fn loose_read(req: &Request) -> Result<Response, ApiError> {
    let params = query_params(req);
    let mut query = LooseNote::query();
    if let Some(column) = params.get("where") {
        let value = params.get("value").cloned().unwrap_or_default();
        query = query.where_(column, value);
    }
    if let Some(column) = params.get("where_not_null") {
        query = query.where_not_null(column);
    }
    if let Some(column) = params.get("order_by") {
        query = query.order_by(column, "asc");
    }
    json(200, &query.all().await?)
}

/// The `{column, value}` filter of a mass write, and the rest of the body.
fn filter(mut input: Map<String, Value>) -> Result<(String, Value, Map<String, Value>), ApiError> {
    let column = match input.remove("column") {
        Some(Value::String(c)) => c,
        _ => return Err(ApiError::invalid("column must be a string")),
    };
    let value = input
        .remove("value")
        .ok_or_else(|| ApiError::invalid("value is required"))?;
    Ok((column, value, input))
}

/// `POST /probe/loose-notes/update {column, value, set}`.
async fn loose_update(req: Request) -> Result<Response, ApiError> {
    let (column, value, mut rest) = filter(body(req).await?)?;
    let set = match rest.remove("set") {
        Some(set @ Value::Object(_)) => set,
        _ => return Err(ApiError::invalid("set must be an object")),
    };
    let changes = LooseNote::where_(&column, value).update(set).await?;
    json(200, &json!({"changes": changes}))
}

/// `POST /probe/loose-notes/force-delete {column, value}`.
async fn loose_force_delete(req: Request) -> Result<Response, ApiError> {
    let (column, value, _) = filter(body(req).await?)?;
    let deleted = LooseNote::where_(&column, value).force_delete().await?;
    json(200, &json!({"deleted": deleted}))
}

/// `GET /probe/d1-dqs`: each of [`DQS_STATEMENTS`] straight through the D1 binding (no
/// ORM, no session), with the rows or the error D1 answered.
async fn d1_dqs(env: &Env) -> Result<Response, ApiError> {
    let db = env.d1(&OrmConfig::from_env(env)?.d1_binding)?;
    let mut answers = Map::new();
    for (name, sql) in DQS_STATEMENTS {
        let answer = match db.prepare(*sql).all().await {
            Ok(result) => match result.error() {
                Some(error) => json!({"sql": sql, "error": error}),
                None => json!({"sql": sql, "rows": result.results::<Value>()?}),
            },
            Err(e) => json!({"sql": sql, "error": e.to_string()}),
        };
        answers.insert((*name).to_string(), answer);
    }
    json(200, &answers)
}

/// `POST /probe/unit-rollback`: a unit of work whose last statement D1 refuses (a NULL
/// comment body, past the handlers' checks): the batch's error comes back and the post
/// and comment queued before it are not stored — D1 runs a batch as one transaction.
async fn unit_rollback() -> Result<Response, ApiError> {
    use crate::models::{Comment, Post};
    let orm = Orm::current()?;
    let mut unit = orm.unit_of_work();
    let post = unit
        .create::<Post>(json!({"title": "rolled back", "author_id": 1}))
        .await?;
    let comment = json!({"author_id": 1, "body": "rolled back too"});
    unit.create_related(&Post::COMMENTS, &post, comment).await?;
    unit.create::<Comment>(json!({"post_id": 1, "author_id": 1, "body": null}))
        .await?;
    unit.commit().await?;
    Err(ApiError::new(
        500,
        "not_rolled_back",
        "the batch was stored",
    ))
}

/// `POST /probe/unit-foreign`: a unit of work with a new post and a save of another
/// tenant's post, read past the tenant scope. The save's UPDATE is scoped to the
/// request's tenant, finds no row, and its guard fails the whole batch on D1: the
/// answer is that post's `ModelNotFound` (a 404), and the new post is not stored.
async fn unit_foreign() -> Result<Response, ApiError> {
    use crate::models::Post;
    let tenant = Orm::current()?.tenant().get().map(|t| t.org_id);
    let mut foreign = Post::without_tenant_scope(|| Post::query().order_by("id", "asc").all())
        .await?
        .into_iter()
        .find(|p| p.get("org_id").map(|v| v.to_string()) != tenant)
        .ok_or_else(|| ApiError::new(500, "no_foreign_post", "the seed has one"))?;
    let orm = Orm::current()?;
    let mut unit = orm.unit_of_work();
    unit.create::<Post>(json!({"title": "never stored", "author_id": 1}))
        .await?;
    foreign.set("title", "taken over");
    unit.save(&mut foreign).await?;
    unit.commit().await?;
    Err(ApiError::new(
        500,
        "not_rolled_back",
        "the batch was stored",
    ))
}

/// `GET /probe/generated-keys`: a UUID and a ULID key as `KeyType` makes them for a
/// create, here in the Workers runtime.
fn generated_keys() -> Result<Response, ApiError> {
    let key = |kind: KeyType| -> Result<String, ApiError> {
        match kind.new_unique_id() {
            Some(key) => Ok(key?),
            None => Err(ApiError::new(500, "no_key", "this KeyType makes none")),
        }
    };
    json(
        200,
        &json!({"uuid": key(KeyType::Uuid)?, "ulid": key(KeyType::Ulid)?}),
    )
}

/// `POST /probe/unit-save`: note 1's `status` changed in one unit of work and put back
/// in a second: each UPDATE is followed by its guard, which must pass on D1 when the
/// UPDATE changed its row. Leaves the note as it was.
async fn unit_save() -> Result<Response, ApiError> {
    let orm = Orm::current()?;
    let mut note = Note::find_or_fail(1).await?;
    let original = note.get("status").cloned().unwrap_or(Value::Null);
    let mut statuses = Vec::new();
    for status in [Value::from("unit-saved"), original] {
        let mut unit = orm.unit_of_work();
        note.set("status", status);
        unit.save(&mut note).await?;
        unit.commit().await?;
        statuses.push(note.get("status").cloned().unwrap_or(Value::Null));
    }
    json(200, &json!({"statuses": statuses}))
}
