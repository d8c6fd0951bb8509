/* ingest_file: a downloaded result file into the store, whole. */
#include "ingest_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "logger.h"

typedef struct {
  bt_ingest *g;
  bt_provider_kind kind;
  int64_t skipped;
  bt_error err;
} file_ctx;

static bt_status file_line(void *ud, const char *line, size_t len) {
  file_ctx *c = ud;
  bt_result res;
  bt_error perr;
  if (provider_parse_result(c->kind, line, len, &res, &perr)) {
    c->skipped++;
    log_warn("ingest: skipping a result line: %s", perr.message);
    return BT_OK;
  }
  return ingest_add(c->g, &res, &c->err);
}

bt_status ingest_file(bt_ingest *g, bt_provider_kind kind, FILE *f, int64_t *applied,
                      int64_t *skipped, bt_error *err) {
  file_ctx c = {.g = g, .kind = kind};
  bt_lines l;
  lines_init(&l, file_line, &c);
  enum { CHUNK = 1 << 16 };
  char *chunk = malloc(CHUNK);
  bt_status st = chunk ? BT_OK : error_set(err, BT_ERR_NOMEM, "out of memory");
  size_t n;
  while (!st && (n = fread(chunk, 1, CHUNK, f)) > 0)
    st = lines_feed(&l, chunk, n);
  free(chunk);
  if (!st && ferror(f))
    st = error_set(err, BT_ERR_IO, "reading a result file: %s", strerror(errno));
  if (!st)
    st = lines_finish(&l);
  if (st && l.failed)
    *err = c.err; /* ingest_add's own words */
  lines_cleanup(&l);
  if (skipped)
    *skipped = c.skipped;
  return st ? st : ingest_apply(g, applied, err);
}
