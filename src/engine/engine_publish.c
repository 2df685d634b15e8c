/* engine_publish: the thread that tells clients what changed. Every 250 ms
 * at most it sends one delta (only the services whose state changed, with
 * the router, plan progress and lever when they changed), each new journal
 * record as its own event, and a heartbeat comment every 15 s. */
#include "engine_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/state_json.h"

#define DELTA_MS 250
#define HEARTBEAT_MS 15000
#define RATE_MS 5000		/* the probe rate is measured over this */

char *engine_event_text(struct engine *e, const char *name, const cJSON *data, size_t *len)
{
	char *json = cJSON_PrintUnformatted(data);
	if (!json)
		return NULL;
	size_t cap = strlen(json) + strlen(name) + 64;
	char *out = malloc(cap);
	if (out) {
		pthread_mutex_lock(&e->lock);
		uint64_t id = ++e->event_id;
		pthread_mutex_unlock(&e->lock);
		int n = snprintf(out, cap, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id,
				 name, json);
		*len = (size_t)n;
	}
	free(json);
	return out;
}

cJSON *engine_progress_json(const struct executor_progress *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "plan", p->plan_id);
	cJSON_AddNumberToObject(o, "seq", (double)p->plan_seq);
	cJSON_AddBoolToObject(o, "running", p->running);
	cJSON_AddNumberToObject(o, "done", (double)p->done);
	cJSON_AddNumberToObject(o, "total", (double)p->total);
	cJSON_AddBoolToObject(o, "finished", p->finished);
	cJSON_AddBoolToObject(o, "ok", p->ok);
	cJSON_AddStringToObject(o, "result", p->result);
	if (p->waiting[0])
		cJSON_AddStringToObject(o, "waiting", p->waiting);
	else
		cJSON_AddNullToObject(o, "waiting");
	cJSON_AddBoolToObject(o, "cancelled", p->cancelled);
	return o;
}

static void add_common(struct engine *e, cJSON *o, const struct snapshot *s, uint64_t client)
{
	cJSON_AddNumberToObject(o, "version", (double)s->version);
	cJSON_AddItemToObject(o, "router", state_router_json(s));
	struct executor_progress p;
	engine_progress(e, &p);
	cJSON_AddItemToObject(o, "progress", engine_progress_json(&p));
	cJSON_AddItemToObject(o, "lever", engine_lever_json(e, client));
}

/* --- A new stream's first event ------------------------------------------ */

struct attach_ctx {
	struct engine *e;
	uint64_t client;
	void (*wake)(void *);
	void *wake_ctx;
	struct hub_client *out;
};

static void attach_locked(void *arg)
{
	struct attach_ctx *a = arg;
	struct engine *e = a->e;
	struct snapshot s = { 0 };
	if (model_snapshot(&e->m, &s) < 0)
		return;
	cJSON *doc = state_doc_json(&s, (double)(monotonic_ms() - e->started_ms) / 1000.0, true);
	add_common(e, doc, &s, a->client);
	cJSON_AddStringToObject(doc, "engine", e->actor);
	cJSON_AddNumberToObject(doc, "client", (double)a->client);
	size_t len = 0;
	char *text = engine_event_text(e, "snapshot", doc, &len);
	if (text)
		a->out = hub_attach_locked(e->hub, a->client, text, len, a->wake, a->wake_ctx);
	free(text);
	cJSON_Delete(doc);
	snapshot_done(&s);
}

struct hub_client *engine_attach(struct engine *e, uint64_t client, bool operate,
				 const char *actor, const char *kind,
				 void (*wake)(void *), void *wake_ctx)
{
	/* The lever first, so the snapshot says who holds it. */
	if (operate)
		engine_lever_want(e, client, actor, kind);
	struct attach_ctx a = { e, client, wake, wake_ctx, NULL };
	hub_locked(e->hub, attach_locked, &a);
	return a.out;
}

/* --- Deltas ---------------------------------------------------------------- */

struct delta_ctx {
	struct engine *e;
	struct snapshot cur;
};

