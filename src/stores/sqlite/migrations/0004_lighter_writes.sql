-- 0004: lighter writes per task (see docs/benchmarks.md).
-- 1. The exit code of the attempt that completed a task, on the task row. A task whose first attempt completes
--    gets no `attempts` row: the task row holds that attempt (agent, times, pid, log, usage, exit code) and
--    listAttempts derives it. Rows written before this migration stay and are read as before.
-- 2. The events of a task form a chain instead of one `events_subject` entry each: `events.prev` is the seq of the
--    task's previous event (0 for its first), `tasks.last_seq` the seq of its latest. `task:<id>` lookups walk
--    it. Events outside any chain (prev NULL: other subjects, or a task subject without its task) keep an index
--    on (subject, seq), now partial.
--   events of a task, newest first        -> tasks.last_seq, then events primary key (seq) via prev
--   events of another subject (run, agent) -> events_unchained (partial: prev IS NULL)
-- 3. `tasks.dependents`: 1 once some task depends on this one, so completing a task without dependents skips
--    its look-up in task_deps.
ALTER TABLE tasks ADD COLUMN exit_code INTEGER;
ALTER TABLE tasks ADD COLUMN last_seq INTEGER;
ALTER TABLE tasks ADD COLUMN dependents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN prev INTEGER;
UPDATE tasks SET dependents = 1 WHERE id IN (SELECT dep_id FROM task_deps);

-- chain the existing events of every existing task (events_subject still answers these lookups)
UPDATE events SET prev = COALESCE((SELECT MAX(e.seq) FROM events AS e WHERE e.subject = events.subject AND e.seq < events.seq), 0)
  WHERE subject GLOB 'task:[1-9]*' AND length(subject) <= 20
    AND EXISTS (SELECT 1 FROM tasks WHERE tasks.id = CAST(substr(events.subject, 6) AS INTEGER) AND 'task:' || tasks.id = events.subject);
UPDATE tasks SET last_seq = (SELECT MAX(seq) FROM events WHERE subject = 'task:' || tasks.id);

DROP INDEX events_subject;
CREATE INDEX events_unchained ON events (subject, seq) WHERE prev IS NULL;
