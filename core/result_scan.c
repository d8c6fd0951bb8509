/* result_scan: one validating pass over a result line, then the provider rules on what it found.
 * Every function here returns 0 to go on and -1 to decline the line (jansson takes it). */
#include "result_scan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider_impl.h"
#include "util.h"

/* Far below jansson's 2048, so depth alone never makes jansson refuse a line we took. */
#define SCAN_MAX_DEPTH 64
/* Text blocks of one message we can concatenate; a message with more goes to jansson. */
#define SCAN_MAX_TEXTS 8

typedef enum { V_ABSENT, V_NULL, V_BOOL, V_INT, V_REAL, V_STR, V_OBJ, V_ARR } val_type;

typedef struct scan_val {
  val_type type;
  int esc;       /* the string holds escapes: decode it before use */
  const char *s; /* string: the bytes between the quotes, as in the line */
  size_t n;
  int64_t i; /* integer */
} scan_val;

/* Where each member we read lands. Members that are only walked through have no slot. */
enum {
  S_NONE = -1,
  S_CUSTOM_ID,
  S_RESPONSE,
  S_STATUS,
  S_BODY,
  S_ERROR,
  S_ERR_CODE,
  S_ERR_MSG,
  S_BERR_CODE,
  S_BERR_TYPE,
  S_BERR_MSG,
  S_CHOICES,
  S_MSG_CONTENT,
  S_CONTENT,
  S_TEXT,
  S_USAGE,
  S_PROMPT,
  S_INPUT,
  S_COMPLETION,
  S_OUTPUT,
  S_CACHED,
  S_CACHE_READ,
  S_RESULT,
  S_TYPE,
  S_MESSAGE,
  S_AERR_TYPE,
  S_AERR_MSG,
  S_COUNT
};

/* K_OBJECT: walk the value with sub when it is an object. K_FIRST: when it is an array, walk
 * its first element with sub (json_array_get(a, 0)). K_TEXTS: when it is an array, walk every
 * object element with sub and keep its S_TEXT (Anthropic content blocks). */
typedef enum { K_VALUE, K_OBJECT, K_FIRST, K_TEXTS } key_kind;

typedef struct scan_key {
  const char *name;
  size_t len;
  int slot;
  key_kind kind;
  const struct scan_key *sub;
} scan_key;

#define KEY(name, slot, kind, sub)                                                                 \
  { name, sizeof name - 1, slot, kind, sub }
#define END                                                                                        \
  { NULL, 0, S_NONE, K_VALUE, NULL }

/* The paths provider_openai.c, provider_anthropic.c and provider_take_answer() read. */
static const scan_key k_details[] = {KEY("cached_tokens", S_CACHED, K_VALUE, NULL), END};
static const scan_key k_usage[] = {KEY("prompt_tokens", S_PROMPT, K_VALUE, NULL),
                                   KEY("input_tokens", S_INPUT, K_VALUE, NULL),
                                   KEY("completion_tokens", S_COMPLETION, K_VALUE, NULL),
                                   KEY("output_tokens", S_OUTPUT, K_VALUE, NULL),
                                   KEY("prompt_tokens_details", S_NONE, K_OBJECT, k_details),
                                   KEY("cache_read_input_tokens", S_CACHE_READ, K_VALUE, NULL),
                                   END};
static const scan_key k_chat_msg[] = {KEY("content", S_MSG_CONTENT, K_VALUE, NULL), END};
static const scan_key k_choice[] = {KEY("message", S_NONE, K_OBJECT, k_chat_msg), END};
static const scan_key k_block[] = {KEY("text", S_TEXT, K_VALUE, NULL), END};
static const scan_key k_body_err[] = {KEY("code", S_BERR_CODE, K_VALUE, NULL),
                                      KEY("type", S_BERR_TYPE, K_VALUE, NULL),
                                      KEY("message", S_BERR_MSG, K_VALUE, NULL), END};
/* A chat completion (OpenAI body) or a Message (Anthropic): what provider_take_answer reads,
 * plus the OpenAI body's error. */
static const scan_key k_body[] = {
    KEY("choices", S_CHOICES, K_FIRST, k_choice), KEY("content", S_CONTENT, K_TEXTS, k_block),
    KEY("usage", S_USAGE, K_OBJECT, k_usage), KEY("error", S_NONE, K_OBJECT, k_body_err), END};
