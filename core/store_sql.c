/* store_sql: one-line SQL helpers. */
#include "store_sql.h"

#include "util.h"

void store_bindv(sqlite3_stmt *st, const char *types, va_list ap) {
  for (int i = 0; types[i]; i++) {
    switch (types[i]) {
    case 'i':
      sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
      break;
    case 'd':
      sqlite3_bind_double(st, i + 1, va_arg(ap, double));
      break;
    default: {
      const char *t = va_arg(ap, const char *);
      if (t)
        sqlite3_bind_text(st, i + 1, t, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(st, i + 1);
    }
    }
  }
}

bt_status store_run(bt_store *s, bt_error *err, const char *what, int *changes, const char *sql,
                    const char *types, ...) {
  sqlite3_stmt *st;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  va_list ap;
  va_start(ap, types);
  store_bindv(st, types, ap);
  va_end(ap);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    r = store_fail(s, err, what);
  else if (changes)
    *changes = sqlite3_changes(store_db(s));
  sqlite3_finalize(st);
  return r;
}

bt_status store_query_int(bt_store *s, bt_error *err, int64_t *out, int64_t dflt,
                          const char *sql, const char *types, ...) {
  sqlite3_stmt *st;
  *out = dflt;
  bt_status r = store_prepare(s, sql, &st, err);
  if (r)
    return r;
  va_list ap;
  va_start(ap, types);
  store_bindv(st, types, ap);
  va_end(ap);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_type(st, 0) != SQLITE_NULL)
      *out = sqlite3_column_int64(st, 0);
  } else if (rc != SQLITE_DONE) {
    r = store_fail(s, err, "querying");
  }
  sqlite3_finalize(st);
  return r;
}

char *store_col_dup(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? util_xstrdup((const char *)t) : NULL;
}
