/* table: one row per service (or per group), blue and green side by side. */
#include "console.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

#define CHANGED_MS 10000	/* a row counts as recently changed for this long */

struct layout {
	int name, group, bar;
	bool traffic;		/* room for the router's own figures */
	bool rollout;		/* some service has a rollout, and there is room */
};

#define TRAFFIC_W 34		/* " rt B:1234 G:1234 5xx B:100 G:100 " */
#define ROLLOUT_W 30		/* " ~ baking      2/4  04:12 1/3" */

/* Fixed columns: mark 1, kind 2, weight 4, two sides of 14, delta 11,
 * verdict 5, drift 1 = 52; what is left goes to name, group and bar, in
 * that order: names tell rows apart, the bar only repeats the weight. */
static struct layout layout_for(const struct console *c, int w)
{
	struct layout l;
	l.rollout = c->has_rollouts && w >= 52 + ROLLOUT_W + 30;
	if (l.rollout)
		w -= ROLLOUT_W;
	int name_want = c->name_max > 28 ? 28 : c->name_max < 7 ? 7 : c->name_max;
	int group_want = c->group_max > 14 ? 14 : c->group_max < 5 ? 5 : c->group_max;
	/* The router's figures come after whole names, before the bar. */
	l.traffic = w - 52 - 3 - TRAFFIC_W >= name_want + group_want;
	int rem = w - 52 - (l.traffic ? TRAFFIC_W : 0) - 3;	/* three separators */
	if (rem < 16)
		rem = 16;
	l.name = name_want < rem - 5 ? name_want : rem - 5;
	l.group = group_want < rem - l.name ? group_want : rem - l.name;
	l.bar = rem - l.name - l.group;
	if (l.bar > 20)
		l.bar = 20;
	if (l.bar < 4) {	/* too narrow to read: the number says it */
		l.group += l.bar;
		l.bar = 0;
	}
	return l;
}

/* A name too long for its column keeps its end, where names differ
 * ("jobs-nightly-3" in 10 columns: "jobs-n~y-3"). */
static int draw_name(int y, int x, int w, enum theme_role role, const char *name)
{
	int len = (int)strlen(name);
	if (len <= w || w < 6)
		return draw_text(y, x, w, role, name, true);
	char buf[128];
	int tail = w / 3, head = w - tail - 1;
	snprintf(buf, sizeof buf, "%.*s~%s", head, name, name + len - tail);
	return draw_text(y, x, w, role, buf, true);
}

static int side_cell(int y, int x, const char *tag, enum theme_role tagrole, const struct side_stats *st)
{
	x = draw_text(y, x, 2, tagrole, tag, true);
	x = draw_text(y, x, 3, draw_health_role(st->health), draw_health_short(st->health), true);
	if (st->samples > 0 && isfinite(st->p95_ms)) {
		x = draw_fmt(y, x, 5, ROLE_NORMAL, "%4.0f ", st->p95_ms > 9999 ? 9999 : st->p95_ms);
		x = draw_fmt(y, x, 4, st->error_pct > 0 ? ROLE_BAD : ROLE_NORMAL, "%3.0f ", st->error_pct);
	} else if (st->samples > 0) {
		x = draw_text(y, x, 5, ROLE_DIM, "   - ", false);
		x = draw_fmt(y, x, 4, st->error_pct > 0 ? ROLE_BAD : ROLE_NORMAL, "%3.0f ", st->error_pct);
	} else {
		x = draw_text(y, x, 9, ROLE_DIM, "   -   - ", false);
	}
	return x;
}

