//! The child side of polymorphic relations (Laravel `morphTo`): [`MorphToRelation`] —
//! a comment's commentable, a post or a video — and [`MorphTarget`], one model it may
//! point at.
//!
//! The targets are declared with the relation, each under its model's
//! [`ModelDef::MORPH_NAME`]: that list is the morph map, so a stored type is a stable
//! name (`"post"`), never a Rust path, and a stored type no target is named is an error,
//! never a silently missing relation (Laravel's `enforceMorphMap`). Loading sends one
//! query per target type that occurs among the children — all in the level's one
//! batch — each with that model's scopes (tenant, soft deletes, global scopes), so a
//! comment never reaches another tenant's post. Read the result typed:
//! `comment.related_one::<Post>("commentable")` (a video there is
//! [`OrmError::RelationMismatch`](crate::OrmError::RelationMismatch)).
//!
//! Not supported, and refused before any SQL: loads nested below a morph-to, load
//! constraints on it, and `where_has` / `with_count` through it.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::error::{OrmError, Result};
use crate::executor::{QueryResult, Statement};
use crate::model::{check_column, table_of, Instance, ModelDef};
use crate::orm::Orm;
use crate::query::ast::{Boolean, Condition, Ident, Select, Where};
use crate::query::compiler;
use crate::query::scopes::{model_scopes, Trashed};
use crate::relations::constraint::Constraint;
use crate::relations::eager::Branch;
use crate::relations::existence::Test;
use crate::relations::fetched::{dict_key, key_condition};
use crate::relations::loaded::{AnyInstance, Loaded};
use crate::relations::map::{relation_map, Eager, EagerTree};
use crate::relations::touches::TouchOwner;

/// Rows of one target model, each with the dictionary key of its primary key.
type Hydrated = Vec<(Option<String>, Box<dyn AnyInstance>)>;

/// One model a [`MorphToRelation`] may point at: `MorphTarget::of::<Post>()`.
#[derive(Clone, Copy)]
pub struct MorphTarget {
    morph_name: Option<&'static str>,
    model_name: fn() -> &'static str,
    check: fn() -> Result<()>,
    query: fn(&Orm, Vec<Value>) -> Result<Statement>,
    hydrate: fn(QueryResult) -> Hydrated,
}

impl fmt::Debug for MorphTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MorphTarget")
            .field("morph_name", &self.morph_name)
            .field("model", &(self.model_name)())
            .finish()
    }
}

impl PartialEq for MorphTarget {
    fn eq(&self, other: &Self) -> bool {
        self.morph_name == other.morph_name && (self.model_name)() == (other.model_name)()
    }
}

impl MorphTarget {
    /// Model `M`, stored under its [`ModelDef::MORPH_NAME`].
    pub const fn of<M: ModelDef>() -> Self {
        MorphTarget {
            morph_name: M::MORPH_NAME,
            model_name: M::model_name,
            check: crate::model::check_model::<M>,
            query: target_query::<M>,
            hydrate: target_rows::<M>,
        }
    }
}

/// `SELECT * FROM m WHERE m.key IN (keys) AND <m's scopes>`.
fn target_query<M: ModelDef>(orm: &Orm, keys: Vec<Value>) -> Result<Statement> {
    let table = table_of::<M>();
    let key = check_column::<M>(&format!("{table}.{}", M::PRIMARY_KEY))?;
    let mut select = Select::new(Ident::parse_static(table)?);
    select.filter.push(Where {
        boolean: Boolean::And,
        condition: key_condition::<M>(key.clone(), &key, keys)?,
    });
    select.scopes = model_scopes::<M>(orm, Trashed::Exclude)?;
    select.scopes.extend(Constraint::global_scopes::<M>(None)?);
    Ok(compiler::select(&select))
}

fn target_rows<M: ModelDef>(result: QueryResult) -> Hydrated {
    Instance::<M>::hydrate_all(result)
        .into_iter()
        .map(|row| {
            let key = row.get(M::PRIMARY_KEY).and_then(dict_key);
            (key, Box::new(row) as Box<dyn AnyInstance>)
        })
        .collect()
}

