/* tokens: the character-class token estimator described in tokens.h. */
#include "tokens.h"

static int64_t run_tokens(int64_t weight, int per) {
  return weight ? (weight + per - 1) / per : 0;
}

enum { C_CTL, C_LETTER, C_DIGIT, C_SPACE, C_NL, C_PUNCT, C_HIGH };

/* Class of every byte (a table beats a chain of comparisons per byte); const, so any thread
 * may read it. Rows of 32 bytes, 0x00 to 0xFF. */
#define C C_CTL
#define L C_LETTER
#define D C_DIGIT
#define S C_SPACE
#define N C_NL
#define P C_PUNCT
#define H C_HIGH
static const unsigned char cls[256] = {
    C, C, C, C, C, C, C, C, C, S, N, C, C, S, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C,
    S, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, D, D, D, D, D, D, D, D, D, D, P, P, P, P, P, P,
    P, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, P, P, P, P, P,
    P, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, P, P, P, P, C,
    C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C,
    C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
};
#undef C
#undef L
#undef D
#undef S
#undef N
#undef P
#undef H

int64_t tokens_estimate(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  int64_t total = 0, letters = 0, digits = 0;
  int nl_in_ws = 0;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    switch (cls[c]) {
    case C_LETTER: {
      size_t j = i + 1;
      while (j < n && cls[p[j]] == C_LETTER)
        j++;
      total += run_tokens(digits, 3);
      digits = 0;
      letters += 2 * (int64_t)(j - i); /* weights doubled: other scripts count 2 per letter */
      i = j;
      nl_in_ws = 0;
      continue;
    }
    case C_DIGIT:
      total += run_tokens(letters, 12);
      letters = 0;
      digits++;
      i++;
      nl_in_ws = 0;
      continue;
    case C_HIGH: { /* a multi-byte character */
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
      nl_in_ws = 0;
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
    default:
      break;
    }
    total += run_tokens(letters, 12) + run_tokens(digits, 3);
    letters = digits = 0;
    switch (cls[c]) {
    case C_SPACE:
      break; /* free: tokens carry their leading space */
    case C_NL:
      if (!nl_in_ws)
        total++; /* a run of whitespace with line breaks costs one */
      nl_in_ws = 1;
      i++;
      continue;
    case C_PUNCT:
      total++;
      break;
    default:
      break; /* controls and stray bytes count nothing */
    }
    if (cls[c] != C_SPACE)
      nl_in_ws = 0;
    i++;
  }
  return total + run_tokens(letters, 12) + run_tokens(digits, 3);
}

int64_t tokens_request(const char *system, size_t system_len, const char *user, size_t user_len) {
  int64_t t = TOKENS_PER_REQUEST + TOKENS_PER_MESSAGE + tokens_estimate(user, user_len);
  if (system)
    t += TOKENS_PER_MESSAGE + tokens_estimate(system, system_len);
  return t;
}
