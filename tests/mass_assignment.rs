//! Mass assignment (`FILLABLE` / `GUARDED`) on embedded SQLite: every mass-assigning
//! entry point drops guarded keys (or refuses them, strictly), the tenant column is
//! never mass assignable, typos stay errors, and `force_*` bypass the guard.
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY, name TEXT, email TEXT, is_admin INTEGER NOT NULL DEFAULT 0, org_id TEXT
);
CREATE TABLE keys (id INTEGER PRIMARY KEY, account_id INTEGER, secret TEXT, label TEXT);
";

/// Only `name` and `email` are fillable; tenant-scoped.
struct Account;
impl Account {
    const KEYS: HasManyRelation<ApiKey> = HasManyRelation::new("account_id", "id");
}
impl ModelDef for Account {
    const TABLE: Option<&'static str> = Some("accounts");
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const FILLABLE: &'static [&'static str] = &["name", "email"];
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("name").nullable(),
        Column::text("email").nullable(),
        Column::integer("is_admin"),
        Column::text("org_id").nullable(),
    ];
}

/// `secret` is guarded, everything else fillable; no declared columns.
struct ApiKey;
impl ModelDef for ApiKey {
    const TABLE: Option<&'static str> = Some("keys");
    const TIMESTAMPS: bool = false;
    const GUARDED: &'static [&'static str] = &["secret"];
}

/// Totally guarded, Laravel's default.
struct Locked;
impl ModelDef for Locked {
    const TABLE: Option<&'static str> = Some("keys");
    const TIMESTAMPS: bool = false;
    const GUARDED: &'static [&'static str] = &["*"];
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

/// `(name, email, is_admin, org_id)` of a stored account.
type Stored = (Option<String>, Option<String>, i64, Option<String>);

