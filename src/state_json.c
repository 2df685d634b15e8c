/* state_json: snapshots as JSON, both ways (see state_json.h). */
#include "cutover/state_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/jobs.h"
#include "cutover/rollout.h"
#include "cutover/verdict.h"

/* A figure with no samples behind it is null, not 0: 0 ms would be a lie. */
static void add_ms(cJSON *o, const char *key, double v, bool known)
{
	if (known && isfinite(v))
		cJSON_AddNumberToObject(o, key, round(v * 100.0) / 100.0);
	else
		cJSON_AddNullToObject(o, key);
}

bool state_has_latency(const struct side_stats *s)
{
	return s->samples > 0 && s->error_pct < 100.0;
}

static cJSON *side_json(const struct side_stats *s, const struct endpoint_conf *ep)
{
	cJSON *o = cJSON_CreateObject();
	bool lat = state_has_latency(s);
	cJSON_AddStringToObject(o, "health", health_name(s->health));
	add_ms(o, "p50_ms", s->p50_ms, lat);
	add_ms(o, "p95_ms", s->p95_ms, lat);
	add_ms(o, "p99_ms", s->p99_ms, lat);
	add_ms(o, "error_pct", s->error_pct, s->samples > 0);
	cJSON_AddNumberToObject(o, "samples", s->samples);
	if (s->last_error[0])
		cJSON_AddStringToObject(o, "last_error", s->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	cJSON_AddStringToObject(o, "url", ep->health_display ? ep->health_display : "");
	if (ep->insecure)
		cJSON_AddBoolToObject(o, "insecure", true);
	return o;
}

/* The router's own figures for one side: real user traffic, beside the
 * probes. null when the router gives none (rehearsal, exec). */
static cJSON *traffic_side_json(const struct side_traffic *t)
{
	if (!t->known && !t->endpoints_known)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	if (t->endpoints_known && t->endpoints_ready >= 0)	/* kubernetes: EndpointSlices */
		cJSON_AddNumberToObject(o, "ready_endpoints", t->endpoints_ready);
	else if (t->endpoints_known)	/* they could not be read */
		cJSON_AddNullToObject(o, "ready_endpoints");
	if (!t->known)
		return o;
	/* With no requests yet the router's 0 ms and 0 % are no measurement. */
	add_ms(o, "rtime_ms", t->rtime_ms, t->requests > 0);
	add_ms(o, "err5xx_pct", t->err5xx_pct, t->requests > 0);
	cJSON_AddNumberToObject(o, "sessions", (double)t->sessions);
	cJSON_AddNumberToObject(o, "requests", (double)t->requests);
	cJSON_AddNumberToObject(o, "responses", (double)t->responses);
	cJSON_AddNumberToObject(o, "err5xx", (double)t->err5xx);
	return o;
}

static cJSON *traffic_json(const struct service_state *st)
{
	const struct side_traffic *t = st->traffic;
	if (!t[SIDE_BLUE].known && !t[SIDE_GREEN].known && !t[SIDE_BLUE].endpoints_known &&
	    !t[SIDE_GREEN].endpoints_known)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "blue", traffic_side_json(&st->traffic[SIDE_BLUE]));
	cJSON_AddItemToObject(o, "green", traffic_side_json(&st->traffic[SIDE_GREEN]));
	return o;
}

/* false, or an object, so a script can test it as a boolean and still
 * read the words. */
static cJSON *drift_json(const struct service_state *st)
{
	if (!st->drift)
		return cJSON_CreateFalse();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "detail", st->drift_detail);
	return o;
}

/* What a live screen needs beyond the status document. */
static void full_json(cJSON *o, const struct service_state *st)
{
	if (st->target_weight == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "target_weight");
	else
		cJSON_AddNumberToObject(o, "target_weight", st->target_weight);
	cJSON_AddBoolToObject(o, "busy", st->busy);
	static const char *names[2] = { "blue", "green" };
	for (int s = 0; s < 2; s++) {
		cJSON *side = cJSON_GetObjectItemCaseSensitive(o, names[s]);
		const struct side_stats *ss = &st->side[s];
		cJSON_AddNumberToObject(side, "probes", (double)ss->probes);
		cJSON *sp = cJSON_AddArrayToObject(side, "spark");
		for (int k = 0; k < ss->n_spark && k < SPARK_LEN; k++)
			cJSON_AddItemToArray(sp, cJSON_CreateNumber(ss->spark[k] < 0 ? -1 : round(ss->spark[k] * 10.0) / 10.0));
	}
}

