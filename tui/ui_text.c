/* ui_text: display-width measuring and cutting of UTF-8 text. */
#include "ui_text.h"

#include <langinfo.h>
#include <string.h>
#include <wchar.h>

int ui_text_utf8(void) {
  const char *cs = nl_langinfo(CODESET);
  return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

size_t ui_text_seq_len(const char *s) {
  unsigned char c = (unsigned char)s[0];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  for (size_t i = 1; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      return 1;
  return n;
}

/* Decode the next character: its bytes, its display width and what to write for it. */
typedef struct {
  size_t len;      /* bytes consumed */
  int width;       /* columns */
  const char *out; /* replacement text, or NULL to copy the bytes as they are */
} glyph;

static glyph next_glyph(const char *s, int utf8) {
  glyph g = {1, 1, NULL};
  unsigned char c = (unsigned char)s[0];
  if (c < 0x20 || c == 0x7f) {
    g.out = " ";
    return g;
  }
  if (c < 0x80)
    return g;
  size_t n = ui_text_seq_len(s);
  if (!utf8) {
    /* The store holds UTF-8 whatever the locale: one '?' per character, and ASCII stand-ins
     * for the punctuation the views use. */
    g.len = n;
    g.out = "?";
    static const struct {
      const char *u, *a;
    } sub[] = {{"\xc2\xb7", "|"},     {"\xe2\x80\xa6", "~"}, {"\xe2\x80\xba", ">"},
               {"\xe2\x96\xa0", "#"}, {"\xe2\x94\x80", "-"}, {"\xe2\x80\x94", "-"}};
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
      if (strncmp(s, sub[i].u, strlen(sub[i].u)) == 0)
        g.out = sub[i].a;
    return g;
  }
  mbstate_t st;
  memset(&st, 0, sizeof st);
  wchar_t wc;
  size_t r = mbrtowc(&wc, s, n, &st);
  if (n == 1 || r == (size_t)-1 || r == (size_t)-2 || r == 0) {
    g.out = "?";
    return g;
  }
  g.len = n;
  int w = wcwidth(wc);
  if (w < 0) { /* unprintable: one visible cell */
    g.out = "?";
    w = 1;
  }
  g.width = w;
  return g;
}

int ui_text_width(const char *s) {
  int utf8 = ui_text_utf8(), w = 0;
  while (s && *s) {
    glyph g = next_glyph(s, utf8);
    w += g.width;
    s += g.len;
  }
  return w;
}

int ui_text_cut(const char *s, int width, char *out, size_t size) {
  if (size == 0)
    return 0;
  out[0] = '\0';
  if (!s || width <= 0)
    return 0;
  int utf8 = ui_text_utf8();
  const char *ell = utf8 ? "\xe2\x80\xa6" : "~";
  int total = ui_text_width(s);
  int room = total <= width ? width : width - 1; /* keep a column for the ellipsis */
  size_t o = 0;
  int w = 0;
  while (*s) {
    glyph g = next_glyph(s, utf8);
    if (w + g.width > room)
      break;
    const char *src = g.out ? g.out : s;
    size_t n = g.out ? strlen(g.out) : g.len;
    if (o + n + 4 >= size)
      break;
    memcpy(out + o, src, n);
    o += n;
    w += g.width;
    s += g.len;
  }
  if (*s && w < width && o + strlen(ell) < size) {
    memcpy(out + o, ell, strlen(ell));
    o += strlen(ell);
    w++;
  }
  out[o] = '\0';
  return w;
}

int ui_text_wrap(const char *s, int first_width, int width,
                 void (*emit)(void *ud, const char *line, size_t len), void *ud) {
  int utf8 = ui_text_utf8(), lines = 0;
  if (width < 1)
    width = 1;
  if (first_width < 1)
    first_width = 1;
  const char *line = s;
  for (;;) {
    const char *p = line, *last_space = NULL;
    int w = 0, limit = lines ? width : first_width;
    while (*p && *p != '\n') {
      glyph g = next_glyph(p, utf8);
      if (w + g.width > limit && p > line)
        break;
      if (*p == ' ')
        last_space = p;
      w += g.width;
      p += g.len;
    }
    const char *end = p, *next = p;
    if (*p == '\n') {
      next = p + 1;
    } else if (*p && last_space && last_space > line) {
      end = last_space;
      next = last_space + 1;
    }
    if (emit)
      emit(ud, line, (size_t)(end - line));
    lines++;
    if (!*next && *p != '\n')
      break;
    if (!*next) { /* text ending in a newline: no empty last line */
      break;
    }
    line = next;
  }
  return lines;
}