/// Every account, straight from SQLite.
fn accounts(db: &SqliteExecutor) -> Vec<Stored> {
    db.with_connection(|c| {
        let mut s = c
            .prepare("SELECT name, email, is_admin, org_id FROM accounts ORDER BY id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    })
}

fn hostile() -> Value {
    json!({"name": "eve", "email": "e@x", "is_admin": 1, "org_id": "b"})
}

#[tokio::test]
async fn every_mass_assigning_entry_point_drops_guarded_keys() {
    let (orm, db) = orm();
    orm.scope(async {
        let created = Account::create(hostile()).await.unwrap();
        assert_eq!(created.get("is_admin"), Some(&json!(0)));
        assert_eq!(
            created.get("org_id"),
            Some(&json!("a")),
            "the tenant is stamped"
        );

        let made = Account::make(hostile()).unwrap();
        assert_eq!(made.get("is_admin"), None);
        assert_eq!(made.get("org_id"), None);

        let mut filled = Account::find_or_fail(1).await.unwrap();
        filled.fill(json!({"is_admin": 1, "name": "eve2"})).unwrap();
        assert!(filled.is_dirty_key("name") && !filled.is_dirty_key("is_admin"));
        filled
            .update(json!({"is_admin": 1, "email": "e2@x"}))
            .await
            .unwrap();

        assert_eq!(
            Account::query()
                .update(json!({"is_admin": 1, "org_id": "b"}))
                .await
                .unwrap(),
            0,
            "nothing fillable left: no statement"
        );
        Account::first_or_create(json!({"email": "new@x"}), json!({"is_admin": 1}))
            .await
            .unwrap();
        Account::update_or_create(
            json!({"email": "new@x"}),
            json!({"is_admin": 1, "name": "n"}),
        )
        .await
        .unwrap();
        let new = Account::first_or_new(json!({"email": "other@x"}), json!({"is_admin": 1}))
            .await
            .unwrap();
        assert_eq!(new.get("is_admin"), None);

        let key = Account::KEYS
            .create(
                &created,
                json!({"secret": "s3cr3t", "label": "ci", "account_id": 9}),
            )
            .await
            .unwrap();
        assert_eq!(
            key.get("secret"),
            Some(&Value::Null),
            "guarded on the related model"
        );
        assert_eq!(
            key.get("account_id"),
            Some(&json!(1)),
            "the foreign key is set after the guard"
        );
    })
    .await;
    assert_eq!(
        accounts(&db),
        [
            (
                Some("eve2".into()),
                Some("e2@x".into()),
                0,
                Some("a".into())
            ),
            (Some("n".into()), Some("new@x".into()), 0, Some("a".into())),
        ]
    );
}

#[tokio::test]
async fn strict_mode_and_totally_guarded_models_refuse_before_sql() {
    let (orm, _db) = orm();
    orm.prevent_silently_discarding_attributes(true);
    orm.scope(async {
        let before = orm.statements();
        match Account::create(hostile()).await.unwrap_err() {
            OrmError::MassAssignment { model, keys } => {
                assert_eq!(model, "Account");
                assert_eq!(keys, ["is_admin", "org_id"]);
            }
            other => panic!("{other:?}"),
        }
        let mut account = Account::make(json!({"name": "ok"})).unwrap();
        assert!(account.fill(json!({"name": "x", "is_admin": 1})).is_err());
        assert_eq!(account.get("name"), Some(&json!("ok")), "nothing assigned");
        assert!(Account::query()
            .update(json!({"is_admin": 1}))
            .await
            .is_err());
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
    assert!(
        orm.new_request().prevents_silently_discarding(),
        "carried to new requests"
    );

    let (orm, _db) = self::orm();
    orm.scope(async {
        let err = Locked::create(json!({"label": "x"})).await.unwrap_err();
        assert!(matches!(err, OrmError::MassAssignment { .. }), "{err:?}");
        let forced = Locked::force_create(json!({"label": "x", "secret": "s"}))
            .await
            .unwrap();
        assert_eq!(forced.get("secret"), Some(&json!("s")));
        let mut row = Locked::find_or_fail(forced.key().cloned().unwrap())
            .await
            .unwrap();
        row.force_fill(json!({"label": "y"})).unwrap();
        row.save().await.unwrap();
        assert_eq!(row.get("label"), Some(&json!("y")));
    })
    .await;
}

#[tokio::test]
async fn typos_are_errors_and_the_tenant_column_is_never_fillable() {
    let (orm, db) = orm();
    orm.scope(async {
        let err = Account::create(json!({"nmae": "x"})).await.unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
    })
    .await;
    // No tenant active: the tenant column is still not mass assignable.
    let unscoped = Orm::new(db.clone());
    unscoped
        .scope(async {
            Account::create(json!({"name": "root", "org_id": "z"}))
                .await
                .unwrap();
            let forced = Account::force_create(json!({"name": "seed", "org_id": "z"}))
                .await
                .unwrap();
            assert_eq!(forced.get("org_id"), Some(&json!("z")));
        })
        .await;
    assert_eq!(accounts(&db)[0].3, None);
    assert_eq!(accounts(&db)[1].3, Some("z".into()));
}

struct FillsUndeclared;
impl ModelDef for FillsUndeclared {
    const TABLE: Option<&'static str> = Some("accounts");
    const FILLABLE: &'static [&'static str] = &["nmae"];
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("name")];
}
struct StarBesideNames;
impl ModelDef for StarBesideNames {
    const TABLE: Option<&'static str> = Some("accounts");
    const GUARDED: &'static [&'static str] = &["*", "name"];
}

#[tokio::test]
async fn bad_declarations_make_the_model_invalid() {
    let (orm, _db) = orm();
    orm.scope(async {
        for err in [
            FillsUndeclared::all().await.unwrap_err(),
            StarBesideNames::all().await.unwrap_err(),
        ] {
            assert!(matches!(err, OrmError::InvalidModel { .. }), "{err:?}");
        }
    })
    .await;
}

/// Totally guarded, soft-deleting, timestamped: a query's `delete` sets `deleted_at`
/// and `updated_at`, which is not mass assignment.
struct Archive;
impl ModelDef for Archive {
    const TABLE: Option<&'static str> = Some("archives");
    const SOFT_DELETES: bool = true;
    const GUARDED: &'static [&'static str] = &["*"];
}

#[tokio::test]
async fn a_guarded_models_query_delete_still_soft_deletes() {
    let (orm, db) = orm();
    db.execute_batch(
        "CREATE TABLE archives (id INTEGER PRIMARY KEY, name TEXT, created_at TEXT, updated_at TEXT, deleted_at TEXT);
         INSERT INTO archives (name) VALUES ('a'), ('b');",
    )
    .unwrap();
    orm.scope(async {
        // Before the fix the guard dropped `deleted_at` (or refused it): nothing deleted.
        assert_eq!(Archive::where_("name", "a").delete().await.unwrap(), 1);
        assert_eq!(Archive::query().count().await.unwrap(), 1);
        assert_eq!(Archive::query().with_trashed().count().await.unwrap(), 2);
    })
    .await;
}

/// Declares its columns but not the ones its settings imply (the timestamps,
/// `deleted_at`): those are guarded like any column FILLABLE leaves out.
struct Entry;
impl ModelDef for Entry {
    const TABLE: Option<&'static str> = Some("entries");
    const SOFT_DELETES: bool = true;
    const FILLABLE: &'static [&'static str] = &["title"];
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("title")];
}

#[tokio::test]
async fn implied_columns_are_guarded_too() {
    // Found by the Worker's e2e: a PATCH with `deleted_at` trashed the post, since the
    // guard took an undeclared (but implied) column for an unknown one and kept it.
    let (orm, db) = orm();
    db.execute_batch(
        "CREATE TABLE entries (id INTEGER PRIMARY KEY, title TEXT, created_at TEXT, updated_at TEXT, deleted_at TEXT);
         INSERT INTO entries (id, title, created_at) VALUES (1, 'a', 'then');",
    )
    .unwrap();
    orm.scope(async {
        let mut entry = Entry::find_or_fail(1).await.unwrap();
        entry
            .fill(json!({"title": "b", "deleted_at": "2020-01-01", "created_at": "x", "id": 9}))
            .unwrap();
        entry.save().await.unwrap();
        assert!(!entry.trashed());
        assert_eq!(entry.get("created_at"), Some(&json!("then")));
        orm.prevent_silently_discarding_attributes(true);
        let error = entry.fill(json!({"deleted_at": "2020-01-01"})).unwrap_err();
        assert!(
            matches!(&error, roost_orm::OrmError::MassAssignment { keys, .. } if keys == &["deleted_at"]),
            "{error}"
        );
        orm.prevent_silently_discarding_attributes(false);
    })
    .await;
    let stored: (i64, String, Option<String>) = db.with_connection(|c| {
        c.query_row("SELECT id, title, deleted_at FROM entries", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
    });
    assert_eq!(stored, (1, "b".to_string(), None));
}
