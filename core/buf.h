/* buf: a growable byte buffer, always NUL-terminated, with an optional size cap.
 *
 * Embedded use: `bt_buf b; buf_init(&b, 0); ... buf_cleanup(&b);`. The caller owns the
 * struct; buf_take() hands the heap data to the caller (who frees it) and resets the buffer.
 * Not thread-safe; one owner at a time. */
#ifndef BT_BUF_H
#define BT_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "status.h"

typedef struct bt_buf {
  char *data; /* NUL-terminated when len > 0 or after any append; may be NULL when empty */
  size_t len;
  size_t cap;
  size_t max; /* 0 = unlimited; appends past it fail with BT_ERR_LIMIT */
} bt_buf;

void buf_init(bt_buf *b, size_t max);
void buf_cleanup(bt_buf *b);
void buf_reset(bt_buf *b); /* len = 0, keeps the memory */
bt_status buf_reserve(bt_buf *b, size_t extra) BT_WUR;
bt_status buf_append(bt_buf *b, const void *data, size_t n) BT_WUR;
bt_status buf_puts(bt_buf *b, const char *s) BT_WUR;
bt_status buf_putc(bt_buf *b, char c) BT_WUR;
bt_status buf_printf(bt_buf *b, const char *fmt, ...) BT_WUR BT_PRINTF(2, 3);
bt_status buf_vprintf(bt_buf *b, const char *fmt, va_list ap) BT_WUR;
/* Always a valid C string ("" when empty). */
const char *buf_str(const bt_buf *b);
/* Hand over the data (never NULL on success; "" allocated when empty); the buffer is reset. */
char *buf_take(bt_buf *b);

#endif
