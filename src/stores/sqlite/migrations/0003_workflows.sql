-- 0003: workflow definitions, runs and their steps; tasks learn which run and step they belong to.
-- Advancing a run happens in the transaction that ends one of its tasks and touches only that step and its
-- dependents (their primary keys): no query scans a run per tick.
--   tasks of a step (outcome, output, usage)      -> tasks_run (partial: tasks of a run)
--   steps of a run (status view, retry, cancel)   -> run_steps primary key (run_id, name)

CREATE TABLE workflows (
  name       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  definition TEXT    NOT NULL,  -- JSON WorkflowSpec (normalised)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (name, version)
) WITHOUT ROWID;

CREATE TABLE workflow_runs (
  id            INTEGER PRIMARY KEY,
  workflow      TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  status        TEXT    NOT NULL,            -- running | paused | completed | failed | cancelled
  inputs        TEXT    NOT NULL,            -- JSON
  defaults      TEXT    NOT NULL,            -- JSON TaskDefaults at creation: the steps' tasks use them
  open_steps    INTEGER NOT NULL,            -- steps not yet final; the run ends when it reaches 0
  failed_steps  INTEGER NOT NULL DEFAULT 0,  -- steps failed (without continue_on_failure) or cancelled
  error         TEXT,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL    NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  finished_at   INTEGER
);
CREATE INDEX runs_workflow ON workflow_runs (workflow, id);

CREATE TABLE run_steps (
  run_id        INTEGER NOT NULL,
  name          TEXT    NOT NULL,
  idx           INTEGER NOT NULL,            -- position in the definition
  status        TEXT    NOT NULL,            -- pending | ready | running | completed | failed | skipped | cancelled
  waiting       INTEGER NOT NULL,            -- needs not yet final
  live          INTEGER NOT NULL DEFAULT 0,  -- final needs that completed (or failed with continue_on_failure)
  blocked       TEXT,                        -- set when a need failed or was cancelled: the step will be cancelled
  items         INTEGER,                     -- tasks started (1, or one per for_each item); NULL before start
  items_open    INTEGER NOT NULL DEFAULT 0,  -- of those, not yet final
  output        TEXT,
  result        TEXT,                        -- JSON
  reason        TEXT,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL    NOT NULL DEFAULT 0,
  started_at    INTEGER,
  finished_at   INTEGER,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

ALTER TABLE tasks ADD COLUMN run_id INTEGER;                -- the workflow run, NULL for a plain task
ALTER TABLE tasks ADD COLUMN step TEXT;                     -- the step of that run
ALTER TABLE tasks ADD COLUMN item INTEGER;                  -- for_each item index, NULL otherwise
ALTER TABLE tasks ADD COLUMN held INTEGER NOT NULL DEFAULT 0; -- 1: held pending because its run is paused (counted in deps_pending)
CREATE INDEX tasks_run ON tasks (run_id, step, item) WHERE run_id IS NOT NULL;
