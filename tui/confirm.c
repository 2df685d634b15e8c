/* confirm: the modal that names every change and every gate before
 * anything moves. Cancel has the focus; a rollback, or any plan a gate
 * blocks, asks for a typed word instead of y. */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

/* Which requests ask for a typed word: a rollback, the lever, and the
 * gravest rollout controls (abort goes back to blue, promote --full skips
 * every check left). Starting a rollout asks y, as a move does. */
static bool req_typed(const struct tui_request *req)
{
	if (req->kind == REQUEST_ROLLOUT)
		return strcmp(req->action, "start") != 0;
	return req->kind != REQUEST_MOVE;
}

void confirm_open(struct console *c, struct tui_request *req)
{
	c->pending = *req;
	bool blocked = c->pending.plan.n_blockers > 0;
	memset(req, 0, sizeof *req);	/* everything it held is the modal's now */
	c->modal = blocked || req_typed(&c->pending) ? MODAL_TYPED : MODAL_CONFIRM;
	c->typed_word = c->pending.kind == REQUEST_TAKE_LEVER ? "take"
		      : c->pending.kind == REQUEST_ROLLOUT ? c->pending.action
		      : blocked ? "force" : "rollback";
	c->typed[0] = '\0';
	c->modal_top = 0;
}

static void close_modal(struct console *c)
{
	request_free(&c->pending);
	c->modal = MODAL_NONE;
}

/* The modal closes before the request leaves: a plan that changed meanwhile
 * opens a new modal (request_submit), which this must not close. */
static void submit(struct console *c, bool force, const char *reason)
{
	struct tui_request req = c->pending;
	char why[sizeof c->typed];
	snprintf(why, sizeof why, "%s", reason ? reason : "");
	memset(&c->pending, 0, sizeof c->pending);
	c->modal = MODAL_NONE;
	if (req.kind == REQUEST_TAKE_LEVER)
		console_take_lever(c);
	else if (req.kind == REQUEST_ROLLOUT)
		rollout_submit(c, &req);
	else
		request_submit(c, &req, force, reason ? why : NULL);
	request_free(&req);
}

/* The typed line is the word, or (for force) the word, a space and the
 * reason to journal. */
static bool typed_ok(const struct console *c, const char **reason)
{
	size_t wl = strlen(c->typed_word);
	*reason = NULL;
	if (strncmp(c->typed, c->typed_word, wl) != 0)
		return false;
	if (c->typed[wl] == '\0')
		return true;
	if (c->typed[wl] != ' ' || strcmp(c->typed_word, "force") != 0)
		return false;
	*reason = c->typed + wl + 1;
	return true;
}

static void typed_key(struct console *c, int key)
{
	size_t n = strlen(c->typed);
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (n)
			c->typed[n - 1] = '\0';
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		const char *reason;
		if (typed_ok(c, &reason)) {
			submit(c, strcmp(c->typed_word, "force") == 0, reason);
		} else {
			c->typed[0] = '\0';
			console_flash(c, "type '%s' exactly, or Esc to cancel", c->typed_word);
		}
	} else if (key >= 32 && key < 127 && n + 1 < sizeof c->typed) {
		c->typed[n] = (char)key;
		c->typed[n + 1] = '\0';
	}
}

bool confirm_key(struct console *c, int key)
{
	if (c->modal == MODAL_NONE)
		return false;
	if (c->modal == MODAL_QUIT) {
		if (key == 'y' || key == 'Y') {
			c->quit_when_done = true;
			console_flash(c, "leaving when plan %s has finished", c->prog.plan_id);
		}
		c->modal = MODAL_NONE;
		return true;
	}
	if (key == 27 || (c->modal == MODAL_CONFIRM && (key == 'n' || key == 'N' || key == 'q'))) {
		close_modal(c);
		console_flash(c, "cancelled: nothing changed");
		return true;
	}
	if (key == KEY_DOWN || key == KEY_NPAGE) {
		c->modal_top += key == KEY_DOWN ? 1 : 10;
		return true;
	}
	if (key == KEY_UP || key == KEY_PPAGE) {
		c->modal_top -= key == KEY_UP ? 1 : 10;
		if (c->modal_top < 0)
			c->modal_top = 0;
		return true;
	}
	/* Neither word holds a y or an n: while the word is being typed they
	 * keep the meaning they have everywhere else (a reason after
	 * "force " may hold any letter). */
	bool in_word = c->modal == MODAL_TYPED && !strchr(c->typed, ' ');
	if (in_word && (key == 'n' || key == 'N')) {
		close_modal(c);
		console_flash(c, "cancelled: nothing changed");
	} else if (in_word && (key == 'y' || key == 'Y')) {
		console_flash(c, "y is not enough here: type '%s' and Enter", c->typed_word);
	} else if (c->modal == MODAL_TYPED) {
		typed_key(c, key);
	} else if (key == 'y' || key == 'Y') {
		submit(c, false, NULL);
	}
	return true;
}
