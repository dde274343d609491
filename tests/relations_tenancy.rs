//! Relation loads carry the related model's tenant scope (embedded SQLite).
use roost_orm::prelude::*;
use roost_orm::relations::BelongsToManyRelation;
use roost_orm::tenant::TenantContextData;
use roost_orm::SqliteExecutor;
use serde_json::json;

const SCHEMA: &str = "
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, project_id INTEGER NOT NULL, title TEXT NOT NULL);
CREATE TABLE labels (id INTEGER PRIMARY KEY, org_id TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE label_task (task_id INTEGER NOT NULL, label_id INTEGER NOT NULL, org_id TEXT);
INSERT INTO projects (id, name) VALUES (1, 'shared');
INSERT INTO tasks (id, org_id, project_id, title) VALUES (1, 'a', 1, 'a1'), (2, 'b', 1, 'b1'), (3, 'a', 1, 'a2');
INSERT INTO labels (id, org_id, name) VALUES (1, 'a', 'red'), (2, 'b', 'blue');
INSERT INTO label_task (task_id, label_id, org_id) VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 2, 'b');
";

/// Not tenant-scoped: shared by every org.
struct Project;
impl ModelDef for Project {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Task>("tasks", "project_id", "id");
    }
}

/// Tenant-scoped.
struct Task;
impl ModelDef for Task {
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
    fn relations(r: &mut RelationMap<Self>) {
        // The pivot also has an org_id column: the tenant condition must name its table.
        r.add("labels", BelongsToManyRelation::<Label>::conventional())
            .belongs_to::<Project>("project", "project_id", "id");
    }
}

/// Tenant-scoped.
struct Label;
impl ModelDef for Label {
    const TIMESTAMPS: bool = false;
    const TENANT_COLUMN: Option<&'static str> = Some("org_id");
}

fn orm() -> Orm {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(SCHEMA).unwrap();
    Orm::new(db)
}

fn names<M: ModelDef>(rows: &[&Instance<M>], key: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get_as::<String>(key).unwrap())
        .collect()
}

#[tokio::test]
async fn eager_and_single_loads_see_only_the_active_tenant() {
    let orm = orm();
    orm.tenant().set(TenantContextData::new("a", "org-a"));
    orm.scope(async {
        let project = Project::with(["tasks.labels", "tasks.project"])
            .find(1)
            .await
            .unwrap()
            .unwrap();
        let tasks = project.related::<Task>("tasks").unwrap();
        assert_eq!(names(&tasks, "title"), ["a1", "a2"]);
        let labels = tasks[0].related::<Label>("labels").unwrap();
        assert_eq!(names(&labels, "name"), ["red"]);
        assert!(tasks[1].related::<Label>("labels").unwrap().is_empty());
        // A shared (unscoped) model is found from a scoped one.
        let back = tasks[0].related_one::<Project>("project").unwrap().unwrap();
        assert_eq!(back.get("name"), Some(&json!("shared")));

        let typed = HasManyRelation::<Task>::new("project_id", "id")
            .load(&project)
            .await
            .unwrap();
        assert_eq!(typed.len(), 2);

        // Bypassing the related model widens the relation load too.
        let all = Task::without_tenant_scope(|| async {
            HasManyRelation::<Task>::new("project_id", "id")
                .load(&project)
                .await
        })
        .await
        .unwrap();
        assert_eq!(all.len(), 3);
    })
    .await;
}
