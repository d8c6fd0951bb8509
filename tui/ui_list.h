/* ui_list: the selection and scroll position of a list whose rows may live in the store (only
 * the visible page is loaded), shared by the views' lists so they all move the same way.
 * Plain arithmetic, no ncurses. */
#ifndef BT_UI_LIST_H
#define BT_UI_LIST_H

#include <stdint.h>

#include "ui_keymap.h"

typedef struct ui_list {
  int64_t sel;   /* selected row, absolute (0-based) */
  int64_t top;   /* first visible row */
  int64_t total; /* rows in the list */
  int height;    /* visible rows */
} ui_list;

/* Keep sel inside [0, total) and visible within height rows. */
void ui_list_fix(ui_list *l, int height);
/* Move for a movement action; returns 1 if the action was a movement. */
int ui_list_move(ui_list *l, ui_action a);
/* Select the row shown at visible position row (a mouse click); 1 if that row exists. */
int ui_list_click(ui_list *l, int row);

#endif
