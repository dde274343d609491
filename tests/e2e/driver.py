#!/usr/bin/env python3
"""End-to-end checks of the example Worker (examples/worker) on `wrangler dev --local`.

Python 3 standard library only. Results accumulate in a state file across invocations, so
the shell script can add its own checks (wrangler and migration-runner agreement) and one
closing line counts everything:

    driver.py http --base http://127.0.0.1:PORT --state FILE   # drive every endpoint and probe
    driver.py db --db FILE [--db FILE2] --state FILE           # look at the stored rows
    driver.py http-database --base URL --state FILE            # the `database` strategy run
    driver.py record NAME ok|fail [DETAIL] --state FILE        # a check made elsewhere
    driver.py summary --state FILE                             # "N passed, M failed"; exit 1 on failure

The data the checks rely on is tests/e2e/seed.sql: organizations acme (id 1: users 1, 2;
posts 1-3; comments 1-3) and globex (id 2: users 3, 4; posts 4, 5; comment 4). The
`database` strategy run adds an organization umbrella (id 3) without a database of its
own, and gives acme and globex their own databases (tests/e2e/seed-tenant-*.sql).
The seed's notes (acme: 1, 2; globex: 3, 4) are what the fail-closed probes
(/probe/..., examples/worker/src/probes.rs; served with E2E_PROBES=true) try to read and
write through misdeclared models: they must come out of the run exactly as seeded.
"""

import argparse
import json
import re
import os
import sqlite3
import sys
import urllib.error
import urllib.request

ACME, GLOBEX = "acme", "globex"
SEED_POSTS = {ACME: {1, 2, 3}, GLOBEX: {4, 5}}
# id -> (org_id, body, status), as tests/e2e/seed.sql writes them.
SEED_NOTES = {1: (1, "acme first", "open"), 2: (1, "acme second", "done"),
              3: (2, "globex first", "open"), 4: (2, "globex second", "done")}


class State:
    def __init__(self, path):
        self.path = path
        self.data = {"passed": 0, "failed": 0, "failures": [], "expect": {}}
        if os.path.exists(path):
            with open(path) as f:
                self.data = json.load(f)

    def save(self):
        with open(self.path, "w") as f:
            json.dump(self.data, f, indent=1)

    def check(self, name, ok, detail=""):
        if ok:
            self.data["passed"] += 1
            print(f"ok     {name}")
        else:
            self.data["failed"] += 1
            self.data["failures"].append(f"{name}: {detail}")
            print(f"FAILED {name}: {detail}")
        return ok


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<{self.status} {self.text[:300]}>"


class Client:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def request(self, method, path, org=None, body=None, raw=None, bookmark=None):
        headers = {}
        if org is not None:
            headers["x-org"] = org
        if bookmark is not None:
            headers["x-d1-bookmark"] = bookmark
        data = None
        if raw is not None:
            data = raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Reply(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, dict(e.headers), e.read())

    def get(self, path, org=None, **kw):
        return self.request("GET", path, org, **kw)

    def post(self, path, org=None, body=None, **kw):
        return self.request("POST", path, org, body=body, **kw)

    def patch(self, path, org=None, body=None, **kw):
        return self.request("PATCH", path, org, body=body, **kw)

    def delete(self, path, org=None, **kw):
        return self.request("DELETE", path, org, **kw)


def is_error_json(reply, status=None):
    """A 4xx JSON body {"error": {"code": str, "message": str}} (with this status)."""
    err = (reply.json or {}).get("error") if isinstance(reply.json, dict) else None
    return (
        400 <= reply.status < 500
        and (status is None or reply.status == status)
        and reply.headers.get("content-type", "").startswith("application/json")
        and isinstance(err, dict)
        and isinstance(err.get("code"), str)
        and isinstance(err.get("message"), str)
        and err["message"] != ""
    )


def is_error_reply(reply):
    """Any 4xx/5xx JSON error body {"error": {"code": str, "message": str}}."""
    err = (reply.json or {}).get("error") if isinstance(reply.json, dict) else None
    return (
        400 <= reply.status < 600
        and reply.headers.get("content-type", "").startswith("application/json")
        and isinstance(err, dict)
        and isinstance(err.get("code"), str)
        and isinstance(err.get("message"), str)
        and err["message"] != ""
    )


def error_message(reply):
    return ((reply.json or {}).get("error") or {}).get("message", "") if isinstance(reply.json, dict) else ""


def ids(page):
    return [p["id"] for p in page["data"]]


