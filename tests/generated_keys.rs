//! UUID / ULID primary keys (`KeyType::Uuid` / `KeyType::Ulid`, Laravel `HasUuids` /
//! `HasUlids`) and caller-set keys (`KeyType::Manual`) on embedded SQLite: generated on
//! create (saves, relation creates, factories), seen by `creating` hooks, kept when
//! supplied, and text keys working wherever an integer key used to be assumed —
//! finds (and their text cache), updates, deletes, eager loads both ways, pivots,
//! existence queries and counts, key-ordered chunks.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use roost_orm::prelude::*;
use roost_orm::relations::{BelongsToManyRelation, BelongsToRelation, HasManyRelation};
use roost_orm::{OrmError, SqliteExecutor};
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL, org_id TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE members (id TEXT PRIMARY KEY, team_id TEXT REFERENCES teams(id), name TEXT NOT NULL);
CREATE TABLE skills (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE member_skill (member_id TEXT NOT NULL, skill_id TEXT NOT NULL, PRIMARY KEY (member_id, skill_id));
CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT);
";

struct Team;
impl Team {
    const MEMBERS: HasManyRelation<Member> = HasManyRelation::new("team_id", "id");
}
impl ModelDef for Team {
    const KEY_TYPE: KeyType = KeyType::Uuid;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("members", Team::MEMBERS);
    }
}

struct Member;
impl Member {
    const TEAM: BelongsToRelation<Team> = BelongsToRelation::new("team_id", "id");
    const SKILLS: BelongsToManyRelation<Skill> =
        BelongsToManyRelation::new("member_skill", "member_id", "skill_id");
}
impl ModelDef for Member {
    const KEY_TYPE: KeyType = KeyType::Ulid;
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[
        Column::text("id"),
        Column::text("team_id").nullable(),
        Column::text("name"),
    ];
    fn relations(r: &mut RelationMap<Self>) {
        r.add("team", Member::TEAM).add("skills", Member::SKILLS);
    }
}

struct Skill;
impl ModelDef for Skill {
    const KEY_TYPE: KeyType = KeyType::Uuid;
    const TIMESTAMPS: bool = false;
}

/// A caller-keyed model.
struct Code;
impl ModelDef for Code {
    const KEY_TYPE: KeyType = KeyType::Manual;
    const PRIMARY_KEY: &'static str = "code";
    const TIMESTAMPS: bool = false;
}

/// A generated key in a column declared INTEGER: a misconfiguration.
struct Broken;
impl ModelDef for Broken {
    const KEY_TYPE: KeyType = KeyType::Ulid;
    const TABLE: Option<&'static str> = Some("codes");
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("label")];
}

struct MemberFactory;
impl Factory for MemberFactory {
    type Model = Member;
    fn definition(&self) -> impl IntoAttributes {
        json!({"name": "m"})
    }
}

struct TeamFactory;
impl Factory for TeamFactory {
    type Model = Team;
    fn definition(&self) -> impl IntoAttributes {
        json!({"name": "t"})
    }
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db.clone());
    orm.tenant()
        .set(roost_orm::tenant::TenantContextData::new("a", "org-a"));
    (orm, db)
}

fn stored_ids(db: &SqliteExecutor, table: &str) -> Vec<String> {
    db.with_connection(|c| {
        let mut s = c
            .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
            .unwrap();
        let rows = s.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    })
}

#[tokio::test]
async fn create_generates_the_key_before_creating_hooks_and_keeps_a_supplied_one() {
    let (orm, db) = orm();
    let seen = Arc::new(Mutex::new(None::<Value>));
    let seen_in_hook = Arc::clone(&seen);
    Team::on(HookEvent::Creating, move |team: &mut Instance<Team>| {
        *seen_in_hook.lock().unwrap() = team.key().cloned();
    });
    orm.scope(async {
        let team = Team::create(json!({"name": "core"})).await.unwrap();
        let key = team.get_as::<String>("id").unwrap();
        assert_eq!(key.len(), 36, "a hyphenated UUID: {key}");
        assert_eq!(
            seen.lock().unwrap().clone(),
            Some(json!(key)),
            "the hook saw it"
        );
        let member = Member::create(json!({"name": "ada"})).await.unwrap();
        assert_eq!(member.get_as::<String>("id").unwrap().len(), 26);
        let chosen = Member::create(json!({"id": "mine", "name": "bob"}))
            .await
            .unwrap();
        assert_eq!(chosen.key(), Some(&json!("mine")));
        // Found again by the text key, twice (the second through the find text cache).
        for _ in 0..2 {
            let found = Team::find(key.as_str()).await.unwrap().unwrap();
            assert_eq!(found.get("name"), Some(&json!("core")));
        }
        assert!(Team::find("no-such-key").await.unwrap().is_none());
    })
    .await;
    Team::clear_hooks();
    assert_eq!(stored_ids(&db, "members").len(), 2);
    assert!(stored_ids(&db, "members").contains(&"mine".to_string()));
}

