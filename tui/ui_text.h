/* ui_text: measuring and cutting UTF-8 text by display width (wide characters and emoji take
 * two columns, combining marks none), so columns line up and nothing spills into the next one.
 *
 * Pure functions with no ncurses, any thread. Control characters (newline, tab, escape) are
 * shown as one space each, so a cell never moves the cursor; invalid UTF-8 bytes show as '?'.
 * Widths follow wcwidth() of the current locale; when the locale is not UTF-8 every byte
 * outside ASCII counts as one column and is shown as '?'. */
#ifndef BT_UI_TEXT_H
#define BT_UI_TEXT_H

#include <stddef.h>

/* 1 when the locale's character set is UTF-8 (checked once per call; cheap). */
int ui_text_utf8(void);

/* Display width of s in columns. */
int ui_text_width(const char *s);

/* Copy into out (size bytes) the longest prefix of s that fits in width columns, cleaned as
 * above. When s does not fit, the copy ends with an ellipsis ("…", or "~" without UTF-8) and
 * still fits. Returns the width written. out is always NUL-terminated. */
int ui_text_cut(const char *s, int width, char *out, size_t size);

/* Break s into lines of at most width columns (the first line: first_width): at newlines, else at
 * the last space that fits, else anywhere. emit(ud, start, len) gets each line's bytes (not
 * cleaned; feed them through ui_text_cut to draw). Returns the number of lines. */
int ui_text_wrap(const char *s, int first_width, int width,
                 void (*emit)(void *ud, const char *line, size_t len), void *ud);

/* Byte length of the UTF-8 sequence starting at s (1 for invalid bytes and ASCII). */
size_t ui_text_seq_len(const char *s);

#endif
