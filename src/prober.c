/* prober: one thread, one libcurl multi handle, every health URL on a
 * jittered schedule (see prober.h). */
#include "cutover/prober.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/stats.h"
#include "cutover/verdict.h"
#include "due_heap.h"
#include "probe_http.h"

/* Probes in flight at once. libcurl 7.88's multi handle walks every added
 * handle on each perform, so thousands at once cost quadratically; due
 * probes beyond this wait in the heap for a free slot. */
#define MAX_IN_FLIGHT 512
#define VERDICT_EVERY_MS 3000u
/* Completions handled per batch: collected first, then removed, because
 * removing a handle while reading messages rescans the message queue. */
#define DONE_BATCH 256

struct target {
	size_t service;
	enum side side;
	struct side_window window;
	bool in_flight;
	uint32_t probes;		/* completed, counted up to warm_probes */
};

struct prober {
	struct model *model;
	const struct config *cfg;
	uint64_t interval_ms;		/* the config's, or prober_opts' pace */
	/* Warm-up: a target's first warm_probes probes (min_samples) come
	 * every warm_ms, so verdicts exist within a second or two of a start
	 * instead of min_samples intervals later (20 s at the defaults). */
	uint64_t warm_ms;
	uint32_t warm_probes;
	CURLM *multi;
	struct target *targets;		/* 2 per service: blue at 2i, green at 2i+1 */
	size_t n_targets;
	struct due_heap due;
	uint64_t *next_verdict_ms;	/* per service */
	uint64_t rng;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t counters_lock;
	struct prober_counters counters;
	int n_in_flight;		/* the thread's own count, no lock needed */
	struct probe_http *slots;	/* pooled handles, one per probe in flight */
	struct probe_http **free_slots;	/* stack of idle ones */
	size_t n_slots, n_free;
	double *scratch[2];		/* latencies for the verdict */
};

