//! Has-many-through and has-one-through on embedded SQLite: one query per level for any
//! number of parents, the related *and* intermediate models' scopes (tenant, soft
//! deletes) applied in loads, `where_has` and `with_count`, and mistakes before any SQL.
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, QueryResult, SqlValue, SqliteExecutor};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE countries (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE members (
    id INTEGER PRIMARY KEY, country_id INTEGER, org_id TEXT NOT NULL, deleted_at TEXT
);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL, org_id TEXT NOT NULL,
    title TEXT NOT NULL, deleted_at TEXT
);
CREATE TABLE mechanics (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE cars (id INTEGER PRIMARY KEY, mechanic_id INTEGER NOT NULL);
CREATE TABLE owners (id INTEGER PRIMARY KEY, car_id INTEGER NOT NULL, name TEXT NOT NULL);
INSERT INTO countries (id, name) VALUES (1, 'fr'), (2, 'de'), (3, 'it');
-- fr: members 1 (a), 2 (a, trashed), 3 (b); de: member 4 (a); it: none.
INSERT INTO members (id, country_id, org_id, deleted_at) VALUES
  (1, 1, 'a', NULL), (2, 1, 'a', '2026-01-01'), (3, 1, 'b', NULL), (4, 2, 'a', NULL);
-- 10, 11 by member 1 (11 trashed); 12 by trashed member 2; 13 by b's member 3 (but
-- stamped 'a'); 14 by member 4.
INSERT INTO stories (id, member_id, org_id, title, deleted_at) VALUES
  (10, 1, 'a', 'fr one', NULL), (11, 1, 'a', 'fr binned', '2026-01-01'),
  (12, 2, 'a', 'by the trashed', NULL), (13, 3, 'a', 'via b', NULL), (14, 4, 'a', 'de one', NULL);
INSERT INTO mechanics (id, name) VALUES (1, 'max'), (2, 'ida');
INSERT INTO cars (id, mechanic_id) VALUES (1, 1);
INSERT INTO owners (id, car_id, name) VALUES (1, 1, 'olga');
";

struct Country;
impl Country {
    const STORIES: HasManyThroughRelation<Story, Member> =
        HasManyThroughRelation::new("country_id", "member_id");
}
impl ModelDef for Country {
    const TABLE: Option<&'static str> = Some("countries");
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("stories", Country::STORIES);
    }
}

struct Member;
impl ModelDef for Member {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("country_id"),
        Column::text("org_id"),
        Column::text("deleted_at").nullable(),
    ];
}

struct Story;
impl ModelDef for Story {
    const TABLE: Option<&'static str> = Some("stories");
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
}

struct Mechanic;
impl ModelDef for Mechanic {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.has_one_through::<Owner, Car>("car_owner", "mechanic_id", "car_id");
    }
}
struct Car;
impl ModelDef for Car {
    const TIMESTAMPS: bool = false;
}
struct Owner;
impl ModelDef for Owner {
    const TIMESTAMPS: bool = false;
}

fn orm() -> Orm {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db);
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm
}

fn ids<M: ModelDef>(rows: &[&Instance<M>]) -> Vec<i64> {
    rows.iter().map(|r| r.get_as("id").unwrap()).collect()
}

