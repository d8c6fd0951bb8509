/* tokens: the character-class token estimator described in tokens.h. */
#include "tokens.h"

static int64_t run_tokens(int64_t weight, int per) { return weight ? (weight + per - 1) / per : 0; }

int64_t tokens_estimate(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  int64_t total = 0, letters = 0, digits = 0;
  int ws_newline = 0, in_ws = 0;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      total += run_tokens(digits, 3);
      digits = 0;
      letters += 2; /* weights are doubled so non-ASCII letters can count 1.5x */
      i++;
      in_ws = 0;
      continue;
    }
    if (c >= '0' && c <= '9') {
      total += run_tokens(letters, 12);
      letters = 0;
      digits++;
      i++;
      in_ws = 0;
      continue;
    }
    if (c >= 0xC0) { /* a multi-byte character */
      size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + len > n)
        len = n - i;
      unsigned cp = 0;
      if (len == 2)
        cp = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
      else if (len == 3)
        cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
      int cjk = len == 3 && ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
                             (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                             (cp >= 0xFF00 && cp <= 0xFFEF));
      int symbol = len == 3 && cp >= 0x2000 && cp <= 0x2BFF; /* punctuation, arrows, dingbats */
      i += len;
      in_ws = 0;
      if (len == 4 || cjk || symbol) {
        total += run_tokens(letters, 12) + run_tokens(digits, 3) + (len == 4 ? 2 : 1);
        letters = digits = 0;
      } else {
        total += run_tokens(digits, 3);
        digits = 0;
        letters += 4; /* a letter of another script: ~3 characters a token */
      }
      continue;
    }
    total += run_tokens(letters, 12) + run_tokens(digits, 3);
    letters = digits = 0;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!in_ws)
        ws_newline = 0;
      in_ws = 1;
      if (c == '\n' && !ws_newline) {
        ws_newline = 1;
        total++;
      }
      i++;
      continue;
    }
    in_ws = 0;
    total += c >= 0x21 && c < 0x80 ? 1 : 0; /* punctuation; a stray byte counts nothing */
    i++;
  }
  total += run_tokens(letters, 12) + run_tokens(digits, 3);
  return total;
}

int64_t tokens_request(const char *system, size_t system_len, const char *user, size_t user_len) {
  int64_t t = TOKENS_PER_REQUEST + TOKENS_PER_MESSAGE + tokens_estimate(user, user_len);
  if (system)
    t += TOKENS_PER_MESSAGE + tokens_estimate(system, system_len);
  return t;
}
