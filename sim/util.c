/* util: buffers, hashing, ids, time formats for the emulator. Thread-safe. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_internal.h"

static void oom(void) {
  fputs("batchtop-sim: out of memory\n", stderr);
  abort();
}

void *sim_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom();
  return p;
}

void *sim_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    oom();
  return q;
}

char *sim_xstrdup(const char *s) {
  return sim_xstrndup(s, strlen(s));
}

char *sim_xstrndup(const char *s, size_t n) {
  char *d = sim_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

void sim_buf_append(sim_buf *b, const void *data, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len + 1)
      cap *= 2;
    b->data = sim_xrealloc(b->data, cap);
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void sim_buf_puts(sim_buf *b, const char *s) {
  sim_buf_append(b, s, strlen(s));
}

void sim_buf_free(sim_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

uint64_t sim_fnv1a64(const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t sim_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Ids come from a process-wide counter passed through splitmix64 (a bijection), so two ids
 * never collide; the seed makes separate runs differ. */
static atomic_ullong id_counter;
static atomic_ullong id_seed;

void sim_id_seed(uint64_t seed) {
  atomic_store(&id_seed, seed | 1);
}

void sim_id(char *out, size_t size, const char *prefix, size_t n, bool base62) {
  static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static const char hex[] = "0123456789abcdef";
  uint64_t st = atomic_load(&id_seed) ^ (atomic_fetch_add(&id_counter, 1) * 0x9E3779B97F4A7C15ULL);
  size_t plen = strlen(prefix);
  if (plen + n + 1 > size)
    n = size > plen + 1 ? size - plen - 1 : 0;
  memcpy(out, prefix, plen < size ? plen : size - 1);
  uint64_t x = sim_splitmix64(&st);
  int left = 0;
  for (size_t i = 0; i < n; i++) {
    if (left == 0) {
      x = sim_splitmix64(&st);
      left = 10;
    }
    out[plen + i] = base62 ? b62[x % 62] : hex[x & 15];
    x = base62 ? x / 62 : x >> 4;
    left--;
  }
  out[plen + n] = '\0';
}

bool sim_contains_ci(const char *hay, size_t hay_len, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0 || n > hay_len)
    return false;
  unsigned char first = (unsigned char)tolower((unsigned char)needle[0]);
  for (size_t i = 0; i + n <= hay_len; i++) {
    if ((unsigned char)tolower((unsigned char)hay[i]) != first)
      continue;
    size_t k = 1;
    while (k < n && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
      k++;
    if (k == n)
      return true;
  }
  return false;
}

void sim_rfc3339(int64_t ms, char *out, size_t size) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, size, "%s.%06dZ", date, (int)(ms % 1000) * 1000);
}

char *sim_json_text(const json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT);
  if (!s)
    oom();
  return s;
}

int64_t sim_realtime_ms(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_log(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char when[40];
  sim_rfc3339(sim_realtime_ms(NULL), when, sizeof when);
  fprintf(stderr, "%s batchtop-sim: %s\n", when, msg);
}
