//! What a case must give, computed from its inputs alone: the oracles of the
//! fail-closed property beside the checker.

use std::collections::HashSet;

use roost_orm::prelude::*;
use roost_orm::relations::relation_map;
use serde_json::Value;

use super::checker::shorten;
use super::gen::{Case, Step, Target, Terminal, RAW_FRAGMENTS};
use super::models::{Author, Comment, Fixture, Post, Tag};

/// An operator, direction or relation the ORM accepts; anything else must be an error.
pub fn operator_ok(op: &str) -> bool {
    let op = op
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    ["=", "!=", "<>", ">", "<", ">=", "<=", "like", "not like"].contains(&op.as_str())
}

pub fn direction_ok(d: &str) -> bool {
    d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("desc")
}

pub fn plain(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `column` or `table.column`, each part plain.
pub fn identifier(s: &str) -> bool {
    match s.split_once('.') {
        Some((t, c)) => plain(t) && plain(c),
        None => plain(s),
    }
}

pub fn relation_target(model: &str, name: &str) -> Option<&'static str> {
    match model {
        "Post" => relation_map::<Post>().related_model(name),
        "Comment" => relation_map::<Comment>().related_model(name),
        "Author" => relation_map::<Author>().related_model(name),
        "Tag" => relation_map::<Tag>().related_model(name),
        _ => None,
    }
}

