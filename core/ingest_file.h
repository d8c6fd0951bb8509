/* ingest_file: a downloaded result file (the engine's spool) into the store, whole.
 *
 * Every line is parsed as the provider's result line and handed to ingest_add; a line that
 * does not parse is skipped with a warning (one bad line must not lose the others); then
 * ingest_apply, so the file's results land in one transaction or not at all. This is the
 * engine's path for OpenAI output/error files and Anthropic results, and what bench/ingest
 * measures. Same thread rules as store.h. */
#ifndef BT_INGEST_FILE_H
#define BT_INGEST_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "provider.h"
#include "store_attempt.h"

/* Read f from where it stands to its end. *applied (may be NULL) gets how many attempts
 * changed, *skipped (may be NULL) how many lines did not parse. On error nothing of the file
 * is kept (g's transaction is rolled back); the caller frees g either way. */
bt_status ingest_file(bt_ingest *g, bt_provider_kind kind, FILE *f, int64_t *applied,
                      int64_t *skipped, bt_error *err) BT_WUR;

#endif
