//! Property: whatever query chain runs under a tenant, no other tenant's row is read,
//! changed or deleted.
//!
//! CI runs `PROPTEST_CASES` (default 256) chains; the full run is
//! `PROPTEST_CASES=10000 cargo test --release --test tenant_isolation`.
use proptest::prelude::*;
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{OrmError, SqliteExecutor};
use serde_json::{json, Value};

const TENANTS: [&str; 4] = ["t0", "t1", "t2", "t3"];

struct Thing;
impl ModelDef for Thing {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const MORPH_NAME: Option<&'static str> = Some("thing");
    const SOFT_DELETES: bool = true;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("org_id"),
        Column::integer("a"),
        Column::text("b"),
        Column::integer("c").nullable(),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Remark>("remarks", "thing_id", "id")
            .add(
                "latest_remark",
                HasOneRelation::<Remark>::new("thing_id", "id").latest_of_many(),
            )
            .has_many_through::<Note, Remark>("notes", "thing_id", "remark_id")
            .add(
                "marks",
                roost_orm::relations::MorphManyRelation::<Mark>::new(
                    "markable_type",
                    "markable_id",
                ),
            );
    }
    /// A user global scope beside the tenant: every path must keep both.
    fn global_scopes(scopes: &mut roost_orm::query::GlobalScopes<Self>) {
        scopes.add("not_13", |q| q.where_op("a", "!=", 13));
    }
}

/// A comment on a thing; tenant-scoped too. Seeded comments point at things of every
/// tenant, so a relation query without the tenant scope would reach foreign rows.
struct Remark;
impl ModelDef for Remark {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const TIMESTAMPS: bool = false;
    /// A remark written on another tenant's thing must not touch it.
    const TOUCHES: &'static [&'static str] = &["thing"];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Thing>("thing", "thing_id", "id");
    }
}

/// A note on a remark; tenant-scoped. Seeded notes of every tenant hang off remarks of
/// every tenant, so a through load without both models' tenant scopes reads foreign rows.
struct Note;
impl ModelDef for Note {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const TIMESTAMPS: bool = false;
}

/// A polymorphic mark on a thing (or on something else, type "other"); tenant-scoped.
/// Marks of every tenant point at things of every tenant.
struct Mark;
impl ModelDef for Mark {
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        const MARKABLE: roost_orm::relations::MorphToRelation =
            roost_orm::relations::MorphToRelation::new(
                "markable_type",
                "markable_id",
                &[roost_orm::relations::MorphTarget::of::<Thing>()],
            );
        r.morph_to("markable", MARKABLE);
    }
}

