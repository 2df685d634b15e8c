/* gates: the checks that must pass before a move proceeds (issue 4, item 3).
 * Toward green: green health up, verdict not fail, green error share within
 * gates.max_error_rate_pct, router reachable and not drifted. Toward blue:
 * blue health up. Jobs first: an exposed service moving toward green while a
 * job is still below 100 warns, or blocks with gates.jobs_first = block.
 * Handoff: a scheduled job changes sides in the gap between its ticks. */
#include "gates_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/cron.h"
#include "cutover/job_gap.h"

const char *gate_level_name(enum gate_level l)
{
	switch (l) {
	case GATE_PASS: return "pass";
	case GATE_WARN: return "warn";
	case GATE_BLOCK: return "block";
	}
	return "?";
}

struct gate_list {
	struct plan *p;
	size_t cap;
	bool oom;
};

static void add(struct gate_list *gl, size_t service, const char *name, enum gate_level lvl,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct gate_list *gl, size_t service, const char *name, enum gate_level lvl,
		const char *fmt, ...)
{
	struct plan *p = gl->p;
	if (gl->oom)
		return;
	if (p->n_gates == gl->cap) {
		size_t cap = gl->cap ? gl->cap * 2 : 16;
		struct gate_result *g = realloc(p->gates, cap * sizeof(*g));
		if (!g) {
			gl->oom = true;
			return;
		}
		p->gates = g;
		gl->cap = cap;
	}
	struct gate_result *g = &p->gates[p->n_gates++];
	memset(g, 0, sizeof(*g));
	g->service = service;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->level = lvl;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->detail, sizeof(g->detail), fmt, ap);
	va_end(ap);
	if (lvl == GATE_BLOCK)
		p->n_blockers++;
	else if (lvl == GATE_WARN)
		p->n_warnings++;
}

static void health_gate(struct gate_list *gl, const struct snapshot *snap, size_t s,
			enum side side, bool rollback_side)
{
	const struct side_stats *st = &snap->svc[s].side[side];
	char name[32];
	snprintf(name, sizeof(name), "%s-health", side_name(side));
	switch (st->health) {
	case HEALTH_UP:
		add(gl, s, name, GATE_PASS, "%s up (%d samples)", side_name(side), st->samples);
		break;
	case HEALTH_DOWN:
		add(gl, s, name, GATE_BLOCK, "%s down%s%s%s", side_name(side),
		    st->last_error[0] ? ": " : "", st->last_error,
		    rollback_side ? " (rolling back onto a dead side)" : "");
		break;
	case HEALTH_UNKNOWN:
		add(gl, s, name, GATE_WARN, "%s health unknown: no probe result yet",
		    side_name(side));
		break;
	}
}

static void green_gates(struct gate_list *gl, const struct snapshot *snap, size_t s, bool reapply)
{
	const struct config *cfg = snap->cfg;
	const struct service_state *st = &snap->svc[s];
	health_gate(gl, snap, s, SIDE_GREEN, false);
	if (st->verdict == VERDICT_FAIL)
		add(gl, s, "verdict", GATE_BLOCK, "verdict fail%s%s",
		    st->reason[0] ? ": " : "", st->reason);
	else
		add(gl, s, "verdict", st->verdict == VERDICT_NODATA ? GATE_WARN : GATE_PASS,
		    "verdict %s%s%s", verdict_name(st->verdict), st->reason[0] ? ": " : "",
		    st->reason);
	const struct side_stats *g = &st->side[SIDE_GREEN];
	if (g->samples <= 0)
		add(gl, s, "green-errors", GATE_WARN, "no green samples yet");
	else if (g->error_pct > cfg->gates.max_error_rate_pct)
		add(gl, s, "green-errors", GATE_BLOCK, "green errors %.1f%% > %.1f%% allowed",
		    g->error_pct, cfg->gates.max_error_rate_pct);
	else
		add(gl, s, "green-errors", GATE_PASS, "green errors %.1f%% <= %.1f%%",
		    g->error_pct, cfg->gates.max_error_rate_pct);
	if (st->drift && reapply)	/* the drift is what this plan mends */
		add(gl, s, "drift", GATE_PASS, "re-applying the journal's weight: %s", st->drift_detail);
	else if (st->drift)
		add(gl, s, "drift", GATE_BLOCK, "router drift: %s (cutover reapply sets the journal's weight again)",
		    st->drift_detail);
}

/* A side that will take traffic must have ready endpoints, where the
 * router reads them (kubernetes: the side's Service's EndpointSlices). A
 * rollback is only warned: the way back is never held. */
static void endpoints_gate(struct gate_list *gl, const struct snapshot *snap,
			   const struct plan_move *mv, bool rollback)
{
	for (int side = SIDE_BLUE; side <= SIDE_GREEN; side++) {
		const struct side_traffic *t = &snap->svc[mv->service].traffic[side];
		bool takes = side == SIDE_GREEN ? mv->to > 0 : mv->to < 100;
		char name[32];
		if (!takes || !t->endpoints_known)
			continue;
		snprintf(name, sizeof name, "%s-endpoints", side_name((enum side)side));
		if (t->endpoints_ready < 0)
			add(gl, mv->service, name, GATE_WARN, "%s's ready endpoints could not be read "
			    "(EndpointSlices: list refused or failed)", side_name((enum side)side));
		else if (t->endpoints_ready > 0)
			add(gl, mv->service, name, GATE_PASS, "%s has %d ready endpoint%s",
			    side_name((enum side)side), t->endpoints_ready, t->endpoints_ready == 1 ? "" : "s");
		else
			add(gl, mv->service, name, rollback ? GATE_WARN : GATE_BLOCK,
			    "%s has no ready endpoints: nothing would answer its share",
			    side_name((enum side)side));
	}
}

