/* help: every key, generated from the request list in keys.h. */
#include "console.h"

#include <curses.h>

#include "draw.h"

int help_rows(void)
{
	return LINES - 5 > 1 ? LINES - 5 : 1;
}

bool help_more(const struct console *c)
{
	return (c->help_page + 1) * help_rows() < REQ_READONLY - 1;
}

void help_draw(struct console *c)
{
	for (int y = 0; y < LINES; y++)
		draw_fill(y, ROLE_NORMAL);
	draw_fill(0, ROLE_HEADER);
	draw_text(0, 0, COLS, ROLE_TITLE, " cutover keys   (any key closes this help)", false);
	/* Pages when the keys do not fit: every key stays findable, every
	 * line whole. Space (or PgDn) turns the page, any other key closes. */
	int rows = help_rows(), n = REQ_READONLY - 1;
	if (c->help_page * rows >= n)
		c->help_page = 0;
	int first = c->help_page * rows, y = 2;
	for (int k = first; k < n && k < first + rows; k++, y++) {
		const struct req_info *ri = keys_info((enum tui_req)(k + 1));
		bool off = c->readonly && ri->mutating;
		draw_text(y, 2, 12, off ? ROLE_DIM : ROLE_FKEY, ri->keys, true);
		draw_fmt(y, 14, COLS - 14, off ? ROLE_DIM : ROLE_NORMAL, "%s%s", ri->help,
			 off ? "  (read-only here)" : "");
	}
	if (first + rows < n) {
		draw_fmt(y, 2, COLS - 2, ROLE_FLASH, "-- page %d of %d: Space for more keys --", c->help_page + 1,
			 (n + rows - 1) / rows);
		return;
	}
	if (y < LINES - 1)
		draw_text(y + 1, 2, COLS - 2, ROLE_DIM,
			  "B: blue (old side)  G: green (new side)  * marked  ! drift  weight = share on green", false);
}
