/* status: the one status enum of batchtop and the caller-supplied error struct.
 *
 * Every fallible core function returns a bt_status (BT_OK == 0) and, when given a non-NULL
 * bt_error, fills it with a message and, where it applies, the file/line/column at fault.
 * There is no global error state: each caller owns its bt_error (usually on the stack).
 * Any thread may use these functions. */
#ifndef BT_STATUS_H
#define BT_STATUS_H

#include <stddef.h>

#define BT_WUR __attribute__((warn_unused_result))
#define BT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* One list, expanded into the enum and the message table so they cannot drift. */
#define BT_STATUS_LIST(X)                                                                  \
  X(BT_OK, "ok")                                                                           \
  X(BT_ERR_NOMEM, "out of memory")                                                         \
  X(BT_ERR_IO, "input/output error")                                                       \
  X(BT_ERR_USAGE, "usage error")                                                           \
  X(BT_ERR_INPUT, "invalid input")                                                         \
  X(BT_ERR_TEMPLATE, "template error")                                                     \
  X(BT_ERR_CONFIG, "configuration error")                                                  \
  X(BT_ERR_STORE, "store (database) error")                                                \
  X(BT_ERR_NOT_FOUND, "not found")                                                         \
  X(BT_ERR_EXISTS, "already exists")                                                       \
  X(BT_ERR_LIMIT, "over a limit")                                                          \
  X(BT_ERR_BUDGET, "refused by the cost limit")                                            \
  X(BT_ERR_HTTP, "HTTP error")                                                             \
  X(BT_ERR_NETWORK, "network error")                                                       \
  X(BT_ERR_AUTH, "authentication failed")                                                  \
  X(BT_ERR_PROVIDER, "provider error")                                                     \
  X(BT_ERR_BUSY, "busy (another process holds it)")                                        \
  X(BT_ERR_CANCELLED, "cancelled")                                                         \
  X(BT_ERR_UNSUPPORTED, "not supported")                                                   \
  X(BT_ERR_INTERNAL, "internal error")

typedef enum {
#define BT_X(name, msg) name,
  BT_STATUS_LIST(BT_X)
#undef BT_X
      BT_STATUS_COUNT
} bt_status;

/* Short English message for a status; never NULL. */
const char *status_str(bt_status s);

/* Error details. line/column are 1-based; 0 means "not applicable". */
typedef struct bt_error {
  bt_status status;
  char message[512];
  char file[256];
  long line;
  long column;
} bt_error;

/* Reset to BT_OK with empty fields. err may be NULL. */
void error_clear(bt_error *err);

/* Fill err (if not NULL) and return s, so callers can write `return error_set(err, ...)`. */
bt_status error_set(bt_error *err, bt_status s, const char *fmt, ...) BT_PRINTF(3, 4);

/* Same, with a location. file may be NULL; line/column 0 when unknown. */
bt_status error_set_at(bt_error *err, bt_status s, const char *file, long line, long column,
                       const char *fmt, ...) BT_PRINTF(6, 7);

/* Prefix the existing message with more context ("loading prices: <old message>"). */
void error_prefix(bt_error *err, const char *fmt, ...) BT_PRINTF(2, 3);

/* Render as "FILE:LINE:COL: message" (parts omitted when unknown) into buf; returns buf. */
const char *error_format(const bt_error *err, char *buf, size_t size);

#endif
