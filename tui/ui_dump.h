/* ui_dump: the screen as text, for golden-screen tests, benchmarks and debugging.
 *
 * ui_dump_text() writes what a person would read: one line per row, wide characters once,
 * trailing spaces removed. ui_dump_elements() writes one character per cell naming the colour
 * element drawn there (ui_dump_elem_code: '.' for normal, letters for the others, '?' for a
 * cell with no element), so a change of colours in a view shows up as a diff even when the
 * text is the same. UI thread only. */
#ifndef BT_UI_DUMP_H
#define BT_UI_DUMP_H

#include <curses.h>

#include "buf.h"
#include "ui_theme.h"

bt_status ui_dump_text(WINDOW *w, bt_buf *out) BT_WUR;
bt_status ui_dump_elements(WINDOW *w, bt_buf *out) BT_WUR;
/* The code character of an element in ui_dump_elements() output. */
char ui_dump_elem_code(ui_elem e);
/* "a=title b=..." legend of the codes, one element per line. */
bt_status ui_dump_legend(bt_buf *out) BT_WUR;

#endif
