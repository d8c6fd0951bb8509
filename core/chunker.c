/* chunker: count and byte limits per batch. */
#include "chunker.h"

void chunker_init_limits(bt_chunker *c, int64_t max_requests, int64_t max_bytes) {
  c->max_requests = max_requests;
  c->max_bytes = max_bytes;
  c->chunk = -1;
  c->requests = c->bytes = 0;
  c->total_requests = c->total_bytes = 0;
}

void chunker_init(bt_chunker *c, bt_provider p, int64_t chunk_size) {
  bt_provider_limits lim;
  request_limits(p, &lim);
  int64_t maxr = lim.max_requests;
  if (chunk_size > 0 && (maxr == 0 || chunk_size < maxr))
    maxr = chunk_size;
  int64_t maxb = lim.max_file_bytes ? lim.max_file_bytes - CHUNKER_RESERVE_BYTES : 0;
  chunker_init_limits(c, maxr, maxb);
}

bt_status chunker_add(bt_chunker *c, size_t line_bytes, int64_t *chunk, int *starts,
                      bt_error *err) {
  int64_t b = (int64_t)line_bytes + 1;
  if (c->max_bytes && b > c->max_bytes)
    return error_set(err, BT_ERR_LIMIT,
                     "one request is %lld bytes, over the %lld bytes a batch may hold",
                     (long long)b, (long long)c->max_bytes);
  int open = c->chunk < 0 || (c->max_requests && c->requests >= c->max_requests) ||
             (c->max_bytes && c->bytes + b > c->max_bytes);
  if (open) {
    c->chunk++;
    c->requests = 0;
    c->bytes = 0;
  }
  c->requests++;
  c->bytes += b;
  c->total_requests++;
  c->total_bytes += b;
  if (chunk)
    *chunk = c->chunk;
  if (starts)
    *starts = open;
  return BT_OK;
}

int64_t chunker_count(const bt_chunker *c) {
  return c->chunk + 1;
}