def all_posts(c, org):
    """Every post of a tenant, trashed included, by following pages."""
    out, page = [], 1
    while True:
        r = c.get(f"/posts?trashed=with&per_page=100&page={page}", org)
        if r.status != 200:
            raise RuntimeError(f"listing {org}: {r}")
        out += r.json["data"]
        if page >= r.json["lastPage"]:
            return out
        page += 1


def check_post_shape(s, name, post, org_id):
    """Attributes, then the eager-loaded author and comments (each with its author)."""
    keys = list(post.keys())
    attrs = ["id", "org_id", "author_id", "title", "body", "published",
             "created_at", "updated_at", "deleted_at"]
    ok = keys[: len(attrs)] == attrs and keys[len(attrs):] == ["author", "comments"]
    s.check(f"{name}: attributes then author, comments", ok, keys)
    s.check(f"{name}: tenant column", post.get("org_id") == org_id, post.get("org_id"))
    s.check(f"{name}: boolean cast", isinstance(post.get("published"), bool), post.get("published"))
    author = post.get("author")
    s.check(
        f"{name}: author is the post's user, same tenant, email hidden",
        isinstance(author, dict) and author.get("id") == post["author_id"]
        and author.get("org_id") == org_id and "email" not in author,
        author,
    )
    comments = post.get("comments")
    good = isinstance(comments, list) and all(
        c.get("post_id") == post["id"] and c.get("org_id") == org_id
        and isinstance(c.get("author"), dict) and c["author"].get("id") == c.get("author_id")
        for c in comments
    )
    s.check(f"{name}: comments belong to it, each with its author", good, comments)


