/* store_schema: the numbered migrations. Never edit a released migration; add a new one. */
#include "store.h"

static const bt_migration migrations[] = {
    {1,
     "CREATE TABLE jobs (\n"
     "  id                  TEXT PRIMARY KEY,\n"
     "  name                TEXT NOT NULL,\n"
     "  provider            TEXT NOT NULL,\n"
     "  model               TEXT NOT NULL,\n"
     "  endpoint            TEXT NOT NULL,\n"
     "  state               TEXT NOT NULL CHECK (state IN ('draft','submitting','running',\n"
     "                        'completed','failed','cancelled')),\n"
     "  template_path       TEXT,\n"
     "  template_text       TEXT,\n"
     "  input_path          TEXT,\n"
     "  input_format        TEXT,\n"
     "  input_fields        TEXT NOT NULL DEFAULT '[]',\n"
     "  options             TEXT NOT NULL DEFAULT '{}',\n"
     "  chunk_size          INTEGER NOT NULL DEFAULT 0,\n"
     "  max_cost_usd        REAL,\n"
     "  est_cost_usd        REAL NOT NULL DEFAULT 0,\n"
     "  est_cost_std_usd    REAL NOT NULL DEFAULT 0,\n"
     "  est_input_tokens    INTEGER NOT NULL DEFAULT 0,\n"
     "  est_output_tokens   INTEGER NOT NULL DEFAULT 0,\n"
     "  actual_cost_usd     REAL NOT NULL DEFAULT 0,\n"
     "  actual_input_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  actual_output_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  last_error          TEXT,\n"
     "  pipeline_id         TEXT,\n"
     "  stage_no            INTEGER,\n"
     "  stage_name          TEXT,\n"
     "  created_at          INTEGER NOT NULL,\n"
     "  updated_at          INTEGER NOT NULL,\n"
     "  finished_at         INTEGER\n"
     ");\n"
     "CREATE UNIQUE INDEX jobs_created ON jobs(created_at, id);\n"
     "CREATE TABLE job_counts (\n"
     "  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
     "  state  TEXT NOT NULL,\n"
     "  n      INTEGER NOT NULL,\n"
     "  PRIMARY KEY (job_id, state)\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE tasks (\n"
     "  id               INTEGER PRIMARY KEY,\n"
     "  job_id           TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
     "  row_no           INTEGER NOT NULL,\n"
     "  line_no          INTEGER NOT NULL,\n"
     "  custom_id        TEXT NOT NULL,\n"
     "  state            TEXT NOT NULL CHECK (state IN ('pending','running','succeeded',\n"
     "                     'failed','expired','cancelled')),\n"
     "  input            TEXT NOT NULL,\n"
     "  request          TEXT NOT NULL,\n"
     "  request_bytes    INTEGER NOT NULL,\n"
     "  est_input_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  attempts         INTEGER NOT NULL DEFAULT 0,\n"
     "  last_attempt_id  INTEGER,\n"
     "  error_code       TEXT,\n"
     "  output           TEXT,\n"
     "  updated_at       INTEGER NOT NULL,\n"
     "  UNIQUE (job_id, row_no),\n"
     "  UNIQUE (job_id, custom_id)\n"
     ");\n"
     "CREATE INDEX tasks_job_state ON tasks(job_id, state);\n"
     "CREATE INDEX tasks_job_error ON tasks(job_id, error_code) WHERE error_code IS NOT NULL;\n"
     "CREATE TABLE batches (\n"
     "  id               INTEGER PRIMARY KEY,\n"
     "  job_id           TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
     "  chunk_no         INTEGER NOT NULL,\n"
     "  round            INTEGER NOT NULL DEFAULT 1,\n"
     "  provider         TEXT NOT NULL,\n"
     "  tag              TEXT NOT NULL UNIQUE,\n"
     "  state            TEXT NOT NULL CHECK (state IN ('intent','uploading','uploaded',\n"
     "                     'creating','remote','done')),\n"
     "  remote_id        TEXT,\n"
     "  remote_status    TEXT,\n"
     "  input_file_id    TEXT,\n"
     "  output_file_id   TEXT,\n"
     "  error_file_id    TEXT,\n"
     "  results_url      TEXT,\n"
     "  n_requests       INTEGER NOT NULL,\n"
     "  n_bytes          INTEGER NOT NULL DEFAULT 0,\n"
     "  n_succeeded      INTEGER NOT NULL DEFAULT 0,\n"
     "  n_failed         INTEGER NOT NULL DEFAULT 0,\n"
     "  results_state    TEXT NOT NULL DEFAULT 'none' CHECK (results_state IN\n"
     "                     ('none','downloading','ingested')),\n"
     "  created_at       INTEGER NOT NULL,\n"
     "  submitted_at     INTEGER,\n"
     "  remote_created_at INTEGER,\n"
     "  in_progress_at   INTEGER,\n"
     "  finalizing_at    INTEGER,\n"
     "  ended_at         INTEGER,\n"
     "  expires_at       INTEGER,\n"
     "  next_poll_at     INTEGER,\n"
     "  last_error       TEXT,\n"
     "  updated_at       INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX batches_job ON batches(job_id, chunk_no, round);\n"
     "CREATE UNIQUE INDEX batches_remote ON batches(provider, remote_id)\n"
     "  WHERE remote_id IS NOT NULL;\n"
     "CREATE TABLE attempts (\n"
     "  id            INTEGER PRIMARY KEY,\n"
     "  task_id       INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,\n"
     "  batch_id      INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,\n"
     "  job_id        TEXT NOT NULL,\n"
     "  attempt_no    INTEGER NOT NULL,\n"
     "  state         TEXT NOT NULL CHECK (state IN ('running','succeeded','failed',\n"
     "                  'expired','cancelled')),\n"
     "  http_status   INTEGER,\n"
     "  response      TEXT,\n"
     "  output        TEXT,\n"
     "  error_code    TEXT,\n"
     "  error_message TEXT,\n"
     "  input_tokens  INTEGER NOT NULL DEFAULT 0,\n"
     "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  cached_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  cost_usd      REAL NOT NULL DEFAULT 0,\n"
     "  created_at    INTEGER NOT NULL,\n"
     "  finished_at   INTEGER,\n"
     "  UNIQUE (batch_id, task_id)\n"
     ");\n"
     "CREATE INDEX attempts_task ON attempts(task_id, attempt_no);\n"
     "CREATE INDEX attempts_job_finished ON attempts(job_id, finished_at)\n"
     "  WHERE finished_at IS NOT NULL;\n"
     "CREATE TABLE events (\n"
     "  id       INTEGER PRIMARY KEY,\n"
     "  at       INTEGER NOT NULL,\n"
     "  job_id   TEXT,\n"
     "  batch_id INTEGER,\n"
     "  level    TEXT NOT NULL,\n"
     "  kind     TEXT NOT NULL,\n"
     "  message  TEXT NOT NULL\n"
     ");\n"
     "CREATE INDEX events_job ON events(job_id, at);\n"
     "CREATE TABLE leases (\n"
     "  job_id     TEXT PRIMARY KEY,\n"
     "  owner      TEXT NOT NULL,\n"
     "  pid        INTEGER NOT NULL,\n"
     "  expires_at INTEGER NOT NULL\n"
     ");\n"
     /* Counts: every task is in exactly one state, so these always add up. */
     "CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN\n"
     "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
     "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
     "END;\n"
     "CREATE TRIGGER tasks_count_update AFTER UPDATE OF state ON tasks\n"
     "  WHEN OLD.state <> NEW.state BEGIN\n"
     "  UPDATE job_counts SET n = n - 1 WHERE job_id = OLD.job_id AND state = OLD.state;\n"
     "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
     "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
     "END;\n"
     "CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN\n"
     "  UPDATE job_counts SET n = n - 1 WHERE job_id = OLD.job_id AND state = OLD.state;\n"
     "END;\n"
     /* Actual spend and tokens per job follow the attempts. */
     "CREATE TRIGGER attempts_cost_insert AFTER INSERT ON attempts BEGIN\n"
     "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd,\n"
     "    actual_input_tokens = actual_input_tokens + NEW.input_tokens,\n"
     "    actual_output_tokens = actual_output_tokens + NEW.output_tokens\n"
     "  WHERE id = NEW.job_id;\n"
     "END;\n"
     "CREATE TRIGGER attempts_cost_update AFTER UPDATE OF cost_usd, input_tokens, output_tokens\n"
     "  ON attempts BEGIN\n"
     "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd - OLD.cost_usd,\n"
     "    actual_input_tokens = actual_input_tokens + NEW.input_tokens - OLD.input_tokens,\n"
     "    actual_output_tokens = actual_output_tokens + NEW.output_tokens - OLD.output_tokens\n"
     "  WHERE id = NEW.job_id;\n"
     "END;\n"},
    /* 2 (engine): a cancel asked for survives a crash; the engine finishes it on resume. */
    {2, "ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;\n"
        "ALTER TABLE batches ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;\n"
        /* Result lines of a download land here first, appended in file order (cheap), and are
         * applied to attempts and tasks in one ordered pass when the download is complete. */
        "CREATE TABLE staged_results (\n"
        "  batch_id      INTEGER NOT NULL,\n"
        "  attempt_id    INTEGER NOT NULL,\n"
        "  task_id       INTEGER NOT NULL,\n"
        "  state         TEXT NOT NULL,\n"
        "  http_status   INTEGER,\n"
        "  response      TEXT,\n"
        "  output        TEXT,\n"
        "  error_code    TEXT,\n"
        "  error_message TEXT,\n"
        "  input_tokens  INTEGER NOT NULL DEFAULT 0,\n"
        "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
        "  cached_tokens INTEGER NOT NULL DEFAULT 0\n"
        ");\n"
        "CREATE INDEX staged_results_batch ON staged_results(batch_id);\n"},
    /* 3 (pipelines): chained stages. Each stage is a job (jobs.pipeline_id, stage_no); a later
     * stage is held open (jobs.hold) while rows can still flow into it from the stage before;
     * rows a stage's where-condition filtered out are remembered in pipeline_skips. */
    {3,
     "CREATE TABLE pipelines (\n"
     "  id         TEXT PRIMARY KEY,\n"
     "  name       TEXT NOT NULL,\n"
     "  path       TEXT NOT NULL,\n"
     "  spec       TEXT NOT NULL,\n"
     "  input_path TEXT NOT NULL,\n"
     "  n_stages   INTEGER NOT NULL,\n"
     "  created_at INTEGER NOT NULL,\n"
     "  updated_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX pipelines_name ON pipelines(name, created_at);\n"
     "ALTER TABLE jobs ADD COLUMN hold INTEGER NOT NULL DEFAULT 0;\n"
     "CREATE UNIQUE INDEX jobs_pipeline_stage ON jobs(pipeline_id, stage_no)\n"
     "  WHERE pipeline_id IS NOT NULL;\n"
     "CREATE TABLE pipeline_skips (\n"
     "  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
     "  row_no INTEGER NOT NULL,\n"
     "  PRIMARY KEY (job_id, row_no)\n"
     ") WITHOUT ROWID;\n"},
    /* 4: read-side indexes for the dashboard (core/store_query.c). A job's task page filtered
     * by state comes out in row order without a sort; the header's "spend today" and "running
     * jobs" are index range reads instead of table scans. tasks_job_state is a prefix of the
     * new index, so it goes. */
    {4,
     "DROP INDEX tasks_job_state;\n"
     "CREATE INDEX tasks_job_state_row ON tasks(job_id, state, row_no);\n"
     "CREATE INDEX jobs_state ON jobs(state);\n"
     "CREATE INDEX attempts_finished ON attempts(finished_at, cost_usd)\n"
     "  WHERE finished_at IS NOT NULL;\n"},
    /* 5 (ingest): a downloaded result file is applied as a set instead of row by row. While
     * store_flags.bulk is 1 the per-row count and cost triggers stand aside and the applying
     * transaction corrects job_counts and jobs' actual cost/tokens once for the whole file;
     * bulk is set and cleared inside that one transaction, so no reader or other writer ever
     * sees it set and counts add up at every commit. Staged lines are unique per attempt
     * (the first staged line of an attempt wins, as the first applied did before) and their
     * index gives the attempt order the apply walks in. Staged lines belong to downloads in
     * progress, which start over by clearing them, so dropping them here loses nothing. */
    {5,
     "CREATE TABLE store_flags (bulk INTEGER NOT NULL);\n"
     "INSERT INTO store_flags(bulk) VALUES (0);\n"
     "DELETE FROM staged_results;\n"
     "DROP INDEX staged_results_batch;\n"
     "CREATE UNIQUE INDEX staged_results_attempt ON staged_results(batch_id, attempt_id);\n"
     "DROP TRIGGER tasks_count_update;\n"
     "CREATE TRIGGER tasks_count_update AFTER UPDATE OF state ON tasks\n"
     "  WHEN OLD.state <> NEW.state AND (SELECT bulk FROM store_flags) = 0 BEGIN\n"
     "  UPDATE job_counts SET n = n - 1 WHERE job_id = OLD.job_id AND state = OLD.state;\n"
     "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
     "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
     "END;\n"
     "DROP TRIGGER attempts_cost_update;\n"
     "CREATE TRIGGER attempts_cost_update AFTER UPDATE OF cost_usd, input_tokens, output_tokens\n"
     "  ON attempts WHEN (SELECT bulk FROM store_flags) = 0 BEGIN\n"
     "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd - OLD.cost_usd,\n"
     "    actual_input_tokens = actual_input_tokens + NEW.input_tokens - OLD.input_tokens,\n"
     "    actual_output_tokens = actual_output_tokens + NEW.output_tokens - OLD.output_tokens\n"
     "  WHERE id = NEW.job_id;\n"
     "END;\n"},
    /* 6 (ingest): response bodies live in their own table, appended in the order the result
     * lines arrive, and an attempt points at its body. Before, each body was written twice
     * (staged, then copied into its attempt, growing a 60-byte row to ~500 bytes in place);
     * now staging writes it once and the apply only moves small fields. Staged lines keep the
     * body's id; lines that never apply (repeated, or for a terminal attempt) take their body
     * with them. Old bodies move over with their attempt's id as theirs. */
    {6,
     "CREATE TABLE responses (\n"
     "  id   INTEGER PRIMARY KEY,\n"
     "  body TEXT NOT NULL\n"
     ");\n"
     "INSERT INTO responses(id, body) SELECT id, response FROM attempts\n"
     "  WHERE response IS NOT NULL;\n"
     "ALTER TABLE attempts ADD COLUMN response_id INTEGER;\n"
     "UPDATE attempts SET response_id = id WHERE response IS NOT NULL;\n"
     "ALTER TABLE attempts DROP COLUMN response;\n"
     "CREATE TRIGGER attempts_response_delete AFTER DELETE ON attempts\n"
     "  WHEN OLD.response_id IS NOT NULL BEGIN\n"
     "  DELETE FROM responses WHERE id = OLD.response_id;\n"
     "END;\n"
     /* Staged lines belong to downloads in progress, which start over by clearing them. */
     "DROP TABLE staged_results;\n"
     "CREATE TABLE staged_results (\n"
     "  batch_id      INTEGER NOT NULL,\n"
     "  attempt_id    INTEGER NOT NULL,\n"
     "  task_id       INTEGER NOT NULL,\n"
     "  state         TEXT NOT NULL,\n"
     "  http_status   INTEGER,\n"
     "  response_id   INTEGER,\n"
     "  output        TEXT,\n"
     "  error_code    TEXT,\n"
     "  error_message TEXT,\n"
     "  input_tokens  INTEGER NOT NULL DEFAULT 0,\n"
     "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
     "  cached_tokens INTEGER NOT NULL DEFAULT 0\n"
     ");\n"
     "CREATE UNIQUE INDEX staged_results_attempt ON staged_results(batch_id, attempt_id);\n"},
    /* 7 (engine): chunks held back by OpenAI's enqueued-token limit (retry_requeue_batch). A
     * held chunk is a batch in state intent with next_poll_at set: not to be sent before that
     * wall-clock time, so the wait survives a restart. token_waits counts how often its tasks
     * were refused in a row (the backoff doubles with it), token_lone how often with nothing
     * else of that model in flight (the engine gives up after a few). */
    {7, "ALTER TABLE batches ADD COLUMN token_waits INTEGER NOT NULL DEFAULT 0;\n"
        "ALTER TABLE batches ADD COLUMN token_lone INTEGER NOT NULL DEFAULT 0;\n"},
    /* 8 (engine): the enqueued-token limit a provider stated in its last refusal, per model
     * ("Limit: 2,000,000 enqueued tokens"; retry_token_limit_learn). It is the organisation's,
     * not a job's: every later chunk of the model is cut and paced by it, and it outlives the
     * job that learned it. */
    {8, "CREATE TABLE token_limits (\n"
        "  provider   TEXT NOT NULL,\n"
        "  model      TEXT NOT NULL,\n"
        "  tokens     INTEGER NOT NULL,\n"
        "  learned_at INTEGER NOT NULL,\n"
        "  PRIMARY KEY (provider, model)\n"
        ") WITHOUT ROWID;\n"},
    /* 9 (ingest): a download is spooled to a file and ingested whole in one transaction, its
     * lines staged in a temporary table (store_attempt.c), so staged_results goes. Rows left
     * in it belong to downloads that never finished, which start over; their bodies go too. */
    {9, "DELETE FROM responses WHERE id IN (SELECT response_id FROM staged_results);\n"
        "DROP TABLE staged_results;\n"},
    /* 10: a task's input row and rendered request (a prompt: often kilobytes) live beside it,
     * keyed by the task's id. They never change, but every state change of a task (pending,
     * running, its result, a retry) rewrote them with the row: a 1M-row job with 1.5 KB
     * requests spent 40% of its result ingestion copying requests. */
    {10, "CREATE TABLE task_inputs (\n"
         "  task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,\n"
         "  input   TEXT NOT NULL,\n"
         "  request TEXT NOT NULL\n"
         ");\n"
         "INSERT INTO task_inputs(task_id, input, request) SELECT id, input, request FROM tasks;\n"
         "ALTER TABLE tasks DROP COLUMN input;\n"
         "ALTER TABLE tasks DROP COLUMN request;\n"},
    /* 11: when attempts finished, and what they cost, per job in 100 ms steps (the finer
     * history moves over as it was). The dashboard's spend today, a job's recent rate and its
     * sparkline read this instead of two indexes over every finished attempt, which grew by two
     * entries per result (0.7 s of a 1M-line ingest) and made spend today a scan of every
     * attempt that finished today, once a second. */
    {11, "CREATE TABLE finish_log (\n"
         "  job_id   TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
         "  at       INTEGER NOT NULL,\n"
         "  n        INTEGER NOT NULL,\n"
         "  cost_usd REAL NOT NULL,\n"
         "  PRIMARY KEY (job_id, at)\n"
         ") WITHOUT ROWID;\n"
         "CREATE INDEX finish_log_at ON finish_log(at, cost_usd);\n"
         "INSERT INTO finish_log(job_id, at, n, cost_usd) SELECT job_id, finished_at, count(*),\n"
         "  total(cost_usd) FROM attempts WHERE finished_at IS NOT NULL GROUP BY 1, 2;\n"
         "DROP INDEX attempts_finished;\n"
         "DROP INDEX attempts_job_finished;\n"},
    /* 12 (job creation): the insert triggers stand aside in bulk mode too (as the update
     * triggers do since migration 5). Building a job inserts a task and its first attempt per
     * row; the triggers added a job_counts upsert and a jobs update to each, three writes of
     * bookkeeping per row that job_builder_finish now makes once. */
    {12, "DROP TRIGGER tasks_count_insert;\n"
         "CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks\n"
         "  WHEN (SELECT bulk FROM store_flags) = 0 BEGIN\n"
         "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
         "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
         "END;\n"
         "DROP TRIGGER attempts_cost_insert;\n"
         "CREATE TRIGGER attempts_cost_insert AFTER INSERT ON attempts\n"
         "  WHEN (SELECT bulk FROM store_flags) = 0 BEGIN\n"
         "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd,\n"
         "    actual_input_tokens = actual_input_tokens + NEW.input_tokens,\n"
         "    actual_output_tokens = actual_output_tokens + NEW.output_tokens\n"
         "  WHERE id = NEW.job_id;\n"
         "END;\n"},
    /* 13 (engine): a chunk's estimated input tokens, summed once when it is sized
     * (store_batch_set_size). The budget check before each chunk and the enqueued-token pacing
     * summed them over every running attempt of the batches in flight: 1M rows per check for a
     * 1M-task job with all its chunks out. */
    {13, "ALTER TABLE batches ADD COLUMN est_input_tokens INTEGER NOT NULL DEFAULT 0;\n"
         "UPDATE batches SET est_input_tokens = (SELECT coalesce(sum(t.est_input_tokens), 0)\n"
         "  FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE a.batch_id = batches.id\n"
         "  AND a.state = 'running');\n"},
    /* 14 (ingest): the state index keeps only tasks that ended without success. Every result
     * moved its task from one entry of tasks_job_state_row to another (1.0 s of a 1M-line
     * ingest), as did every task of a chunk sent out; building a job added an entry per row.
     * What reads tasks by state wants the problem ones (retry, errors, the failed filter);
     * pending, running and succeeded pages walk the job's rows in order. The WHERE is written
     * as ORs, the exact form of STORE_PROBLEM_STATES: an IN list here would be evaluated by
     * building a temporary index on every write of a task. */
    {14, "DROP INDEX tasks_job_state_row;\n"
         "CREATE INDEX tasks_job_problem ON tasks(job_id, state, row_no)\n"
         "  WHERE (state = 'failed' OR state = 'expired' OR state = 'cancelled');\n"},
    /* 15: the count and cost triggers move to each connection (store.c, STORE_TRIGGERS), so a
     * bulk writer can set them aside by dropping its own copies. With store_flags.bulk they
     * still ran for every row the job builder or an ingest wrote, only to find the flag up:
     * SQLite builds a trigger's OLD and NEW rows and enters its program before it looks at
     * WHEN (0.5 s of a 1M-line ingest). */
    {15, "DROP TRIGGER tasks_count_update;\n"
         "DROP TRIGGER tasks_count_insert;\n"
         "DROP TRIGGER attempts_cost_update;\n"
         "DROP TRIGGER attempts_cost_insert;\n"
         "DROP TABLE store_flags;\n"},
    /* 16 (cli): why a job is paused (an engine found no API key for its provider and no other
     * process drives it); NULL once an engine that can drive it takes it. status, jobs and the
     * dashboard show it instead of the job's stale "submitting". */
    {16, "ALTER TABLE jobs ADD COLUMN paused TEXT;\n"},
    /* 17: batches found at the provider for a chunk that already has one (a create made twice
     * by a process that died, a late landing): cancelled at once and reported, with their cost
     * so far. Never adopted, never ingested; their remote ids count as known (reconciling). */
    {17, "CREATE TABLE duplicate_batches (\n"
         "  id            INTEGER PRIMARY KEY,\n"
         "  job_id        TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,\n"
         "  batch_id      INTEGER,\n"
         "  chunk_no      INTEGER NOT NULL,\n"
         "  provider      TEXT NOT NULL,\n"
         "  remote_id     TEXT NOT NULL,\n"
         "  remote_status TEXT,\n"
         "  n_requests    INTEGER NOT NULL DEFAULT 0,\n"
         "  n_done        INTEGER NOT NULL DEFAULT 0,\n"
         "  cost_usd      REAL NOT NULL DEFAULT 0,\n"
         "  found_at      INTEGER NOT NULL,\n"
         "  cancelled_at  INTEGER,\n"
         "  UNIQUE (provider, remote_id)\n"
         ");\n"
         "CREATE INDEX duplicate_batches_job ON duplicate_batches(job_id);\n"},
};

const bt_migration *store_schema_migrations(int *count) {
  *count = (int)(sizeof migrations / sizeof migrations[0]);
  return migrations;
}
