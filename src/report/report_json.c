/* report_json: the review as one JSON object for scripts. Keys are stable
 * and always present (null when the journal did not say), times are
 * RFC 3339 UTC with milliseconds, durations are seconds. */
#include "report_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_time(cJSON *o, const char *key, int64_t ms, bool known)
{
	char t[40];
	if (!known) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	report_time_text(ms, true, t, sizeof(t));
	cJSON_AddStringToObject(o, key, t);
}

static void add_num(cJSON *o, const char *key, double v)
{
	if (isnan(v) || isinf(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static void add_int(cJSON *o, const char *key, long long v, bool known)
{
	if (known)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_weight(cJSON *o, const char *key, int w)
{
	add_int(o, key, w, w != REPORT_NO_WEIGHT);
}

/* "" as null: a field the journal did not have. */
static void add_text(cJSON *o, const char *key, const char *s)
{
	if (s && s[0])
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static double secs(int64_t ms)
{
	return (double)ms / 1000.0;
}

static cJSON *chain(const struct report *r)
{
	static const char *const faults[] = { "ok", "not-json", "bad-record", "seq", "prev",
					      "torn-tail", "truncated", "head" };
	const struct journal_verify_result *v = &r->verify;
	cJSON *o = cJSON_CreateObject();
	size_t f = (size_t)v->fault;
	cJSON_AddBoolToObject(o, "intact", r->intact);
	cJSON_AddStringToObject(o, "fault", r->intact ? "ok" : f < sizeof(faults) / sizeof(faults[0])
						       ? faults[f] : "unknown");
	cJSON_AddStringToObject(o, "why", r->intact ? "" : v->why);
	cJSON_AddStringToObject(o, "summary", r->integrity);
	cJSON_AddNumberToObject(o, "records", (double)v->records);
	cJSON_AddNumberToObject(o, "last_seq", (double)v->last_seq);
	cJSON_AddNumberToObject(o, "torn_lines",
				(double)(v->torn_lines + (v->fault == JOURNAL_TORN_TAIL && r->intact)));
	return o;
}

static cJSON *counts(const struct report *r)
{
	const struct report_counts *n = &r->counts;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "plans", (double)n->plans);
	cJSON_AddNumberToObject(o, "moves", (double)n->moves);
	cJSON_AddNumberToObject(o, "rollbacks", (double)n->rollbacks);
	cJSON_AddNumberToObject(o, "forced", (double)n->forced);
	cJSON_AddNumberToObject(o, "breaches", (double)n->breaches);
	cJSON_AddNumberToObject(o, "halts", (double)n->halts);
	cJSON_AddNumberToObject(o, "rollout_rollbacks", (double)n->rollout_rollbacks);
	cJSON_AddNumberToObject(o, "reconciled", (double)n->reconciled);
	cJSON_AddNumberToObject(o, "engine_starts", (double)n->engine_starts);
	cJSON_AddNumberToObject(o, "lever_takes", (double)n->lever_takes);
	cJSON_AddNumberToObject(o, "notes", (double)n->notes);
	return o;
}

static cJSON *entry(const struct report_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	bool w = e->kind == REPORT_WEIGHT;
	add_time(o, "time", e->at_ms, true);
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddStringToObject(o, "kind", w ? "weight" : "rollout");
	add_text(o, "event", w ? "" : e->event);
	add_weight(o, "weight", e->weight);
	add_weight(o, "from", w ? e->from : REPORT_NO_WEIGHT);
	add_num(o, "seconds", w ? secs(e->held_ms) : NAN);
	cJSON_AddBoolToObject(o, "final", w && e->final);
	cJSON_AddBoolToObject(o, "rollback", e->rollback);
	cJSON_AddBoolToObject(o, "forced", e->forced);
	cJSON_AddBoolToObject(o, "reconciled", e->reconciled);
	add_text(o, "plan", e->plan);
	add_text(o, "actor", e->actor);
	add_text(o, "detail", e->detail);
	return o;
}

static cJSON *service(const struct report *r, const struct report_service *s)
{
	cJSON *o = cJSON_CreateObject(), *at = cJSON_CreateArray(), *tl = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "name", s->name);
	add_weight(o, "final_weight", s->weight);
	add_time(o, "since", s->since_ms, s->weight != REPORT_NO_WEIGHT);
	add_weight(o, "start_weight", s->start_weight);
	add_num(o, "start_seconds", s->start_weight != REPORT_NO_WEIGHT ? secs(s->start_held_ms) : NAN);
	cJSON_AddNumberToObject(o, "moves", (double)s->moves);
	cJSON_AddNumberToObject(o, "rollbacks", (double)s->rollbacks);
	cJSON_AddNumberToObject(o, "breaches", (double)s->breaches);
	add_text(o, "rollout", s->rollout);
	for (int k = 0; k <= 100; k++) {
		if (!s->was_at[k])
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "weight", k);
		cJSON_AddNumberToObject(x, "seconds", secs(s->at_weight_ms[k]));
		cJSON_AddItemToArray(at, x);
	}
	cJSON_AddItemToObject(o, "time_at_weight", at);
	for (size_t i = 0; i < report_ring_len(&s->timeline); i++)
		cJSON_AddItemToArray(tl, entry(report_ring_at(&s->timeline, i)));
	cJSON_AddItemToObject(o, "timeline", tl);
	cJSON_AddNumberToObject(o, "timeline_dropped", (double)report_ring_dropped(&s->timeline));
	return o;
}

static cJSON *figures(const struct report_figures *x)
{
	if (!x->present)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	add_num(o, "weight", x->weight);
	add_text(o, "green_health", x->green_health);
	add_text(o, "blue_health", x->blue_health);
	add_text(o, "verdict", x->verdict);
	add_num(o, "green_p95_ms", x->green_p95_ms);
	add_num(o, "blue_p95_ms", x->blue_p95_ms);
	add_num(o, "p95_delta_pct", x->p95_delta_pct);
	add_num(o, "max_p95_delta_pct", x->max_p95_delta_pct);
	add_num(o, "green_error_pct", x->green_error_pct);
	add_num(o, "blue_error_pct", x->blue_error_pct);
	add_num(o, "max_error_rate_pct", x->max_error_rate_pct);
	add_num(o, "green_5xx_pct", x->green_5xx_pct);
	add_num(o, "routers_up", x->routers_up);
	add_num(o, "routers_total", x->routers_total);
	if (x->drift < 0)
		cJSON_AddNullToObject(o, "drift");
	else
		cJSON_AddBoolToObject(o, "drift", x->drift);
	/* The judgement beside the figures, as the other formats word it. */
	cJSON_AddItemToObject(o, "p95_over_limit",
			      isnan(x->p95_delta_pct) || isnan(x->max_p95_delta_pct) ? cJSON_CreateNull()
			      : cJSON_CreateBool(x->p95_delta_pct > x->max_p95_delta_pct));
	cJSON_AddItemToObject(o, "error_over_limit",
			      isnan(x->green_error_pct) || isnan(x->max_error_rate_pct) ? cJSON_CreateNull()
			      : cJSON_CreateBool(x->green_error_pct > x->max_error_rate_pct));
	return o;
}

static cJSON *breach(const struct report_breach *b)
{
	cJSON *o = cJSON_CreateObject();
	add_time(o, "time", b->at_ms, true);
	cJSON_AddNumberToObject(o, "seq", (double)b->seq);
	cJSON_AddStringToObject(o, "service", b->service);
	cJSON_AddStringToObject(o, "event", b->event);
	add_text(o, "actor", b->actor);
	add_int(o, "step", b->step, b->step >= 0);
	add_weight(o, "weight", b->weight);
	add_int(o, "failed_checks", b->failed_checks, b->failed_checks >= 0);
	add_int(o, "max_failed_checks", b->max_failed_checks, b->max_failed_checks >= 0);
	add_text(o, "gate", b->gate);
	add_text(o, "detail", b->detail);
	add_text(o, "plan", b->plan);
	cJSON_AddItemToObject(o, "figures", figures(&b->fig));
	return o;
}

static cJSON *plan(const struct report_plan *p)
{
	cJSON *o = cJSON_CreateObject();
	add_time(o, "time", p->at_ms, true);
	add_text(o, "plan", p->plan);
	add_text(o, "actor", p->actor);
	add_text(o, "reason", p->reason);
	add_text(o, "first_service", p->first_service);
	cJSON_AddNumberToObject(o, "services", (double)p->services);
	cJSON_AddBoolToObject(o, "rollback", p->rollback);
	cJSON_AddBoolToObject(o, "forced", p->forced);
	cJSON_AddBoolToObject(o, "autopilot", p->autopilot);
	if (p->forced)
		add_text(o, "blockers", p->blockers);
	return o;
}

static cJSON *list(const struct report_ring *ring, cJSON *(*one)(const void *))
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < report_ring_len(ring); i++)
		cJSON_AddItemToArray(a, one(report_ring_at(ring, i)));
	return a;
}

