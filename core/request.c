/* request: provider request lines written by hand into a reused buffer. */
#include "request.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

bt_status request_provider_parse(const char *name, bt_provider *out, bt_error *err) {
  if (strcmp(name, "openai") == 0)
    *out = BT_PROVIDER_OPENAI;
  else if (strcmp(name, "anthropic") == 0)
    *out = BT_PROVIDER_ANTHROPIC;
  else if (strcmp(name, "local") == 0)
    *out = BT_PROVIDER_LOCAL;
  else
    return error_set(err, BT_ERR_USAGE, "unknown provider '%s' (openai, anthropic or local)", name);
  return BT_OK;
}

const char *request_provider_name(bt_provider p) {
  switch (p) {
  case BT_PROVIDER_ANTHROPIC:
    return "anthropic";
  case BT_PROVIDER_LOCAL:
    return "local";
  default:
    return "openai";
  }
}

static const char *const ep_paths[] = {"/v1/chat/completions", "/v1/responses", "/v1/embeddings",
                                       "/v1/messages"};

const char *request_endpoint_path(bt_endpoint e) {
  return (unsigned)e < sizeof ep_paths / sizeof ep_paths[0] ? ep_paths[e] : "?";
}

bt_status request_endpoint_parse(bt_provider p, const char *path, bt_endpoint *out, bt_error *err) {
  if (!path || !*path) {
    *out = p == BT_PROVIDER_ANTHROPIC ? BT_EP_MESSAGES : BT_EP_CHAT;
    return BT_OK;
  }
  /* Accept the path with or without its /v1 prefix. */
  char full[128];
  snprintf(full, sizeof full, "%s%s",
           path[0] == '/' && strncmp(path, "/v1/", 4) != 0 ? "/v1"
           : path[0] != '/'                                ? "/v1/"
                                                           : "",
           path);
  for (size_t i = 0; i < sizeof ep_paths / sizeof ep_paths[0]; i++) {
    if (strcmp(full, ep_paths[i]) != 0)
      continue;
    bt_endpoint e = (bt_endpoint)i;
    int ok = p == BT_PROVIDER_ANTHROPIC ? e == BT_EP_MESSAGES
             : p == BT_PROVIDER_LOCAL   ? e == BT_EP_CHAT
                                        : e != BT_EP_MESSAGES;
    if (ok) {
      *out = e;
      return BT_OK;
    }
    break;
  }
  return error_set(err, BT_ERR_USAGE, "endpoint '%s' is not available with provider %s (%s)", path,
                   request_provider_name(p),
                   p == BT_PROVIDER_ANTHROPIC ? "only /v1/messages"
                   : p == BT_PROVIDER_LOCAL
                       ? "only /v1/chat/completions"
                       : "/v1/chat/completions, /v1/responses or /v1/embeddings");
}

void request_limits(bt_provider p, bt_provider_limits *out) {
  /* protocols.md §1.9 and §2.6; "MB" taken as 10^6 bytes to stay on the safe side. */
  switch (p) {
  case BT_PROVIDER_ANTHROPIC:
    out->max_requests = 100000;
    out->max_file_bytes = 256 * 1000 * 1000;
    out->max_request_bytes = 32 * 1000 * 1000; /* the Messages API's own cap */
    break;
  case BT_PROVIDER_LOCAL:
    out->max_requests = 0;
    out->max_file_bytes = 0;
    out->max_request_bytes = 32 * 1000 * 1000;
    break;
  default:
    out->max_requests = 50000;
    out->max_file_bytes = 200 * 1000 * 1000;
    out->max_request_bytes = 200 * 1000 * 1000;
    break;
  }
}

int request_custom_id_ok(bt_provider p, const char *id, size_t len, const char **why) {
  if (len == 0) {
    *why = "custom_id is empty";
    return 0;
  }
  if (p == BT_PROVIDER_ANTHROPIC) {
    if (len > 64) {
      *why = "Anthropic allows at most 64 characters in a custom_id";
      return 0;
    }
    for (size_t i = 0; i < len; i++) {
      char c = id[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-')) {
        *why = "Anthropic allows only letters, digits, '_' and '-' in a custom_id";
        return 0;
      }
    }
    return 1;
  }
  if (len > 512) {
    *why = "custom_id is longer than 512 bytes";
    return 0;
  }
  return 1;
}

const char *request_max_tokens_key(const bt_request_spec *spec) {
  switch (spec->endpoint) {
  case BT_EP_EMBEDDINGS:
    return NULL;
  case BT_EP_RESPONSES:
    return "max_output_tokens";
  case BT_EP_CHAT:
    if (spec->provider == BT_PROVIDER_OPENAI && spec->model &&
        (strncmp(spec->model, "o1", 2) == 0 || strncmp(spec->model, "o3", 2) == 0 ||
         strncmp(spec->model, "o4", 2) == 0 || strncmp(spec->model, "gpt-5", 5) == 0))
      return "max_completion_tokens";
    return "max_tokens";
  default:
    return "max_tokens";
  }
}

/* 1 for bytes JSON requires escaping: controls, '"' and '\\'. */
static const unsigned char json_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

