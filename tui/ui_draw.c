/* ui_draw: shared drawing helpers. */
#include "ui_draw.h"

#include "store_query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "ui_text.h"
#include "util.h"

void ui_fill(WINDOW *w, int y, int x, int width, ui_elem e) {
  if (width <= 0)
    return;
  /* Padding takes the colours, not an underline (it would run under empty cells). */
  wattrset(w, ui_attr(e) & ~(int)A_UNDERLINE);
  mvwhline(w, y, x, ' ', width);
}

/* Cut text to width, fill the cells, write it left- or right-aligned. */
static int put_aligned(WINDOW *w, int y, int x, int width, ui_elem e, const char *text, int right) {
  if (width <= 0)
    return 0;
  char buf[1024];
  char *clean = NULL;
  if (text && secret_contains(text)) { /* an API key never reaches the screen */
    clean = util_xstrdup(text);
    secret_scrub(clean);
    text = clean;
  }
  int tw = ui_text_cut(text ? text : "", width, buf, sizeof buf);
  free(clean);
  ui_fill(w, y, x, width, e);
  wattrset(w, ui_attr(e));
  mvwaddstr(w, y, right ? x + width - tw : x, buf);
  return tw;
}

int ui_put(WINDOW *w, int y, int x, int width, ui_elem e, const char *text) {
  return put_aligned(w, y, x, width, e, text, 0);
}

int ui_put_right(WINDOW *w, int y, int x, int width, ui_elem e, const char *text) {
  return put_aligned(w, y, x, width, e, text, 1);
}

int ui_putf(WINDOW *w, int y, int x, int width, ui_elem e, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return ui_put(w, y, x, width, e, buf);
}

void ui_cols_layout(ui_col *cols, int n, int width) {
  int shown[64];
  int m = n < 64 ? n : 64;
  for (int i = 0; i < m; i++)
    shown[i] = 1;
  for (;;) {
    int need = 0, k = 0;
    for (int i = 0; i < m; i++)
      if (shown[i]) {
        need += cols[i].min;
        k++;
      }
    need += k > 0 ? k - 1 : 0;
    if (need <= width)
      break;
    /* Hide the least important visible column (the last one of the highest prio). */
    int drop = -1;
    for (int i = 0; i < m; i++)
      if (shown[i] && cols[i].prio > 0 && (drop < 0 || cols[i].prio >= cols[drop].prio))
        drop = i;
    if (drop < 0)
      break;
    shown[drop] = 0;
  }
  int used = 0, k = 0, flex = 0;
  for (int i = 0; i < m; i++) {
    cols[i].w = shown[i] ? cols[i].min : 0;
    if (shown[i]) {
      used += cols[i].min;
      k++;
      flex += cols[i].flex;
    }
  }
  used += k > 0 ? k - 1 : 0;
  int extra = width - used;
  /* Hand out the extra width by flex weight, one column at a time so maxima are honoured. */
  while (extra > 0 && flex > 0) {
    int gave = 0;
    for (int i = 0; i < m && extra > 0; i++) {
      if (!shown[i] || !cols[i].flex)
        continue;
      if (cols[i].max && cols[i].w >= cols[i].max)
        continue;
      int share = extra * cols[i].flex / flex;
      if (share < 1)
        share = 1;
      if (cols[i].max && cols[i].w + share > cols[i].max)
        share = cols[i].max - cols[i].w;
      cols[i].w += share;
      extra -= share;
      gave += share;
    }
    if (!gave)
      break;
  }
  int x = 0;
  for (int i = 0; i < m; i++) {
    cols[i].x = x;
    if (cols[i].w)
      x += cols[i].w + 1;
  }
}

void ui_cols_header(WINDOW *w, int y, int x, int width, const ui_col *cols, int n) {
  ui_fill(w, y, x, width, UI_COLUMN);
  for (int i = 0; i < n; i++)
    if (cols[i].w)
      ui_cols_cell(w, y, x, &cols[i], UI_COLUMN, cols[i].title);
}