static uint64_t next_random(struct prober *p)
{
	p->rng ^= p->rng << 13;	/* xorshift64: jitter needs spread, not secrecy */
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

/* The next probe is due one interval on (the warm-up pace for a target
 * still warming up), +-10%, so thousands of targets started together drift
 * apart instead of firing in bursts. */
static uint64_t next_due(struct prober *p, const struct target *t, uint64_t now)
{
	uint64_t iv = t->probes < p->warm_probes ? p->warm_ms : p->interval_ms;
	uint64_t span = iv / 5 + 1;
	return now + iv - iv / 10 + next_random(p) % span;
}

static enum verdict publish_verdict(struct prober *p, size_t svc)
{
	struct target *t[2] = { &p->targets[2 * svc], &p->targets[2 * svc + 1] };
	struct side_stats st[2];
	struct verdict_input in;
	struct verdict_out out;
	memset(&in, 0, sizeof(in));
	for (int s = 0; s < 2; s++) {
		side_window_summarize(&t[s]->window, &st[s]);
		in.n_lat[s] = side_window_latencies(&t[s]->window, p->scratch[s],
						    (size_t)p->cfg->probe.window);
		in.lat[s] = p->scratch[s];
		in.samples[s] = st[s].samples;
		in.error_pct[s] = st[s].error_pct;
		in.p95_ms[s] = st[s].p95_ms;
	}
	in.gates = &p->cfg->gates;
	if (verdict_judge(&in, &out) == 0)
		model_set_verdict(p->model, svc, out.verdict, out.reason);
	else
		out.verdict = VERDICT_NODATA;
	pthread_mutex_lock(&p->counters_lock);
	p->counters.verdicts++;
	pthread_mutex_unlock(&p->counters_lock);
	return out.verdict;
}

static void on_done(struct prober *p, CURL *easy, CURLcode rc, uint64_t now)
{
	struct probe_http *h = NULL;
	char error[SIDE_ERROR_LEN];
	double ms;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
	struct target *t = h->owner;
	t->in_flight = false;
	bool ok = probe_http_judge(h, rc, p->cfg->probe.timeout_ms, &ms, error, sizeof(error));
	p->free_slots[p->n_free++] = h;
	side_window_add(&t->window, ok, ms, error);
	if (t->probes < p->warm_probes)
		t->probes++;
	struct side_stats st;
	side_window_summarize(&t->window, &st);
	model_set_side(p->model, t->service, t->side, &st);
	pthread_mutex_lock(&p->counters_lock);
	p->counters.probes++;
	p->counters.failures += !ok;
	p->counters.in_flight--;
	pthread_mutex_unlock(&p->counters_lock);
	/* A verdict weighs whole windows, which a few new samples barely move:
	 * every VERDICT_EVERY_MS (or interval, if longer) per service is enough
	 * and keeps 10,000 services cheap. Health reacts at once regardless.
	 * Until there is a verdict (too few samples: a cheap check) it is
	 * retried at the warm-up pace so the first one is not late. */
	if (now >= p->next_verdict_ms[t->service]) {
		uint64_t every = p->warm_ms;
		if (publish_verdict(p, t->service) != VERDICT_NODATA && every < VERDICT_EVERY_MS)
			every = VERDICT_EVERY_MS;
		p->next_verdict_ms[t->service] = now + every;
	}
	due_heap_push(&p->due, next_due(p, t, now), (size_t)(t - p->targets));
}

static void start_due(struct prober *p, uint64_t now)
{
	const struct due_item *d;
	while ((d = due_heap_peek(&p->due)) && d->due_ms <= now) {
		struct target *t = &p->targets[d->target];
		due_heap_pop(&p->due);
		if (t->in_flight)
			continue;	/* the previous probe still runs: its end reschedules */
		if (p->n_free == 0) {	/* every slot busy: wait for one */
			due_heap_push(&p->due, now + 5, (size_t)(t - p->targets));
			break;
		}
		struct probe_http *h = p->free_slots[p->n_free - 1];
		const struct endpoint_conf *ep = &p->cfg->services[t->service].side[t->side];
		if (probe_http_arm(h, ep, t) < 0 || curl_multi_add_handle(p->multi, h->easy) != CURLM_OK) {
			due_heap_push(&p->due, next_due(p, t, now), (size_t)(t - p->targets));
			continue;
		}
		p->n_free--;
		t->in_flight = true;
		p->n_in_flight++;
		pthread_mutex_lock(&p->counters_lock);
		p->counters.in_flight++;
		pthread_mutex_unlock(&p->counters_lock);
	}
}

static void reap_done(struct prober *p, uint64_t now, int *left)
{
	CURL *easy[DONE_BATCH];
	CURLcode rc[DONE_BATCH];
	CURLMsg *msg;
	size_t n;
	do {
		n = 0;
		while (n < DONE_BATCH && (msg = curl_multi_info_read(p->multi, left)))
			if (msg->msg == CURLMSG_DONE) {
				easy[n] = msg->easy_handle;
				rc[n++] = msg->data.result;
			}
		for (size_t i = 0; i < n; i++) {
			curl_multi_remove_handle(p->multi, easy[i]);
			p->n_in_flight--;
			on_done(p, easy[i], rc[i], now);
		}
	} while (n == DONE_BATCH);
}

static void *prober_main(void *arg)
{
	struct prober *p = arg;
	while (!atomic_load(&p->stop)) {
		int running = 0, left = 0;
		uint64_t now = monotonic_ms();
		start_due(p, now);
		curl_multi_perform(p->multi, &running);
		now = monotonic_ms();
		reap_done(p, now, &left);
		const struct due_item *d = due_heap_peek(&p->due);
		long wait = 1000;
		long curl_wait = -1;
		curl_multi_timeout(p->multi, &curl_wait);
		if (d)
			wait = d->due_ms > now ? (long)(d->due_ms - now) : 0;
		if (curl_wait >= 0 && curl_wait < wait)
			wait = curl_wait;
		if (wait > 0)
			curl_multi_poll(p->multi, NULL, 0, (int)(wait > 1000 ? 1000 : wait), NULL);
	}
	return NULL;
}

static int setup_slots(struct prober *p)
{
	p->n_slots = p->n_targets < MAX_IN_FLIGHT ? p->n_targets : MAX_IN_FLIGHT;
	p->slots = calloc(p->n_slots ? p->n_slots : 1, sizeof(*p->slots));
	p->free_slots = calloc(p->n_slots ? p->n_slots : 1, sizeof(*p->free_slots));
	if (!p->slots || !p->free_slots)
		return -1;
	for (size_t i = 0; i < p->n_slots; i++) {
		if (probe_http_init(&p->slots[i], &p->cfg->probe) < 0)
			return -1;
		p->free_slots[p->n_free++] = &p->slots[i];
	}
	return 0;
}

/* Sets up every target's window; only the chosen services (all without a
 * list) are ever due. */
static int setup_targets(struct prober *p, const struct prober_opts *o, struct co_error *err)
{
	const struct config *cfg = p->cfg;
	uint64_t now = monotonic_ms();
	bool *chosen = NULL;
	if (o && o->services) {
		chosen = calloc(cfg->n_services ? cfg->n_services : 1, sizeof(*chosen));
		if (!chosen) {
			co_error_set(err, "out of memory");
			return -1;
		}
		for (size_t k = 0; k < o->n_services; k++)
			if (o->services[k] < cfg->n_services)
				chosen[o->services[k]] = true;
	}
	for (size_t i = 0; i < p->n_targets; i++) {
		struct target *t = &p->targets[i];
		t->service = i / 2;
		t->side = (enum side)(i % 2);
		const struct service_conf *s = &cfg->services[t->service];
		if (side_window_init(&t->window, cfg->probe.window, cfg->probe.fall,
				     cfg->probe.rise, err) < 0) {
			co_error_set(err, "%s %s: cannot set up its probe", s->name,
				     side_name(t->side));
			free(chosen);
			return -1;
		}
		/* First probes spread over one interval, not all at once. */
		if (!chosen || chosen[t->service])
			due_heap_push(&p->due, now + next_random(p) % p->warm_ms, i);
	}
	free(chosen);
	return 0;
}

static void free_prober(struct prober *p)
{
	for (size_t i = 0; p->slots && i < p->n_slots; i++) {
		if (p->slots[i].easy && p->multi)
			curl_multi_remove_handle(p->multi, p->slots[i].easy);	/* no-op if idle */
		probe_http_done(&p->slots[i]);
	}
	for (size_t i = 0; p->targets && i < p->n_targets; i++)
		side_window_done(&p->targets[i].window);
	free(p->slots);
	free(p->free_slots);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	free(p->targets);
	free(p->next_verdict_ms);
	free(p->scratch[0]);
	free(p->scratch[1]);
	due_heap_done(&p->due);
	pthread_mutex_destroy(&p->counters_lock);
	free(p);
}

int prober_pace_ms(const struct config *cfg, size_t n_services)
{
	size_t pace = 2 * n_services * 1000 / PROBER_BURST_RATE;
	if (pace < PROBER_BURST_PACE_MS)
		pace = PROBER_BURST_PACE_MS;
	if (pace > (size_t)cfg->probe.interval_ms)
		pace = (size_t)cfg->probe.interval_ms;
	return (int)pace;
}

struct prober *prober_start(struct model *m, struct co_error *err)
{
	return prober_start_with(m, NULL, err);
}

struct prober *prober_start_with(struct model *m, const struct prober_opts *o,
				 struct co_error *err)
{
	struct prober *p = calloc(1, sizeof(*p));
	co_error_clear(err);
	if (!p) {
		co_error_set(err, "out of memory");
		return NULL;
	}
	p->model = m;
	p->cfg = m->cfg;
	p->interval_ms = (uint64_t)(o && o->interval_ms > 0 ? o->interval_ms : m->cfg->probe.interval_ms);
	size_t probed = o && o->services ? o->n_services : p->cfg->n_services;
	p->warm_ms = (uint64_t)prober_pace_ms(p->cfg, probed);
	if (p->warm_ms > p->interval_ms)
		p->warm_ms = p->interval_ms;
	p->warm_probes = (uint32_t)p->cfg->gates.min_samples;
	p->n_targets = 2 * p->cfg->n_services;
	p->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)monotonic_ms();
	pthread_mutex_init(&p->counters_lock, NULL);
	p->multi = curl_multi_init();
	p->targets = calloc(p->n_targets ? p->n_targets : 1, sizeof(*p->targets));
	p->next_verdict_ms = calloc(p->cfg->n_services ? p->cfg->n_services : 1, sizeof(uint64_t));
	p->scratch[0] = malloc((size_t)p->cfg->probe.window * sizeof(double));
	p->scratch[1] = malloc((size_t)p->cfg->probe.window * sizeof(double));
	if (!p->multi || !p->targets || !p->next_verdict_ms || !p->scratch[0] || !p->scratch[1] ||
	    due_heap_init(&p->due, p->n_targets) < 0 || setup_slots(p) < 0) {
		co_error_set(err, "out of memory for %zu probes", p->n_targets);
		free_prober(p);
		return NULL;
	}
	/* Keep a connection per target alive between probes: reuse is what
	 * makes thousands of probes a second cheap. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)(p->n_targets < 20000 ? p->n_targets + 16 : 20000));
	if (setup_targets(p, o, err) < 0 || pthread_create(&p->thread, NULL, prober_main, p) != 0) {
		if (err && !err->msg[0])
			co_error_set(err, "cannot start the probe thread");
		free_prober(p);
		return NULL;
	}
	return p;
}

void prober_stop(struct prober *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	free_prober(p);
}

void prober_get_counters(struct prober *p, struct prober_counters *out)
{
	pthread_mutex_lock(&p->counters_lock);
	*out = p->counters;
	pthread_mutex_unlock(&p->counters_lock);
}
