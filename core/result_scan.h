/* result_scan: the fast path for result lines (internal to core; provider_parse_result uses it).
 *
 * jansson builds a tree of every key and value of a line only for us to read a dozen of them.
 * The scanner walks the line once without allocating, validating it as json_loadb would
 * (UTF-8, escapes, \u0000, surrogates, control characters, number ranges, nesting, bytes after
 * the object) and noting where the members we keep are; then it builds the bt_result by the
 * rules of provider_openai_parse_result, provider_anthropic_parse_result and
 * provider_take_answer. Anything it is not sure of it declines: a key written with escapes, a
 * member we read given twice (jansson keeps the last), deep nesting, numbers near the limits,
 * many text blocks, a line jansson would refuse or one without a custom_id. The caller then
 * parses the line with jansson, which stays the judge of odd lines and the author of every
 * error message. tests/fuzz/fuzz_result.c checks that the two paths agree.
 *
 * Pure and thread-safe. */
#ifndef BT_RESULT_SCAN_H
#define BT_RESULT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "provider.h"

/* 1: *out is the result provider_parse_result_json gives for this line (response included;
 * the caller frees it with result_cleanup). 0: declined, *out is zeroed and owns nothing. */
int result_scan(bt_provider_kind kind, const char *line, size_t len, bt_result *out);

/* The same validating pass for the export's hot loop (results.c): the members of a flat
 * object, one input row at a time. Wanted members must be strings, integers, true, false or
 * null (a real or a nested value is jansson's to print); any other member is only validated.
 * Whatever it declines, the caller parses with jansson, so for any text the cells come out as
 * jansson gives them (tests/fuzz/fuzz_json_flat.c checks this). */
typedef enum {
  JSON_FLAT_MISSING = 0, /* no such member, or null */
  JSON_FLAT_STRING,      /* p, n: the bytes between the quotes; esc: decode them first */
  JSON_FLAT_INT,         /* i */
  JSON_FLAT_WORD         /* p, n: true or false */
} json_flat_kind;

typedef struct {
  json_flat_kind kind;
  int esc;
  const char *p;
  size_t n;
  int64_t i;
} json_flat_value;

/* The members names[0..n) (a NULL name matches nothing; a repeated key: the last, as jansson)
 * of the object in text[0..len) into out[0..n). 0, or -1: declined. */
int json_flat_get(const char *text, size_t len, const char *const *names, size_t n,
                  json_flat_value *out);
/* A JSON_FLAT_STRING decoded into dst (room for v->n + 1 bytes), NUL-terminated. */
void json_flat_unescape(const json_flat_value *v, char *dst);

#endif
