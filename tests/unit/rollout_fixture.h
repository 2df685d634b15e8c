/* rollout_fixture: a world for the autopilot with no network: a config
 * parsed in memory, a model whose health the test sets by hand, the
 * rehearsal router behind a real executor, a journal in a temporary state
 * directory, and the rollouts' own thread over all of it. Header-only;
 * static inline so a suite that skips a helper does not trip
 * -Wunused-function. */
#ifndef CUTOVER_TEST_ROLLOUT_FIXTURE_H
#define CUTOVER_TEST_ROLLOUT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cutover/config.h"
#include "cutover/executor.h"
#include "cutover/journal.h"
#include "cutover/model.h"
#include "cutover/rollout.h"
#include "cutover/router_rehearsal.h"

#define SVC(name, kind) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/" name "/b\"}," \
	"\"green\":{\"health\":\"http://127.0.0.1:1/" name "/g\"}}"

/* Any step, failed count or weight will do in a struct want. */
#define ANY (-99)

struct fx {
	char dir[64];
	char clock[128];
	struct config *cfg;
	struct model m;
	bool model_ok;
	struct router *rt;
	struct journal *j;
	struct executor *e;
	struct rollouts *r;
	struct snapshot snap;
	uint64_t probes;
	uint64_t responses[16], err5xx[16];	/* green's real traffic, per service */
};

static inline void fx_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Green and blue up with clean figures; each call is one more probe. */
static inline void fx_probe(struct fx *f, size_t i, enum health green)
{
	struct side_stats st;
	memset(&st, 0, sizeof st);
	st.health = HEALTH_UP;
	st.samples = 20;
	st.p50_ms = st.p95_ms = st.p99_ms = 40;
	st.probes = ++f->probes;
	model_set_side(&f->m, i, SIDE_BLUE, &st);
	st.health = green;
	if (green == HEALTH_DOWN)
		snprintf(st.last_error, sizeof st.last_error, "connection refused");
	model_set_side(&f->m, i, SIDE_GREEN, &st);
}

/* Real requests on green since the last call: n responses, bad of them 5xx. */
static inline void fx_traffic(struct fx *f, size_t i, uint64_t n, uint64_t bad)
{
	struct side_traffic t;
	memset(&t, 0, sizeof t);
	f->responses[i] += n;
	f->err5xx[i] += bad;
	t.known = true;
	t.requests = t.responses = f->responses[i];
	t.err5xx = f->err5xx[i];
	model_set_traffic(&f->m, i, SIDE_GREEN, &t);
	fx_probe(f, i, HEALTH_UP);
}

/* sections: top-level members (no trailing comma), "" for none; services:
 * the services array's elements. The world starts healthy, at weight 0,
 * with the router read; the rollouts are not started. */
static inline struct fx *fx_open(void **state, const char *sections, const char *services)
{
	struct fx *f = calloc(1, sizeof *f);
	static char json[8192];
	struct diag_list d;
	struct co_error err = { "" };

	assert_non_null(f);
	*state = f;
	snprintf(f->dir, sizeof f->dir, "/tmp/cutover-rollout-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->clock, sizeof f->clock, "%s/r1.clocks.json", f->dir);
	snprintf(json, sizeof json,
		 "{\"release\":\"r1\",\"state_dir\":\"%s\",\"probe\":{\"interval_ms\":100},%s%s"
		 "\"services\":[%s]}", f->dir, sections, sections[0] ? "," : "", services);
	diag_list_init(&d);
	f->cfg = config_parse("rollout.json", json, strlen(json), &d);
	if (!f->cfg)
		fail_msg("config: %s: %s", d.n ? d.items[0].path : "?", d.n ? d.items[0].msg : "?");
	diag_list_done(&d);
	assert_true(f->cfg->n_services <= 16);
	if (model_init(&f->m, f->cfg, &err) < 0)
		fail_msg("model_init: %s", err.msg);
	f->model_ok = true;
	for (size_t i = 0; i < f->cfg->n_services; i++) {
		assert_int_equal(model_set_weight(&f->m, i, 0, &err), 0);
		model_set_verdict(&f->m, i, VERDICT_PASS, "");
		fx_traffic(f, i, 0, 0);
	}
	model_set_routers(&f->m, 1, 1);
	f->j = journal_open(f->dir, "r1", &err);
	if (!f->j)
		fail_msg("journal_open: %s", err.msg);
	f->rt = router_driver_rehearsal.open(f->cfg, &err);
	if (!f->rt)
		fail_msg("rehearsal: %s", err.msg);
	f->e = executor_start(&f->m, &router_driver_rehearsal, f->rt, f->j, &err);
	if (!f->e)
		fail_msg("executor_start: %s", err.msg);
	return f;
}

static inline void fx_start(struct fx *f)
{
	struct co_error err = { "" };
	struct rollouts_deps deps = { &f->m, f->e, f->j, NULL, f->clock };
	f->r = rollouts_start(f->cfg, &deps, &err);
	if (!f->r)
		fail_msg("rollouts_start: %s", err.msg);
}

/* Stops and frees the rollouts (not the rest), as an engine shutting down. */
static inline void fx_stop(struct fx *f)
{
	rollouts_free(f->r);
	f->r = NULL;
}

/* Every thread the fixture started is stopped, the directory removed. */
static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	int rc = 0;

	if (!f)
		return 0;
	rollouts_free(f->r);
	executor_stop(f->e);
	if (f->rt)
		router_driver_rehearsal.close(f->rt);
	journal_close(f->j);
	snapshot_done(&f->snap);
	if (f->model_ok)
		model_done(&f->m);
	config_free(f->cfg);
	if (f->dir[0] == '/') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
		rc = system(cmd);
	}
	free(f);
	*state = NULL;
	return rc == 0 ? 0 : -1;
}