def run_http(s, c):
    # -- readiness and routing ---------------------------------------------------------
    r = c.get("/health")
    s.check("health", r.status == 200 and r.json == {"ok": True}, r)
    s.check("no x-org -> 400 JSON", is_error_json(c.get("/posts"), 400), c.get("/posts"))
    s.check("unknown org -> 404 JSON", is_error_json(c.get("/posts", "initech"), 404))
    s.check("unknown route -> 404 JSON", is_error_json(c.get("/nothing", ACME), 404))
    s.check("wrong method -> 405 JSON", is_error_json(c.request("PUT", "/posts/1", ACME), 405))
    s.check("non-numeric id -> 400 JSON", is_error_json(c.get("/posts/abc", ACME), 400))
    s.check("zero id -> 400 JSON", is_error_json(c.get("/posts/0", ACME), 400))

    # -- list: tenant scope, eager loading, pagination metadata ---------------------------
    for org, org_id in ((ACME, 1), (GLOBEX, 2)):
        r = c.get("/posts", org)
        ok = r.status == 200 and set(ids(r.json)) == SEED_POSTS[org]
        s.check(f"list {org}: exactly its own posts", ok, r)
        if ok:
            meta = {k: r.json[k] for k in ("total", "perPage", "currentPage", "lastPage")}
            want = {"total": len(SEED_POSTS[org]), "perPage": 10, "currentPage": 1, "lastPage": 1}
            s.check(f"list {org}: pagination metadata", meta == want, meta)
            s.check(f"list {org}: keys", list(r.json.keys()) ==
                    ["data", "total", "perPage", "currentPage", "lastPage"], list(r.json))
            for post in r.json["data"]:
                check_post_shape(s, f"list {org} post {post['id']}", post, org_id)
    r = c.get("/posts", ACME)
    if r.status == 200:
        by_id = {p["id"]: p for p in r.json["data"]}
        p1 = by_id.get(1, {})
        s.check("post 1: author Ada", (p1.get("author") or {}).get("name") == "Ada", p1.get("author"))
        s.check("post 1: comments 1, 2 with authors Brian, Ada",
                [(x.get("id"), (x.get("author") or {}).get("name")) for x in p1.get("comments", [])]
                == [(1, "Brian"), (2, "Ada")], p1.get("comments"))
        s.check("post 2: no comments -> []", by_id.get(2, {}).get("comments") == [], by_id.get(2))

    pages = [c.get(f"/posts?per_page=2&page={n}", ACME) for n in (1, 2, 3)]
    got = [(p.status, ids(p.json) if p.status == 200 else None,
            {k: p.json.get(k) for k in ("total", "perPage", "currentPage", "lastPage")}
            if p.status == 200 else None) for p in pages]
    want = [(200, [1, 2], {"total": 3, "perPage": 2, "currentPage": 1, "lastPage": 2}),
            (200, [3], {"total": 3, "perPage": 2, "currentPage": 2, "lastPage": 2}),
            (200, [], {"total": 3, "perPage": 2, "currentPage": 3, "lastPage": 2})]
    s.check("pagination: pages 1-3 of 2", got == want, got)
    for q in ("page=0", "per_page=0", "per_page=101", "page=x", "trashed=bogus"):
        s.check(f"list ?{q} -> 422 JSON", is_error_json(c.get(f"/posts?{q}", ACME), 422))

    # -- show --------------------------------------------------------------------------
    r = c.get("/posts/1", ACME)
    s.check("show own post", r.status == 200 and r.json.get("id") == 1, r)
    if r.status == 200:
        check_post_shape(s, "show post 1", r.json, 1)
    for org, pid in ((GLOBEX, 1), (ACME, 4), (ACME, 999)):
        s.check(f"show post {pid} as {org} -> 404 JSON", is_error_json(c.get(f"/posts/{pid}", org), 404))

    # -- create, then read back with the bookmark ------------------------------------------
    before = {org: len(all_posts(c, org)) for org in (ACME, GLOBEX)}
    r = c.post("/posts", ACME, {"title": "  Fresh post  ", "body": "hello", "author_id": 2,
                                "published": True})
    created = r.json if r.status == 201 else None
    s.check("create -> 201", created is not None, r)
    if created is None:
        return
    new_id = created["id"]
    s.data["expect"]["created_posts"] = s.data["expect"].get("created_posts", 0) + 1
    s.check("create: stored values (trimmed title, tenant from the request)",
            (created["title"], created["body"], created["author_id"], created["published"],
             created["org_id"], created["deleted_at"]) == ("Fresh post", "hello", 2, True, 1, None),
            created)
    check_post_shape(s, "create response", created, 1)
    s.check("create: timestamps set", bool(created.get("created_at"))
            and created.get("created_at") == created.get("updated_at"), created)
    bookmark = r.headers.get("x-d1-bookmark")
    s.check("create: x-d1-bookmark header", bool(bookmark), r.headers)
    r = c.get(f"/posts/{new_id}", ACME, bookmark=bookmark)
    s.check("read with the returned bookmark sees the row",
            r.status == 200 and r.json.get("title") == "Fresh post", r)
    again = r.headers.get("x-d1-bookmark")
    s.check("read with a bookmark returns one, not older",
            bool(again) and bookmark is not None and again >= bookmark, (bookmark, again))
    r = c.get(f"/posts/{new_id}", GLOBEX, bookmark=bookmark)
    s.check("other tenant, even with the bookmark -> 404", is_error_json(r, 404), r)
    s.check("list acme has one more",
            c.get("/posts", ACME).json["total"] == len(SEED_POSTS[ACME]) + 1)
    s.check("list globex unchanged", c.get("/posts", GLOBEX).json["total"] == len(SEED_POSTS[GLOBEX]))

    # -- bad input: 4xx JSON, nothing written ----------------------------------------------
    bad_creates = [
        ("invalid JSON", {"raw": "{nope"}),
        ("array body", {"body": [1, 2]}),
        ("missing title", {"body": {"author_id": 1}}),
        ("empty title", {"body": {"title": "   ", "author_id": 1}}),
        ("title too long", {"body": {"title": "x" * 201, "author_id": 1}}),
        ("title not a string", {"body": {"title": 5, "author_id": 1}}),
        ("missing author_id", {"body": {"title": "t"}}),
        ("author_id as text", {"body": {"title": "t", "author_id": "1"}}),
        ("author of another tenant", {"body": {"title": "t", "author_id": 3}}),
        ("author that does not exist", {"body": {"title": "t", "author_id": 999}}),
        ("published not a boolean", {"body": {"title": "t", "author_id": 1, "published": "yes"}}),
        ("unknown field", {"body": {"title": "t", "author_id": 1, "rating": 5}}),
        ("org_id smuggled in", {"body": {"title": "t", "author_id": 1, "org_id": 2}}),
    ]
    for label, kw in bad_creates:
        r = c.post("/posts", ACME, **kw)
        s.check(f"create with {label} -> 4xx JSON", is_error_json(r), r)
    s.check("create with a post id in the path -> 405", is_error_json(c.post("/posts/1", ACME, {}), 405))
    post_1 = c.get("/posts/1", ACME).json
    bad_updates = [
        ("empty object", {"body": {}}),
        ("empty title", {"body": {"title": ""}}),
        ("published as 1", {"body": {"published": 1}}),
        ("unknown field", {"body": {"title": "ok", "rating": 5}}),
        ("author of another tenant", {"body": {"author_id": 3}}),
        ("invalid JSON", {"raw": "]"}),
    ]
    for label, kw in bad_updates:
        r = c.patch("/posts/1", ACME, **kw)
        s.check(f"update with {label} -> 4xx JSON", is_error_json(r), r)
    # The PATCH handler has no whitelist: Post::FILLABLE refuses, strictly, by name.
    for key, value in (("org_id", 2), ("id", 99), ("deleted_at", "2020-01-01 00:00:00"),
                       ("created_at", "2000-01-01 00:00:00")):
        r = c.patch("/posts/1", ACME, {"title": "smuggled", key: value})
        err = (r.json or {}).get("error") or {}
        s.check(f"update smuggling the guarded {key} -> 422 mass_assignment naming it",
                r.status == 422 and err.get("code") == "mass_assignment"
                and key in err.get("message", ""), r)
    s.check("post 1 unchanged after bad updates", c.get("/posts/1", ACME).json == post_1)
    r = c.post(f"/posts/{new_id}/comments", ACME, {"body": "", "author_id": 1})
    s.check("comment with empty body -> 4xx JSON", is_error_json(r), r)
    r = c.post(f"/posts/{new_id}/comments", ACME, {"body": "hi", "author_id": 4})
    s.check("comment by another tenant's user -> 4xx JSON", is_error_json(r), r)
    after = {org: len(all_posts(c, org)) for org in (ACME, GLOBEX)}
    s.check("bad input wrote no post", after == {ACME: before[ACME] + 1, GLOBEX: before[GLOBEX]},
            (before, after))
    s.check("bad input wrote no comment", c.get(f"/posts/{new_id}", ACME).json["comments"] == [])

    # -- update ------------------------------------------------------------------------
    r = c.patch(f"/posts/{new_id}", ACME, {"title": "Renamed", "published": False})
    s.check("update -> 200", r.status == 200, r)
    if r.status == 200:
        s.check("update: new values, updated_at moved",
                (r.json["title"], r.json["published"], r.json["body"]) == ("Renamed", False, "hello")
                and r.json["updated_at"] >= created["updated_at"], r.json)
        check_post_shape(s, "update response", r.json, 1)
    r = c.get(f"/posts/{new_id}", ACME, bookmark=r.headers.get("x-d1-bookmark"))
    s.check("update is read back", r.status == 200 and r.json.get("title") == "Renamed", r)

    # -- comments ----------------------------------------------------------------------
    r = c.post(f"/posts/{new_id}/comments", ACME, {"body": "First!", "author_id": 1})
    s.check("comment -> 201 with its author", r.status == 201 and r.json.get("org_id") == 1
            and (r.json.get("author") or {}).get("id") == 1, r)
    if r.status == 201:
        s.data["expect"]["created_comments"] = s.data["expect"].get("created_comments", 0) + 1
    r = c.get(f"/posts/{new_id}", ACME, bookmark=r.headers.get("x-d1-bookmark"))
    s.check("comment shows in the post's comments",
            [x["body"] for x in r.json.get("comments", [])] == ["First!"], r)

    # -- other tenant through every endpoint ------------------------------------------------
    snapshot = c.get(f"/posts/{new_id}", ACME).json
    cross = [
        ("show", c.get(f"/posts/{new_id}", GLOBEX)),
        ("update", c.patch(f"/posts/{new_id}", GLOBEX, {"title": "Hijacked"})),
        ("delete", c.delete(f"/posts/{new_id}", GLOBEX)),
        ("restore", c.post(f"/posts/{new_id}/restore", GLOBEX)),
        ("comment", c.post(f"/posts/{new_id}/comments", GLOBEX, {"body": "x", "author_id": 3})),
    ]
    for label, r in cross:
        s.check(f"globex {label} of an acme post -> 404 JSON", is_error_json(r, 404), r)
    s.check("acme post untouched by globex", c.get(f"/posts/{new_id}", ACME).json == snapshot)
    for view in ("", "&trashed=with", "&trashed=only"):
        r = c.get(f"/posts?per_page=100{view}", GLOBEX)
        s.check(f"globex list{view or ' (default)'} holds only org 2",
                r.status == 200 and all(p["org_id"] == 2 for p in r.json["data"])
                and all(x["org_id"] == 2 for p in r.json["data"] for x in p["comments"]), r)

    # -- soft delete and restore -----------------------------------------------------------
    r = c.delete(f"/posts/{new_id}", ACME)
    s.check("delete -> 200 with deleted_at", r.status == 200 and bool((r.json or {}).get("deleted_at")), r)
    bm = r.headers.get("x-d1-bookmark")
    s.check("deleted post -> 404", is_error_json(c.get(f"/posts/{new_id}", ACME, bookmark=bm), 404))
    s.check("deleted post left the list", new_id not in ids(c.get("/posts?per_page=100", ACME, bookmark=bm).json))
    r = c.get("/posts?trashed=only", ACME, bookmark=bm)
    s.check("trashed=only lists it", r.status == 200 and ids(r.json) == [new_id]
            and r.json["data"][0]["deleted_at"], r)
    s.check("trashed=with counts it", c.get("/posts?trashed=with", ACME).json["total"]
            == len(SEED_POSTS[ACME]) + 1)
    s.check("delete again -> 404", is_error_json(c.delete(f"/posts/{new_id}", ACME), 404))
    s.check("globex restore of it -> 404", is_error_json(c.post(f"/posts/{new_id}/restore", GLOBEX), 404))
    r = c.post(f"/posts/{new_id}/restore", ACME)
    s.check("restore -> 200 without deleted_at", r.status == 200 and r.json.get("deleted_at") is None, r)
    if r.status == 200:
        check_post_shape(s, "restore response", r.json, 1)
    r = c.get(f"/posts/{new_id}", ACME, bookmark=r.headers.get("x-d1-bookmark"))
    s.check("restored post is back", r.status == 200 and r.json["title"] == "Renamed", r)
    s.check("restore again -> 409 JSON", is_error_json(c.post(f"/posts/{new_id}/restore", ACME), 409))

    # -- one unit of work: a post and its comments in one D1 batch ---------------------------
    r = c.post("/posts", ACME, {"title": "With comments", "author_id": 1,
                                "comments": [{"body": "one", "author_id": 2},
                                             {"body": "two", "author_id": 1}]})
    s.check("create with comments -> 201", r.status == 201, r)
    if r.status == 201:
        expect = s.data["expect"]
        expect["created_posts"] = expect.get("created_posts", 0) + 1
        expect["created_comments"] = expect.get("created_comments", 0) + 2
        pid = r.json["id"]
        s.check("unit: the comments point at the post's new id, in order, with authors",
                [(x["post_id"], x["body"], (x.get("author") or {}).get("id"), x["org_id"])
                 for x in r.json.get("comments", [])] == [(pid, "one", 2, 1), (pid, "two", 1, 1)],
                r)
    before_unit = len(all_posts(c, ACME))
    r = c.post("/posts", ACME, {"title": "t", "author_id": 1,
                                "comments": [{"body": "ok", "author_id": 1},
                                             {"body": "x", "author_id": 3}]})
    s.check("create with a comment by another tenant's user -> 4xx JSON", is_error_json(r), r)
    r = c.post("/posts", ACME, {"title": "t", "author_id": 1, "comments": [{"body": ""}]})
    s.check("create with a bad comment -> 4xx JSON", is_error_json(r), r)
    s.check("bad comments wrote no post", len(all_posts(c, ACME)) == before_unit)

    # -- the query builder's aggregates, grouping and pluck (GET /stats) -------------------
    for org in (ACME, GLOBEX):
        check_stats(s, c, org)


