/* rollout_check: one check of a bake. The gates of a manual move (green
 * health, verdict, green errors, drift, routers reachable), then the 5xx
 * share of real requests on green since the last check, where the router
 * counts them: real users are the truest signal. */
#include "rollout_private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cutover/verdict.h"

/* Fewer real responses than this in a window say nothing either way. */
#define MIN_REAL_RESPONSES 10

static void add_num(cJSON *o, const char *key, double v, bool known)
{
	if (known && isfinite(v))
		cJSON_AddNumberToObject(o, key, round(v * 10.0) / 10.0);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *ro_figures(struct rollouts *r, size_t i, const double *green_5xx_pct)
{
	const struct service_state *st = &r->snap.svc[i];
	const struct side_stats *g = &st->side[SIDE_GREEN], *b = &st->side[SIDE_BLUE];
	const struct gates_conf *gc = &r->cfg->gates;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "weight", st->weight);
	cJSON_AddStringToObject(o, "green_health", health_name(g->health));
	cJSON_AddStringToObject(o, "blue_health", health_name(b->health));
	cJSON_AddStringToObject(o, "verdict", verdict_name(st->verdict));
	add_num(o, "green_p95_ms", g->p95_ms, g->samples > 0);
	add_num(o, "blue_p95_ms", b->p95_ms, b->samples > 0);
	struct p95_delta d = verdict_delta(b->p95_ms, g->p95_ms);
	add_num(o, "p95_delta_pct", d.pct, g->samples > 0 && b->samples > 0);
	cJSON_AddNumberToObject(o, "max_p95_delta_pct", gc->max_p95_delta_pct);
	add_num(o, "green_error_pct", g->error_pct, g->samples > 0);
	add_num(o, "blue_error_pct", b->error_pct, b->samples > 0);
	cJSON_AddNumberToObject(o, "max_error_rate_pct", gc->max_error_rate_pct);
	add_num(o, "green_5xx_pct", green_5xx_pct ? *green_5xx_pct : 0, green_5xx_pct != NULL);
	cJSON_AddNumberToObject(o, "routers_up", r->snap.routers_up);
	cJSON_AddNumberToObject(o, "routers_total", r->snap.routers_total);
	cJSON_AddBoolToObject(o, "drift", st->drift);
	return o;
}

/* Green's 5xx share of the real responses since the window began; the
 * window grows until it holds enough of them. false: nothing to judge. */
static bool real_5xx(struct rollouts *r, size_t i, double *pct, uint64_t *n)
{
	struct ro_svc *s = &r->s[i];
	const struct side_traffic *t = &r->snap.svc[i].traffic[SIDE_GREEN];
	if (!t->known)
		return false;
	if (!s->traffic_base || t->responses < s->base_responses || t->err5xx < s->base_5xx) {
		s->traffic_base = true;	/* first look, or the counters were reset */
		s->base_responses = t->responses;
		s->base_5xx = t->err5xx;
		return false;
	}
	*n = t->responses - s->base_responses;
	if (*n < MIN_REAL_RESPONSES)
		return false;
	*pct = 100.0 * (double)(t->err5xx - s->base_5xx) / (double)*n;
	s->base_responses = t->responses;
	s->base_5xx = t->err5xx;
	return true;
}

/* The figures that matter, in the words of the check. */
static void add_figures_text(struct rollouts *r, size_t i, char *out, size_t cap)
{
	const struct service_state *st = &r->snap.svc[i];
	const struct side_stats *g = &st->side[SIDE_GREEN], *b = &st->side[SIDE_BLUE];
	size_t n = strlen(out);
	if (n + 1 >= cap || g->samples <= 0)
		return;
	snprintf(out + n, cap - n, " (green p95 %.0f ms vs blue %.0f ms, limit +%.0f%%; green errors %.1f%%, limit %.1f%%)",
		 g->p95_ms, b->samples > 0 ? b->p95_ms : 0.0, r->cfg->gates.max_p95_delta_pct,
		 g->error_pct, r->cfg->gates.max_error_rate_pct);
}

void ro_check_eval(struct rollouts *r, size_t i, struct ro_check *out)
{
	memset(out, 0, sizeof *out);
	const struct service_state *st = &r->snap.svc[i];
	struct plan p;
	memset(&p, 0, sizeof p);
	struct co_error err;
	pthread_mutex_lock(&r->lock);
	r->checks++;
	pthread_mutex_unlock(&r->lock);
	if (gates_bake_check(&r->snap, i, &p, &err) == 0) {
		for (size_t k = 0; k < p.n_gates && !out->failed; k++)
			if (p.gates[k].level == GATE_BLOCK) {
				out->failed = true;
				snprintf(out->gate, sizeof out->gate, "%s", p.gates[k].name);
				snprintf(out->detail, sizeof out->detail, "%s", p.gates[k].detail);
			}
	}
	plan_done(&p);
	double pct = 0;
	uint64_t n = 0;
	bool real = real_5xx(r, i, &pct, &n);
	if (!out->failed && real && pct > r->cfg->gates.max_error_rate_pct) {
		out->failed = true;
		snprintf(out->gate, sizeof out->gate, "green-5xx");
		snprintf(out->detail, sizeof out->detail,
			 "real traffic: green answered %.1f%% 5xx of %llu responses > %.1f%% allowed", pct,
			 (unsigned long long)n, r->cfg->gates.max_error_rate_pct);
	}
	/* marginal (or no verdict yet) fails nothing, but holds the step. */
	out->hold = st->verdict == VERDICT_MARGINAL || st->verdict == VERDICT_NODATA ||
		    st->side[SIDE_GREEN].health == HEALTH_UNKNOWN;
	if (out->failed) {
		add_figures_text(r, i, out->detail, sizeof out->detail);
		out->figures = ro_figures(r, i, real ? &pct : NULL);
	}
}
