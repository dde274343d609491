//! One of many (`latest_of_many`, `oldest_of_many`, `of_many`) on embedded SQLite: the
//! right row per parent, one query per level for any number of parents, the related
//! scopes applied before the pick, and mistakes before any SQL.
use roost_orm::prelude::*;
use roost_orm::tenant::TenantContextData;
use roost_orm::{MockExecutor, QueryResult, SqlValue, SqliteExecutor};
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE buyers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, buyer_id INTEGER NOT NULL, org_id TEXT NOT NULL,
    total INTEGER, status TEXT NOT NULL DEFAULT 'paid', deleted_at TEXT
);
INSERT INTO buyers (id, name) VALUES (1, 'ann'), (2, 'bob'), (3, 'cy'), (4, 'di');
-- ann: 1..4 (4 trashed; 3 of another tenant); bob: 5, 6 (6's total NULL); cy: 7 (NULL);
-- di: none. Totals tie at 50 for ann's 1 and 2.
INSERT INTO orders (id, buyer_id, org_id, total, status, deleted_at) VALUES
  (1, 1, 'a', 50, 'paid', NULL), (2, 1, 'a', 50, 'open', NULL), (3, 1, 'b', 99, 'paid', NULL),
  (4, 1, 'a', 80, 'paid', '2026-01-01'), (5, 2, 'a', 10, 'paid', NULL),
  (6, 2, 'a', NULL, 'open', NULL), (7, 3, 'a', NULL, 'paid', NULL);
";

struct Buyer;
impl Buyer {
    const LATEST: HasOneRelation<Order> = HasOneRelation::new("buyer_id", "id").latest_of_many();
    const OLDEST: HasOneRelation<Order> = HasOneRelation::new("buyer_id", "id").oldest_of_many();
    const BIGGEST: HasOneRelation<Order> =
        HasOneRelation::new("buyer_id", "id").of_many("total", "max");
    const SMALLEST: HasOneRelation<Order> =
        HasOneRelation::new("buyer_id", "id").of_many("total", "MIN");
}
impl ModelDef for Buyer {
    const TABLE: Option<&'static str> = Some("buyers");
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.add("latest_order", Buyer::LATEST)
            .add("oldest_order", Buyer::OLDEST)
            .add("biggest_order", Buyer::BIGGEST)
            .add("smallest_order", Buyer::SMALLEST)
            .has_many::<Order>("orders", "buyer_id", "id");
    }
}

struct Order;
impl ModelDef for Order {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::integer("buyer_id"),
        Column::text("org_id"),
        Column::integer("total").nullable(),
        Column::text("status"),
        Column::text("deleted_at").nullable(),
    ];
}

fn orm() -> Orm {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let orm = Orm::new(db);
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm
}

/// Each buyer's picked order id under `relation` (None when it has none).
fn picked(buyers: &[Instance<Buyer>], relation: &str) -> Vec<Option<i64>> {
    buyers
        .iter()
        .map(|b| {
            let order = b.related_one::<Order>(relation).unwrap();
            order.map(|o| o.get_as::<i64>("id").unwrap())
        })
        .collect()
}

#[tokio::test]
async fn eager_picks_one_row_per_parent_in_one_query_per_relation() {
    let orm = orm();
    orm.scope(async {
        let before = orm.round_trips();
        let names = [
            "latest_order",
            "oldest_order",
            "biggest_order",
            "smallest_order",
        ];
        let buyers = Buyer::with(names).order_by_asc("id").all().await.unwrap();
        assert_eq!(orm.round_trips() - before, 2, "the buyers, then one batch");
        // Order 3 is another tenant's and 4 is trashed: neither is ever picked.
        assert_eq!(
            picked(&buyers, "latest_order"),
            [Some(2), Some(6), Some(7), None]
        );
        assert_eq!(
            picked(&buyers, "oldest_order"),
            [Some(1), Some(5), Some(7), None]
        );
        // A tie on total goes to the larger key; NULL totals are never picked.
        assert_eq!(
            picked(&buyers, "biggest_order"),
            [Some(2), Some(5), None, None]
        );
        assert_eq!(
            picked(&buyers, "smallest_order"),
            [Some(2), Some(5), None, None]
        );
    })
    .await;
}