/* Is service j (a job) at 100 once this plan has run? */
static bool job_on_green_after(const struct snapshot *snap, const struct plan *p, size_t j)
{
	for (size_t i = 0; i < p->n_moves; i++)
		if (p->moves[i].service == j)
			return p->moves[i].to == 100;
	return snap->svc[j].weight == 100;
}

static void jobs_first_gate(struct gate_list *gl, const struct snapshot *snap, size_t s)
{
	const struct config *cfg = snap->cfg;
	if (cfg->gates.jobs_first == JOBS_FIRST_OFF)
		return;
	size_t behind = 0;
	const char *first = NULL;
	for (size_t j = 0; j < cfg->n_services; j++) {
		if (cfg->services[j].kind != KIND_JOB || job_on_green_after(snap, gl->p, j))
			continue;
		if (!first)
			first = cfg->services[j].name;
		behind++;
	}
	if (!behind)
		add(gl, s, "jobs-first", GATE_PASS, "every job is on green");
	else
		add(gl, s, "jobs-first",
		    cfg->gates.jobs_first == JOBS_FIRST_BLOCK ? GATE_BLOCK : GATE_WARN,
		    "%zu job%s still below 100 (%s%s)", behind, behind == 1 ? "" : "s", first,
		    behind > 1 ? ", ..." : "");
}

/* A scheduled job changes sides only in the gap between ticks: a plan
 * whose schedule never leaves one is refused; one that must wait says so
 * (the executor waits for it). */
static void handoff_gate(struct gate_list *gl, const struct snapshot *snap, const struct plan_move *mv)
{
	const struct service_conf *sc = &snap->cfg->services[mv->service];
	const struct job_view *jv = &snap->svc[mv->service].job;
	struct cron c;
	char why[160];
	if (sc->kind != KIND_JOB || !sc->schedule || cron_parse(sc->schedule, &c, why, sizeof why) < 0)
		return;
	if (!job_gap_changes_side(mv->from, mv->to))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	enum side old = mv->to >= 50 ? SIDE_BLUE : SIDE_GREEN;
	struct job_gap_input in = {
		.cron = &c, .tz = sc->timezone, .jc = &sc->job, .now = now,
		.active_old = jv->on ? jv->active[old] : -1, .active_at = now,
		.switch_s = job_gap_switch_s(snap->cfg, &sc->job, 0),
	};
	struct job_gap g;
	job_gap_judge(&in, &g);
	char at[40] = "-";
	if (g.next_fire != (time_t)-1)
		job_gap_clock(g.next_fire, now, sc->timezone, at, sizeof at);
	if (g.state == JOB_GAP_NEVER)
		add(gl, mv->service, "handoff", GATE_BLOCK, "%s", g.why);
	else if (g.state == JOB_GAP_WAIT)
		add(gl, mv->service, "handoff", GATE_WARN, "will wait: %s", g.why);
	else if (in.active_old < 0 && sc->job.max_run_s <= 0)
		add(gl, mv->service, "handoff", GATE_WARN, "runs not observed and no max_run_s: a run is "
		    "taken to end %.0f s after its fire; next fire %s", JOB_SETTLE_S, at);
	else
		add(gl, mv->service, "handoff", GATE_PASS, "in the gap: next fire %s, guard_s %d", at,
		    sc->job.guard_s);
}

static void router_gate(struct gate_list *gl, const struct snapshot *snap)
{
	if (!snap->router_known || snap->routers_total <= 0)
		add(gl, PLAN_WHOLE, "router", GATE_BLOCK, "router state not read");
	else if (snap->routers_up < snap->routers_total)
		add(gl, PLAN_WHOLE, "router", GATE_BLOCK, "%d of %d router instances reachable",
		    snap->routers_up, snap->routers_total);
	else
		add(gl, PLAN_WHOLE, "router", GATE_PASS, "%d of %d router instances reachable",
		    snap->routers_up, snap->routers_total);
}

int gates_bake_check(const struct snapshot *snap, size_t s, struct plan *p, struct co_error *err)
{
	struct gate_list gl = { .p = p, .cap = p->n_gates };
	green_gates(&gl, snap, s, false);
	router_gate(&gl, snap);
	if (gl.oom) {
		co_error_set(err, "out of memory evaluating gates");
		return -1;
	}
	return 0;
}

int gates_evaluate(const struct snapshot *snap, struct plan *p, struct co_error *err)
{
	struct gate_list gl = { .p = p, .cap = p->n_gates };
	bool any_green = false;
	for (size_t i = 0; i < p->n_moves; i++) {
		const struct plan_move *mv = &p->moves[i];
		size_t s = mv->service;
		if (mv->from == WEIGHT_UNKNOWN)
			add(&gl, s, "weight-known", GATE_WARN,
			    "current weight unknown: the router could not be read for it");
		bool toward_green = mv->from == WEIGHT_UNKNOWN ? mv->to > 0 : mv->to > mv->from;
		if (mv->from == mv->to)	/* instances disagree: judge the side it lands on */
			toward_green = mv->to > 0;
		if (toward_green) {
			any_green = true;
			green_gates(&gl, snap, s, p->reapply);
			if (snap->cfg->services[s].kind == KIND_EXPOSED)
				jobs_first_gate(&gl, snap, s);
		} else {
			health_gate(&gl, snap, s, SIDE_BLUE, true);
		}
		if (!p->rollback)	/* the way back never waits (man: JOBS) */
			handoff_gate(&gl, snap, mv);
		endpoints_gate(&gl, snap, mv, p->rollback);
	}
	if (any_green)
		router_gate(&gl, snap);
	if (gl.oom) {
		co_error_set(err, "out of memory evaluating gates");
		return -1;
	}
	return 0;
}
