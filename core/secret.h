/* secret: a registry of secret strings (API keys) that must never be written anywhere.
 *
 * config_load() registers every key it sees; the logger, exporters and the inspector call
 * secret_scrub() on text they are about to write. Thread-safe. */
#ifndef BT_SECRET_H
#define BT_SECRET_H

#include <stddef.h>

/* Remember s (copied) as a secret. Strings shorter than 8 bytes are ignored (too likely to
 * match ordinary text). */
void secret_register(const char *s);
/* Replace every occurrence of a registered secret in s (in place) with '*' characters.
 * Returns the number of replacements. */
size_t secret_scrub(char *s);
/* 1 if s contains a registered secret. */
int secret_contains(const char *s);
/* Forget all secrets (tests). */
void secret_clear(void);

#endif