bt_status request_put_json_string(bt_buf *out, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  bt_status st = buf_reserve(out, n + 2);
  if (st)
    return st;
  char *d = out->data + out->len;
  *d++ = '"';
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    /* Skip 8 plain bytes at a time: no byte below 0x20, no '"', no '\\' (bit tricks from
     * "Bit Twiddling Hacks"; a false alarm only falls back to the byte loop). */
    while (j + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + j, 8);
      const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
      uint64_t lt = (w - ones * 0x20) & ~w & highs;
      uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
      uint64_t hit = lt | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs);
      if (hit)
        break;
      j += 8;
    }
    while (j < n && !json_esc[(unsigned char)s[j]])
      j++;
    if (j > i) {
      memcpy(d, s + i, j - i);
      d += j - i;
      i = j;
    }
    if (i >= n)
      break;
    /* An escape needs up to 6 bytes where the input had 1: make room for the rest. */
    out->len = (size_t)(d - out->data);
    if ((st = buf_reserve(out, 6 + (n - i) + 1)))
      return st;
    d = out->data + out->len;
    unsigned char c = (unsigned char)s[i++];
    *d++ = '\\';
    switch (c) {
    case '"':
      *d++ = '"';
      break;
    case '\\':
      *d++ = '\\';
      break;
    case '\n':
      *d++ = 'n';
      break;
    case '\r':
      *d++ = 'r';
      break;
    case '\t':
      *d++ = 't';
      break;
    case '\b':
      *d++ = 'b';
      break;
    case '\f':
      *d++ = 'f';
      break;
    default:
      *d++ = 'u';
      *d++ = '0';
      *d++ = '0';
      *d++ = hex[c >> 4];
      *d++ = hex[c & 15];
    }
  }
  *d++ = '"';
  out->len = (size_t)(d - out->data);
  out->data[out->len] = '\0';
  return BT_OK;
}

static bt_status put_message(bt_buf *out, const char *role, const char *text, size_t n) {
  bt_status s;
  if ((s = buf_puts(out, "{\"role\":\"")) || (s = buf_puts(out, role)) ||
      (s = buf_puts(out, "\",\"content\":")) || (s = request_put_json_string(out, text, n)))
    return s;
  return buf_putc(out, '}');
}

static bt_status put_max_tokens(bt_buf *out, const bt_request_spec *spec) {
  const char *key = request_max_tokens_key(spec);
  if (!key || spec->max_tokens <= 0)
    return BT_OK;
  char num[24];
  size_t i = sizeof num;
  int64_t v = spec->max_tokens;
  do {
    num[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0 && i > 0);
  bt_status s;
  if ((s = buf_puts(out, ",\"")) || (s = buf_puts(out, key)) || (s = buf_puts(out, "\":")))
    return s;
  return buf_append(out, num + i, sizeof num - i);
}

bt_status request_build(const bt_request_spec *spec, const char *custom_id, size_t id_len,
                        const char *system, size_t system_len, const char *user, size_t user_len,
                        bt_buf *out) {
  bt_status s = BT_OK;
  const char *model = spec->model ? spec->model : "";
  const char *params = spec->params ? spec->params : "";
  switch (spec->provider) {
  case BT_PROVIDER_ANTHROPIC:
    if ((s = buf_puts(out, "{\"custom_id\":")) ||
        (s = request_put_json_string(out, custom_id, id_len)) ||
        (s = buf_puts(out, ",\"params\":{\"model\":")) ||
        (s = request_put_json_string(out, model, strlen(model))) || (s = put_max_tokens(out, spec)))
      return s;
    if (system && ((s = buf_puts(out, ",\"system\":")) ||
                   (s = request_put_json_string(out, system, system_len))))
      return s;
    if ((s = buf_puts(out, ",\"messages\":[")) || (s = put_message(out, "user", user, user_len)) ||
        (s = buf_putc(out, ']')) || (s = buf_puts(out, params)))
      return s;
    return buf_puts(out, "}}");
  case BT_PROVIDER_OPENAI:
    if ((s = buf_puts(out, "{\"custom_id\":")) ||
        (s = request_put_json_string(out, custom_id, id_len)) ||
        (s = buf_puts(out, ",\"method\":\"POST\",\"url\":\"")) ||
        (s = buf_puts(out, request_endpoint_path(spec->endpoint))) ||
        (s = buf_puts(out, "\",\"body\":")))
      return s;
    break;
  default:
    break;
  }
  /* the body (OpenAI-shaped) */
  if ((s = buf_puts(out, "{\"model\":")) ||
      (s = request_put_json_string(out, model, strlen(model))))
    return s;
  switch (spec->endpoint) {
  case BT_EP_EMBEDDINGS:
    if ((s = buf_puts(out, ",\"input\":")) || (s = request_put_json_string(out, user, user_len)))
      return s;
    break;
  case BT_EP_RESPONSES:
    if (system && ((s = buf_puts(out, ",\"instructions\":")) ||
                   (s = request_put_json_string(out, system, system_len))))
      return s;
    if ((s = buf_puts(out, ",\"input\":")) || (s = request_put_json_string(out, user, user_len)) ||
        (s = put_max_tokens(out, spec)))
      return s;
    break;
  default:
    if ((s = buf_puts(out, ",\"messages\":[")))
      return s;
    if (system &&
        ((s = put_message(out, "system", system, system_len)) || (s = buf_putc(out, ','))))
      return s;
    if ((s = put_message(out, "user", user, user_len)) || (s = buf_putc(out, ']')) ||
        (s = put_max_tokens(out, spec)))
      return s;
    break;
  }
  if ((s = buf_puts(out, params)) || (s = buf_putc(out, '}')))
    return s;
  if (spec->provider == BT_PROVIDER_OPENAI)
    s = buf_putc(out, '}');
  return s;
}
