/* lease: one engine drives a job at a time. A lease row (job, owner, pid, expiry) is taken in
 * a write transaction and renewed while the engine runs; another process on the same store
 * sees the job as driven and only reads. A lease whose holder's pid is gone (kill -9) or whose
 * expiry passed is taken over at once, so a restart resumes without waiting.
 *
 * Same thread rules as store.h (call on the connection of the thread that drives). */
#ifndef BT_LEASE_H
#define BT_LEASE_H

#include <stdint.h>

#include "store.h"

/* A process-unique owner string ("<pid>-<random>") into out[32]. */
void lease_owner_make(char out[32]);
/* Take or renew. BT_ERR_BUSY when a live other owner holds it. */
bt_status lease_acquire(bt_store *s, const char *job_id, const char *owner, int64_t ttl_ms,
                        bt_error *err) BT_WUR;
/* Extend a lease we hold. *still_ours = 0 when the row is no longer ours (another process
 * took the job over, or it was released): the caller must stop writing for the job. */
bt_status lease_renew(bt_store *s, const char *job_id, const char *owner, int64_t ttl_ms,
                      int *still_ours, bt_error *err) BT_WUR;
void lease_release(bt_store *s, const char *job_id, const char *owner);
/* 1 in *held when someone other than owner (may be NULL) holds a live lease. */
bt_status lease_held(bt_store *s, const char *job_id, const char *owner, int *held,
                     bt_error *err) BT_WUR;
/* Who drives a job, for display: the pid of a live, unexpired lease's holder (this process's
 * own pid when it drives the job itself), or 0 when nobody does. */
bt_status lease_driver(bt_store *s, const char *job_id, int64_t *pid, bt_error *err) BT_WUR;

#endif