/* A delta carries only the sparkline points that are new since the last
 * one ("spark_add"), not all sixty a side: at ten thousand services the
 * whole lines were most of every delta's bytes. */
static void spark_delta(cJSON *svc, const struct service_state *prev, const struct service_state *cur)
{
	static const char *names[2] = { "blue", "green" };
	for (int s = 0; s < 2; s++) {
		cJSON *side = cJSON_GetObjectItemCaseSensitive(svc, names[s]);
		const struct side_stats *a = &prev->side[s], *b = &cur->side[s];
		if (!side || b->probes < a->probes)
			continue;	/* a reset: the whole line stays */
		uint64_t k = b->probes - a->probes;
		int n = k < (uint64_t)b->n_spark ? (int)k : b->n_spark;
		cJSON_DeleteItemFromObjectCaseSensitive(side, "spark");
		cJSON *add = cJSON_AddArrayToObject(side, "spark_add");
		for (int i = b->n_spark - n; i < b->n_spark; i++)
			cJSON_AddItemToArray(add, cJSON_CreateNumber(b->spark[i] < 0 ? -1
							: (double)(int)(b->spark[i] * 10.0f + 0.5f) / 10.0));
	}
}

static bool progress_changed(const struct executor_progress *a, const struct executor_progress *b)
{
	return a->plan_seq != b->plan_seq || a->done != b->done || a->finished != b->finished ||
	       a->running != b->running || a->cancelled != b->cancelled ||
	       strcmp(a->waiting, b->waiting) != 0;
}

/* Finished plans are kept with their result and counted for /metrics. */
static void count_plan(struct engine *e, const struct executor_progress *p)
{
	pthread_mutex_lock(&e->lock);
	engine_plan_ended_locked(e, p);
	pthread_mutex_unlock(&e->lock);
}

static void delta_locked(void *arg)
{
	struct delta_ctx *d = arg;
	struct engine *e = d->e;
	int got = model_snapshot(&e->m, &d->cur);
	struct executor_progress p;
	engine_progress(e, &p);
	count_plan(e, &p);
	pthread_mutex_lock(&e->lock);
	bool lever = e->lever_gen != e->lever_gen_sent;
	e->lever_gen_sent = e->lever_gen;
	pthread_mutex_unlock(&e->lock);
	bool prog = progress_changed(&p, &e->last_prog);
	if (got < 0 || (got == 0 && !prog && !lever))
		return;
	e->last_prog = p;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "services");
	for (size_t i = 0; i < d->cur.n; i++) {
		bool same = e->prev.svc && e->prev.n == d->cur.n &&
			    memcmp(&e->prev.svc[i], &d->cur.svc[i], sizeof d->cur.svc[i]) == 0;
		if (same)
			continue;
		cJSON *svc = state_service_json(&d->cur, i, true);
		if (e->prev.svc && e->prev.n == d->cur.n)
			spark_delta(svc, &e->prev.svc[i], &d->cur.svc[i]);
		cJSON_AddItemToArray(arr, svc);
	}
	add_common(e, o, &d->cur, 0);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "lever");	/* per client: sent apart */
	size_t len = 0;
	char *text = engine_event_text(e, "delta", o, &len);
	if (text)
		hub_broadcast_locked(e->hub, text, len);
	free(text);
	cJSON_Delete(o);
	engine_watch(e, &e->prev, &d->cur);
	/* The current becomes the previous: swap buffers, no copy. */
	struct snapshot t = e->prev;
	e->prev = d->cur;
	d->cur = t;	/* at its own (older) version: the next copy brings it up */
}

