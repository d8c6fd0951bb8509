/* util: small helpers shared by core modules: clocks, paths, ids, file reading.
 * All functions are thread-safe unless noted. */
#ifndef BT_UTIL_H
#define BT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Wall clock in milliseconds since the epoch. Tests may replace it with util_clock_set(). */
int64_t util_now_ms(void);
/* Monotonic clock in milliseconds (for timeouts and intervals). */
int64_t util_mono_ms(void);
/* Fake clock for tests (golden screens): when fn is non-NULL util_now_ms() returns fn(). */
void util_clock_set(int64_t (*fn)(void));

/* mkdir -p with the given mode for every created component. */
bt_status util_mkdir_p(const char *path, unsigned mode, bt_error *err) BT_WUR;

/* Read a whole (small) file; *out is heap memory the caller frees. Refuses files over max. */
bt_status util_read_file(const char *path, size_t max, char **out, size_t *len,
                         bt_error *err) BT_WUR;

/* n random lowercase base-36 characters (from /dev/urandom) plus NUL into out[n+1]. */
void util_random_id(char *out, size_t n);

/* strdup that aborts on out-of-memory (for tiny strings where failure is not recoverable). */
char *util_xstrdup(const char *s);

/* Copy with truncation, always NUL-terminated; returns dst. */
char *util_strlcpy(char *dst, const char *src, size_t size);

/* 1 if s starts with prefix. */
int util_starts_with(const char *s, const char *prefix);

/* Human formats: "1.2k", "3.4M"; "$0.0123", "$12.34", "$1,234". Write into buf, return buf. */
const char *util_fmt_count(double n, char *buf, size_t size);
const char *util_fmt_usd(double usd, char *buf, size_t size);
/* A budget or estimate as exact as a user would write it, without the "$": cents from one cent
 * up, else up to six decimals with trailing zeros dropped ("0.00005", where util_fmt_usd says
 * "$0.0001"). */
const char *util_fmt_usd_exact(double usd, char *buf, size_t size);
/* "3s", "4m10s", "2h05m", "3d04h". */
const char *util_fmt_duration(int64_t ms, char *buf, size_t size);

/* Levenshtein distance between a and b (bytes), for "did you mean"; 99 for words over 63
 * bytes. */
int util_edit_distance(const char *a, const char *b);

#endif
