/* util: small shared helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t (*clock_fn)(void);

void util_clock_set(int64_t (*fn)(void)) {
  clock_fn = fn;
}

int64_t util_now_ms(void) {
  if (clock_fn)
    return clock_fn();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bt_status util_mkdir_p(const char *path, unsigned mode, bt_error *err) {
  char tmp[4096];
  if (strlen(path) >= sizeof tmp)
    return error_set(err, BT_ERR_IO, "path too long: %s", path);
  util_strlcpy(tmp, path, sizeof tmp);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
      return error_set(err, BT_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    *p = '/';
  }
  if (mkdir(tmp, mode) != 0 && errno != EEXIST)
    return error_set(err, BT_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
  struct stat st;
  if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode))
    return error_set(err, BT_ERR_IO, "%s is not a directory", tmp);
  return BT_OK;
}

bt_status util_read_file(const char *path, size_t max, char **out, size_t *len, bt_error *err) {
  *out = NULL;
  if (len)
    *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
  size_t cap = 4096, n = 0;
  char *data = malloc(cap);
  if (!data) {
    fclose(f);
    return error_set(err, BT_ERR_NOMEM, "out of memory reading %s", path);
  }
  for (;;) {
    if (n + 1 >= cap) {
      if (max && cap > max) {
        free(data);
        fclose(f);
        return error_set_at(err, BT_ERR_LIMIT, path, 0, 0, "file is larger than %zu bytes", max);
      }
      char *p = realloc(data, cap * 2);
      if (!p) {
        free(data);
        fclose(f);
        return error_set(err, BT_ERR_NOMEM, "out of memory reading %s", path);
      }
      data = p;
      cap *= 2;
    }
    size_t r = fread(data + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    return error_set_at(err, BT_ERR_IO, path, 0, 0, "read error");
  }
  if (max && n > max) {
    free(data);
    return error_set_at(err, BT_ERR_LIMIT, path, 0, 0, "file is larger than %zu bytes", max);
  }
  data[n] = '\0';
  *out = data;
  if (len)
    *len = n;
  return BT_OK;
}

void util_random_id(char *out, size_t n) {
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  unsigned char raw[64];
  if (n > sizeof raw)
    n = sizeof raw;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, raw, n) : -1;
  if (fd >= 0)
    close(fd);
  if (got != (ssize_t)n) {
    /* Fall back to time and pid mixing; ids only need to be unlikely to collide. */
    uint64_t x = (uint64_t)util_mono_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(size_t)out;
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      raw[i] = (unsigned char)x;
    }
  }
  for (size_t i = 0; i < n; i++)
    out[i] = alphabet[raw[i] % 36];
  out[n] = '\0';
}

char *util_xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p) {
    fputs("batchtop: out of memory\n", stderr);
    abort();
  }
  return p;
}

char *util_strlcpy(char *dst, const char *src, size_t size) {
  if (size == 0)
    return dst;
  size_t n = strlen(src);
  if (n >= size)
    n = size - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return dst;
}

int util_starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *util_fmt_count(double n, char *buf, size_t size) {
  if (n < 1000)
    snprintf(buf, size, "%.0f", n);
  else if (n < 1e6)
    snprintf(buf, size, n < 1e4 ? "%.1fk" : "%.0fk", n / 1e3);
  else if (n < 1e9)
    snprintf(buf, size, n < 1e7 ? "%.1fM" : "%.0fM", n / 1e6);
  else
    snprintf(buf, size, "%.1fG", n / 1e9);
  return buf;
}

const char *util_fmt_usd_exact(double usd, char *buf, size_t size) {
  if (usd < 0)
    usd = 0;
  snprintf(buf, size, usd >= 0.01 || usd == 0 ? "%.2f" : "%.6f", usd);
  for (size_t n = strlen(buf); usd < 0.01 && usd > 0 && n > 4 && buf[n - 1] == '0'; n--)
    buf[n - 1] = '\0';
  return buf;
}

const char *util_fmt_usd(double usd, char *buf, size_t size) {
  if (usd < 0)
    usd = 0;
  if (usd == 0)
    snprintf(buf, size, "$0.00");
  else if (usd < 0.01)
    snprintf(buf, size, "$%.4f", usd);
  else if (usd < 1000)
    snprintf(buf, size, "$%.2f", usd);
  else {
    long whole = (long)(usd + 0.5);
    char digits[32];
    snprintf(digits, sizeof digits, "%ld", whole);
    char out[48];
    size_t len = strlen(digits), o = 0;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
      if (i && (len - i) % 3 == 0)
        out[o++] = ',';
      out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
  }
  return buf;
}

const char *util_fmt_duration(int64_t ms, char *buf, size_t size) {
  if (ms < 0)
    ms = 0;
  int64_t s = ms / 1000;
  if (s < 60)
    snprintf(buf, size, "%llds", (long long)s);
  else if (s < 3600)
    snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  else if (s < 86400)
    snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
  else
    snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
  return buf;
}

int util_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63)
    return 99;
  int row[64];
  for (size_t j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}