static const scan_key k_response[] = {KEY("status_code", S_STATUS, K_VALUE, NULL),
                                      KEY("body", S_BODY, K_OBJECT, k_body), END};
static const scan_key k_openai_err[] = {KEY("code", S_ERR_CODE, K_VALUE, NULL),
                                        KEY("message", S_ERR_MSG, K_VALUE, NULL), END};
static const scan_key k_openai[] = {KEY("custom_id", S_CUSTOM_ID, K_VALUE, NULL),
                                    KEY("response", S_RESPONSE, K_OBJECT, k_response),
                                    KEY("error", S_ERROR, K_OBJECT, k_openai_err), END};
static const scan_key k_anth_err2[] = {KEY("type", S_AERR_TYPE, K_VALUE, NULL),
                                       KEY("message", S_AERR_MSG, K_VALUE, NULL), END};
static const scan_key k_anth_err[] = {KEY("error", S_NONE, K_OBJECT, k_anth_err2), END};
static const scan_key k_result[] = {KEY("type", S_TYPE, K_VALUE, NULL),
                                    KEY("message", S_MESSAGE, K_OBJECT, k_body),
                                    KEY("error", S_NONE, K_OBJECT, k_anth_err), END};
static const scan_key k_anthropic[] = {KEY("custom_id", S_CUSTOM_ID, K_VALUE, NULL),
                                       KEY("result", S_RESULT, K_OBJECT, k_result), END};

typedef struct scan {
  const unsigned char *p, *end;
  scan_val v[S_COUNT];
  scan_val texts[SCAN_MAX_TEXTS];
  size_t ntexts;
} scan;

/* Bytes a string's fast loop passes: printable ASCII but the quote and the backslash. */
static int plain(unsigned char c) {
  return (unsigned char)(c - 0x20) < 0x60 && c != '"' && c != '\\';
}

/* Past the plain bytes at p, eight at a time while a whole word is plain (answers are long
 * runs of them), then byte by byte up to the first byte that is not. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end) {
  const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
  while (end - p >= 8) {
    uint64_t w, q, b;
    memcpy(&w, p, 8);
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    /* Exact per-word tests: a byte below 0x20, a zero byte of q or b, a byte from 0x80. */
    if (((w - ones * 0x20) & ~w & high) | ((q - ones) & ~q & high) | ((b - ones) & ~b & high) |
        (w & high))
      break;
    p += 8;
  }
  while (p < end && plain(*p))
    p++;
  return p;
}

static void ws(scan *sc) {
  while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
    sc->p++;
}

static int expect(scan *sc, unsigned char c) {
  ws(sc);
  if (sc->p >= sc->end || *sc->p != c)
    return -1;
  sc->p++;
  ws(sc);
  return 0;
}

/* After a member or an element: 1 when close ends the object or array (consumed), 0 after a
 * comma (and the space after it), -1 for anything else. */
