/* home: where batchtop keeps its data (the store, logs, exported files).
 *
 * `$BATCHTOP_HOME`, else `$XDG_DATA_HOME/batchtop`, else `~/.local/share/batchtop`.
 * home_resolve() creates the folder with mode 0700 if it is missing. Any thread. */
#ifndef BT_HOME_H
#define BT_HOME_H

#include <stddef.h>

#include "status.h"

bt_status home_resolve(char *out, size_t size, bt_error *err) BT_WUR;

/* "<home>/<name>" into out. */
bt_status home_path(const char *name, char *out, size_t size, bt_error *err) BT_WUR;

#endif
