/* actions: what the dashboard asks of the engine (retry, cancel, submit) and how it hears back,
 * in one place, so views never call the engine directly.
 *
 * Without an engine in the process (app->engine == NULL: --read-only, or the engine could not
 * start) the commands change nothing and return BT_ERR_UNSUPPORTED with a message saying so;
 * the wake fd is -1 and no events come. Retry plans (how many tasks, what they should cost:
 * core/retry.h) are read from the store and work in every mode, so the confirmation dialog can
 * state them. UI thread only. */
#ifndef BT_ACTIONS_H
#define BT_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* How many tasks a retry would resend and their estimated cost (the job's estimate per task).
 * only: NULL (failed + expired + cancelled), or an error-group code; task_id > 0: that task. */
bt_status actions_retry_plan(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                             int64_t *n_tasks, double *est_usd, bt_error *err) BT_WUR;

bt_status actions_retry(bt_app *app, const char *job_id, const char *only, int64_t task_id,
                        bt_error *err) BT_WUR;
bt_status actions_cancel(bt_app *app, const char *job_id, bt_error *err) BT_WUR;
/* Create a job from a template and an input (what the preview's S does) and hand it to the
 * engine; its id goes to id_out. */
bt_status actions_submit(bt_app *app, const char *template_path, const char *input_path,
                         const bt_render_opts *opts, char id_out[BT_JOB_ID_LEN + 1],
                         bt_error *err) BT_WUR;

/* The dialogs in front of retry and cancel: they state how many tasks and what it should cost,
 * and on yes send the command (or say why it cannot be sent). Return UI_* flags. */
int actions_ask_retry(bt_app *app, const char *job_id, const char *job_name, const char *only,
                      int64_t task_id);
int actions_ask_cancel(bt_app *app, const char *job_id, const char *job_name, int64_t unfinished);

/* Who drives a job (its lease): "here" (this dashboard's engine), "pid N" (another batchtop
 * process), "nobody: stalled" (an unfinished job no live process holds), or "" for a job
 * that no driver moves (a draft, or one that has ended). Returns buf. */
const char *actions_driver(bt_app *app, const char *job_id, const char *state, char *buf,
                           size_t size);

/* The dashboard's in-process engine (drive_all): start before the app, stop after it. The
 * engine is a bt_engine* behind void* so views need not see the engine's header. */
bt_status actions_engine_start(const bt_config *cfg, void **engine_out, bt_error *err) BT_WUR;
void actions_engine_stop(void *engine);

/* Ctrl-L: the engine takes in unfinished jobs no one drives and steps every batch now (nothing
 * without an engine). */
void actions_refresh(bt_app *app);

/* The fd the loop polls for engine events (-1: none). */
int actions_wake_fd(bt_app *app);
/* Move pending engine events into out (at most max); returns how many. */
size_t actions_events(bt_app *app, bt_app_event *out, size_t max);

#endif
