//! The hostile inputs of the fail-closed property: what a case is ([`Case`], [`Step`],
//! [`Terminal`]) and the proptest strategies that make one.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

pub type Attrs = Vec<(String, Value)>;

/// The model a case runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Declared COLUMNS with casts.
    Gadget,
    /// No COLUMNS.
    Note,
    /// Tenant-scoped, soft-deleting, with relations.
    Post,
    /// `posts` with the invalid tenant column `org-id`.
    BadTenant,
}

/// A chain method with its caller text.
#[derive(Debug, Clone)]
pub enum Step {
    Where(String, Value),
    WhereOp(String, String, Value),
    OrWhere(String, Value),
    OrWhereOp(String, String, Value),
    WhereIn(String, Vec<Value>),
    WhereNotIn(String, Vec<Value>),
    WhereNull(String),
    WhereNotNull(String),
    /// `where_group` (false) / `or_where_group` (true).
    Group(bool, Vec<Step>),
    OrderBy(String, String),
    Limit(u64),
    Offset(u64),
    WithTrashed,
    OnlyTrashed,
    With(Vec<String>),
    /// `with_constraint(name, ..)` on a `Tag` (true) or `Comment` (false) query.
    WithConstraint(String, bool, Vec<Step>),
    /// `where_raw` (false) / `or_where_raw` (true): a fragment of [`RAW_FRAGMENTS`]
    /// with generated bindings.
    WhereRaw(bool, usize, Vec<Value>),
    /// `order_by_raw` of a fragment of [`RAW_FRAGMENTS`].
    OrderRaw(usize, Vec<Value>),
    /// `join::<Author>(first, op, second)`.
    JoinAuthor(String, String, String),
}

/// Raw fragments and the number of `?` each has, or `None` when the ORM must refuse
/// the text whatever the bindings (it would reach outside its clause or is not one
/// plain-placeholder fragment). The accepted ones use only what the checker allows
/// (quoted names, its keywords); quotes and comments inside accepted text are
/// `src/query/raw.rs`'s unit tests.
pub const RAW_FRAGMENTS: &[(&str, Option<usize>)] = &[
    ("1 = 1", Some(0)),
    ("\"id\" > ?", Some(1)),
    ("\"id\" IN (?, ?)", Some(2)),
    ("(\"id\" IS NULL) OR NOT (\"id\" BETWEEN ? AND ?)", Some(2)),
    ("1=1) OR (1=1", None),
    ("(1=1", None),
    ("1 = 1 -- and the scopes", None),
    ("1; DELETE FROM canary", None),
    ("id = ?1", None),
    ("id = :id", None),
    ("id = @id", None),
    ("id = $1", None),
    ("'unclosed", None),
    ("/* open", None),
    ("\"id", None),
    ("   ", None),
];

/// The call under test.
#[derive(Debug, Clone)]
pub enum Terminal {
    All,
    First,
    FirstOrFail,
    Count,
    Paginate(u64, u64),
    Find(Value),
    FindOrFail(Value),
    ToStatement,
    Update(Attrs),
    Delete,
    ForceDelete,
    Increment(String, Value),
    Decrement(String, Value),
    Create(Attrs),
    MakeSave(Attrs),
    SetSave(String, Value),
    FillSave(Attrs),
    /// A unit of work: `create::<M>(attrs)`, then `commit`.
    UnitCreate(Attrs),
    /// A unit of work: the stored record `fill(attrs)`, `save` queued, then `commit`.
    UnitFillSave(Attrs),
    FirstOrNew(Attrs, Attrs),
    FirstOrCreate(Attrs, Attrs),
    UpdateOrCreate(Attrs, Attrs),
    /// `M::insert([attrs])`.
    Insert(Attrs),
    /// `M::insert_or_ignore([attrs])`.
    InsertOrIgnore(Attrs),
    /// `M::upsert([attrs], &["id"], None)`.
    Upsert(Attrs),
    /// `M::update_or_insert(attributes, values)`.
    UpdateOrInsert(Attrs, Attrs),
    InstanceIncrement(String, Value),
    InstanceDecrement(String, Value),
    /// `instance.load(names)`.
    Load(Vec<String>),
    /// `roost_orm::relations::load(&mut rows, names)`.
    LoadMany(Vec<String>),
    /// Post only: a typed relation's `load` / `load_many` (0 author, 1 comments, 2 tags)
    /// with the key attribute set to a hostile value.
    TypedLoad(u8, Value),
    /// Post only: pivot writes of `Post::TAGS`.
    Attach(Vec<Value>, Attrs),
    Detach(Vec<Value>),
    Sync(Vec<Value>),
    Toggle(Vec<Value>),
    UpdatePivot(Value, Attrs),
}

