-- Seed for the end-to-end tests: two organizations, two users each, a few posts and
-- comments in each. Applied with `wrangler d1 execute DB --local --file`.
INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES
  (1, 'acme', 'Acme Corp', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  (2, 'globex', 'Globex', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO users (id, org_id, name, email, created_at, updated_at) VALUES
  (1, 1, 'Ada', 'ada@acme.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  (2, 1, 'Brian', 'brian@acme.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  (3, 2, 'Grace', 'grace@globex.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  (4, 2, 'Hank', 'hank@globex.test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO posts (id, org_id, author_id, title, body, published, created_at, updated_at) VALUES
  (1, 1, 1, 'Acme one', 'first', 1, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  (2, 1, 2, 'Acme two', 'second', 0, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  (3, 1, 1, 'Acme three', 'third', 1, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  (4, 2, 3, 'Globex one', 'secret', 1, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  (5, 2, 4, 'Globex two', 'secret too', 0, '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
INSERT INTO comments (id, org_id, post_id, author_id, body, created_at, updated_at) VALUES
  (1, 1, 1, 2, 'Nice', '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
  (2, 1, 1, 1, 'Thanks', '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
  (3, 1, 3, 2, 'Hm', '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
  (4, 2, 4, 4, 'Globex only', '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z');
-- Notes (migrations/0005): what the fail-closed probes must leave exactly as it is.
INSERT INTO notes (id, org_id, body, status, created_at, updated_at) VALUES
  (1, 1, 'acme first', 'open', '2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z'),
  (2, 1, 'acme second', 'done', '2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z'),
  (3, 2, 'globex first', 'open', '2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z'),
  (4, 2, 'globex second', 'done', '2026-01-04T00:00:00.000Z', '2026-01-04T00:00:00.000Z');
