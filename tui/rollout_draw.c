/* rollout_draw: rollouts on screen. Each row says its phase as a glyph and
 * a word (never colour alone), step i/n, bake left mm:ss, failed checks
 * k/N; above the table, who needs a human (large on a wall screen); and a
 * bell and a flash when a rollout halts or rolls back. */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

static enum theme_role phase_role(enum rollout_phase p)
{
	switch (p) {
	case ROLLOUT_HALTED: case ROLLOUT_ROLLED_BACK: return ROLE_BAD;
	case ROLLOUT_WAITING: case ROLLOUT_PAUSED: return ROLE_WARN;
	case ROLLOUT_DONE: return ROLE_OK;
	default: return ROLE_NORMAL;
	}
}

int rollout_cell(int y, int x, int w, const struct rollout_view *rv, enum theme_role base)
{
	enum rollout_phase p = (enum rollout_phase)rv->phase;
	if (p == ROLLOUT_NONE)
		return draw_text(y, x, w, ROLE_DIM, " -", true);
	char bake[8] = "  -  ";
	if (rv->bake_left_ms >= 0) {
		int s = (rv->bake_left_ms + 999) / 1000;
		snprintf(bake, sizeof bake, "%02d:%02d", s / 60 > 99 ? 99 : s / 60, s % 60);
	}
	int end = x + w;
	const char *word = p != ROLLOUT_BAKING ? rollout_phase_name(p) : rv->moving ? "stepping"
			 : rv->held ? "held" : rollout_phase_name(p);
	x = draw_fmt(y, x, 14, rv->held ? ROLE_WARN : phase_role(p), " %s %-11s", rollout_phase_glyph(p), word);
	x = draw_fmt(y, x, 6, base, "%2d/%-2d ", rv->step, rv->steps);
	x = draw_text(y, x, 6, base, bake, true);
	return draw_fmt(y, x, end - x, rv->failed ? ROLE_WARN : base, "%d/%d", rv->failed, rv->max_failed);
}

/* "web halted (green-errors: ...), pz waiting at step 2/3", then jobs
 * with doubles or misses; *rollouts gets how many are rollouts. */
static size_t needs_text(const struct console *c, char *out, size_t cap, size_t *rollouts)
{
	size_t n = 0, o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < c->snap.n && o + 1 < cap; i++) {
		const struct rollout_view *rv = &c->snap.svc[i].rollout;
		const char *name = c->cfg->services[i].name, *sep = n ? ", " : "";
		int k;
		if (rv->phase == ROLLOUT_HALTED)
			k = snprintf(out + o, cap - o, "%s%s halted (%s)", sep, name, rv->last_check);
		else if (rv->phase == ROLLOUT_WAITING)
			k = snprintf(out + o, cap - o, "%s%s waiting at step %d/%d", sep, name, rv->step, rv->steps);
		else if (rv->blocks_plan)
			k = snprintf(out + o, cap - o, "%s%s rolled back: the next wave waits (o again, or X)", sep, name);
		else
			continue;
		o = k > 0 && (size_t)k < cap - o ? o + (size_t)k : cap - 1;
		n++;
	}
	*rollouts = n;
	if (o + 1 < cap)
		job_needs_text(c, out + o, cap - o, &n);
	return n;
}

int rollout_needs_draw(struct console *c, int y)
{
	char text[1024];
	size_t rollouts;
	size_t n = needs_text(c, text, sizeof text, &rollouts);
	if (!n)
		return 0;
	if (!c->watch) {	/* the keys first: the list may run off the edge */
		draw_fill(y, ROLE_FLASH);
		draw_fmt(y, 0, COLS, ROLE_FLASH, " NEEDS YOU (%zu)%s: %s", n,
			 rollouts ? " [P promote, p resume, X abort]" : "", text);
		return 1;
	}
	/* A wall screen: three lines, so it reads from across the room. */
	for (int k = 0; k < 3; k++)
		draw_fill(y + k, ROLE_FLASH);
	char head[64];
	snprintf(head, sizeof head, ">>> NEEDS YOU: %zu SERVICE%s FOR A HUMAN <<<", n, n == 1 ? " WAITS" : "S WAIT");
	int len = (int)strlen(head);
	draw_text(y, len < COLS ? (COLS - len) / 2 : 0, COLS, ROLE_FLASH, head, false);
	draw_fmt(y + 1, 0, COLS, ROLE_FLASH, "  %s", text);
	return 3;
}

void rollout_confirm_draw(struct console *c)
{
	const struct tui_request *rq = &c->pending;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(rq->preview ? rq->preview : rq->body,
							     rq->preview ? "services" : "targets");
	int n = cJSON_GetArraySize(list), room = LINES - 10;
	int shown = n < room ? n : room, w = COLS - 4 < 90 ? COLS - 4 : 90;
	int h = shown + 5, y0 = (LINES - h) / 2, x0 = (COLS - w) / 2, y = y0;
	for (int k = 0; k < h; k++)
		draw_text(y0 + k, x0, w, ROLE_MODAL, "", true);
	bool start = strcmp(rq->action, "start") == 0;
	draw_fmt(y++, x0 + 1, w - 2, ROLE_TITLE, " %s %d service%s ",
		 start ? "Start on autopilot:" : !strcmp(rq->action, "abort") ? "Abort, back to blue:"
									   : "Promote, skipping every bake and pause left:",
		 n, n == 1 ? "" : "s");
	for (int k = 0; k < shown; k++) {
		const cJSON *e = cJSON_GetArrayItem(list, c->modal_top + k);
		if (cJSON_IsString(e))
			draw_text(y++, x0 + 2, w - 4, ROLE_MODAL, e->valuestring, false);
		else
			draw_fmt(y++, x0 + 2, w - 4, ROLE_MODAL, "%-24.24s %s",
				 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "service")),
				 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "detail")));
	}
	y++;
	if (c->modal == MODAL_TYPED) {
		draw_fmt(y++, x0 + 2, w - 4, ROLE_FLASH, "type '%s' and Enter; n or Esc cancels", c->typed_word);
		draw_fmt(y, x0 + 2, w - 4, ROLE_MODAL, "> %s_", c->typed);
	} else {
		int x = draw_text(y, x0 + 2, w - 4, ROLE_SELECTED, "[ Cancel: n / Esc ]", false);
		draw_text(y, x + 3, w - 4 - (x - x0), ROLE_MODAL, "y: start", false);
	}
}

/* A halt or a rollback is news the room must not miss: the bell, a flash
 * of the screen, and the message line saying who and why. */
bool rollout_alarm(struct console *c)
{
	if (!c->ro_phase && !(c->ro_phase = calloc(c->cfg->n_services + 1, 1)))
		return false;
	bool rang = false, any = false;
	for (size_t i = 0; i < c->snap.n; i++) {
		const struct rollout_view *rv = &c->snap.svc[i].rollout;
		any |= rv->phase != ROLLOUT_NONE || c->snap.svc[i].job.on;
		bool bad = (rv->phase == ROLLOUT_HALTED || rv->phase == ROLLOUT_ROLLED_BACK) &&
			   c->ro_phase[i] != rv->phase && c->ro_phase[i] != ROLLOUT_NONE;
		if (bad && !rang) {
			console_flash(c, "ROLLOUT %s: %s %s", rv->phase == ROLLOUT_HALTED ? "HALTED" : "ROLLED BACK",
				      c->cfg->services[i].name, rv->last_check);
			rang = true;
		}
		c->ro_phase[i] = rv->phase;
	}
	c->has_rollouts = any;
	if (rang) {
		beep();
		flash();
	}
	return rang;
}
