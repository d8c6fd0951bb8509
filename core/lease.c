/* lease: one engine per job, across processes. */
#include "lease.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store_sql.h"
#include "util.h"

void lease_owner_make(char out[32]) {
  char rnd[9];
  util_random_id(rnd, 8);
  snprintf(out, 32, "%ld-%s", (long)getpid(), rnd);
}

static int pid_alive(int64_t pid) {
  if (pid <= 0)
    return 0;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

bt_status lease_held(bt_store *s, const char *job_id, const char *owner, int *held, bt_error *err) {
  *held = 0;
  sqlite3_stmt *st;
  bt_status r =
      store_prepare(s, "SELECT owner, pid, expires_at FROM leases WHERE job_id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) {
    const char *o = (const char *)sqlite3_column_text(st, 0);
    int64_t pid = sqlite3_column_int64(st, 1);
    int64_t exp = sqlite3_column_int64(st, 2);
    int mine = owner && o && strcmp(o, owner) == 0;
    /* Same machine assumed (one store file): a dead pid frees the lease at once. */
    *held = !mine && exp > util_now_ms() && pid_alive(pid) && pid != (int64_t)getpid();
  }
  sqlite3_finalize(st);
  return BT_OK;
}

bt_status lease_acquire(bt_store *s, const char *job_id, const char *owner, int64_t ttl_ms,
                        bt_error *err) {
  bt_status r = store_begin(s, err);
  if (r)
    return r;
  int held = 0;
  r = lease_held(s, job_id, owner, &held, err);
  if (!r && held)
    r = error_set(err, BT_ERR_BUSY, "job %s is driven by another batchtop process", job_id);
  if (!r)
    r = store_run(s, err, "taking a lease", NULL,
                  "INSERT INTO leases(job_id, owner, pid, expires_at) VALUES (?,?,?,?)"
                  " ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner,"
                  " pid = excluded.pid, expires_at = excluded.expires_at",
                  "ttii", job_id, owner, (int64_t)getpid(), util_now_ms() + ttl_ms);
  if (r) {
    store_rollback(s);
    return r;
  }
  return store_commit(s, err);
}

bt_status lease_renew(bt_store *s, const char *job_id, const char *owner, int64_t ttl_ms,
                      int *still_ours, bt_error *err) {
  /* Only our own row: a process that was stopped past its expiry, while another took the job
   * over (and perhaps finished it and released it), must learn that, not take the job back. */
  int changes = 0;
  *still_ours = 0;
  bt_status r = store_run(s, err, "renewing a lease", &changes,
                          "UPDATE leases SET expires_at = ? WHERE job_id = ? AND owner = ?", "itt",
                          util_now_ms() + ttl_ms, job_id, owner);
  if (!r)
    *still_ours = changes == 1;
  return r;
}

void lease_release(bt_store *s, const char *job_id, const char *owner) {
  bt_error err;
  if (store_run(s, &err, "releasing a lease", NULL,
                "DELETE FROM leases WHERE job_id = ? AND owner = ?", "tt", job_id, owner))
    return;
}

bt_status lease_driver(bt_store *s, const char *job_id, int64_t *pid, bt_error *err) {
  *pid = 0;
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, "SELECT pid, expires_at FROM leases WHERE job_id = ?", &st, err);
  if (r)
    return r;
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) {
    int64_t p = sqlite3_column_int64(st, 0);
    if (sqlite3_column_int64(st, 1) > util_now_ms() && pid_alive(p))
      *pid = p;
  }
  sqlite3_finalize(st);
  return BT_OK;
}
