/* router_poller: the thread that reads the router every interval and
 * publishes into the model (see router_poller.h). */
#include "cutover/router_poller.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct router_poller {
	struct model *model;
	const struct router_driver *drv;
	struct router *r;
	int interval_ms;
	pthread_t thread;
	/* mu guards the flags and the pass count; the pass itself runs
	 * without it, so kick, wait and stop never queue behind router I/O. */
	pthread_mutex_t mu;
	pthread_cond_t wake;		/* stop or kick */
	pthread_cond_t passed;		/* a pass completed */
	bool stop;
	bool kick;
	uint64_t passes;
	/* The thread's own. */
	struct router_view view;
	struct snapshot snap;
	uint32_t *applies;		/* per service, as the pass began */
};

/* A CLOCK_MONOTONIC deadline ms from now, for a condvar set to that clock:
 * a wall-clock jump must not stretch or cut a wait. */
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

static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	if (pthread_condattr_init(&a) != 0)
		return -1;
	int rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(c, &a) == 0;
	pthread_condattr_destroy(&a);
	return rc ? 0 : -1;
}

static void one_pass(struct router_poller *p)
{
	struct co_error err;
	/* Out of memory skips a pass; the next one tries again. */
	/* An apply that lands while the router is read makes that read stale
	 * for its services: the counts before tell which to leave alone. */
	if (p->applies)
		model_applies(p->model, p->applies);
	if (router_observe_all(p->drv, p->r, p->model->cfg, &p->view, &err) == 0)
		router_view_publish_since(&p->view, p->model, &p->snap, p->applies, &err);
}

static void *poller_run(void *arg)
{
	struct router_poller *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		p->kick = false;
		pthread_mutex_unlock(&p->mu);
		one_pass(p);
		pthread_mutex_lock(&p->mu);
		p->passes++;
		pthread_cond_broadcast(&p->passed);
		struct timespec until = deadline_in(p->interval_ms);
		while (!p->stop && !p->kick &&
		       pthread_cond_timedwait(&p->wake, &p->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void poller_free(struct router_poller *p)
{
	router_view_done(&p->view);
	snapshot_done(&p->snap);
	free(p->applies);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->passed);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct router_poller *router_poller_start(struct model *m, const struct router_driver *drv,
					  struct router *r, int interval_ms,
					  struct co_error *err)
{
	struct router_poller *p = calloc(1, sizeof(*p));
	if (!p) {
		co_error_set(err, "router poller: out of memory");
		return NULL;
	}
	p->model = m;
	p->drv = drv;
	p->r = r;
	p->interval_ms = interval_ms < 10 ? 10 : interval_ms;
	/* Without it (no memory) passes publish as before: stale reads then
	 * show for one pass, as they always could. */
	p->applies = calloc(m->cfg->n_services + 1, sizeof *p->applies);
	if (cond_init_monotonic(&p->wake) < 0) {
		free(p);
		co_error_set(err, "router poller: cannot create a condition variable");
		return NULL;
	}
	if (cond_init_monotonic(&p->passed) < 0) {
		pthread_cond_destroy(&p->wake);
		free(p);
		co_error_set(err, "router poller: cannot create a condition variable");
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	/* The thread blocks every signal: they are the main thread's to take. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&p->thread, NULL, poller_run, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		co_error_set(err, "router poller: cannot start its thread: %s", strerror(rc));
		poller_free(p);
		return NULL;
	}
	return p;
}

void router_poller_kick(struct router_poller *p)
{
	pthread_mutex_lock(&p->mu);
	p->kick = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->mu);
}

uint64_t router_poller_passes(struct router_poller *p)
{
	pthread_mutex_lock(&p->mu);
	uint64_t n = p->passes;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int router_poller_wait(struct router_poller *p, uint64_t n, int timeout_ms)
{
	struct timespec until = deadline_in(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&p->mu);
	while (p->passes < n && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->passed, &p->mu, &until);
	bool done = p->passes >= n;
	pthread_mutex_unlock(&p->mu);
	return done ? 0 : -1;
}

void router_poller_stop(struct router_poller *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	poller_free(p);
}
