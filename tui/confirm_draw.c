/* confirm_draw: paints the confirm modal: the moves, each with every gate
 * that judged it, the plan's own gates first, then what to press. */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

static enum theme_role gate_role(enum gate_level l)
{
	return l == GATE_BLOCK ? ROLE_BAD : l == GATE_WARN ? ROLE_WARN : ROLE_OK;
}

/* Line k of the modal's body (plan gates, then moves with their gates);
 * false past the end. */
static bool body_line(const struct console *c, size_t k, int y, int x, int w)
{
	const struct plan *p = &c->pending.plan;
	for (size_t g = 0; g < p->n_gates; g++) {
		if (p->gates[g].service != PLAN_WHOLE)
			continue;
		if (k-- == 0) {
			draw_fmt(y, x, w, gate_role(p->gates[g].level), "%-5s %-13s %s",
				 gate_level_name(p->gates[g].level), p->gates[g].name, p->gates[g].detail);
			return true;
		}
	}
	for (size_t m = 0; m < p->n_moves; m++) {
		const struct plan_move *mv = &p->moves[m];
		if (k-- == 0) {
			char from[8];
			snprintf(from, sizeof from, mv->from == WEIGHT_UNKNOWN ? "?" : "%d", mv->from);
			draw_fmt(y, x, w, ROLE_TITLE, "%-24.24s %3s -> %3d  toward %s",
				 c->cfg->services[mv->service].name, from, mv->to,
				 mv->to > mv->from ? "G:green" : "B:blue");
			return true;
		}
		for (size_t g = 0; g < p->n_gates; g++) {
			if (p->gates[g].service != mv->service)
				continue;
			if (k-- == 0) {
				draw_fmt(y, x + 2, w - 2, gate_role(p->gates[g].level), "%-5s %-13s %s",
					 gate_level_name(p->gates[g].level), p->gates[g].name,
					 p->gates[g].detail);
				return true;
			}
		}
	}
	return false;
}

static size_t body_lines(const struct plan *p)
{
	return p->n_moves + p->n_gates;
}

static void draw_quit(struct console *c)
{
	int w = COLS - 4 < 60 ? COLS - 4 : 60, x0 = (COLS - w) / 2, y0 = LINES / 2 - 2;
	for (int y = 0; y < 4; y++)
		draw_text(y0 + y, x0, w, ROLE_MODAL, "", true);
	draw_fmt(y0 + 1, x0 + 2, w - 4, ROLE_TITLE, "Plan %s is applying (%zu/%zu).", c->prog.plan_id,
		 c->prog.done, c->prog.total);
	draw_text(y0 + 2, x0 + 2, w - 4, ROLE_MODAL, "Quit when it has finished? y / n", false);
}

static void draw_take(struct console *c)
{
	int w = COLS - 4 < 72 ? COLS - 4 : 72, x0 = (COLS - w) / 2, y0 = LINES / 2 - 3;
	for (int y = 0; y < 6; y++)
		draw_text(y0 + y, x0, w, ROLE_MODAL, "", true);
	draw_fmt(y0 + 1, x0 + 2, w - 4, ROLE_TITLE, "Take the lever from %s?", c->view.holder);
	draw_text(y0 + 2, x0 + 2, w - 4, ROLE_MODAL, "They can no longer act; it is journaled and they are told.", false);
	draw_text(y0 + 3, x0 + 2, w - 4, ROLE_FLASH, "type 'take' and Enter; n or Esc cancels", false);
	draw_fmt(y0 + 4, x0 + 2, w - 4, ROLE_MODAL, "> %s_", c->typed);
}

void confirm_draw(struct console *c)
{
	if (c->modal == MODAL_NONE)
		return;
	if (c->modal == MODAL_QUIT) {
		draw_quit(c);
		return;
	}
	if (c->pending.kind == REQUEST_TAKE_LEVER) {
		draw_take(c);
		return;
	}
	if (c->pending.kind == REQUEST_ROLLOUT) {
		rollout_confirm_draw(c);
		return;
	}
	const struct plan *p = &c->pending.plan;
	int w = COLS - 4 < 100 ? COLS - 4 : 100;
	int room = LINES - 10;
	size_t total = body_lines(p);
	int shown = (int)total < room ? (int)total : room;
	if (shown < 1)
		shown = 1;
	if (c->modal_top > (int)total - shown)
		c->modal_top = (int)total - shown;
	if (c->modal_top < 0)
		c->modal_top = 0;
	int h = shown + 6, y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
	for (int y = 0; y < h; y++)
		draw_text(y0 + y, x0, w, ROLE_MODAL, "", true);
	int y = y0;
	draw_fmt(y++, x0 + 1, w - 2, ROLE_TITLE, " %s %zu service%s  plan %s ",
		 p->rollback ? "Roll back to blue:" : p->reapply ? "Re-apply the journal's weights:" : "Move", p->n_moves, p->n_moves == 1 ? "" : "s", p->id);
	for (int k = 0; k < shown; k++)
		body_line(c, (size_t)(c->modal_top + k), y + k, x0 + 2, w - 4);
	y += shown;
	if ((size_t)(c->modal_top + shown) < total)
		draw_fmt(y - 1, x0 + w - 24, 22, ROLE_DIM, "Down/PgDn: %zu more", total - (size_t)(c->modal_top + shown));
	draw_fmt(y++, x0 + 2, w - 4, p->n_blockers ? ROLE_BAD : p->n_warnings ? ROLE_WARN : ROLE_MODAL,
		 "gates: %zu block, %zu warn%s", p->n_blockers, p->n_warnings,
		 c->filter[0] && c->n_rows < c->cfg->n_services ? "   (the filter hides some rows)" : "");
	if (c->rehearsal)
		draw_text(y, x0 + 2, w - 4, ROLE_BADGE, "REHEARSAL: nothing outside cutover changes", false);
	y++;
	if (c->modal == MODAL_TYPED) {
		const char *why = p->n_blockers ? "a gate blocks: to override, type 'force' (a reason may follow)"
						: "type 'rollback'";
		draw_fmt(y++, x0 + 2, w - 4, ROLE_FLASH, "%s and Enter; n or Esc cancels", why);
		draw_fmt(y, x0 + 2, w - 4, ROLE_MODAL, "> %s_", c->typed);
	} else {
		int x = draw_text(y, x0 + 2, w - 4, ROLE_SELECTED, "[ Cancel: n / Esc ]", false);
		draw_text(y, x + 3, w - 4 - (x - x0), ROLE_MODAL, "y: apply", false);
	}
}
