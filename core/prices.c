/* prices: the built-in table and the LiteLLM loader. */
#include "prices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "prices_int.h"
#include "util.h"

struct bt_prices {
  bt_price *v; /* model strings owned when loaded from a file */
  size_t n;
  int owned;
  char source[300];
};

bt_status prices_builtin(bt_prices **out, bt_error *err) {
  bt_prices *p = calloc(1, sizeof *p);
  if (!p)
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  p->v = (bt_price *)prices_builtin_table;
  p->n = prices_builtin_count;
  snprintf(p->source, sizeof p->source, "built-in table (%s)", PRICES_DATE);
  *out = p;
  return BT_OK;
}

static double per_mtok(json_t *entry, const char *key) {
  json_t *v = json_object_get(entry, key);
  return json_is_number(v) ? json_number_value(v) * 1e6 : -1;
}

bt_status prices_load_litellm(const char *path, bt_prices **out, bt_error *err) {
  *out = NULL;
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root)
    return error_set_at(err, BT_ERR_INPUT, path, je.line > 0 ? je.line : 0,
                        je.column > 0 ? je.column : 0, "price table: %s", je.text);
  if (!json_is_object(root)) {
    json_decref(root);
    return error_set_at(err, BT_ERR_INPUT, path, 1, 1,
                        "price table: expected a JSON object of models (LiteLLM's format)");
  }
  bt_prices *p = calloc(1, sizeof *p);
  if (!p || !(p->v = calloc(json_object_size(root) + 1, sizeof *p->v))) {
    free(p);
    json_decref(root);
    return error_set(err, BT_ERR_NOMEM, "out of memory");
  }
  p->owned = 1;
  snprintf(p->source, sizeof p->source, "%s", path);
  const char *key;
  json_t *e;
  json_object_foreach(root, key, e) {
    if (!json_is_object(e) || !json_is_string(json_object_get(e, "litellm_provider")))
      continue; /* sample_spec, fallback_generalizations, ... */
    double in = per_mtok(e, "input_cost_per_token");
    double outp = per_mtok(e, "output_cost_per_token");
    if (in < 0 && outp < 0)
      continue;
    bt_price *pr = &p->v[p->n++];
    pr->model = util_xstrdup(key);
    pr->input = in < 0 ? 0 : in;
    pr->output = outp < 0 ? 0 : outp;
    double bi = per_mtok(e, "input_cost_per_token_batches");
    double bo = per_mtok(e, "output_cost_per_token_batches");
    pr->batch_computed = bi < 0 || bo < 0;
    pr->batch_input = bi >= 0 ? bi : pr->input * 0.5;
    pr->batch_output = bo >= 0 ? bo : pr->output * 0.5;
    pr->cached_input = per_mtok(e, "cache_read_input_token_cost");
  }
  json_decref(root);
  if (p->n == 0) {
    prices_free(p);
    return error_set_at(err, BT_ERR_INPUT, path, 1, 1,
                        "price table: no model with litellm_provider and a price");
  }
  *out = p;
  return BT_OK;
}

void prices_free(bt_prices *p) {
  if (!p)
    return;
  if (p->owned) {
    for (size_t i = 0; i < p->n; i++)
      free((char *)p->v[i].model);
    free(p->v);
  }
  free(p);
}

static const bt_price *find_exact(const bt_prices *p, const char *m) {
  for (size_t i = 0; i < p->n; i++)
    if (strcmp(p->v[i].model, m) == 0)
      return &p->v[i];
  return NULL;
}

/* Strip a trailing -YYYY-MM-DD, -YYYYMMDD or -latest; returns 1 when something was cut. */
static int strip_suffix(char *m) {
  size_t n = strlen(m);
  const char *digits = "0123456789";
  if (n > 7 && strcmp(m + n - 7, "-latest") == 0) {
    m[n - 7] = '\0';
    return 1;
  }
  if (n > 11 && m[n - 11] == '-' && m[n - 6] == '-' && m[n - 3] == '-' &&
      strspn(m + n - 10, digits) == 4 && strspn(m + n - 5, digits) == 2 &&
      strspn(m + n - 2, digits) == 2) {
    m[n - 11] = '\0';
    return 1;
  }
  if (n > 9 && m[n - 9] == '-' && strspn(m + n - 8, digits) == 8) {
    m[n - 9] = '\0';
    return 1;
  }
  return 0;
}

const bt_price *prices_find(const bt_prices *p, const char *model, const char *provider) {
  if (!p || !model || !*model)
    return NULL;
  char name[256];
  for (int pass = 0; pass < 2; pass++) {
    snprintf(name, sizeof name, "%s", model);
    if (pass == 1 && !strip_suffix(name))
      break;
    const bt_price *pr = find_exact(p, name);
    if (pr)
      return pr;
    char alt[300];
    if (provider) {
      snprintf(alt, sizeof alt, "%s/%s", provider, name);
      if ((pr = find_exact(p, alt)))
        return pr;
    }
    const char *slash = strchr(name, '/');
    if (slash && (pr = find_exact(p, slash + 1)))
      return pr;
  }
  return NULL;
}

const char *prices_source(const bt_prices *p) {
  return p->source;
}
size_t prices_count(const bt_prices *p) {
  return p->n;
}
