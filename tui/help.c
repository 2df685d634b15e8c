/* help: every key, generated from the request list in keys.h. */
#include "console.h"

#include <curses.h>

#include "draw.h"

void help_draw(struct console *c)
{
	for (int y = 0; y < LINES; y++)
		draw_fill(y, ROLE_NORMAL);
	draw_fill(0, ROLE_HEADER);
	draw_text(0, 0, COLS, ROLE_TITLE, " cutover keys   (any key closes this help)", false);
	int y = 2;
	for (int r = REQ_NONE + 1; r < REQ_READONLY && y < LINES - 2; r++) {
		const struct req_info *ri = keys_info((enum tui_req)r);
		bool off = c->readonly && ri->mutating;
		draw_text(y, 2, 12, off ? ROLE_DIM : ROLE_FKEY, ri->keys, true);
		draw_fmt(y, 14, COLS - 14, off ? ROLE_DIM : ROLE_NORMAL, "%s%s", ri->help,
			 off ? "  (read-only here)" : "");
		y++;
	}
	if (y < LINES - 1)
		draw_text(y + 1, 2, COLS - 2, ROLE_DIM,
			  "B: blue (old side)  G: green (new side)  * marked  ! drift  weight = share on green", false);
}