void ui_cols_cell(WINDOW *w, int y, int x0, const ui_col *c, ui_elem e, const char *text) {
  if (!c->w)
    return;
  if (c->right)
    ui_put_right(w, y, x0 + c->x, c->w, e, text);
  else
    ui_put(w, y, x0 + c->x, c->w, e, text);
}

static void put_repeat(WINDOW *w, int y, int x, int n, ui_elem e, const char *glyph) {
  wattrset(w, ui_attr(e));
  for (int i = 0; i < n; i++)
    mvwaddstr(w, y, x + i, glyph);
}

void ui_bar(WINDOW *w, int y, int x, int width, const bt_counts *c) {
  if (width <= 0)
    return;
  int utf8 = ui_text_utf8();
  int64_t total = c->total > 0 ? c->total : 1;
  int64_t parts[4] = {c->n[TASK_SUCCEEDED],
                      c->n[TASK_FAILED] + c->n[TASK_EXPIRED] + c->n[TASK_CANCELLED],
                      c->n[TASK_RUNNING], 0};
  static const ui_elem elems[4] = {UI_BAR_SUCCEEDED, UI_BAR_FAILED, UI_BAR_RUNNING, UI_BAR_PENDING};
  /* Distinct glyphs too, so the parts stay apart without colours. */
  const char *glyphs[4] = {utf8 ? "\xe2\x96\x88" : "#", utf8 ? "\xe2\x96\x93" : "x",
                           utf8 ? "\xe2\x96\x92" : ">", utf8 ? "\xe2\x96\x91" : "."};
  /* Cumulative rounding: the cells always add up to width, and a non-zero part that is
   * tiny still gets one cell when there is room. */
  int64_t acc = 0;
  int pos = 0;
  for (int i = 0; i < 3; i++) {
    acc += parts[i];
    int end = (int)((acc * width + total / 2) / total);
    if (parts[i] > 0 && end == pos && pos < width)
      end = pos + 1;
    if (end > width)
      end = width;
    put_repeat(w, y, x + pos, end - pos, elems[i], glyphs[i]);
    pos = end;
  }
  put_repeat(w, y, x + pos, width - pos, elems[3], glyphs[3]);
}

void ui_spark(WINDOW *w, int y, int x, int width, const int64_t *v, int n) {
  if (width <= 0)
    return;
  static const char *const blocks[] = {" ",
                                       "\xe2\x96\x81",
                                       "\xe2\x96\x82",
                                       "\xe2\x96\x83",
                                       "\xe2\x96\x84",
                                       "\xe2\x96\x85",
                                       "\xe2\x96\x86",
                                       "\xe2\x96\x87",
                                       "\xe2\x96\x88"};
  static const char ascii[] = " .:-=+*#@";
  int utf8 = ui_text_utf8();
  int cells = n < width ? n : width;
  int64_t vals[256];
  if (cells > 256)
    cells = 256;
  int64_t max = 0;
  for (int i = 0; i < cells; i++) {
    /* Resample: cell i sums the values that fall into it. */
    int a = i * n / cells, b = (i + 1) * n / cells;
    vals[i] = 0;
    for (int k = a; k < b; k++)
      vals[i] += v[k];
    if (b > a) /* the average, so uneven resampling does not make a comb */
      vals[i] = (vals[i] * 8) / (b - a);
    if (vals[i] > max)
      max = vals[i];
  }
  wattrset(w, ui_attr(UI_SPARK));
  for (int i = 0; i < cells; i++) {
    int level = max > 0 ? (int)((vals[i] * 8 + max - 1) / max) : 0;
    if (utf8)
      mvwaddstr(w, y, x + i, blocks[level]);
    else
      mvwaddch(w, y, x + i, (chtype)ascii[level]);
  }
}

void ui_table_header(WINDOW *win, int y, int w, ui_col *cols, int n) {
  ui_cols_layout(cols, n, w - 2);
  ui_fill(win, y, 0, w, UI_COLUMN);
  ui_cols_header(win, y, 1, w - 2, cols, n);
}