/// A polymorphic belongs-to (Laravel `morphTo`): the child's `type_column` names one of
/// `targets` by its morph name, its `id_column` holds that model's key.
///
/// ```no_run
/// # use roost_orm::prelude::*;
/// use roost_orm::relations::{MorphTarget, MorphToRelation};
/// struct Post;
/// impl ModelDef for Post { const MORPH_NAME: Option<&'static str> = Some("post"); }
/// struct Video;
/// impl ModelDef for Video { const MORPH_NAME: Option<&'static str> = Some("video"); }
/// struct Comment;
/// impl Comment {
///     pub const COMMENTABLE: MorphToRelation = MorphToRelation::new(
///         "commentable_type",
///         "commentable_id",
///         &[MorphTarget::of::<Post>(), MorphTarget::of::<Video>()],
///     );
/// }
/// impl ModelDef for Comment {
///     fn relations(r: &mut RelationMap<Self>) {
///         r.morph_to("commentable", Comment::COMMENTABLE);
///     }
/// }
/// # async fn f() -> roost_orm::Result<()> {
/// // One query for the comments, then one per type among them, in one batch.
/// let comments = Comment::with(["commentable"]).all().await?;
/// let post: Option<&Instance<Post>> = comments[0].related_one::<Post>("commentable")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorphToRelation {
    type_column: &'static str,
    id_column: &'static str,
    targets: &'static [MorphTarget],
}

impl MorphToRelation {
    /// The child's columns and the models they may name.
    pub const fn new(
        type_column: &'static str,
        id_column: &'static str,
        targets: &'static [MorphTarget],
    ) -> Self {
        MorphToRelation {
            type_column,
            id_column,
            targets,
        }
    }

    /// Check the columns on the child model `P` and the targets: each with a morph
    /// name, no name twice.
    fn check_on<P: ModelDef>(&self) -> Result<()> {
        check_column::<P>(self.type_column)?;
        check_column::<P>(self.id_column)?;
        let invalid = |reason: String| OrmError::InvalidModel {
            model: P::model_name(),
            reason,
        };
        if self.targets.is_empty() {
            return Err(invalid(format!(
                "the morph-to on {:?} names no target models",
                self.type_column
            )));
        }
        for (i, target) in self.targets.iter().enumerate() {
            let name = match target.morph_name {
                Some(name) if !name.is_empty() => name,
                _ => {
                    return Err(invalid(format!(
                        "morph target [{}] has no MORPH_NAME",
                        (target.model_name)()
                    )))
                }
            };
            if self.targets[..i].iter().any(|t| t.morph_name == Some(name)) {
                return Err(invalid(format!(
                    "two morph targets are named {name:?} on {:?}",
                    self.type_column
                )));
            }
        }
        Ok(())
    }

    /// Load the relation onto every child: one query per target type among them, in one
    /// round trip; under the name the child model declares it with (else `name`).
    pub async fn load_many_as<P: ModelDef>(
        &self,
        children: &mut [Instance<P>],
        name: &str,
    ) -> Result<()> {
        let orm = Orm::current_for::<P>()?;
        Eager::<P>::check(self, name, &EagerTree::default())?;
        let mut statements = Vec::new();
        let branch = self.plan(&orm, name, children, &mut statements)?;
        let results = match statements.as_slice() {
            [] => Vec::new(),
            [one] => vec![orm.run(one).await?],
            many => orm.batch(many).await?,
        };
        let mut branch: Box<dyn Branch<P>> = Box::new(branch);
        branch.accept(0, &mut results.into_iter())?;
        branch.attach(children);
        Ok(())
    }

    /// [`load_many_as`](Self::load_many_as) under the declared name.
    pub async fn load_many<P: ModelDef>(&self, children: &mut [Instance<P>]) -> Result<()> {
        let name = relation_map::<P>()
            .name_of_any(self)
            .map(str::to_string)
            .ok_or_else(|| OrmError::InvalidRelation {
                model: P::model_name(),
                relation: self.type_column.to_string(),
            })?;
        self.load_many_as(children, &name).await
    }

