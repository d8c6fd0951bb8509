/* store: the SQLite database that is batchtop's single source of truth.
 *
 * One file, `<BATCHTOP_HOME>/batchtop.db`, in WAL mode, so one engine can write while any
 * number of readers (another process's dashboard, `status`) read. Numbered migrations bring
 * any older file up to date on open (PRAGMA user_version holds the number).
 *
 * Threads: a bt_store is one connection and belongs to one thread at a time. Each thread that
 * needs the database opens its own (style.md). All store_* functions take the connection
 * they run on. Writers use store_begin()/store_commit() (BEGIN IMMEDIATE) around every unit
 * of work, so a kill -9 leaves either all of it or none.
 *
 * Schema (version 1; see store_schema.c for the exact SQL):
 *
 *   jobs        one row per job: provider, model, endpoint, state (draft|submitting|running|
 *               completed|failed|cancelled), snapshot of the template and input fields,
 *               options, estimates, actual cost/tokens (kept by triggers from attempts),
 *               pipeline membership, timestamps (unix ms).
 *   job_counts  (job_id, state, n): how many tasks of a job are in each state, kept by
 *               triggers on tasks, so counts always add up to the number of tasks.
 *   tasks       one row per input row: row_no (1-based data row), line_no (input line),
 *               custom_id, state (pending|running|succeeded|failed|expired|cancelled),
 *               the input row as a JSON object, the provider-ready request line, the
 *               latest attempt, its error code and the winning output text.
 *   batches     one row per remote batch (or local chunk): job, chunk_no, round (1 = first
 *               submission, 2.. = retries), tag (unique metadata tag used to reconcile after
 *               a crash), local state (intent|uploading|uploaded|creating|remote|done),
 *               remote id and status, file ids, provider counts, timestamps.
 *   attempts    one row per (task, batch): state, http status, raw response, output text,
 *               error code and message, tokens, cost (batch prices).
 *   events      a journal of what happened (job/batch, level, kind, message, time).
 *   leases      which process drives which job (owner, pid, expiry): one engine per job.
 */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <sqlite3.h>
#include <stdint.h>

#include "status.h"

typedef struct bt_store bt_store;

/* Open (creating if needed) the store at path; NULL means <home>/batchtop.db. Runs pending
 * migrations. When the folder is not writable but the store is there, it is opened read-only
 * instead (store_read_only), if its schema is this build's. The caller frees with
 * store_close(). */
bt_status store_open(const char *path, bt_store **out, bt_error *err) BT_WUR;
void store_close(bt_store *s);

/* 1 when the store's folder was not writable, so store_open opened it read-only: reads work,
 * every write fails with a message that says why. */
int store_read_only(const bt_store *s);

/* The file this connection is on. */
const char *store_path(const bt_store *s);

/* The raw connection, for the store_*.c modules only (SQL lives in core/store*.c). */
sqlite3 *store_db(bt_store *s);

/* Current schema version (PRAGMA user_version), and the version this build writes. */
int store_schema_version(bt_store *s);
int store_schema_latest(void);

/* Transactions. store_begin takes the write lock at once (BEGIN IMMEDIATE) and waits up to
 * the busy timeout for it. */
bt_status store_begin(bt_store *s, bt_error *err) BT_WUR;
bt_status store_commit(bt_store *s, bt_error *err) BT_WUR;
void store_rollback(bt_store *s);

/* Bulk writes (the job builder, a result file's ingest), inside a transaction: the triggers
 * that keep each job's counts by state and actual spend row by row (job_counts, jobs.actual_*)
 * stand aside on this connection until store_bulk_end, and the writer corrects those itself
 * before it commits. The CHECKs on states stand aside too (SQLite checks an IN list by building
 * a temporary index for every row): a bulk writer writes only states from bt_task_state. The
 * triggers are this connection's own (every store_open installs them), so other connections keep
 * theirs; a rollback brings them back too. Writers outside batchtop (the sqlite3 shell) have none:
 * the store is batchtop's to write. */
bt_status store_bulk_begin(bt_store *s, bt_error *err) BT_WUR;
bt_status store_bulk_end(bt_store *s, bt_error *err) BT_WUR;

/* Run SQL with no results (several statements allowed). */
bt_status store_exec(bt_store *s, const char *sql, bt_error *err) BT_WUR;

/* Prepare a statement; on failure err holds SQLite's message. Caller finalizes. */
bt_status store_prepare(bt_store *s, const char *sql, sqlite3_stmt **stmt, bt_error *err) BT_WUR;

/* Turn the connection's last SQLite error into err; returns BT_ERR_STORE (or BT_ERR_BUSY). */
bt_status store_fail(bt_store *s, bt_error *err, const char *what);

/* Append an event to the journal (no transaction of its own). job_id may be NULL; batch_id 0. */
bt_status store_event(bt_store *s, const char *job_id, int64_t batch_id, const char *level,
                      const char *kind, const char *message, bt_error *err) BT_WUR;

/* Internal: the migration list (store_schema.c). */
typedef struct {
  int version;
  const char *sql;
} bt_migration;
const bt_migration *store_schema_migrations(int *count);

#endif