def check_stats(s, c, org):
    """/stats against what the listing says: every figure is the tenant's own, live posts."""
    every = all_posts(c, org)
    live = [p for p in every if not p.get("deleted_at")]
    by_author = {}
    for p in live:
        by_author[str(p["author_id"])] = by_author.get(str(p["author_id"]), 0) + 1
    commented = sorted({x["post_id"] for p in every for x in p["comments"]})
    by_name = {}
    for p in live:
        if p.get("author"):
            name = p["author"]["name"]
            by_name[name] = by_name.get(name, 0) + 1
    want = {
        "posts": len(live),
        "published": sum(1 for p in live if p["published"]),
        "drafts": sum(1 for p in live if not p["published"]),
        "by_author": by_author,
        "latest_titles": [p["title"] for p in sorted(live, key=lambda p: -p["id"])[:3]],
        "max_id": max((p["id"] for p in live), default=None),
        "has_comments": bool(commented),
        "commented_posts": commented,
        "by_author_name": by_name,
        "long_titles": sum(1 for p in live if len(p["title"]) > 10),
        # with_count / where_has: the tenant's own comments of live posts.
        "comment_counts": {str(p["id"]): len(p["comments"]) for p in live},
        "discussed": sorted(p["id"] for p in live if any(x.get("body") is not None for x in p["comments"])),
    }
    r = c.get("/stats", org)
    got = r.json if r.status == 200 else None
    for key, value in want.items():
        s.check(f"stats {org}: {key}", got is not None and got.get(key) == value,
                f"want {value!r}, got {None if got is None else got.get(key)!r} ({r.status})")


