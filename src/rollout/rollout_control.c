/* rollout_control: what people ask of the autopilot (start, pause,
 * resume, abort, promote, status), queued by any thread and carried out on
 * the rollouts' own, which alone touches their state. */
#include "rollout_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTROL_WAIT_S 10

int ro_new_run(struct rollouts *r, bool plan)
{
	if (r->n_runs == r->cap_runs) {
		size_t cap = r->cap_runs ? r->cap_runs * 2 : 8;
		struct ro_run *v = realloc(r->runs, cap * sizeof *v);
		if (!v)
			return -1;
		r->runs = v;
		r->cap_runs = cap;
	}
	struct ro_run *run = &r->runs[r->n_runs];
	memset(run, 0, sizeof *run);
	char t[40];
	journal_time_iso(t, sizeof t);
	snprintf(run->id, sizeof run->id, "r-%.19s-%u", t, ++r->id_counter);
	run->plan = plan;
	run->first_wave = (int)r->n_waves;
	run->cpu_start = ro_cpu_seconds(true);
	run->engine_cpu_start = ro_cpu_seconds(false);
	run->checks_start = r->checks;
	return (int)r->n_runs++;
}

int ro_new_wave(struct rollouts *r, int run, int parallel)
{
	if (r->n_waves == r->cap_waves) {
		size_t cap = r->cap_waves ? r->cap_waves * 2 : 8;
		struct ro_wave *v = realloc(r->waves, cap * sizeof *v);
		if (!v)
			return -1;
		r->waves = v;
		r->cap_waves = cap;
	}
	r->waves[r->n_waves] = (struct ro_wave){ .run = run, .parallel = parallel > 0 ? parallel : 1 };
	r->runs[run].n_waves++;
	return (int)r->n_waves++;
}

/* --- Answers ------------------------------------------------------------- */

cJSON *ro_answer(cJSON *arr, const char *svc, const char *result, const char *detail)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", svc);
	cJSON_AddStringToObject(o, "result", result);
	cJSON_AddStringToObject(o, "detail", detail);
	cJSON_AddItemToArray(arr, o);
	return o;
}

static cJSON *error_json(const char *msg, int code)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddNumberToObject(o, "code", code);
	return o;
}

/* --- Status -------------------------------------------------------------- */

static cJSON *service_status(struct rollouts *r, size_t i)
{
	const struct ro_svc *s = &r->s[i];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", ro_name(r, i));
	cJSON *v = state_rollout_json(&s->shown);
	for (cJSON *c = v->child; c; c = c->next)
		if (strcmp(c->string, "last_failed_check") != 0)
			cJSON_AddItemToObject(o, c->string, cJSON_Duplicate(c, true));
	cJSON_Delete(v);
	int w = r->snap.n > i ? r->snap.svc[i].weight : WEIGHT_UNKNOWN;
	if (w == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "weight");
	else
		cJSON_AddNumberToObject(o, "weight", w);
	if (!s->last_fail[0]) {
		cJSON_AddNullToObject(o, "last_failed_check");
		return o;
	}
	cJSON *lf = cJSON_AddObjectToObject(o, "last_failed_check");
	cJSON_AddStringToObject(lf, "gate", s->last_gate[0] ? s->last_gate : "");
	cJSON_AddStringToObject(lf, "detail", s->last_fail);
	if (s->last_figures)
		cJSON_AddItemToObject(lf, "figures", cJSON_Duplicate(s->last_figures, true));
	return o;
}

cJSON *ro_status_json(struct rollouts *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "services");
	cJSON *needs = cJSON_AddArrayToObject(o, "needs_you");
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		enum rollout_phase p = r->s[i].phase;
		if (p == ROLLOUT_NONE)
			continue;
		cJSON_AddItemToArray(arr, service_status(r, i));
		if (p == ROLLOUT_WAITING || p == ROLLOUT_HALTED || ro_blocks_plan(r, i))
			cJSON_AddItemToArray(needs, cJSON_CreateString(ro_name(r, i)));
	}
	cJSON_AddNumberToObject(o, "checks", (double)r->checks);
	if (r->journal_error[0])	/* loud: a restart would not know what this did */
		cJSON_AddStringToObject(o, "journal_error", r->journal_error);
	return o;
}

/* --- The actions ----------------------------------------------------------- */

static void control_record(struct ro_act *a, size_t i, const char *event, bool full)
{
	cJSON *o = ro_record(a->r, i, event);
	if (a->rq->action == ROLLOUT_PROMOTE)
		cJSON_AddBoolToObject(o, "full", full);
	ro_journal(a->r, a->actor, NULL, o);
}

