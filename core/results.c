/* results: export in input order. */
#include "results.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "secret.h"
#include "store_job.h"

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
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *input = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
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
      for (size_t i = 0; i < nf; i++)
        results_csv_value(out, json_object_get(input, json_string_value(json_array_get(fields, i))),
                          i == 0);
      char num[64];
      results_csv_field(out, state, nf == 0);
      results_csv_field(out, succeeded ? output : NULL, 0);
      results_csv_field(out, error, 0);
      snprintf(num, sizeof num, "%lld", in_tok);
      results_csv_field(out, num, 0);
      snprintf(num, sizeof num, "%lld", out_tok);
      results_csv_field(out, num, 0);
      snprintf(num, sizeof num, "%.8f", cost);
      results_csv_field(out, num, 0);
      fputc('\n', out);
    } else {
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
    }
    json_decref(input);
    if (rows)
      (*rows)++;
    if (r)
      break;
  }
  buf_cleanup(&ebuf);
  if (!r && rc != SQLITE_DONE)
    r = store_fail(s, err, "reading results");
  sqlite3_finalize(st);
  json_decref(fields);
  if (!r && ferror(out))
    r = error_set(err, BT_ERR_IO, "cannot write the results");
  return r;
}

bt_status results_export_file(bt_store *s, const char *job_id, const char *format, const char *path,
                              int64_t *rows, bt_error *err) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot write the results file");
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
