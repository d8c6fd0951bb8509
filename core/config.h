/* config: batchtop's settings: built-in defaults, then the config file, then the environment.
 *
 * The file is `$BATCHTOP_CONFIG`, else `$XDG_CONFIG_HOME/batchtop/config`, else
 * `~/.config/batchtop/config`; a missing file is fine. Format, one setting a line:
 *
 *     # comment
 *     theme = light
 *     poll_ms = 1000
 *     [keys]
 *     retry = r
 *
 * Top-level keys are the fields of bt_config below (unknown keys are errors with file:line).
 * The [keys] section holds key bindings as raw (action, key) pairs that the front end checks.
 * API keys in the file are accepted only when the file is not readable by group or others
 * (0600); every key seen is registered with secret_register(). Environment variables
 * (cli.md) override the file. The struct owns its strings; config_cleanup() frees them.
 * Load once, on the main thread, before starting the engine. */
#ifndef BT_CONFIG_H
#define BT_CONFIG_H

#include <stddef.h>

#include "status.h"

/* X(name, type, default): S = string (NULL default allowed), I = integer, D = double. */
#define BT_CONFIG_FIELDS(X)                                                                \
  X(openai_api_key, S, NULL)                                                               \
  X(openai_base_url, S, "https://api.openai.com/v1")                                       \
  X(anthropic_api_key, S, NULL)                                                            \
  X(anthropic_base_url, S, "https://api.anthropic.com")                                    \
  X(local_url, S, "http://127.0.0.1:8080/v1")                                              \
  X(local_api_key, S, NULL)                                                                \
  X(provider, S, NULL)                                                                     \
  X(model, S, NULL)                                                                        \
  X(theme, S, "default")                                                                   \
  X(prices, S, NULL)                                                                       \
  X(poll_ms, I, 0)                                                                         \
  X(chunk_size, I, 0)                                                                      \
  X(local_concurrency, I, 64)                                                              \
  X(local_rpm, I, 0)                                                                       \
  X(local_tpm, I, 0)                                                                       \
  X(max_cost, D, 0.0)

typedef struct bt_keybinding {
  char *action;
  char *key;
  long line;
} bt_keybinding;

typedef struct bt_config {
#define BT_CFG_S char *
#define BT_CFG_I long
#define BT_CFG_D double
#define BT_X(name, type, def) BT_CFG_##type name;
  BT_CONFIG_FIELDS(BT_X)
#undef BT_X
  bt_keybinding *keys; /* [keys] section, in file order */
  size_t n_keys;
  char *path; /* the file that was read, or NULL when none existed */
} bt_config;

/* Defaults only (no file, no environment). */
void config_init(bt_config *cfg);
void config_cleanup(bt_config *cfg);

/* Parse one file into cfg (on top of what is there). Errors carry file:line. */
bt_status config_load_file(bt_config *cfg, const char *path, bt_error *err) BT_WUR;

/* Apply cli.md's environment variables on top of cfg. */
void config_apply_env(bt_config *cfg);

/* The whole sequence: defaults, the file (if any), the environment. */
bt_status config_load(bt_config *cfg, bt_error *err) BT_WUR;

/* The config file path that config_load() would read, into buf. */
const char *config_default_path(char *buf, size_t size);

#endif
