/* job_draw: a scheduled job's row cell (the next fire as a countdown, the
 * side that ran the latest tick and how that went), in words and glyphs,
 * never colour alone; and its words for the needs-you line. */
#include "console.h"

#include <curses.h>
#include <stdio.h>
#include <time.h>

#include "cutover/job_gap.h"
#include "cutover/job_ledger.h"
#include "cutover/jobs.h"
#include "draw.h"

static void countdown(int64_t at, char *out, size_t cap)
{
	long s = (long)(at - (int64_t)time(NULL));
	if (at <= 0)
		snprintf(out, cap, "  -  ");
	else if (s < 0)
		snprintf(out, cap, "now  ");
	else if (s >= 360000)
		snprintf(out, cap, "%ldd", s / 86400);
	else if (s >= 3600)
		snprintf(out, cap, "%ld:%02ldh", s / 3600, s / 60 % 60);
	else
		snprintf(out, cap, "%02ld:%02ld", s / 60, s % 60);
}

static const char *ran_word(uint8_t ran)
{
	switch (ran) {
	case 1u << SIDE_BLUE: return "B";
	case 1u << SIDE_GREEN: return "G";
	case 3: return "B+G";
	default: return "-";
	}
}

int job_cell(int y, int x, int w, const struct job_view *jv, enum theme_role base)
{
	char next[16];
	int end = x + w;
	countdown(jv->next_fire, next, sizeof next);
	if (jv->wait[0])
		return draw_fmt(y, x, w, ROLE_WARN, " ~ handoff waits  next %s", next);
	x = draw_fmt(y, x, 12, base, " next %-6s", next);
	if (!jv->last_tick)
		return draw_text(y, x, end - x, ROLE_DIM, jv->source == JOB_SRC_NONE ? "runs unseen" : "no tick yet", true);
	enum tick_status st = (enum tick_status)jv->last_status;
	enum theme_role r = st == TICK_DOUBLE || st == TICK_MISSED ? ROLE_BAD : st == TICK_OK ? base : ROLE_DIM;
	x = draw_fmt(y, x, 10, r, "last %-4s", ran_word(jv->last_ran));
	if (jv->doubles || jv->missed)
		return draw_fmt(y, x, end - x, ROLE_BAD, "!%ud %um", jv->doubles, jv->missed);
	return draw_text(y, x, end - x, r, tick_status_name(st), true);
}

size_t job_needs_text(const struct console *c, char *out, size_t cap, size_t *n)
{
	size_t o = 0;
	for (size_t i = 0; i < c->snap.n && o + 1 < cap; i++) {
		const struct job_view *jv = &c->snap.svc[i].job;
		if (!jv->on || (!jv->doubles && !jv->missed))
			continue;
		int k = snprintf(out + o, cap - o, "%s%s job: %u double, %u missed (cutover jobs)",
				 *n ? ", " : "", c->cfg->services[i].name, jv->doubles, jv->missed);
		o = k > 0 && (size_t)k < cap - o ? o + (size_t)k : cap - 1;
		(*n)++;
	}
	return o;
}

static const char *source_words(enum job_source s)
{
	switch (s) {
	case JOB_SRC_ROUTER: return "runs seen by the router (sessions)";
	case JOB_SRC_RUNS_URL: return "runs seen by the runs URLs";
	case JOB_SRC_MAX_RUN: return "runs not observed: max_run_s stands in for active";
	default: return "runs not observed: give a runs URL or max_run_s";
	}
}

int job_detail_lines(struct console *c, size_t i, int y, int end)
{
	const struct service_conf *sc = &c->cfg->services[i];
	const struct job_view *jv = &c->snap.svc[i].job;
	char next[40] = "-", last[40] = "-";
	int y0 = y;
	if (jv->next_fire)
		jobs_rfc3339((time_t)jv->next_fire, sc->timezone, next, sizeof next);
	if (jv->last_tick)
		jobs_rfc3339((time_t)jv->last_tick, sc->timezone, last, sizeof last);
	draw_fmt(y++, 1, COLS - 1, ROLE_NORMAL, "job \"%s\" %s: next %s; last tick %s ran on %s (%s)",
		 sc->schedule, sc->timezone ? sc->timezone : "UTC", next, last, ran_word(jv->last_ran),
		 tick_status_name((enum tick_status)jv->last_status));
	if (y < end)
		draw_fmt(y++, 1, COLS - 1, jv->doubles || jv->missed ? ROLE_BAD : ROLE_NORMAL,
			 "ledger: %u double, %u missed since watched; active B:%d G:%d; %s", jv->doubles,
			 jv->missed, jv->active[SIDE_BLUE], jv->active[SIDE_GREEN],
			 source_words((enum job_source)jv->source));
	if (y < end && jv->n_recent) {
		char line[400];
		size_t o = 0;
		for (unsigned k = 0; k < jv->n_recent && o + 1 < sizeof line; k++) {
			const struct job_tick_view *t = &jv->recent[k];
			char at[40];
			job_gap_clock((time_t)t->time, (double)time(NULL), sc->timezone, at, sizeof at);
			int w = snprintf(line + o, sizeof line - o, "%s%s %s %s", k ? " | " : "", at,
					 ran_word(t->ran), tick_status_name((enum tick_status)t->status));
			o = w > 0 && (size_t)w < sizeof line - o ? o + (size_t)w : sizeof line - 1;
		}
		bool bad = false;
		for (unsigned k = 0; k < jv->n_recent; k++)
			bad |= jv->recent[k].status == TICK_DOUBLE || jv->recent[k].status == TICK_MISSED;
		draw_fmt(y++, 1, COLS - 1, bad ? ROLE_BAD : ROLE_NORMAL, "ticks: %s", line);
	}
	if (y < end && jv->wait[0])
		draw_fmt(y++, 1, COLS - 1, ROLE_WARN, "%s", jv->wait);
	return y - y0;
}
