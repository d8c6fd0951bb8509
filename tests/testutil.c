/* testutil: helpers for the C tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/batchtop-test-XXXXXX", base && *base ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  return strdup(dir);
}

void tu_rmtree(const char *path) {
  if (!path || strlen(path) < 8)
    return;
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0)
    fprintf(stderr, "warning: could not remove %s\n", path);
}

char *tu_write_file(const char *dir, const char *name, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return strdup(path);
}

static char *join_env(const char *var, const char *fallback, const char *rel) {
  const char *base = getenv(var);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", base && *base ? base : fallback, rel);
  return strdup(path);
}

char *tu_shared_path(const char *rel) {
  return join_env("BATCHTOP_SHARED_DIR", BATCHTOP_SOURCE_DIR "/../shared", rel);
}

char *tu_source_path(const char *rel) {
  return join_env("BATCHTOP_SOURCE_DIR", BATCHTOP_SOURCE_DIR, rel);
}

int tu_require_shared(const char *rel) {
  char *path = tu_shared_path(rel);
  int there = access(path, R_OK) == 0;
  const char *ci = getenv("CI");
  int in_ci = ci && strcmp(ci, "true") == 0;
  if (!there && in_ci)
    fprintf(stderr, "FAIL: %s is missing; with CI=true a missing shared file is a failure\n",
            path);
  else if (!there)
    fprintf(stderr,
            "SKIP: %s is missing (a clone without ../shared beside it); these tests need it,"
            " CI=true makes this a failure\n",
            path);
  free(path);
  return there ? 0 : in_ci ? 1 : TU_SKIP;
}