void ui_section(WINDOW *win, int y, int w, const char *title, const char *extra) {
  int x = ui_put(win, y, 1, ui_text_width(title), UI_SECTION, title);
  if (extra && extra[0])
    ui_put(win, y, 2 + x, w - x - 3, UI_DIM, extra);
}

int ui_field(WINDOW *win, int y, int x, int width, const char *label, ui_elem e,
             const char *value) {
  int need = ui_text_width(label) + 1 + ui_text_width(value) + 3;
  if (need > width)
    return 0;
  int lw = ui_put(win, y, x, ui_text_width(label) + 1, UI_LABEL, label) + 1;
  ui_put(win, y, x + lw, need - lw, e, value);
  return need;
}

ui_elem ui_cost_elem(double est_usd, double actual_usd) {
  /* Spend above the estimate (by more than 10%) is the number to notice. */
  return est_usd > 0 && actual_usd > est_usd * 1.1 ? UI_COST_HIGH : UI_COST;
}

const char *ui_fmt_done(const bt_counts *c, char *buf, size_t size) {
  int64_t done = c->total - c->n[TASK_PENDING] - c->n[TASK_RUNNING];
  char a[16], b[16];
  if (c->total < 100000)
    snprintf(buf, size, "%lld/%lld", (long long)done, (long long)c->total);
  else
    snprintf(buf, size, "%s/%s", util_fmt_count((double)done, a, sizeof a),
             util_fmt_count((double)c->total, b, sizeof b));
  return buf;
}

const char *ui_fmt_counts(const bt_counts *c, char *buf, size_t size) {
  static const bt_task_state order[] = {TASK_SUCCEEDED, TASK_FAILED,  TASK_EXPIRED,
                                        TASK_CANCELLED, TASK_RUNNING, TASK_PENDING};
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof order / sizeof order[0] && n < size; i++) {
    if (c->n[order[i]] <= 0)
      continue;
    int k = snprintf(buf + n, size - n, "%s%lld %s", n ? ", " : "", (long long)c->n[order[i]],
                     task_state_name(order[i]));
    n += k > 0 ? (size_t)k : 0;
  }
  if (!buf[0])
    snprintf(buf, size, "no tasks");
  return buf;
}

const char *ui_fmt_eta(int64_t eta_ms, char *buf, size_t size) {
  if (eta_ms == BT_QUERY_ETA_QUEUED)
    snprintf(buf, size, "queued");
  else if (eta_ms < 0)
    snprintf(buf, size, "-");
  else
    util_fmt_duration(eta_ms, buf, size);
  return buf;
}

void ui_progress(WINDOW *w, int y, int x, int width, const bt_counts *c, ui_elem text_elem) {
  int64_t done = c->total - c->n[TASK_PENDING] - c->n[TASK_RUNNING];
  int pct = c->total > 0 ? (int)(done * 100 / c->total) : 0;
  char p[8];
  snprintf(p, sizeof p, "%3d%%", pct);
  if (width >= 10) {
    ui_bar(w, y, x, width - 5, c);
    ui_put(w, y, x + width - 5, 5, text_elem, "");
    ui_put_right(w, y, x + width - 4, 4, text_elem, p);
  } else {
    ui_put_right(w, y, x, width, text_elem, p);
  }
}

