/* libFuzzer target: the config file parser (core/config.c) on arbitrary bytes. Whatever the
 * input, it loads or fails with a located error, and a loaded config is complete. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* config_load_file reads a path: an anonymous in-memory file stands in for it. */
  int fd = memfd_create("fuzz-config", 0);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  bt_config cfg;
  config_init(&cfg);
  bt_error err;
  error_clear(&err);
  if (config_load_file(&cfg, path, &err) == BT_OK) {
    if (!cfg.openai_base_url || !cfg.theme) /* defaults survive any file */
      __builtin_trap();
    for (size_t i = 0; i < cfg.n_keys; i++)
      if (!cfg.keys[i].action || !cfg.keys[i].key || cfg.keys[i].line < 1)
        __builtin_trap();
  } else if (!err.message[0]) {
    __builtin_trap(); /* every failure says why */
  }
  config_cleanup(&cfg);
  close(fd);
  return 0;
}
