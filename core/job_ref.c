/* job_ref: JOB arguments to job or pipeline ids, with ambiguity reported. */
#include "job_ref.h"

#include <stdio.h>
#include <string.h>

#include "store_sql.h"
#include "util.h"

#define JOB_REF_MAX_LISTED 8

/* Every job and pipeline matching one condition, as (kind, id, name); jobs first. */
static const char *const match_sql[] = {
    /* exact id */
    "SELECT 0, id, name FROM jobs WHERE id = ?1 UNION ALL"
    " SELECT 1, id, name FROM pipelines WHERE id = ?1",
    /* exact name */
    "SELECT 0, id, name, created_at FROM jobs WHERE name = ?1 UNION ALL"
    " SELECT 1, id, name, created_at FROM pipelines WHERE name = ?1 ORDER BY 4 DESC",
    /* id prefix */
    "SELECT 0, id, name, created_at FROM jobs WHERE substr(id, 1, length(?1)) = ?1 UNION ALL"
    " SELECT 1, id, name, created_at FROM pipelines WHERE substr(id, 1, length(?1)) = ?1"
    " ORDER BY 4 DESC",
};

bt_status job_ref_resolve(bt_store *s, const char *ref, bt_job_ref *out, bt_error *err) {
  memset(out, 0, sizeof *out);
  if (!ref || !ref[0])
    return error_set(err, BT_ERR_USAGE, "give a job or pipeline id or name");
  for (size_t q = 0; q < sizeof match_sql / sizeof match_sql[0]; q++) {
    sqlite3_stmt *st;
    bt_status r = store_prepare(s, match_sql[q], &st, err);
    if (r)
      return r;
    sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
    int n = 0, rc;
    char list[1024] = "";
    size_t used = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      int kind = sqlite3_column_int(st, 0);
      const char *id = (const char *)sqlite3_column_text(st, 1);
      const char *name = (const char *)sqlite3_column_text(st, 2);
      if (n == 0) {
        out->kind = kind ? JOB_REF_PIPELINE : JOB_REF_JOB;
        util_strlcpy(out->id, id, sizeof out->id);
      }
      if (n < JOB_REF_MAX_LISTED && used < sizeof list)
        used += (size_t)snprintf(list + used, sizeof list - used, "\n  %s  %s%s", id,
                                 kind ? "pipeline " : "", name ? name : "");
      n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      return store_fail(s, err, "finding a job");
    if (n == 1)
      return BT_OK;
    if (n > 1) {
      memset(out, 0, sizeof *out);
      return error_set(err, BT_ERR_USAGE, "'%s' is ambiguous: it %s %d jobs or pipelines:%s%s%s",
                       ref, q == 1 ? "names" : "begins the ids of", n, list,
                       n > JOB_REF_MAX_LISTED ? "\n  ..." : "",
                       q == 1 ? "\ngive the id instead" : "\ntype more of the id");
    }
  }
  return error_set(err, BT_ERR_NOT_FOUND, "no job or pipeline '%s' (try `batchtop jobs`)", ref);
}

int job_ref_name_taken(bt_store *s, const char *name, char id_out[BT_JOB_ID_LEN + 1]) {
  sqlite3_stmt *st;
  bt_error err;
  id_out[0] = '\0';
  if (store_prepare(s,
                    "SELECT id FROM jobs WHERE name = ?1 AND pipeline_id IS NULL"
                    " ORDER BY created_at DESC LIMIT 1",
                    &st, &err))
    return 0;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found)
    util_strlcpy(id_out, (const char *)sqlite3_column_text(st, 0), BT_JOB_ID_LEN + 1);
  sqlite3_finalize(st);
  return found;
}