/* What the router itself saw: mean response time and 5xx share per side. */
static void traffic_cell(int y, int x, const struct side_traffic *t, enum theme_role base)
{
	if (!t[SIDE_BLUE].known && !t[SIDE_GREEN].known) {
		draw_text(y, x, TRAFFIC_W, ROLE_DIM, " rt -", true);
		return;
	}
	/* A side that served no request has no figures, not zeros. */
	bool seen[2] = { t[SIDE_BLUE].known && t[SIDE_BLUE].requests > 0,
			 t[SIDE_GREEN].known && t[SIDE_GREEN].requests > 0 };
	x = draw_text(y, x, 4, base, " rt", true);
	for (int sd = 0; sd < 2; sd++)
		x = seen[sd] ? draw_fmt(y, x, 7, ROLE_NORMAL, "%s%4.0f ", sd == SIDE_BLUE ? "B:" : "G:",
					t[sd].rtime_ms > 9999 ? 9999 : t[sd].rtime_ms)
			     : draw_text(y, x, 7, ROLE_DIM, sd == SIDE_BLUE ? "B:   - " : "G:   - ", true);
	x = draw_text(y, x, 4, base, "5xx", true);
	for (int sd = 0; sd < 2; sd++)
		x = seen[sd] ? draw_fmt(y, x, 6, t[sd].err5xx_pct > 0 ? ROLE_BAD : ROLE_NORMAL, "%s%3.0f ",
					sd == SIDE_BLUE ? "B:" : "G:", t[sd].err5xx_pct)
			     : draw_text(y, x, 6, ROLE_DIM, sd == SIDE_BLUE ? "B:  - " : "G:  - ", true);
}

static void service_row(struct console *c, int y, size_t i, bool sel, struct layout l)
{
	const struct service_conf *sc = &c->cfg->services[i];
	const struct service_state *s = &c->snap.svc[i];
	enum theme_role base = sel ? ROLE_SELECTED : ROLE_NORMAL;
	bool changed = c->watch && s->changed_at_ms > c->settled_ms &&
		       monotonic_ms() - s->changed_at_ms < CHANGED_MS;
	draw_fill(y, base);
	int x = 0;
	if (c->marked[i])
		x = draw_text(y, x, 1, ROLE_MARKED, "*", true);
	else if (changed)
		x = draw_text(y, x, 1, ROLE_CHANGED, draw_utf8() ? "\u2022" : "+", true);
	else
		x = draw_text(y, x, 1, base, sel ? ">" : " ", true);
	x = draw_name(y, x, l.name, changed ? ROLE_CHANGED : base, sc->name) + 1;
	x = draw_name(y, x, l.group, sel ? base : ROLE_DIM, sc->group) + 1;
	x = draw_text(y, x, 2, base, sc->kind == KIND_JOB ? "J" : "E", true);
	if (l.bar > 0) {
		draw_bar(y, x, l.bar, s->weight);
		x += l.bar + 1;
	}
	if (s->weight == WEIGHT_UNKNOWN)
		x = draw_text(y, x, 4, ROLE_DIM, "  ?", true);
	else
		x = draw_fmt(y, x, 4, base, "%3d ", s->weight);
	x = side_cell(y, x, "B:", ROLE_BLUE, &s->side[SIDE_BLUE]);
	x = side_cell(y, x, "G:", ROLE_GREEN, &s->side[SIDE_GREEN]);
	double d = view_dp95(s), b = s->side[SIDE_BLUE].p95_ms;
	if (s->side[SIDE_BLUE].samples && s->side[SIDE_GREEN].samples && isfinite(b) &&
	    isfinite(s->side[SIDE_GREEN].p95_ms)) {
		enum theme_role r = d > 0 && b > 0 && d / b * 100 > c->cfg->gates.max_p95_delta_pct ? ROLE_WARN : base;
		x = draw_fmt(y, x, 5, r, "%+4.0f ", d);
		double pct = b > 0 ? d / b * 100 : 0;
		if (b > 0 && pct > 999)
			x = draw_text(y, x, 6, r, ">999%", true);
		else if (b > 0)
			x = draw_fmt(y, x, 6, r, "%+4.0f%% ", pct < -999 ? -999 : pct);
		else
			x = draw_text(y, x, 6, base, "", true);
	} else {
		x = draw_text(y, x, 11, ROLE_DIM, "   -     - ", false);
	}
	const char *prog = request_row_state(c, i);
	x = draw_text(y, x, 5, prog ? ROLE_WARN : draw_verdict_role(s->verdict),
		      prog ? prog : draw_verdict_short(s->verdict), true);
	x = draw_text(y, x, 1, ROLE_BAD, s->drift ? "!" : "", true);
	if (l.rollout && s->rollout.phase == ROLLOUT_NONE && s->job.on)
		x = job_cell(y, x, ROLLOUT_W, &s->job, base);
	else if (l.rollout)
		x = rollout_cell(y, x, ROLLOUT_W, &s->rollout, base);
	if (l.traffic)
		traffic_cell(y, x, s->traffic, base);
}

