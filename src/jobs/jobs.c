/* jobs: the engine's thread that watches scheduled jobs (see jobs.h).
 * Every JOBS_TICK_MS it reads each job's runs, moves its ledger on,
 * journals and alerts a double or missed tick once, and publishes the
 * job's view into the model when it changed. */
#include "jobs_private.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/alert.h"
#include "cutover/journal.h"
#include "job_runs.h"

#define JOBS_TICK_MS 100
#define RUNS_TIMEOUT_MS 1000

double jobs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct job_state *jobs_find(struct jobs *js, size_t service)
{
	for (size_t k = 0; k < js->n; k++)
		if (js->job[k].svc == service)
			return &js->job[k];
	return NULL;
}

/* A missed tick is called once no run came within the tolerance: the
 * config's, else half the period, kept between 3 s (a poll's lag) and 60 s. */
static double tolerance_s(const struct service_conf *sc, const struct cron *c, double now)
{
	if (sc->job.tolerance_s > 0)
		return sc->job.tolerance_s;
	time_t a = cron_next(c, (time_t)now, sc->timezone);
	time_t b = a == (time_t)-1 ? -1 : cron_next(c, a, sc->timezone);
	double half = b == (time_t)-1 ? 60 : (double)(b - a) / 2;
	return half < 3 ? 3 : half > 60 ? 60 : half;
}

/* Runs from the runs URLs, at most every probe interval (and a third of
 * the period, so that a run is never two ticks old when seen). */
static void read_runs_urls(struct jobs *js, struct job_state *k, double now)
{
	const struct service_conf *sc = &js->cfg->services[k->svc];
	if (now < k->poll_at)
		return;
	double every = js->cfg->probe.interval_ms / 1000.0;
	if (every > k->ledger.tolerance_s / 3)
		every = k->ledger.tolerance_s / 3;
	k->poll_at = now + (every < 0.2 ? 0.2 : every);
	struct job_runs r[2];
	bool got[2] = { false, false };
	char why[2][200] = { "", "" };
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {	/* unlocked: it blocks */
		const struct endpoint_conf *ep = &sc->side[s];
		got[s] = ep->runs && job_runs_fetch(&k->curl[s], ep->runs,
						    ep->runs_display ? ep->runs_display : ep->runs,
						    ep->insecure, RUNS_TIMEOUT_MS, &r[s], why[s],
						    sizeof why[s]) == 0;
	}
	pthread_mutex_lock(&js->lock);
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		memcpy(k->runs_error[s], why[s], sizeof why[s]);
		k->active[s] = got[s] ? r[s].active : -1;
		if (got[s])
			job_ledger_runs(&k->ledger, (enum side)s, r[s].runs,
					r[s].last_run > 0 ? r[s].last_run : now, now);
	}
	k->active_at = jobs_now();
	pthread_mutex_unlock(&js->lock);
}

/* Runs from the router's counters (sessions total and current) in the model. */
static void read_router(struct jobs *js, struct job_state *k, double now)
{
	struct service_state st;
	model_get(js->d.m, k->svc, &st);
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		if (!st.traffic[s].known) {
			k->active[s] = -1;
			continue;
		}
		job_ledger_runs(&k->ledger, (enum side)s, st.traffic[s].requests, now, now);
		k->active[s] = (int)st.traffic[s].sessions;
	}
	k->active_at = now;
}

static void observe(struct jobs *js, struct job_state *k, double now)
{
	const struct service_conf *sc = &js->cfg->services[k->svc];
	if (sc->side[SIDE_BLUE].runs || sc->side[SIDE_GREEN].runs) {
		read_runs_urls(js, k, now);	/* locks itself: a fetch blocks */
		pthread_mutex_lock(&js->lock);
		k->source = JOB_SRC_RUNS_URL;
		return;
	}
	pthread_mutex_lock(&js->lock);
	if (js->d.router_live)
		read_router(js, k, now);
	if (k->active[SIDE_BLUE] >= 0 || k->active[SIDE_GREEN] >= 0)
		k->source = JOB_SRC_ROUTER;
	else
		k->source = sc->job.max_run_s > 0 ? JOB_SRC_MAX_RUN : JOB_SRC_NONE;
}

/* A double or missed tick, journaled and alerted once. Called unlocked. */
static void tell(struct jobs *js, const struct service_conf *sc, struct job_tick t)
{
	char when[40], detail[200];
	jobs_rfc3339(t.time, sc->timezone, when, sizeof when);
	bool dbl = t.status == TICK_DOUBLE;
	snprintf(detail, sizeof detail, dbl ? "the %s tick ran on both blue and green"
					   : "the %s tick ran on neither side", when);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", sc->name);
	cJSON_AddStringToObject(o, "tick", when);
	cJSON_AddStringToObject(o, "status", tick_status_name((enum tick_status)t.status));
	cJSON_AddItemToObject(o, "ran", job_sides_json(t.ran));
	struct co_error err;
	if (js->d.j && journal_append_as(js->d.j, "jobs", "job", NULL, o, &err) < 0)
		fprintf(stderr, "cutover: journal: %s\n", err.msg);
	alerts_post(js->d.alerts, dbl ? ALERT_JOB_DOUBLE : ALERT_JOB_MISSED, sc->name, detail, o);
	cJSON_Delete(o);
}

