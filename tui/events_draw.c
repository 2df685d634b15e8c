/* events_draw: the journal's recent records, newest first, for the wall
 * (watch) and for one service (the detail pane). */
#include "console.h"

#include <curses.h>
#include <string.h>

#include "draw.h"

/* Draws up to h lines from y (a title line first); service NULL: all.
 * Returns the lines used. */
int events_draw(struct console *c, int y, int h, const char *service)
{
	if (h <= 0)
		return 0;
	draw_fill(y, ROLE_COLHEAD);
	draw_text(y, 0, COLS, ROLE_COLHEAD,
		  service ? " journal: this service, newest first" : " journal: newest first", false);
	int used = 1;
	if (!c->events.readable) {
		if (used < h) {
			draw_fill(y + used, ROLE_NORMAL);
			draw_text(y + used++, 1, COLS - 1, ROLE_DIM, "no journal yet (nothing has been moved)", false);
		}
		return used;
	}
	for (size_t k = 0; used < h; k++) {
		const struct journal_event *e = journal_tail_recent(&c->events, k);
		if (!e)
			break;
		if (service && strcmp(e->service, service) != 0)
			continue;
		draw_fill(y + used, ROLE_NORMAL);
		int x = draw_text(y + used, 1, 9, ROLE_DIM, e->time, true);
		draw_text(y + used, x + 1, COLS - x - 1, e->bad ? ROLE_BAD : ROLE_NORMAL, e->text, false);
		used++;
	}
	for (int r = used; r < h; r++)
		draw_fill(y + r, ROLE_NORMAL);
	return used;
}
