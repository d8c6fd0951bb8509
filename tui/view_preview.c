/* view_preview: a template rendered over an input file, row by row (waits for core/render). */
#include <stdio.h>
#include <stdlib.h>

#include "app.h"

static void *preview_open(bt_app *app, const bt_view_arg *arg) {
  (void)arg;
  app_message(app, 1, "the preview needs the render module, which is not part of this build yet");
  return NULL;
}

const bt_view_ops view_preview_ops = {
    "preview", preview_open, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
};
