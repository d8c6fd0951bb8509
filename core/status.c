/* status: status messages and the error struct. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_messages[] = {
#define BT_X(name, msg) msg,
    BT_STATUS_LIST(BT_X)
#undef BT_X
};

const char *status_str(bt_status s) {
  if ((unsigned)s >= BT_STATUS_COUNT)
    return "unknown status";
  return status_messages[s];
}

void error_clear(bt_error *err) {
  if (!err)
    return;
  memset(err, 0, sizeof *err);
}

static void error_vset(bt_error *err, bt_status s, const char *file, long line, long column,
                       const char *fmt, va_list ap) {
  err->status = s;
  err->line = line;
  err->column = column;
  snprintf(err->file, sizeof err->file, "%s", file ? file : "");
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

bt_status error_set(bt_error *err, bt_status s, const char *fmt, ...) {
  if (!err)
    return s;
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, s, NULL, 0, 0, fmt, ap);
  va_end(ap);
  return s;
}

bt_status error_set_at(bt_error *err, bt_status s, const char *file, long line, long column,
                       const char *fmt, ...) {
  if (!err)
    return s;
  va_list ap;
  va_start(ap, fmt);
  error_vset(err, s, file, line, column, fmt, ap);
  va_end(ap);
  return s;
}

void error_prefix(bt_error *err, const char *fmt, ...) {
  if (!err)
    return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[sizeof err->message];
  memcpy(old, err->message, sizeof old);
  snprintf(err->message, sizeof err->message, "%s: %s", prefix, old);
}

const char *error_format(const bt_error *err, char *buf, size_t size) {
  if (!buf || size == 0)
    return "";
  if (!err) {
    buf[0] = '\0';
    return buf;
  }
  const char *msg = err->message[0] ? err->message : status_str(err->status);
  if (err->file[0] && err->line > 0 && err->column > 0)
    snprintf(buf, size, "%s:%ld:%ld: %s", err->file, err->line, err->column, msg);
  else if (err->file[0] && err->line > 0)
    snprintf(buf, size, "%s:%ld: %s", err->file, err->line, msg);
  else if (err->file[0])
    snprintf(buf, size, "%s: %s", err->file, msg);
  else
    snprintf(buf, size, "%s", msg);
  return buf;
}
