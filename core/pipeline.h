/* pipeline: chained stages, read from a YAML file.
 *
 *     name: triage
 *     input: feedback.csv            # relative paths are relative to this file
 *     stages:
 *       - name: label
 *         template: label.tmpl
 *         provider: openai
 *         model: gpt-4o-mini
 *         chunk_size: 50             # optional
 *       - name: reply
 *         template: reply.tmpl       # may use {{prev.output}}, {{label.output}}, row fields
 *         provider: anthropic
 *         model: claude-haiku-4-5
 *         where: output contains "bug"   # optional; default: the previous stage succeeded
 *
 * `where:` keeps a row for this stage when the previous stage's task succeeded and, if a
 * condition is given, its output matches it: `succeeded` (the default), or
 * `output contains "TEXT"`, `output not contains "TEXT"`, `output == "TEXT"`,
 * `output != "TEXT"` (comparisons ignore case and surrounding white space).
 *
 * pipeline_load() parses and checks the file's shape; every error carries the file, line and
 * column of the offending node. The struct owns its strings; pipeline_cleanup() frees them.
 * Any thread; one owner at a time. */
#ifndef BT_PIPELINE_H
#define BT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef enum {
  WHERE_SUCCEEDED,    /* previous stage succeeded (default) */
  WHERE_CONTAINS,     /* ... and its output contains text */
  WHERE_NOT_CONTAINS, /* ... and its output does not contain text */
  WHERE_EQUALS,       /* ... and its output equals text */
  WHERE_NOT_EQUALS    /* ... and its output differs from text */
} bt_where_kind;

typedef struct bt_where {
  bt_where_kind kind;
  char *text; /* NULL for WHERE_SUCCEEDED */
} bt_where;

typedef struct bt_stage {
  char *name;
  char *template_path; /* resolved against the pipeline file's folder */
  char *provider;      /* NULL: the template's front matter decides */
  char *model;         /* NULL: the template's front matter decides */
  int64_t chunk_size;  /* 0: provider limits only */
  double max_cost;     /* < 0: none */
  bt_where where;
  long line, column; /* where the stage starts in the file */
} bt_stage;

typedef struct bt_pipeline {
  char *path;       /* the file as given */
  char *name;
  char *input_path; /* resolved against the pipeline file's folder */
  char *format;     /* NULL: by extension */
  bt_stage *stages;
  size_t n_stages;
} bt_pipeline;

bt_status pipeline_load(const char *path, bt_pipeline *out, bt_error *err) BT_WUR;
void pipeline_cleanup(bt_pipeline *p);

/* Index of the stage with that name, or -1. */
int pipeline_stage_index(const bt_pipeline *p, const char *name);

/* 1 when an output passes a stage's where-condition (the succeeded part is the caller's). */
int pipeline_where_match(const bt_where *w, const char *output);

#endif
