/* input_utf8: a byte-at-a-time UTF-8 validator (Unicode table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF), so the readers can report the exact line and column of
 * the first bad byte without a second pass. Header-only; any thread; no allocation. */
#ifndef BT_INPUT_UTF8_H
#define BT_INPUT_UTF8_H

#include <stddef.h>

typedef struct bt_utf8 {
  unsigned char need; /* continuation bytes still expected */
  unsigned char lo;   /* allowed range of the next continuation byte */
  unsigned char hi;
} bt_utf8;

/* Feed one byte. Returns 1 when it is fine so far, 0 when the sequence is invalid (the
 * offending sequence started at the last lead byte, or at this byte when need was 0). */
static inline int utf8_feed(bt_utf8 *u, unsigned char c) {
  if (u->need) {
    if (c < u->lo || c > u->hi)
      return 0;
    u->need--;
    u->lo = 0x80;
    u->hi = 0xBF;
    return 1;
  }
  if (c < 0x80)
    return 1;
  u->lo = 0x80;
  u->hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    u->need = 1;
  else if (c == 0xE0) {
    u->need = 2;
    u->lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
    u->need = 2;
  else if (c == 0xED) {
    u->need = 2;
    u->hi = 0x9F;
  } else if (c == 0xF0) {
    u->need = 3;
    u->lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3)
    u->need = 3;
  else if (c == 0xF4) {
    u->need = 3;
    u->hi = 0x8F;
  } else
    return 0;
  return 1;
}

/* Offset of the first byte of the first invalid sequence in s[0..n), or n when all is valid
 * (a sequence cut short by the end counts as invalid at its lead byte). */
static inline size_t utf8_check(const char *s, size_t n) {
  bt_utf8 u = {0, 0x80, 0xBF};
  size_t lead = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80 && !u.need)
      continue;
    if (!u.need)
      lead = i;
    if (!utf8_feed(&u, c))
      return u.need ? lead : i;
  }
  return u.need ? lead : n;
}

#endif