cJSON *state_rollout_json(const struct rollout_view *rv)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "phase", rollout_phase_name(rv->phase));
	cJSON_AddNumberToObject(o, "step", rv->step);
	cJSON_AddNumberToObject(o, "steps", rv->steps);
	cJSON_AddBoolToObject(o, "moving", rv->moving);
	cJSON_AddBoolToObject(o, "blocks_plan", rv->blocks_plan);
	cJSON_AddBoolToObject(o, "held", rv->held);
	if (rv->bake_left_ms >= 0)
		cJSON_AddNumberToObject(o, "bake_left_s", round(rv->bake_left_ms / 100.0) / 10.0);
	else
		cJSON_AddNullToObject(o, "bake_left_s");
	cJSON_AddNumberToObject(o, "failed_checks", rv->failed);
	cJSON_AddNumberToObject(o, "max_failed_checks", rv->max_failed);
	if (rv->wave)
		cJSON_AddNumberToObject(o, "wave", rv->wave);
	else
		cJSON_AddNullToObject(o, "wave");
	if (rv->last_check[0])
		cJSON_AddStringToObject(o, "last_failed_check", rv->last_check);
	else
		cJSON_AddNullToObject(o, "last_failed_check");
	return o;
}

cJSON *state_service_json(const struct snapshot *snap, size_t i, bool full)
{
	const struct service_conf *sc = &snap->cfg->services[i];
	const struct service_state *st = &snap->svc[i];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", sc->name);
	cJSON_AddStringToObject(o, "kind", kind_name(sc->kind));
	if (sc->group[0])
		cJSON_AddStringToObject(o, "group", sc->group);
	else
		cJSON_AddNullToObject(o, "group");
	if (st->weight == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "weight");
	else
		cJSON_AddNumberToObject(o, "weight", st->weight);
	cJSON_AddItemToObject(o, "drift", drift_json(st));
	cJSON_AddItemToObject(o, "traffic", traffic_json(st));
	cJSON_AddItemToObject(o, "blue", side_json(&st->side[SIDE_BLUE], &sc->side[SIDE_BLUE]));
	cJSON_AddItemToObject(o, "green", side_json(&st->side[SIDE_GREEN], &sc->side[SIDE_GREEN]));
	cJSON *d = cJSON_AddObjectToObject(o, "delta");
	bool both = state_has_latency(&st->side[0]) && state_has_latency(&st->side[1]);
	struct p95_delta delta = verdict_delta(st->side[0].p95_ms, st->side[1].p95_ms);
	add_ms(d, "p95_ms", delta.ms, both);
	add_ms(d, "p95_pct", delta.pct, both);
	cJSON_AddStringToObject(o, "verdict", verdict_name(st->verdict));
	cJSON_AddStringToObject(o, "reason", st->reason);
	if (st->rollout.phase != ROLLOUT_NONE)
		cJSON_AddItemToObject(o, "rollout", state_rollout_json(&st->rollout));
	if (st->job.on)
		cJSON_AddItemToObject(o, "job", job_view_json(&st->job));
	if (full)
		full_json(o, st);
	return o;
}

/* up and total are null when the router could not be read at all. */
cJSON *state_router_json(const struct snapshot *snap)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "driver", driver_name(snap->cfg->router.driver));
	if (snap->router_known) {
		cJSON_AddNumberToObject(o, "up", snap->routers_up);
		cJSON_AddNumberToObject(o, "total", snap->routers_total);
	} else {
		cJSON_AddNullToObject(o, "up");
		cJSON_AddNullToObject(o, "total");
	}
	if (snap->router_warning[0])
		cJSON_AddStringToObject(o, "warning", snap->router_warning);
	return o;
}

