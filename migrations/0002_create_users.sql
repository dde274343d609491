-- Users belong to one organization (row tenancy on org_id).
CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT,
    updated_at TEXT
);
CREATE INDEX users_org_id ON users (org_id);
