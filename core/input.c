/* input: the common part of the record readers (byte source, field storage, dispatch). */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_int.h"

bt_status input_format_parse(const char *name, bt_input_format *out, bt_error *err) {
  if (strcmp(name, "csv") == 0)
    *out = BT_INPUT_CSV;
  else if (strcmp(name, "tsv") == 0)
    *out = BT_INPUT_TSV;
  else if (strcmp(name, "jsonl") == 0 || strcmp(name, "ndjson") == 0 || strcmp(name, "json") == 0)
    *out = BT_INPUT_JSONL;
  else
    return error_set(err, BT_ERR_USAGE, "unknown input format '%s' (csv, tsv or jsonl)", name);
  return BT_OK;
}

bt_input_format input_format_guess(const char *path) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (dot && (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0))
    return BT_INPUT_TSV;
  if (dot && (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0 ||
              strcasecmp(dot, ".json") == 0))
    return BT_INPUT_JSONL;
  return BT_INPUT_CSV;
}

const char *input_format_name(bt_input_format f) {
  switch (f) {
  case BT_INPUT_TSV:
    return "tsv";
  case BT_INPUT_JSONL:
    return "jsonl";
  default:
    return "csv";
  }
}

int input_fill(bt_input *in) {
  if (in->eof)
    return 0;
  if (!in->f) { /* memory source: the whole buffer was the one chunk */
    in->eof = 1;
    in->rlen = in->rpos = 0;
    return 0;
  }
  size_t n = fread(in->chunk, 1, INPUT_CHUNK, in->f);
  in->rbuf = in->chunk;
  in->rlen = n;
  in->rpos = 0;
  if (n == 0) {
    in->eof = 1;
    if (ferror(in->f))
      in->io_error = errno ? errno : EIO;
    return 0;
  }
  return 1;
}

bt_status input_fields_reserve(bt_input *in, size_t n) {
  if (n <= in->capf)
    return BT_OK;
  size_t cap = in->capf ? in->capf * 2 : 16;
  while (cap < n)
    cap *= 2;
  size_t *offs = realloc(in->offs, cap * sizeof *offs);
  if (offs)
    in->offs = offs;
  size_t *noffs = realloc(in->name_offs, cap * sizeof *noffs);
  if (noffs)
    in->name_offs = noffs;
  size_t *lens = realloc(in->lens, cap * sizeof *lens);
  if (lens)
    in->lens = lens;
  unsigned char *kinds = realloc(in->kinds, cap);
  if (kinds)
    in->kinds = kinds;
  const char **vals = realloc(in->vals, cap * sizeof *vals);
  if (vals)
    in->vals = vals;
  const char **rnames = realloc(in->rnames, cap * sizeof *rnames);
  if (rnames)
    in->rnames = rnames;
  if (!offs || !noffs || !lens || !kinds || !vals || !rnames)
    return BT_ERR_NOMEM;
  in->capf = cap;
  return BT_OK;
}

static size_t name_hash(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (size_t)(h ^ (h >> 29));
}

long input_names_find(const bt_input *in, const char *name) {
  if (!in->name_mask)
    return -1;
  for (size_t i = name_hash(name) & in->name_mask;; i = (i + 1) & in->name_mask) {
    size_t v = in->name_slots[i];
    if (!v)
      return -1;
    if (strcmp(in->names[v - 1], name) == 0)
      return (long)(v - 1);
  }
}

/* Keep the index at most half full; rebuilt from in->names when it grows. */
static int names_index_grow(bt_input *in) {
  if ((in->n_names + 1) * 2 <= in->name_mask + 1 && in->name_mask)
    return 0;
  size_t n = in->name_mask ? (in->name_mask + 1) * 2 : 64;
  size_t *slots = calloc(n, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t k = 0; k < in->n_names; k++) {
    size_t i = name_hash(in->names[k]) & (n - 1);
    while (slots[i])
      i = (i + 1) & (n - 1);
    slots[i] = k + 1;
  }
  free(in->name_slots);
  in->name_slots = slots;
  in->name_mask = n - 1;
  return 0;
}

long input_names_add(bt_input *in, const char *name) {
  long found = input_names_find(in, name);
  if (found >= 0)
    return found;
  if (in->format == BT_INPUT_JSONL && in->n_names >= INPUT_MAX_NAMES)
    return -2; /* a JSONL file with ever new keys: stop listing them (memory stays flat) */
  if (in->n_names == in->cap_names) {
    size_t cap = in->cap_names ? in->cap_names * 2 : 16;
    char **p = realloc(in->names, cap * sizeof *p);
    if (!p)
      return -1;
    in->names = p;
    in->cap_names = cap;
  }
  if (names_index_grow(in))
    return -1;
  char *copy = strdup(name);
  if (!copy)
    return -1;
  in->names[in->n_names] = copy;
  size_t i = name_hash(name) & in->name_mask;
  while (in->name_slots[i])
    i = (i + 1) & in->name_mask;
  in->name_slots[i] = in->n_names + 1;
  return (long)in->n_names++;
}

void input_record_finish(bt_input *in, int64_t line_no) {
  for (size_t i = 0; i < in->nf; i++) {
    in->vals[i] = in->data.data + in->offs[i];
    if (in->format == BT_INPUT_JSONL)
      in->rnames[i] = in->data.data + in->name_offs[i];
    else
      in->rnames[i] = in->names[i];
  }
  in->rec.row_no = ++in->rows;
  in->rec.line_no = line_no;
  in->rec.n = in->nf;
  in->rec.names = in->rnames;
  in->rec.values = in->vals;
  in->rec.lens = in->lens;
  in->rec.kinds = in->kinds;
}

