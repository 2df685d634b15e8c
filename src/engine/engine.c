/* engine: start, stop and the parts the engine owns (see engine.h). */
#include "engine_private.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/api.h"
#include "cutover/journal_targets.h"
#include "cutover/recovery.h"

#define ROUTER_POLL_MS 1000

static void report(struct engine *e, const char *line)
{
	if (e->opts.report)
		e->opts.report(line, e->opts.report_ctx);
}

static void on_recovered(const char *line, void *ctx)
{
	struct engine *e = ctx;
	report(e, line);
	engine_notice(e, "%s", line);
}

/* Workers are started with the signals a front end handles blocked, so
 * they reach its main thread only. */
static int workers_start(struct engine *e, struct co_error *err)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = -1;
	e->prober = prober_start(&e->m, err);
	if (!e->prober)
		goto out;
	e->drv = router_driver_for(e->cfg->router.driver);
	e->router = e->drv ? e->drv->open(e->cfg, err) : NULL;
	if (!e->router)
		goto out;
	e->poller = router_poller_start(&e->m, e->drv, e->router, ROUTER_POLL_MS, err);
	if (!e->poller)
		goto out;
	rc = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* A crash left intents open: one router pass, then reconcile them. */
static int recover(struct engine *e, struct co_error *err)
{
	int need = recovery_needed(e->j, err);
	if (need <= 0)
		return need;
	struct router_view view = { 0 };
	int rc = -1;
	if (router_observe_all(e->drv, e->router, e->cfg, &view, err) == 0 &&
	    recovery_run(e->j, e->cfg, &view, on_recovered, e, err) >= 0)
		rc = 0;
	router_view_done(&view);
	return rc;
}

/* How the engine before this one ended, from its last "engine" record. */
struct last_engine {
	char event[16], why[200], time[40], actor[128];
	long pid;
};

static int find_last_engine(const cJSON *rec, long line, void *ctx)
{
	struct last_engine *le = ctx;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "type");
	if (!cJSON_IsString(t) || strcmp(t->valuestring, "engine") != 0)
		return 0;
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(rec, "event");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(rec, "why");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(rec, "time");
	const cJSON *ac = cJSON_GetObjectItemCaseSensitive(rec, "actor");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	snprintf(le->event, sizeof le->event, "%s", cJSON_IsString(ev) ? ev->valuestring : "");
	snprintf(le->why, sizeof le->why, "%s", cJSON_IsString(why) ? why->valuestring : "");
	snprintf(le->time, sizeof le->time, "%s", cJSON_IsString(tm) ? tm->valuestring : "");
	snprintf(le->actor, sizeof le->actor, "%s", cJSON_IsString(ac) ? ac->valuestring : "");
	le->pid = cJSON_IsNumber(pid) ? (long)pid->valuedouble : 0;
	return 0;
}

/* Says how the last engine ended: a stop with its reason, or none at all
 * (it was killed: recovery above has reconciled what it left). */
static void tell_last_stop(struct engine *e)
{
	struct last_engine le = { 0 };
	struct co_error err;
	if (journal_read(journal_path(e->j), find_last_engine, &le, &err) < 0 || !le.event[0])
		return;
	if (strcmp(le.event, "stop") == 0)
		engine_notice(e, "the last engine (%s, pid %ld) stopped at %s: %s", le.actor, le.pid,
			      le.time, le.why);
	else
		engine_notice(e, "the last engine (%s, pid %ld, started %s) ended without a stop "
			      "record (killed or crashed); the journal was checked for open intents",
			      le.actor, le.pid, le.time);
	report(e, e->notices[(e->notice_seq - 1) % ENGINE_NOTICES_KEPT].text);
}

static void journal_engine(struct engine *e, const char *event, const char *why)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "mode", e->opts.hosted ? "hosted by a console" : "serve");
	if (why)
		cJSON_AddStringToObject(o, "why", why);
	cJSON_AddStringToObject(o, "note", why ? why : e->opts.hosted ? "engine started in a console"
									: "engine started (serve)");
	struct co_error err;
	if (journal_append(e->j, "engine", NULL, o, &err) < 0)
		report(e, err.msg);
	cJSON_Delete(o);
}

