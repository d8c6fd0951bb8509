/* chunker: decides where one batch ends and the next begins, from --chunk-size and the
 * provider's limits (requests and bytes per batch), measured on the rendered request lines.
 *
 * Feed request sizes in order with chunker_add(); it says which chunk (0-based) the request
 * goes to. A request that alone exceeds the byte limit is an error. A plain struct the caller
 * embeds; no allocation; one thread at a time. */
#ifndef BT_CHUNKER_H
#define BT_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "status.h"

/* Bytes kept free in every batch for the wrapper around the lines (Anthropic's
 * {"requests":[...]} body, a multipart envelope). */
#define CHUNKER_RESERVE_BYTES 4096

typedef struct bt_chunker {
  int64_t max_requests; /* 0: no limit */
  int64_t max_bytes;    /* 0: no limit */
  int64_t chunk;        /* index of the current chunk (-1 before the first request) */
  int64_t requests;     /* in the current chunk */
  int64_t bytes;        /* in the current chunk */
  int64_t total_requests;
  int64_t total_bytes;
} bt_chunker;

/* chunk_size > 0 caps requests per chunk below the provider's limit. */
void chunker_init(bt_chunker *c, bt_provider p, int64_t chunk_size);
/* Same with explicit limits (tests). */
void chunker_init_limits(bt_chunker *c, int64_t max_requests, int64_t max_bytes);

/* Place a request of line_bytes (without its newline; one is counted). *chunk gets its chunk
 * index; *starts is 1 when it opens a new chunk. BT_ERR_LIMIT when it cannot fit any chunk. */
bt_status chunker_add(bt_chunker *c, size_t line_bytes, int64_t *chunk, int *starts,
                      bt_error *err) BT_WUR;

/* Number of chunks so far. */
int64_t chunker_count(const bt_chunker *c);

#endif
