/* model: the emulator's deterministic "language model" and the response bodies built on it.
 *
 * The answer is a pure function of the prompt (every message's role and text, the system text)
 * and max_tokens. The reference implementation is sim/model_ref.py; keep the two in step.
 *
 *   text(content)  a string is itself; an array of blocks is the "text" of each block that has
 *                  one, joined with "\n".
 *   parts          system text first (Anthropic "system", Responses "instructions"; OpenAI
 *                  chat keeps its system/developer messages where they are), then every
 *                  message as (role, text(content)).
 *   focus          the text of the last part whose role is "user"; if there is none, every
 *                  part's text joined with "\n".
 *   h              FNV-1a 64 of the focus bytes (UTF-8).
 *   label answer   if the focus contains a word "as" (ASCII case-insensitive, at the start or
 *                  after whitespace, followed by a space) whose following text, up to the first
 *                  of . ? ! : ; newline, reads "A, B, C or D" (commas, a final " or ", an Oxford
 *                  comma allowed), each option 1-4 words and at most 48 bytes after trimming
 *                  spaces and quotes, at least 2 options: the answer is option[h mod n].
 *                  The first "as" that yields such a list wins.
 *   digest answer  otherwise "sim: " + the first 6 whitespace-separated words of the focus
 *                  joined by one space + " [" + the low 32 bits of h as 8 lowercase hex + "]"
 *                  (just "sim: [xxxxxxxx]" when the focus has no words).
 *   truncation     when ceil(bytes/4) > max_tokens > 0 the answer is cut to max_tokens*4 bytes
 *                  (backing off to a UTF-8 character start); finish_reason "length",
 *                  stop_reason "max_tokens", Responses status "incomplete".
 *   usage          input tokens = ceil(sum of the parts' text bytes / 4) + 3 per part;
 *                  output tokens = max(1, ceil(answer bytes / 4)).
 *   embeddings     per input: a unit vector of `dimensions` (default 64) floats drawn from
 *                  splitmix64 seeded with FNV-1a 64 of the input text; tokens = ceil(bytes/4).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define MODEL_PART_OVERHEAD 3
#define MODEL_DIGEST_WORDS 6
#define MODEL_OPTION_MAX_BYTES 48
#define MODEL_OPTION_MAX_WORDS 4
#define MODEL_EMBED_DIMS 64

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

long long sim_model_tokens(size_t bytes) {
  return (long long)((bytes + 3) / 4);
}

void sim_prompt_add(sim_prompt *p, const char *role, const char *text, size_t len) {
  p->role = sim_xrealloc(p->role, (p->n + 1) * sizeof *p->role);
  p->text = sim_xrealloc(p->text, (p->n + 1) * sizeof *p->text);
  p->role[p->n] = sim_xstrdup(role);
  p->text[p->n] = sim_xstrndup(text, len);
  p->n++;
}

void sim_prompt_free(sim_prompt *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->role[i]);
    free(p->text[i]);
  }
  free(p->role);
  free(p->text);
  memset(p, 0, sizeof *p);
}

char *sim_content_text(const json_t *content) {
  if (json_is_string(content))
    return sim_xstrndup(json_string_value(content), json_string_length(content));
  sim_buf b = {0};
  sim_buf_puts(&b, "");
  if (json_is_array(content)) {
    size_t i, n = 0;
    json_t *blk;
    json_array_foreach(content, i, blk) {
      const json_t *t = json_is_string(blk) ? blk : json_object_get(blk, "text");
      if (!json_is_string(t))
        continue;
      if (n++)
        sim_buf_puts(&b, "\n");
      sim_buf_append(&b, json_string_value(t), json_string_length(t));
    }
  }
  return b.data;
}

static void add_content(sim_prompt *p, const char *role, const json_t *content) {
  char *t = sim_content_text(content);
  sim_prompt_add(p, role, t, strlen(t));
  free(t);
}

static void add_messages(sim_prompt *p, const json_t *messages) {
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m) {
    const char *role = json_string_value(json_object_get(m, "role"));
    add_content(p, role ? role : "user", json_object_get(m, "content"));
  }
}

const char *sim_prompt_from_chat(const json_t *body, sim_prompt *p, const char **param) {
  const json_t *msgs = json_object_get(body, "messages");
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
    *param = "messages";
    return "Messages parameter is required.";
  }
  add_messages(p, msgs);
  return NULL;
}

const char *sim_prompt_from_responses(const json_t *body, sim_prompt *p, const char **param) {
  const json_t *instr = json_object_get(body, "instructions");
  const json_t *input = json_object_get(body, "input");
  if (!json_is_string(input) && !json_is_array(input)) {
    *param = "input";
    return "Input parameter is required.";
  }
  if (json_is_string(instr) && json_string_length(instr))
    add_content(p, "system", instr);
  if (json_is_string(input))
    add_content(p, "user", input);
  else
    add_messages(p, input);
  return NULL;
}

const char *sim_prompt_from_anthropic(const json_t *params, sim_prompt *p, const char **param) {
  const json_t *model = json_object_get(params, "model");
  const json_t *mt = json_object_get(params, "max_tokens");
  const json_t *msgs = json_object_get(params, "messages");
  if (!json_is_string(model) || !json_string_length(model)) {
    *param = "model";
    return "model: Field required";
  }
  if (!json_is_integer(mt)) {
    *param = "max_tokens";
    return "max_tokens: Field required";
  }
  if (json_integer_value(mt) < 1) {
    *param = "max_tokens";
    return "max_tokens: Input should be greater than or equal to 1";
  }
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
    *param = "messages";
    return "messages: Field required";
  }
  const json_t *stream = json_object_get(params, "stream");
  if (json_is_true(stream)) {
    *param = "stream";
    return "stream: Streaming is not supported in the Message Batches API";
  }
  const json_t *sys = json_object_get(params, "system");
  if (sys) {
    char *t = sim_content_text(sys);
    if (*t)
      sim_prompt_add(p, "system", t, strlen(t));
    free(t);
  }
  add_messages(p, msgs);
  return NULL;
}

/* Trim spaces and quotes from [*s, *e). */
static void trim(const char **s, const char **e) {
  while (*s < *e && (is_space(**s) || **s == '"' || **s == '\'' || **s == '`'))
    (*s)++;
  while (*e > *s && (is_space((*e)[-1]) || (*e)[-1] == '"' || (*e)[-1] == '\'' || (*e)[-1] == '`'))
    (*e)--;
}