static int open_journal(struct engine *e, struct co_error *err)
{
	e->j = journal_open(e->cfg->state_dir, e->cfg->release, err);
	if (!e->j)
		return -1;
	snprintf(e->actor, sizeof e->actor, "%s", journal_actor(e->j));
	if (recover(e, err) < 0)
		return -1;
	tell_last_stop(e);
	/* After recover(): its outcomes are the latest targets. */
	journal_seed_targets(journal_path(e->j), e->cfg, &e->m, err);
	journal_engine(e, "start", NULL);
	e->started_journaled = true;
	return 0;
}

/* Rollouts and alerts: they need the journal (read back) and the executor. */
static int autopilot_start(struct engine *e, struct co_error *err)
{
	if (!(e->alerts = alerts_start(e->cfg, err)))
		return -1;
	char *clock = journal_state_path(e->cfg->state_dir, e->cfg->release, "rollout-clocks.json", err);
	if (!clock)
		return -1;
	struct jobs_deps jd = { &e->m, e->j, e->alerts, true };
	if (!(e->jobs = jobs_start(e->cfg, &jd, err))) {
		free(clock);
		return -1;
	}
	struct executor_gate g = { jobs_handoff_wait, jobs_handoff_took, e->jobs };
	executor_set_gate(e->exec, &g);
	struct rollouts_deps d = { &e->m, e->exec, e->j, e->alerts, clock };
	e->rollouts = rollouts_start(e->cfg, &d, err);
	free(e->clock_path);
	e->clock_path = clock;	/* the rollouts keep the pointer */
	return e->rollouts ? 0 : -1;
}

static int take_lock(struct engine *e, struct lock_owner *holder, struct co_error *err)
{
	int lr = lock_acquire(e->cfg->state_dir, e->cfg->release,
			      e->opts.command ? e->opts.command : "cutover serve", &e->lk, holder, err);
	if (lr == 1)
		co_error_set(err, "an engine or another cutover already runs for release %s: %s "
			     "(pid %ld) since %s: %s", e->cfg->release, holder->actor, holder->pid,
			     holder->since, holder->command);
	return lr;
}

int engine_start(const struct config *cfg, const struct engine_opts *o, struct engine **out,
		 struct lock_owner *holder, struct co_error *err)
{
	if (api_check_opts(o, err) < 0)
		return ENGINE_FAILED;	/* before the lock, the journal, a probe */
	struct engine *e = calloc(1, sizeof *e);
	struct lock_owner scratch;
	if (!e) {
		co_error_set(err, "out of memory");
		return ENGINE_FAILED;
	}
	e->cfg = cfg;
	e->opts = *o;
	e->started_ms = monotonic_ms();
	e->next_client = 1;
	pthread_mutex_init(&e->lock, NULL);
	int lr = take_lock(e, holder ? holder : &scratch, err);
	if (lr != 0) {
		pthread_mutex_destroy(&e->lock);
		free(e);
		return lr == 1 ? ENGINE_BUSY : ENGINE_FAILED;
	}
	if (model_init(&e->m, cfg, err) < 0)
		goto fail;
	e->model_ok = true;
	if (!(e->hub = hub_new(4u << 20))) {
		co_error_set(err, "out of memory");
		goto fail;
	}
	if (workers_start(e, err) < 0 || open_journal(e, err) < 0)
		goto fail;
	if (!(e->exec = executor_start(&e->m, e->drv, e->router, e->j, err)))
		goto fail;
	if (autopilot_start(e, err) < 0)
		goto fail;
	if (engine_publish_start(e, err) < 0 || api_start(e, &e->opts, &e->api, err) < 0)
		goto fail;
	*out = e;
	return ENGINE_OK;
fail:;
	/* Once a start is journaled, so is its end: the next engine must not
	 * take a refused start for a crash. */
	char why[sizeof err->msg + 32];
	snprintf(why, sizeof why, "start failed: %s", err->msg);
	engine_stop(e, e->started_journaled ? why : NULL);
	return ENGINE_FAILED;
}

