//! Every misconfiguration a model can have is `InvalidModel` on every query and write of
//! the model, before any SQL — none falls back to running unscoped or unchecked. The
//! README's table of misconfigurations lists the same cases.
use roost_orm::prelude::*;
use roost_orm::relations::BelongsToManyRelation;
use roost_orm::tenant::TenantContextData;
use roost_orm::MockExecutor;
use serde_json::json;

macro_rules! model {
    ($name:ident { $($body:tt)* }) => {
        struct $name;
        impl ModelDef for $name {
            const TIMESTAMPS: bool = false;
            $($body)*
        }
    };
}

model!(Good {
    const TABLE: Option<&'static str> = Some("goods");
});
model!(BadTable {
    const TABLE: Option<&'static str> = Some("bad table");
});
model!(QualifiedTable {
    const TABLE: Option<&'static str> = Some("main.goods");
});
model!(BadKey {
    const TABLE: Option<&'static str> = Some("goods");
    const PRIMARY_KEY: &'static str = "id; --";
});
model!(BadTenant {
    const TABLE: Option<&'static str> = Some("goods");
    const TENANT_COLUMN: Option<&'static str> = Some("org-id");
});
model!(TenantIsKey {
    const TABLE: Option<&'static str> = Some("goods");
    const TENANT_COLUMN: Option<&'static str> = Some("id");
});
model!(BadColumn {
    const TABLE: Option<&'static str> = Some("goods");
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("na me")];
});
model!(TwiceDeclared {
    const TABLE: Option<&'static str> = Some("goods");
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::text("name"), Column::json("name")];
});
model!(BadRelationKey {
    const TABLE: Option<&'static str> = Some("goods");
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<Good>("items", "good id", "id");
    }
});
model!(UnknownRelationKey {
    const TABLE: Option<&'static str> = Some("goods");
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<BadColumnFree>("items", "nope", "id");
    }
});
model!(BadColumnFree {
    const TABLE: Option<&'static str> = Some("items");
    const COLUMNS: &'static [Column] = &[Column::integer("id"), Column::integer("good_id")];
});
model!(BadPivot {
    const TABLE: Option<&'static str> = Some("goods");
    fn relations(r: &mut RelationMap<Self>) {
        r.add("tags", BelongsToManyRelation::<Good>::new("good tag", "good_id", "tag_id"));
    }
});
model!(Parent {
    const TABLE: Option<&'static str> = Some("goods");
    fn relations(r: &mut RelationMap<Self>) {
        r.has_many::<BadTenant>("children", "good_id", "id");
    }
});
#[allow(non_camel_case_types)]
struct Café;
impl ModelDef for Café {}

/// Run every kind of query and write of `M`: each must be `InvalidModel` naming `M`
/// and containing `needle`, with nothing sent.
async fn assert_invalid<M: ModelDef>(needle: &str) {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        orm.tenant().set(TenantContextData::new("a", "a"));
        let check = |r: Result<()>, what: &str| match r {
            Err(OrmError::InvalidModel { model, reason }) => {
                assert_eq!(model, M::model_name(), "{what}");
                assert!(reason.contains(needle), "{what}: {reason}");
            }
            other => panic!("{} {what}: {other:?}", M::model_name()),
        };
        check(M::all().await.map(drop), "all");
        check(M::find(1).await.map(drop), "find");
        check(M::query().first().await.map(drop), "first");
        check(M::query().count().await.map(drop), "count");
        check(M::query().paginate(1, 5).await.map(drop), "paginate");
        check(M::create(json!({"a": 1})).await.map(drop), "create");
        check(M::query().update(json!({"a": 1})).await.map(drop), "update");
        check(M::query().delete().await.map(drop), "delete");
        check(M::query().force_delete().await.map(drop), "force_delete");
        check(M::query().increment("a", 1).await.map(drop), "increment");
        check(
            M::first_or_create(json!({"a": 1}), json!({}))
                .await
                .map(drop),
            "first_or_create",
        );
        let mut made = M::make(json!({"a": 1})).unwrap();
        check(made.save().await.map(drop), "save");
    })
    .await;
    assert!(mock.statements().is_empty(), "{}", M::model_name());
}

#[tokio::test]
async fn every_misconfiguration_is_invalid_model_before_any_sql() {
    assert_invalid::<BadTable>("TABLE \"bad table\"").await;
    assert_invalid::<QualifiedTable>("TABLE \"main.goods\"").await;
    assert_invalid::<Café>("derived from the type name").await;
    assert_invalid::<BadKey>("PRIMARY_KEY").await;
    assert_invalid::<BadTenant>("TENANT_COLUMN \"org-id\"").await;
    assert_invalid::<TenantIsKey>("is the primary key").await;
    assert_invalid::<BadColumn>("COLUMNS entry \"na me\"").await;
    assert_invalid::<TwiceDeclared>("\"name\" twice").await;
    assert_invalid::<BadRelationKey>("relation [items]").await;
    assert_invalid::<UnknownRelationKey>("relation [items]").await;
    assert_invalid::<BadPivot>("relation [tags]").await;
}

#[tokio::test]
async fn a_relation_to_a_misconfigured_model_fails_before_any_query() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        orm.tenant().set(TenantContextData::new("a", "a"));
        let err = Parent::with(["children"]).all().await.unwrap_err();
        assert!(
            matches!(
                &err,
                OrmError::InvalidModel {
                    model: "BadTenant",
                    ..
                }
            ),
            "{err:?}"
        );
        let parent = Parent::make(json!({"id": 1})).unwrap();
        let mut parents = vec![parent];
        let err = roost_orm::relations::load(&mut parents, ["children"])
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            OrmError::InvalidModel {
                model: "BadTenant",
                ..
            }
        ));
    })
    .await;
    assert!(mock.statements().is_empty());
}

#[tokio::test]
async fn a_well_declared_model_next_to_them_still_works() {
    let mock = MockExecutor::new();
    let orm = Orm::new(mock.clone());
    orm.scope(async {
        assert!(BadTenant::all().await.is_err());
        Good::all().await.unwrap();
    })
    .await;
    assert_eq!(mock.statements().len(), 1);
}
