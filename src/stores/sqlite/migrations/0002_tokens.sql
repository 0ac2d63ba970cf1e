-- 0002: API tokens. Only a hash of each secret is stored; a token is looked up by its hash.
CREATE TABLE tokens (
  id         INTEGER PRIMARY KEY,
  hash       TEXT    NOT NULL UNIQUE,  -- sha256 of the secret, hex
  role       TEXT    NOT NULL,         -- admin | operator | viewer
  name       TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
