//! Eloquent's full event set on embedded SQLite: the order of every operation's events,
//! pre-events aborting before anything is written, `retrieved` and `replicating`,
//! observers, and `without_events` / `save_quietly` / `delete_quietly`.
use std::sync::Mutex;

use roost_orm::model::Observer;
use roost_orm::prelude::*;
use roost_orm::SqliteExecutor;
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE logs (id INTEGER PRIMARY KEY, title TEXT, deleted_at TEXT);
CREATE TABLE audits (id INTEGER PRIMARY KEY, title TEXT, deleted_at TEXT);
";

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn seen() -> Vec<String> {
    std::mem::take(&mut *SEEN.lock().unwrap())
}

/// Every event recorded by a hook; soft deletes.
struct Log;
impl ModelDef for Log {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
}

fn record_all() {
    let events = [
        HookEvent::Saving,
        HookEvent::Saved,
        HookEvent::Creating,
        HookEvent::Created,
        HookEvent::Updating,
        HookEvent::Updated,
        HookEvent::Deleting,
        HookEvent::Deleted,
        HookEvent::Restoring,
        HookEvent::Restored,
        HookEvent::ForceDeleting,
        HookEvent::ForceDeleted,
        HookEvent::Retrieved,
        HookEvent::Replicating,
    ];
    for event in events {
        Log::on(event, move |log: &mut Instance<Log>| {
            SEEN.lock().unwrap().push(event.to_string());
            // A title of "stop-<event>" aborts that (pre-)event.
            log.get("title") != Some(&json!(format!("stop-{event}")))
        });
    }
}

fn orm() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    (Orm::new(db.clone()), db)
}

fn count(db: &SqliteExecutor, sql: &str) -> i64 {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get(0)).unwrap())
}

/// One test for the `Log` hooks: the registry is process-wide and `SEEN` is shared.
#[tokio::test]
async fn events_fire_in_laravels_order_and_pre_events_abort() {
    let (orm, db) = orm();
    record_all();
    orm.scope(async {
        let mut log = Log::create(json!({"title": "a"})).await.unwrap();
        assert_eq!(seen(), ["saving", "creating", "created", "saved"]);
        log.set("title", "b");
        log.save().await.unwrap();
        assert_eq!(seen(), ["saving", "updating", "updated", "saved"]);
        log.save().await.unwrap();
        assert_eq!(
            seen(),
            ["saving", "saved"],
            "a clean save: no update events"
        );
        log.delete().await.unwrap();
        assert_eq!(seen(), ["deleting", "deleted"]);
        log.restore().await.unwrap();
        assert_eq!(
            seen(),
            [
                "restoring",
                "saving",
                "updating",
                "updated",
                "saved",
                "restored"
            ]
        );
        let _all = Log::all().await.unwrap();
        assert_eq!(seen(), ["retrieved"]);
        Log::find(1).await.unwrap().unwrap();
        Log::query().paginate(1, 5).await.unwrap();
        assert_eq!(seen(), ["retrieved", "retrieved"]);
        let copy = log.replicate().await.unwrap();
        assert_eq!(seen(), ["replicating"]);
        assert!(!copy.exists());
        log.force_delete().await.unwrap();
        assert_eq!(
            seen(),
            ["force_deleting", "deleting", "deleted", "force_deleted"]
        );

        // Each pre-event aborts with HookAborted, nothing written.
        let err = Log::create(json!({"title": "stop-saving"}))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                OrmError::HookAborted {
                    event: HookEvent::Saving,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM logs"), 0);
        seen();
        let mut kept = Log::create(json!({"title": "stop-restoring"}))
            .await
            .unwrap();
        kept.delete().await.unwrap();
        let err = kept.restore().await.unwrap_err();
        assert!(
            matches!(
                err,
                OrmError::HookAborted {
                    event: HookEvent::Restoring,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM logs WHERE deleted_at IS NOT NULL"
            ),
            1
        );
        kept.set("title", "stop-force_deleting");
        kept.save_quietly().await.unwrap();
        seen();
        let err = kept.force_delete().await.unwrap_err();
        assert!(
            matches!(
                err,
                OrmError::HookAborted {
                    event: HookEvent::ForceDeleting,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM logs"), 1);

        // Quiet writes and without_events fire nothing, for this model only.
        seen();
        let mut quiet = Log::without_events(|| Log::create(json!({"title": "q"})))
            .await
            .unwrap();
        quiet.set("title", "q2");
        quiet.save_quietly().await.unwrap();
        quiet.delete_quietly().await.unwrap();
        assert!(seen().is_empty());
        Log::create(json!({"title": "loud"})).await.unwrap();
        assert_eq!(seen().len(), 4, "events are back after the quiet calls");
    })
    .await;
    Log::clear_hooks();
}

/// Observed by [`Auditor`].
struct Audit;
impl ModelDef for Audit {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
}

static AUDITED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

struct Auditor;
impl Observer<Audit> for Auditor {
    fn creating(&self, audit: &mut Instance<Audit>) -> bool {
        AUDITED.lock().unwrap().push("creating");
        audit.set("title", "stamped by the observer");
        true
    }
    fn deleting(&self, _audit: &mut Instance<Audit>) -> bool {
        AUDITED.lock().unwrap().push("deleting");
        false
    }
    fn retrieved(&self, _audit: &mut Instance<Audit>) {
        AUDITED.lock().unwrap().push("retrieved");
    }
}

#[tokio::test]
async fn an_observer_handles_several_events_and_may_abort() {
    let (orm, _db) = orm();
    Audit::observe(Auditor);
    orm.scope(async {
        let mut audit = Audit::create(json!({"title": "x"})).await.unwrap();
        assert_eq!(audit.get("title"), Some(&json!("stamped by the observer")));
        Audit::all().await.unwrap();
        let err = audit.delete().await.unwrap_err();
        assert!(
            matches!(
                err,
                OrmError::HookAborted {
                    event: HookEvent::Deleting,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            Audit::find(1).await.unwrap().is_some(),
            "the delete was aborted"
        );
    })
    .await;
    assert_eq!(
        *AUDITED.lock().unwrap(),
        ["creating", "deleting"],
        "retrieved is opt-in (Observer::EVENTS)"
    );
    Audit::clear_hooks();
}
