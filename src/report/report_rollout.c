/* report_rollout: the rollout records (include/cutover/rollout.h) into
 * the review: timeline events in words, breaches with their figures, and
 * the plans a rollout rolled back with. */
#include "report_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void health_text(const cJSON *f, const char *key, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, key);
	if (cJSON_IsString(v))
		report_text_copy(out, cap, v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "up" : "down");
	else if (cJSON_IsNumber(v))
		snprintf(out, cap, "%g", v->valuedouble);
	else
		out[0] = '\0';
}

static void take_figures(const cJSON *f, struct report_figures *out)
{
	out->present = cJSON_IsObject(f);
	out->weight = rec_num(f, "weight");
	health_text(f, "green_health", out->green_health, sizeof(out->green_health));
	health_text(f, "blue_health", out->blue_health, sizeof(out->blue_health));
	health_text(f, "verdict", out->verdict, sizeof(out->verdict));
	out->green_p95_ms = rec_num(f, "green_p95_ms");
	out->blue_p95_ms = rec_num(f, "blue_p95_ms");
	out->p95_delta_pct = rec_num(f, "p95_delta_pct");
	out->max_p95_delta_pct = rec_num(f, "max_p95_delta_pct");
	out->green_error_pct = rec_num(f, "green_error_pct");
	out->blue_error_pct = rec_num(f, "blue_error_pct");
	out->max_error_rate_pct = rec_num(f, "max_error_rate_pct");
	out->green_5xx_pct = rec_num(f, "green_5xx_pct");
	out->routers_up = rec_num(f, "routers_up");
	out->routers_total = rec_num(f, "routers_total");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(f, "drift");
	out->drift = cJSON_IsBool(d) ? cJSON_IsTrue(d) : -1;
}

/* "gate: detail", or "" without a gate. */
static void add_gate(char *out, size_t cap, const cJSON *o)
{
	const char *gate = rec_str(o, "gate"), *detail = rec_str(o, "detail");
	if (gate) {
		report_add_text(out, cap, gate);
		report_addf(out, cap, detail ? ": " : "");
	}
	report_add_text(out, cap, detail);
}

/* The event's words for the timeline. */
static void event_detail(const char *ev, const cJSON *o, char *out, size_t cap)
{
	int step = rec_whole(o, "step", 0, 1 << 20, -1), steps = rec_whole(o, "steps", 0, 1 << 20, -1);
	int w = rec_weight(o, "weight");
	char at[48] = "";
	if (step >= 0 && steps > 0)
		snprintf(at, sizeof(at), "step %d/%d", step, steps);
	else if (step >= 0)
		snprintf(at, sizeof(at), "step %d", step);
	if (w != REPORT_NO_WEIGHT)
		report_addf(at, sizeof(at), "%s%d %%", at[0] ? " at " : "at ", w);
	if (rec_is(ev, "started")) {
		const cJSON *ws = cJSON_GetObjectItemCaseSensitive(o, "weights"), *x;
		int wave = rec_whole(o, "wave", 0, 1 << 20, -1);
		if (wave >= 0)
			report_addf(out, cap, "wave %d, ", wave);
		if (steps >= 0)
			report_addf(out, cap, "%d steps", steps);
		else
			report_addf(out, cap, "steps");
		const char *sep = ": ";
		cJSON_ArrayForEach(x, ws) {
			if (cJSON_IsNumber(x))
				report_addf(out, cap, "%s%g", sep, x->valuedouble);
			else
				report_addf(out, cap, "%spause", sep);
			sep = " \xe2\x86\x92 ";	/* → */
		}
		int k = rec_whole(o, "max_failed_checks", 0, 1 << 20, -1);
		if (k >= 0)
			report_addf(out, cap, "; on %d failed checks: ", k);
		else
			report_addf(out, cap, "; on a breach: ");
		report_add_text(out, cap, rec_str(o, "on_breach") ? rec_str(o, "on_breach") : "?");
	} else if (rec_is(ev, "advancing")) {
		report_addf(out, cap, "%s: ", at);
		int a = rec_weight(o, "from"), b = rec_weight(o, "to");
		if (a != REPORT_NO_WEIGHT)
			report_addf(out, cap, "%d", a);
		report_addf(out, cap, " \xe2\x86\x92 ");
		if (b != REPORT_NO_WEIGHT)
			report_addf(out, cap, "%d %%", b);
	} else if (rec_is(ev, "baking")) {
		report_addf(out, cap, "%s, bake %g s", at, rec_num(o, "bake_s"));
		if (!isnan(rec_num(o, "resumed_s")))
			report_addf(out, cap, ", resumed by a restarted engine with %g s left", rec_num(o, "resumed_s"));
	} else if (rec_is(ev, "check_failed") || rec_is(ev, "halted")) {
		report_addf(out, cap, "%s: ", at);
		add_gate(out, cap, o);
		int k = rec_whole(o, "failed_checks", 0, 1 << 20, -1), n = rec_whole(o, "max_failed_checks", 0, 1 << 20, -1);
		if (k >= 0 && n >= 0)
			report_addf(out, cap, " (%d of %d failed checks)", k, n);
	} else if (rec_is(ev, "rolled_back")) {
		int from = rec_weight(o, "from");
		if (from != REPORT_NO_WEIGHT)
			report_addf(out, cap, "from %d %%", from);
		if (rec_str(o, "gate") || rec_str(o, "detail")) {
			report_addf(out, cap, "%s", from != REPORT_NO_WEIGHT ? ": " : "");
			add_gate(out, cap, o);
		} else {
			report_addf(out, cap, "%safter an abort", from != REPORT_NO_WEIGHT ? " " : "");
		}
	} else if (rec_is(ev, "waiting")) {
		report_addf(out, cap, "%s: waiting for a promote", at);
	} else if (rec_is(ev, "done")) {
		report_addf(out, cap, "at %d %%", w != REPORT_NO_WEIGHT ? w : 100);
	} else if (rec_is(ev, "promoted")) {
		const cJSON *full = cJSON_GetObjectItemCaseSensitive(o, "full");
		report_addf(out, cap, "%s", cJSON_IsTrue(full) ? "to the end, past every pause" : "one step");
	}
}

