//! User global scopes: ANDed into every query of the model, outside the caller's group,
//! lifted per query by name; relation loads apply the related model's; errors before SQL.
use roost_orm::prelude::*;
use roost_orm::query::GlobalScopes;
use roost_orm::SqliteExecutor;
use serde_json::json;

struct Article;
impl ModelDef for Article {
    const TIMESTAMPS: bool = false;
    const SOFT_DELETES: bool = true;
    fn global_scopes(scopes: &mut GlobalScopes<Self>) {
        scopes
            .add("published", |q| q.where_("status", "published"))
            .add("visible", |q| q.where_op("rank", ">", 0));
    }
}

struct Writer;
impl ModelDef for Writer {
    const TIMESTAMPS: bool = false;
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Article>("articles", "writer_id", "id");
    }
}

struct Broken;
impl ModelDef for Broken {
    const TABLE: Option<&'static str> = Some("articles");
    const COLUMNS: &'static [Column] = &[Column::integer("id")];
    fn global_scopes(scopes: &mut GlobalScopes<Self>) {
        scopes.add("typo", |q| q.where_("statsu", "x"));
    }
}

fn setup() -> (Orm, SqliteExecutor) {
    let db = SqliteExecutor::memory().unwrap();
    db.execute_batch(
        "CREATE TABLE writers (id INTEGER PRIMARY KEY);
         CREATE TABLE articles (id INTEGER PRIMARY KEY, writer_id INTEGER, status TEXT,
           rank INTEGER, deleted_at TEXT);
         INSERT INTO writers (id) VALUES (1), (2);
         INSERT INTO articles (writer_id, status, rank, deleted_at) VALUES
           (1, 'published', 1, NULL), (1, 'draft', 1, NULL), (1, 'published', 0, NULL),
           (2, 'published', 5, NULL), (2, 'published', 5, '2020-01-01');",
    )
    .unwrap();
    (Orm::new(db.clone()), db)
}

fn ids(rows: &[Instance<Article>]) -> Vec<i64> {
    rows.iter()
        .map(|r| r.get_as::<i64>("id").unwrap())
        .collect()
}

#[tokio::test]
async fn global_scopes_apply_everywhere_and_lift_by_name() {
    let (orm, db) = setup();
    orm.scope(async {
        assert_eq!(ids(&Article::all().await.unwrap()), [1, 4]);
        let local = |q: QueryBuilder<Article>| q.where_("writer_id", 2);
        assert_eq!(
            ids(&Article::query().scope(local).all().await.unwrap()),
            [4]
        );
        // The caller's OR can't widen it: the scopes are ANDed outside the group.
        let or = Article::where_("id", 2)
            .or_where("id", 3)
            .all()
            .await
            .unwrap();
        assert!(or.is_empty());
        assert_eq!(
            ids(&Article::query()
                .without_global_scope("visible")
                .all()
                .await
                .unwrap()),
            [1, 3, 4]
        );
        assert_eq!(
            ids(&Article::query()
                .without_global_scopes()
                .all()
                .await
                .unwrap()),
            [1, 2, 3, 4]
        );
        // Soft deletes are not a global scope: lifted only by with_trashed.
        assert_eq!(
            ids(&Article::query()
                .without_global_scopes()
                .with_trashed()
                .all()
                .await
                .unwrap()),
            [1, 2, 3, 4, 5]
        );
        assert!(
            Article::find(2).await.unwrap().is_none(),
            "find applies them"
        );
        #[derive(serde::Deserialize)]
        struct Id {
            id: i64,
        }
        assert!(
            Article::find_as::<Id>(2).await.unwrap().is_none(),
            "find_as applies them"
        );
        let visible = Article::find_as::<Id>(1).await.unwrap();
        assert_eq!(visible.map(|a| a.id), Some(1));
        assert!(Article::query()
            .without_global_scopes()
            .find(2)
            .await
            .unwrap()
            .is_some());
        assert_eq!(Article::query().count().await.unwrap(), 2);
        assert_eq!(Article::query().paginate(1, 10).await.unwrap().total, 2);
        assert_eq!(Article::query().sum::<i64>("rank").await.unwrap(), Some(6));
        // Mass writes touch only rows in scope.
        assert_eq!(
            Article::query().update(json!({"rank": 9})).await.unwrap(),
            2
        );
        // Relation loads apply the related model's scopes; constraints may lift them.
        let writers = Writer::with(["articles"]).all().await.unwrap();
        let articles: Vec<i64> = writers[0]
            .related::<Article>("articles")
            .unwrap()
            .iter()
            .map(|a| a.get_as::<i64>("id").unwrap())
            .collect();
        assert_eq!(articles, [1]);
        let writers = Writer::query()
            .with_constraint("articles", |q: QueryBuilder<Article>| {
                q.without_global_scope("published")
            })
            .all()
            .await
            .unwrap();
        assert_eq!(writers[0].related::<Article>("articles").unwrap().len(), 2);
        // A record loaded without the scopes saves by key, as in Laravel.
        let mut draft = Article::query()
            .without_global_scopes()
            .find_or_fail(2)
            .await
            .unwrap();
        draft.set("rank", 7);
        draft.save().await.unwrap();
        // Errors before SQL: an unknown scope name, a bad column inside a scope.
        let sent = orm.statements();
        assert!(matches!(
            Article::query()
                .without_global_scope("publshed")
                .all()
                .await,
            Err(OrmError::InvalidQuery(_))
        ));
        assert!(matches!(
            Broken::all().await,
            Err(OrmError::UnknownColumn { .. })
        ));
        // A key lookup of a model whose global scope is broken is that error, never a
        // lookup without the scope.
        assert!(matches!(
            Broken::find(1).await,
            Err(OrmError::UnknownColumn { .. })
        ));
        assert!(matches!(
            Broken::find_as::<Id>(1).await,
            Err(OrmError::UnknownColumn { .. })
        ));
        // A key that can't be a primary key value, with global scopes in force.
        for id in [json!([1]), json!({"id": 1})] {
            assert!(matches!(
                Article::find(id.clone()).await,
                Err(OrmError::InvalidKey { .. })
            ));
            assert!(matches!(
                Article::find_as::<Id>(id).await,
                Err(OrmError::InvalidKey { .. })
            ));
        }
        assert_eq!(orm.statements(), sent);
    })
    .await;
    let ranks: Vec<i64> = db.with_connection(|c| {
        let mut s = c.prepare("SELECT rank FROM articles ORDER BY id").unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(ranks, [9, 7, 0, 9, 5]);
}

#[tokio::test]
async fn the_sql_puts_global_scopes_beside_the_built_in_ones() {
    let (orm, _db) = setup();
    let statement = orm
        .scope(async { Article::where_("id", 1).or_where("id", 2).to_statement() })
        .await
        .unwrap();
    assert_eq!(
        statement.sql,
        "SELECT * FROM \"articles\" WHERE (\"articles\".\"id\" = ? OR \"articles\".\"id\" = ?) \
         AND \"articles\".\"deleted_at\" IS NULL AND (\"articles\".\"status\" = ?) \
         AND (\"articles\".\"rank\" > ?)"
    );
}
