-- The operator's request log (issue 21). Times are milliseconds since the Unix epoch (UTC);
-- amounts are integer micro-dollars (1 USD = 1,000,000), so sums never drift.

-- One row per request that reached the gateway's core: generations, edits and embed visits
-- that generated, cache hits, joins, bypasses, and refusals with their code.
CREATE TABLE request_log (
  id TEXT PRIMARY KEY NOT NULL,        -- x-gateway-request-id
  created_at INTEGER NOT NULL,         -- when the request reached the gateway
  key_id TEXT NOT NULL,                -- a managed key's id, or 'anonymous', 'embed', 'operator:N'
  kind TEXT NOT NULL CHECK (kind IN ('generation', 'edit', 'embed')),
  model TEXT,                          -- null when refused before the model was known
  size TEXT,
  quality TEXT,
  n INTEGER,
  cache TEXT CHECK (cache IN ('HIT', 'MISS', 'JOIN', 'BYPASS')), -- null: refused before the cache
  status INTEGER NOT NULL,             -- the HTTP status answered
  code TEXT,                           -- the error's code; null on success
  reserved_micros INTEGER NOT NULL DEFAULT 0, -- held from the payer's balance before the call
  charged_micros INTEGER NOT NULL DEFAULT 0,  -- taken from the payer's balance when settled
  cost_micros INTEGER NOT NULL DEFAULT 0,     -- what the upstream's usage is worth (the spend)
  saved_micros INTEGER NOT NULL DEFAULT 0,    -- a hit's or join's price, not spent again
  upstream TEXT,                       -- the upstream's name (never its URL or key)
  duration_ms INTEGER,
  ttfb_ms INTEGER,                     -- time to the answer's first byte
  image_count INTEGER NOT NULL DEFAULT 0,
  images TEXT NOT NULL DEFAULT '[]',   -- JSON array of stored file names ('<32 hex>.png')
  prompt TEXT                          -- the operator's eyes only: never in log lines
) STRICT;

-- Newest first with a (created_at, id) cursor, alone or filtered by one column; usage reports
-- read a created_at range from the first.
CREATE INDEX request_log_time ON request_log (created_at, id);
CREATE INDEX request_log_key ON request_log (key_id, created_at, id);
CREATE INDEX request_log_model ON request_log (model, created_at, id);
CREATE INDEX request_log_cache ON request_log (cache, created_at, id);
CREATE INDEX request_log_status ON request_log (status, created_at, id);

-- Views of stored images, counted per UTC day: one row per image and day, not one per view.
CREATE TABLE image_views (
  day TEXT NOT NULL,                   -- 'YYYY-MM-DD'
  image TEXT NOT NULL,                 -- the stored file name
  views INTEGER NOT NULL,
  PRIMARY KEY (day, image)
) STRICT, WITHOUT ROWID;

-- What was done through the admin API, by whom (a fingerprint of the admin token, never the
-- token), to what, and when. Kept past the request log's retention: it is the audit trail.
CREATE TABLE admin_actions (
  id INTEGER PRIMARY KEY,              -- the order of recording
  created_at INTEGER NOT NULL,
  admin TEXT NOT NULL,
  action TEXT NOT NULL,                -- e.g. 'key.create', 'key.credit', 'key.revoke'
  target TEXT,                         -- the key acted on
  detail TEXT NOT NULL DEFAULT '{}'    -- JSON: what changed (names, amounts; never a secret)
) STRICT;

CREATE INDEX admin_actions_time ON admin_actions (created_at, id);