static void do_pause(struct ro_act *a, size_t i)
{
	struct ro_svc *s = &a->r->s[i];
	if (!ro_active(s->phase) || s->phase == ROLLOUT_PAUSED) {
		ro_answer(a->refused, ro_name(a->r, i), "refused", s->phase == ROLLOUT_PAUSED ? "paused already" : "no rollout running");
		return;
	}
	s->before_pause = s->phase;
	s->phase = ROLLOUT_PAUSED;
	control_record(a, i, "paused", false);
	ro_answer(a->done, ro_name(a->r, i), "paused", "no step and no check counts until resume");
}

static void do_resume(struct ro_act *a, size_t i)
{
	struct ro_svc *s = &a->r->s[i];
	if (s->phase != ROLLOUT_PAUSED && s->phase != ROLLOUT_HALTED) {
		ro_answer(a->refused, ro_name(a->r, i), "refused", "neither paused nor halted");
		return;
	}
	if (s->phase == ROLLOUT_PAUSED && s->before_pause != ROLLOUT_HALTED) {
		s->phase = s->before_pause;
		s->bake_tick_ms = a->now;	/* the paused time does not count as baked */
		control_record(a, i, "resumed", false);
		ro_answer(a->done, ro_name(a->r, i), "resumed", rollout_phase_name(s->phase));
		return;
	}
	/* A halt resumed: the human accepts what breached; the step bakes
	 * again from zero with a clean count. */
	s->failed = 0;
	s->last_fail[0] = '\0';
	s->expect_weight = a->r->snap.svc[i].weight;
	control_record(a, i, "resumed", false);
	if (s->step >= 0 && !ro_conf(a->r, i)->steps[s->step].pause)
		ro_bake_start(a->r, i, 0, a->now);
	else
		s->phase = ROLLOUT_BAKING;	/* the machine takes the next step */
	ro_answer(a->done, ro_name(a->r, i), "resumed", "the step bakes again from zero");
}

static void do_abort(struct ro_act *a, size_t i)
{
	struct ro_svc *s = &a->r->s[i];
	if (s->phase == ROLLOUT_ROLLED_BACK && s->wave >= 0) {
		/* Given up: its wave goes on without it. */
		bool blocked = ro_blocks_plan(a->r, i);
		s->wave = -1;
		control_record(a, i, "aborted", false);
		ro_answer(a->done, ro_name(a->r, i), "aborted",
			  blocked ? "taken out of its wave: the next wave may start" : "taken out of its wave");
		return;
	}
	if (!ro_active(s->phase)) {
		ro_answer(a->refused, ro_name(a->r, i), "refused", "no rollout running");
		return;
	}
	control_record(a, i, "aborted", false);
	s->wave = -1;		/* out of its wave: the wave cannot complete without it */
	if (a->r->snap.svc[i].weight == 0 && !s->moving) {
		s->phase = ROLLOUT_ROLLED_BACK;
		ro_journal(a->r, a->actor, NULL, ro_record(a->r, i, "rolled_back"));
		ro_answer(a->done, ro_name(a->r, i), "aborted", "at 0 already");
		return;
	}
	s->phase = ROLLOUT_BAKING;
	s->moving = false;	/* a change in flight ends; the way back follows it */
	ro_queue_move(a->r, i, s->step < 0 ? 0 : s->step, true);
	cJSON *o = ro_record(a->r, i, "rolled_back");
	cJSON_AddNumberToObject(o, "step", s->step + 1);
	cJSON_AddNumberToObject(o, "from", a->r->snap.svc[i].weight);
	ro_journal(a->r, a->actor, NULL, o);
	ro_alert(a->r, ALERT_ROLLED_BACK, i, "aborted: back to blue", NULL);
	ro_answer(a->done, ro_name(a->r, i), "aborted", "going back to 0");
}

