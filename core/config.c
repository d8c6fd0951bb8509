/* config: defaults, config file, environment. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "secret.h"
#include "util.h"

enum { CFG_S, CFG_I, CFG_D };

typedef struct {
  const char *name;
  int type;
  size_t offset;
} cfg_field;

static const cfg_field cfg_fields[] = {
#define BT_X(name, type, def) {#name, CFG_##type, offsetof(bt_config, name)},
    BT_CONFIG_FIELDS(BT_X)
#undef BT_X
};

void config_init(bt_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
#define BT_CFG_INIT_S(name, def)                                                           \
  do {                                                                                     \
    const char *d_ = def;                                                                  \
    cfg->name = d_ ? util_xstrdup(d_) : NULL;                                              \
  } while (0)
#define BT_CFG_INIT_I(name, def) cfg->name = (def)
#define BT_CFG_INIT_D(name, def) cfg->name = (def)
#define BT_X(name, type, def) BT_CFG_INIT_##type(name, def);
  BT_CONFIG_FIELDS(BT_X)
#undef BT_X
}

void config_cleanup(bt_config *cfg) {
  for (size_t i = 0; i < sizeof cfg_fields / sizeof cfg_fields[0]; i++) {
    if (cfg_fields[i].type == CFG_S) {
      char **p = (char **)((char *)cfg + cfg_fields[i].offset);
      free(*p);
      *p = NULL;
    }
  }
  for (size_t i = 0; i < cfg->n_keys; i++) {
    free(cfg->keys[i].action);
    free(cfg->keys[i].key);
  }
  free(cfg->keys);
  free(cfg->path);
  memset(cfg, 0, sizeof *cfg);
}

static void set_string(char **slot, const char *value) {
  free(*slot);
  *slot = util_xstrdup(value);
}

static char *trim(char *s) {
  while (*s && isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

/* Values may be quoted with "..." to keep leading/trailing spaces or a '#'. */
static int unquote(char *v) {
  size_t n = strlen(v);
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    memmove(v, v + 1, n - 2);
    v[n - 2] = '\0';
    return 1;
  }
  return 0;
}

static int is_api_key(const char *name) { return strstr(name, "api_key") != NULL; }

/* Every remote provider's key is masked whatever its length. A local server's key shorter than
 * 8 characters is taken as the placeholder such servers ignore ("x", "none", "EMPTY"): masking
 * it would rewrite every "none" in the answers on screen and in exports. */
#define LOCAL_KEY_MIN_SECRET 8
static void register_key(const char *name, const char *value) {
  if (!value || !*value)
    return;
  if (strstr(name, "local") && strlen(value) < LOCAL_KEY_MIN_SECRET)
    return;
  secret_register(value);
}