static bool option_ok(const char *s, const char *e) {
  trim(&s, &e);
  if (s == e || e - s > MODEL_OPTION_MAX_BYTES)
    return false;
  int words = 0;
  bool in = false;
  for (const char *c = s; c < e; c++) {
    if (is_space(*c))
      in = false;
    else if (!in) {
      in = true;
      words++;
    }
  }
  return words <= MODEL_OPTION_MAX_WORDS;
}

/* Parse the option list that follows "as " at seg..end; on success pick option k. */
static bool parse_options(const char *seg, const char *end, uint64_t h, const char **os,
                          const char **oe) {
  /* the last " or " */
  const char *orp = NULL;
  for (const char *c = seg; c + 4 <= end; c++)
    if (c[0] == ' ' && lower(c[1]) == 'o' && lower(c[2]) == 'r' && c[3] == ' ')
      orp = c;
  if (!orp)
    return false;
  const char *left_end = orp;
  while (left_end > seg && is_space(left_end[-1]))
    left_end--;
  if (left_end > seg && left_end[-1] == ',')
    left_end--; /* Oxford comma */
  const char *starts[64], *ends[64];
  size_t n = 0;
  const char *s = seg;
  for (const char *c = seg; c <= left_end; c++) {
    if (c == left_end || *c == ',') {
      if (n == 63)
        return false;
      starts[n] = s;
      ends[n] = c;
      n++;
      s = c + 1;
    }
  }
  starts[n] = orp + 4;
  ends[n] = end;
  n++;
  if (n < 2)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!option_ok(starts[i], ends[i]))
      return false;
  size_t k = (size_t)(h % n);
  *os = starts[k];
  *oe = ends[k];
  trim(os, oe);
  return true;
}