/* The lever is told per client: "yours" differs between them. */
static void send_lever(struct engine *e)
{
	uint64_t ids[64];
	size_t n = 0;
	pthread_mutex_lock(&e->lock);
	ids[n++] = e->lever.client;
	for (size_t i = 0; i < e->n_waiting && n < 64; i++)
		ids[n++] = e->waiting[i];
	pthread_mutex_unlock(&e->lock);
	/* Everyone gets the holder; those who hold or wait get their own. */
	cJSON *o = engine_lever_json(e, 0);
	size_t len;
	char *text = engine_event_text(e, "lever", o, &len);
	if (text)
		hub_broadcast(e->hub, text, len);
	free(text);
	cJSON_Delete(o);
	for (size_t i = 0; i < n; i++) {
		if (!ids[i])
			continue;
		o = engine_lever_json(e, ids[i]);
		text = engine_event_text(e, "lever", o, &len);
		if (text)
			hub_send(e->hub, ids[i], text, len);
		free(text);
		cJSON_Delete(o);
	}
}

/* --- Journal records ----------------------------------------------------- */

static void on_record(const cJSON *rec, void *ctx)
{
	struct engine *e = ctx;
	size_t len;
	char *text = engine_event_text(e, "journal", rec, &len);
	if (text)
		hub_broadcast(e->hub, text, len);
	free(text);
}

static void measure_rate(struct engine *e, uint64_t now)
{
	if (now - e->rate_ms < RATE_MS && e->rate_ms)
		return;
	struct prober_counters pc;
	prober_get_counters(e->prober, &pc);
	pthread_mutex_lock(&e->lock);
	if (e->rate_ms)
		e->probe_rate = (double)(pc.probes - e->rate_probes) * 1000.0 / (double)(now - e->rate_ms);
	e->rate_probes = pc.probes;
	e->rate_ms = now;
	pthread_mutex_unlock(&e->lock);
}

static void wait_ms(struct engine *e, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&e->pub_lock);
	while (!e->pub_stop)
		if (pthread_cond_timedwait(&e->pub_cond, &e->pub_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&e->pub_lock);
}

static void *publish_main(void *arg)
{
	struct engine *e = arg;
	struct delta_ctx d = { .e = e };
	uint64_t beat = monotonic_ms();
	for (;;) {
		pthread_mutex_lock(&e->pub_lock);
		bool stop = e->pub_stop;
		pthread_mutex_unlock(&e->pub_lock);
		if (stop)
			break;
		uint64_t now = monotonic_ms();
		journal_tail_poll(&e->tail);
		pthread_mutex_lock(&e->lock);
		bool lever = e->lever_gen != e->lever_gen_sent;
		pthread_mutex_unlock(&e->lock);
		hub_locked(e->hub, delta_locked, &d);
		if (lever)
			send_lever(e);
		measure_rate(e, now);
		if (now - beat >= HEARTBEAT_MS) {
			beat = now;
			hub_broadcast(e->hub, ": heartbeat\n\n", 13);
		}
		wait_ms(e, DELTA_MS);
	}
	snapshot_done(&d.cur);
	return NULL;
}

int engine_publish_start(struct engine *e, struct co_error *err)
{
	if (journal_tail_init(&e->tail, journal_path(e->j)) < 0) {
		co_error_set(err, "out of memory");
		return -1;
	}
	/* The first poll reads what is there already: no event for that. */
	journal_tail_poll(&e->tail);
	e->tail.on_record = on_record;
	e->tail.on_record_ctx = e;
	pthread_mutex_init(&e->pub_lock, NULL);
	pthread_cond_init(&e->pub_cond, NULL);
	if (pthread_create(&e->pub, NULL, publish_main, e) != 0) {
		co_error_set(err, "cannot start the publisher thread");
		return -1;
	}
	e->pub_running = true;
	return 0;
}

void engine_publish_stop(struct engine *e)
{
	if (!e->pub_running)
		return;
	pthread_mutex_lock(&e->pub_lock);
	e->pub_stop = true;
	pthread_cond_signal(&e->pub_cond);
	pthread_mutex_unlock(&e->pub_lock);
	pthread_join(e->pub, NULL);
	e->pub_running = false;
	journal_tail_done(&e->tail);
	snapshot_done(&e->prev);
	pthread_mutex_destroy(&e->pub_lock);
	pthread_cond_destroy(&e->pub_cond);
}