static inline size_t fx_svc(const struct fx *f, const char *name)
{
	long i = config_find_service(f->cfg, name);
	if (i < 0)
		fail_msg("no service %s", name);
	return (size_t)i;
}

/* The rollout as the model shows it; weight: the model's weight. */
static inline struct rollout_view fx_view(struct fx *f, size_t i, int *weight)
{
	assert_true(model_snapshot(&f->m, &f->snap) >= 0);
	if (weight)
		*weight = f->snap.svc[i].weight;
	return f->snap.svc[i].rollout;
}

struct want {
	enum rollout_phase phase;
	int step;	/* 1-based, or ANY */
	int failed;	/* or ANY */
	int weight;	/* or ANY */
};

/* Waits (bounded) until service i is in that phase with no weight change
 * in flight. */
static inline void fx_wait(struct fx *f, size_t i, struct want w, int timeout_ms)
{
	struct rollout_view v;
	int weight = 0;
	for (int t = 0;; t += 10) {
		v = fx_view(f, i, &weight);
		if (v.phase == w.phase && !v.moving && (w.step == ANY || v.step == w.step) &&
		    (w.failed == ANY || v.failed == w.failed) && (w.weight == ANY || weight == w.weight))
			return;
		if (t >= timeout_ms)
			break;
		fx_sleep_ms(10);
	}
	fail_msg("%s: waited %d ms for %s step %d failed %d weight %d; have %s step %d%s failed %d weight %d (%s)",
		 f->cfg->services[i].name, timeout_ms, rollout_phase_name(w.phase), w.step, w.failed,
		 w.weight, rollout_phase_name(v.phase), v.step, v.moving ? " moving" : "", v.failed,
		 weight, v.last_check);
}

/* POST /v1/rollouts/ACTION with body, as actor "ana@ops1"; returns the
 * code, the answer in *out (the caller deletes it). */
static inline int fx_control(struct fx *f, const char *action, const char *body, cJSON **out)
{
	struct rollout_request rq;
	struct co_error err = { "" };
	if (rollout_request_parse(action, body, strlen(body), &rq, &err) < 0)
		fail_msg("%s %s: %s", action, body, err.msg);
	cJSON *o = NULL;
	int code = rollouts_control(f->r, &rq, "ana@ops1", &o);
	rollout_request_done(&rq);
	assert_non_null(o);
	if (out)
		*out = o;
	else
		cJSON_Delete(o);
	return code;
}

/* The same for a request that must succeed. */
static inline void fx_do(struct fx *f, const char *action, const char *body)
{
	cJSON *o = NULL;
	int code = fx_control(f, action, body, &o);
	if (code != 200) {
		char *s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		fail_msg("%s %s: %d %s", action, body, code, s ? s : "");
	}
	cJSON_Delete(o);
}

/* --- The journal ---------------------------------------------------------- */

struct fx_records {
	const char *service;	/* NULL: every rollout record */
	cJSON *arr;
};

static inline int fx_record_cb(const cJSON *rec, long line, void *ctx)
{
	struct fx_records *x = ctx;
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "type"));
	const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "service"));
	(void)line;
	if (!type || strcmp(type, "rollout") != 0)
		return 0;
	if (x->service && (!svc || strcmp(svc, x->service) != 0))
		return 0;
	cJSON_AddItemToArray(x->arr, cJSON_Duplicate(rec, true));
	return 0;
}

/* The rollout records of service (NULL: all), in journal order. */
static inline cJSON *fx_records(struct fx *f, const char *service)
{
	struct fx_records x = { service, cJSON_CreateArray() };
	struct co_error err = { "" };
	if (journal_read(journal_path(f->j), fx_record_cb, &x, &err) < 0)
		fail_msg("journal_read: %s", err.msg);
	return x.arr;
}

static inline const char *fx_str(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return s ? s : "";
}

static inline double fx_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v))
		fail_msg("%s: not a number", key);
	return v->valuedouble;
}

/* The events of service's records as "started advancing:1 baking:1 ...",
 * a step after the events that carry one; skip: events left out ("" none). */
static inline void fx_events(struct fx *f, const char *service, const char *skip, char *out, size_t cap)
{
	cJSON *arr = fx_records(f, service);
	size_t n = 0;
	out[0] = '\0';
	for (const cJSON *r = arr->child; r && n + 1 < cap; r = r->next) {
		const char *ev = fx_str(r, "event");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "step");
		char word[40];
		if (skip[0] && strstr(skip, ev))
			continue;
		if (cJSON_IsNumber(st))
			snprintf(word, sizeof word, "%s:%d", ev, st->valueint);
		else
			snprintf(word, sizeof word, "%s", ev);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", word);
	}
	cJSON_Delete(arr);
}

/* The last record of service whose event is ev (a copy), or NULL. */
static inline cJSON *fx_last(struct fx *f, const char *service, const char *ev)
{
	cJSON *arr = fx_records(f, service), *found = NULL;
	for (const cJSON *r = arr->child; r; r = r->next)
		if (strcmp(fx_str(r, "event"), ev) == 0) {
			cJSON_Delete(found);
			found = cJSON_Duplicate(r, true);
		}
	cJSON_Delete(arr);
	return found;
}

/* One rollout record written as the autopilot would have. */
static inline void fx_append(struct fx *f, const char *payload)
{
	struct co_error err = { "" };
	cJSON *p = cJSON_Parse(payload);
	assert_non_null(p);
	if (journal_append_as(f->j, "autopilot", "rollout", NULL, p, &err) < 0)
		fail_msg("journal_append_as: %s", err.msg);
	cJSON_Delete(p);
}

#endif