static cJSON *breach_any(const void *p)
{
	return breach(p);
}

static cJSON *plan_any(const void *p)
{
	return plan(p);
}

static cJSON *actor(const struct report_actor *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "actor", a->name);
	cJSON_AddNumberToObject(o, "plans", (double)a->plans);
	cJSON_AddNumberToObject(o, "moves", (double)a->moves);
	cJSON_AddNumberToObject(o, "rollbacks", (double)a->rollbacks);
	cJSON_AddNumberToObject(o, "forced", (double)a->forced);
	cJSON_AddNumberToObject(o, "lever_takes", (double)a->lever);
	cJSON_AddNumberToObject(o, "rollout_controls", (double)a->controls);
	return o;
}

static cJSON *engine(const struct report *r)
{
	cJSON *o = cJSON_CreateObject();
	double us = report_cpu_us_per_check(r);
	cJSON_AddNumberToObject(o, "plans_completed", (double)r->plans_completed);
	cJSON_AddNumberToObject(o, "checks", (double)r->checks);
	cJSON_AddNumberToObject(o, "cpu_s", r->cpu_s);
	add_num(o, "cpu_us_per_check", us >= 0 ? us : NAN);
	return o;
}

static cJSON *document(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *svcs = cJSON_CreateArray(), *acts = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "release", r->release);
	cJSON_AddStringToObject(o, "journal", r->path);
	cJSON_AddItemToObject(o, "chain", chain(r));
	add_time(o, "first_time", r->first_ms, r->records > 0);
	add_time(o, "last_time", r->last_ms, r->records > 0);
	cJSON_AddNumberToObject(o, "duration_s", report_duration_s(r));
	cJSON_AddNumberToObject(o, "records", (double)r->records);
	cJSON_AddNumberToObject(o, "skipped_lines", (double)r->skipped_lines);
	cJSON_AddItemToObject(o, "counts", counts(r));
	for (size_t i = 0; i < r->n_services; i++)
		cJSON_AddItemToArray(svcs, service(r, r->services[i]));
	cJSON_AddItemToObject(o, "services", svcs);
	cJSON_AddItemToObject(o, "breaches", list(&r->breaches, breach_any));
	cJSON_AddNumberToObject(o, "breaches_dropped", (double)report_ring_dropped(&r->breaches));
	cJSON_AddItemToObject(o, "rollbacks", list(&r->rollbacks, plan_any));
	cJSON_AddNumberToObject(o, "rollbacks_dropped", (double)report_ring_dropped(&r->rollbacks));
	cJSON_AddItemToObject(o, "forced", list(&r->forced, plan_any));
	cJSON_AddNumberToObject(o, "forced_dropped", (double)report_ring_dropped(&r->forced));
	for (size_t i = 0; i < r->n_actors; i++)
		cJSON_AddItemToArray(acts, actor(r->actors[i]));
	cJSON_AddItemToObject(o, "actors", acts);
	cJSON_AddItemToObject(o, "engine", engine(r));
	return o;
}

static int write_json(FILE *f, const struct report *r, struct co_error *err)
{
	cJSON *doc = document(r);
	char *text = doc ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (!text) {
		co_error_set(err, "out of memory writing the review of %s as JSON", r->path);
		return -1;
	}
	fputs(text, f);
	fputc('\n', f);
	free(text);
	if (fflush(f) != 0 || ferror(f)) {
		co_error_set(err, "cannot write the review: %s", strerror(errno));
		return -1;
	}
	return 0;
}

const struct report_format report_format_json = { .name = "json", .write = write_json };
