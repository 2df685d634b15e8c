/* alert_worker: one receiver's thread: it takes events from its queue
 * and delivers each with up to ALERT_ATTEMPTS tries and a doubling
 * backoff, waking at once for alerts_stop. Its mutex is never held across
 * a delivery. */
#include "alert_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/model.h"	/* monotonic_ms */

void alert_event_done(struct alert_event *ev)
{
	free(ev->event);
	free(ev->service);
	free(ev->detail);
	cJSON_Delete(ev->figures);
	memset(ev, 0, sizeof(*ev));
}

static struct timespec deadline_in(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* How long an attempt may still take: -1 unbounded (its own timeouts
 * rule), else the ms left of the grace, 0 when it is over. */
static long time_left(void *ctx)
{
	struct alert_worker *w = ctx;
	long left = -1;
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		uint64_t now = monotonic_ms();
		left = now >= w->grace_until ? 0 : (long)(w->grace_until - now);
	}
	pthread_mutex_unlock(&w->mu);
	return left;
}

/* Sleeps ms between attempts; false when woken by stop: a retry after
 * stop would outlast the grace, so the event is given up on. */
static bool backoff_wait(struct alert_worker *w, int ms)
{
	struct timespec until = deadline_in(ms);
	pthread_mutex_lock(&w->mu);
	while (!w->stop && pthread_cond_timedwait(&w->wake, &w->mu, &until) != ETIMEDOUT)
		;
	bool go_on = !w->stop;
	pthread_mutex_unlock(&w->mu);
	return go_on;
}

static int attempt(struct alert_worker *w, const struct alert_event *ev, const char *body,
		   char *why, size_t cap)
{
	if (w->url)
		return alert_webhook_post(&w->hook, body, time_left, w, why, cap);
	long left = time_left(w);
	int timeout = w->set->exec_timeout_ms;
	if (left >= 0 && left < timeout)	/* exec_run cannot be woken: bound it up front */
		timeout = left > 0 ? (int)left : 1;
	return alert_exec_once(w->exec, ev, w->set->release, timeout, why, cap);
}

static void note(struct alert_worker *w, const char *why, int n)
{
	pthread_mutex_lock(&w->mu);
	if (why)
		snprintf(w->last_error, sizeof(w->last_error), "%s: %s (attempt %d of %d)", w->name,
			 why, n, ALERT_ATTEMPTS);
	else
		w->last_error[0] = '\0';
	pthread_mutex_unlock(&w->mu);
}

/* Up to ALERT_ATTEMPTS tries with a doubling backoff; true once one went
 * through. */
static bool deliver(struct alert_worker *w, const struct alert_event *ev)
{
	char *body = w->url ? alert_body(w->format, ev, w->set->release) : NULL;
	if (w->url && !body) {
		note(w, "out of memory building the body", 1);
		return false;
	}
	bool ok = false;
	int backoff = w->set->backoff_ms;
	for (int n = 1; ; n++) {
		char why[256] = "";
		ok = attempt(w, ev, body, why, sizeof(why)) == 0;
		note(w, ok ? NULL : why, n);
		if (ok || n == ALERT_ATTEMPTS || !backoff_wait(w, backoff))
			break;
		backoff *= 2;
	}
	free(body);
	return ok;
}

/* Waits for the next event and takes it; false when the worker is done:
 * stopped with nothing queued, or its grace over, what is left then
 * counted failed. */
static bool next_event(struct alert_worker *w, struct alert_event *ev)
{
	pthread_mutex_lock(&w->mu);
	while (!w->stop && w->len == 0)
		pthread_cond_wait(&w->wake, &w->mu);
	bool go = w->len > 0 && !(w->stop && monotonic_ms() >= w->grace_until);
	if (go) {
		*ev = w->q[w->head];
		w->head = (w->head + 1) % ALERT_QUEUE_MAX;
		w->len--;
	}
	for (; !go && w->len > 0; w->len--, w->head = (w->head + 1) % ALERT_QUEUE_MAX) {
		alert_event_done(&w->q[w->head]);
		w->n.failed++;
	}
	pthread_mutex_unlock(&w->mu);
	return go;
}

void *alert_worker_run(void *arg)
{
	struct alert_worker *w = arg;
	struct alert_event ev;
	while (next_event(w, &ev)) {
		bool ok = deliver(w, &ev);
		alert_event_done(&ev);
		pthread_mutex_lock(&w->mu);
		if (ok)
			w->n.delivered++;
		else
			w->n.failed++;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