impl Terminal {
    /// Whether the call runs on the query chain (else the steps are not used).
    pub fn uses_chain(&self) -> bool {
        use Terminal::*;
        matches!(
            self,
            All | First
                | FirstOrFail
                | Count
                | Paginate(..)
                | Find(_)
                | FindOrFail(_)
                | ToStatement
                | Update(_)
                | Delete
                | ForceDelete
                | Increment(..)
                | Decrement(..)
        )
    }

    /// Whether the call eager-loads the chain's `with` names.
    pub fn loads(&self) -> bool {
        use Terminal::*;
        matches!(
            self,
            All | First | FirstOrFail | Paginate(..) | Find(_) | FindOrFail(_)
        )
    }

    fn post_only(&self) -> bool {
        use Terminal::*;
        matches!(
            self,
            TypedLoad(..) | Attach(..) | Detach(_) | Sync(_) | Toggle(_) | UpdatePivot(..)
        )
    }

    /// Caller inputs in the call (names, keys, values, relation names).
    pub fn inputs(&self) -> usize {
        use Terminal::*;
        match self {
            Find(_) | FindOrFail(_) | TypedLoad(..) => 1,
            Paginate(..) | Increment(..) | Decrement(..) | SetSave(..) => 2,
            InstanceIncrement(..) | InstanceDecrement(..) => 2,
            Update(a) | Create(a) | MakeSave(a) | FillSave(a) => 2 * a.len(),
            UnitCreate(a) | UnitFillSave(a) => 2 * a.len(),
            Insert(a) | InsertOrIgnore(a) | Upsert(a) => 2 * a.len(),
            FirstOrNew(a, b)
            | FirstOrCreate(a, b)
            | UpdateOrCreate(a, b)
            | UpdateOrInsert(a, b) => 2 * (a.len() + b.len()),
            Load(n) | LoadMany(n) => n.len(),
            Attach(ids, a) => ids.len() + 2 * a.len(),
            Detach(ids) | Sync(ids) | Toggle(ids) => ids.len(),
            UpdatePivot(_, a) => 1 + 2 * a.len(),
            All | First | FirstOrFail | Count | ToStatement | Delete | ForceDelete => 0,
        }
    }
}