/* The view from the state; with js->lock held. */
static void view_of(struct job_state *k, struct job_view *v)
{
	memset(v, 0, sizeof *v);
	v->on = true;
	v->source = (uint8_t)k->source;
	v->active[0] = (int16_t)k->active[0];
	v->active[1] = (int16_t)k->active[1];
	v->doubles = (uint16_t)(k->ledger.doubles > 65535 ? 65535 : k->ledger.doubles);
	v->missed = (uint16_t)(k->ledger.missed > 65535 ? 65535 : k->ledger.missed);
	v->next_fire = k->ledger.next == (time_t)-1 ? 0 : (int64_t)k->ledger.next;
	if (k->ledger.n) {
		struct job_tick *t = job_ledger_tick(&k->ledger, k->ledger.n - 1);
		v->last_tick = (int64_t)t->time;
		v->last_ran = t->ran;
		v->last_status = t->status;
	}
	size_t from = k->ledger.n > JOB_VIEW_TICKS ? k->ledger.n - JOB_VIEW_TICKS : 0;
	for (size_t i = from; i < k->ledger.n; i++) {
		struct job_tick *t = job_ledger_tick(&k->ledger, i);
		v->recent[v->n_recent++] = (struct job_tick_view){ (int64_t)t->time, t->ran, t->status };
	}
	snprintf(v->wait, sizeof v->wait, "%s", k->wait);
}

static void step(struct jobs *js, struct job_state *k, struct job_view *published)
{
	const struct service_conf *sc = &js->cfg->services[k->svc];
	double now = jobs_now();
	observe(js, k, now);	/* returns with the lock held */
	job_ledger_advance(&k->ledger, now);
	struct job_tick told[JOB_TICKS_KEPT];
	size_t n_told = 0;
	for (size_t i = 0; i < k->ledger.n; i++) {
		struct job_tick *t = job_ledger_tick(&k->ledger, i);
		if ((t->status == TICK_DOUBLE || t->status == TICK_MISSED) && !t->told) {
			t->told = true;
			told[n_told++] = *t;
		}
	}
	struct job_view v;
	view_of(k, &v);
	pthread_mutex_unlock(&js->lock);
	for (size_t i = 0; i < n_told; i++)
		tell(js, sc, told[i]);
	if (memcmp(&v, published, sizeof v) != 0) {
		model_set_job(js->d.m, k->svc, &v);
		*published = v;
	}
}

static void *jobs_main(void *arg)
{
	struct jobs *js = arg;
	struct job_view *pub = calloc(js->n ? js->n : 1, sizeof *pub);
	pthread_mutex_lock(&js->lock);
	while (!js->stop && pub) {
		pthread_mutex_unlock(&js->lock);
		for (size_t k = 0; k < js->n; k++)
			step(js, &js->job[k], &pub[k]);
		pthread_mutex_lock(&js->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += JOBS_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!js->stop)
			pthread_cond_timedwait(&js->cond, &js->lock, &until);
	}
	pthread_mutex_unlock(&js->lock);
	free(pub);
	return NULL;
}

static int add_jobs(struct jobs *js, struct co_error *err)
{
	const struct config *cfg = js->cfg;
	double now = jobs_now();
	js->job = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *js->job);
	if (!js->job) {
		co_error_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct service_conf *sc = &cfg->services[i];
		struct job_state *k = &js->job[js->n];
		char why[160];
		if (sc->kind != KIND_JOB || !sc->schedule || !*sc->schedule ||
		    cron_parse(sc->schedule, &k->cron, why, sizeof why) < 0)
			continue;
		k->svc = i;
		k->active[0] = k->active[1] = -1;
		job_ledger_init(&k->ledger, &k->cron, sc->timezone, tolerance_s(sc, &k->cron, now), now);
		js->n++;
	}
	/* The ledger keeps a pointer to its cron: fixed now that job[] is. */
	for (size_t k = 0; k < js->n; k++)
		js->job[k].ledger.cron = &js->job[k].cron;
	return 0;
}

struct jobs *jobs_start(const struct config *cfg, const struct jobs_deps *d, struct co_error *err)
{
	struct jobs *js = calloc(1, sizeof *js);
	if (!js) {
		co_error_set(err, "out of memory");
		return NULL;
	}
	js->cfg = cfg;
	js->d = *d;
	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->cond, NULL);
	if (add_jobs(js, err) < 0) {
		jobs_stop(js);
		return NULL;
	}
	if (js->n == 0)
		return js;	/* nothing to watch: no thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	js->running = pthread_create(&js->thread, NULL, jobs_main, js) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!js->running) {
		co_error_set(err, "cannot start the jobs thread");
		jobs_stop(js);
		return NULL;
	}
	return js;
}

void jobs_stop(struct jobs *js)
{
	if (!js)
		return;
	if (js->running) {
		pthread_mutex_lock(&js->lock);
		js->stop = true;
		pthread_cond_broadcast(&js->cond);
		pthread_mutex_unlock(&js->lock);
		pthread_join(js->thread, NULL);
	}
	for (size_t k = 0; k < js->n; k++)
		for (int s = 0; s < 2; s++)
			if (js->job[k].curl[s])
				curl_easy_cleanup(js->job[k].curl[s]);
	free(js->job);
	pthread_mutex_destroy(&js->lock);
	pthread_cond_destroy(&js->cond);
	free(js);
}