    /// The children's keys per target, the statements for them, and the branch that
    /// reads their results back.
    fn plan<P: ModelDef>(
        &self,
        orm: &Orm,
        name: &str,
        children: &[Instance<P>],
        out: &mut Vec<Statement>,
    ) -> Result<MorphBranch> {
        let mut keys: Vec<Vec<Value>> = vec![Vec::new(); self.targets.len()];
        let mut seen: Vec<std::collections::HashSet<String>> =
            vec![Default::default(); self.targets.len()];
        let mut points = Vec::with_capacity(children.len());
        for child in children {
            let kind = child.get(self.type_column).filter(|v| !v.is_null());
            let id = child.get(self.id_column).filter(|v| !v.is_null());
            let (Some(kind), Some(id)) = (kind, id) else {
                points.push(None);
                continue;
            };
            let target = self
                .targets
                .iter()
                .position(|t| Some(kind) == t.morph_name.map(Value::from).as_ref())
                .ok_or_else(|| {
                    OrmError::InvalidQuery(format!(
                        "[{}] {} holds {kind}, which names no target of its morph-to \
                         [{name}] (declare it with MorphTarget::of)",
                        P::model_name(),
                        self.type_column
                    ))
                })?;
            let key = dict_key(id);
            if let Some(k) = &key {
                if seen[target].insert(k.clone()) {
                    keys[target].push(id.clone());
                }
            }
            points.push(key.map(|k| (target, k)));
        }
        let mut sent = Vec::new();
        for (i, keys) in keys.into_iter().enumerate() {
            if !keys.is_empty() {
                out.push((self.targets[i].query)(orm, keys)?);
                sent.push(i);
            }
        }
        Ok(MorphBranch {
            name: name.to_string(),
            targets: self.targets,
            sent,
            points,
            found: HashMap::new(),
        })
    }
}

/// A morph-to under one set of children: which target and key each points at, the
/// targets queried, and the rows found.
struct MorphBranch {
    name: String,
    targets: &'static [MorphTarget],
    /// The targets queried, in statement order.
    sent: Vec<usize>,
    points: Vec<Option<(usize, String)>>,
    found: HashMap<(usize, String), Box<dyn AnyInstance>>,
}

impl<P: ModelDef> Branch<P> for MorphBranch {
    fn accept(
        &mut self,
        depth: usize,
        results: &mut dyn Iterator<Item = QueryResult>,
    ) -> Result<()> {
        if depth > 0 {
            return Ok(());
        }
        for &target in &self.sent {
            let result = results.next().ok_or_else(|| {
                OrmError::database("a morph-to load got fewer results than it sent", "")
            })?;
            for (key, row) in (self.targets[target].hydrate)(result) {
                if let Some(key) = key {
                    self.found.insert((target, key), row);
                }
            }
        }
        Ok(())
    }

    fn spawn(&mut self, _orm: &Orm, _depth: usize, _out: &mut Vec<Statement>) -> Result<bool> {
        Ok(false)
    }

    fn attach(self: Box<Self>, parents: &mut [Instance<P>]) {
        for (parent, point) in parents.iter_mut().zip(&self.points) {
            let row = point.as_ref().and_then(|p| self.found.get(p)).cloned();
            parent.relations.insert(&*self.name, Loaded::One(row));
        }
    }
}

impl<P: ModelDef> Eager<P> for MorphToRelation {
    fn related_model(&self) -> &'static str {
        "MorphTo"
    }

    fn check_keys(&self) -> Result<()> {
        self.check_on::<P>()
    }

    fn check(&self, name: &str, nested: &EagerTree) -> Result<()> {
        self.check_on::<P>()?;
        for target in self.targets {
            (target.check)()?;
        }
        let refuse = |reason: &str| {
            Err(OrmError::InvalidConstraint {
                relation: name.to_string(),
                reason: reason.to_string(),
            })
        };
        if nested.constraint.is_some() {
            return refuse("a morph-to load takes no constraint");
        }
        if !nested.children.is_empty() {
            return refuse("loads nested below a morph-to are not supported");
        }
        Ok(())
    }

    fn branch(
        &self,
        orm: &Orm,
        name: &str,
        parents: &[Instance<P>],
        _nested: &EagerTree,
        out: &mut Vec<Statement>,
    ) -> Result<Box<dyn Branch<P>>> {
        Ok(Box::new(self.plan(orm, name, parents, out)?))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn touch_owner(&self) -> Option<TouchOwner> {
        None
    }

    fn condition(
        &self,
        _orm: &Orm,
        path: &str,
        _parent: &'static str,
        _rest: &[&str],
        _test: &Test,
    ) -> Result<Condition> {
        Err(OrmError::InvalidQuery(format!(
            "where_has / has / with_count through the morph-to in {path:?} is not supported"
        )))
    }
}
