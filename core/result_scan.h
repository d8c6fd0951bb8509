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

#include "provider.h"

/* 1: *out is the result provider_parse_result_json gives for this line (response included;
 * the caller frees it with result_cleanup). 0: declined, *out is zeroed and owns nothing. */
int result_scan(bt_provider_kind kind, const char *line, size_t len, bt_result *out);

#endif
