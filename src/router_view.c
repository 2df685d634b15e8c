/* router_view: one pass over every router instance, merged per service and
 * published into the model (see router_poller.h). */
#include "cutover/router_poller.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/fanout.h"

#define PARALLEL_MAX 32

/* --- observing ----------------------------------------------------------- */

struct observe_task {
	const struct router_driver *drv;
	struct router *r;
	size_t instance;
	struct route_observation *obs;
	struct instance_result *res;
};

static void observe_task_run(void *arg)
{
	struct observe_task *t = arg;
	t->drv->observe(t->r, t->instance, t->obs, t->res);
}

static int view_size(struct router_view *v, const struct config *cfg, size_t n,
		     struct co_error *err)
{
	if (v->inst && v->n_instances == n && v->cfg == cfg)
		return 0;
	free(v->inst);
	free(v->obs);
	v->cfg = cfg;
	v->n_instances = n;
	v->inst = calloc(n ? n : 1, sizeof(*v->inst));
	size_t cells = n * cfg->n_services;
	v->obs = calloc(cells ? cells : 1, sizeof(*v->obs));
	if (v->inst && v->obs)
		return 0;
	router_view_done(v);
	co_error_set(err, "router pass over %zu instances: out of memory", n);
	return -1;
}

int router_observe_all(const struct router_driver *drv, struct router *r,
		       const struct config *cfg, struct router_view *v, struct co_error *err)
{
	size_t n = drv->n_instances(r);

	if (view_size(v, cfg, n, err) < 0)
		return -1;
	v->drv = drv;
	v->up = 0;
	struct observe_task *tasks = calloc(n ? n : 1, sizeof(*tasks));
	if (!tasks) {
		co_error_set(err, "router pass over %zu instances: out of memory", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		tasks[i] = (struct observe_task){ .drv = drv, .r = r, .instance = i,
						  .obs = &v->obs[i * cfg->n_services],
						  .res = &v->inst[i] };
	fanout_run(tasks, n, sizeof(*tasks), observe_task_run, PARALLEL_MAX);
	free(tasks);
	for (size_t i = 0; i < n; i++)
		v->up += v->inst[i].ok ? 1 : 0;
	return 0;
}

void router_view_done(struct router_view *v)
{
	free(v->inst);
	free(v->obs);
	memset(v, 0, sizeof(*v));
}

const struct route_observation *router_view_obs(const struct router_view *v, size_t i, size_t s)
{
	return &v->obs[i * v->cfg->n_services + s];
}

/* --- merging ------------------------------------------------------------- */

static void merge_traffic(const struct router_view *v, size_t s, enum side side,
			  struct side_traffic *t)
{
	double rt = 0, err = 0, rt_plain = 0, err_plain = 0;
	int n = 0;
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < v->n_instances; i++) {
		const struct side_traffic *x = &router_view_obs(v, i, s)->traffic[side];
		if (v->inst[i].ok && x->endpoints_known) {
			t->endpoints_known = true;
			t->endpoints_ready = x->endpoints_ready;
		}
		if (!v->inst[i].ok || !x->known)
			continue;
		t->known = true;
		t->requests += x->requests;
		t->sessions += x->sessions;
		t->responses += x->responses;
		t->err5xx += x->err5xx;
		rt += x->rtime_ms * (double)x->requests;
		err += x->err5xx_pct * (double)x->requests;
		rt_plain += x->rtime_ms;
		err_plain += x->err5xx_pct;
		n++;
	}
	/* Weighted by requests, since each instance's figure is its own mean;
	 * instances that saw no requests yet get a plain mean. */
	if (t->requests) {
		t->rtime_ms = rt / (double)t->requests;
		t->err5xx_pct = err / (double)t->requests;
	} else if (n) {
		t->rtime_ms = rt_plain / n;
		t->err5xx_pct = err_plain / n;
	}
}

static void appendf(char *out, size_t cap, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void appendf(char *out, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	if (*o + 1 >= cap)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(out + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < cap ? *o + (size_t)n : cap - 1;
}

/* Instances that answered but disagree about s: "haproxy A says 25, B says
 * 0", or "B cannot tell (why)". */
static bool disagreement(const struct router_view *v, size_t s, int weight, char *out, size_t cap)
{
	bool differ = false;
	size_t o = 0;
	for (size_t i = 0; i < v->n_instances; i++)
		if (v->inst[i].ok && router_view_obs(v, i, s)->weight != weight)
			differ = true;
	if (!differ)
		return false;
	appendf(out, cap, &o, "%s", v->drv ? v->drv->name : "router");
	for (size_t i = 0, k = 0; i < v->n_instances; i++) {
		const struct route_observation *ob = router_view_obs(v, i, s);
		if (!v->inst[i].ok)
			continue;
		appendf(out, cap, &o, "%s %s ", k++ ? "," : "", v->inst[i].name);
		if (ob->weight == WEIGHT_UNKNOWN)
			appendf(out, cap, &o, "cannot tell (%s)", ob->detail[0] ? ob->detail : "no reason given");
		else
			appendf(out, cap, &o, "says %d", ob->weight);
	}
	return true;
}

void router_view_merge(const struct router_view *v, size_t s, int target, bool busy,
		       struct router_merged *out)
{
	const struct route_observation *first_unknown = NULL;
	memset(out, 0, sizeof(*out));
	out->weight = WEIGHT_UNKNOWN;
	merge_traffic(v, s, SIDE_BLUE, &out->traffic[SIDE_BLUE]);
	merge_traffic(v, s, SIDE_GREEN, &out->traffic[SIDE_GREEN]);
	for (size_t i = 0; i < v->n_instances && out->weight == WEIGHT_UNKNOWN; i++) {
		const struct route_observation *ob = router_view_obs(v, i, s);
		if (!v->inst[i].ok)
			continue;
		if (ob->weight == WEIGHT_UNKNOWN && !first_unknown)
			first_unknown = ob;
		out->weight = ob->weight;
	}
	if (busy || v->up == 0)
		return;
	if (out->weight == WEIGHT_UNKNOWN) {
		/* Reachable, yet the weight cannot be read: a config that names
		 * servers the router lacks, or a backend with no weight at all. */
		out->drift = true;
		snprintf(out->detail, sizeof(out->detail), "%s",
			 first_unknown && first_unknown->detail[0] ? first_unknown->detail
			 : "the router cannot tell this service's weight");
	} else if (disagreement(v, s, out->weight, out->detail, sizeof(out->detail))) {
		out->drift = true;
	} else if (target != WEIGHT_UNKNOWN && target != out->weight) {
		out->drift = true;
		snprintf(out->detail, sizeof(out->detail), "router says %d, journal says %d%s",
			 out->weight, target, v->drv && strcmp(v->drv->name, "haproxy") == 0
			 ? " \xe2\x80\x94 runtime weights lost on reload?" : "");
	}
}

/* --- publishing ---------------------------------------------------------- */

static bool traffic_equal(const struct side_traffic *a, const struct side_traffic *b)
{
	return a->known == b->known && a->rtime_ms == b->rtime_ms &&
	       a->err5xx_pct == b->err5xx_pct && a->sessions == b->sessions &&
	       a->requests == b->requests && a->endpoints_known == b->endpoints_known &&
	       a->endpoints_ready == b->endpoints_ready;
}

/* Sets what changed of service s, compared with what the model holds. */
/* stale: an apply touched the service since this read began; only the
 * traffic figures are still worth publishing. */
static void publish_service(struct model *m, size_t s, const struct service_state *st,
			    const struct router_merged *mg, bool stale)
{
	const struct service_conf *sc = &m->cfg->services[s];
	struct co_error err;
	const char *detail = mg->detail;
	bool drift = mg->drift;
	int w = mg->weight;
	char why[160];

	/* The model holds a job at 0 or 100 only; a router that splits one
	 * (someone set it by hand) is shown as drift, its weight unknown. */
	if (sc->kind == KIND_JOB && w != WEIGHT_UNKNOWN && w != 0 && w != 100) {
		snprintf(why, sizeof(why), "router says %d, but %s is a job: it runs on one side only",
			 w, sc->name);
		w = WEIGHT_UNKNOWN;
		drift = true;
		detail = why;
	}
	for (int side = SIDE_BLUE; side <= SIDE_GREEN; side++)
		if (!traffic_equal(&mg->traffic[side], &st->traffic[side]))
			model_set_traffic(m, s, (enum side)side, &mg->traffic[side]);
	if (stale)
		return;
	if (w != st->weight)
		model_set_weight(m, s, w, &err);
	if (drift != st->drift || strncmp(detail, st->drift_detail, sizeof(st->drift_detail) - 1))
		model_set_drift(m, s, drift, detail);
}

int router_view_publish(const struct router_view *v, struct model *m, struct snapshot *scratch,
			struct co_error *err)
{
	return router_view_publish_since(v, m, scratch, NULL, err);
}

int router_view_publish_since(const struct router_view *v, struct model *m, struct snapshot *scratch,
			      const uint32_t *before, struct co_error *err)
{
	struct snapshot own = { 0 };
	struct snapshot *snap = scratch ? scratch : &own;
	struct router_merged mg;

	/* The snapshot gives target and busy, and lets unchanged values go
	 * unset: every setter bumps the version screens redraw on. */
	if (model_snapshot(m, snap) < 0) {
		co_error_set(err, "router pass: out of memory for a model snapshot");
		return -1;
	}
	for (size_t s = 0; s < snap->n; s++) {
		const struct service_state *st = &snap->svc[s];
		bool touched = before && before[s] != st->applies;
		router_view_merge(v, s, st->target_weight, st->busy || touched, &mg);
		publish_service(m, s, st, &mg, touched);
	}
	if (!snap->router_known || snap->routers_up != (int)v->up ||
	    snap->routers_total != (int)v->n_instances)
		model_set_routers(m, (int)v->up, (int)v->n_instances);
	const char *warning = "";
	for (size_t i = 0; i < v->n_instances && !*warning; i++)
		warning = v->inst[i].warning;
	if (strcmp(warning, snap->router_warning) != 0)
		model_set_router_warning(m, warning);
	if (!scratch)
		snapshot_done(&own);
	return 0;
}