static int next_item(scan *sc, unsigned char close) {
  ws(sc);
  if (sc->p >= sc->end)
    return -1;
  if (*sc->p == close) {
    sc->p++;
    return 1;
  }
  return expect(sc, ',');
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The code unit of "\uXXXX" at p, or -1 when there is none. */
static long uescape(const unsigned char *p, const unsigned char *end) {
  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  long u = 0;
  for (int i = 2; i < 6; i++) {
    int h = hexval(p[i]);
    if (h < 0)
      return -1;
    u = u << 4 | h;
  }
  return u;
}

/* Length of the UTF-8 sequence at p as jansson's utf8_check_full accepts it (no overlongs,
 * no surrogates, nothing past U+10FFFF); 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
  size_t n;
  uint32_t v;
  if (*p >= 0xc2 && *p <= 0xdf) {
    n = 2;
    v = *p & 0x1f;
  } else if (*p >= 0xe0 && *p <= 0xef) {
    n = 3;
    v = *p & 0x0f;
  } else if (*p >= 0xf0 && *p <= 0xf4) {
    n = 4;
    v = *p & 0x07;
  } else {
    return 0;
  }
  if ((size_t)(end - p) < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    v = v << 6 | (p[i] & 0x3f);
  }
  if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (n == 3 && v < 0x800) ||
      (n == 4 && v < 0x10000))
    return 0;
  return n;
}

static int str(scan *sc, scan_val *v) {
  const unsigned char *p = sc->p + 1, *end = sc->end;
  int esc = 0;
  for (;;) {
    p = skip_plain(p, end);
    if (p >= end)
      return -1;
    if (*p == '"')
      break;
    if (*p < 0x20)
      return -1;
    if (*p >= 0x80) {
      size_t n = utf8_seq(p, end);
      if (!n)
        return -1;
      p += n;
      continue;
    }
    esc = 1;
    if (end - p < 2)
      return -1;
    if (p[1] != 'u') {
      if (!p[1] || !strchr("\"\\/bfnrt", p[1]))
        return -1;
      p += 2;
      continue;
    }
    long u = uescape(p, end);
    /* jansson refuses \u0000 (no JSON_ALLOW_NUL) and any surrogate that is not a pair. */
    if (u <= 0 || (u >= 0xdc00 && u <= 0xdfff))
      return -1;
    p += 6;
    if (u >= 0xd800 && u <= 0xdbff) {
      long lo = uescape(p, end);
      if (lo < 0xdc00 || lo > 0xdfff)
        return -1;
      p += 6;
    }
  }
  v->type = V_STR;
  v->esc = esc;
  v->s = (const char *)sc->p + 1;
  v->n = (size_t)(p - sc->p - 1);
  sc->p = p + 1;
  return 0;
}

static int is_digit(const unsigned char *p, const unsigned char *end) {
  return p < end && *p >= '0' && *p <= '9';
}

/* jansson reads integers with strtoll (out of range: refused) and the rest with strtod
 * (overflow to infinity: refused). We take integers of at most 19 digits that fit, and reals
 * whose magnitude stays below 1e300; json_integer_value of a real is 0. */
static int num(scan *sc, scan_val *v) {
  const unsigned char *p = sc->p, *end = sc->end;
  int neg = *p == '-';
  if (neg)
    p++;
  if (!is_digit(p, end))
    return -1;
  const unsigned char *digits = p;
  if (*p == '0') {
    p++;
    if (is_digit(p, end))
      return -1;
  } else {
    while (is_digit(p, end))
      p++;
  }
  size_t ndig = (size_t)(p - digits);
  int real = 0;
  long exp = 0;
  if (p < end && *p == '.') {
    p++;
    if (!is_digit(p, end))
      return -1;
    while (is_digit(p, end))
      p++;
    real = 1;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    int eneg = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+'))
      p++;
    if (!is_digit(p, end))
      return -1;
    while (is_digit(p, end)) {
      if (exp < 100000)
        exp = exp * 10 + (*p - '0');
      p++;
    }
    if (eneg)
      exp = -exp;
    real = 1;
  }
  if (real) {
    if ((long)ndig + exp > 300)
      return -1;
    v->type = V_REAL;
  } else {
    if (ndig > 19)
      return -1;
    uint64_t u = 0;
    for (const unsigned char *d = digits; d < p; d++)
      u = u * 10 + (uint64_t)(*d - '0');
    if (u > (uint64_t)INT64_MAX + (uint64_t)neg)
      return -1;
    v->type = V_INT;
    v->i = neg ? (u ? -(int64_t)(u - 1) - 1 : 0) : (int64_t)u;
  }
  sc->p = p;
  return 0;
}

static int lit(scan *sc, const char *word, size_t n) {
  if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n))
    return -1;
  sc->p += n;
  return 0;
}

static int walk_obj(scan *sc, const scan_key *keys, int depth);
static int walk_arr(scan *sc, const scan_key *k, int depth);

/* Any value; objects and arrays are validated and skipped. */
static int value(scan *sc, scan_val *v, int depth) {
  if (sc->p >= sc->end)
    return -1;
  switch (*sc->p) {
  case '"':
    return str(sc, v);
  case '{':
    v->type = V_OBJ;
    return walk_obj(sc, NULL, depth);
  case '[':
    v->type = V_ARR;
    return walk_arr(sc, NULL, depth);
  case 't':
    v->type = V_BOOL;
    return lit(sc, "true", 4);
  case 'f':
    v->type = V_BOOL;
    return lit(sc, "false", 5);
  case 'n':
    v->type = V_NULL;
    return lit(sc, "null", 4);
  default:
    return num(sc, v);
  }
}