cJSON *state_doc_json(const struct snapshot *snap, double probed_s, bool full)
{
	const struct config *cfg = snap->cfg;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "release", cfg->release);
	cJSON_AddStringToObject(root, "driver", driver_name(cfg->router.driver));
	cJSON *labels = cJSON_AddObjectToObject(root, "labels");
	cJSON_AddStringToObject(labels, "blue", cfg->label[SIDE_BLUE]);
	cJSON_AddStringToObject(labels, "green", cfg->label[SIDE_GREEN]);
	cJSON_AddNumberToObject(root, "probed_s", round(probed_s * 10.0) / 10.0);
	cJSON_AddItemToObject(root, "router", state_router_json(snap));
	cJSON_AddBoolToObject(root, "rehearsal", cfg->router.driver == DRIVER_REHEARSAL);
	cJSON *arr = cJSON_AddArrayToObject(root, "services");
	for (size_t i = 0; i < snap->n; i++)
		cJSON_AddItemToArray(arr, state_service_json(snap, i, full));
	return root;
}

/* --- The reverse: a client rebuilding the engine's state ------------------ */

static double num_or(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void str_into(const cJSON *o, const char *key, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static enum health health_of(const char *s)
{
	return strcmp(s, "up") == 0 ? HEALTH_UP : strcmp(s, "down") == 0 ? HEALTH_DOWN : HEALTH_UNKNOWN;
}

static enum verdict verdict_of(const char *s)
{
	return strcmp(s, "pass") == 0 ? VERDICT_PASS : strcmp(s, "marginal") == 0 ? VERDICT_MARGINAL
	       : strcmp(s, "fail") == 0 ? VERDICT_FAIL : VERDICT_NODATA;
}

static int side_from_json(const cJSON *o, struct side_stats *s)
{
	if (!cJSON_IsObject(o))
		return -1;
	char h[16];
	str_into(o, "health", h, sizeof h);
	s->health = health_of(h);
	s->p50_ms = num_or(o, "p50_ms", NAN);
	s->p95_ms = num_or(o, "p95_ms", NAN);
	s->p99_ms = num_or(o, "p99_ms", NAN);
	s->error_pct = num_or(o, "error_pct", 0);
	double n = num_or(o, "samples", 0);
	s->samples = n >= 0 && n < 1e9 ? (int)n : 0;
	double pr = num_or(o, "probes", (double)s->probes);
	s->probes = pr >= 0 && pr < 1e18 ? (uint64_t)pr : 0;
	str_into(o, "last_error", s->last_error, sizeof s->last_error);
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(o, "spark");
	if (cJSON_IsArray(sp)) {
		s->n_spark = 0;
		for (const cJSON *e = sp->child; e && s->n_spark < SPARK_LEN; e = e->next)
			s->spark[s->n_spark++] = cJSON_IsNumber(e) ? (float)e->valuedouble : -1.0f;
	}
	/* A delta's new points: appended, the oldest going when it is full. */
	const cJSON *add = cJSON_GetObjectItemCaseSensitive(o, "spark_add");
	for (const cJSON *e = cJSON_IsArray(add) ? add->child : NULL; e; e = e->next) {
		if (s->n_spark == SPARK_LEN) {
			memmove(s->spark, s->spark + 1, (SPARK_LEN - 1) * sizeof s->spark[0]);
			s->n_spark--;
		}
		s->spark[s->n_spark++] = cJSON_IsNumber(e) ? (float)e->valuedouble : -1.0f;
	}
	return 0;
}

static void traffic_from_json(const cJSON *o, struct side_traffic *t)
{
	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(o))
		return;
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(o, "ready_endpoints");
	if (cJSON_IsNumber(ready) && ready->valuedouble >= 0 && ready->valuedouble < 1e9) {
		t->endpoints_known = true;
		t->endpoints_ready = (int)ready->valuedouble;
	} else if (cJSON_IsNull(ready)) {
		t->endpoints_known = true;
		t->endpoints_ready = -1;
	}
	t->known = cJSON_HasObjectItem(o, "requests");
	if (!t->known)
		return;
	t->rtime_ms = num_or(o, "rtime_ms", 0);
	t->err5xx_pct = num_or(o, "err5xx_pct", 0);
	t->sessions = (long)num_or(o, "sessions", 0);
	double r = num_or(o, "requests", 0);
	t->requests = r >= 0 && r < 1e18 ? (uint64_t)r : 0;
	r = num_or(o, "responses", 0);
	t->responses = r >= 0 && r < 1e18 ? (uint64_t)r : 0;
	r = num_or(o, "err5xx", 0);
	t->err5xx = r >= 0 && r < 1e18 ? (uint64_t)r : 0;
}

static int clamp_int(const cJSON *o, const char *key, int lo, int hi)
{
	double v = num_or(o, key, lo);
	return v < lo ? lo : v > hi ? hi : (int)v;
}

/* A client's copy of an engine's rollout; anything odd reads as "none". */
static void rollout_from_json(const cJSON *o, struct rollout_view *rv)
{
	memset(rv, 0, sizeof *rv);
	rv->bake_left_ms = -1;
	const cJSON *ph = cJSON_GetObjectItemCaseSensitive(o, "phase");
	int phase = cJSON_IsString(ph) ? rollout_phase_parse(ph->valuestring) : -1;
	if (!cJSON_IsObject(o) || phase < 0)
		return;
	rv->phase = (uint8_t)phase;
	rv->step = (uint8_t)clamp_int(o, "step", 0, 255);
	rv->steps = (uint8_t)clamp_int(o, "steps", 0, 255);
	rv->moving = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "moving"));
	rv->blocks_plan = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "blocks_plan"));
	rv->held = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "held"));
	rv->failed = (int16_t)clamp_int(o, "failed_checks", 0, 32000);
	rv->max_failed = (int16_t)clamp_int(o, "max_failed_checks", 0, 32000);
	rv->wave = (int16_t)clamp_int(o, "wave", 0, 32000);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bake_left_s");
	if (cJSON_IsNumber(b) && b->valuedouble >= 0 && b->valuedouble < 1e6)
		rv->bake_left_ms = (int32_t)lround(b->valuedouble * 1000.0);
	str_into(o, "last_failed_check", rv->last_check, sizeof rv->last_check);
}