def notes_of(c, org):
    """The tenant's notes as stored, through the correctly declared model: id -> row."""
    r = c.get("/probe/notes", org)
    if r.status != 200 or not isinstance(r.json, list):
        raise RuntimeError(f"/probe/notes as {org}: {r}")
    return {n["id"]: (n["org_id"], n["body"], n["status"], n["updated_at"]) for n in r.json}


def stored_notes(c):
    return {org: notes_of(c, org) for org in (ACME, GLOBEX)}


def run_probes(s, c):
    """Fail closed (examples/worker/src/probes.rs): a misspelled column on a model
    without COLUMNS, a tenant column that is not an identifier, and what D1 itself does
    with unknown double-quoted names."""
    # -- the control: the notes as seeded, the probes served ------------------------------
    before = stored_notes(c)
    seeded = {ACME: {i: v for i, v in SEED_NOTES.items() if v[0] == 1},
              GLOBEX: {i: v for i, v in SEED_NOTES.items() if v[0] == 2}}
    s.check("probe: notes as seeded, each tenant its own",
            {o: {i: v[:3] for i, v in n.items()} for o, n in before.items()} == seeded, before)

    # -- (c) D1's DQS behaviour, through the binding -------------------------------------
    # -- a unit of work whose last statement D1 refuses: nothing of it is stored ----------
    posts_before = len(all_posts(c, ACME))
    comments_before = [x["id"] for x in c.get("/posts/1", ACME).json.get("comments", [])]
    r = c.post("/probe/unit-rollback", ACME, {})
    s.check("probe: a unit with a refused statement -> 409 constraint_failed",
            is_error_json(r, 409) and r.json["error"]["code"] == "constraint_failed", r)
    s.check("probe: the refused unit stored no post", len(all_posts(c, ACME)) == posts_before)
    s.check("probe: the refused unit stored no comment",
            [x["id"] for x in c.get("/posts/1", ACME).json.get("comments", [])] == comments_before)

    r = c.post("/probe/unit-save", ACME, {})
    s.check("probe: units saving a changed note pass their guards on D1",
            r.status == 200 and r.json.get("statuses") == ["unit-saved", SEED_NOTES[1][2]], r)

    r = c.post("/probe/unit-foreign", ACME, {})
    s.check("probe: a unit saving another tenant's post -> 404 (its guard failed the batch)",
            is_error_json(r, 404), r)
    s.check("probe: ... and the unit's new post is not stored",
            len(all_posts(c, ACME)) == posts_before)
    s.check("probe: ... and the other tenant's post is untouched",
            all(p["title"] != "taken over" for p in all_posts(c, GLOBEX)))

    keys = [c.get("/probe/generated-keys", ACME) for _ in range(2)]
    ok = all(k.status == 200 for k in keys)
    if ok:
        uuids, ulids = [k.json["uuid"] for k in keys], [k.json["ulid"] for k in keys]
        ok = (all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u)
                  for u in uuids)
              and all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{26}", u) for u in ulids)
              and len(set(uuids)) == 2 and len(set(ulids)) == 2)
    s.check("probe: UUID v7 and ULID keys made in the Workers runtime, distinct", ok,
            [k.json for k in keys])

    r = c.get("/probe/d1-dqs", ACME)
    d = r.json if r.status == 200 and isinstance(r.json, dict) else {}
    s.check("d1 dqs probe answers", bool(d), r)
    if d:
        print("       d1:", json.dumps({k: v.get("rows", v.get("error")) for k, v in d.items()}))

        def rows(name):
            return (d.get(name) or {}).get("rows")

        def no_such_column(name, col):
            err = (d.get(name) or {}).get("error") or ""
            return "no such column" in err and col in err

        total = (rows("count_all") or [{}])[0].get("n")
        s.check("d1: a known column, unqualified, reads the column",
                rows("known_unqualified") == [{"v": "acme first"}], d.get("known_unqualified"))
        s.check("d1: an unknown unqualified double-quoted name reads as its own text (DQS on)",
                rows("unknown_unqualified") == [{"v": "nope"}], d.get("unknown_unqualified"))
        s.check("d1: the same name qualified is `no such column`",
                no_such_column("unknown_qualified", "nope"), d.get("unknown_qualified"))
        s.check("d1: WHERE \"statsu\" != 'x' (unknown, unqualified) counts every row",
                total == len(SEED_NOTES)
                and rows("where_unknown_unqualified") == [{"n": total}],
                (total, d.get("where_unknown_unqualified")))
        s.check("d1: WHERE \"bodyy\" = 'bodyy' counts every row",
                rows("where_unknown_equal_to_its_name") == [{"n": total}],
                d.get("where_unknown_equal_to_its_name"))
        s.check("d1: WHERE \"notes\".\"statsu\" is `no such column`",
                no_such_column("where_unknown_qualified", "statsu"), d.get("where_unknown_qualified"))
        s.check("d1: ORDER BY an unknown unqualified name is accepted (a constant)",
                rows("order_by_unknown_unqualified") == [{"id": i} for i in sorted(SEED_NOTES)],
                d.get("order_by_unknown_unqualified"))
        s.check("d1: ORDER BY it qualified is `no such column`",
                no_such_column("order_by_unknown_qualified", "nope"), d.get("order_by_unknown_qualified"))
        s.check("d1: an unknown SET target is `no such column` (never a string)",
                no_such_column("set_unknown", "bodyy"), d.get("set_unknown"))

    # -- (b) a tenant column that is not an identifier ------------------------------------
    # As acme, through MisTenantNote (TENANT_COLUMN "org-id"); notes 3 and 4 are globex's.
    before = stored_notes(c)
    cases = [
        ("all()", c.get("/probe/mis-tenant/notes", ACME)),
        ("find(1), its own", c.get("/probe/mis-tenant/notes/1", ACME)),
        ("find(3), globex's", c.get("/probe/mis-tenant/notes/3", ACME)),
        ("count()", c.get("/probe/mis-tenant/count", ACME)),
        ("create(..)", c.post("/probe/mis-tenant/notes", ACME, {"body": "unscoped"})),
        ("create(.., org_id: 2)", c.post("/probe/mis-tenant/notes", ACME,
                                         {"body": "smuggled", "org_id": 2})),
        ("where_(id, 3).update(..)", c.patch("/probe/mis-tenant/notes/3", ACME, {"body": "hijacked"})),
        ("where_(id, 4).force_delete()", c.delete("/probe/mis-tenant/notes/4", ACME)),
    ]
    leaked = []
    for label, r in cases:
        s.check(f"tenant column 'org-id': {label} is an error", is_error_reply(r), r)
        data = (r.json or {}).get("data") if isinstance(r.json, dict) else None
        for row in data if isinstance(data, list) else [data] if isinstance(data, dict) else []:
            if row.get("org_id") != 1:
                leaked.append((label, row))
    s.check("tenant column 'org-id': no other tenant's row came back", not leaked, leaked)
    after = stored_notes(c)
    s.check("tenant column 'org-id': no note written, changed or deleted", after == before,
            (before, after))

    # -- (a) a misspelled column on a model without COLUMNS --------------------------------
    # As acme, through LooseNote (tenant-scoped, so at worst acme's notes 1 and 2 suffer).
    before = stored_notes(c)
    r = c.get("/probe/loose-notes?where=body&value=acme%20first", ACME)
    s.check("loose model: a right column filters (control)",
            r.status == 200 and [n.get("id") for n in (r.json or [])] == [1], r)
    for label, q in (("where_(\"bodyy\", \"x\")", "where=bodyy&value=x"),
                     ("where_(\"bodyy\", \"bodyy\")", "where=bodyy&value=bodyy"),
                     ("where_not_null(\"bodyy\")", "where_not_null=bodyy"),
                     ("order_by(\"bodyy\")", "order_by=bodyy")):
        r = c.get(f"/probe/loose-notes?{q}", ACME)
        s.check(f"loose model: {label}.all() is an error naming the column, not rows",
                is_error_reply(r) and "bodyy" in error_message(r), r)
    r = c.post("/probe/loose-notes/update", ACME,
               {"column": "bodyy", "value": "bodyy", "set": {"body": "clobbered"}})
    s.check("loose model: where_(\"bodyy\", \"bodyy\").update(..) is an error",
            is_error_reply(r) and "bodyy" in error_message(r), r)
    after = stored_notes(c)
    s.check("loose model: no note changed by the mass update", after == before,
            {o: [v for v in after[o].values() if v not in before[o].values()] for o in after})
    r = c.post("/probe/loose-notes/force-delete", ACME, {"column": "bodyy", "value": "bodyy"})
    s.check("loose model: where_(\"bodyy\", \"bodyy\").force_delete() is an error",
            is_error_reply(r) and "bodyy" in error_message(r), r)
    after = stored_notes(c)
    s.check("loose model: no note deleted by the mass force delete",
            {o: set(n) for o, n in after.items()} == {o: set(n) for o, n in before.items()},
            {o: sorted(n) for o, n in after.items()})
    s.data["expect"]["probes_ran"] = True


