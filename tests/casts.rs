//! The date-time, date, Unix-timestamp, one-of and decimal casts on embedded SQLite:
//! values normalized before they are bound (writes and conditions alike), refused
//! before any SQL when the cast can't take them, and read back typed.
use chrono::{DateTime, TimeZone, Utc};
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::{json, Value};

const SCHEMA: &str = "
CREATE TABLE bookings (
    id INTEGER PRIMARY KEY, starts_at TEXT, day TEXT, paid_at INTEGER, status TEXT, price TEXT
);
";

struct Booking;
impl ModelDef for Booking {
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::datetime("starts_at").nullable(),
        Column::date("day").nullable(),
        Column::unix_timestamp("paid_at").nullable(),
        Column::one_of("status", &["open", "paid", "void"]).nullable(),
        Column::decimal("price", 2).nullable(),
    ];
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    (Orm::new(db.clone()), db)
}

fn stored(db: &SqliteExecutor) -> Vec<String> {
    db.with_connection(|c| {
        let mut s = c
            .prepare("SELECT quote(starts_at), quote(day), quote(paid_at), quote(status), quote(price) FROM bookings ORDER BY id")
            .unwrap();
        s.query_map([], |r| {
            Ok((0..5).map(|i| r.get::<_, String>(i).unwrap()).collect::<Vec<_>>().join(" "))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    })
}

#[tokio::test]
async fn values_are_normalized_before_they_are_bound_and_read_back_typed() {
    let (orm, db) = orm();
    orm.scope(async {
        let booking = Booking::create(json!({
            "starts_at": "2026-12-04T10:30:00+01:00",
            "day": "2026-12-04 23:00:00",
            "paid_at": "1970-01-02T00:00:00Z",
            "status": "paid",
            "price": 12.5,
        }))
        .await
        .unwrap();
        assert_eq!(
            booking.get("starts_at"),
            Some(&json!("2026-12-04T09:30:00.000Z"))
        );
        let starts: DateTime<Utc> = booking.get_as("starts_at").unwrap();
        assert_eq!(starts, Utc.with_ymd_and_hms(2026, 12, 4, 9, 30, 0).unwrap());
        assert_eq!(booking.get("price"), Some(&json!("12.50")));
        assert_eq!(booking.get("paid_at"), Some(&json!(86_400)));

        // Conditions bind through the same casts: another spelling finds the row.
        let found = Booking::where_("starts_at", "2026-12-04 09:30:00")
            .first()
            .await
            .unwrap();
        assert!(found.is_some());
        let found = Booking::where_("price", "12.5").first().await.unwrap();
        assert!(found.is_some());
    })
    .await;
    assert_eq!(
        stored(&db),
        ["'2026-12-04T09:30:00.000Z' '2026-12-04' 86400 'paid' '12.50'"]
    );
}

#[tokio::test]
async fn values_the_cast_cannot_take_fail_before_sql() {
    let (orm, db) = orm();
    orm.scope(async {
        let before = orm.statements();
        for bad in [
            json!({"starts_at": "yesterday"}),
            json!({"day": "2026-13-01"}),
            json!({"status": "refunded"}),
            json!({"price": "12,50"}),
            json!({"paid_at": true}),
        ] {
            let err = Booking::create(bad.clone()).await.unwrap_err();
            assert!(
                matches!(err, OrmError::InvalidAttributes(_)),
                "{bad}: {err:?}"
            );
        }
        let err = Booking::where_("status", "refunded")
            .all()
            .await
            .unwrap_err();
        assert!(matches!(err, OrmError::InvalidAttributes(_)), "{err:?}");
        assert_eq!(orm.statements(), before, "nothing sent");
        // NULL passes every cast.
        Booking::create(json!({"starts_at": Value::Null, "status": Value::Null}))
            .await
            .unwrap();
    })
    .await;
    assert_eq!(stored(&db).len(), 1);
}

/// A custom cast: e-mail addresses stored lower-case, anything but text refused.
struct Lowercase;
impl roost_orm::model::column::CastsAttributes for Lowercase {
    const NAME: &'static str = "lowercase";
    fn get(stored: Value) -> Value {
        stored
    }
    fn set(value: &Value) -> roost_orm::Result<roost_orm::SqlValue> {
        match value.as_str() {
            Some(s) => Ok(roost_orm::SqlValue::Text(s.to_lowercase())),
            None => Err(OrmError::InvalidAttributes(format!("{value} is not text"))),
        }
    }
}
const LOWERCASE: roost_orm::model::column::Conversion =
    roost_orm::model::column::Conversion::of::<Lowercase>();

struct Subscriber;
impl ModelDef for Subscriber {
    const TABLE: Option<&'static str> = Some("bookings");
    const TIMESTAMPS: bool = false;
    const COLUMNS: &'static [Column] = &[
        Column::integer("id"),
        Column::text("status").nullable().cast_with(&LOWERCASE),
    ];
}

#[tokio::test]
async fn a_custom_cast_converts_writes_and_conditions() {
    let (orm, db) = orm();
    orm.scope(async {
        let row = Subscriber::create(json!({"status": "OPEN"})).await.unwrap();
        assert_eq!(row.get("status"), Some(&json!("open")));
        assert!(Subscriber::where_("status", "Open")
            .first()
            .await
            .unwrap()
            .is_some());
        let before = orm.statements();
        let err = Subscriber::create(json!({"status": 5})).await.unwrap_err();
        assert!(matches!(err, OrmError::InvalidAttributes(_)), "{err:?}");
        assert_eq!(orm.statements(), before);
    })
    .await;
    let stored: String = db.with_connection(|c| {
        c.query_row("SELECT status FROM bookings", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(stored, "open");
}