#[tokio::test]
async fn eager_loads_through_in_one_query_with_both_models_scopes() {
    let orm = orm();
    orm.scope(async {
        let before = orm.round_trips();
        let countries = Country::with(["stories"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        assert_eq!(orm.round_trips() - before, 2);
        let stories: Vec<Vec<i64>> = countries
            .iter()
            .map(|c| ids(&c.related::<Story>("stories").unwrap()))
            .collect();
        // 11 is trashed, 12's member is trashed, 13's member is another tenant's.
        assert_eq!(stories, [vec![10], vec![14], vec![]]);
        // The carried key is not left on the records.
        let fr = countries[0].related::<Story>("stories").unwrap();
        assert_eq!(fr[0].attributes.len(), 5, "{:?}", fr[0].attributes);

        let fr = Country::find_or_fail(1).await.unwrap();
        assert_eq!(
            ids(&Country::STORIES
                .load(&fr)
                .await
                .unwrap()
                .iter()
                .collect::<Vec<_>>()),
            [10]
        );

        let mut all = Country::all().await.unwrap();
        let with_trashed =
            Country::with_constraint("stories", |q: QueryBuilder<Story>| q.with_trashed())
                .find(1)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(
            ids(&with_trashed.related::<Story>("stories").unwrap()),
            [10, 11]
        );
        let before = orm.statements();
        Country::STORIES.load_many(&mut all).await.unwrap();
        assert_eq!(orm.statements() - before, 1);
    })
    .await;
}

#[tokio::test]
async fn has_one_through_loads_one_record() {
    let orm = orm();
    orm.scope(async {
        let mechanics = Mechanic::with(["car_owner"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        let owner = mechanics[0]
            .related_one::<Owner>("car_owner")
            .unwrap()
            .unwrap();
        assert_eq!(owner.get("name"), Some(&json!("olga")));
        assert!(mechanics[1]
            .related_one::<Owner>("car_owner")
            .unwrap()
            .is_none());
        let typed = HasOneThroughRelation::<Owner, Car>::new("mechanic_id", "car_id");
        let one = typed.load(&mechanics[0]).await.unwrap();
        assert_eq!(one.map(|o| o.get_as::<i64>("id").unwrap()), Some(1));
    })
    .await;
}

#[tokio::test]
async fn where_has_and_counts_join_the_intermediate_with_its_scopes() {
    let orm = orm();
    orm.scope(async {
        let with_stories: Vec<i64> = Country::query()
            .has("stories", ">=", 1)
            .order_by_asc("id")
            .pluck("id")
            .await
            .unwrap();
        assert_eq!(with_stories, [1, 2]);
        let via_b: Vec<i64> = Country::query()
            .where_has("stories", |q: QueryBuilder<Story>| {
                q.where_("title", "via b")
            })
            .pluck("id")
            .await
            .unwrap();
        assert!(
            via_b.is_empty(),
            "a story reached through another tenant's member"
        );
        let counted = Country::query()
            .with_count(["stories"])
            .order_by_asc("id")
            .all()
            .await
            .unwrap();
        let counts: Vec<i64> = counted
            .iter()
            .map(|c| c.get_as("stories_count").unwrap())
            .collect();
        assert_eq!(counts, [1, 1, 0]);
    })
    .await;
}

/// A through relation naming a column the intermediate model doesn't declare.
struct BadThrough;
impl ModelDef for BadThrough {
    const TABLE: Option<&'static str> = Some("countries");
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many_through::<Story, Member>("stories", "land_id", "member_id");
    }
}

#[tokio::test]
async fn mistakes_fail_before_sql() {
    let orm = orm();
    orm.scope(async {
        let before = orm.statements();
        let err = BadThrough::all().await.unwrap_err();
        assert!(
            matches!(&err, OrmError::InvalidModel { reason, .. } if reason.contains("land_id")),
            "{err:?}"
        );
        let err = Country::with(["stories.nope"]).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidRelation { .. }), "{err:?}");
        let fr = Instance::<Country>::from_attributes(json!({"id": 1})).unwrap();
        let typo = HasManyThroughRelation::<Story, Member>::new("country_id", "member_id")
            .second_local_key("idd");
        let err = typo.load(&fr).await.unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");
        assert_eq!(orm.statements(), before, "nothing sent");
    })
    .await;
}

#[tokio::test]
async fn the_sql_joins_the_intermediate_and_scopes_it() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    mock.push(QueryResult::rows(["id"], [vec![json!(1)], vec![json!(2)]]));
    orm.scope(async {
        Country::with(["stories"]).all().await.unwrap();
        Country::query()
            .has("stories", ">=", 1)
            .all()
            .await
            .unwrap();
    })
    .await;
    let statements = mock.statements();
    assert_eq!(
        statements[1].sql,
        concat!(
            r#"SELECT "stories".*, "members"."country_id" AS "__pivot_country_id" FROM "stories" "#,
            r#"INNER JOIN "members" ON "members"."id" = "stories"."member_id" "#,
            r#"WHERE "members"."country_id" IN (SELECT value FROM json_each(?)) "#,
            r#"AND "stories"."org_id" = ? AND "stories"."deleted_at" IS NULL "#,
            r#"AND "members"."org_id" = ? AND "members"."deleted_at" IS NULL"#
        )
    );
    assert_eq!(
        statements[1].params,
        [SqlValue::Text("[1,2]".into()), "a".into(), "a".into()]
    );
    assert_eq!(
        statements[2].sql,
        concat!(
            r#"SELECT * FROM "countries" WHERE EXISTS (SELECT 1 FROM "stories" "#,
            r#"INNER JOIN "members" ON "members"."id" = "stories"."member_id" "#,
            r#"AND "members"."org_id" = ? AND "members"."deleted_at" IS NULL "#,
            r#"WHERE "members"."country_id" = "countries"."id" "#,
            r#"AND "stories"."org_id" = ? AND "stories"."deleted_at" IS NULL)"#
        )
    );
}
