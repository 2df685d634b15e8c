/* fbar: the function-key bar; read-only blanks the mutating labels. */
#include "console.h"

#include <curses.h>

#include "draw.h"

static const struct { const char *key, *label; enum tui_req req; } items[] = {
	{ "?", "Help", REQ_HELP }, { "/", "Filter", REQ_FILTER }, { "s", "Sort", REQ_SORT },
	{ "Tab", "Grp", REQ_GROUPS }, { "Spc", "Mark", REQ_MARK },
	{ "g", "G+", REQ_STEP_GREEN }, { "b", "B+", REQ_STEP_BLUE },
	{ "G", "AllG", REQ_ALL_GREEN }, { "B", "AllB", REQ_ALL_BLUE },
	{ "R", "Rollbk", REQ_ROLLBACK }, { "q", "Quit", REQ_QUIT },
};

void fbar_draw(struct console *c, int y)
{
	static const char *const sorts[SORT_COUNT] = { "name", "group", "dp95", "verdict", "weight" };
	draw_fill(y, ROLE_FLABEL);
	if (c->filtering || c->filter[0]) {
		draw_fmt(y, 0, COLS, c->filtering ? ROLE_FLASH : ROLE_FLABEL, " filter: %s%s  (%zu shown)",
			 c->filter, c->filtering ? "_" : "", c->n_rows);
		return;
	}
	int x = 0;
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		const struct req_info *ri = keys_info(items[i].req);
		bool blank = c->readonly && ri->mutating;
		x = draw_text(y, x, COLS - x, ROLE_FKEY, blank ? "" : items[i].key, false);
		if (items[i].req == REQ_SORT)
			x = draw_fmt(y, x, COLS - x, ROLE_FLABEL, "Sort:%s", sorts[c->sort]);
		else
			x = draw_text(y, x, COLS - x, ROLE_FLABEL, blank ? "" : items[i].label, false);
		if (!blank)
			x = draw_text(y, x, COLS - x, ROLE_FLABEL, " ", false);
	}
}
