/* ui_list: selection and scrolling arithmetic. */
#include "ui_list.h"

void ui_list_fix(ui_list *l, int height) {
  l->height = height > 0 ? height : 1;
  if (l->sel >= l->total)
    l->sel = l->total - 1;
  if (l->sel < 0)
    l->sel = 0;
  if (l->top > l->sel)
    l->top = l->sel;
  if (l->sel >= l->top + l->height)
    l->top = l->sel - l->height + 1;
  /* No empty space below the last row when the list could fill the screen. */
  if (l->top + l->height > l->total)
    l->top = l->total - l->height;
  if (l->top < 0)
    l->top = 0;
}

int ui_list_move(ui_list *l, ui_action a) {
  int page = l->height > 1 ? l->height - 1 : 1;
  switch (a) {
  case ACT_UP:
    l->sel--;
    break;
  case ACT_DOWN:
    l->sel++;
    break;
  case ACT_PAGE_UP:
    l->sel -= page;
    l->top -= page;
    break;
  case ACT_PAGE_DOWN:
    l->sel += page;
    l->top += page;
    break;
  case ACT_TOP:
    l->sel = 0;
    break;
  case ACT_BOTTOM:
    l->sel = l->total - 1;
    break;
  default:
    return 0;
  }
  if (l->top < 0)
    l->top = 0;
  ui_list_fix(l, l->height);
  return 1;
}

int ui_list_click(ui_list *l, int row) {
  if (row < 0 || l->top + row >= l->total)
    return 0;
  l->sel = l->top + row;
  return 1;
}
