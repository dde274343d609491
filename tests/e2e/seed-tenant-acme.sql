-- The `database` strategy's e2e phase: Acme's own database (binding DB_TENANT_ACME).
-- Its rows differ from the shared database's seed, so a request answered from the
-- wrong database shows.
INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES
  (1, 'acme', 'Acme Corp', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO users (id, org_id, name, email, created_at, updated_at) VALUES
  (1, 1, 'Ada (own db)', 'ada@acme.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO posts (id, org_id, author_id, title, body, published, created_at, updated_at) VALUES
  (1, 1, 1, 'Acme in its own database', 'private', 1, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