#[derive(Debug, Clone)]
enum Step {
    Where(&'static str, &'static str, i64),
    OrWhere(&'static str, i64),
    WhereIn(&'static str, Vec<i64>),
    WhereNull,
    WhereNotNull,
    OrderBy(&'static str, bool),
    Limit(u64),
    Offset(u64),
    WithTrashed,
    OnlyTrashed,
    /// `where_between("a", [lo, hi])`.
    Between(i64, i64),
    /// `or_where_in(column, values)`.
    OrWhereIn(&'static str, Vec<i64>),
    /// `where_not(|q| q.where_op(column, ">", v))`.
    Not(&'static str, i64),
    /// `or_where_any(["a", "c"], "=", v)`.
    OrAny(i64),
    /// `or_where_column("a", "<", "c")`.
    OrColumns,
    /// `where_raw("\"things\".\"a\" > ?", [v])`.
    WhereRaw(i64),
    /// `or_where_raw("1 = 1")`: an OR that matches everything, which must stay inside
    /// the caller's group.
    OrRawAll,
    /// `order_by_raw("\"things\".\"c\" IS NULL, \"things\".\"a\" % ?", [m])`.
    OrderRaw(i64),
    /// `has("remarks", ">=", n)`: remarks point at things of every tenant.
    HasRemarks(i64),
    /// `or_where_has("remarks", |r| r.where_op("id", ">", v))`.
    OrWhereHasRemark(i64),
    /// `doesnt_have("remarks")`.
    DoesntHaveRemarks,
}

#[derive(Debug, Clone)]
enum Terminal {
    All,
    First,
    Count,
    Paginate(u64, u64),
    Find(i64),
    Update(i64),
    Delete,
    ForceDelete,
    Restore,
    Create(Option<&'static str>),
    /// The chain with `with(["remarks"])`.
    EagerRemarks,
    /// The chain's rows, then `HasMany::load_many` of their remarks.
    LoadRemarks,
    /// Remarks (filtered by the chain's first numeric condition) with their thing.
    RemarksWithThing(i64),
    /// The chain with `with_constraint("remarks", ...)`: an OR that names another
    /// tenant, and a per-parent limit.
    ConstrainedRemarks(&'static str, u64),
    /// The chain's `update(...)`, trying to move rows to another tenant.
    MassUpdate(i64),
    /// The chain's `delete()` (soft), at most 5 rows.
    MassDelete,
    /// The chain's `force_delete()`, at most 1 row (so the data set lasts).
    MassForceDelete,
    /// The chain's `increment("a", n)`.
    MassIncrement(i64),
    /// The chain's `all_as::<Owned>()` (typed read).
    AllAs,
    /// The chain's `find_as::<Owned>(id)`.
    FindAs(i64),
    /// The model-level key lookups, no chain: `Thing::find` / `find_as` (a global
    /// scope in force) and `Remark::find` / `find_as` (tenant scope only).
    KeyLookups(i64),
    /// The chain's `paginate_as::<Owned>(page, per_page)`.
    PaginateAs(u64, u64),
    /// `exists()`, `sum("a")`, `count_column("c")` against the oracle's.
    Aggregates,
    /// `pluck::<String>("org_id")`.
    Pluck,
    /// `simple_paginate(page, per_page)`.
    SimplePaginate(u64, u64),
    /// `find_many(ids)`.
    FindMany(Vec<i64>),
    /// `select(["org_id"]).select_count("n").group_by(["org_id"])` read typed.
    Grouped,
    /// `chunk_by_id(n, ..)` over the chain.
    ChunkById(u64),
    /// The chain joined to its remarks: inner join (0), left join's remark orgs (1),
    /// an `or_on` that matches every remark (2), a join_sub of remarks with an OR on
    /// another tenant (3), a mass update through the join (4).
    JoinRemarks(u8),
    /// `select_raw` + `group_by_raw` + `having_raw` / `or_having_raw("1 = 1")`, typed.
    RawGrouped(bool),
    /// `load_count(["remarks"])` onto the fetched rows (false), or `has("remarks", ">=", 1)` +
    /// `with_exists` + `with_count` in the query (true): every count and flag is the tenant's own.
    RemarkCounts(bool),
    /// `cursor_paginate(n, ..)` over the chain, following next cursors to the end.
    CursorWalk(u64),
    /// `lazy(n)` (0), `lazy_by_id_desc(n)` (1) or `chunk_by_id_desc(n, ..)` (2).
    Walk(u64, u8),
    /// `Thing::insert` of two rows, the first claiming a tenant.
    Insert(Option<&'static str>),
    /// `Thing::insert_or_ignore` of a row with an id that may be taken (by any tenant).
    InsertOrIgnore(i64, Option<&'static str>),
    /// `Thing::upsert` on `id` of a row that may be another tenant's, claiming a tenant.
    Upsert(i64, Option<&'static str>),
    /// The chain's `update_or_insert({"a": v}, {"b": .., "org_id": "evil"})`.
    UpdateOrInsert(i64),
    /// Relation writes on thing `id` (any tenant's, as a hand-made parent): remarks'
    /// `create_many` (one claiming a tenant), then a new remark `associate`d to the
    /// chain's first thing and saved; each touches its thing.
    RelationWrites(i64, Option<&'static str>),
    /// The chain with `with(["latest_remark"])` (a `latest_of_many`): each thing's
    /// newest remark of the tenant, never a newer one of another tenant.
    LatestRemark,
    /// The chain with `with(["notes"])` (false) or `with_count(["notes"])` (true), a
    /// has-many-through remarks: only the tenant's notes through the tenant's remarks.
    ThroughNotes(bool),
    /// Polymorphic loads: the chain `with(["marks"])` (a morph-many; false), or marks
    /// with `with(["markable"])` (a morph-to; true): only the tenant's rows, and a
    /// markable only when the thing is the tenant's and in scope.
    Marks(bool),
    /// One unit of work: a create claiming a tenant, remarks created through the
    /// pending thing (one claiming a tenant), the chain's mass update to "evil", the
    /// chain's first row deleted, and (with `true`) other tenants' rows, loaded
    /// unscoped, saved and deleted in it — which must fail the whole batch.
    Unit(i64, Option<&'static str>, bool),
    /// `push()` of the chain's first thing with its remarks loaded, everything changed
    /// and claiming "evil"; with `true`, first a push of another tenant's thing (read
    /// unscoped, remarks loaded unscoped too), which must fail and store nothing.
    Push(i64, bool),
}

/// What a typed read decodes: enough to see whose row it is.
#[derive(Debug, serde::Deserialize)]
struct Owned {
    #[allow(dead_code)]
    id: i64,
    org_id: String,
}

fn owned_by(tenant: &str, rows: &[Owned]) -> bool {
    rows.iter().all(|r| r.org_id == tenant)
}

fn column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["id", "a", "c", "org_id"])
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            column(),
            prop::sample::select(vec!["=", "!=", ">", "<", ">=", "<="]),
            -5i64..60
        )
            .prop_map(|(c, o, v)| Step::Where(c, o, v)),
        (column(), -5i64..60).prop_map(|(c, v)| Step::OrWhere(c, v)),
        (column(), prop::collection::vec(0i64..200, 0..150)).prop_map(|(c, v)| Step::WhereIn(c, v)),
        Just(Step::WhereNull),
        Just(Step::WhereNotNull),
        (column(), any::<bool>()).prop_map(|(c, d)| Step::OrderBy(c, d)),
        (0u64..30).prop_map(Step::Limit),
        (0u64..30).prop_map(Step::Offset),
        Just(Step::WithTrashed),
        Just(Step::OnlyTrashed),
        (-5i64..60, -5i64..60).prop_map(|(a, b)| Step::Between(a, b)),
        (column(), prop::collection::vec(0i64..200, 0..20))
            .prop_map(|(c, v)| Step::OrWhereIn(c, v)),
        (column(), -5i64..60).prop_map(|(c, v)| Step::Not(c, v)),
        (-5i64..60).prop_map(Step::OrAny),
        Just(Step::OrColumns),
        (-5i64..60).prop_map(Step::WhereRaw),
        Just(Step::OrRawAll),
        (1i64..7).prop_map(Step::OrderRaw),
        (0i64..3).prop_map(Step::HasRemarks),
        (0i64..200).prop_map(Step::OrWhereHasRemark),
        Just(Step::DoesntHaveRemarks),
    ]
}

fn terminal() -> impl Strategy<Value = Terminal> {
    prop_oneof![
        Just(Terminal::All),
        Just(Terminal::First),
        Just(Terminal::Count),
        (1u64..6, 1u64..20).prop_map(|(p, n)| Terminal::Paginate(p, n)),
        (0i64..250).prop_map(Terminal::Find),
        (0i64..1000).prop_map(Terminal::Update),
        Just(Terminal::Delete),
        Just(Terminal::ForceDelete),
        Just(Terminal::Restore),
        prop::option::of(prop::sample::select(TENANTS.to_vec())).prop_map(Terminal::Create),
        Just(Terminal::EagerRemarks),
        Just(Terminal::LoadRemarks),
        (0i64..200).prop_map(Terminal::RemarksWithThing),
        (prop::sample::select(TENANTS.to_vec()), 1u64..4)
            .prop_map(|(t, n)| Terminal::ConstrainedRemarks(t, n)),
        (0i64..1000).prop_map(Terminal::MassUpdate),
        Just(Terminal::MassDelete),
        Just(Terminal::MassForceDelete),
        (-3i64..4).prop_map(Terminal::MassIncrement),
        Just(Terminal::AllAs),
        (0i64..250).prop_map(Terminal::FindAs),
        (0i64..250).prop_map(Terminal::KeyLookups),
        (1u64..6, 1u64..20).prop_map(|(p, n)| Terminal::PaginateAs(p, n)),
        Just(Terminal::Aggregates),
        Just(Terminal::Pluck),
        (1u64..6, 1u64..20).prop_map(|(p, n)| Terminal::SimplePaginate(p, n)),
        prop::collection::vec(0i64..200, 0..30).prop_map(Terminal::FindMany),
        Just(Terminal::Grouped),
        (1u64..40).prop_map(Terminal::ChunkById),
        (1u64..40, 0u8..3).prop_map(|(n, k)| Terminal::Walk(n, k)),
        (0u8..5).prop_map(Terminal::JoinRemarks),
        (1u64..40).prop_map(Terminal::CursorWalk),
        any::<bool>().prop_map(Terminal::RawGrouped),
        any::<bool>().prop_map(Terminal::RemarkCounts),
        claim().prop_map(Terminal::Insert),
        (0i64..200, claim()).prop_map(|(id, t)| Terminal::InsertOrIgnore(id, t)),
        (0i64..200, claim()).prop_map(|(id, t)| Terminal::Upsert(id, t)),
        (-5i64..60).prop_map(Terminal::UpdateOrInsert),
        (0i64..170, claim()).prop_map(|(id, t)| Terminal::RelationWrites(id, t)),
        Just(Terminal::LatestRemark),
        any::<bool>().prop_map(Terminal::ThroughNotes),
        any::<bool>().prop_map(Terminal::Marks),
        (-5i64..60, claim(), any::<bool>()).prop_map(|(v, t, f)| Terminal::Unit(v, t, f)),
        (-5i64..60, any::<bool>()).prop_map(|(v, f)| Terminal::Push(v, f)),
    ]
}

/// A tenant a written row claims, or none.
fn claim() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(TENANTS.to_vec()))
}

/// The chain's conditions; with `oracle`, a relation query also names that tenant's
/// remarks by hand, so the oracle doesn't rely on the remarks' own tenant scope.
fn filters(
    mut q: QueryBuilder<Thing>,
    steps: &[Step],
    oracle: Option<&str>,
) -> QueryBuilder<Thing> {
    let own = |r: QueryBuilder<Remark>| match oracle {
        Some(tenant) => r.where_("org_id", tenant),
        None => r,
    };
    for s in steps {
        q = match s.clone() {
            Step::HasRemarks(n) => q.where_has_count("remarks", own, ">=", n),
            Step::OrWhereHasRemark(v) => q.or_where_has("remarks", |r: QueryBuilder<Remark>| {
                own(r.where_op("id", ">", v))
            }),
            Step::DoesntHaveRemarks => q.where_doesnt_have("remarks", own),
            Step::Where(c, o, v) => q.where_op(c, o, v),
            Step::OrWhere(c, v) => q.or_where(c, v),
            Step::WhereIn(c, v) => q.where_in(c, v),
            Step::WhereNull => q.where_null("c"),
            Step::WhereNotNull => q.where_not_null("c"),
            Step::Between(a, b) => q.where_between("a", [a, b]),
            Step::OrWhereIn(c, v) => q.or_where_in(c, v),
            Step::Not(c, v) => q.where_not(|w| w.where_op(c, ">", v)),
            Step::OrAny(v) => q.or_where_any(&["a", "c"], "=", v),
            Step::OrColumns => q.or_where_column("a", "<", "c"),
            Step::WhereRaw(v) => q.where_raw("\"things\".\"a\" > ?", &[json!(v)]),
            Step::OrRawAll => q.or_where_raw("1 = 1", &[]),
            _ => q,
        };
    }
    q
}

fn modifiers(mut q: QueryBuilder<Thing>, steps: &[Step]) -> QueryBuilder<Thing> {
    for s in steps {
        q = match s.clone() {
            Step::OrderBy(c, desc) => q.order_by(c, if desc { "desc" } else { "asc" }),
            Step::Limit(n) => q.limit(n),
            Step::Offset(n) => q.offset(n),
            Step::WithTrashed => q.with_trashed(),
            Step::OnlyTrashed => q.only_trashed(),
            Step::OrderRaw(m) => q.order_by_raw(
                "\"things\".\"c\" IS NULL, \"things\".\"a\" % ?",
                &[json!(m)],
            ),
            _ => q,
        };
    }
    q
}

/// The chain as the test generated it.
fn build(steps: &[Step]) -> QueryBuilder<Thing> {
    modifiers(filters(Thing::query(), steps, None), steps)
}

/// The oracle: the same chain, unscoped, with the tenant written out by hand around
/// the caller's group.
fn build_for(tenant: &str, steps: &[Step]) -> QueryBuilder<Thing> {
    let q = Thing::query()
        .where_group(|g| filters(g, steps, Some(tenant)))
        .where_("org_id", tenant);
    modifiers(q, steps)
}

/// Every row of the other tenants, as text, straight from SQLite.
fn foreign_rows(db: &SqliteExecutor, tenant: &str) -> Vec<String> {
    db.with_connection(|c| {
        let mut s = c
            .prepare("SELECT id, org_id, a, b, c, deleted_at, updated_at FROM things WHERE org_id != ? ORDER BY id")
            .unwrap();
        s.query_map([tenant], |r| {
            Ok(format!(
                "{:?}",
                (
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                )
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    })
}

/// How many remarks the other tenants have, straight from SQLite.
fn foreign_remarks(db: &SqliteExecutor, tenant: &str) -> i64 {
    db.with_connection(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM remarks WHERE org_id != ?",
            [tenant],
            |r| r.get(0),
        )
        .unwrap()
    })
}

fn seeded() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE things (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
           a INTEGER NOT NULL DEFAULT 0, b TEXT NOT NULL DEFAULT '', c INTEGER,
           created_at TEXT, updated_at TEXT, deleted_at TEXT);
         CREATE TABLE remarks (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
           thing_id INTEGER NOT NULL, body TEXT NOT NULL DEFAULT '');
         CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
           remark_id INTEGER NOT NULL);
         CREATE TABLE marks (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL,
           markable_type TEXT NOT NULL, markable_id INTEGER NOT NULL);",
    )
    .unwrap();
    db.with_connection(|c| {
        for i in 0..160i64 {
            c.execute(
                "INSERT INTO things (org_id, a, b, c, deleted_at) VALUES (?, ?, ?, ?, ?)",
                rusqlite::params![
                    TENANTS[(i % 4) as usize],
                    i % 50,
                    format!("b{i}"),
                    if i % 5 == 0 { None } else { Some(i % 7) },
                    if i % 9 == 0 {
                        Some("2020-01-01T00:00:00.000Z")
                    } else {
                        None
                    },
                ],
            )
            .unwrap();
        }
        // Each thing gets remarks from its own tenant and from the next one over.
        for thing in 1..=160i64 {
            for (k, org) in [(0, (thing - 1) % 4), (1, thing % 4)] {
                c.execute(
                    "INSERT INTO remarks (org_id, thing_id, body) VALUES (?, ?, ?)",
                    rusqlite::params![TENANTS[org as usize], thing, format!("r{thing}-{k}")],
                )
                .unwrap();
            }
        }
        // Each thing gets a mark of its own tenant and one of the next, and an "other"
        // mark of its own tenant with its id (told apart only by the type).
        for thing in 1..=160i64 {
            let own = (thing - 1) % 4; // the thing's own tenant
            for (kind, org) in [("thing", own), ("thing", thing % 4), ("other", own)] {
                c.execute(
                    "INSERT INTO marks (org_id, markable_type, markable_id) VALUES (?, ?, ?)",
                    rusqlite::params![TENANTS[org as usize], kind, thing],
                )
                .unwrap();
            }
        }
        // Each remark gets a note from its own tenant and one from the tenant before.
        for remark in 1..=320i64 {
            for org in [remark % 4, (remark + 3) % 4] {
                c.execute(
                    "INSERT INTO notes (org_id, remark_id) VALUES (?, ?)",
                    rusqlite::params![TENANTS[org as usize], remark],
                )
                .unwrap();
            }
        }
    });
    (Orm::new(db.clone()), db)
}

fn own<M: ModelDef>(tenant: &str, rows: &[Instance<M>]) -> bool {
    rows.iter().all(|r| r.get("org_id") == Some(&json!(tenant)))
}

fn own_refs<M: ModelDef>(tenant: &str, rows: &[&Instance<M>]) -> bool {
    rows.iter().all(|r| r.get("org_id") == Some(&json!(tenant)))
}

async fn run_case(
    db: &SqliteExecutor,
    tenant: &str,
    steps: &[Step],
    terminal: &Terminal,
) -> Result<(), String> {
    let before = foreign_rows(db, tenant);
    let q = build(steps);
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("foreign row {what}"))
        }
    };
    match terminal {
        Terminal::All => {
            if let Ok(rows) = q.all().await {
                check(own(tenant, &rows), "read by all")?;
            }
        }
        Terminal::First => {
            if let Ok(Some(row)) = q.first().await {
                check(own(tenant, &[row]), "read by first")?;
            }
        }
        Terminal::Count => {
            if let Ok(n) = q.clone().count().await {
                let own_total = Thing::without_tenant_scope(|| build_for(tenant, steps).count())
                    .await
                    .map_err(|e| e.to_string())?;
                check(n == own_total, &format!("counted ({n} vs {own_total})"))?;
            }
        }
        Terminal::Paginate(p, n) => {
            if let Ok(page) = q.paginate(*p, *n).await {
                check(own(tenant, &page.data), "read by paginate")?;
                // paginate replaces the chain's limit/offset: count without them.
                let unpaged: Vec<Step> = steps
                    .iter()
                    .filter(|s| !matches!(s, Step::Limit(_) | Step::Offset(_)))
                    .cloned()
                    .collect();
                let own_total = Thing::without_tenant_scope(|| build_for(tenant, &unpaged).count())
                    .await
                    .map_err(|e| e.to_string())?;
                check(
                    page.total == own_total,
                    &format!("counted by paginate ({} vs {own_total})", page.total),
                )?;
            }
        }
        Terminal::Find(id) => {
            if let Ok(Some(row)) = q.find(*id).await {
                check(own(tenant, &[row]), "read by find")?;
            }
        }
        Terminal::AllAs => {
            if let Ok(rows) = q.all_as::<Owned>().await {
                check(owned_by(tenant, &rows), "read by all_as")?;
            }
        }
        Terminal::FindAs(id) => {
            if let Ok(Some(row)) = q.find_as::<Owned>(*id).await {
                check(owned_by(tenant, &[row]), "read by find_as")?;
            }
        }
        Terminal::KeyLookups(id) => {
            if let Ok(Some(row)) = Thing::find(*id).await {
                check(own(tenant, &[row]), "read by Thing::find")?;
            }
            if let Ok(Some(row)) = Thing::find_as::<Owned>(*id).await {
                check(owned_by(tenant, &[row]), "read by Thing::find_as")?;
            }
            if let Ok(Some(row)) = Remark::find(*id).await {
                check(own(tenant, &[row]), "read by Remark::find")?;
            }
            if let Ok(Some(row)) = Remark::find_as::<Owned>(*id).await {
                check(owned_by(tenant, &[row]), "read by Remark::find_as")?;
            }
        }
        Terminal::PaginateAs(p, n) => {
            if let Ok(page) = q.paginate_as::<Owned>(*p, *n).await {
                check(owned_by(tenant, &page.data), "read by paginate_as")?;
            }
        }
        Terminal::Aggregates => {
            let oracle =
                || Thing::without_tenant_scope(|| build_for(tenant, steps).sum::<i64>("a"));
            if let Ok(sum) = q.clone().sum::<i64>("a").await {
                let own_sum = oracle().await.map_err(|e| e.to_string())?;
                check(sum == own_sum, &format!("summed ({sum:?} vs {own_sum:?})"))?;
            }
            if let Ok(n) = q.clone().count_column("c").await {
                let own =
                    Thing::without_tenant_scope(|| build_for(tenant, steps).count_column("c"))
                        .await
                        .map_err(|e| e.to_string())?;
                check(n == own, &format!("counted by count_column ({n} vs {own})"))?;
            }
            if let Ok(any) = q.exists().await {
                let own = Thing::without_tenant_scope(|| build_for(tenant, steps).exists())
                    .await
                    .map_err(|e| e.to_string())?;
                check(any == own, "seen by exists")?;
            }
        }
        Terminal::Pluck => {
            if let Ok(orgs) = q.pluck::<String>("org_id").await {
                check(orgs.iter().all(|o| o == tenant), "read by pluck")?;
            }
        }
        Terminal::SimplePaginate(p, n) => {
            if let Ok(page) = q.simple_paginate(*p, *n).await {
                check(own(tenant, &page.data), "read by simple_paginate")?;
            }
        }
        Terminal::FindMany(ids) => {
            if let Ok(rows) = q.find_many(ids.clone()).await {
                check(own(tenant, &rows), "read by find_many")?;
            }
        }
        Terminal::ChunkById(n) => {
            let mut foreign = false;
            let _ = q
                .chunk_by_id(*n, |rows| {
                    foreign |= !own(tenant, &rows);
                    async { Ok(true) }
                })
                .await;
            check(!foreign, "read by chunk_by_id")?;
        }
        Terminal::JoinRemarks(kind) => {
            let on = ("remarks.thing_id", "=", "things.id");
            let orgs: Vec<Option<String>> = match kind {
                0 => {
                    if let Ok(rows) = q.join::<Remark>(on.0, on.1, on.2).all().await {
                        check(own(tenant, &rows), "read through a join")?;
                    }
                    Vec::new()
                }
                1 => q
                    .left_join::<Remark>(on.0, on.1, on.2)
                    .pluck("remarks.org_id")
                    .await
                    .unwrap_or_default(),
                2 => q
                    .join_with::<Remark>(|j| {
                        j.on(on.0, on.1, on.2).or_on("remarks.id", ">", "things.a")
                    })
                    .pluck("remarks.org_id")
                    .await
                    .unwrap_or_default(),
                3 => {
                    let sub = Remark::query().or_where("org_id", TENANTS[1]);
                    q.join_sub(sub, "r", "r.thing_id", "=", "things.id")
                        .pluck("r.org_id")
                        .await
                        .unwrap_or_default()
                }
                _ => {
                    let _ = q
                        .join::<Remark>(on.0, on.1, on.2)
                        .update(json!({"b": "joined", "org_id": "evil"}))
                        .await;
                    Vec::new()
                }
            };
            check(
                orgs.iter().flatten().all(|org| org == tenant),
                "joined remark of another tenant",
            )?;
        }
        Terminal::RemarkCounts(has) => {
            // The chain's conditions as one group, so `has` applies to every row (after
            // an OR it would bind to the last term only, as in Laravel).
            let q = if *has {
                let grouped = Thing::query().where_group(|g| filters(g, steps, None));
                modifiers(grouped, steps)
                    .has("remarks", ">=", 1)
                    .with_exists(["remarks"])
            } else {
                q
            };
            // Counted in the query (with `has`), or loaded onto the rows afterwards.
            let rows = if *has {
                q.with_count(["remarks"]).all().await.ok()
            } else {
                match q.all().await {
                    Ok(mut rows) => {
                        roost_orm::relations::load_count(&mut rows, ["remarks"])
                            .await
                            .map_err(|e| format!("load_count failed: {e}"))?;
                        Some(rows)
                    }
                    Err(_) => None,
                }
            };
            if let Some(rows) = rows {
                check(own(tenant, &rows), "read with remark counts")?;
                for row in &rows {
                    let id = row.get_as::<i64>("id").map_err(|e| e.to_string())?;
                    let own_remarks: i64 = db.with_connection(|c| {
                        c.query_row(
                            "SELECT COUNT(*) FROM remarks WHERE thing_id = ? AND org_id = ?",
                            rusqlite::params![id, tenant],
                            |r| r.get(0),
                        )
                        .unwrap()
                    });
                    let counted = row
                        .get_as::<i64>("remarks_count")
                        .map_err(|e| e.to_string())?;
                    check(
                        counted == own_remarks,
                        &format!("remark counted ({counted} vs {own_remarks})"),
                    )?;
                    if *has {
                        check(own_remarks > 0, "remark matched by has")?;
                        check(
                            row.get("remarks_exists") == Some(&json!(true)),
                            "remark flagged by with_exists",
                        )?;
                    }
                }
            }
        }
        Terminal::RawGrouped(or_all) => {
            #[derive(serde::Deserialize)]
            struct Group {
                org: String,
            }
            let q = q
                .select_raw("\"things\".\"org_id\" AS \"org\", count(*) AS \"n\"", &[])
                .group_by_raw("\"things\".\"org_id\"", &[])
                .having_raw("count(*) > ?", &[json!(0)]);
            let q = if *or_all {
                q.or_having_raw("1 = 1", &[])
            } else {
                q
            };
            if let Ok(groups) = q.all_as::<Group>().await {
                check(
                    groups.iter().all(|g| g.org == tenant),
                    "read by a raw grouped select",
                )?;
            }
        }
        Terminal::CursorWalk(n) => {
            let mut cursor: Option<String> = None;
            for _ in 0..200 {
                let Ok(page) = q.clone().cursor_paginate(*n, cursor.as_deref()).await else {
                    break;
                };
                check(own(tenant, &page.data), "read by cursor_paginate")?;
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Terminal::Walk(n, kind) => {
            use futures::TryStreamExt;
            let rows: Vec<Instance<Thing>> = match kind {
                0 => q.lazy(*n).try_collect().await,
                1 => q.lazy_by_id_desc(*n).try_collect().await,
                _ => {
                    let mut all = Vec::new();
                    q.chunk_by_id_desc(*n, |rows| {
                        all.extend(rows);
                        async { Ok(true) }
                    })
                    .await
                    .map(|_| all)
                }
            }
            .unwrap_or_default();
            check(
                own(tenant, &rows),
                "read by lazy / lazy_by_id_desc / chunk_by_id_desc",
            )?;
        }
        Terminal::Grouped => {
            #[derive(serde::Deserialize)]
            struct Group {
                org_id: String,
            }
            if let Ok(groups) = q
                .select(["org_id"])
                .select_count("n")
                .group_by(["org_id"])
                .all_as::<Group>()
                .await
            {
                check(groups.iter().all(|g| g.org_id == tenant), "grouped")?;
            }
        }
        Terminal::Update(v) => {
            // Rows of other tenants loaded unscoped, then saved under the tenant.
            let victims = Thing::without_tenant_scope(|| Thing::with_trashed().limit(5).all())
                .await
                .map_err(|e| e.to_string())?;
            for mut row in victims {
                row.set("a", *v);
                row.set("org_id", "evil");
                let _ = row.save().await;
            }
            if let Ok(Some(mut row)) = q.first().await {
                row.set("a", *v);
                let _ = row.save().await;
            }
        }
        Terminal::Delete | Terminal::ForceDelete | Terminal::Restore => {
            let victims = Thing::without_tenant_scope(|| {
                Thing::with_trashed()
                    .where_op("org_id", "!=", tenant)
                    .limit(3)
                    .all()
            })
            .await
            .map_err(|e| e.to_string())?;
            let mine = q.first().await.ok().flatten();
            for mut row in victims.into_iter().chain(mine) {
                let _ = match terminal {
                    Terminal::Delete => row.delete().await,
                    Terminal::ForceDelete => row.force_delete().await,
                    _ => row.restore().await.map(|_| ()),
                };
            }
        }
        Terminal::Create(claimed) => {
            let mut attrs = json!({"a": 1, "b": "new"});
            if let Some(org) = claimed {
                attrs["org_id"] = Value::from(*org);
            }
            let row = Thing::create(attrs).await.map_err(|e| e.to_string())?;
            check(own(tenant, &[row]), "created")?;
        }
        Terminal::EagerRemarks => {
            if let Ok(rows) = q.with(["remarks"]).all().await {
                check(own(tenant, &rows), "read by eager parent")?;
                for row in &rows {
                    let remarks = row
                        .related::<Remark>("remarks")
                        .map_err(|e| e.to_string())?;
                    check(own_refs(tenant, &remarks), "read by eager load")?;
                }
            }
        }
        Terminal::ConstrainedRemarks(other, per_parent) => {
            let constrained = q.with_constraint("remarks", |r: QueryBuilder<Remark>| {
                r.where_op("id", ">", 0)
                    .or_where("org_id", *other)
                    .order_by_desc("id")
                    .limit(*per_parent)
            });
            if let Ok(rows) = constrained.all().await {
                check(own(tenant, &rows), "read by constrained eager parent")?;
                for row in &rows {
                    let remarks = row
                        .related::<Remark>("remarks")
                        .map_err(|e| e.to_string())?;
                    check(own_refs(tenant, &remarks), "read by constrained eager load")?;
                    if remarks.len() as u64 > *per_parent {
                        return Err(format!(
                            "{} remarks for a limit of {per_parent}",
                            remarks.len()
                        ));
                    }
                }
            }
        }
        Terminal::MassUpdate(v) => {
            let _ = q.update(json!({"a": *v, "org_id": "evil"})).await;
        }
        Terminal::Insert(claimed) => {
            let mut first = json!({"a": 1, "b": "ins"});
            if let Some(org) = claimed {
                first["org_id"] = Value::from(*org);
            }
            Thing::insert([first, json!({"a": 2})])
                .await
                .map_err(|e| e.to_string())?;
        }
        Terminal::InsertOrIgnore(id, claimed) => {
            let mut row = json!({"id": *id, "a": 3, "b": "ign"});
            if let Some(org) = claimed {
                row["org_id"] = Value::from(*org);
            }
            Thing::insert_or_ignore([row])
                .await
                .map_err(|e| e.to_string())?;
        }
        Terminal::Upsert(id, claimed) => {
            let mut row = json!({"id": *id, "a": 4, "b": "ups"});
            if let Some(org) = claimed {
                row["org_id"] = Value::from(*org);
            }
            Thing::upsert([row], &["id"], None)
                .await
                .map_err(|e| e.to_string())?;
        }
        Terminal::UpdateOrInsert(v) => {
            let _ = q
                .update_or_insert(json!({"a": *v}), json!({"b": "uoi", "org_id": "evil"}))
                .await;
        }
        Terminal::MassDelete => {
            let _ = q.limit(5).delete().await;
        }
        Terminal::MassForceDelete => {
            let _ = q.limit(1).force_delete().await;
        }
        Terminal::MassIncrement(n) => {
            let _ = q.increment("a", *n).await;
        }
        Terminal::LoadRemarks => {
            if let Ok(mut rows) = q.all().await {
                HasManyRelation::<Remark>::new("thing_id", "id")
                    .load_many_as(&mut rows, "remarks")
                    .await
                    .map_err(|e| e.to_string())?;
                for row in &rows {
                    let remarks = row
                        .related::<Remark>("remarks")
                        .map_err(|e| e.to_string())?;
                    check(own_refs(tenant, &remarks), "read by load_many")?;
                }
                if let Some(first) = rows.first() {
                    let remarks = HasManyRelation::<Remark>::new("thing_id", "id")
                        .load(first)
                        .await
                        .map_err(|e| e.to_string())?;
                    check(own(tenant, &remarks), "read by load")?;
                }
            }
        }
        Terminal::Unit(v, claimed, with_foreign) => {
            let remarks_before = foreign_remarks(db, tenant);
            let mut foreign = if *with_foreign {
                Thing::without_tenant_scope(|| {
                    Thing::with_trashed()
                        .where_op("org_id", "!=", tenant)
                        .limit(2)
                        .all()
                })
                .await
                .map_err(|e| e.to_string())?
            } else {
                Vec::new()
            };
            let mut mine = q.clone().first().await.ok().flatten();
            let with_foreign_rows = !foreign.is_empty();
            let orm = Orm::current().map_err(|e| e.to_string())?;
            let mut unit = orm.unit_of_work();
            static UNITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let marker = format!(
                "unit-{}",
                UNITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let mut attrs = json!({"a": *v, "b": marker});
            let mut claiming = json!({"body": "claims"});
            if let Some(org) = claimed {
                attrs["org_id"] = Value::from(*org);
                claiming["org_id"] = Value::from(*org);
            }
            let created = unit
                .create::<Thing>(attrs)
                .await
                .map_err(|e| e.to_string())?;
            let remarks = HasManyRelation::<Remark>::new("thing_id", "id");
            unit.create_related(&remarks, &created, json!({"body": "plain"}))
                .await
                .map_err(|e| e.to_string())?;
            unit.create_related(&remarks, &created, claiming)
                .await
                .map_err(|e| e.to_string())?;
            let _ = unit.update(q, json!({"a": *v, "org_id": "evil"}));
            for row in foreign.iter_mut() {
                row.set("a", *v);
                row.set("org_id", "evil");
            }
            let split = foreign.len().min(1);
            let (first, rest) = foreign.split_at_mut(split);
            for row in first {
                unit.save(row).await.map_err(|e| e.to_string())?;
            }
            for row in rest {
                unit.delete(row).await.map_err(|e| e.to_string())?;
            }
            if let Some(row) = mine.as_mut() {
                unit.delete(row).await.map_err(|e| e.to_string())?;
            }
            match unit.commit().await {
                Ok(mut done) => {
                    check(
                        !with_foreign_rows,
                        "saved by a unit (its batch should have failed)",
                    )?;
                    let thing = done.take(created).map_err(|e| e.to_string())?;
                    check(own(tenant, &[thing]), "created by a unit")?;
                }
                Err(OrmError::ModelNotFound { .. }) if with_foreign_rows => {
                    // All or nothing: the unit's own create is not stored either.
                    let stored: i64 = db.with_connection(|c| {
                        c.query_row("SELECT count(*) FROM things WHERE b = ?", [&marker], |r| {
                            r.get(0)
                        })
                        .unwrap()
                    });
                    check(
                        stored == 0,
                        "left behind by a failed unit (its create was stored)",
                    )?;
                }
                Err(e) => return Err(format!("unit failed: {e}")),
            }
            let remarks_after = foreign_remarks(db, tenant);
            check(
                remarks_before == remarks_after,
                &format!(
                    "remarks written by a unit ({remarks_before} before, {remarks_after} after)"
                ),
            )?;
        }
        Terminal::Push(v, foreign) => {
            let remarks_before = foreign_remarks(db, tenant);
            let evil = |thing: &mut Instance<Thing>| -> Result<(), String> {
                thing.set("a", *v).set("org_id", "evil");
                for remark in thing
                    .related_mut::<Remark>("remarks")
                    .map_err(|e| e.to_string())?
                {
                    remark.set("body", "pushed").set("org_id", "evil");
                }
                Ok(())
            };
            if *foreign {
                let theirs = Thing::without_tenant_scope(|| {
                    Thing::query()
                        .where_op("org_id", "!=", tenant)
                        .with(["remarks"])
                        .first()
                })
                .await
                .map_err(|e| e.to_string())?;
                if let Some(mut theirs) = theirs {
                    evil(&mut theirs)?;
                    check(
                        theirs.push().await.is_err(),
                        "pushed (another tenant's thing)",
                    )?;
                }
            }
            if let Ok(Some(mut mine)) = q.with(["remarks"]).first().await {
                evil(&mut mine)?;
                mine.push().await.map_err(|e| format!("push failed: {e}"))?;
                check(own(tenant, std::slice::from_ref(&mine)), "stamped by push")?;
                let remarks = mine
                    .related::<Remark>("remarks")
                    .map_err(|e| e.to_string())?;
                check(own_refs(tenant, &remarks), "remark stamped by push")?;
            }
            let remarks_after = foreign_remarks(db, tenant);
            check(
                remarks_before == remarks_after,
                &format!(
                    "remarks written by push ({remarks_before} before, {remarks_after} after)"
                ),
            )?;
        }
        Terminal::RelationWrites(id, claimed) => {
            let remarks_before = foreign_remarks(db, tenant);
            let parent = Instance::<Thing>::from_attributes(json!({"id": id})).unwrap();
            let mut claiming = json!({"body": "claims"});
            if let Some(org) = claimed {
                claiming["org_id"] = Value::from(*org);
            }
            let created = HasManyRelation::<Remark>::new("thing_id", "id")
                .create_many(&parent, [json!({"body": "plain"}), claiming])
                .await
                .map_err(|e| format!("create_many failed: {e}"))?;
            check(own(tenant, &created), "written by create_many")?;
            if let Ok(Some(thing)) = q.first().await {
                let mut remark = Instance::<Remark>::from_attributes(json!({"body": "x"})).unwrap();
                BelongsToRelation::<Thing>::new("thing_id", "id")
                    .associate(&mut remark, &thing)
                    .map_err(|e| e.to_string())?;
                remark.save().await.map_err(|e| e.to_string())?;
                check(own(tenant, &[remark]), "written by associate + save")?;
            }
            let remarks_after = foreign_remarks(db, tenant);
            check(
                remarks_before == remarks_after,
                &format!("remarks written ({remarks_before} before, {remarks_after} after)"),
            )?;
        }
        Terminal::ThroughNotes(counted) => {
            let oracle = |thing: i64| -> i64 {
                db.with_connection(|c| {
                    c.query_row(
                        "SELECT COUNT(*) FROM notes n JOIN remarks r ON r.id = n.remark_id
                         WHERE r.thing_id = ?1 AND r.org_id = ?2 AND n.org_id = ?2",
                        rusqlite::params![thing, tenant],
                        |r| r.get(0),
                    )
                    .unwrap()
                })
            };
            let rows = if *counted {
                q.with_count(["notes"]).all().await
            } else {
                q.with(["notes"]).all().await
            };
            if let Ok(rows) = rows {
                check(own(tenant, &rows), "read by through parent")?;
                for row in &rows {
                    let thing: i64 = row.get_as("id").map_err(|e| e.to_string())?;
                    let n = if *counted {
                        row.get_as::<i64>("notes_count")
                            .map_err(|e| e.to_string())?
                    } else {
                        let notes = row.related::<Note>("notes").map_err(|e| e.to_string())?;
                        check(own_refs(tenant, &notes), "read by through load")?;
                        notes.len() as i64
                    };
                    let expected = oracle(thing);
                    check(n == expected, &format!("through notes ({n} vs {expected})"))?;
                }
            }
        }
        Terminal::Marks(morph_to) => {
            if *morph_to {
                // Only "thing" marks: an "other" type names no target (an error by design).
                let marks = Mark::where_("markable_type", "thing")
                    .with(["markable"])
                    .all()
                    .await
                    .map_err(|e| e.to_string())?;
                check(own(tenant, &marks), "read by morph-to child query")?;
                for mark in &marks {
                    let thing = mark
                        .related_one::<Thing>("markable")
                        .map_err(|e| e.to_string())?;
                    let id: i64 = mark.get_as("markable_id").map_err(|e| e.to_string())?;
                    let visible: bool = db.with_connection(|c| {
                        c.query_row(
                            "SELECT COUNT(*) FROM things WHERE id = ?1 AND org_id = ?2
                             AND deleted_at IS NULL AND a != 13",
                            rusqlite::params![id, tenant],
                            |r| r.get::<_, i64>(0),
                        )
                        .unwrap()
                            == 1
                    });
                    check(
                        thing.is_none_or(|t| own_refs(tenant, &[t])),
                        "read by morph-to",
                    )?;
                    check(
                        thing.is_some() == visible,
                        &format!("morph-to of thing {id} (loaded: {})", thing.is_some()),
                    )?;
                }
            } else if let Ok(rows) = q.with(["marks"]).all().await {
                check(own(tenant, &rows), "read by morph-many parent")?;
                for row in &rows {
                    let marks = row.related::<Mark>("marks").map_err(|e| e.to_string())?;
                    check(own_refs(tenant, &marks), "read by morph-many")?;
                    check(
                        marks
                            .iter()
                            .all(|m| m.get("markable_type") == Some(&json!("thing"))),
                        "of another type read by morph-many",
                    )?;
                }
            }
        }
        Terminal::LatestRemark => {
            if let Ok(rows) = q.with(["latest_remark"]).all().await {
                check(own(tenant, &rows), "read by one-of-many parent")?;
                for row in &rows {
                    let latest = row
                        .related_one::<Remark>("latest_remark")
                        .map_err(|e| e.to_string())?;
                    let thing: i64 = row.get_as("id").map_err(|e| e.to_string())?;
                    let expected: Option<i64> = db.with_connection(|c| {
                        c.query_row(
                            "SELECT MAX(id) FROM remarks WHERE thing_id = ? AND org_id = ?",
                            rusqlite::params![thing, tenant],
                            |r| r.get(0),
                        )
                        .unwrap()
                    });
                    let got = latest.map(|r| r.get_as::<i64>("id").unwrap());
                    check(
                        got == expected,
                        &format!("picked as latest ({got:?} vs {expected:?})"),
                    )?;
                }
            }
        }
        Terminal::RemarksWithThing(max_thing) => {
            let remarks = Remark::where_op("thing_id", "<=", *max_thing)
                .with(["thing"])
                .all()
                .await
                .map_err(|e| e.to_string())?;
            check(own(tenant, &remarks), "read by remark query")?;
            for remark in &remarks {
                let thing = remark
                    .related_one::<Thing>("thing")
                    .map_err(|e| e.to_string())?;
                check(
                    thing.is_none_or(|t| own_refs(tenant, &[t])),
                    "read by belongs_to eager load",
                )?;
            }
        }
    }
    let after = foreign_rows(db, tenant);
    if before != after {
        return Err(format!(
            "foreign rows changed: {} before, {} after",
            before.len(),
            after.len()
        ));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_query_chain_crosses_tenants(
        tenant in prop::sample::select(TENANTS.to_vec()),
        steps in prop::collection::vec(step(), 0..6),
        terminal in terminal(),
    ) {
        thread_local! {
            static DB: (Orm, SqliteExecutor) = seeded();
        }
        let (app, db) = DB.with(|d| (d.0.clone(), d.1.clone()));
        let orm = app.new_request();
        orm.tenant().set(TenantContextData::new(tenant, tenant));
        let result = futures::executor::block_on(orm.scope(run_case(&db, tenant, &steps, &terminal)));
        prop_assert!(result.is_ok(), "{:?}", result);
    }
}
