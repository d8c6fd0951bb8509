/* logger: process-wide file logger with secret scrubbing. */
#include "logger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "secret.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static bt_log_level log_min = LOG_INFO;

bt_status logger_open(const char *path, bt_log_level min_level, bt_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open log: %s", strerror(errno));
  FILE *f = fdopen(fd, "a");
  if (!f) {
    close(fd);
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open log: %s", strerror(errno));
  }
  setvbuf(f, NULL, _IOLBF, 0);
  pthread_mutex_lock(&log_lock);
  if (log_file)
    fclose(log_file);
  log_file = f;
  log_min = min_level;
  pthread_mutex_unlock(&log_lock);
  return BT_OK;
}

void logger_close(void) {
  pthread_mutex_lock(&log_lock);
  if (log_file)
    fclose(log_file);
  log_file = NULL;
  pthread_mutex_unlock(&log_lock);
}

void logger_log(bt_log_level level, const char *fmt, ...) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  if (level < log_min)
    return;
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  secret_scrub(line);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  pthread_mutex_lock(&log_lock);
  if (log_file)
    fprintf(log_file, "%s.%03ldZ %d %-5s %s\n", stamp, ts.tv_nsec / 1000000L, (int)getpid(),
            names[level], line);
  pthread_mutex_unlock(&log_lock);
}