# What each org's own database holds in the `database` strategy run (post id -> title).
OWN_DB_POSTS = {ACME: {1: "Acme in its own database"},
                GLOBEX: {1: "Globex in its own database", 2: "Globex second"}}


def titles(reply):
    return {p["id"]: p["title"] for p in reply.json["data"]} if reply.status == 200 else None


def run_http_database(s, c):
    """DATABASE_TENANT_STRATEGY=database (strict): every request of an org is answered
    from the org's own binding (DB_TENANT_<SLUG>), found after the shared database named
    the org."""
    for org, want in OWN_DB_POSTS.items():
        r = c.get("/posts", org)
        s.check(f"database strategy: {org} lists its own database's posts", titles(r) == want, r)
    r = c.get("/posts/1", ACME)
    s.check("database strategy: show reads the tenant's database",
            r.status == 200 and r.json.get("title") == OWN_DB_POSTS[ACME][1]
            and (r.json.get("author") or {}).get("name") == "Ada (own db)", r)
    r = c.post("/posts", ACME, {"title": "Written to Acme's database", "body": "x", "author_id": 1})
    s.check("database strategy: create -> 201", r.status == 201, r)
    new_id = r.json.get("id") if r.status == 201 else None
    s.check("database strategy: the new post has the next id of Acme's database", new_id == 2, r)
    r = c.get("/posts", ACME)
    s.check("database strategy: Acme sees the new post",
            (titles(r) or {}).get(2) == "Written to Acme's database", r)
    s.check("database strategy: Globex does not",
            titles(c.get("/posts", GLOBEX)) == OWN_DB_POSTS[GLOBEX])
    s.check("without E2E_PROBES the probes are not served (404)",
            is_error_json(c.get("/probe/notes", ACME), 404))
    r = c.get("/posts", "umbrella")
    err = (r.json or {}).get("error") if isinstance(r.json, dict) else None
    s.check("database strategy: an org without its own binding is an error (strict)",
            r.status == 500 and isinstance(err, dict) and "DB_TENANT_UMBRELLA" in err.get("message", ""),
            r)


