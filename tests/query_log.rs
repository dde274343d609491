//! Every statement emits a `tracing` event with its SQL, parameter count, rows and
//! duration (Laravel's query log).
mod common;

use std::sync::{Arc, Mutex};

use common::{orm, User};
use roost_orm::prelude::*;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

type Event = Vec<(String, String)>;

#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<Event>>>);

struct Fields(Vec<(String, String)>);
impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "roost_orm::query" {
            let mut fields = Fields(Vec::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

#[test]
fn each_statement_is_logged() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let (orm, _db) = orm();
    tracing::subscriber::with_default(subscriber, || {
        futures::executor::block_on(orm.scope(async {
            User::create(json!({"name": "a", "email": "a@x"}))
                .await
                .unwrap();
            User::where_("name", "a").all().await.unwrap();
            let _ = User::create(json!({"name": "b", "email": "a@x"})).await; // UNIQUE fails
        }));
    });
    let events = captured.0.lock().unwrap();
    assert_eq!(events.len(), 3);
    let get = |i: usize, k: &str| -> String {
        events[i]
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(get(0, "sql").starts_with("INSERT INTO \"users\""));
    assert_eq!(get(0, "params"), "4");
    assert_eq!(get(0, "rows"), "1");
    assert_eq!(
        get(1, "sql"),
        "SELECT * FROM \"users\" WHERE \"users\".\"name\" = ?"
    );
    assert_eq!(get(1, "params"), "1");
    assert!(!get(1, "duration_us").is_empty());
    assert!(get(2, "error").contains("UNIQUE"), "{:?}", events[2]);
}