impl Step {
    pub fn inputs(&self) -> usize {
        use Step::*;
        match self {
            Where(..) | OrWhere(..) | OrderBy(..) => 2,
            WhereOp(..) | OrWhereOp(..) => 3,
            WhereIn(_, v) | WhereNotIn(_, v) => 1 + v.len(),
            WhereNull(_) | WhereNotNull(_) | Limit(_) | Offset(_) => 1,
            Group(_, s) => s.iter().map(Step::inputs).sum(),
            WithTrashed | OnlyTrashed => 0,
            With(n) => n.len(),
            WithConstraint(_, _, s) => 1 + s.iter().map(Step::inputs).sum::<usize>(),
            WhereRaw(_, _, v) | OrderRaw(_, v) => 1 + v.len(),
            JoinAuthor(..) => 3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Case {
    pub target: Target,
    pub tenant: String,
    pub steps: Vec<Step>,
    pub terminal: Terminal,
}

impl Case {
    pub fn inputs(&self) -> usize {
        let chain: usize = match self.terminal.uses_chain() {
            true => self.steps.iter().map(Step::inputs).sum(),
            false => 0,
        };
        1 + chain + self.terminal.inputs()
    }
}

/// Text a caller should never get into SQL.
const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "id; DROP TABLE canary",
    "1=1",
    "\" OR 1=1 --",
    "id\" = \"id",
    "id' OR '1'='1",
    "id--",
    "id /* x */",
    "/*",
    "*/",
    "--",
    ";",
    "'",
    "\"",
    "`",
    "``",
    "`id`",
    "[id]",
    "\"id\"",
    "'id'",
    "id\0",
    "\0",
    "é",
    "idé",
    "🦀",
    "\u{202E}di",
    "\u{200B}id",
    "\u{FEFF}id",
    " id",
    "id ",
    "\tid",
    "id\n",
    "a.b.c",
    ".id",
    "id.",
    "..",
    "posts.*",
    "*",
    "id,title",
    "(id)",
    "id+1",
    "?",
    "?1",
    ":id",
    "@id",
    "$id",
    "#",
    "sqlite_master",
    "main.posts.id",
    "canary.secret",
    "ID",
    "Id",
    "rowid",
    "null",
    "NULL",
    "select",
    "1",
    "-1",
    "0x10",
    "1e3",
    "value",
    "aggregate",
    "__roost_row",
    "__roost_total",
    "__pivot_role",
    "json_each.value",
    "id)) UNION SELECT secret FROM canary --",
    "id IS NOT NULL OR 1",
    "ｉｄ",
    "i\u{0307}d",
];

/// Hostile floats (integers beyond i64 must not become REALs; these are real floats).
const FLOATS: &[f64] = &[0.5, -0.0, 1e308, -1e308, f64::MIN_POSITIVE, 3.25, -2.5e-300];

/// Names: real, misspelled, qualified, plain random, fragments, unicode, huge, empty.
pub fn name(columns: &[String], tables: &[String]) -> BoxedStrategy<String> {
    let cols = columns.to_vec();
    let misspelled = (
        select(cols.clone()),
        any::<prop::sample::Index>(),
        select(vec!['x', 'e', '_', '1', 'Y']),
        0..3u8,
    )
        .prop_map(|(c, at, ch, how)| {
            let mut chars: Vec<char> = c.chars().collect();
            let i = at.index(chars.len() + 1);
            match how {
                0 if i < chars.len() => chars[i] = ch,
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ => chars.insert(i, ch),
            }
            chars.into_iter().collect::<String>()
        });
    let qualified =
        (select(tables.to_vec()), select(cols.clone())).prop_map(|(t, c)| format!("{t}.{c}"));
    let fragment = select(FRAGMENTS).prop_map(String::from);
    let joined = (select(cols.clone()), select(FRAGMENTS)).prop_map(|(c, f)| format!("{c}{f}"));
    let unicode = prop::collection::vec(any::<char>(), 0..12).prop_map(|v| v.into_iter().collect());
    prop_oneof![
        30 => select(cols),
        20 => misspelled,
        12 => qualified,
        10 => "[A-Za-z_][A-Za-z0-9_]{0,12}",
        15 => fragment,
        8 => joined,
        4 => unicode,
        1 => huge(),
    ]
    .boxed()
}

/// 10k–200k characters: a valid identifier, or quotes, or unicode.
fn huge() -> impl Strategy<Value = String> {
    (
        10_000usize..200_000,
        select(vec!["a", "'", "\"", "é", "x;", "🦀"]),
    )
        .prop_map(|(n, unit)| unit.repeat(n / unit.chars().count()))
}

pub fn operator(names: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let valid = [
        "=", "!=", "<>", ">", "<", ">=", "<=", "like", "LIKE", "Like", "not like", "NOT LIKE",
    ];
    let hostile = [
        "==",
        "=>",
        "=<",
        "! =",
        " = ",
        "=\0",
        "= 1 OR 1=1 --",
        "IS",
        "IS NOT",
        "in",
        "glob",
        "regexp",
        "match",
        "||",
        ";",
        "<=>",
        "like'",
        "\u{202E}=",
        "＝",
        "not  like",
        "notlike",
        "like escape",
        "",
        "= ?",
        "=;",
    ];
    prop_oneof![
        6 => select(valid.to_vec()).prop_map(String::from),
        3 => select(hostile.to_vec()).prop_map(String::from),
        1 => names,
    ]
    .boxed()
}

pub fn direction(names: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let valid = ["asc", "desc", "ASC", "DESC", "Desc"];
    let hostile = [
        " asc",
        "asc ",
        "asc;",
        "desc --",
        "ascending",
        "",
        "ASC NULLS FIRST",
        "ᴀsc",
        "desc, id",
        "1",
    ];
    prop_oneof![
        6 => select(valid.to_vec()).prop_map(String::from),
        3 => select(hostile.to_vec()).prop_map(String::from),
        1 => names,
    ]
    .boxed()
}

pub fn relation(names: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let known = [
        "comments",
        "author",
        "tags",
        "comments.post",
        "author.posts",
        "tags.posts",
        "comments.post.author",
        "author.posts.tags",
        "comment",
        "Comments",
        "tag",
        "authors",
        "pivot",
        "tags.pivot",
        "comments.",
        ".comments",
        "comments..post",
        "posts",
        "post",
    ];
    prop_oneof![3 => select(known.to_vec()).prop_map(String::from), 1 => names].boxed()
}

pub fn value(names: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    let ints = [
        i64::MIN,
        i64::MAX,
        i64::MIN + 1,
        -1,
        0,
        1,
        1 << 53,
        (1 << 53) + 1,
    ];
    let leaf = prop_oneof![
        2 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::from),
        4 => (0i64..10).prop_map(Value::from),
        2 => select(ints.to_vec()).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        2 => select(vec![u64::MAX, i64::MAX as u64 + 1]).prop_map(Value::from),
        2 => select(FLOATS.to_vec()).prop_map(Value::from),
        6 => names.clone().prop_map(Value::from),
        1 => select(vec!["t1", "t2", "alpha", "x"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

fn attrs(names: BoxedStrategy<String>, values: BoxedStrategy<Value>) -> BoxedStrategy<Attrs> {
    prop::collection::vec((names, values), 0..4).boxed()
}

fn limit() -> BoxedStrategy<u64> {
    prop_oneof![
        3 => 0u64..8,
        1 => select(vec![u64::MAX, i64::MAX as u64, i64::MAX as u64 + 1]),
        1 => any::<u64>(),
    ]
    .boxed()
}

fn filter(n: BoxedStrategy<String>, v: BoxedStrategy<Value>) -> BoxedStrategy<Step> {
    let op = operator(n.clone());
    let list = prop::collection::vec(v.clone(), 0..5);
    prop_oneof![
        (n.clone(), v.clone()).prop_map(|(c, v)| Step::Where(c, v)),
        // `name = 'name'`: true on every row if SQLite reads the name as a string.
        n.clone()
            .prop_map(|c| Step::Where(c.clone(), Value::from(c))),
        (n.clone(), op.clone(), v.clone()).prop_map(|(c, o, v)| Step::WhereOp(c, o, v)),
        (n.clone(), v.clone()).prop_map(|(c, v)| Step::OrWhere(c, v)),
        (n.clone(), op, v).prop_map(|(c, o, v)| Step::OrWhereOp(c, o, v)),
        (n.clone(), list.clone()).prop_map(|(c, l)| Step::WhereIn(c, l)),
        (n.clone(), list).prop_map(|(c, l)| Step::WhereNotIn(c, l)),
        n.clone().prop_map(Step::WhereNull),
        n.prop_map(Step::WhereNotNull),
        (any::<bool>(), 0..RAW_FRAGMENTS.len(), raw_bindings())
            .prop_map(|(or, f, b)| Step::WhereRaw(or, f, b)),
    ]
    .boxed()
}

fn step(n: BoxedStrategy<String>, v: BoxedStrategy<Value>) -> BoxedStrategy<Step> {
    let f = filter(n.clone(), v);
    let order = prop_oneof![
        4 => (n.clone(), direction(n.clone())).prop_map(|(c, d)| Step::OrderBy(c, d)),
        1 => (0..RAW_FRAGMENTS.len(), raw_bindings()).prop_map(|(f, b)| Step::OrderRaw(f, b)),
    ];
    let inner = prop_oneof![3 => f.clone(), 1 => order.clone(), 1 => Just(Step::OnlyTrashed), 1 => limit().prop_map(Step::Limit)];
    let rel = relation(n.clone());
    let join_name = prop_oneof![
        2 => n.clone(),
        1 => select(vec!["authors.id", "authors.name", "authors.nope"]).prop_map(String::from),
    ];
    let join = (join_name.clone(), operator(n.clone()), join_name)
        .prop_map(|(a, o, b)| Step::JoinAuthor(a, o, b));
    prop_oneof![
        1 => join,
        10 => f.clone(),
        2 => (any::<bool>(), prop::collection::vec(f, 0..3)).prop_map(|(or, s)| Step::Group(or, s)),
        3 => order,
        1 => limit().prop_map(Step::Limit),
        1 => limit().prop_map(Step::Offset),
        1 => Just(Step::WithTrashed),
        1 => Just(Step::OnlyTrashed),
        2 => prop::collection::vec(rel.clone(), 0..3).prop_map(Step::With),
        2 => (rel, any::<bool>(), prop::collection::vec(inner, 0..3))
            .prop_map(|(r, tag, s)| Step::WithConstraint(r, tag, s)),
    ]
    .boxed()
}

fn terminal(n: BoxedStrategy<String>, v: BoxedStrategy<Value>) -> BoxedStrategy<Terminal> {
    use Terminal::*;
    let a = attrs(n.clone(), v.clone());
    let ids = prop::collection::vec(v.clone(), 0..4);
    let rels = prop::collection::vec(relation(n.clone()), 0..3);
    let page = prop_oneof![3 => 0u64..4, 1 => select(vec![u64::MAX, i64::MAX as u64])];
    prop_oneof![
        Just(All),
        Just(First),
        Just(FirstOrFail),
        Just(Count),
        Just(ToStatement),
        Just(Delete),
        Just(ForceDelete),
        (page.clone(), page).prop_map(|(p, n)| Paginate(p, n)),
        v.clone().prop_map(Find),
        v.clone().prop_map(FindOrFail),
        a.clone().prop_map(Update),
        (n.clone(), v.clone()).prop_map(|(c, x)| Increment(c, x)),
        (n.clone(), v.clone()).prop_map(|(c, x)| Decrement(c, x)),
        a.clone().prop_map(Create),
        a.clone().prop_map(MakeSave),
        (n.clone(), v.clone()).prop_map(|(c, x)| SetSave(c, x)),
        a.clone().prop_map(FillSave),
        a.clone().prop_map(UnitCreate),
        a.clone().prop_map(UnitFillSave),
        (a.clone(), a.clone()).prop_map(|(x, y)| FirstOrNew(x, y)),
        (a.clone(), a.clone()).prop_map(|(x, y)| FirstOrCreate(x, y)),
        (a.clone(), a.clone()).prop_map(|(x, y)| UpdateOrCreate(x, y)),
        a.clone().prop_map(Insert),
        a.clone().prop_map(InsertOrIgnore),
        a.clone().prop_map(Upsert),
        (a.clone(), a.clone()).prop_map(|(x, y)| UpdateOrInsert(x, y)),
        (n.clone(), v.clone()).prop_map(|(c, x)| InstanceIncrement(c, x)),
        (n, v.clone()).prop_map(|(c, x)| InstanceDecrement(c, x)),
        rels.clone().prop_map(Load),
        rels.prop_map(LoadMany),
        (0u8..3, v.clone()).prop_map(|(r, x)| TypedLoad(r, x)),
        (ids.clone(), a.clone()).prop_map(|(i, x)| Attach(i, x)),
        ids.clone().prop_map(Detach),
        ids.clone().prop_map(Sync),
        ids.prop_map(Toggle),
        (v, a).prop_map(|(i, x)| UpdatePivot(i, x)),
    ]
    .boxed()
}

/// A whole case; pivot and typed-relation calls only on `Post`.
pub fn case(columns: &[String], tables: &[String]) -> impl Strategy<Value = Case> {
    let n = name(columns, tables);
    let v = value(n.clone());
    let target = select(vec![
        Target::Gadget,
        Target::Note,
        Target::Post,
        Target::BadTenant,
    ]);
    let tenant = prop_oneof![8 => select(vec!["t1", "t2"]).prop_map(String::from), 1 => n.clone()];
    (
        target,
        tenant,
        prop::collection::vec(step(n.clone(), v.clone()), 0..5),
        terminal(n, v),
    )
        .prop_map(|(target, tenant, steps, mut terminal)| {
            if terminal.post_only() && target != Target::Post {
                terminal = Terminal::All;
            }
            Case {
                target,
                tenant,
                steps,
                terminal,
            }
        })
}

/// Bindings of a raw fragment: usually as many as it has placeholders (0–2), sometimes
/// a value no statement can bind (an integer past `i64`).
fn raw_bindings() -> BoxedStrategy<Vec<Value>> {
    let value = prop_oneof![
        8 => (-3i64..40).prop_map(Value::from),
        2 => "[a-z'()?]{0,4}".prop_map(Value::from),
        1 => Just(Value::from(u64::MAX)),
    ];
    prop::collection::vec(value, 0..3).boxed()
}