def run_db(s, paths):
    """Rows in the stored database(s): exactly the seed plus what the run created."""
    expect = s.data["expect"]
    for path in paths:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]
            comments = con.execute("SELECT count(*) FROM comments").fetchone()[0]
            s.check("db: posts = seed + created", posts == 5 + expect.get("created_posts", 0),
                    (posts, expect))
            s.check("db: comments = seed + created",
                    comments == 4 + expect.get("created_comments", 0), (comments, expect))
            bad = con.execute("SELECT count(*) FROM posts p JOIN users u ON u.id = p.author_id "
                              "WHERE u.org_id != p.org_id").fetchone()[0]
            s.check("db: no post by another tenant's user", bad == 0, bad)
            if expect.get("probes_ran"):
                notes = {r[0]: tuple(r[1:]) for r in con.execute(
                    "SELECT id, org_id, body, status FROM notes ORDER BY id")}
                s.check("db: notes exactly as seeded after the fail-closed probes",
                        notes == SEED_NOTES, notes)
            names = [r[0] for r in con.execute("SELECT name FROM d1_migrations ORDER BY id")]
            here = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
            files = sorted(f for f in os.listdir(here) if f.endswith(".sql"))
            s.check("db: d1_migrations lists every migration file, in order", names == files,
                    (names, files))
        finally:
            con.close()


