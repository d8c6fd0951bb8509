/* results: a job's input rows merged with their outcomes, in input order, streamed from the
 * store (one row in memory at a time): the input columns (in the input's field order,
 * jobs.input_fields) then status, output, error, input_tokens, output_tokens, cost_usd.
 * Formats: "csv" (RFC 4180 quoting) or "jsonl" (one object a line).
 *
 * Any thread, on its own store connection. The caller owns out. results_export_file writes
 * FILE.tmp beside the target and renames it, so a reader never sees half a file. */
#ifndef BT_RESULTS_H
#define BT_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "store.h"

/* NULL format: the input's (jsonl stays jsonl; csv and tsv give csv). */
const char *results_default_format(const char *input_format);
bt_status results_export(bt_store *s, const char *job_id, const char *format, FILE *out,
                         int64_t *rows, bt_error *err) BT_WUR;
bt_status results_export_file(bt_store *s, const char *job_id, const char *format,
                              const char *path, int64_t *rows, bt_error *err) BT_WUR;

/* CSV writing shared with pipeline results: one field (RFC 4180 quoting; NULL is empty), with a
 * comma before it unless first; and a JSON value as CSV text (strings as they are, null empty,
 * others compact JSON). */
void results_csv_field(FILE *out, const char *s, int first);
void results_csv_value(FILE *out, json_t *v, int first);

#endif
