//! What a record's JSON shows (`HIDDEN`, `VISIBLE`, `APPENDS`, `make_hidden`,
//! `make_visible`), on embedded SQLite: single records, lists, pages and nested loaded
//! relations each by their own model's rules; the attributes themselves stay readable.
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT, email TEXT);
CREATE TABLE entries (id INTEGER PRIMARY KEY, member_id INTEGER, title TEXT, draft_notes TEXT);
INSERT INTO members VALUES (1, 'ada', 'h1', 'ada@x'), (2, 'bob', 'h2', 'bob@x');
INSERT INTO entries VALUES (1, 1, 'one', 'n1'), (2, 1, 'two', 'n2');
";

/// Hides its password hash; appends a computed `initial`.
struct Member;
impl ModelDef for Member {
    const TIMESTAMPS: bool = false;
    const HIDDEN: &'static [&'static str] = &["password_hash"];
    const APPENDS: &'static [&'static str] = &["initial"];
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Entry>("entries", "member_id", "id");
    }
    fn appended(name: &str, member: &Instance<Self>) -> Value {
        let first = member
            .get("name")
            .and_then(Value::as_str)
            .and_then(|n| n.chars().next());
        match (name, first) {
            ("initial", Some(c)) => Value::from(c.to_ascii_uppercase().to_string()),
            _ => Value::Null,
        }
    }
}

/// Shows only `id`, `title` and its `member`.
struct Entry;
impl ModelDef for Entry {
    const TIMESTAMPS: bool = false;
    const VISIBLE: &'static [&'static str] = &["id", "title", "member"];
    fn relations(r: &mut RelationMap<Self>) {
        r.belongs_to::<Member>("member", "member_id", "id");
    }
}

fn orm() -> Orm {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    Orm::new(db)
}

#[tokio::test]
async fn records_lists_pages_and_nested_relations_follow_their_models_rules() {
    let orm = orm();
    orm.scope(async {
        let ada = Member::find_or_fail(1).await.unwrap();
        assert_eq!(ada.get("password_hash"), Some(&json!("h1")), "still readable");
        assert_eq!(
            serde_json::to_value(&ada).unwrap(),
            json!({"id": 1, "name": "ada", "email": "ada@x", "initial": "A"})
        );

        let members = Member::with(["entries.member"]).order_by_asc("id").all().await.unwrap();
        let json = serde_json::to_value(&members).unwrap();
        assert_eq!(
            json[0]["entries"][0],
            json!({"id": 1, "title": "one", "member": {"id": 1, "name": "ada", "email": "ada@x", "initial": "A"}}),
        );
        assert!(!json.to_string().contains("h1") && !json.to_string().contains("n1"));

        let page = Member::query().paginate(1, 10).await.unwrap();
        let page = serde_json::to_value(&page).unwrap();
        assert_eq!(page["data"][1]["name"], json!("bob"));
        assert!(page["data"][1].get("password_hash").is_none());
    })
    .await;
}

#[tokio::test]
async fn make_hidden_and_make_visible_change_one_instance() {
    let orm = orm();
    orm.scope(async {
        let mut ada = Member::find_or_fail(1).await.unwrap();
        ada.make_visible(["password_hash"])
            .make_hidden(["email", "initial"]);
        assert_eq!(
            serde_json::to_value(&ada).unwrap(),
            json!({"id": 1, "name": "ada", "password_hash": "h1"})
        );
        assert_eq!(ada.get_hidden(), ["email", "initial"]);
        let bob = Member::find_or_fail(2).await.unwrap();
        assert!(
            serde_json::to_value(&bob)
                .unwrap()
                .get("password_hash")
                .is_none(),
            "others keep the model's"
        );

        // On a model with a visible list, make_visible adds to it.
        let mut entry = Entry::find_or_fail(1).await.unwrap();
        entry.make_visible(["draft_notes"]);
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            json!({"id": 1, "title": "one", "draft_notes": "n1"})
        );
        // A clone keeps its lists.
        assert_eq!(
            serde_json::to_value(entry.clone()).unwrap()["draft_notes"],
            json!("n1")
        );
    })
    .await;
}

struct BadAppend;
impl ModelDef for BadAppend {
    const TABLE: Option<&'static str> = Some("members");
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("name")];
    const APPENDS: &'static [&'static str] = &["name"];
}
struct BadHidden;
impl ModelDef for BadHidden {
    const TABLE: Option<&'static str> = Some("members");
    const HIDDEN: &'static [&'static str] = &["members.password_hash"];
}

#[tokio::test]
async fn bad_declarations_make_the_model_invalid() {
    let orm = orm();
    orm.scope(async {
        for err in [
            BadAppend::all().await.unwrap_err(),
            BadHidden::all().await.unwrap_err(),
        ] {
            assert!(matches!(err, OrmError::InvalidModel { .. }), "{err:?}");
        }
    })
    .await;
}