/* The value of member k (NULL: a member we do not read). */
static int member(scan *sc, const scan_key *k, int depth) {
  scan_val scratch;
  scan_val *v = k && k->slot != S_NONE ? &sc->v[k->slot] : &scratch;
  if (k && sc->p < sc->end) {
    if (k->kind == K_OBJECT && *sc->p == '{') {
      v->type = V_OBJ;
      return walk_obj(sc, k->sub, depth);
    }
    if ((k->kind == K_FIRST || k->kind == K_TEXTS) && *sc->p == '[') {
      v->type = V_ARR;
      return walk_arr(sc, k, depth);
    }
  }
  return value(sc, v, depth);
}

static int walk_obj(scan *sc, const scan_key *keys, int depth) {
  if (++depth > SCAN_MAX_DEPTH)
    return -1;
  sc->p++;
  ws(sc);
  if (sc->p < sc->end && *sc->p == '}') {
    sc->p++;
    return 0;
  }
  unsigned seen = 0;
  for (;;) {
    scan_val key;
    if (sc->p >= sc->end || *sc->p != '"' || str(sc, &key))
      return -1;
    const scan_key *k = NULL;
    if (keys) {
      if (key.esc) /* "custom\u005fid" is custom_id to jansson */
        return -1;
      for (unsigned i = 0; keys[i].name; i++) {
        if (keys[i].len == key.n && !memcmp(keys[i].name, key.s, key.n)) {
          if (seen & 1u << i) /* jansson keeps the last one; not worth following */
            return -1;
          seen |= 1u << i;
          k = &keys[i];
          break;
        }
      }
    }
    if (expect(sc, ':') || member(sc, k, depth))
      return -1;
    int next = next_item(sc, '}');
    if (next)
      return next > 0 ? 0 : -1;
  }
}

/* k: the member whose array this is (K_FIRST or K_TEXTS), or NULL for an array we skip. */
static int walk_arr(scan *sc, const scan_key *k, int depth) {
  if (++depth > SCAN_MAX_DEPTH)
    return -1;
  sc->p++;
  ws(sc);
  if (sc->p < sc->end && *sc->p == ']') {
    sc->p++;
    return 0;
  }
  for (size_t i = 0;; i++) {
    if (sc->p >= sc->end)
      return -1;
    if (k && *sc->p == '{' && (k->kind == K_TEXTS || i == 0)) {
      if (walk_obj(sc, k->sub, depth))
        return -1;
      if (k->kind == K_TEXTS && sc->v[S_TEXT].type != V_ABSENT) {
        if (sc->v[S_TEXT].type == V_STR) {
          if (sc->ntexts == SCAN_MAX_TEXTS)
            return -1;
          sc->texts[sc->ntexts++] = sc->v[S_TEXT];
        }
        sc->v[S_TEXT].type = V_ABSENT;
      }
    } else {
      scan_val scratch;
      if (value(sc, &scratch, depth))
        return -1;
    }
    int next = next_item(sc, ']');
    if (next)
      return next > 0 ? 0 : -1;
  }
}

/* ---- building the result ---- */

