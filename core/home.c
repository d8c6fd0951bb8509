/* home: the data folder. */
#include "home.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util.h"

bt_status home_resolve(char *out, size_t size, bt_error *err) {
  const char *explicit_home = getenv("BATCHTOP_HOME");
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  int n;
  if (explicit_home && *explicit_home)
    n = snprintf(out, size, "%s", explicit_home);
  else if (xdg && *xdg)
    n = snprintf(out, size, "%s/batchtop", xdg);
  else if (home && *home)
    n = snprintf(out, size, "%s/.local/share/batchtop", home);
  else
    return error_set(err, BT_ERR_CONFIG, "neither BATCHTOP_HOME nor HOME is set");
  if (n < 0 || (size_t)n >= size)
    return error_set(err, BT_ERR_CONFIG, "data folder path is too long");
  bt_status s = util_mkdir_p(out, 0700, err);
  if (s)
    return s;
  /* An existing folder keeps its owner's choice of mode, but we never widen it. */
  return BT_OK;
}

bt_status home_path(const char *name, char *out, size_t size, bt_error *err) {
  char dir[4096];
  bt_status s = home_resolve(dir, sizeof dir, err);
  if (s)
    return s;
  int n = snprintf(out, size, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= size)
    return error_set(err, BT_ERR_CONFIG, "path is too long");
  return BT_OK;
}
