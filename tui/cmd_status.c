/* cmd_status: `batchtop status`: one job: batches, counts, cost, errors summary; --wait drives
 * it to the end. Also the shared driving loop of submit/retry/cancel (cmd_status.h). */
#include "cmd_status.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "job_ref.h"
#include "job_report.h"
#include "pipeline_run.h"
#include "provider.h"
#include "logger.h"
#include "store_batch.h"
#include "store_sql.h"
#include "util.h"

const struct option cmd_status_options[] = {
    {"json", no_argument, NULL, 'j'}, {"wait", no_argument, NULL, 'w'}, {0, 0, 0, 0}};
const bt_cmd_help cmd_status_help = {
    "JOB [--json] [--wait]", "one job: batches, counts, cost, errors summary",
    "  --json   machine-readable output (cli.md)\n"
    "  --wait   drive the job until every task has ended (exit 0, 2 or 3 as cli.md);\n"
    "           if another batchtop process drives it, watch until it ends\n"
    ""};

int cmd_resolve_ref(const char *cmd, bt_store *s, const char *ref, bt_job_ref *out) {
  bt_error err;
  error_clear(&err);
  if (job_ref_resolve(s, ref, out, &err) != BT_OK) {
    cli_error(cmd, &err);
    return 1;
  }
  return 0;
}

/* ---- Ctrl-C while driving ---- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
  if (interrupted) {
    /* A second Ctrl-C while the engine stops: the user means it. The store loses nothing. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  interrupted = 1;
}

/* SIGINT and SIGTERM set a flag (no SA_RESTART: the wait in cmd_pump_events returns at once);
 * the loops below see it, stop the engine and say how to go on. The engine's threads block
 * signals, so only this thread takes them. */
