-- 0001: tasks, their dependencies, attempts, locks, agents, events, nodes.
-- Hot-path queries and the index each uses:
--   claim: ready tasks per capability set, by priority then id   -> tasks_ready (partial: queued)
--   promote: pending tasks whose time has come                    -> tasks_due (partial: pending, no open deps)
--   schedule timeout: queued tasks past their deadline           -> tasks_deadline (partial: queued)
--   reaper: running tasks whose lease expired                     -> tasks_lease (partial: running)
--   dependents of a finished task                                 -> task_deps primary key (dep_id, task_id)
--   dead letters                                                 -> tasks_dead (partial: dead)
--   running attempts per agent                                    -> tasks_lease
-- There is deliberately no index on status alone: every state change would pay for it, and the
-- listings that would use it (`hive status` counts, task list by status) are not on the hot path.

CREATE TABLE tasks (
  id                  INTEGER PRIMARY KEY,
  title               TEXT    NOT NULL,
  prompt              TEXT    NOT NULL DEFAULT '',
  type                TEXT    NOT NULL DEFAULT 'task',
  priority            INTEGER NOT NULL,            -- 0 critical, 1 high, 2 medium, 3 low
  caps                TEXT    NOT NULL DEFAULT '', -- capability set key: sorted, comma-joined
  locks               TEXT,                        -- JSON array of lock names, NULL when none
  deps                TEXT,                        -- JSON array of task ids, NULL when none
  deps_pending        INTEGER NOT NULL DEFAULT 0,  -- dependencies not yet completed
  status              TEXT    NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,  -- attempts started; the current one is the fencing token
  attempt_base        INTEGER NOT NULL DEFAULT 0,  -- attempts before the last manual requeue (budget restarts there)
  max_attempts        INTEGER NOT NULL,
  backoff_ms          INTEGER NOT NULL,
  backoff_cap_ms      INTEGER NOT NULL,
  timeout_ms          INTEGER NOT NULL DEFAULT 0,
  schedule_timeout_ms INTEGER NOT NULL DEFAULT 0,
  deadline            INTEGER,                     -- queued tasks: when the schedule timeout fires
  run_at              INTEGER NOT NULL DEFAULT 0,  -- pending tasks: not before (retry backoff)
  idem_key            TEXT,
  agent               TEXT,
  agent_id            INTEGER,
  lease_until         INTEGER,
  pid                 INTEGER,
  pid_start           INTEGER,
  log_path            TEXT,
  reason              TEXT,
  error               TEXT,
  result              TEXT,                        -- JSON
  output              TEXT,
  input_tokens        INTEGER NOT NULL DEFAULT 0,
  output_tokens       INTEGER NOT NULL DEFAULT 0,
  cost_usd            REAL    NOT NULL DEFAULT 0,
  metadata            TEXT,                        -- JSON object, NULL when empty
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  started_at          INTEGER,
  finished_at         INTEGER
);
CREATE INDEX tasks_ready    ON tasks (caps, priority, id) WHERE status = 'queued';
CREATE INDEX tasks_due      ON tasks (run_at)             WHERE status = 'pending' AND deps_pending = 0;
CREATE INDEX tasks_deadline ON tasks (deadline)           WHERE status = 'queued' AND deadline IS NOT NULL;
CREATE INDEX tasks_lease    ON tasks (lease_until)        WHERE status = 'running';
CREATE INDEX tasks_dead     ON tasks (id)                 WHERE status = 'dead';
CREATE UNIQUE INDEX tasks_idem ON tasks (idem_key)        WHERE idem_key IS NOT NULL; -- most tasks have none: no entry

CREATE TABLE task_deps (
  dep_id  INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  PRIMARY KEY (dep_id, task_id)
) WITHOUT ROWID;

CREATE TABLE attempts (
  task_id       INTEGER NOT NULL,
  attempt       INTEGER NOT NULL,
  agent         TEXT    NOT NULL,
  status        TEXT    NOT NULL,  -- completed | failed | cancelled (the running one lives on the task row)
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER NOT NULL,
  exit_code     INTEGER,
  signal        TEXT,
  error_code    TEXT,
  error         TEXT,
  pid           INTEGER,
  log_path      TEXT,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL    NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;

CREATE TABLE locks (
  name    TEXT    PRIMARY KEY,
  task_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  until   INTEGER           -- NULL: held by the running attempt; else held until then (an aborted process may still be dying)
) WITHOUT ROWID;

CREATE TABLE agents (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL UNIQUE,
  role            TEXT    NOT NULL DEFAULT '',
  caps            TEXT    NOT NULL DEFAULT '',
  runtime         TEXT    NOT NULL,              -- JSON RuntimeSpec
  slots           INTEGER NOT NULL DEFAULT 1,
  env             TEXT    NOT NULL DEFAULT '{}',
  workdir         TEXT,
  limits          TEXT    NOT NULL DEFAULT '{}',
  status          TEXT    NOT NULL DEFAULT 'inactive',
  done            INTEGER NOT NULL DEFAULT 0,
  failed          INTEGER NOT NULL DEFAULT 0,
  recent_failures INTEGER NOT NULL DEFAULT 0,
  input_tokens    INTEGER NOT NULL DEFAULT 0,
  output_tokens   INTEGER NOT NULL DEFAULT 0,
  cost_usd        REAL    NOT NULL DEFAULT 0,
  heartbeat_at    INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE events (
  seq     INTEGER PRIMARY KEY,  -- rowid: strictly increasing; old rows may be pruned, the newest never is
  time    INTEGER NOT NULL,
  type    TEXT    NOT NULL,
  subject TEXT    NOT NULL,
  data    TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX events_subject ON events (subject, seq);

CREATE TABLE nodes (
  id         TEXT    PRIMARY KEY,
  pid        INTEGER NOT NULL,
  pid_start  INTEGER,
  host       TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  stopped_at INTEGER
);
