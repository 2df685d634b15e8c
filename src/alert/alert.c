/* alert: the handle: it starts a worker per receiver (alert_worker.c),
 * fans each posted event out to their queues, and stops them (see
 * cutover/alert.h). */
#include "cutover/alert.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/journal.h"	/* journal_time_iso */
#include "cutover/model.h"	/* monotonic_ms */

#include "alert_private.h"

#define BACKOFF_MS 1000		/* before the 2nd attempt; doubled after each */
#define EXEC_TIMEOUT_MS 10000	/* an exec hook is killed after this */
/* What alerts_stop leaves a worker to finish: the attempt in flight and
 * whatever it can still send, so a "completed" posted just before an
 * orderly shutdown still goes out, without holding the shutdown up. */
#define GRACE_MS 2000

struct alerts {
	struct alert_settings set;
	size_t n;
	struct alert_worker *w;
};

/* --- copies -------------------------------------------------------------- */

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* -1 when memory ran out; NULL in, NULL out. */
static int strv_dup(char *const *in, char ***out)
{
	size_t n = 0;
	*out = NULL;
	if (!in)
		return 0;
	while (in[n])
		n++;
	char **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		if (!(v[i] = strdup(in[i]))) {
			strv_free(v);
			return -1;
		}
	}
	*out = v;
	return v ? 0 : -1;
}

static int event_copy(struct alert_event *ev, const char *event, const char *service,
		      const char *detail, const cJSON *figures, const char *now)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->time, sizeof(ev->time), "%s", now);
	ev->event = strdup(event);
	ev->service = strdup(service ? service : "");
	ev->detail = strdup(detail ? detail : "");
	ev->figures = figures ? cJSON_Duplicate(figures, true) : NULL;
	if (!ev->event || !ev->service || !ev->detail || (figures && !ev->figures)) {
		alert_event_done(ev);
		return -1;
	}
	return 0;
}

/* --- the handle ---------------------------------------------------------- */

/* A positive number of ms from the environment (tests shorten the waits),
 * else fallback. */
static int env_ms(const char *name, int fallback)
{
	const char *s = getenv(name);
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 && v <= 600000 ? (int)v : fallback;
}

/* The name errors and status use: the webhook's display form (masked by
 * the parser; masked here if a caller gave none), or the exec hook's
 * program, never its arguments. */
static void worker_name(struct alert_worker *w, const struct alert_conf *c)
{
	if (c->webhook) {
		char *masked = c->webhook_display ? NULL : config_webhook_display(c->webhook);
		const char *shown = c->webhook_display ? c->webhook_display : masked;
		snprintf(w->name, sizeof(w->name), "%s", shown ? shown : "webhook");
		free(masked);
	} else {
		snprintf(w->name, sizeof(w->name), "exec %s",
			 c->exec && c->exec[0] ? c->exec[0] : "(none)");
	}
}

static int worker_init(struct alert_worker *w, struct alerts *a, const struct alert_conf *c)
{
	w->set = &a->set;
	w->format = c->format;
	worker_name(w, c);
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* backoff ignores clock steps */
	int rc = pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0 || strv_dup(c->exec, &w->exec) < 0 || strv_dup(c->events, &w->events) < 0)
		return -1;
	if (!c->webhook)
		return 0;
	if (!(w->url = strdup(c->webhook)))
		return -1;
	return alert_webhook_init(&w->hook, w->url);
}

static void worker_done(struct alert_worker *w)
{
	for (; w->len > 0; w->len--, w->head = (w->head + 1) % ALERT_QUEUE_MAX)
		alert_event_done(&w->q[w->head]);
	alert_webhook_done(&w->hook);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w->url);
	strv_free(w->exec);
	strv_free(w->events);
}

static void alerts_free(struct alerts *a, size_t inited)
{
	for (size_t i = 0; i < inited; i++)
		worker_done(&a->w[i]);
	free(a->w);
	free(a->set.release);
	free(a);
}

/* Workers block every signal: they are the main thread's to take. */
static int worker_spawn(struct alert_worker *w)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, alert_worker_run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->started = rc == 0;
	return rc;
}