static int weight_from(const cJSON *v, int *out)
{
	if (!v || cJSON_IsNull(v)) {
		*out = WEIGHT_UNKNOWN;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 100)
		return -1;
	*out = (int)v->valuedouble;
	return 0;
}

int state_service_from_json(const cJSON *o, struct service_state *out, struct co_error *err)
{
	if (!cJSON_IsObject(o)) {
		co_error_set(err, "service: expected an object");
		return -1;
	}
	const cJSON *tw = cJSON_GetObjectItemCaseSensitive(o, "target_weight");
	if (weight_from(cJSON_GetObjectItemCaseSensitive(o, "weight"), &out->weight) < 0 ||
	    (tw && weight_from(tw, &out->target_weight) < 0)) {
		co_error_set(err, "weight: expected null or 0..100");
		return -1;
	}
	static const char *names[2] = { "blue", "green" };
	for (int s = 0; s < 2; s++)
		if (side_from_json(cJSON_GetObjectItemCaseSensitive(o, names[s]), &out->side[s]) < 0) {
			co_error_set(err, "%s: expected an object", names[s]);
			return -1;
		}
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "drift");
	out->drift = cJSON_IsObject(d);
	str_into(d, "detail", out->drift_detail, sizeof out->drift_detail);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "traffic");
	for (int s = 0; s < 2; s++)
		traffic_from_json(cJSON_GetObjectItemCaseSensitive(t, names[s]), &out->traffic[s]);
	char v[16];
	str_into(o, "verdict", v, sizeof v);
	out->verdict = verdict_of(v);
	str_into(o, "reason", out->reason, sizeof out->reason);
	rollout_from_json(cJSON_GetObjectItemCaseSensitive(o, "rollout"), &out->rollout);
	job_view_from_json(cJSON_GetObjectItemCaseSensitive(o, "job"), &out->job);
	const cJSON *busy = cJSON_GetObjectItemCaseSensitive(o, "busy");
	if (busy)
		out->busy = cJSON_IsTrue(busy);
	return 0;
}
