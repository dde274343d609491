-- Comments on posts: row tenancy on org_id too.
CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT
);
CREATE INDEX comments_post_id ON comments (post_id);
