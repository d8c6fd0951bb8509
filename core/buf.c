/* buf: growable byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(bt_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void buf_cleanup(bt_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void buf_reset(bt_buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

bt_status buf_reserve(bt_buf *b, size_t extra) {
  if (b->max && b->len + extra > b->max)
    return BT_ERR_LIMIT;
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return BT_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    return BT_ERR_NOMEM;
  b->data = p;
  b->cap = cap;
  return BT_OK;
}

bt_status buf_append(bt_buf *b, const void *data, size_t n) {
  bt_status s = buf_reserve(b, n);
  if (s)
    return s;
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return BT_OK;
}

bt_status buf_puts(bt_buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

bt_status buf_putc(bt_buf *b, char c) { return buf_append(b, &c, 1); }

bt_status buf_vprintf(bt_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return BT_ERR_INTERNAL;
  bt_status s = buf_reserve(b, (size_t)n);
  if (s)
    return s;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return BT_OK;
}

bt_status buf_printf(bt_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  bt_status s = buf_vprintf(b, fmt, ap);
  va_end(ap);
  return s;
}

const char *buf_str(const bt_buf *b) { return b->data ? b->data : ""; }

char *buf_take(bt_buf *b) {
  char *p = b->data;
  if (!p) {
    p = calloc(1, 1);
  }
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
