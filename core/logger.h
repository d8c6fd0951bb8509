/* logger: a process-wide file logger. It never writes to the terminal (the dashboard owns it).
 *
 * logger_open() once at start (any thread, before others log); logger_log() from any thread;
 * logger_close() at exit. Before logger_open() (or after a failed open) messages are dropped.
 * Every line passes through secret_scrub(), so a registered API key never reaches the log. */
#ifndef BT_LOGGER_H
#define BT_LOGGER_H

#include "status.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } bt_log_level;

bt_status logger_open(const char *path, bt_log_level min_level, bt_error *err) BT_WUR;
void logger_close(void);
void logger_log(bt_log_level level, const char *fmt, ...) BT_PRINTF(2, 3);

#define log_debug(...) logger_log(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) logger_log(LOG_INFO, __VA_ARGS__)
#define log_warn(...) logger_log(LOG_WARN, __VA_ARGS__)
#define log_error(...) logger_log(LOG_ERROR, __VA_ARGS__)

#endif