#[tokio::test]
async fn updates_and_deletes_find_their_row_by_text_key() {
    let (orm, db) = orm();
    orm.scope(async {
        let mut first = Member::create(json!({"name": "a"})).await.unwrap();
        let second = Member::create(json!({"name": "b"})).await.unwrap();
        first.set("name", "renamed");
        first.save().await.unwrap();
        let again = Member::find_or_fail(first.key().unwrap().clone())
            .await
            .unwrap();
        assert_eq!(again.get("name"), Some(&json!("renamed")));
        let mut second = second;
        second.delete().await.unwrap();
        assert_eq!(Member::query().count().await.unwrap(), 1);
    })
    .await;
    assert_eq!(stored_ids(&db, "members").len(), 1);
}

#[tokio::test]
async fn relations_with_text_keys_load_count_query_and_pivot() {
    let (orm, _db) = orm();
    orm.scope(async {
        let team = Team::create(json!({"name": "core"})).await.unwrap();
        let other = Team::create(json!({"name": "edge"})).await.unwrap();
        let ada = Team::MEMBERS
            .create(&team, json!({"name": "ada"}))
            .await
            .unwrap();
        Team::MEMBERS
            .create(&team, json!({"name": "bob"}))
            .await
            .unwrap();
        assert_eq!(ada.get("team_id"), team.get("id"), "the parent's text key");

        let teams = Team::query()
            .with(["members"])
            .order_by("name", "asc")
            .get()
            .await
            .unwrap();
        let counts: Vec<usize> = teams
            .iter()
            .map(|t| t.related::<Member>("members").unwrap().len())
            .collect();
        assert_eq!(counts, [2, 0]);
        let members = Member::query().with(["team"]).get().await.unwrap();
        assert!(members
            .iter()
            .all(|m| m.related_one::<Team>("team").unwrap().is_some()));

        let counted = Team::query()
            .with_count(["members"])
            .order_by("name", "asc")
            .get()
            .await
            .unwrap();
        assert_eq!(counted[0].get("members_count"), Some(&json!(2)));
        let busy = Team::query().has("members", ">=", 1).get().await.unwrap();
        assert_eq!(busy.len(), 1);
        assert_eq!(busy[0].key(), team.key());
        assert_ne!(busy[0].key(), other.key());

        let rust = Skill::create(json!({"name": "rust"})).await.unwrap();
        let sql = Skill::create(json!({"name": "sql"})).await.unwrap();
        let keys = [rust.key().unwrap().clone(), sql.key().unwrap().clone()];
        assert_eq!(Member::SKILLS.attach(&ada, keys.clone()).await.unwrap(), 2);
        let changes = Member::SKILLS.sync(&ada, [keys[1].clone()]).await.unwrap();
        assert_eq!(changes.detached, vec![keys[0].clone()]);
        let loaded = Member::query()
            .with(["skills"])
            .find_or_fail(ada.key().unwrap().clone())
            .await
            .unwrap();
        let names: Vec<&Value> = loaded
            .related::<Skill>("skills")
            .unwrap()
            .iter()
            .filter_map(|s| s.get("name"))
            .collect();
        assert_eq!(names, [&json!("sql")]);
    })
    .await;
}

#[tokio::test]
async fn factories_generate_distinct_keys_in_one_statement_and_link_children() {
    let (orm, db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let members = MemberFactory.count(200).create().await.unwrap();
        assert_eq!(
            orm.statements() - before,
            1,
            "one INSERT for 200 generated keys"
        );
        let keys: HashSet<String> = members
            .iter()
            .map(|m| m.get_as::<String>("id").unwrap())
            .collect();
        assert_eq!(keys.len(), 200);
        let team = TeamFactory
            .has_via(MemberFactory.count(3), "team_id")
            .create_one()
            .await
            .unwrap();
        let linked = Member::query()
            .where_("team_id", team.key().unwrap().clone())
            .count()
            .await
            .unwrap();
        assert_eq!(linked, 3);
    })
    .await;
    assert_eq!(stored_ids(&db, "members").len(), 203);
}

#[tokio::test]
async fn key_ordered_walks_follow_the_time_ordered_keys() {
    let (orm, _db) = orm();
    orm.scope(async {
        let mut made = Vec::new();
        for i in 0..5 {
            made.push(
                Member::create(json!({"name": format!("m{i}")}))
                    .await
                    .unwrap(),
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let mut walked = Vec::new();
        Member::query()
            .chunk_by_id(2, |chunk| {
                walked.extend(chunk.iter().map(|m| m.get_as::<String>("name").unwrap()));
                async { Ok(true) }
            })
            .await
            .unwrap();
        assert_eq!(
            walked,
            ["m0", "m1", "m2", "m3", "m4"],
            "ULIDs sort by creation time"
        );
    })
    .await;
}

#[tokio::test]
async fn a_manual_key_is_required_and_a_misdeclared_key_column_is_refused_before_sql() {
    let (orm, _db) = orm();
    orm.scope(async {
        let before = orm.statements();
        let missing = Code::create(json!({"label": "x"})).await.unwrap_err();
        assert!(
            matches!(missing, OrmError::MissingPrimaryKey { key: "code", .. }),
            "{missing}"
        );
        let broken = Broken::create(json!({"label": "x"})).await.unwrap_err();
        assert!(matches!(broken, OrmError::InvalidModel { .. }), "{broken}");
        assert!(broken.to_string().contains("KEY_TYPE"), "{broken}");
        assert_eq!(orm.statements(), before, "nothing sent");
        let code = Code::create(json!({"code": "A1", "label": "x"}))
            .await
            .unwrap();
        assert_eq!(code.key(), Some(&json!("A1")));
    })
    .await;
}
