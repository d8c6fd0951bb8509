/* store: connection, migrations, transactions. */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "secret.h"
#include "util.h"

struct bt_store {
  sqlite3 *db;
  char *path;
  int read_only; /* its folder is not writable: opened read-only (store_open) */
};

/* What a failed write on a read-only store adds to its message: why. */
static const char *ro_why(const bt_store *s) {
  return s->read_only ? "; the store is open read-only, as its folder is not writable" : "";
}

bt_status store_fail(bt_store *s, bt_error *err, const char *what) {
  int code = sqlite3_errcode(s->db);
  bt_status st = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? BT_ERR_BUSY : BT_ERR_STORE;
  return error_set(err, st, "%s: %s (%s%s)", what, sqlite3_errmsg(s->db), s->path, ro_why(s));
}

bt_status store_exec(bt_store *s, const char *sql, bt_error *err) {
  char *msg = NULL;
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    bt_status st = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? BT_ERR_BUSY : BT_ERR_STORE;
    error_set(err, st, "%s (%s%s)", msg ? msg : sqlite3_errstr(rc), s->path, ro_why(s));
    sqlite3_free(msg);
    return st;
  }
  return BT_OK;
}

bt_status store_prepare(bt_store *s, const char *sql, sqlite3_stmt **stmt, bt_error *err) {
  if (sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL) != SQLITE_OK)
    return store_fail(s, err, "preparing a query");
  return BT_OK;
}

int store_schema_latest(void) {
  int n;
  const bt_migration *m = store_schema_migrations(&n);
  return m[n - 1].version;
}

int store_schema_version(bt_store *s) {
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  return v;
}

static bt_status store_migrate(bt_store *s, bt_error *err) {
  int n;
  const bt_migration *m = store_schema_migrations(&n);
  bt_status st = store_begin(s, err);
  if (st)
    return st;
  int have = store_schema_version(s);
  if (have > m[n - 1].version) {
    store_rollback(s);
    return error_set(err, BT_ERR_STORE,
                     "%s was written by a newer batchtop (schema %d, this build knows %d)", s->path,
                     have, m[n - 1].version);
  }
  for (int i = 0; i < n; i++) {
    if (m[i].version <= have)
      continue;
    st = store_exec(s, m[i].sql, err);
    if (st) {
      error_prefix(err, "migration %d", m[i].version);
      store_rollback(s);
      return st;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m[i].version);
    st = store_exec(s, pragma, err);
    if (st) {
      store_rollback(s);
      return st;
    }
  }
  return store_commit(s, err);
}

/* Once per process, before SQLite's first use: no memory statistics. With them on (SQLite's
 * default) every allocation SQLite makes takes a global mutex to count it; nothing here reads
 * the counts. If SQLite was started already (an embedding program), this changes nothing. */
static void sqlite_setup(void) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* The job's counts by state and its actual spend, kept row by row for every writer but a bulk
 * one (migration 15). TEMP: they belong to this connection, which can drop them for a bulk
 * write without touching any other connection's. */
static const char store_triggers_sql[] =
    "CREATE TEMP TRIGGER IF NOT EXISTS bt_tasks_count_insert AFTER INSERT ON main.tasks BEGIN\n"
    "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
    "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
    "END;\n"
    "CREATE TEMP TRIGGER IF NOT EXISTS bt_tasks_count_update AFTER UPDATE OF state ON main.tasks\n"
    "  WHEN OLD.state <> NEW.state BEGIN\n"
    "  UPDATE job_counts SET n = n - 1 WHERE job_id = OLD.job_id AND state = OLD.state;\n"
    "  INSERT INTO job_counts(job_id, state, n) VALUES (NEW.job_id, NEW.state, 1)\n"
    "    ON CONFLICT(job_id, state) DO UPDATE SET n = n + 1;\n"
    "END;\n"
    "CREATE TEMP TRIGGER IF NOT EXISTS bt_attempts_cost_insert AFTER INSERT ON main.attempts\n"
    "  BEGIN\n"
    "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd,\n"
    "    actual_input_tokens = actual_input_tokens + NEW.input_tokens,\n"
    "    actual_output_tokens = actual_output_tokens + NEW.output_tokens\n"
    "  WHERE id = NEW.job_id;\n"
    "END;\n"
    "CREATE TEMP TRIGGER IF NOT EXISTS bt_attempts_cost_update AFTER UPDATE OF cost_usd,\n"
    "  input_tokens, output_tokens ON main.attempts BEGIN\n"
    "  UPDATE jobs SET actual_cost_usd = actual_cost_usd + NEW.cost_usd - OLD.cost_usd,\n"
    "    actual_input_tokens = actual_input_tokens + NEW.input_tokens - OLD.input_tokens,\n"
    "    actual_output_tokens = actual_output_tokens + NEW.output_tokens - OLD.output_tokens\n"
    "  WHERE id = NEW.job_id;\n"
    "END;\n";

