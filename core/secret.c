/* secret: registry of strings that must never be written out. */
#include "secret.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 16

static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[SECRET_MAX];
static size_t secret_count;

void secret_register(const char *s) {
  if (!s || !*s)
    return; /* a short key is still a key: scrubbed at any length (secret.h) */
  pthread_mutex_lock(&secret_lock);
  for (size_t i = 0; i < secret_count; i++) {
    if (strcmp(secrets[i], s) == 0) {
      pthread_mutex_unlock(&secret_lock);
      return;
    }
  }
  if (secret_count < SECRET_MAX) {
    char *copy = strdup(s);
    if (copy)
      secrets[secret_count++] = copy;
  }
  pthread_mutex_unlock(&secret_lock);
}

size_t secret_scrub(char *s) {
  if (!s)
    return 0;
  size_t n = 0;
  pthread_mutex_lock(&secret_lock);
  for (size_t i = 0; i < secret_count; i++) {
    size_t len = strlen(secrets[i]);
    for (char *p = strstr(s, secrets[i]); p; p = strstr(p + len, secrets[i])) {
      memset(p, '*', len);
      n++;
    }
  }
  pthread_mutex_unlock(&secret_lock);
  return n;
}

int secret_contains(const char *s) {
  if (!s)
    return 0;
  int found = 0;
  pthread_mutex_lock(&secret_lock);
  for (size_t i = 0; i < secret_count && !found; i++)
    found = strstr(s, secrets[i]) != NULL;
  pthread_mutex_unlock(&secret_lock);
  return found;
}

void secret_clear(void) {
  pthread_mutex_lock(&secret_lock);
  for (size_t i = 0; i < secret_count; i++)
    free(secrets[i]);
  secret_count = 0;
  pthread_mutex_unlock(&secret_lock);
}
