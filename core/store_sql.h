/* store_sql: one-line SQL helpers for the engine's store modules (store_batch.c,
 * store_attempt.c, lease.c): prepare, bind by a type string, step once, finalize.
 *
 * types: one letter per parameter: 'i' int64_t, 't' const char * (NULL binds NULL),
 * 'd' double. Same thread rules as store.h. */
#ifndef BT_STORE_SQL_H
#define BT_STORE_SQL_H

#include <stdarg.h>
#include <stdint.h>

#include "store.h"

/* Bind the varargs to st by types. */
void store_bindv(sqlite3_stmt *st, const char *types, va_list ap);
/* Run a statement that returns no rows; *changes (may be NULL) gets sqlite3_changes. */
bt_status store_run(bt_store *s, bt_error *err, const char *what, int *changes, const char *sql,
                    const char *types, ...) BT_WUR;
/* Run a query; *out gets the first column of the first row as int64 (dflt when no row). */
bt_status store_query_int(bt_store *s, bt_error *err, int64_t *out, int64_t dflt, const char *sql,
                          const char *types, ...) BT_WUR;
/* A task that ended without success (failed, expired, cancelled), as an SQL condition on the
 * state column c. It is written exactly as the WHERE of the partial index tasks_job_problem
 * (migration 14): SQLite uses that index only for a query that holds this very term. */
#define STORE_PROBLEM_STATES(c) "(" c " = 'failed' OR " c " = 'expired' OR " c " = 'cancelled')"
/* Column text as an owned copy (NULL for NULL). */
char *store_col_dup(sqlite3_stmt *st, int i);

#endif
