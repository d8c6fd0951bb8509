/* testutil: helpers for the C tests (temporary folders, paths to shared data, the sim). */
#ifndef BT_TESTUTIL_H
#define BT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* A fresh private temporary folder (removed by tu_rmtree). Returns a static-lifetime copy the
 * caller frees. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);
/* Write text to dir/name; returns the heap path. */
char *tu_write_file(const char *dir, const char *name, const char *text);
/* $BATCHTOP_SHARED_DIR/<rel> (../shared beside the source tree); heap string. */
char *tu_shared_path(const char *rel);

/* ctest's skip code (SKIP_RETURN_CODE in tests/CMakeLists.txt). */
#define TU_SKIP 77
/* Whether the shared file rel (tu_shared_path) is there: 0 when it is. When it is not, a line
 * says so on stderr and the result is TU_SKIP outside CI (a clean clone has no ../shared), or
 * 1 (a failure) when CI=true, where every test must run. */
int tu_require_shared(const char *rel);
/* $BATCHTOP_SOURCE_DIR/<rel>; heap string. */
char *tu_source_path(const char *rel);

#endif