bt_status config_load_file(bt_config *cfg, const char *path, bt_error *err) {
  FILE *f = fopen(path, "r");
  if (!f)
    return error_set_at(err, BT_ERR_CONFIG, path, 0, 0, "cannot open: %s", strerror(errno));
  struct stat st;
  int private_file = fstat(fileno(f), &st) == 0 && (st.st_mode & 077) == 0;
  char line[4096];
  long lineno = 0;
  char section[64] = "";
  bt_status result = BT_OK;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      result = error_set_at(err, BT_ERR_CONFIG, path, lineno, 0, "line is too long");
      break;
    }
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (!close || trim(close + 1)[0] != '\0') {
        result = error_set_at(err, BT_ERR_CONFIG, path, lineno, (long)(s - line) + 1,
                              "malformed section header (expected [name])");
        break;
      }
      *close = '\0';
      char *name = trim(s + 1);
      if (strcmp(name, "keys") != 0) {
        result = error_set_at(err, BT_ERR_CONFIG, path, lineno, (long)(name - line) + 1,
                              "unknown section [%s] (known: [keys])", name);
        break;
      }
      util_strlcpy(section, name, sizeof section);
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq) {
      result = error_set_at(err, BT_ERR_CONFIG, path, lineno, (long)(s - line) + 1,
                            "expected 'name = value'");
      break;
    }
    *eq = '\0';
    char *name = trim(s);
    char *value = trim(eq + 1);
    long value_col = (long)(value - line) + 1;
    if (!unquote(value)) {
      char *hash = strstr(value, " #");
      if (hash)
        *hash = '\0', value = trim(value);
    }
    if (*name == '\0') {
      result = error_set_at(err, BT_ERR_CONFIG, path, lineno, 1, "missing name before '='");
      break;
    }
    if (section[0]) { /* [keys] */
      bt_keybinding *k = realloc(cfg->keys, (cfg->n_keys + 1) * sizeof *k);
      if (!k) {
        result = error_set(err, BT_ERR_NOMEM, "out of memory");
        break;
      }
      cfg->keys = k;
      k[cfg->n_keys].action = util_xstrdup(name);
      k[cfg->n_keys].key = util_xstrdup(value);
      k[cfg->n_keys].line = lineno;
      cfg->n_keys++;
      continue;
    }
    const cfg_field *field = NULL;
    for (size_t i = 0; i < sizeof cfg_fields / sizeof cfg_fields[0]; i++)
      if (strcmp(cfg_fields[i].name, name) == 0)
        field = &cfg_fields[i];
    if (!field) {
      result = error_set_at(err, BT_ERR_CONFIG, path, lineno, (long)(name - line) + 1,
                            "unknown setting '%s'", name);
      break;
    }
    void *slot = (char *)cfg + field->offset;
    if (field->type == CFG_S) {
      if (is_api_key(name) && *value) {
        register_key(name, value);
        if (!private_file) {
          result = error_set_at(err, BT_ERR_CONFIG, path, lineno, (long)(name - line) + 1,
                                "'%s' is in a file that others can read; chmod 600 %s", name,
                                path);
          break;
        }
      }
      set_string((char **)slot, value);
    } else if (field->type == CFG_I) {
      char *end;
      errno = 0;
      long v = strtol(value, &end, 10);
      if (*value == '\0' || *end != '\0' || errno || v < 0) {
        result = error_set_at(err, BT_ERR_CONFIG, path, lineno, value_col,
                              "'%s' needs a whole number >= 0, got '%s'", name, value);
        break;
      }
      *(long *)slot = v;
    } else {
      char *end;
      errno = 0;
      double v = strtod(value, &end);
      if (*value == '\0' || *end != '\0' || errno || !isfinite(v) || v < 0) {
        result = error_set_at(err, BT_ERR_CONFIG, path, lineno, value_col,
                              "'%s' needs a number >= 0, got '%s'", name, value);
        break;
      }
      *(double *)slot = v;
    }
  }
  fclose(f);
  if (result == BT_OK) {
    free(cfg->path);
    cfg->path = util_xstrdup(path);
  }
  return result;
}

static void env_string(char **slot, const char *var) {
  const char *v = getenv(var);
  if (v && *v)
    set_string(slot, v);
}

void config_apply_env(bt_config *cfg) {
  env_string(&cfg->openai_api_key, "OPENAI_API_KEY");
  env_string(&cfg->openai_base_url, "OPENAI_BASE_URL");
  env_string(&cfg->anthropic_api_key, "ANTHROPIC_API_KEY");
  env_string(&cfg->anthropic_base_url, "ANTHROPIC_BASE_URL");
  env_string(&cfg->local_url, "BATCHTOP_LOCAL_URL");
  env_string(&cfg->local_api_key, "BATCHTOP_LOCAL_API_KEY");
  const char *poll = getenv("BATCHTOP_POLL_MS");
  if (poll && *poll) {
    char *end;
    long v = strtol(poll, &end, 10);
    if (*end == '\0' && v > 0)
      cfg->poll_ms = v;
  }
  register_key("openai_api_key", cfg->openai_api_key);
  register_key("anthropic_api_key", cfg->anthropic_api_key);
  register_key("local_api_key", cfg->local_api_key);
}

const char *config_default_path(char *buf, size_t size) {
  const char *explicit_path = getenv("BATCHTOP_CONFIG");
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  if (explicit_path && *explicit_path)
    snprintf(buf, size, "%s", explicit_path);
  else if (xdg && *xdg)
    snprintf(buf, size, "%s/batchtop/config", xdg);
  else
    snprintf(buf, size, "%s/.config/batchtop/config", home && *home ? home : ".");
  return buf;
}

bt_status config_load(bt_config *cfg, bt_error *err) {
  config_init(cfg);
  char path[4096];
  config_default_path(path, sizeof path);
  struct stat st;
  int explicit_file = getenv("BATCHTOP_CONFIG") && *getenv("BATCHTOP_CONFIG");
  if (stat(path, &st) == 0 || explicit_file) {
    bt_status s = config_load_file(cfg, path, err);
    if (s)
      return s;
  }
  config_apply_env(cfg);
  return BT_OK;
}