static bool label_answer(const char *t, size_t len, uint64_t h, sim_buf *out) {
  for (size_t i = 0; i + 3 <= len; i++) {
    if (lower(t[i]) != 'a' || lower(t[i + 1]) != 's' || t[i + 2] != ' ')
      continue;
    if (i > 0 && !is_space(t[i - 1]))
      continue;
    const char *seg = t + i + 3, *end = seg;
    while (end < t + len && !strchr(".?!:;\n", *end))
      end++;
    const char *os, *oe;
    if (parse_options(seg, end, h, &os, &oe)) {
      sim_buf_append(out, os, (size_t)(oe - os));
      return true;
    }
  }
  return false;
}

static void digest_answer(const char *t, size_t len, uint64_t h, sim_buf *out) {
  sim_buf_puts(out, "sim: ");
  int words = 0;
  size_t i = 0;
  while (i < len && words < MODEL_DIGEST_WORDS) {
    while (i < len && is_space(t[i]))
      i++;
    size_t s = i;
    while (i < len && !is_space(t[i]))
      i++;
    if (i > s) {
      if (words++)
        sim_buf_puts(out, " ");
      sim_buf_append(out, t + s, i - s);
    }
  }
  char hex[16];
  snprintf(hex, sizeof hex, "%s[%08x]", words ? " " : "", (unsigned)(h & 0xffffffffu));
  sim_buf_puts(out, hex);
}

void sim_model_answer(const sim_prompt *p, long long max_tokens, sim_answer *a) {
  memset(a, 0, sizeof *a);
  size_t total = 0;
  const char *focus = NULL;
  for (size_t i = 0; i < p->n; i++) {
    total += strlen(p->text[i]);
    if (strcmp(p->role[i], "user") == 0)
      focus = p->text[i];
  }
  sim_buf joined = {0};
  if (!focus) {
    sim_buf_puts(&joined, "");
    for (size_t i = 0; i < p->n; i++) {
      if (i)
        sim_buf_puts(&joined, "\n");
      sim_buf_puts(&joined, p->text[i]);
    }
    focus = joined.data;
  }
  size_t flen = strlen(focus);
  uint64_t h = sim_fnv1a64(focus, flen);
  sim_buf out = {0};
  if (!label_answer(focus, flen, h, &out))
    digest_answer(focus, flen, h, &out);
  sim_buf_free(&joined);

  if (max_tokens > 0 && sim_model_tokens(out.len) > max_tokens) {
    size_t cut = (size_t)max_tokens * 4;
    while (cut > 0 && ((unsigned char)out.data[cut] & 0xC0) == 0x80)
      cut--;
    out.data[cut] = '\0';
    out.len = cut;
    a->truncated = true;
  }
  a->text = out.data;
  a->input_tokens = sim_model_tokens(total) + MODEL_PART_OVERHEAD * (long long)p->n;
  a->output_tokens = sim_model_tokens(out.len);
  if (a->output_tokens < 1)
    a->output_tokens = 1;
}

void sim_answer_free(sim_answer *a) {
  free(a->text);
  a->text = NULL;
}