static void catch_interrupt(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static int tell_interrupted(const char *cmd, const char *what, const char *id, int local) {
  if (local)
    fprintf(stderr,
            "batchtop %s: interrupted; %s %s stops here with every finished task kept (tasks that"
            " were in flight run again); resume with `batchtop status %s --wait`\n",
            cmd, what, id, id);
  else
    fprintf(stderr,
            "batchtop %s: interrupted; %s %s keeps running at the provider (nothing was"
            " cancelled); resume with `batchtop status %s --wait`, or cancel with `batchtop"
            " cancel %s`\n",
            cmd, what, id, id, id);
  return EXIT_INTERRUPTED;
}

static void progress(bt_store *s, const char *job_id, int tty, char *last, size_t size, int final) {
  bt_counts c;
  bt_job job;
  bt_error err;
  if (store_job_counts(s, job_id, &c, &err) || store_job_get(s, job_id, &job, &err))
    return;
  int64_t ended = c.n[TASK_SUCCEEDED] + c.n[TASK_FAILED] + c.n[TASK_EXPIRED] + c.n[TASK_CANCELLED];
  char usd[32], line[256];
  if (provider_price_known(job.provider, job.model))
    util_fmt_usd(job.actual_cost_usd, usd, sizeof usd);
  else
    snprintf(usd, sizeof usd, "$? (no price known)");
  char why[512];
  int paused = job_report_paused(s, job_id, why, sizeof why);
  int pct = c.total ? (int)(ended * 100 / c.total) : 100;
  char bar[32] = "";
  if (tty) {
    int w = 20, fill = c.total ? (int)(ended * w / c.total) : w;
    bar[0] = '[';
    for (int i = 0; i < w; i++)
      bar[1 + i] = i < fill ? '#' : '.';
    bar[w + 1] = ']';
    bar[w + 2] = ' ';
    bar[w + 3] = '\0';
  }
  snprintf(line, sizeof line,
           "%s%s %3d%% %lld/%lld done: %lld ok, %lld failed, %lld expired, %lld cancelled; "
           "%lld running, %lld pending; %s",
           bar, paused ? "paused" : job.state, pct, (long long)ended, (long long)c.total,
           (long long)c.n[TASK_SUCCEEDED], (long long)c.n[TASK_FAILED],
           (long long)c.n[TASK_EXPIRED], (long long)c.n[TASK_CANCELLED],
           (long long)c.n[TASK_RUNNING], (long long)c.n[TASK_PENDING], usd);
  job_cleanup(&job);
  char waiting[160];
  if (job_report_waiting(s, job_id, util_now_ms(), waiting, sizeof waiting) > 0) {
    size_t len = strlen(line);
    snprintf(line + len, sizeof line - len, "; waiting: %s", waiting);
  }
  if (tty) {
    fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
  } else if (strcmp(line, last) != 0 || final) {
    if (strcmp(line, last) != 0)
      fprintf(stderr, "%s\n", line);
  }
  util_strlcpy(last, line, size);
}

/* A chunk held back by the enqueued-token limit counts as handed over: it waits, possibly for
 * minutes, and whichever batchtop drives the job next sends it. */
static int all_submitted(bt_store *s, const char *job_id) {
  int64_t n = 1;
  bt_error err;
  if (store_query_int(s, &err, &n, 1,
                      "SELECT count(*) FROM batches WHERE job_id = ? AND state NOT IN"
                      " ('remote','done') AND NOT (state = 'intent' AND next_poll_at IS NOT"
                      " NULL)",
                      "t", job_id))
    return 0;
  return n == 0;
}

void cmd_pump_events(bt_engine *e, const char *cmd, const char (*ids)[BT_JOB_ID_LEN + 1], size_t n,
                     int quiet, int tty, cmd_events *seen) {
  struct pollfd p = {engine_wake_fd(e), POLLIN, 0};
  poll(&p, 1, 250);
  bt_engine_event ev[64];
  size_t got;
  while ((got = engine_events(e, ev, 64)) > 0) {
    for (size_t i = 0; i < got; i++) {
      int mine = !ev[i].job_id[0];
      for (size_t k = 0; k < n && !mine; k++)
        mine = !strcmp(ev[i].job_id, ids[k]);
      if (!mine)
        continue;
      int error = ev[i].kind == ENGINE_EV_JOB_ERROR;
      if (error || (ev[i].kind == ENGINE_EV_MESSAGE && ev[i].level >= LOG_WARN && !quiet)) {
        if (tty)
          fputs("\r\033[K", stderr);
        fprintf(stderr, "batchtop %s: %s\n", cmd, ev[i].message);
      }
      seen->errors += error;
      seen->done += ev[i].kind == ENGINE_EV_JOB_DONE;
    }
  }
}

int cmd_drive_job(bt_cli *cli, const char *cmd, const char *job_id, bt_drive_mode mode) {
  bt_store *s;
  if (cli_open_store(cmd, &s))
    return EXIT_USAGE;
  bt_error err;
  error_clear(&err);
  bt_job job;
  if (store_job_get(s, job_id, &job, &err)) {
    cli_error(cmd, &err);
    store_close(s);
    return EXIT_USAGE;
  }
  if (mode == DRIVE_UNTIL_SUBMITTED && !strcmp(job.provider, "local"))
    mode = DRIVE_QUIET_DONE; /* local work runs in this process: nothing to hand over */
  int local = !strcmp(job.provider, "local");
  job_cleanup(&job);
  bt_engine_opts o = {&cli->cfg, store_path(s), 0};
  bt_engine *e;
  if (engine_new(&o, &e, &err) || engine_start(e, &err)) {
    cli_error(cmd, &err);
    store_close(s);
    return EXIT_PROVIDER;
  }
  catch_interrupt();
  engine_drive(e, job_id);
  int tty = isatty(2) && mode == DRIVE_UNTIL_DONE;
  char last[256] = "";
  int64_t next_print = 0;
  int code = -1;
  char id[1][BT_JOB_ID_LEN + 1];
  util_strlcpy(id[0], job_id, sizeof id[0]);
  cmd_events seen = {0, 0};
  while (code < 0) {
    cmd_pump_events(e, cmd, (const char(*)[BT_JOB_ID_LEN + 1]) id, 1, mode == DRIVE_QUIET_DONE, tty,
                    &seen);
    if (interrupted) {
      code = EXIT_INTERRUPTED;
      break;
    }
    if (seen.errors) {
      code = EXIT_PROVIDER;
      break;
    }
    if (seen.done) {
      code = job_report_exit_code(s, job_id);
      if (mode == DRIVE_UNTIL_SUBMITTED && code != EXIT_PROVIDER && code != EXIT_BUDGET)
        code = EXIT_OK;
      break;
    }
    if (mode == DRIVE_UNTIL_SUBMITTED && all_submitted(s, job_id)) {
      code = EXIT_OK;
      break;
    }
    int64_t now = util_mono_ms();
    if (mode == DRIVE_UNTIL_DONE && now >= next_print) {
      progress(s, job_id, tty, last, sizeof last, 0);
      next_print = now + (tty ? 250 : 1000);
    }
  }
  engine_free(e);
  if (mode == DRIVE_UNTIL_DONE)
    progress(s, job_id, tty, last, sizeof last, 1);
  if (code == EXIT_INTERRUPTED) {
    store_close(s);
    return tell_interrupted(cmd, "job", job_id, local);
  }
  char paused[512];
  if (code == EXIT_PROVIDER && job_report_paused(s, job_id, paused, sizeof paused)) {
    /* A setup error (no key here), not the provider's: cli.md's exit 1. */
    store_close(s);
    return EXIT_USAGE;
  }
  if (code == EXIT_PROVIDER || code == EXIT_BUDGET) {
    bt_job j2;
    if (store_job_get(s, job_id, &j2, &err) == BT_OK) {
      if (j2.last_error)
        fprintf(stderr, "batchtop %s: job %s: %s\n", cmd, job_id, j2.last_error);
      job_cleanup(&j2);
    }
  }
  store_close(s);
  return code;
}

/* One line of per-stage progress. */
static void pipeline_progress(bt_store *s, char (*ids)[BT_JOB_ID_LEN + 1], size_t n, int tty,
                              int final, char *last, size_t last_size) {
  char line[1024];
  size_t o = 0;
  for (size_t k = 0; k < n && o < sizeof line - 100; k++) {
    bt_job job;
    bt_counts c;
    bt_error err;
    if (store_job_get(s, ids[k], &job, &err))
      continue;
    if (store_job_counts(s, ids[k], &c, &err) == BT_OK) {
      int64_t ended =
          c.n[TASK_SUCCEEDED] + c.n[TASK_FAILED] + c.n[TASK_EXPIRED] + c.n[TASK_CANCELLED];
      o +=
          (size_t)snprintf(line + o, sizeof line - o, "%s%s %lld/%lld ok %lld failed %lld",
                           k ? " | " : "", job.stage_name ? job.stage_name : job.id,
                           (long long)ended, (long long)c.total, (long long)c.n[TASK_SUCCEEDED],
                           (long long)(c.n[TASK_FAILED] + c.n[TASK_EXPIRED] + c.n[TASK_CANCELLED]));
    }
    job_cleanup(&job);
  }
  if (tty)
    fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
  else if (strcmp(line, last) != 0)
    fprintf(stderr, "%s\n", line);
  util_strlcpy(last, line, last_size);
}

/* quiet: as a job's DRIVE_QUIET_DONE (status --wait --json): no progress, no warnings on
 * stderr, only errors retries did not overcome. */
static int drive_pipeline(bt_cli *cli, const char *cmd, bt_store *s, const char *pid, int quiet) {
  bt_error err;
  error_clear(&err);
  char(*ids)[BT_JOB_ID_LEN + 1] = NULL;
  size_t n = 0;
  if (pipeline_stage_jobs(s, pid, &ids, &n, &err)) {
    cli_error(cmd, &err);
    return EXIT_USAGE;
  }
  bt_engine_opts o = {&cli->cfg, store_path(s), 0};
  bt_engine *e;
  if (engine_new(&o, &e, &err) || engine_start(e, &err)) {
    cli_error(cmd, &err);
    free(ids);
    return EXIT_PROVIDER;
  }
  catch_interrupt();
  for (size_t k = 0; k < n; k++)
    engine_drive(e, ids[k]);
  int tty = isatty(2) && !quiet;
  char last[1024] = "";
  int provider_error = 0, done = 0;
  int64_t next_print = 0, next_check = 0;
  cmd_events seen = {0, 0};
  while (!done) {
    cmd_pump_events(e, cmd, (const char(*)[BT_JOB_ID_LEN + 1]) ids, n, quiet, tty, &seen);
    if (interrupted)
      break;
    provider_error = seen.errors > 0;
    int64_t now = util_mono_ms();
    if (provider_error && now >= next_check) {
      /* A stage stopped on an error retries could not overcome: nothing more will flow. */
      break;
    }
    if (now >= next_check) {
      next_check = now + 200;
      if (pipeline_done(s, pid, &done, &err))
        break;
    }
    if (now >= next_print && !quiet) {
      pipeline_progress(s, ids, n, tty, 0, last, sizeof last);
      next_print = now + (tty ? 250 : 1000);
    }
  }
  engine_free(e);
  if (!quiet)
    pipeline_progress(s, ids, n, tty, 1, last, sizeof last);
  if (interrupted) {
    int local = 0;
    bt_job job;
    for (size_t k = 0; k < n && !local; k++)
      if (store_job_get(s, ids[k], &job, &err) == BT_OK) {
        local = !strcmp(job.provider, "local");
        job_cleanup(&job);
      }
    free(ids);
    return tell_interrupted(cmd, "pipeline", pid, local);
  }
  int code = EXIT_OK;
  for (size_t k = 0; k < n; k++) {
    int c = job_report_exit_code(s, ids[k]);
    if (c > code)
      code = c;
  }
  if (provider_error)
    code = EXIT_PROVIDER;
  char why[512];
  for (size_t k = 0; k < n && code == EXIT_PROVIDER; k++)
    if (job_report_paused(s, ids[k], why, sizeof why))
      code = EXIT_USAGE; /* a setup error (no key here), as for a job */
  free(ids);
  return code;
}

int cmd_drive_pipeline(bt_cli *cli, const char *cmd, bt_store *s, const char *pid) {
  return drive_pipeline(cli, cmd, s, pid, 0);
}

/* Second batches found at the provider for a chunk that had one: cancelled, with their cost so
 * far (the user pays for what they ran before the cancel). */
static void print_duplicates(json_t *dups) {
  if (!json_array_size(dups))
    return;
  printf("\nduplicate batches (found at the provider, cancelled)\n  %-5s %-36s %-12s %9s %12s\n",
         "chunk", "remote id", "status", "done", "cost so far");
  size_t i;
  json_t *d;
  json_array_foreach(dups, i, d) {
    char usd[32];
    util_fmt_usd_exact(json_real_value(json_object_get(d, "cost_usd")), usd, sizeof usd);
    printf("  %-5lld %-36s %-12s %9lld $%s\n",
           (long long)json_integer_value(json_object_get(d, "chunk")),
           json_string_value(json_object_get(d, "remote_id")),
           json_is_true(json_object_get(d, "cancelled")) ? "cancelled" : "cancelling",
           (long long)json_integer_value(json_object_get(d, "done")), usd);
  }
}

static void print_human(bt_store *s, const char *job_id, json_t *o) {
  const char *state = json_string_value(json_object_get(o, "state"));
  json_t *c = json_object_get(o, "counts");
  json_t *cost = json_object_get(o, "cost");
  char est[32] = "?", act[32] = "?";
  int priced = json_is_true(json_object_get(o, "price_known"));
  if (priced) {
    util_fmt_usd(json_real_value(json_object_get(cost, "estimated_usd")), est, sizeof est);
    util_fmt_usd(json_real_value(json_object_get(cost, "actual_usd")), act, sizeof act);
  }
  printf("job       %s  %s\n", json_string_value(json_object_get(o, "id")),
         json_string_value(json_object_get(o, "name")));
  printf("provider  %s  %s\n", json_string_value(json_object_get(o, "provider")),
         json_string_value(json_object_get(o, "model")));
  const char *paused = json_string_value(json_object_get(o, "paused"));
  if (paused)
    printf("state     paused (nobody drives it; stored state %s)\npaused    %s\n", state, paused);
  else
    printf("state     %s\n", state);
  printf("tasks     %lld total\n", (long long)json_integer_value(json_object_get(c, "total")));
  for (int k = 0; k < TASK_STATE_COUNT; k++) {
    const char *name = task_state_name((bt_task_state)k);
    printf("  %-10s %8lld\n", name, (long long)json_integer_value(json_object_get(c, name)));
  }
  printf("cost      estimated %s, actual %s (%s)\n", est, act,
         priced ? "batch prices" : "no price known for the model");
  const char *le = json_string_value(json_object_get(o, "last_error"));
  if (le)
    printf("error     %s\n", le);
  const char *waiting = json_string_value(json_object_get(o, "waiting"));
  if (waiting)
    printf("waiting   %s\n", waiting);
  json_t *bs = json_object_get(o, "batches");
  if (json_array_size(bs)) {
    printf("\nbatches\n  %-5s %-5s %-36s %-12s %9s %9s %9s\n", "chunk", "round", "remote id",
           "status", "total", "ok", "failed");
    size_t i;
    json_t *b;
    json_array_foreach(bs, i, b) {
      json_t *bc = json_object_get(b, "counts");
      const char *rid = json_string_value(json_object_get(b, "remote_id"));
      printf("  %-5lld %-5lld %-36s %-12s %9lld %9lld %9lld\n",
             (long long)json_integer_value(json_object_get(b, "chunk")),
             (long long)json_integer_value(json_object_get(b, "attempt")), rid ? rid : "-",
             json_string_value(json_object_get(b, "status")),
             (long long)json_integer_value(json_object_get(bc, "total")),
             (long long)json_integer_value(json_object_get(bc, "succeeded")),
             (long long)json_integer_value(json_object_get(bc, "failed")));
      const char *ble = json_string_value(json_object_get(b, "last_error"));
      if (ble) /* e.g. a status batchtop does not know, a lost batch */
        printf("        %s\n", ble);
    }
  }
  print_duplicates(json_object_get(o, "duplicates"));
  json_t *sus = json_object_get(o, "suspected_duplicates");
  size_t si;
  json_t *sv;
  json_array_foreach(sus, si, sv) {
    if (si == 0)
      printf("\nsuspected duplicate batches (left running; check them at the provider)\n");
    printf("  %s\n", json_string_value(json_object_get(sv, "message")));
  }
  json_t *groups = NULL;
  bt_error err;
  if (job_report_errors(s, job_id, &groups, &err) == BT_OK && json_array_size(groups)) {
    printf("\nerrors (top)\n");
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
      if (i == 5)
        break;
      const char *sample = json_string_value(json_object_get(g, "sample"));
      printf("  %6lld  %-28s %.80s\n", (long long)json_integer_value(json_object_get(g, "count")),
             json_string_value(json_object_get(g, "code")), sample ? sample : "");
    }
  }
  json_decref(groups);
}