struct alerts *alerts_start(const struct config *cfg, struct co_error *err)
{
	struct alerts *a = calloc(1, sizeof(*a));
	size_t n = cfg->n_alerts;
	if (!a || !(a->set.release = strdup(cfg->release ? cfg->release : "")) ||
	    (n && !(a->w = calloc(n, sizeof(*a->w))))) {
		co_error_set(err, "alerts: out of memory");
		if (a)
			alerts_free(a, 0);
		return NULL;
	}
	a->set.backoff_ms = env_ms("CUTOVER_ALERT_BACKOFF_MS", BACKOFF_MS);
	a->set.exec_timeout_ms = env_ms("CUTOVER_ALERT_EXEC_TIMEOUT_MS", EXEC_TIMEOUT_MS);
	for (a->n = 0; a->n < n; a->n++) {
		struct alert_worker *w = &a->w[a->n];
		int rc = worker_init(w, a, &cfg->alerts[a->n]);
		if (rc == 0)
			rc = worker_spawn(w);
		if (rc != 0) {
			co_error_set(err, "alerts[%zu] (%s): cannot start its worker%s%s", a->n,
				     w->name, rc > 0 ? ": " : "", rc > 0 ? strerror(rc) : "");
			a->n++;		/* its mutex and copies need freeing too */
			alerts_stop(a);
			return NULL;
		}
	}
	return a;
}

static bool takes(const struct alert_worker *w, const char *event)
{
	if (!w->events)
		return true;
	for (char **e = w->events; *e; e++)
		if (strcmp(*e, event) == 0)
			return true;
	return false;
}

/* Queues ev (taking it over); when full, the oldest makes room: the
 * newest says most about where the release is now. */
static void enqueue(struct alert_worker *w, struct alert_event *ev)
{
	struct alert_event old = { 0 };
	pthread_mutex_lock(&w->mu);
	w->n.posted++;
	if (w->len == ALERT_QUEUE_MAX) {
		old = w->q[w->head];
		w->head = (w->head + 1) % ALERT_QUEUE_MAX;
		w->len--;
		w->n.dropped++;
	}
	w->q[(w->head + w->len) % ALERT_QUEUE_MAX] = *ev;
	w->len++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	alert_event_done(&old);
}

void alerts_post(struct alerts *a, const char *event, const char *service, const char *detail,
		 const cJSON *figures)
{
	char now[40];
	if (!a || !event)
		return;
	journal_time_iso(now, sizeof(now));
	for (size_t i = 0; i < a->n; i++) {
		struct alert_worker *w = &a->w[i];
		struct alert_event ev;
		if (!takes(w, event))
			continue;
		if (event_copy(&ev, event, service, detail, figures, now) == 0) {
			enqueue(w, &ev);
			continue;
		}
		pthread_mutex_lock(&w->mu);	/* out of memory: lost, and said so */
		w->n.posted++;
		w->n.failed++;
		pthread_mutex_unlock(&w->mu);
	}
}

void alerts_stop(struct alerts *a)
{
	if (!a)
		return;
	/* Every worker is told before any is joined: the grace runs for all
	 * at once, so stopping takes GRACE_MS, not GRACE_MS per receiver. */
	uint64_t until = monotonic_ms() + GRACE_MS;
	for (size_t i = 0; i < a->n; i++) {
		struct alert_worker *w = &a->w[i];
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		w->grace_until = until;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->mu);
		alert_webhook_wake(&w->hook);
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->w[i].started)
			pthread_join(a->w[i].thread, NULL);
	alerts_free(a, a->n);
}

static void add_counters(struct alert_counters *sum, const struct alert_counters *c)
{
	sum->posted += c->posted;
	sum->delivered += c->delivered;
	sum->failed += c->failed;
	sum->dropped += c->dropped;
}

void alerts_get_counters(struct alerts *a, struct alert_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; a && i < a->n; i++) {
		pthread_mutex_lock(&a->w[i].mu);
		add_counters(out, &a->w[i].n);
		pthread_mutex_unlock(&a->w[i].mu);
	}
}

size_t alerts_receivers(struct alerts *a)
{
	return a ? a->n : 0;
}

int alerts_receiver_status(struct alerts *a, size_t i, struct alert_receiver_status *out)
{
	if (!a || i >= a->n)
		return -1;
	struct alert_worker *w = &a->w[i];
	snprintf(out->name, sizeof(out->name), "%s", w->name);
	pthread_mutex_lock(&w->mu);
	out->counters = w->n;
	snprintf(out->last_error, sizeof(out->last_error), "%s", w->last_error);
	pthread_mutex_unlock(&w->mu);
	return 0;
}
