-- The `database` strategy's e2e phase: Globex's own database (binding DB_TENANT_GLOBEX).
INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES
  (2, 'globex', 'Globex', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO users (id, org_id, name, email, created_at, updated_at) VALUES
  (1, 2, 'Grace (own db)', 'grace@globex.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO posts (id, org_id, author_id, title, body, published, created_at, updated_at) VALUES
  (1, 2, 1, 'Globex in its own database', 'private', 1, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
INSERT INTO posts (id, org_id, author_id, title, body, published, created_at, updated_at) VALUES
  (2, 2, 1, 'Globex second', 'private', 0, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