/* A pipeline's status: its stages' status objects under "stages", with the counts and costs
 * summed; the text form prints every stage as `status` prints a job. */
static int status_pipeline(bt_store *s, const char *pid, int json) {
  bt_error err;
  error_clear(&err);
  json_t *o;
  if (pipeline_report_json(s, pid, 1, &o, &err)) {
    cli_error("status", &err);
    return 1;
  }
  if (json) {
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    return 0;
  }
  json_t *c = json_object_get(o, "counts");
  printf("pipeline  %s  %s\nstate     %s\nstages    %zu; %lld tasks in all\n",
         json_string_value(json_object_get(o, "id")), json_string_value(json_object_get(o, "name")),
         json_string_value(json_object_get(o, "state")),
         json_array_size(json_object_get(o, "stages")),
         (long long)json_integer_value(json_object_get(c, "total")));
  size_t i;
  json_t *st;
  json_array_foreach(json_object_get(o, "stages"), i, st) {
    printf("\n-- stage %zu: %s\n", i + 1, json_string_value(json_object_get(st, "stage")));
    print_human(s, json_string_value(json_object_get(st, "id")), st);
  }
  json_decref(o);
  return 0;
}

int cmd_status(bt_cli *cli, int argc, char **argv) {
  int json = 0, wait = 0, c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "", cmd_status_options, NULL)) != -1) {
    if (c == 'j')
      json = 1;
    else if (c == 'w')
      wait = 1;
    else
      return cli_bad_option("status", argv, cmd_status_options);
  }
  if (optind != argc - 1)
    return cli_usage_error("status", "give one JOB");
  bt_store *s;
  if (cli_open_store("status", &s))
    return EXIT_USAGE;
  bt_job_ref ref;
  if (cmd_resolve_ref("status", s, argv[optind], &ref)) {
    store_close(s);
    return EXIT_USAGE;
  }
  int code = EXIT_OK;
  if (ref.kind == JOB_REF_PIPELINE) {
    if (wait)
      code = drive_pipeline(cli, "status", s, ref.id, json);
    if (code != EXIT_INTERRUPTED && status_pipeline(s, ref.id, json))
      code = EXIT_USAGE;
    store_close(s);
    return code;
  }
  char id[BT_JOB_ID_LEN + 1];
  util_strlcpy(id, ref.id, sizeof id);
  if (wait) {
    store_close(s);
    code = cmd_drive_job(cli, "status", id, json ? DRIVE_QUIET_DONE : DRIVE_UNTIL_DONE);
    if (code == EXIT_INTERRUPTED)
      return code;
    if (cli_open_store("status", &s))
      return EXIT_USAGE;
  }
  json_t *o;
  bt_error err;
  if (job_report_json(s, id, 1, &o, &err)) {
    cli_error("status", &err);
    store_close(s);
    return EXIT_USAGE;
  }
  if (json) {
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else {
    print_human(s, id, o);
  }
  json_decref(o);
  store_close(s);
  return code;
}
