-- Batch items and async jobs write request-log rows too (issue 22): the kind's CHECK takes
-- 'batch' and 'job'. SQLite cannot change a CHECK in place, so the table is rebuilt with its rows
-- and indexes; nothing else changes.

CREATE TABLE request_log_new (
  id TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('generation', 'edit', 'embed', 'batch', 'job')),
  model TEXT,
  size TEXT,
  quality TEXT,
  n INTEGER,
  cache TEXT CHECK (cache IN ('HIT', 'MISS', 'JOIN', 'BYPASS')),
  status INTEGER NOT NULL,
  code TEXT,
  reserved_micros INTEGER NOT NULL DEFAULT 0,
  charged_micros INTEGER NOT NULL DEFAULT 0,
  cost_micros INTEGER NOT NULL DEFAULT 0,
  saved_micros INTEGER NOT NULL DEFAULT 0,
  upstream TEXT,
  duration_ms INTEGER,
  ttfb_ms INTEGER,
  image_count INTEGER NOT NULL DEFAULT 0,
  images TEXT NOT NULL DEFAULT '[]',
  prompt TEXT
) STRICT;

INSERT INTO request_log_new SELECT id, created_at, key_id, kind, model, size, quality, n, cache,
  status, code, reserved_micros, charged_micros, cost_micros, saved_micros, upstream, duration_ms,
  ttfb_ms, image_count, images, prompt FROM request_log;
DROP TABLE request_log;
ALTER TABLE request_log_new RENAME TO request_log;

CREATE INDEX request_log_time ON request_log (created_at, id);
CREATE INDEX request_log_key ON request_log (key_id, created_at, id);
CREATE INDEX request_log_model ON request_log (model, created_at, id);
CREATE INDEX request_log_cache ON request_log (cache, created_at, id);
CREATE INDEX request_log_status ON request_log (status, created_at, id);
