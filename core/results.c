/* results: export in input order. */
#include "results.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include "buf.h"
#include "secret.h"
#include "store_job.h"
#include "util.h"

const char *results_default_format(const char *input_format) {
  return input_format && !strcmp(input_format, "jsonl") ? "jsonl" : "csv";
}

static int needs_quotes(const char *s) {
  for (; *s; s++)
    if (*s == ',' || *s == '"' || *s == '\n' || *s == '\r')
      return 1;
  return 0;
}

void results_csv_field(FILE *out, const char *s, int first) {
  if (!first)
    fputc(',', out);
  if (!s)
    return;
  if (!needs_quotes(s)) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

/* A JSON value as CSV text: strings as they are, null as empty, others compact JSON. */
void results_csv_value(FILE *out, json_t *v, int first) {
  if (!v || json_is_null(v)) {
    results_csv_field(out, "", first);
  } else if (json_is_string(v)) {
    results_csv_field(out, json_string_value(v), first);
  } else {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    results_csv_field(out, t ? t : "", first);
    free(t);
  }
}

/* A count as CSV text into b (room for 24 bytes). */
static const char *fmt_int(char *b, long long v) {
  char t[24];
  size_t n = 0;
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do
    t[n++] = (char)('0' + u % 10);
  while ((u /= 10) > 0);
  char *d = b;
  if (v < 0)
    *d++ = '-';
  while (n)
    *d++ = t[--n];
  *d = '\0';
  return b;
}

void results_csv_inputs(FILE *out, const char *text, size_t len, const char *const *names,
                        size_t nf, json_flat_value *vals, char *scratch) {
  if (text && !json_flat_get(text, len, names, nf, vals)) {
    for (size_t i = 0; i < nf; i++) {
      const json_flat_value *v = &vals[i];
      if (v->kind == JSON_FLAT_STRING) {
        json_flat_unescape(v, scratch);
        results_csv_field(out, scratch, i == 0);
      } else if (v->kind == JSON_FLAT_INT) {
        char num[24];
        results_csv_field(out, fmt_int(num, (long long)v->i), i == 0);
      } else if (v->kind == JSON_FLAT_WORD) {
        if (i)
          fputc(',', out);
        fwrite(v->p, 1, v->n, out); /* true or false: never quoted */
      } else {
        results_csv_field(out, NULL, i == 0);
      }
    }
    return;
  }
  results_csv_inputs_json(out, text, names, nf);
}

void results_csv_inputs_json(FILE *out, const char *text, const char *const *names, size_t nf) {
  json_t *input = text ? json_loads(text, 0, NULL) : NULL;
  for (size_t i = 0; i < nf; i++)
    results_csv_value(out, json_object_get(input, names[i]), i == 0);
  json_decref(input);
}

/* Costs below $1M whose ninth decimal is not near a tie are rounded in integers, which gives
 * printf's digits (1 / 100 of a unit in the last place of margin, far above a double's error
 * there); the rest go through printf. */
const char *results_fmt_cost(char *b, double v) {
  if (!signbit(v) && v < 1e6) { /* printf writes -0.0 as "-0.00000000" */
    double x = v * 1e8, whole = (double)(long long)x, frac = x - whole;
    if (frac < 0.49 || frac > 0.51) {
      long long units = (long long)whole + (frac > 0.5);
      char *d = b + strlen(fmt_int(b, units / 100000000));
      *d++ = '.';
      long long rest = units % 100000000;
      for (int i = 7; i >= 0; i--, rest /= 10)
        d[i] = (char)('0' + rest % 10);
      d[8] = '\0';
      return b;
    }
  }
  snprintf(b, RESULTS_COST_MAX, "%.8f", v);
  return b;
}

static const char *const extra_cols[] = {"status",       "output",        "error",
                                         "input_tokens", "output_tokens", "cost_usd"};

bt_status results_export(bt_store *s, const char *job_id, const char *format, FILE *out,
                         int64_t *rows, bt_error *err) {
  if (rows)
    *rows = 0;
  bt_job job;
  bt_status r = store_job_get(s, job_id, &job, err);
  if (r)
    return r;
  if (!format)
    format = results_default_format(job.input_format);
  int csv = strcmp(format, "jsonl") != 0;
  if (csv && strcmp(format, "csv") != 0) {
    job_cleanup(&job);
    return error_set(err, BT_ERR_USAGE, "unknown format '%s' (csv or jsonl)", format);
  }
  json_t *fields = json_loads(job.input_fields ? job.input_fields : "[]", 0, NULL);
  job_cleanup(&job);
  if (!json_is_array(fields)) {
    json_decref(fields);
    fields = json_array();
  }
  size_t nf = json_array_size(fields);
  const char **names = calloc(nf + 1, sizeof *names);
  json_flat_value *vals = calloc(nf + 1, sizeof *vals);
  if (!names || !vals) {
    free(names);
    free(vals);
    json_decref(fields);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  for (size_t i = 0; i < nf; i++)
    names[i] = json_string_value(json_array_get(fields, i));
  if (csv) {
    for (size_t i = 0; i < nf; i++)
      results_csv_field(out, json_string_value(json_array_get(fields, i)), i == 0);
    for (size_t i = 0; i < 6; i++)
      results_csv_field(out, extra_cols[i], nf == 0 && i == 0);
    fputc('\n', out);
  }
  sqlite3_stmt *st;
  r = store_prepare(s,
                    "SELECT i.input, t.state, t.output, t.error_code, a.error_message,"
                    " a.input_tokens, a.output_tokens, a.cost_usd FROM tasks t LEFT JOIN"
                    " task_inputs i ON i.task_id = t.id LEFT JOIN attempts a ON"
                    " a.id = t.last_attempt_id WHERE t.job_id = ? ORDER BY t.row_no",
                    &st, err);
  if (r) {
    json_decref(fields);
    return r;
  }
  sqlite3_bind_text(st, 1, job_id, -1, SQLITE_TRANSIENT);
  int rc;
  bt_buf ebuf;
  buf_init(&ebuf, 0);
  char *scratch = NULL;
  size_t scratch_cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *text = (const char *)sqlite3_column_text(st, 0);
    size_t text_len = (size_t)sqlite3_column_bytes(st, 0);
    const char *state = (const char *)sqlite3_column_text(st, 1);
    const char *output = (const char *)sqlite3_column_text(st, 2);
    const char *code = (const char *)sqlite3_column_text(st, 3);
    const char *msg = (const char *)sqlite3_column_text(st, 4);
    int succeeded = state && !strcmp(state, "succeeded");
    buf_reset(&ebuf);
    if (!succeeded && code) {
      if (buf_puts(&ebuf, code) || (msg && *msg && (buf_puts(&ebuf, ": ") || buf_puts(&ebuf, msg))))
        r = error_set(err, BT_ERR_NOMEM, "out of memory");
      if (ebuf.data)
        secret_scrub(ebuf.data);
    }
    const char *error = ebuf.len ? buf_str(&ebuf) : NULL;
    long long in_tok = sqlite3_column_int64(st, 5), out_tok = sqlite3_column_int64(st, 6);
    double cost = sqlite3_column_double(st, 7);
    if (csv) {
      if (text_len >= scratch_cap) {
        size_t cap = text_len + 1 > 4096 ? text_len + 1 : 4096;
        char *n = realloc(scratch, cap);
        if (!n) {
          r = error_set(err, BT_ERR_NOMEM, "out of memory");
          break;
        }
        scratch = n;
        scratch_cap = cap;
      }
      results_csv_inputs(out, text, text_len, names, nf, vals, scratch);
      char num[RESULTS_COST_MAX];
      results_csv_field(out, state, nf == 0);
      results_csv_field(out, succeeded ? output : NULL, 0);
      results_csv_field(out, error, 0);
      results_csv_field(out, fmt_int(num, in_tok), 0);
      results_csv_field(out, fmt_int(num, out_tok), 0);
      results_csv_field(out, results_fmt_cost(num, cost), 0);
      fputc('\n', out);
    } else {
      json_t *input = json_loads(text ? text : "", 0, NULL);
      json_t *o = json_is_object(input) ? json_incref(input) : json_object();
      json_object_set_new(o, "status", json_string(state ? state : ""));
      json_object_set_new(o, "output", succeeded && output ? json_string(output) : json_null());
      json_object_set_new(o, "error", error ? json_string(error) : json_null());
      json_object_set_new(o, "input_tokens", json_integer(in_tok));
      json_object_set_new(o, "output_tokens", json_integer(out_tok));
      json_object_set_new(o, "cost_usd", json_real(cost));
      if (json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
        r = error_set(err, BT_ERR_IO, "cannot write the results");
      fputc('\n', out);
      json_decref(o);
      json_decref(input);
    }
    if (rows)
      (*rows)++;
    if (r)
      break;
  }
  buf_cleanup(&ebuf);
  free(scratch);
  free(names);
  free(vals);
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading results");
  sqlite3_finalize(st);
  json_decref(fields);
  if (!r && ferror(out))
    r = error_set(err, BT_ERR_IO, "cannot write the results");
  return r;
}

bt_status results_open_error(const char *path, int errnum, bt_error *err) {
  char dir[4096];
  util_strlcpy(dir, path, sizeof dir);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  struct stat sb;
  if (errnum == ENOENT && slash && dir[0] && stat(dir, &sb) != 0)
    return error_set_at(err, BT_ERR_IO, path, 0, 0,
                        "cannot write the results file: the folder %s does not exist (make it"
                        " first, e.g. mkdir -p %s)",
                        dir, dir);
  if (errnum == ENOENT && slash && dir[0] && !S_ISDIR(sb.st_mode))
    return error_set_at(err, BT_ERR_IO, path, 0, 0,
                        "cannot write the results file: %s is not a folder", dir);
  return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot write the results file: %s",
                      strerror(errnum));
}

const char *results_format_for_path(const char *path) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  const char *slash = path ? strrchr(path, '/') : NULL;
  if (!dot || (slash && dot < slash))
    return NULL;
  if (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".tsv"))
    return "csv";
  if (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson"))
    return "jsonl";
  return NULL;
}

bt_status results_export_file(bt_store *s, const char *job_id, const char *format, const char *path,
                              int64_t *rows, bt_error *err) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return results_open_error(path, errno, err);
  char *iobuf = malloc(1 << 16);
  if (iobuf)
    setvbuf(f, iobuf, _IOFBF, 1 << 16);
  bt_status r = results_export(s, job_id, format, f, rows, err);
  int bad = fclose(f) != 0;
  free(iobuf);
  if (bad && !r)
    r = error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot write the results file");
  if (!r && rename(tmp, path) != 0)
    r = error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot write the results file");
  if (r)
    unlink(tmp);
  return r;
}
