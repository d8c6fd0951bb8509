/* prices_int: the built-in table, shared by prices.c and prices_table.c only. */
#ifndef BT_PRICES_INT_H
#define BT_PRICES_INT_H

#include "prices.h"

extern const bt_price prices_builtin_table[];
extern const size_t prices_builtin_count;

#endif