static long long int_field(const json_t *body, const char *a, const char *b) {
  const json_t *v = json_object_get(body, a);
  if (!json_is_integer(v) && b)
    v = json_object_get(body, b);
  return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *model_of(const json_t *body) {
  const char *m = json_string_value(json_object_get(body, "model"));
  return m ? m : "unknown";
}

json_t *sim_model_chat(const json_t *body, int64_t now_ms, long long *in, long long *out) {
  sim_prompt p = {0};
  const char *param;
  if (sim_prompt_from_chat(body, &p, &param))
    sim_prompt_add(&p, "user", "", 0);
  sim_answer a;
  sim_model_answer(&p, int_field(body, "max_completion_tokens", "max_tokens"), &a);
  sim_prompt_free(&p);
  char id[48];
  sim_id(id, sizeof id, "chatcmpl-", 29, true);
  json_t *j = json_pack(
      "{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s, s:n, s:[]}, s:n, s:s}], "
      "s:{s:I, s:I, s:I, s:{s:i, s:i}, s:{s:i, s:i, s:i, s:i}}, s:s, s:s}",
      "id", id, "object", "chat.completion", "created", (json_int_t)(now_ms / 1000), "model",
      model_of(body), "choices", "index", 0, "message", "role", "assistant", "content", a.text,
      "refusal", "annotations", "logprobs", "finish_reason", a.truncated ? "length" : "stop",
      "usage", "prompt_tokens", (json_int_t)a.input_tokens, "completion_tokens",
      (json_int_t)a.output_tokens, "total_tokens", (json_int_t)(a.input_tokens + a.output_tokens),
      "prompt_tokens_details", "cached_tokens", 0, "audio_tokens", 0, "completion_tokens_details",
      "reasoning_tokens", 0, "audio_tokens", 0, "accepted_prediction_tokens", 0,
      "rejected_prediction_tokens", 0, "service_tier", "default", "system_fingerprint",
      "fp_batchtop_sim");
  *in = a.input_tokens;
  *out = a.output_tokens;
  sim_answer_free(&a);
  return j;
}

json_t *sim_model_completions(const json_t *body, int64_t now_ms, long long *in, long long *out) {
  sim_prompt p = {0};
  add_content(&p, "user", json_object_get(body, "prompt"));
  sim_answer a;
  sim_model_answer(&p, int_field(body, "max_tokens", NULL), &a);
  sim_prompt_free(&p);
  char id[48];
  sim_id(id, sizeof id, "cmpl-", 29, true);
  json_t *j = json_pack(
      "{s:s, s:s, s:I, s:s, s:[{s:s, s:i, s:n, s:s}], s:{s:I, s:I, s:I}}", "id", id, "object",
      "text_completion", "created", (json_int_t)(now_ms / 1000), "model", model_of(body), "choices",
      "text", a.text, "index", 0, "logprobs", "finish_reason", a.truncated ? "length" : "stop",
      "usage", "prompt_tokens", (json_int_t)a.input_tokens, "completion_tokens",
      (json_int_t)a.output_tokens, "total_tokens", (json_int_t)(a.input_tokens + a.output_tokens));
  *in = a.input_tokens;
  *out = a.output_tokens;
  sim_answer_free(&a);
  return j;
}

json_t *sim_model_responses(const json_t *body, int64_t now_ms, long long *in, long long *out) {
  sim_prompt p = {0};
  const char *param;
  if (sim_prompt_from_responses(body, &p, &param))
    sim_prompt_add(&p, "user", "", 0);
  long long max = int_field(body, "max_output_tokens", NULL);
  sim_answer a;
  sim_model_answer(&p, max, &a);
  sim_prompt_free(&p);
  char id[64], mid[64];
  sim_id(id, sizeof id, "resp_", 48, false);
  sim_id(mid, sizeof mid, "msg_", 48, false);
  json_t *instr = json_object_get(body, "instructions");
  json_t *j = json_pack(
      "{s:s, s:s, s:I, s:s, s:b, s:n, s:o, s:O, s:o, s:s, "
      "s:[{s:s, s:s, s:s, s:[{s:s, s:[], s:[], s:s}], s:s}], "
      "s:b, s:n, s:{s:n, s:n}, s:b, s:f, s:{s:{s:s}}, s:s, s:[], s:f, s:s, "
      "s:{s:I, s:{s:i}, s:I, s:{s:i}, s:I}, s:n, s:{}}",
      "id", id, "object", "response", "created_at", (json_int_t)(now_ms / 1000), "status",
      a.truncated ? "incomplete" : "completed", "background", 0, "error", "incomplete_details",
      a.truncated ? json_pack("{s:s}", "reason", "max_output_tokens") : json_null(), "instructions",
      instr ? instr : json_null(), "max_output_tokens", max > 0 ? json_integer(max) : json_null(),
      "model", model_of(body), "output", "id", mid, "type", "message", "status",
      a.truncated ? "incomplete" : "completed", "content", "type", "output_text", "annotations",
      "logprobs", "text", a.text, "role", "assistant", "parallel_tool_calls", 1,
      "previous_response_id", "reasoning", "effort", "summary", "store", 1, "temperature", 1.0,
      "text", "format", "type", "text", "tool_choice", "auto", "tools", "top_p", 1.0, "truncation",
      "disabled", "usage", "input_tokens", (json_int_t)a.input_tokens, "input_tokens_details",
      "cached_tokens", 0, "output_tokens", (json_int_t)a.output_tokens, "output_tokens_details",
      "reasoning_tokens", 0, "total_tokens", (json_int_t)(a.input_tokens + a.output_tokens), "user",
      "metadata");
  *in = a.input_tokens;
  *out = a.output_tokens;
  sim_answer_free(&a);
  return j;
}

static void base64(const unsigned char *d, size_t n, sim_buf *out) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
                 (i + 2 < n ? d[i + 2] : 0);
    char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < n ? tbl[v >> 6 & 63] : '=',
                 i + 2 < n ? tbl[v & 63] : '='};
    sim_buf_append(out, q, 4);
  }
}