static bt_status input_new(const char *name, bt_input_format format, bt_input **out,
                           bt_error *err) {
  bt_input *in = calloc(1, sizeof *in);
  if (!in || !(in->path = strdup(name ? name : "-"))) {
    free(in);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  in->format = format;
  in->line = 1;
  in->col = 1;
  in->u8.lo = 0x80;
  in->u8.hi = 0xBF;
  in->sep = format == BT_INPUT_TSV ? '\t' : ',';
  buf_init(&in->data, INPUT_MAX_RECORD);
  buf_init(&in->line_buf, INPUT_MAX_RECORD);
  *out = in;
  return BT_OK;
}

static bt_status input_start(bt_input *in, bt_input **out, bt_error *err) {
  /* A UTF-8 BOM is not part of the data; columns still count it, as editors show it. */
  if (input_peek(in) == 0xEF && in->rlen - in->rpos >= 3 &&
      memcmp(in->rbuf + in->rpos, "\xEF\xBB\xBF", 3) == 0) {
    in->rpos += 3;
    in->col += 3;
  }
  if (input_peek(in) < 0 && !in->io_error) {
    bt_status s =
        in->is_stream
            ? error_set_at(err, BT_ERR_INPUT, in->path, 1, 1,
                           "empty input: nothing was written to it (a FIFO's writer must have "
                           "it open when batchtop opens it, as with <(command))")
            : error_set_at(err, BT_ERR_INPUT, in->path, 1, 1, "empty file: no records");
    input_close(in);
    return s;
  }
  if (in->format != BT_INPUT_JSONL) {
    bt_status s = input_csv_header(in, err);
    if (s) {
      input_close(in);
      return s;
    }
  }
  *out = in;
  return BT_OK;
}

bt_status input_open(const char *path, bt_input_format format, bt_input **out, bt_error *err) {
  *out = NULL;
  bt_input *in = NULL;
  bt_status s = input_new(path, format, &in, err);
  if (s)
    return s;
  /* Opened without blocking: a FIFO with no writer would otherwise wait in open() forever.
   * Reads block again once we know what it is. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    s = error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    if (fd >= 0)
      close(fd);
    input_close(in);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    input_close(in);
    return error_set_at(err, BT_ERR_INPUT, path, 0, 0,
                        "is a directory; INPUT must be a CSV, TSV or JSONL file");
  }
  in->is_stream = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
  int fl = fcntl(fd, F_GETFL);
  if (fl == -1 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 || !(in->f = fdopen(fd, "rb"))) {
    s = error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    close(fd);
    input_close(in);
    return s;
  }
  in->chunk = malloc(INPUT_CHUNK);
  if (!in->chunk) {
    input_close(in);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  in->rbuf = in->chunk;
  return input_start(in, out, err);
}

bt_status input_open_mem(const char *data, size_t len, const char *name, bt_input_format format,
                         bt_input **out, bt_error *err) {
  *out = NULL;
  bt_input *in = NULL;
  bt_status s = input_new(name, format, &in, err);
  if (s)
    return s;
  in->rbuf = data;
  in->rlen = len;
  return input_start(in, out, err);
}

bt_status input_next(bt_input *in, const bt_record **rec, bt_error *err) {
  *rec = NULL;
  if (in->finished)
    return BT_OK;
  int got = 0;
  bt_status s = in->format == BT_INPUT_JSONL ? input_jsonl_next(in, &got, err)
                                             : input_csv_next(in, &got, err);
  if (!s && in->io_error)
    s = error_set_at(err, BT_ERR_IO, in->path, in->line, in->col, "read error: %s",
                     strerror(in->io_error));
  if (!s && !got && in->rows == 0)
    s = error_set_at(err, BT_ERR_INPUT, in->path, in->line, in->col,
                     in->format == BT_INPUT_JSONL ? "no records in the file"
                                                  : "no data rows after the header");
  if (s || !got) {
    in->finished = 1;
    return s;
  }
  *rec = &in->rec;
  return BT_OK;
}

size_t input_n_names(const bt_input *in) {
  return in->n_names;
}
const char *input_name(const bt_input *in, size_t i) {
  return i < in->n_names ? in->names[i] : NULL;
}
bt_input_format input_format(const bt_input *in) {
  return in->format;
}
const char *input_path(const bt_input *in) {
  return in->path;
}

void input_close(bt_input *in) {
  if (!in)
    return;
  if (in->f)
    fclose(in->f);
  free(in->chunk);
  free(in->path);
  for (size_t i = 0; i < in->n_names; i++)
    free(in->names[i]);
  free(in->names);
  free(in->name_slots);
  free(in->fline);
  free(in->fcol);
  buf_cleanup(&in->data);
  buf_cleanup(&in->line_buf);
  free(in->offs);
  free(in->name_offs);
  free(in->lens);
  free(in->kinds);
  free(in->vals);
  free(in->rnames);
  free(in);
}

long record_find(const bt_record *rec, const char *name) {
  for (size_t i = 0; i < rec->n; i++)
    if (strcmp(rec->names[i], name) == 0)
      return (long)i;
  return -1;
}