static size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (char)(0xc0 | c >> 6);
    o[1] = (char)(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (char)(0xe0 | c >> 12);
    o[1] = (char)(0x80 | (c >> 6 & 0x3f));
    o[2] = (char)(0x80 | (c & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | c >> 18);
  o[1] = (char)(0x80 | (c >> 12 & 0x3f));
  o[2] = (char)(0x80 | (c >> 6 & 0x3f));
  o[3] = (char)(0x80 | (c & 0x3f));
  return 4;
}

/* Decode a string str() validated into o (room for v->n bytes: decoding never grows it). */
static size_t decode(const scan_val *v, char *o) {
  if (!v->esc) {
    memcpy(o, v->s, v->n);
    return v->n;
  }
  const unsigned char *p = (const unsigned char *)v->s, *end = p + v->n;
  size_t n = 0;
  while (p < end) {
    /* Copy the run up to the next escape in one go. */
    const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
    size_t run = (size_t)((bs ? bs : end) - p);
    memcpy(o + n, p, run);
    n += run;
    p += run;
    if (!bs)
      break;
    unsigned char e = p[1];
    if (e == 'u') {
      uint32_t c = (uint32_t)uescape(p, end);
      p += 6;
      if (c >= 0xd800 && c <= 0xdbff) {
        c = 0x10000 + ((c - 0xd800) << 10) + ((uint32_t)uescape(p, end) - 0xdc00);
        p += 6;
      }
      n += put_utf8(o + n, c);
      continue;
    }
    switch (e) {
    case 'b':
      o[n++] = '\b';
      break;
    case 'f':
      o[n++] = '\f';
      break;
    case 'n':
      o[n++] = '\n';
      break;
    case 'r':
      o[n++] = '\r';
      break;
    case 't':
      o[n++] = '\t';
      break;
    default: /* " \ / */
      o[n++] = (char)e;
      break;
    }
    p += 2;
  }
  return n;
}

/* Aborts when out of memory, as util_xstrdup does for the jansson path's strings. */
static char *xmalloc(size_t n) {
  char *o = malloc(n);
  if (!o) {
    fputs("batchtop: out of memory\n", stderr);
    abort();
  }
  return o;
}

/* A string value as a heap string. */
static char *dup_val(const scan_val *v) {
  char *o = xmalloc(v->n + 1);
  o[decode(v, o)] = '\0';
  return o;
}

/* provider_str: a non-empty string, else NULL (a non-empty raw string never decodes to ""). */
static char *str_or_null(const scan_val *v) {
  return v->type == V_STR && v->n ? dup_val(v) : NULL;
}

/* json_integer_value */
static int64_t int_of(const scan_val *v) {
  return v->type == V_INT ? v->i : 0;
}

/* provider_take_answer on the body or message that was walked with k_body. */
static void take_answer(const scan *sc, bt_result *out) {
  const scan_val *v = sc->v;
  if (v[S_MSG_CONTENT].type == V_STR)
    out->output = dup_val(&v[S_MSG_CONTENT]);
  if (v[S_CONTENT].type == V_ARR) {
    size_t n = 0;
    for (size_t i = 0; i < sc->ntexts; i++)
      n += sc->texts[i].n;
    char *o = xmalloc(n + 1);
    n = 0;
    for (size_t i = 0; i < sc->ntexts; i++)
      n += decode(&sc->texts[i], o + n);
    o[n] = '\0';
    free(out->output);
    out->output = o;
  }
  if (v[S_USAGE].type == V_OBJ) {
    /* The first name present wins even when its value is no integer (which counts 0). */
    out->input_tokens = int_of(v[S_PROMPT].type ? &v[S_PROMPT] : &v[S_INPUT]);
    out->output_tokens = int_of(v[S_COMPLETION].type ? &v[S_COMPLETION] : &v[S_OUTPUT]);
    out->cached_tokens = int_of(v[S_CACHED].type ? &v[S_CACHED] : &v[S_CACHE_READ]);
  }
}

/* provider_openai_parse_result */
static void openai(const scan *sc, bt_result *out) {
  const scan_val *v = sc->v;
  int err_obj = v[S_ERROR].type == V_OBJ;
  if (v[S_RESPONSE].type == V_OBJ) {
    out->http_status = (long)int_of(&v[S_STATUS]);
    if (out->http_status >= 200 && out->http_status < 300 && !err_obj) {
      out->state = TASK_SUCCEEDED;
      if (v[S_BODY].type == V_OBJ)
        take_answer(sc, out);
      return;
    }
    out->error_code = str_or_null(&v[S_BERR_CODE]);
    if (!out->error_code)
      out->error_code = str_or_null(&v[S_BERR_TYPE]);
    out->error_message = str_or_null(&v[S_BERR_MSG]);
  }
  if (err_obj) {
    if (!out->error_code)
      out->error_code = str_or_null(&v[S_ERR_CODE]);
    if (!out->error_message)
      out->error_message = str_or_null(&v[S_ERR_MSG]);
  }
  if (!out->error_code) {
    char c[32];
    snprintf(c, sizeof c, "http_%ld", out->http_status);
    out->error_code = util_xstrdup(out->http_status ? c : "unknown_error");
  }
  out->state = provider_state_for_code(out->error_code);
}

/* provider_anthropic_parse_result */
static void anthropic(const scan *sc, bt_result *out) {
  const scan_val *v = sc->v;
  char *type = v[S_TYPE].type == V_STR ? dup_val(&v[S_TYPE]) : NULL;
  const char *t = type ? type : "";
  if (!strcmp(t, "succeeded")) {
    out->state = TASK_SUCCEEDED;
    out->http_status = 200;
    if (v[S_MESSAGE].type == V_OBJ)
      take_answer(sc, out);
  } else if (!strcmp(t, "canceled")) {
    out->state = TASK_CANCELLED;
    out->error_code = util_xstrdup("canceled");
    out->error_message = util_xstrdup(PROVIDER_MSG_CANCELED);
  } else if (!strcmp(t, "expired")) {
    out->state = TASK_EXPIRED;
    out->error_code = util_xstrdup("expired");
    out->error_message = util_xstrdup(PROVIDER_MSG_EXPIRED);
  } else {
    out->state = TASK_FAILED;
    out->error_code = str_or_null(&v[S_AERR_TYPE]);
    out->error_message = str_or_null(&v[S_AERR_MSG]);
    if (!out->error_code)
      out->error_code = util_xstrdup(t[0] ? t : "unknown_error");
  }
  free(type);
}

int result_scan(bt_provider_kind kind, const char *line, size_t len, bt_result *out) {
  memset(out, 0, sizeof *out);
  scan sc;
  memset(&sc, 0, sizeof sc);
  sc.p = (const unsigned char *)line;
  sc.end = sc.p + len;
  ws(&sc);
  if (sc.p >= sc.end || *sc.p != '{')
    return 0;
  if (walk_obj(&sc, kind == PROVIDER_ANTHROPIC ? k_anthropic : k_openai, 0))
    return 0;
  ws(&sc);
  if (sc.p != sc.end)
    return 0;
  /* No custom_id: jansson's path words the error. */
  if (sc.v[S_CUSTOM_ID].type != V_STR || !sc.v[S_CUSTOM_ID].n)
    return 0;
  out->custom_id = dup_val(&sc.v[S_CUSTOM_ID]);
  if (kind == PROVIDER_ANTHROPIC)
    anthropic(&sc, out);
  else
    openai(&sc, out);
  out->response = provider_line_copy(line, len);
  return 1;
}

/* ---- flat objects: the export's input rows ---- */

int json_flat_get(const char *text, size_t len, const char *const *names, size_t n,
                  json_flat_value *out) {
  for (size_t i = 0; i < n; i++)
    out[i] = (json_flat_value){JSON_FLAT_MISSING, 0, NULL, 0, 0};
  scan sc; /* only p and end: no member of a flat object lands in a slot */
  sc.p = (const unsigned char *)text;
  sc.end = sc.p + len;
  ws(&sc);
  if (sc.p >= sc.end || *sc.p != '{')
    return -1;
  sc.p++;
  ws(&sc);
  int next = sc.p < sc.end && *sc.p == '}' ? (sc.p++, 1) : 0;
  while (!next) {
    scan_val key, v;
    if (sc.p >= sc.end || *sc.p != '"' || str(&sc, &key) || key.esc || expect(&sc, ':'))
      return -1;
    const char *start = (const char *)sc.p;
    if (value(&sc, &v, 1))
      return -1;
    for (size_t i = 0; i < n; i++) {
      if (!names[i] || strlen(names[i]) != key.n || memcmp(names[i], key.s, key.n))
        continue;
      json_flat_value *o = &out[i];
      if (v.type == V_STR)
        *o = (json_flat_value){JSON_FLAT_STRING, v.esc, v.s, v.n, 0};
      else if (v.type == V_INT)
        *o = (json_flat_value){JSON_FLAT_INT, 0, NULL, 0, v.i};
      else if (v.type == V_BOOL)
        *o = (json_flat_value){JSON_FLAT_WORD, 0, start, (size_t)((const char *)sc.p - start), 0};
      else if (v.type == V_NULL)
        *o = (json_flat_value){JSON_FLAT_MISSING, 0, NULL, 0, 0};
      else
        return -1; /* a real or a nested value */
    }
    if ((next = next_item(&sc, '}')) < 0)
      return -1;
  }
  ws(&sc);
  return sc.p == sc.end ? 0 : -1;
}

void json_flat_unescape(const json_flat_value *v, char *dst) {
  scan_val sv = {V_STR, v->esc, v->p, v->n, 0};
  dst[decode(&sv, dst)] = '\0';
}