static json_t *embedding(const char *text, size_t len, int dims, bool b64, size_t index) {
  uint64_t st = sim_fnv1a64(text, len);
  float *v = sim_xmalloc((size_t)dims * sizeof *v);
  double norm = 0;
  for (int i = 0; i < dims; i++) {
    v[i] = (float)((double)(sim_splitmix64(&st) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    norm += (double)v[i] * v[i];
  }
  norm = sqrt(norm);
  json_t *vec;
  if (b64) {
    sim_buf b = {0};
    for (int i = 0; i < dims; i++)
      v[i] = (float)(v[i] / norm);
    base64((const unsigned char *)v, (size_t)dims * sizeof *v, &b);
    vec = json_string(b.data);
    sim_buf_free(&b);
  } else {
    vec = json_array();
    for (int i = 0; i < dims; i++)
      json_array_append_new(vec, json_real(round(v[i] / norm * 1e6) / 1e6));
  }
  free(v);
  return json_pack("{s:s, s:I, s:o}", "object", "embedding", "index", (json_int_t)index,
                   "embedding", vec);
}

json_t *sim_model_embeddings(const json_t *body, long long *in, long long *out) {
  const json_t *input = json_object_get(body, "input");
  long long dims = int_field(body, "dimensions", NULL);
  if (dims <= 0 || dims > 4096)
    dims = MODEL_EMBED_DIMS;
  const char *fmt = json_string_value(json_object_get(body, "encoding_format"));
  bool b64 = fmt && strcmp(fmt, "base64") == 0;
  json_t *data = json_array();
  long long tokens = 0;
  /* One string, a list of strings, a token list, or a list of token lists. */
  bool single =
      json_is_string(input) || (json_is_array(input) && json_is_integer(json_array_get(input, 0)));
  size_t n = single ? 1 : json_array_size(input);
  for (size_t i = 0; i < n; i++) {
    const json_t *item = single ? input : json_array_get(input, i);
    if (json_is_string(item)) {
      tokens += sim_model_tokens(json_string_length(item));
      json_array_append_new(
          data, embedding(json_string_value(item), json_string_length(item), (int)dims, b64, i));
    } else {
      char *t = sim_json_text(item);
      tokens += (long long)json_array_size(item);
      json_array_append_new(data, embedding(t, strlen(t), (int)dims, b64, i));
      free(t);
    }
  }
  *in = tokens;
  *out = 0;
  return json_pack("{s:s, s:o, s:s, s:{s:I, s:I}}", "object", "list", "data", data, "model",
                   model_of(body), "usage", "prompt_tokens", (json_int_t)tokens, "total_tokens",
                   (json_int_t)tokens);
}

json_t *sim_model_message(const json_t *params, const char *service_tier, long long *in,
                          long long *out) {
  sim_prompt p = {0};
  const char *param;
  if (sim_prompt_from_anthropic(params, &p, &param))
    sim_prompt_add(&p, "user", "", 0);
  sim_answer a;
  sim_model_answer(&p, int_field(params, "max_tokens", NULL), &a);
  sim_prompt_free(&p);
  char id[48];
  sim_id(id, sizeof id, "msg_01", 22, true);
  /* Every key the current SDK's Message and Usage types call required, unset ones null. */
  json_t *usage = json_pack(
      "{s:I, s:i, s:i, s:{s:i, s:i}, s:I, s:n, s:n, s:n, s:s, s:n}", "input_tokens",
      (json_int_t)a.input_tokens, "cache_creation_input_tokens", 0, "cache_read_input_tokens", 0,
      "cache_creation", "ephemeral_5m_input_tokens", 0, "ephemeral_1h_input_tokens", 0,
      "output_tokens", (json_int_t)a.output_tokens, "output_tokens_details", "server_tool_use",
      "inference_geo", "service_tier", service_tier, "speed");
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:n}], s:s, s:n, s:n, s:n, s:n, s:o}",
                        "id", id, "type", "message", "role", "assistant", "model", model_of(params),
                        "content", "type", "text", "text", a.text, "citations", "stop_reason",
                        a.truncated ? "max_tokens" : "end_turn", "stop_sequence", "stop_details",
                        "container", "diagnostics", "usage", usage);
  *in = a.input_tokens;
  *out = a.output_tokens;
  sim_answer_free(&a);
  return j;
}