static void do_promote(struct ro_act *a, size_t i)
{
	struct ro_svc *s = &a->r->s[i];
	enum rollout_phase p = s->phase;
	if (p != ROLLOUT_BAKING && p != ROLLOUT_WAITING && p != ROLLOUT_HALTED) {
		ro_answer(a->refused, ro_name(a->r, i), "refused",
			  p == ROLLOUT_PAUSED ? "paused: resume first"
			  : p == ROLLOUT_PENDING ? "not started yet: its wave (or a parallel slot) waits"
			  : "no rollout running");
		return;
	}
	s->promote = true;
	s->promote_full = s->promote_full || a->rq->full;
	control_record(a, i, "promoted", a->rq->full);
	if (p == ROLLOUT_WAITING || p == ROLLOUT_HALTED) {
		s->failed = p == ROLLOUT_HALTED ? 0 : s->failed;
		s->expect_weight = a->r->snap.svc[i].weight;
		s->phase = ROLLOUT_BAKING;
		s->checked = s->last_ok = true;
		s->baked_ms = s->step >= 0 ? ro_conf(a->r, i)->steps[s->step].bake_ms : 0;
	}
	ro_answer(a->done, ro_name(a->r, i), "promoted", a->rq->full ? "every bake and pause left is skipped" : "this bake or pause is skipped");
}

static void run_one(struct rollouts *r, struct ro_control *c, uint64_t now)
{
	if (!c->rq) {
		c->out = ro_status_json(r);
		c->code = 200;
		return;
	}
	struct ro_act a = { r, c->rq, c->actor, now, cJSON_CreateArray(), cJSON_CreateArray() };
	size_t *svc = NULL, n = 0;
	struct co_error err;
	if (!c->rq->plan && plan_resolve_targets(r->cfg, c->rq->targets, c->rq->n_targets, &svc, &n, &err) < 0) {
		c->out = error_json(err.msg, 400);
		c->code = 400;
		cJSON_Delete(a.done);
		cJSON_Delete(a.refused);
		return;
	}
	if (c->rq->action == ROLLOUT_START)
		ro_start(&a, svc, n);
	for (size_t k = 0; c->rq->action != ROLLOUT_START && k < n; k++) {
		void (*fn)(struct ro_act *, size_t) = c->rq->action == ROLLOUT_PAUSE ? do_pause
			: c->rq->action == ROLLOUT_RESUME ? do_resume
			: c->rq->action == ROLLOUT_ABORT ? do_abort : do_promote;
		fn(&a, svc[k]);
	}
	free(svc);
	c->out = cJSON_CreateObject();
	cJSON_AddStringToObject(c->out, "action", rollout_action_name(c->rq->action));
	cJSON_AddBoolToObject(c->out, "dry_run", c->rq->dry_run);
	bool none = cJSON_GetArraySize(a.done) == 0 && cJSON_GetArraySize(a.refused) > 0;
	cJSON_AddItemToObject(c->out, "services", a.done);
	cJSON_AddItemToObject(c->out, "refused", a.refused);
	c->code = none ? 409 : 200;
}

void ro_controls_run(struct rollouts *r, uint64_t now, bool ready)
{
	pthread_mutex_lock(&r->lock);
	struct ro_control *list = r->controls;
	r->controls = NULL;
	pthread_mutex_unlock(&r->lock);
	for (struct ro_control *c = list; c; c = c->next)
		if (ready || !c->rq) {
			run_one(r, c, now);
		} else {
			c->out = error_json("the router has not been read yet: rollouts wait for it", 503);
			c->code = 503;
		}
	ro_journal_flush(r);	/* what was answered is on disk */
	pthread_mutex_lock(&r->lock);
	for (struct ro_control *c = list; c; c = c->next)
		c->done = true;
	pthread_cond_broadcast(&r->answered);
	pthread_mutex_unlock(&r->lock);
}

int rollouts_control(struct rollouts *r, const struct rollout_request *rq, const char *actor,
		     cJSON **out)
{
	struct ro_control c = { .rq = rq, .actor = actor };
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CONTROL_WAIT_S;
	pthread_mutex_lock(&r->lock);
	if (r->stop) {
		pthread_mutex_unlock(&r->lock);
		*out = error_json("the engine is stopping", 503);
		return 503;
	}
	c.next = r->controls;
	r->controls = &c;
	pthread_cond_signal(&r->cond);
	while (!c.done)
		if (pthread_cond_timedwait(&r->answered, &r->lock, &until) != 0 && !c.done) {
			/* Still queued: take it back. Taken: it is running, wait. */
			struct ro_control **pp = &r->controls;
			while (*pp && *pp != &c)
				pp = &(*pp)->next;
			if (*pp) {
				*pp = c.next;
				pthread_mutex_unlock(&r->lock);
				*out = error_json("the rollouts did not answer in time (the router was never read?)", 503);
				return 503;
			}
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
		}
	pthread_mutex_unlock(&r->lock);
	*out = c.out ? c.out : error_json("the engine is stopping", 503);
	return c.code ? c.code : 503;
}