void engine_stop(struct engine *e, const char *why)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;	/* no new plan from here on */
	pthread_mutex_unlock(&e->lock);
	rollouts_stop(e->rollouts);	/* no new step either */
	if (e->exec)	/* a plan in flight finishes first; one waiting for a gap is let go */
		while (executor_wait(e->exec, 200) < 0)
			executor_cancel(e->exec, NULL, &(struct co_error){ 0 });
	if (e->j && why)
		journal_engine(e, "stop", why);
	char last[400];
	snprintf(last, sizeof last, "event: bye\ndata: {\"reason\":\"engine stopped: %s\"}\n\n",
		 why ? why : "start failed");
	if (e->hub)
		hub_close_all(e->hub, last);
	/* The readers get their last event before the connections close. */
	for (int i = 0; i < 20 && e->hub && hub_clients(e->hub); i++)
		usleep(10000);
	api_stop(e->api);
	engine_publish_stop(e);
	executor_stop(e->exec);
	jobs_stop(e->jobs);
	rollouts_free(e->rollouts);
	alerts_stop(e->alerts);
	router_poller_stop(e->poller);
	if (e->router)
		e->drv->close(e->router);
	prober_stop(e->prober);
	journal_close(e->j);
	hub_free(e->hub);
	if (e->model_ok)
		model_done(&e->m);
	for (size_t i = 0; i < ENGINE_PLANS_KEPT; i++) {
		plan_request_done(&e->plans[i].rq);
		plan_done(&e->plans[i].plan);
	}
	lock_release(e->lk);
	pthread_mutex_destroy(&e->lock);
	free(e->clock_path);
	free(e);
}

const struct config *engine_config(const struct engine *e)
{
	return e->cfg;
}

struct model *engine_model(struct engine *e)
{
	return &e->m;
}

const char *engine_socket_path(const struct engine *e)
{
	return api_socket_path(e->api);
}

const char *engine_actor(const struct engine *e)
{
	return e->actor;
}

const char *engine_journal_path(const struct engine *e)
{
	return journal_path(e->j);
}

struct hub *engine_hub(struct engine *e)
{
	return e->hub;
}

uint64_t engine_client_id(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	uint64_t id = e->next_client++;
	pthread_mutex_unlock(&e->lock);
	return id;
}

uint64_t engine_hosted_client(struct engine *e)
{
	uint64_t id = engine_client_id(e);
	pthread_mutex_lock(&e->lock);
	e->hosted_client = id;
	pthread_mutex_unlock(&e->lock);
	return id;
}

void engine_counters(struct engine *e, struct engine_counters *out)
{
	memset(out, 0, sizeof *out);
	struct prober_counters pc;
	prober_get_counters(e->prober, &pc);
	out->probes_total = pc.probes;
	out->probe_failures_total = pc.failures;
	pthread_mutex_lock(&e->lock);
	out->plans_applied_total = e->plans_applied;
	out->plans_failed_total = e->plans_failed;
	out->probe_rate = e->probe_rate;
	pthread_mutex_unlock(&e->lock);
	out->clients = (int)hub_clients(e->hub);
	if (e->rollouts)
		out->rollout_checks_total = rollouts_checks(e->rollouts);
	struct alert_counters ac;
	alerts_get_counters(e->alerts, &ac);
	out->alerts_posted_total = ac.posted;
	out->alerts_delivered_total = ac.delivered;
	out->alerts_failed_total = ac.failed;
	out->alerts_dropped_total = ac.dropped;
	out->uptime_s = (double)(monotonic_ms() - e->started_ms) / 1000.0;
}

void engine_notice(struct engine *e, const char *fmt, ...)
{
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&e->lock);
	struct engine_notice_rec *n = &e->notices[e->notice_seq % ENGINE_NOTICES_KEPT];
	n->seq = ++e->notice_seq;
	snprintf(n->text, sizeof n->text, "%s", text);
	pthread_mutex_unlock(&e->lock);
	if (!e->hub)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "text", text);
	size_t len;
	char *ev = engine_event_text(e, "notice", o, &len);
	if (ev)
		hub_broadcast(e->hub, ev, len);
	free(ev);
	cJSON_Delete(o);
}

uint64_t engine_notice_since(struct engine *e, uint64_t seq, char *out, size_t cap)
{
	pthread_mutex_lock(&e->lock);
	uint64_t got = seq;
	if (e->notice_seq > seq) {
		const struct engine_notice_rec *n = &e->notices[(e->notice_seq - 1) % ENGINE_NOTICES_KEPT];
		snprintf(out, cap, "%s", n->text);
		got = n->seq;
	}
	pthread_mutex_unlock(&e->lock);
	return got;
}
