-- Posts: row tenancy on org_id, soft-deletable (deleted_at).
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES users (id),
    title      TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body       TEXT NOT NULL DEFAULT '',
    published  INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at TEXT,
    updated_at TEXT,
    deleted_at TEXT
);
CREATE INDEX posts_org_id_id ON posts (org_id, id);
CREATE INDEX posts_author_id ON posts (author_id);
