//! Accessors and mutators (`ModelDef::ACCESSORS`, Laravel `Attribute::make(get, set)`)
//! on embedded SQLite: setters on every way a value is set (but never on rows read
//! back, nor on the ORM's own writes), getters on every way a value is read and in the
//! JSON (nested relations and appended attributes too), misdeclarations refused.
use roost_orm::model::{Attribute, Attributes};
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{OrmError, SqliteExecutor};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE people (
    id INTEGER PRIMARY KEY, first TEXT, last TEXT, email TEXT, line TEXT, city TEXT, org_id TEXT
);
CREATE TABLE pets (id INTEGER PRIMARY KEY, person_id INTEGER, name TEXT);
INSERT INTO people (id, first, email, org_id) VALUES (1, 'ADA', 'ADA@X.ORG', 'a');
INSERT INTO pets (person_id, name) VALUES (1, 'rex');
";

fn capitalized(value: &Value, _: &Attributes) -> Value {
    match value.as_str() {
        Some(s) => {
            let lower = s.to_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(c) => Value::from(c.to_uppercase().chain(chars).collect::<String>()),
                None => Value::from(""),
            }
        }
        None => value.clone(),
    }
}

fn lowercase(value: Value, _: &Attributes) -> Value {
    match value {
        Value::String(s) => Value::from(s.to_lowercase()),
        other => other,
    }
}

fn full_name(_: &Value, attributes: &Attributes) -> Value {
    let part = |k: &str| {
        attributes
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Value::from(
        format!("{} {}", part("first"), part("last"))
            .trim()
            .to_string(),
    )
}

/// `"12 Main St, Springfield"` → `line` + `city`.
fn split_address(value: Value, _: &Attributes) -> Attributes {
    let text = value.as_str().unwrap_or_default();
    let (line, city) = text.split_once(", ").unwrap_or((text, ""));
    let mut out = Attributes::new();
    out.insert("line".into(), Value::from(line));
    out.insert("city".into(), Value::from(city));
    out
}

/// A setter on the tenant column: the ORM's stamp must win over it.
fn other_tenant(_: Value, _: &Attributes) -> Value {
    Value::from("b")
}

struct Person;
impl ModelDef for Person {
    const TABLE: Option<&'static str> = Some("people");
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const APPENDS: &'static [&'static str] = &["full_name"];
    const ACCESSORS: &'static [Attribute] = &[
        Attribute::make("first").get(capitalized),
        Attribute::make("email").set(lowercase),
        Attribute::make("address").set_many(split_address),
        Attribute::make("full_name").get(full_name),
        Attribute::make("org_id").set(other_tenant),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Pet>("pets", "person_id", "id");
    }
}

struct Pet;
impl ModelDef for Pet {
    const TIMESTAMPS: bool = false;
    const ACCESSORS: &'static [Attribute] = &[Attribute::make("name").get(capitalized)];
}

struct PersonFactory;
impl Factory for PersonFactory {
    type Model = Person;
    fn definition(&self) -> impl IntoAttributes {
        json!({"first": "f", "email": "FACTORY@X.ORG"})
    }
}

/// Declares one accessor twice.
struct Twice;
impl ModelDef for Twice {
    const TABLE: Option<&'static str> = Some("people");
    const ACCESSORS: &'static [Attribute] = &[
        Attribute::make("first").get(capitalized),
        Attribute::make("first").set(lowercase),
    ];
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    (orm, db)
}

fn stored(db: &SqliteExecutor, id: i64) -> Vec<Option<String>> {
    db.with_connection(|c| {
        c.query_row(
            "SELECT first, email, line, city, org_id FROM people WHERE id = ?",
            [id],
            |r| Ok((0..5).map(|i| r.get(i).unwrap()).collect()),
        )
        .unwrap()
    })
}

#[tokio::test]
async fn setters_shape_what_is_stored_on_every_write_path() {
    let (orm, db) = orm();
    orm.scope(async {
        let created = Person::create(
            json!({"first": "grace", "email": "GRACE@X.ORG", "address": "12 Main St, Springfield"}),
        )
        .await
        .unwrap();
        let id = created.get_as::<i64>("id").unwrap();
        assert_eq!(
            stored(&db, id),
            [
                Some("grace".into()),
                Some("grace@x.org".into()),
                Some("12 Main St".into()),
                Some("Springfield".into()),
                Some("a".into())
            ],
            "email lowercased, address split, tenant stamped over the org_id setter"
        );
        assert!(
            created.get("address").is_none(),
            "set_many stores only what it returns"
        );

        let mut person = Person::find_or_fail(1).await.unwrap();
        assert_eq!(
            person.get("email"),
            Some(&json!("ADA@X.ORG")),
            "rows read back are never mutated"
        );
        person.set("email", "NEW@X.ORG");
        assert_eq!(person.get("email"), Some(&json!("new@x.org")));
        person.fill(json!({"email": "FILLED@X.ORG"})).unwrap();
        person.save().await.unwrap();
        assert_eq!(stored(&db, 1)[1], Some("filled@x.org".into()));

        let made = Instance::<Person>::from_attributes(json!({"email": "MADE@X.ORG"})).unwrap();
        assert_eq!(made.get("email"), Some(&json!("made@x.org")));
        let factory = PersonFactory.create_one().await.unwrap();
        assert_eq!(factory.get("email"), Some(&json!("factory@x.org")));
    })
    .await;
}

#[tokio::test]
async fn getters_shape_every_read_and_the_json_nested_and_appended() {
    let (orm, _db) = orm();
    orm.scope(async {
        let person = Person::query()
            .with(["pets"])
            .find_or_fail(1)
            .await
            .unwrap();
        assert_eq!(
            person.get("first"),
            Some(&json!("ADA")),
            "get is the stored value"
        );
        assert_eq!(person.get_attribute("first"), Some(json!("Ada")));
        assert_eq!(person.get_as::<String>("first").unwrap(), "Ada");
        assert_eq!(
            person.get_attribute("full_name"),
            Some(json!("ADA")),
            "computed, not stored"
        );
        assert_eq!(person.get_attribute("missing"), None);
        let value = serde_json::to_value(&person).unwrap();
        assert_eq!(value["first"], json!("Ada"));
        assert_eq!(
            value["full_name"],
            json!("ADA"),
            "an appended attribute through its getter"
        );
        assert_eq!(
            value["pets"][0]["name"],
            json!("Rex"),
            "the related model's getter"
        );
        // Queries compare stored values: a getter changes nothing there.
        assert_eq!(Person::where_("first", "ADA").count().await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_misdeclared_accessor_is_refused_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let error = Twice::query().get().await.unwrap_err();
        assert!(
            matches!(&error, OrmError::InvalidModel { reason, .. } if reason.contains("twice")),
            "{error}"
        );
        assert_eq!(orm.statements(), before);
    })
    .await;
}
