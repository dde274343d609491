-- Notes: row tenancy on org_id, no soft deletes. The example Worker's e2e probes
-- (/probe/...) read and try to write them through deliberately misdeclared models.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open',
    created_at TEXT,
    updated_at TEXT
);
CREATE INDEX notes_org_id ON notes (org_id);