const char *sim_model_check_openai(const char *endpoint, const json_t *body, const char **param,
                                   const char **code) {
  *code = "invalid_request";
  if (!json_is_object(body)) {
    *param = "body";
    return "The request body must be a JSON object.";
  }
  const json_t *model = json_object_get(body, "model");
  if (!json_is_string(model) || !json_string_length(model)) {
    *param = "body.model";
    return "Model parameter is required.";
  }
  if (json_is_true(json_object_get(body, "stream"))) {
    *param = "body.stream";
    *code = "streaming_unsupported";
    if (strcmp(endpoint, "/v1/responses") == 0)
      return "Responses: Streaming is not supported in the Batch API.";
    return "Chat Completions: Streaming is not supported in the Batch API.";
  }
  if (strcmp(endpoint, "/v1/chat/completions") == 0) {
    const json_t *m = json_object_get(body, "messages");
    if (!json_is_array(m) || json_array_size(m) == 0) {
      *param = "body.messages";
      return "Messages parameter is required.";
    }
  } else if (strcmp(endpoint, "/v1/responses") == 0 || strcmp(endpoint, "/v1/embeddings") == 0) {
    const json_t *in = json_object_get(body, "input");
    if (!json_is_string(in) && !json_is_array(in)) {
      *param = "body.input";
      return "Input parameter is required.";
    }
  } else if (strcmp(endpoint, "/v1/completions") == 0) {
    if (!json_object_get(body, "prompt")) {
      *param = "body.prompt";
      return "Prompt parameter is required.";
    }
  }
  return NULL;
}

long long sim_model_input_tokens(const char *endpoint, const json_t *body) {
  sim_prompt p = {0};
  const char *param;
  long long n = 0;
  if (strcmp(endpoint, "/v1/chat/completions") == 0)
    (void)sim_prompt_from_chat(body, &p, &param);
  else if (strcmp(endpoint, "/v1/responses") == 0)
    (void)sim_prompt_from_responses(body, &p, &param);
  else {
    const json_t *in = json_object_get(body, "input");
    if (!in)
      in = json_object_get(body, "prompt");
    add_content(&p, "user", in);
  }
  size_t bytes = 0;
  for (size_t i = 0; i < p.n; i++)
    bytes += strlen(p.text[i]);
  n = sim_model_tokens(bytes) + MODEL_PART_OVERHEAD * (long long)p.n;
  sim_prompt_free(&p);
  return n;
}