#[tokio::test]
async fn single_loads_and_constraints_pick_among_matching_rows() {
    let orm = orm();
    orm.scope(async {
        let ann = Buyer::find_or_fail(1).await.unwrap();
        let latest = Buyer::LATEST.load(&ann).await.unwrap().unwrap();
        assert_eq!(latest.get("id"), Some(&json!(2)));

        // The latest *paid* order: the constraint narrows the rows before the pick.
        let buyers = Buyer::with_constraint("latest_order", |q: QueryBuilder<Order>| {
            q.where_("status", "paid")
        })
        .order_by_asc("id")
        .all()
        .await
        .unwrap();
        assert_eq!(
            picked(&buyers, "latest_order"),
            [Some(1), Some(5), Some(7), None]
        );

        // with_trashed lets the trashed order 4 be ann's biggest.
        let buyers =
            Buyer::with_constraint("biggest_order", |q: QueryBuilder<Order>| q.with_trashed())
                .where_("id", 1)
                .all()
                .await
                .unwrap();
        assert_eq!(picked(&buyers, "biggest_order"), [Some(4)]);
    })
    .await;
}

#[tokio::test]
async fn many_parents_stay_one_query() {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    let mut seed = String::from("BEGIN;");
    for b in 10..1010 {
        seed.push_str(&format!(
            "INSERT INTO buyers (id, name) VALUES ({b}, 'b');
             INSERT INTO orders (buyer_id, org_id, total) VALUES ({b}, 'a', 1), ({b}, 'a', 2);"
        ));
    }
    seed.push_str("COMMIT;");
    db.execute_batch(&seed).unwrap();
    let orm = Orm::new(db);
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm.scope(async {
        let mut buyers = Buyer::where_op("id", ">=", 10).all().await.unwrap();
        let before = orm.statements();
        Buyer::BIGGEST.load_many(&mut buyers).await.unwrap();
        assert_eq!(orm.statements() - before, 1);
        let totals: Vec<i64> = buyers
            .iter()
            .map(|b| {
                let order = b.related_one::<Order>("biggest_order").unwrap().unwrap();
                order.get_as("total").unwrap()
            })
            .collect();
        assert_eq!(totals.len(), 1000);
        assert!(totals.iter().all(|&t| t == 2));
    })
    .await;
}

/// A bad aggregate, and a bad column.
struct BadAggregate;
impl ModelDef for BadAggregate {
    const TABLE: Option<&'static str> = Some("buyers");
    fn relations(r: &mut RelationMap<Self>) {
        r.add(
            "avg",
            HasOneRelation::<Order>::new("buyer_id", "id").of_many("total", "avg"),
        );
    }
}

#[tokio::test]
async fn mistakes_fail_before_sql() {
    let orm = orm();
    orm.scope(async {
        let before = orm.statements();
        let err = BadAggregate::all().await.unwrap_err();
        assert!(
            matches!(&err, OrmError::InvalidModel { reason, .. } if reason.contains("\"max\" or \"min\"")),
            "{err:?}"
        );
        let ann = Instance::<Buyer>::from_attributes(json!({"id": 1})).unwrap();
        let typo = HasOneRelation::<Order>::new("buyer_id", "id").of_many("totl", "max");
        let err = typo.load(&ann).await.unwrap_err();
        assert!(matches!(err, OrmError::UnknownColumn { .. }), "{err:?}");

        // A per-parent limit contradicts the pick.
        let err = Buyer::with_constraint("latest_order", |q: QueryBuilder<Order>| q.limit(2))
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{err:?}");

        // Existence and counts through the one would count every related row: refused.
        let err = Buyer::query().has("latest_order", ">=", 1).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{err:?}");
        let err = Buyer::query().with_count(["latest_order"]).all().await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidQuery(_)), "{err:?}");
        assert_eq!(orm.statements(), before, "nothing sent");

        // The has-many it picks from still counts.
        let counted = Buyer::query().with_count(["orders"]).find(1).await.unwrap().unwrap();
        assert_eq!(counted.get("orders_count"), Some(&json!(2)));
    })
    .await;
}

#[tokio::test]
async fn the_pick_is_an_order_and_a_per_parent_limit() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    mock.push(QueryResult::rows(["id"], [vec![json!(1)], vec![json!(2)]]));
    orm.scope(async {
        Buyer::with(["biggest_order"]).all().await.unwrap();
    })
    .await;
    let statements = mock.statements();
    assert_eq!(
        statements[1].sql,
        concat!(
            r#"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "orders"."buyer_id" "#,
            r#"ORDER BY "orders"."total" DESC, "orders"."id" DESC) AS "__roost_row" FROM "orders" "#,
            r#"WHERE "orders"."buyer_id" IN (SELECT value FROM json_each(?)) AND "orders"."total" IS NOT NULL "#,
            r#"AND "orders"."deleted_at" IS NULL) WHERE "__roost_row" > ? AND "__roost_row" <= ? ORDER BY "__roost_row""#
        )
    );
    assert_eq!(
        statements[1].params,
        [
            SqlValue::Text("[1,2]".into()),
            SqlValue::Integer(0),
            SqlValue::Integer(1)
        ]
    );
}
