-- Organizations: the tenants. A request names one by its slug (x-org header).
CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT
);
