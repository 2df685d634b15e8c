/* metrics: the engine's state in Prometheus text exposition format 0.0.4. */
#include "cutover/metrics.h"
#include "cutover/rollout.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One growing buffer for the whole exposition: 10,000 services make about
 * 200,000 lines, so a malloc per line would dominate the render. After a
 * failed allocation every write is a no-op and the render reports -1. */
struct mbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static bool mbuf_reserve(struct mbuf *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->cap - b->len > n)	/* keeps room for the final NUL */
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void mbuf_put(struct mbuf *b, const char *s, size_t n)
{
	if (!mbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void mbuf_puts(struct mbuf *b, const char *s)
{
	mbuf_put(b, s, strlen(s));
}

/* Label values may hold any byte; the format requires \, " and line feed
 * escaped. Names from a config are plain, so the common case is one copy. */
static void mbuf_label_value(struct mbuf *b, const char *s)
{
	for (;;) {
		size_t run = strcspn(s, "\\\"\n");
		mbuf_put(b, s, run);
		s += run;
		if (!*s)
			break;
		mbuf_put(b, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
		s++;
	}
}

static void mbuf_u64(struct mbuf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	mbuf_put(b, tmp + i, sizeof(tmp) - i);
}

/* Most figures are integers (counts, 0/1) or short decimals (ms / 1000,
 * percent / 100), and snprintf("%g") was most of the render time, so
 * those are written by hand: v is printed as r / 10^9 when that decimal
 * reads back as exactly v (both the division and strtod round to nearest,
 * so equal doubles mean the same decimal). Anything else goes through
 * %.15g, or %.17g when 15 digits would not read back as the same value. */
static void mbuf_double(struct mbuf *b, double v)
{
	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v) {
		mbuf_u64(b, (uint64_t)v);
		return;
	}
	if (v > 0 && v < 1e6) {
		double r = nearbyint(v * 1e9);
		if (r / 1e9 == v) {
			uint64_t u = (uint64_t)r, frac = u % 1000000000u;
			char digits[9];
			int nd = 9;
			for (int i = 8; i >= 0; i--, frac /= 10)
				digits[i] = (char)('0' + frac % 10);
			while (nd > 0 && digits[nd - 1] == '0')
				nd--;
			mbuf_u64(b, u / 1000000000u);
			mbuf_put(b, ".", 1);
			mbuf_put(b, digits, (size_t)nd);
			return;
		}
	}
	if (!mbuf_reserve(b, 32))
		return;
	char *at = b->p + b->len;
	int n = snprintf(at, 32, "%.15g", v);
	if (n > 0 && n < 32 && strtod(at, NULL) != v)
		n = snprintf(at, 32, "%.17g", v);
	if (n > 0 && n < 32)
		b->len += (size_t)n;
}

/* A family's # HELP and # TYPE go out with its first sample, so a family
 * with nothing known (no router read yet, no side probed) is left out
 * whole instead of appearing as an empty block. */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

static void family_head(struct mbuf *b, const struct family *f, bool *started)
{
	if (*started)
		return;
	*started = true;
	mbuf_puts(b, "# HELP ");
	mbuf_puts(b, f->name);
	mbuf_put(b, " ", 1);
	mbuf_puts(b, f->help);
	mbuf_puts(b, "\n# TYPE ");
	mbuf_puts(b, f->name);
	mbuf_put(b, " ", 1);
	mbuf_puts(b, f->type);
	mbuf_put(b, "\n", 1);
}

static void sample_end(struct mbuf *b, double v)
{
	mbuf_put(b, " ", 1);
	mbuf_double(b, v);
	mbuf_put(b, "\n", 1);
}

/* Per side of each service. Each returns false when the figure is not
 * known, so the sample is omitted rather than printed as NaN. */
typedef bool (*side_value_fn)(const struct side_stats *st, double *v);

static bool side_up(const struct side_stats *st, double *v)
{
	*v = st->health == HEALTH_UP;
	return st->health != HEALTH_UNKNOWN;
}

/* Quantiles are NaN when the window holds no success. */
static bool latency(double ms, int samples, double *v)
{
	*v = ms / 1000.0;
	return samples > 0 && isfinite(ms) && ms >= 0;
}

static bool side_p50(const struct side_stats *st, double *v)
{
	return latency(st->p50_ms, st->samples, v);
}

static bool side_p95(const struct side_stats *st, double *v)
{
	return latency(st->p95_ms, st->samples, v);
}

static bool side_p99(const struct side_stats *st, double *v)
{
	return latency(st->p99_ms, st->samples, v);
}

/* An empty window reports 0 %, which would read as "no errors". */
static bool side_error_ratio(const struct side_stats *st, double *v)
{
	*v = st->error_pct / 100.0;
	return st->samples > 0 && isfinite(st->error_pct);
}

static bool side_samples(const struct side_stats *st, double *v)
{
	*v = st->samples < 0 ? 0 : st->samples;
	return true;
}

static const struct side_family {
	struct family f;
	side_value_fn value;
} side_families[] = {
	{ { "cutover_side_up", "gauge",
	    "Whether the side passes its health probes (1) or not (0); absent until known." },
	  side_up },
	/* Separate gauges, not a summary: a summary's _sum and _count would
	 * claim a cumulative total the window does not keep, and promtool
	 * rejects a quantile label on a gauge. */
	{ { "cutover_side_latency_p50_seconds", "gauge",
	    "Median probe latency over the probe window." }, side_p50 },
	{ { "cutover_side_latency_p95_seconds", "gauge",
	    "95th percentile probe latency over the probe window." }, side_p95 },
	{ { "cutover_side_latency_p99_seconds", "gauge",
	    "99th percentile probe latency over the probe window." }, side_p99 },
	{ { "cutover_side_error_ratio", "gauge",
	    "Share of failed probes in the probe window, 0 to 1." }, side_error_ratio },
	{ { "cutover_side_samples", "gauge",
	    "Probe results held in the probe window." }, side_samples },
};

static void service_labels(struct mbuf *b, const char *name, const char *service)
{
	mbuf_puts(b, name);
	mbuf_puts(b, "{service=\"");
	mbuf_label_value(b, service);
	mbuf_put(b, "\"", 1);
}

static const char *service_name(const struct snapshot *snap, size_t i)
{
	const char *name = snap->cfg && i < snap->cfg->n_services
		? snap->cfg->services[i].name : NULL;
	return name ? name : "";
}

static void render_side_family(struct mbuf *b, const struct snapshot *snap,
			       const struct side_family *sf)
{
	bool started = false;
	for (size_t i = 0; i < snap->n; i++) {
		const char *svc = service_name(snap, i);
		for (int s = 0; s < 2; s++) {
			double v;
			if (!sf->value(&snap->svc[i].side[s], &v))
				continue;
			family_head(b, &sf->f, &started);
			service_labels(b, sf->f.name, svc);
			mbuf_puts(b, s == SIDE_BLUE ? ",side=\"blue\"}" : ",side=\"green\"}");
			sample_end(b, v);
		}
	}
}

/* Per service. */
static bool service_weight(const struct service_state *s, double *v)
{
	*v = s->weight / 100.0;
	return s->weight != WEIGHT_UNKNOWN && s->weight >= 0;
}

static bool service_drift(const struct service_state *s, double *v)
{
	*v = s->drift;
	return true;
}

static bool rollout_failed(const struct service_state *s, double *v)
{
	*v = s->rollout.failed;
	return s->rollout.phase != ROLLOUT_NONE;
}

static bool rollout_bake_left(const struct service_state *s, double *v)
{
	*v = s->rollout.bake_left_ms / 1000.0;
	return s->rollout.phase != ROLLOUT_NONE && s->rollout.bake_left_ms >= 0;
}

static const struct service_family {
	struct family f;
	bool (*value)(const struct service_state *s, double *v);
} service_families[] = {
	{ { "cutover_service_weight_ratio", "gauge",
	    "Share of traffic routed to green, 0 to 1; absent until the router is read." },
	  service_weight },
	{ { "cutover_service_drift", "gauge",
	    "Whether the router's weight differs from what cutover last set (1) or not (0)." },
	  service_drift },
	{ { "cutover_rollout_failed_checks", "gauge",
	    "Checks the service's rollout failed so far, cumulative over the rollout." },
	  rollout_failed },
	{ { "cutover_rollout_bake_left_seconds", "gauge",
	    "Seconds left in the bake of the rollout's current step." },
	  rollout_bake_left },
};

static void render_service_family(struct mbuf *b, const struct snapshot *snap,
				  const struct service_family *sf)
{
	bool started = false;
	for (size_t i = 0; i < snap->n; i++) {
		double v;
		if (!sf->value(&snap->svc[i], &v))
			continue;
		family_head(b, &sf->f, &started);
		service_labels(b, sf->f.name, service_name(snap, i));
		mbuf_put(b, "}", 1);
		sample_end(b, v);
	}
}

/* Every verdict gets a line, 1 for the current one, so a query can match
 * verdict="fail" == 1 without knowing the other values. Bounded: four. */
static void render_verdicts(struct mbuf *b, const struct snapshot *snap)
{
	static const struct family f = { "cutover_service_verdict", "gauge",
		"The service's current verdict (1), one line per possible verdict." };
	static const enum verdict all[] = {
		VERDICT_NODATA, VERDICT_PASS, VERDICT_MARGINAL, VERDICT_FAIL
	};
	bool started = false;
	for (size_t i = 0; i < snap->n; i++) {
		const char *svc = service_name(snap, i);
		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
			family_head(b, &f, &started);
			service_labels(b, f.name, svc);
			mbuf_puts(b, ",verdict=\"");
			mbuf_puts(b, verdict_name(all[k]));
			mbuf_puts(b, "\"}");
			sample_end(b, snap->svc[i].verdict == all[k]);
		}
	}
}

/* As verdicts: a line per phase for each service with a rollout. */
static void render_phases(struct mbuf *b, const struct snapshot *snap)
{
	static const struct family f = { "cutover_rollout_phase", "gauge",
		"The service's rollout phase (1), one line per possible phase." };
	bool started = false;
	for (size_t i = 0; i < snap->n; i++) {
		if (snap->svc[i].rollout.phase == ROLLOUT_NONE)
			continue;
		for (int k = ROLLOUT_PENDING; k <= ROLLOUT_PAUSED; k++) {
			family_head(b, &f, &started);
			service_labels(b, f.name, service_name(snap, i));
			mbuf_puts(b, ",phase=\"");
			mbuf_puts(b, rollout_phase_name((enum rollout_phase)k));
			mbuf_puts(b, "\"}");
			sample_end(b, snap->svc[i].rollout.phase == k);
		}
	}
}

static void render_scalar(struct mbuf *b, const struct family *f, bool known, double v)
{
	bool started = false;
	if (!known || !isfinite(v))
		return;
	family_head(b, f, &started);
	mbuf_puts(b, f->name);
	sample_end(b, v);
}

static void render_counter(struct mbuf *b, const struct family *f, uint64_t v)
{
	bool started = false;
	family_head(b, f, &started);
	mbuf_puts(b, f->name);
	mbuf_put(b, " ", 1);
	mbuf_u64(b, v);
	mbuf_put(b, "\n", 1);
}

static void render_engine(struct mbuf *b, const struct snapshot *snap,
			  const struct engine_counters *c)
{
	static const struct family routers_up = { "cutover_routers_up", "gauge",
		"Router instances that answered the last poll." };
	static const struct family routers = { "cutover_routers", "gauge",
		"Router instances configured." };
	static const struct family probes = { "cutover_probes_total", "counter",
		"Health probes completed since the engine started." };
	static const struct family failures = { "cutover_probe_failures_total", "counter",
		"Health probes that failed since the engine started." };
	static const struct family rate = { "cutover_probe_rate", "gauge",
		"Health probes completed per second over the last few seconds." };
	static const struct family applied = { "cutover_plans_applied_total", "counter",
		"Plans the executor finished since the engine started." };
	static const struct family failed = { "cutover_plans_failed_total", "counter",
		"Finished plans that did not complete cleanly." };
	static const struct family clients = { "cutover_clients", "gauge",
		"Clients attached to the event stream." };
	static const struct family uptime = { "cutover_uptime_seconds", "gauge",
		"Seconds since the engine started." };

	bool rk = snap && snap->router_known;
	render_scalar(b, &routers_up, rk && snap->routers_up >= 0, rk ? snap->routers_up : 0);
	render_scalar(b, &routers, rk && snap->routers_total >= 0, rk ? snap->routers_total : 0);
	if (!c)
		return;
	render_counter(b, &probes, c->probes_total);
	render_counter(b, &failures, c->probe_failures_total);
	render_scalar(b, &rate, c->probe_rate >= 0, c->probe_rate);
	render_counter(b, &applied, c->plans_applied_total);
	render_counter(b, &failed, c->plans_failed_total);
	static const struct family checks = { "cutover_rollout_checks_total", "counter",
		"Checks the autopilot evaluated during bakes since the engine started." };
	static const struct family al[4] = {
		{ "cutover_alerts_posted_total", "counter", "Alerts queued for a receiver." },
		{ "cutover_alerts_delivered_total", "counter", "Alerts a receiver took, after retries." },
		{ "cutover_alerts_failed_total", "counter", "Alerts given up on after the last retry." },
		{ "cutover_alerts_dropped_total", "counter", "Alerts dropped because a receiver's queue was full." },
	};
	render_counter(b, &checks, c->rollout_checks_total);
	render_counter(b, &al[0], c->alerts_posted_total);
	render_counter(b, &al[1], c->alerts_delivered_total);
	render_counter(b, &al[2], c->alerts_failed_total);
	render_counter(b, &al[3], c->alerts_dropped_total);
	render_scalar(b, &clients, c->clients >= 0, c->clients);
	render_scalar(b, &uptime, c->uptime_s >= 0, c->uptime_s);
}

int metrics_render(const struct snapshot *snap, const struct engine_counters *c,
		   char **out, size_t *len)
{
	struct mbuf b = { 0 };
	size_t n = snap && snap->svc ? snap->n : 0;

	*out = NULL;
	*len = 0;
	/* About 1.3 KB a service (18 lines); one allocation in the common case. */
	if (!mbuf_reserve(&b, 4096 + (n < SIZE_MAX / 2048 ? n * 1400 : 0)))
		return -1;
	if (n) {
		for (size_t k = 0; k < sizeof(side_families) / sizeof(side_families[0]); k++)
			render_side_family(&b, snap, &side_families[k]);
		for (size_t k = 0; k < sizeof(service_families) / sizeof(service_families[0]); k++)
			render_service_family(&b, snap, &service_families[k]);
		render_verdicts(&b, snap);
		render_phases(&b, snap);
	}
	render_engine(&b, snap, c);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
	return 0;
}
