/* detail: the pane under the table for the service at the cursor. */
#include "console.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>

#include "draw.h"

static void side_lines(struct console *c, int *y, int end, enum side sd, const struct service_conf *sc,
		       const struct service_state *s, float max)
{
	const struct side_stats *st = &s->side[sd];
	if (*y >= end)
		return;
	draw_fill(*y, ROLE_NORMAL);
	int x = draw_text(*y, 1, 2, sd == SIDE_BLUE ? ROLE_BLUE : ROLE_GREEN, sd == SIDE_BLUE ? "B:" : "G:", true);
	x = draw_text(*y, x, 6, draw_health_role(st->health), health_name(st->health), true);
	if (isfinite(st->p95_ms) && st->samples > 0)
		x = draw_fmt(*y, x, COLS - x, ROLE_NORMAL, "p50 %.1f  p95 %.1f  p99 %.1f ms  ",
			     st->p50_ms, st->p95_ms, st->p99_ms);
	else
		x = draw_text(*y, x, COLS - x, ROLE_DIM, "no latency yet  ", false);
	x = draw_fmt(*y, x, COLS - x, st->error_pct > 0 ? ROLE_BAD : ROLE_NORMAL, "err %.1f%%  n=%d  ",
		     st->error_pct, st->samples);
	draw_text(*y, x, COLS - x, ROLE_DIM, sc->side[sd].health_display ? sc->side[sd].health_display : "", false);
	(*y)++;
	if (*y >= end)
		return;
	draw_fill(*y, ROLE_NORMAL);
	draw_spark(*y, 4, COLS - 5 < SPARK_LEN ? COLS - 5 : SPARK_LEN, st, max);
	if (st->last_error[0])
		draw_fmt(*y, 4 + SPARK_LEN + 1, COLS - SPARK_LEN - 5, ROLE_BAD, "last error: %s", st->last_error);
	(*y)++;
	if (*y < end && s->traffic[sd].known) {
		draw_fill(*y, ROLE_NORMAL);
		draw_fmt(*y, 4, COLS - 4, ROLE_DIM, "router: rt %.1f ms  5xx %.1f%%  sessions %ld  requests %llu",
			 s->traffic[sd].rtime_ms, s->traffic[sd].err5xx_pct, s->traffic[sd].sessions,
			 (unsigned long long)s->traffic[sd].requests);
		(*y)++;
	}
	if (*y < end && s->traffic[sd].endpoints_known) {
		int n = s->traffic[sd].endpoints_ready;
		draw_fill(*y, ROLE_NORMAL);
		if (n < 0)
			draw_text(*y, 4, COLS - 4, ROLE_BAD, "endpoints: could not be read", false);
		else
			draw_fmt(*y, 4, COLS - 4, n > 0 ? ROLE_DIM : ROLE_BAD, "endpoints: %d ready%s", n,
				 n > 0 ? "" : " (nothing would answer this side's share)");
		(*y)++;
	}
}

/* The gates of the next step toward green, as the planner would judge it
 * now (a service all on green: the gates of a step back toward blue). */
static int gates_lines(struct console *c, size_t i, int y, int end)
{
	struct plan p;
	struct co_error err;
	bool on_green = c->snap.svc[i].weight == 100;
	if (y >= end || plan_build(&c->snap, &i, 1, on_green ? GOAL_STEP_BLUE : GOAL_STEP_GREEN, 0, &p,
				   &err) < 0)
		return 0;
	int used = 0;
	draw_fill(y, ROLE_NORMAL);
	if (p.n_moves == 0)
		draw_text(y + used++, 1, COLS - 1, ROLE_DIM, "gates: no step to judge (weight not read yet)", false);
	else
		draw_fmt(y + used++, 1, COLS - 1, ROLE_NORMAL, "gates for the next step (%d -> %d):",
			 p.moves[0].from, p.moves[0].to);
	for (size_t g = 0; g < p.n_gates && y + used < end; g++) {
		enum gate_level l = p.gates[g].level;
		draw_fill(y + used, ROLE_NORMAL);
		draw_fmt(y + used++, 3, COLS - 3, l == GATE_BLOCK ? ROLE_BAD : l == GATE_WARN ? ROLE_WARN : ROLE_OK,
			 "%-5s %-13s %s", gate_level_name(l), p.gates[g].name, p.gates[g].detail);
	}
	plan_done(&p);
	return used;
}

void detail_draw(struct console *c, int y, int h)
{
	int end = y + h;
	for (int r = y; r < end; r++)
		draw_fill(r, ROLE_NORMAL);
	if (c->group_view || c->n_rows == 0)
		return;
	size_t i = c->rows[c->sel];
	const struct service_conf *sc = &c->cfg->services[i];
	const struct service_state *s = &c->snap.svc[i];
	draw_fill(y, ROLE_COLHEAD);
	char target[32];
	if (s->target_weight == WEIGHT_UNKNOWN)
		snprintf(target, sizeof target, "never set");
	else
		snprintf(target, sizeof target, "%d", s->target_weight);
	draw_fmt(y, 0, COLS, ROLE_COLHEAD, " %s  %s  group %s  weight on green %d  journal: %s%s", sc->name,
		 kind_name(sc->kind), *sc->group ? sc->group : "-", s->weight, target,
		 s->busy ? "  applying" : "");
	y++;
	float max = 0;
	for (int sd = 0; sd < 2; sd++)
		for (int k = 0; k < s->side[sd].n_spark; k++)
			if (s->side[sd].spark[k] > max)
				max = s->side[sd].spark[k];
	side_lines(c, &y, end, SIDE_BLUE, sc, s, max);
	side_lines(c, &y, end, SIDE_GREEN, sc, s, max);
	if (y < end)
		draw_fmt(y++, 1, COLS - 1, draw_verdict_role(s->verdict), "verdict %s: %s", verdict_name(s->verdict),
			 s->reason[0] ? s->reason : "-");
	if (y < end && s->drift)
		draw_fmt(y++, 1, COLS - 1, ROLE_BAD, "drift: %s%s", s->drift_detail,
			 c->readonly ? "" : "  (A re-applies the journal's weight)");
	const struct rollout_view *rv = &s->rollout;
	if (y < end && rv->phase != ROLLOUT_NONE)
		draw_fmt(y++, 1, COLS - 1, rv->held || rv->last_check[0] ? ROLE_WARN : ROLE_NORMAL,
			 "rollout %s, step %d/%d, failed checks %d/%d%s%s", rollout_phase_name(rv->phase),
			 rv->step, rv->steps, rv->failed, rv->max_failed, rv->last_check[0] ? "; last: " : "",
			 rv->last_check);
	if (y < end && s->job.on)
		y += job_detail_lines(c, i, y, end);
	y += gates_lines(c, i, y, end);
	if (y < end)
		events_draw(c, y, end - y, sc->name);
}
