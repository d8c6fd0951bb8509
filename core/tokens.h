/* tokens: a fast estimate of how many tokens a text costs, without a tokenizer's vocabulary.
 *
 * Method (one pass over the UTF-8 bytes, no allocation):
 *   - a run of ASCII letters counts 1 token per started 6 letters ("the" 1, "tokenizer" 2);
 *   - a run of digits counts 1 token per started 3 digits (BPE vocabularies split numbers so);
 *   - each other visible ASCII character (punctuation, symbols) counts 1;
 *   - spaces are free (BPE tokens carry their leading space); a run of whitespace holding a
 *     line break counts 1;
 *   - CJK ideographs, kana and hangul count 1 per character; emoji and other characters of
 *     4 UTF-8 bytes count 2; other non-ASCII letters (accented Latin, Cyrillic, Greek, ...)
 *     join the letter run with weight 2, i.e. about 3 characters per token.
 * This lands near the "1 token ~ 4 characters ~ 0.75 words" rule of thumb for English prose.
 * Expected error against real BPE tokenizers (cl100k/o200k, Claude's): about +-15% on English
 * prose over many rows, worse on single short texts, code, base64 or rare scripts (up to
 * +-50%). It is for budgeting, not billing; providers report exact usage afterwards.
 *
 * Request overhead: each message adds TOKENS_PER_MESSAGE, each request TOKENS_PER_REQUEST
 * (role markers and the reply primer, as in OpenAI's published counting recipe).
 * Pure functions; any thread. */
#ifndef BT_TOKENS_H
#define BT_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define TOKENS_PER_MESSAGE 4
#define TOKENS_PER_REQUEST 3

/* Estimated tokens of s[0..n). */
int64_t tokens_estimate(const char *s, size_t n);

/* Input tokens of one request: the texts plus the per-message and per-request overhead.
 * system may be NULL. */
int64_t tokens_request(const char *system, size_t system_len, const char *user, size_t user_len);

#endif
