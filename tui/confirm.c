/* confirm: the modal that names every change before anything moves.
 * Cancel has the focus; the gravest action asks for a typed word. */
#include "console.h"

#include <curses.h>
#include <string.h>

#include "draw.h"

void confirm_open(struct console *c, struct tui_request *req)
{
	c->pending = *req;
	req->items = NULL;
	c->modal = req->kind == REQUEST_ROLLBACK_ALL ? MODAL_TYPED : MODAL_CONFIRM;
	c->typed_word = "rollback";
	c->typed[0] = '\0';
}

static void close_modal(struct console *c)
{
	request_free(&c->pending);
	c->modal = MODAL_NONE;
}

bool confirm_key(struct console *c, int key)
{
	if (c->modal == MODAL_NONE)
		return false;
	if (key == 27 || (c->modal == MODAL_CONFIRM && (key == 'n' || key == 'N' || key == 'q'))) {
		close_modal(c);
		console_flash(c, "cancelled: nothing changed");
		return true;
	}
	if (c->modal == MODAL_CONFIRM) {
		if (key == 'y' || key == 'Y') {
			request_submit(c, &c->pending);
			close_modal(c);
		}
		return true;
	}
	size_t n = strlen(c->typed);
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (n)
			c->typed[n - 1] = '\0';
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		if (strcmp(c->typed, c->typed_word) == 0) {
			request_submit(c, &c->pending);
			close_modal(c);
		} else {
			c->typed[0] = '\0';
			console_flash(c, "type '%s' exactly, or Esc to cancel", c->typed_word);
		}
	} else if (key >= 32 && key < 127 && n + 1 < sizeof c->typed) {
		c->typed[n] = (char)key;
		c->typed[n + 1] = '\0';
	}
	return true;
}

void confirm_draw(struct console *c)
{
	if (c->modal == MODAL_NONE)
		return;
	const struct tui_request *r = &c->pending;
	int shown = (int)r->n < LINES - 12 ? (int)r->n : LINES - 12;
	if (shown < 1)
		shown = 1;
	int h = shown + 8, w = COLS - 4 < 64 ? COLS - 4 : 64;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
	for (int y = 0; y < h; y++)
		draw_text(y0 + y, x0, w, ROLE_MODAL, "", true);
	int y = y0;
	draw_fmt(y++, x0 + 1, w - 2, ROLE_TITLE, " %s %zu service%s ",
		 r->kind == REQUEST_ROLLBACK_ALL ? "Roll back to blue:" : "Move", r->n, r->n == 1 ? "" : "s");
	y++;
	for (int k = 0; k < shown; k++) {
		const struct move_item *m = &r->items[k];
		if (k == shown - 1 && (size_t)shown < r->n) {
			draw_fmt(y++, x0 + 2, w - 4, ROLE_MODAL, "... and %zu more", r->n - (size_t)k);
			break;
		}
		draw_fmt(y++, x0 + 2, w - 4, ROLE_MODAL, "%-22.22s %3d -> %3d  toward %s",
			 c->cfg->services[m->service].name, m->from, m->to,
			 m->to > m->from ? "G:green" : "B:blue");
	}
	y++;
	draw_text(y++, x0 + 2, w - 4, ROLE_MODAL, "gates: not evaluated (planner not in this build)", false);
	if (c->filter[0] && c->n_rows < c->cfg->n_services)
		draw_fmt(y, x0 + 2, w - 4, ROLE_MODAL, "the filter hides %zu rows", c->cfg->n_services - c->n_rows);
	y++;
	if (c->modal == MODAL_TYPED)
		draw_fmt(y, x0 + 2, w - 4, ROLE_FLASH, "type '%s' and Enter: %s_   Esc cancels",
			 c->typed_word, c->typed);
	else {
		int x = draw_text(y, x0 + 2, w - 4, ROLE_SELECTED, "[ Cancel: n / Esc ]", false);
		draw_text(y, x + 3, w - 4 - (x - x0), ROLE_MODAL, "y: apply", false);
	}
}