ui_elem ui_state_elem(const char *s) {
  if (!s)
    return UI_NORMAL;
  static const struct {
    const char *name;
    ui_elem e;
  } map[] = {{"pending", UI_STATE_PENDING},      {"running", UI_STATE_RUNNING},
             {"submitting", UI_STATE_RUNNING},   {"succeeded", UI_STATE_SUCCEEDED},
             {"completed", UI_STATE_SUCCEEDED},  {"ended", UI_STATE_SUCCEEDED},
             {"failed", UI_STATE_FAILED},        {"expired", UI_STATE_EXPIRED},
             {"cancelled", UI_STATE_CANCELLED},  {"canceled", UI_STATE_CANCELLED},
             {"cancelling", UI_STATE_CANCELLED}, {"draft", UI_STATE_DRAFT},
             {"validating", UI_STATE_RUNNING},   {"in_progress", UI_STATE_RUNNING},
             {"finalizing", UI_STATE_RUNNING},   {"uploading", UI_STATE_PENDING},
             {"intent", UI_STATE_PENDING},       {"held", UI_STATE_PENDING},
             {"waiting", UI_STATE_PENDING},      {"skipped", UI_STATE_CANCELLED},
             {"blocked", UI_STATE_CANCELLED},    {"paused", UI_STATE_EXPIRED},
             {"lost", UI_STATE_FAILED}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].name, s) == 0)
      return map[i].e;
  return UI_NORMAL;
}

/* The hint of one action: its first key and " name ". Returns its width (0: unbound). */
static int hint(const ui_keymap *km, ui_action a, char *key, size_t ksize, char *label,
                size_t lsize) {
  char keys[64];
  ui_keymap_keys(km, a, keys, sizeof keys);
  if (!keys[0])
    return 0;
  util_strlcpy(key, keys, ksize);
  char *sp = strchr(key, ' ');
  if (sp)
    *sp = '\0';
  snprintf(label, lsize, " %s ", ui_action_name(a));
  return ui_text_width(key) + ui_text_width(label) + 1;
}

void ui_footer_draw(WINDOW *w, ui_footer *f, int y, int width, const ui_keymap *km,
                    const ui_action *acts, int n, int keep) {
  f->y = y;
  f->n = 0;
  ui_fill(w, y, 0, width, UI_FOOTER_LABEL);
  char key[32], label[48];
  int reserved = 0;
  for (int i = n - keep; i < n; i++)
    if (i >= 0)
      reserved += hint(km, acts[i], key, sizeof key, label, sizeof label);
  int x = 0;
  for (int i = 0; i < n && f->n < 24; i++) {
    int need = hint(km, acts[i], key, sizeof key, label, sizeof label);
    if (!need)
      continue;
    int kept = i >= n - keep;
    if (kept)
      reserved -= need;
    if (x + need + reserved > width) {
      if (kept)
        break;
      continue;
    }
    int x0 = x;
    x += ui_put(w, y, x, ui_text_width(key), UI_FOOTER_KEY, key);
    x += ui_put(w, y, x, ui_text_width(label), UI_FOOTER_LABEL, label) + 1;
    f->hit[f->n].x0 = x0;
    f->hit[f->n].x1 = x;
    f->hit[f->n].a = acts[i];
    f->n++;
  }
}

ui_action ui_footer_hit(const ui_footer *f, int y, int x) {
  if (y != f->y)
    return ACT_NONE;
  for (int i = 0; i < f->n; i++)
    if (x >= f->hit[i].x0 && x < f->hit[i].x1)
      return f->hit[i].a;
  return ACT_NONE;
}

const char *ui_fmt_age(int64_t now_ms, int64_t at_ms, char *buf, size_t size) {
  if (at_ms <= 0) {
    snprintf(buf, size, "-");
    return buf;
  }
  int64_t s = (now_ms - at_ms) / 1000;
  if (s < 0)
    s = 0;
  if (s < 60)
    snprintf(buf, size, "%llds", (long long)s);
  else if (s < 3600)
    snprintf(buf, size, "%lldm", (long long)(s / 60));
  else if (s < 86400)
    snprintf(buf, size, "%lldh", (long long)(s / 3600));
  else
    snprintf(buf, size, "%lldd", (long long)(s / 86400));
  return buf;
}

const char *ui_fmt_rate(double per_min, char *buf, size_t size) {
  if (per_min <= 0)
    snprintf(buf, size, "-");
  else if (per_min < 10)
    snprintf(buf, size, "%.1f/m", per_min);
  else {
    char n[32];
    snprintf(buf, size, "%s/m", util_fmt_count(per_min, n, sizeof n));
  }
  return buf;
}
