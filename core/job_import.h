/* job_import: track batches created elsewhere (`batchtop import`): one new job holding the
 * given remote batches, which the engine then polls and collects like its own.
 *
 * OpenAI: the batch's input file is downloaded and becomes the job's tasks (custom_id and
 * request line per input line, in file order). Anthropic has no way to read a batch's
 * requests, so its tasks are created from the result lines when the batch ends (in results
 * order; input columns: custom_id only). With no ids, every batch on the provider's first list
 * page that the store does not track yet is imported.
 *
 * Blocking HTTP on the caller's thread (curl_global_init must have run); the caller's store
 * connection. */
#ifndef BT_JOB_IMPORT_H
#define BT_JOB_IMPORT_H

#include <stddef.h>

#include "config.h"
#include "store.h"
#include "store_job.h"

bt_status job_import(bt_store *s, const bt_config *cfg, const char *provider,
                     const char *const *ids, size_t n_ids, const char *name,
                     char id_out[BT_JOB_ID_LEN + 1], size_t *n_imported, bt_error *err) BT_WUR;

#endif