/// The model a relation path ends on, if every name on it is declared.
pub fn path_target(model: &'static str, path: &str) -> Option<&'static str> {
    path.split('.').try_fold(model, relation_target)
}

/// What a case must give, from its inputs alone.
#[derive(Default)]
pub struct Expect {
    /// Reasons the call must be an error (not `Database`) before any statement.
    pub early: Vec<String>,
    /// Reasons the call must be an error (of any kind).
    pub fail: Vec<String>,
    /// The model's table must be unchanged.
    pub keep_rows: bool,
}

impl Expect {
    fn early(&mut self, why: &str, what: &str) {
        self.early
            .push(format!("{why}: {}", shorten(&format!("{what:?}"))));
    }

    /// A name the call filters or orders by.
    fn filter_name(&mut self, fx: &Fixture, table: &str, name: &str, main: bool) {
        if !identifier(name) {
            self.early("identifier", name);
        } else if main {
            let (t, c) = name.split_once('.').unwrap_or((table, name));
            if !(t.eq_ignore_ascii_case(table) && fx.schema.has_column(table, c)) {
                self.fail.push(format!("unknown-column: {}", shorten(name)));
            }
        }
    }

    /// A key the call writes.
    fn write_key(&mut self, fx: &Fixture, table: &str, key: &str) {
        if !plain(key) {
            self.early("write-key", key);
        } else if !fx.schema.has_column(table, key) {
            self.fail
                .push(format!("unknown-write-key: {}", shorten(key)));
        }
    }

    /// A raw fragment: refused unless its text is one plain-placeholder fragment with
    /// exactly one bindable value per `?`.
    fn raw(&mut self, fragment: usize, values: &[Value]) {
        let (text, placeholders) = RAW_FRAGMENTS[fragment];
        if placeholders != Some(values.len()) {
            self.early("raw-fragment", text);
        } else if values
            .iter()
            .any(|v| v.as_u64().is_some_and(|n| n > i64::MAX as u64))
        {
            self.early("raw-value", text);
        }
    }

    fn steps(&mut self, fx: &Fixture, on: &On, steps: &[Step]) {
        for s in steps {
            match s {
                Step::Where(c, _)
                | Step::OrWhere(c, _)
                | Step::WhereNull(c)
                | Step::WhereNotNull(c) => self.filter_name(fx, on.table, c, on.main),
                Step::WhereIn(c, _) | Step::WhereNotIn(c, _) => {
                    self.filter_name(fx, on.table, c, on.main)
                }
                Step::WhereOp(c, op, _) | Step::OrWhereOp(c, op, _) => {
                    if !operator_ok(op) {
                        self.early("operator", op);
                    }
                    self.filter_name(fx, on.table, c, on.main);
                }
                Step::Group(_, inner) => self.steps(fx, on, inner),
                Step::WhereRaw(_, f, values) => self.raw(*f, values),
                Step::JoinAuthor(first, op, second) if on.main => {
                    if !operator_ok(op) {
                        self.early("operator", op);
                    }
                    for name in [first, second] {
                        // `authors` declares no columns: SQLite judges its names.
                        if !name.starts_with("authors.") || !identifier(name) {
                            self.filter_name(fx, on.table, name, true);
                        }
                    }
                }
                // `count` drops the order: its text never reaches SQL, and a value
                // that cannot be bound is then no error either.
                Step::OrderRaw(f, values) if !on.count => self.raw(*f, values),
                Step::OrderBy(c, d) => {
                    if !direction_ok(d) {
                        self.early("direction", d);
                    }
                    // `count` drops the order: its names never reach SQL.
                    self.filter_name(fx, on.table, c, on.main && !on.count);
                }
                Step::OnlyTrashed if !matches!(on.model, "Post" | "BadTenant") => {
                    self.early("only-trashed", on.model)
                }
                Step::With(names) if on.loads => {
                    for n in names.iter().filter(|n| path_target(on.model, n).is_none()) {
                        self.early("relation", n);
                    }
                }
                Step::WithConstraint(name, tag, inner) => {
                    let (model, table) = if *tag {
                        ("Tag", "tags")
                    } else {
                        ("Comment", "comments")
                    };
                    if on.loads && path_target(on.model, name) != Some(model) {
                        self.early("constraint", name);
                    }
                    let on = On {
                        model,
                        table,
                        main: false,
                        loads: false,
                        count: false,
                    };
                    self.steps(fx, &on, inner);
                }
                _ => {}
            }
        }
    }
}

/// The query a chain's steps are on, and what the call does with them.
pub struct On {
    pub model: &'static str,
    pub table: &'static str,
    /// The model's own chain, run (its names must resolve), not a constraint's.
    pub main: bool,
    /// The call eager-loads (relation names are checked).
    pub loads: bool,
    /// The call is `count` (the order is dropped).
    pub count: bool,
}

pub fn expect<M: ModelDef>(fx: &Fixture, case: &Case) -> Expect {
    use Terminal::*;
    let (model, table) = (M::model_name(), M::table_name());
    let mut e = Expect::default();
    if case.target == Target::BadTenant {
        e.early("bad-tenant", "org-id");
    }
    let t = &case.terminal;
    if t.uses_chain() {
        let on = On {
            model,
            table,
            main: !matches!(t, ToStatement),
            loads: t.loads(),
            count: matches!(t, Count),
        };
        e.steps(fx, &on, &case.steps);
        e.keep_rows = !e.fail.is_empty()
            && matches!(
                t,
                Update(_) | Delete | ForceDelete | Increment(..) | Decrement(..)
            );
    }
    let number = |v: &Value| v.is_number();
    match t {
        Find(id) | FindOrFail(id) if id.is_array() || id.is_object() => {
            e.early("find-id", &id.to_string())
        }
        Update(a) | Create(a) | MakeSave(a) | FillSave(a) | Insert(a) | InsertOrIgnore(a)
        | UnitCreate(a) | UnitFillSave(a) => a.iter().for_each(|(k, _)| e.write_key(fx, table, k)),
        Upsert(a) => {
            a.iter().for_each(|(k, _)| e.write_key(fx, table, k));
            if !a.iter().any(|(k, _)| k == "id") {
                e.early("upsert-without-unique-by", "id");
            }
        }
        UpdateOrInsert(a, b) => {
            a.iter()
                .for_each(|(k, _)| e.filter_name(fx, table, k, true));
            a.iter()
                .chain(b)
                .for_each(|(k, _)| e.write_key(fx, table, k));
        }
        SetSave(k, _) => e.write_key(fx, table, k),
        Increment(c, n) | Decrement(c, n) | InstanceIncrement(c, n) | InstanceDecrement(c, n) => {
            e.write_key(fx, table, c);
            if !number(n) {
                e.early("increment-amount", &n.to_string());
            }
            if M::TENANT_COLUMN == Some(c.as_str()) {
                e.early("increment-tenant", c);
            }
        }
        FirstOrNew(a, _) | FirstOrCreate(a, _) | UpdateOrCreate(a, _) => a
            .iter()
            .for_each(|(k, _)| e.filter_name(fx, table, k, true)),
        Load(names) | LoadMany(names) => {
            for n in names.iter().filter(|n| path_target(model, n).is_none()) {
                e.early("relation", n);
            }
        }
        Attach(_, a) => a
            .iter()
            .filter(|(k, _)| !plain(k))
            .for_each(|(k, _)| e.early("write-key", k)),
        UpdatePivot(_, a) => a.iter().for_each(|(k, _)| e.write_key(fx, "post_tag", k)),
        _ => {}
    }
    e
}

/// Every float the case gives, both signs: the only REAL parameters allowed.
pub fn floats(case: &Case) -> HashSet<u64> {
    fn walk(v: &Value, out: &mut HashSet<u64>) {
        match v {
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or_default();
                out.extend([f.to_bits(), (-f).to_bits()]);
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    visit_values(case, &mut |v| walk(v, &mut out));
    out
}

pub fn visit_values(case: &Case, f: &mut impl FnMut(&Value)) {
    fn steps(s: &[Step], f: &mut impl FnMut(&Value)) {
        for s in s {
            match s {
                Step::Where(_, v)
                | Step::WhereOp(_, _, v)
                | Step::OrWhere(_, v)
                | Step::OrWhereOp(_, _, v) => f(v),
                Step::WhereIn(_, l) | Step::WhereNotIn(_, l) => l.iter().for_each(&mut *f),
                Step::Group(_, i) | Step::WithConstraint(_, _, i) => steps(i, f),
                _ => {}
            }
        }
    }
    steps(&case.steps, f);
    use Terminal::*;
    match &case.terminal {
        Find(v)
        | FindOrFail(v)
        | Increment(_, v)
        | Decrement(_, v)
        | SetSave(_, v)
        | TypedLoad(_, v) => f(v),
        InstanceIncrement(_, v) | InstanceDecrement(_, v) => f(v),
        Update(a) | Create(a) | MakeSave(a) | FillSave(a) => a.iter().for_each(|(_, v)| f(v)),
        UnitCreate(a) | UnitFillSave(a) => a.iter().for_each(|(_, v)| f(v)),
        Insert(a) | InsertOrIgnore(a) | Upsert(a) => a.iter().for_each(|(_, v)| f(v)),
        FirstOrNew(a, b) | FirstOrCreate(a, b) | UpdateOrCreate(a, b) | UpdateOrInsert(a, b) => {
            a.iter().chain(b).for_each(|(_, v)| f(v))
        }
        Attach(ids, a) => {
            ids.iter().for_each(&mut *f);
            a.iter().for_each(|(_, v)| f(v));
        }
        Detach(ids) | Sync(ids) | Toggle(ids) => ids.iter().for_each(&mut *f),
        UpdatePivot(id, a) => {
            f(id);
            a.iter().for_each(|(_, v)| f(v));
        }
        _ => {}
    }
}
