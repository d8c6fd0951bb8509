/* input_jsonl: one JSON object per LF-terminated line. jansson validates the line and decodes
 * strings; a small scanner takes the raw text of every top-level value so numbers keep the
 * digits the file wrote (jansson would reprint 0.1 as 0.10000000000000001). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "input_int.h"

/* Read the next line (without its LF) into in->line_buf. *got = 0 at the end. */
static bt_status jsonl_line(bt_input *in, int *got, bt_error *err) {
  *got = 0;
  buf_reset(&in->line_buf);
  int any = 0;
  for (;;) {
    if (in->rpos >= in->rlen && !input_fill(in))
      break;
    any = 1;
    const char *p = in->rbuf + in->rpos;
    size_t avail = in->rlen - in->rpos;
    const char *nl = memchr(p, '\n', avail);
    size_t n = nl ? (size_t)(nl - p) : avail;
    if (buf_append(&in->line_buf, p, n))
      return error_set_at(err, BT_ERR_INPUT, in->path, in->line, 1, "line too long (over %zu MB)",
                          INPUT_MAX_RECORD >> 20);
    in->rpos += n + (nl ? 1 : 0);
    if (nl)
      break;
  }
  *got = any;
  return BT_OK;
}

/* End of the JSON value starting at s[i] (s is valid JSON: jansson said so). */
static size_t jsonl_skip_value(const char *s, size_t n, size_t i) {
  if (s[i] == '"') {
    for (i++; i < n && s[i] != '"'; i++)
      if (s[i] == '\\')
        i++;
    return i + 1;
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < n; i++) {
      if (s[i] == '"') {
        i = jsonl_skip_value(s, n, i) - 1;
      } else if (s[i] == '{' || s[i] == '[') {
        depth++;
      } else if (s[i] == '}' || s[i] == ']') {
        if (--depth == 0)
          return i + 1;
      }
    }
    return n;
  }
  while (i < n && !strchr(",}] \t\r\n", s[i]))
    i++;
  return i;
}

static size_t jsonl_ws(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
    i++;
  return i;
}

/* Append s[a..b) without the whitespace outside strings (compact JSON, digits as written). */
static bt_status jsonl_compact(bt_buf *out, const char *s, size_t a, size_t b) {
  for (size_t i = a; i < b; i++) {
    if (s[i] == '"') {
      size_t e = jsonl_skip_value(s, b, i);
      if (buf_append(out, s + i, e - i))
        return BT_ERR_NOMEM;
      i = e - 1;
    } else if (!strchr(" \t\r\n", s[i])) {
      if (buf_putc(out, s[i]))
        return BT_ERR_NOMEM;
    }
  }
  return BT_OK;
}

bt_status input_jsonl_next(bt_input *in, int *got, bt_error *err) {
  bt_status s;
  const char *text;
  size_t n, first;
  int64_t line;
  for (;;) {
    line = in->line;
    long col0 = in->col; /* 4 after a BOM on line 1 */
    if ((s = jsonl_line(in, got, err)))
      return s;
    if (!*got)
      return BT_OK;
    in->line++;
    in->col = 1;
    text = buf_str(&in->line_buf);
    n = in->line_buf.len;
    size_t bad = utf8_check(text, n);
    if (bad < n)
      return error_set_at(err, BT_ERR_INPUT, in->path, line, col0 + (long)bad,
                          "invalid UTF-8 (save the file as UTF-8)");
    first = jsonl_ws(text, n, 0);
    if (first == n) { /* an empty line: fine at the end only */
      if (!in->blank_line)
        in->blank_line = line;
      continue;
    }
    if (in->blank_line)
      return error_set_at(err, BT_ERR_INPUT, in->path, in->blank_line, 1,
                          "empty line between records");
    if (text[first] != '{')
      return error_set_at(err, BT_ERR_INPUT, in->path, line, col0 + (long)first,
                          "expected a JSON object ({...}) on each line");
    json_error_t je;
    json_t *obj = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
    if (!obj) {
      /* jansson's position is the byte just past the offending token. */
      long col = je.position > 0 ? je.position : 1;
      return error_set_at(err, BT_ERR_INPUT, in->path, line, col0 - 1 + col, "invalid JSON: %s",
                          je.text);
    }
    /* Walk the raw text and jansson's (insertion-ordered) members side by side. */
    buf_reset(&in->data);
    in->nf = 0;
    size_t i = first + 1;
    void *it = json_object_iter(obj);
    s = BT_OK;
    while (it) {
      if (input_fields_reserve(in, in->nf + 1)) {
        s = error_set(err, BT_ERR_NOMEM, "out of memory");
        break;
      }
      i = jsonl_ws(text, n, i);
      i = jsonl_skip_value(text, n, i); /* the key */
      i = jsonl_ws(text, n, i) + 1;     /* ':' */
      i = jsonl_ws(text, n, i);
      size_t vend = jsonl_skip_value(text, n, i);
      const char *key = json_object_iter_key(it);
      json_t *v = json_object_iter_value(it);
      in->name_offs[in->nf] = in->data.len;
      if (buf_append(&in->data, key, strlen(key) + 1)) {
        s = error_set_at(err, BT_ERR_INPUT, in->path, line, 1, "record too large");
        break;
      }
      in->offs[in->nf] = in->data.len;
      bt_status bs = BT_OK;
      if (json_is_string(v)) {
        in->kinds[in->nf] = BT_VAL_STRING;
        bs = buf_append(&in->data, json_string_value(v), json_string_length(v));
      } else if (json_is_null(v)) {
        in->kinds[in->nf] = BT_VAL_NULL;
      } else {
        in->kinds[in->nf] = BT_VAL_RAW;
        bs = jsonl_compact(&in->data, text, i, vend);
      }
      if (bs || buf_putc(&in->data, '\0')) {
        s = error_set_at(err, BT_ERR_INPUT, in->path, line, 1, "record too large");
        break;
      }
      in->lens[in->nf] = in->data.len - 1 - in->offs[in->nf];
      if (input_names_add(in, key) == -1) {
        s = error_set(err, BT_ERR_NOMEM, "out of memory");
        break;
      }
      in->nf++;
      i = jsonl_ws(text, n, vend) + 1; /* ',' or '}' */
      it = json_object_iter_next(obj, it);
    }
    json_decref(obj);
    if (s)
      return s;
    input_record_finish(in, line);
    *got = 1;
    return BT_OK;
  }
}
