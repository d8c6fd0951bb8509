/* secret: a registry of secret strings (API keys) that must never be written anywhere.
 *
 * config_load() registers every key it sees; the logger, exporters and the inspector call
 * secret_scrub() on text they are about to write. Thread-safe. */
#ifndef BT_SECRET_H
#define BT_SECRET_H

#include <stddef.h>

/* Remember s (copied) as a secret. Every non-empty string counts, however short: a short
 * key is as secret as a long one, and masking ordinary text that happens to match it is the
 * lesser harm (a 7-character key used to be written out as it was). */
void secret_register(const char *s);
/* Replace every occurrence of a registered secret in s (in place) with '*' characters.
 * Returns the number of replacements. */
size_t secret_scrub(char *s);
/* 1 if s contains a registered secret. */
int secret_contains(const char *s);
/* Forget all secrets (tests). */
void secret_clear(void);

#endif