def schema(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r for r in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")]
    finally:
        con.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["http", "http-database", "db", "same-schema", "record", "summary"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--state", required=True)
    ap.add_argument("--base")
    ap.add_argument("--db", action="append", default=[])
    o = ap.parse_args()
    s = State(o.state)
    try:
        if o.command == "http":
            try:
                run_http(s, Client(o.base))
            except Exception as e:  # a crash is a failure, not a silent stop
                s.check("http driver ran to the end", False, repr(e))
            try:
                run_probes(s, Client(o.base))
            except Exception as e:
                s.check("probe driver ran to the end", False, repr(e))
        elif o.command == "http-database":
            try:
                run_http_database(s, Client(o.base))
            except Exception as e:
                s.check("http-database driver ran to the end", False, repr(e))
        elif o.command == "db":
            run_db(s, o.db)
        elif o.command == "same-schema":
            a, b = (schema(p) for p in o.db)
            s.check("wrangler and roost-orm migrations give the same schema", a == b and len(a) > 0,
                    [x for x in a if x not in b] + [x for x in b if x not in a])
        elif o.command == "record":
            name, verdict = o.args[0], o.args[1]
            s.check(name, verdict == "ok", " ".join(o.args[2:]))
        elif o.command == "summary":
            for f in s.data["failures"]:
                print(f"  failed: {f}")
            print(f"{s.data['passed']} passed, {s.data['failed']} failed")
            return 1 if s.data["failed"] or not s.data["passed"] else 0
    finally:
        s.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