static bool is_control(const char *ev)
{
	return rec_is(ev, "started") || rec_is(ev, "paused") || rec_is(ev, "resumed") || rec_is(ev, "promoted") ||
	       rec_is(ev, "aborted");
}

static int take_breach(struct report_rec *c, struct report_service *s, const char *ev)
{
	struct report_breach *b = report_ring_push(&c->r->breaches);
	if (!b)
		return report_rec_oom(c);
	b->at_ms = c->at;
	b->seq = c->seq;
	report_text_copy(b->service, sizeof(b->service), s->name);
	report_text_copy(b->event, sizeof(b->event), ev);
	report_text_copy(b->actor, sizeof(b->actor), c->actor);
	report_text_copy(b->plan, sizeof(b->plan), c->plan);
	b->step = rec_whole(c->o, "step", 0, 1 << 20, -1);
	b->weight = rec_weight(c->o, rec_is(ev, "rolled_back") ? "from" : "weight");
	b->failed_checks = rec_whole(c->o, "failed_checks", 0, 1 << 20, -1);
	b->max_failed_checks = rec_whole(c->o, "max_failed_checks", 0, 1 << 20, -1);
	report_text_copy(b->gate, sizeof(b->gate), rec_str(c->o, "gate"));
	report_text_copy(b->detail, sizeof(b->detail), rec_str(c->o, "detail"));
	take_figures(cJSON_GetObjectItemCaseSensitive(c->o, "figures"), &b->fig);
	return 0;
}

/* A rollout's rollback names the plan that moves it back: that plan is a
 * rollback by the autopilot, whichever of the two the journal has first. */
static int rollout_rollback_plan(struct report_rec *c)
{
	struct report *r = c->r;
	struct report_plan_mark *m;
	if (!c->plan)
		return 0;
	if (!(m = report_plan_get(r, c->plan)))
		return report_rec_oom(c);
	m->autopilot = true;
	if (!m->rollback) {
		m->rollback = true;
		r->counts.rollbacks++;
		c->a->rollbacks++;
	}
	struct report_plan *p = m->rollback_entry ? report_ring_pushed(&r->rollbacks, m->rollback_entry - 1)
						  : NULL;
	if (p)
		p->autopilot = true;
	return 0;
}

int report_take_rollout(struct report_rec *c)
{
	struct report *r = c->r;
	const char *ev = rec_str(c->o, "event"), *name = rec_str(c->o, "service");
	if (rec_is(ev, "plan_completed")) {
		r->plans_completed++;
		double checks = rec_num(c->o, "checks"), cpu = rec_num(c->o, "cpu_s");
		if (checks > 0 && cpu >= 0) {
			r->checks += (long long)checks;
			r->cpu_s += cpu;
		}
		return 0;
	}
	if (!ev || !name)
		return 0;
	struct report_service *s = report_service_get(r, name);
	if (!s)
		return report_rec_oom(c);
	report_text_copy(s->rollout, sizeof(s->rollout), ev);
	struct report_entry *e = report_ring_push(&s->timeline);
	if (!e)
		return report_rec_oom(c);
	e->kind = REPORT_EVENT;
	e->at_ms = c->at;
	e->seq = c->seq;
	e->from = REPORT_NO_WEIGHT;
	e->weight = rec_weight(c->o, "weight");	/* where it is, not where it goes */
	report_text_copy(e->event, sizeof(e->event), ev);
	report_text_copy(e->plan, sizeof(e->plan), c->plan);
	report_text_copy(e->actor, sizeof(e->actor), c->actor);
	event_detail(ev, c->o, e->detail, sizeof(e->detail));
	if (is_control(ev))
		c->a->controls++;
	if (rec_is(ev, "check_failed")) {
		r->counts.breaches++;
		s->breaches++;
	} else if (rec_is(ev, "halted")) {
		r->counts.halts++;
	} else if (rec_is(ev, "rolled_back")) {
		r->counts.rollout_rollbacks++;
		if (rollout_rollback_plan(c) < 0)
			return -1;
	} else {
		return 0;
	}
	return take_breach(c, s, ev);
}
