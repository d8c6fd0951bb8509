/* job_ref: what a user typed as JOB on the command line, resolved to a job or a pipeline.
 *
 * A reference is, in this order: an exact job or pipeline id; an exact name (of a job or a
 * pipeline); a prefix of exactly one job or pipeline id (any length). A name or prefix that
 * fits more than one is an error listing the candidates (BT_ERR_USAGE), told apart from one
 * that fits none (BT_ERR_NOT_FOUND). Main thread of the CLI, on the caller's connection. */
#ifndef BT_JOB_REF_H
#define BT_JOB_REF_H

#include "store.h"
#include "store_job.h"

typedef enum { JOB_REF_JOB, JOB_REF_PIPELINE } bt_job_ref_kind;

typedef struct bt_job_ref {
  bt_job_ref_kind kind;
  char id[BT_JOB_ID_LEN + 1]; /* job and pipeline ids have the same length */
} bt_job_ref;

bt_status job_ref_resolve(bt_store *s, const char *ref, bt_job_ref *out, bt_error *err) BT_WUR;

/* The id of a job (not a pipeline stage) already named name, into id_out; 0 when none. */
int job_ref_name_taken(bt_store *s, const char *name, char id_out[BT_JOB_ID_LEN + 1]);

#endif