static void group_row(struct console *c, int y, size_t g, bool sel, struct layout l)
{
	const struct group_conf *gc = &c->cfg->groups[g];
	enum theme_role base = sel ? ROLE_SELECTED : ROLE_NORMAL;
	size_t on_green = 0, worst_fail = 0, nodata = 0;
	long sum = 0;
	int known = 0;
	for (size_t k = 0; k < gc->n_members; k++) {
		const struct service_state *s = &c->snap.svc[gc->members[k]];
		on_green += s->weight == 100;
		worst_fail += s->verdict == VERDICT_FAIL;
		nodata += s->verdict == VERDICT_NODATA;
		if (s->weight != WEIGHT_UNKNOWN) {
			sum += s->weight;
			known++;
		}
	}
	draw_fill(y, base);
	int x = draw_text(y, 0, 1, base, sel ? ">" : " ", true);
	x = draw_text(y, x, l.name + 1, base, *gc->name ? gc->name : "(no group)", true);
	x = draw_fmt(y, x, l.group + 1, base, "%zu svc", gc->n_members);
	x = l.name + l.group + 4;
	int avg = known ? (int)(sum / known) : WEIGHT_UNKNOWN;
	draw_bar(y, x, l.bar > 0 ? l.bar : 10, avg);
	x += (l.bar > 0 ? l.bar : 10) + 1;
	draw_fmt(y, x, COLS - x, worst_fail ? ROLE_BAD : base, "avg %3d  on G %zu/%zu  fail %zu  nodata %zu",
		 avg < 0 ? 0 : avg, on_green, gc->n_members, worst_fail, nodata);
}

void table_draw(struct console *c, int y, int h)
{
	struct layout l = layout_for(c, COLS);
	draw_fill(y, ROLE_COLHEAD);
	if (c->group_view) {
		draw_fmt(y, 0, COLS, ROLE_COLHEAD, " %-*s %-*s weight on green (avg)", l.name, "GROUP", l.group, "SIZE");
	} else {
		int x = draw_text(y, 0, 1, ROLE_COLHEAD, "", true);
		x = draw_text(y, x, l.name + 1, ROLE_COLHEAD, "SERVICE", true);
		x = draw_text(y, x, l.group + 1, ROLE_COLHEAD, "GROUP", true);
		x = draw_text(y, x, 2, ROLE_COLHEAD, "K", true);
		if (l.bar > 0)
			x = draw_text(y, x, l.bar + 1, ROLE_COLHEAD, l.bar >= 8 ? "on green" : "G", true);
		/* Every figure's unit is in its head: "p95 ms", not "p95". */
		x = draw_text(y, x, 4, ROLE_COLHEAD, "WT%", true);
		x = draw_text(y, x, 14, ROLE_COLHEAD, "B: p95ms err%", true);
		x = draw_text(y, x, 14, ROLE_COLHEAD, "G: p95ms err%", true);
		x = draw_text(y, x, 11, ROLE_COLHEAD, "dp95ms  d%", true);
		x = draw_text(y, x, 6, ROLE_COLHEAD, "VERD !", true);
		if (l.rollout)
			x = draw_text(y, x, ROLLOUT_W, ROLE_COLHEAD, " ROLLOUT      step bake  fail", true);
		if (l.traffic)
			draw_text(y, x, COLS - x, ROLE_COLHEAD, " router: rt ms, 5xx %", true);
	}
	y++;
	h--;
	if (h <= 0)
		return;
	if (!c->watch && c->sel < c->top)
		c->top = c->sel;
	if (!c->watch && c->sel >= c->top + h)
		c->top = c->sel - h + 1;
	if (c->top > (int)c->n_rows - h)
		c->top = (int)c->n_rows - h;
	if (c->top < 0)
		c->top = 0;
	for (int r = 0; r < h; r++) {
		size_t k = (size_t)(c->top + r);
		if (k >= c->n_rows) {
			draw_fill(y + r, ROLE_NORMAL);
			if (k == 0)
				draw_text(y + r, 1, COLS - 1, ROLE_DIM,
					  c->filter[0] ? "no rows match the filter" : "no services", false);
			continue;
		}
		bool sel = (int)k == c->sel && !c->watch;
		if (c->group_view)
			group_row(c, y + r, c->rows[k], sel, l);
		else
			service_row(c, y + r, c->rows[k], sel, l);
	}
}