/* The folder path is in, into dir. */
static void folder_of(const char *path, char *dir, size_t size) {
  util_strlcpy(dir, path, size);
  char *slash = strrchr(dir, '/');
  if (!slash)
    util_strlcpy(dir, ".", size);
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
}

/* The folder path is in is not writable (a read-only mount, a folder of someone else's). */
static int folder_read_only(const char *path) {
  char dir[4096];
  folder_of(path, dir, sizeof dir);
  return access(dir, W_OK) != 0;
}

/* Open for reading only: no pragma that writes, no migration (the schema must be this
 * build's). When SQLite cannot even set up its shared memory there (a WAL store on a read-only
 * mount), as an immutable file: nobody can write it while the folder stays read-only. */
static bt_status store_open_ro(bt_store *s, bt_error *err) {
  for (int immutable = 0; immutable <= 1; immutable++) {
    if (s->db)
      sqlite3_close_v2(s->db);
    s->db = NULL;
    char uri[3 * 4096 + 64];
    size_t n = 0;
    n += (size_t)snprintf(uri, sizeof uri, "file:");
    for (const char *p = s->path; *p && n + 4 < sizeof uri - 32; p++) {
      if (*p == '%' || *p == '?' || *p == '#')
        n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", (unsigned char)*p);
      else
        uri[n++] = *p;
    }
    snprintf(uri + n, sizeof uri - n, "%s", immutable ? "?mode=ro&immutable=1" : "?mode=ro");
    int rc = sqlite3_open_v2(uri, &s->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
      break;
    if (immutable)
      return error_set_at(err, BT_ERR_STORE, s->path, 0, 0,
                          "cannot open the store, even read-only: %s",
                          s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
  }
  s->read_only = 1;
  sqlite3_busy_timeout(s->db, 10000);
  bt_status st = store_exec(s, "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;", err);
  if (!st && store_schema_version(s) != store_schema_latest())
    st = error_set_at(err, BT_ERR_STORE, s->path, 0, 0,
                      "the store has schema %d and this build needs %d, but its folder is not "
                      "writable, so it cannot be migrated",
                      store_schema_version(s), store_schema_latest());
  if (!st)
    st = store_exec(s, store_triggers_sql, err); /* TEMP: they live in memory */
  return st;
}

bt_status store_open(const char *path, bt_store **out, bt_error *err) {
  *out = NULL;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, sqlite_setup);
  char def[4096];
  if (!path) {
    bt_status st = home_path("batchtop.db", def, sizeof def, err);
    if (st)
      return st;
    path = def;
  }
  bt_store *s = calloc(1, sizeof *s);
  if (!s)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  s->path = util_xstrdup(path);
  if (folder_read_only(path) && access(path, F_OK) != 0) {
    char dir[4096];
    folder_of(path, dir, sizeof dir);
    error_set_at(err, BT_ERR_STORE, path, 0, 0, "cannot create the store: %s is not writable", dir);
    store_close(s);
    return BT_ERR_STORE;
  }
  if (folder_read_only(path)) {
    /* jobs, status and the dashboard can still read; writes say why they fail */
    bt_status st = store_open_ro(s, err);
    if (st) {
      store_close(s);
      return st;
    }
    *out = s;
    return BT_OK;
  }
  /* The store holds prompts and answers: keep it private to the user. */
  mode_t old = umask(077);
  int rc = sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  umask(old);
  if (rc != SQLITE_OK) {
    error_set_at(err, BT_ERR_STORE, path, 0, 0, "cannot open the store: %s",
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    store_close(s);
    return BT_ERR_STORE;
  }
  sqlite3_busy_timeout(s->db, 10000);
  /* A new store gets 16 KB pages (SQLite's default is 4 KB; an existing store keeps its own):
   * rows carry prompts and answers of hundreds of bytes to kilobytes, and a 1M-line ingest
   * writes each page twice (WAL, then checkpoint), one system call apiece. The pragma must
   * come before anything is written. */
  bt_status st = store_exec(s,
                            "PRAGMA page_size = 16384;"
                            "PRAGMA journal_mode = WAL;"
                            "PRAGMA synchronous = NORMAL;"
                            "PRAGMA foreign_keys = ON;"
                            "PRAGMA temp_store = MEMORY;",
                            err);
  if (!st)
    st = store_migrate(s, err);
  if (!st)
    st = store_exec(s, store_triggers_sql, err);
  if (st) {
    store_close(s);
    return st;
  }
  *out = s;
  return BT_OK;
}

void store_close(bt_store *s) {
  if (!s)
    return;
  if (s->db)
    sqlite3_close_v2(s->db);
  free(s->path);
  free(s);
}

int store_read_only(const bt_store *s) {
  return s->read_only;
}

const char *store_path(const bt_store *s) {
  return s->path;
}

sqlite3 *store_db(bt_store *s) {
  return s->db;
}

bt_status store_bulk_begin(bt_store *s, bt_error *err) {
  if (sqlite3_get_autocommit(s->db))
    return error_set(err, BT_ERR_INTERNAL, "store_bulk_begin outside a transaction");
  return store_exec(s,
                    "DROP TRIGGER IF EXISTS temp.bt_tasks_count_insert;"
                    "DROP TRIGGER IF EXISTS temp.bt_tasks_count_update;"
                    "DROP TRIGGER IF EXISTS temp.bt_attempts_cost_insert;"
                    "DROP TRIGGER IF EXISTS temp.bt_attempts_cost_update;"
                    "PRAGMA ignore_check_constraints = ON;",
                    err);
}

/* The connection as store_open leaves it: its triggers, its CHECKs. */
static const char bulk_end_sql[] = "PRAGMA ignore_check_constraints = OFF;";

bt_status store_bulk_end(bt_store *s, bt_error *err) {
  bt_status r = store_exec(s, bulk_end_sql, err);
  return r ? r : store_exec(s, store_triggers_sql, err);
}

bt_status store_begin(bt_store *s, bt_error *err) {
  return store_exec(s, "BEGIN IMMEDIATE", err);
}

bt_status store_commit(bt_store *s, bt_error *err) {
  return store_exec(s, "COMMIT", err);
}

void store_rollback(bt_store *s) {
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  /* Out of any store_bulk_begin (the rollback undid the triggers' drop, not the pragma). */
  sqlite3_exec(s->db, bulk_end_sql, NULL, NULL, NULL);
  sqlite3_exec(s->db, store_triggers_sql, NULL, NULL, NULL);
}

bt_status store_event(bt_store *s, const char *job_id, int64_t batch_id, const char *level,
                      const char *kind, const char *message, bt_error *err) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(
      s, "INSERT INTO events(at, job_id, batch_id, level, kind, message) VALUES (?,?,?,?,?,?)", &st,
      err);
  if (r)
    return r;
  sqlite3_bind_int64(st, 1, util_now_ms());
  if (job_id)
    sqlite3_bind_text(st, 2, job_id, -1, SQLITE_TRANSIENT);
  if (batch_id)
    sqlite3_bind_int64(st, 3, batch_id);
  sqlite3_bind_text(st, 4, level, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, kind, -1, SQLITE_TRANSIENT);
  /* an event often quotes a provider's words, which may quote the key */
  char *m = message ? util_xstrdup(message) : NULL;
  if (m)
    secret_scrub(m);
  sqlite3_bind_text(st, 6, m, -1, free);
  if (sqlite3_step(st) != SQLITE_DONE)
    r = store_fail(s, err, "writing an event");
  sqlite3_finalize(st);
  return r;
}
