/* rollout: the rollouts' thread. Each tick it answers controls, reads a
 * snapshot, settles weight changes that finished, runs every service's
 * machine, starts what its wave and parallel bound allow, and hands the
 * executor one plan: rollbacks before anything else. */
#include "rollout_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct rollout_conf *ro_conf(const struct rollouts *r, size_t i)
{
	return &r->cfg->services[i].rollout;
}

const char *ro_name(const struct rollouts *r, size_t i)
{
	return r->cfg->services[i].name;
}

double ro_cpu_seconds(bool thread)
{
	struct timespec ts;
	clock_gettime(thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool ro_active(enum rollout_phase p)
{
	return p == ROLLOUT_PENDING || p == ROLLOUT_BAKING || p == ROLLOUT_WAITING ||
	       p == ROLLOUT_HALTED || p == ROLLOUT_PAUSED;
}

/* --- Waves ------------------------------------------------------------- */

static bool wave_open(struct rollouts *r, int w)
{
	const struct ro_run *run = &r->runs[r->waves[w].run];
	for (int k = run->first_wave; k < w; k++)
		if (!r->waves[k].complete)
			return false;
	return true;
}

/* A wave is complete when every member is done; a run when its last wave
 * is, and a release plan journals what its checks cost. */
static void settle_waves(struct rollouts *r)
{
	for (size_t w = 0; w < r->n_waves; w++) {
		if (r->waves[w].complete)
			continue;
		bool all = true, any = false;
		for (size_t i = 0; i < r->cfg->n_services && all; i++)
			if (r->s[i].wave == (int)w) {
				any = true;
				all = r->s[i].phase == ROLLOUT_DONE;
			}
		/* A wave whose every member was aborted out of it is done too. */
		r->waves[w].complete = all;
		(void)any;
	}
	for (size_t k = 0; k < r->n_runs; k++) {
		struct ro_run *run = &r->runs[k];
		if (run->ended || !r->waves[run->first_wave + run->n_waves - 1].complete)
			continue;
		run->ended = true;
		if (!run->plan)
			continue;
		size_t n = 0;
		for (size_t i = 0; i < r->cfg->n_services; i++)
			n += r->s[i].run == (int)k;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "event", "plan_completed");
		cJSON_AddStringToObject(o, "run", run->id);
		cJSON_AddNumberToObject(o, "services", (double)n);
		cJSON_AddNumberToObject(o, "checks", (double)(r->checks - run->checks_start));
		/* The autopilot's own thread: what checks and steps cost, apart
		 * from the probes and router reads every client shares. */
		if (run->cpu_start >= 0) {
			cJSON_AddNumberToObject(o, "cpu_s", ro_cpu_seconds(true) - run->cpu_start);
			cJSON_AddNumberToObject(o, "engine_cpu_s", ro_cpu_seconds(false) - run->engine_cpu_start);
		}
		ro_journal(r, NULL, NULL, o);
	}
}

static int in_flight(struct rollouts *r, int w)
{
	int n = 0;
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		enum rollout_phase p = r->s[i].phase;
		if (r->s[i].wave == w && p != ROLLOUT_PENDING && ro_active(p))
			n++;
	}
	return n;
}

static void start_pending(struct rollouts *r, uint64_t now)
{
	for (size_t w = 0; w < r->n_waves; w++) {
		if (r->waves[w].complete || !wave_open(r, (int)w))
			continue;
		int room = r->waves[w].parallel - in_flight(r, (int)w);
		for (size_t i = 0; i < r->cfg->n_services && room > 0; i++)
			if (r->s[i].wave == (int)w && r->s[i].phase == ROLLOUT_PENDING) {
				ro_begin(r, i, now);
				room--;
			}
	}
}

/* --- The executor -------------------------------------------------------- */

/* Changes whose plan ended: the executor's result when it is still the
 * one it reports, else the model's weights say whether it landed. */
static void settle_moves(struct rollouts *r, const struct executor_progress *pp, uint64_t now)
{
	const struct executor_progress p = *pp;
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct ro_svc *s = &r->s[i];
		if (!s->moving || !s->move_seq)
			continue;
		if (p.plan_seq == s->move_seq && !p.finished)
			continue;
		bool ok = p.plan_seq == s->move_seq ? p.ok : r->snap.svc[i].weight == s->move_to;
		if (!ok && r->snap.svc[i].weight == s->move_to && !r->snap.svc[i].drift)
			ok = true;	/* the plan failed elsewhere; this one landed */
		ro_landed(r, i, ok, p.plan_seq == s->move_seq ? p.result : "", now);
	}
}

static bool executor_idle(struct rollouts *r)
{
	struct executor_progress p;
	executor_get_progress(r->d.exec, &p);
	return !p.running || p.finished;
}

/* A service whose next step a gate blocks (the jobs-first gate, a router
 * gone) stays at its step, says why, and is asked again after two probe
 * intervals; the others go. A breach's way back is never held. */
static void hold_blocked(struct rollouts *r, struct plan_move *mv, size_t *n, const struct plan *p,
			 uint64_t now)
{
	size_t k = 0;
	for (size_t m = 0; m < *n; m++) {
		const struct gate_result *g = NULL;
		for (size_t x = 0; x < p->n_gates && !g; x++)
			if (p->gates[x].level == GATE_BLOCK &&
			    (p->gates[x].service == mv[m].service || p->gates[x].service == PLAN_WHOLE))
				g = &p->gates[x];
		struct ro_svc *s = &r->s[mv[m].service];
		if (!g) {
			mv[k++] = mv[m];
			continue;
		}
		s->moving = s->queued = false;
		s->held_until_ms = now + 2 * (uint64_t)r->cfg->probe.interval_ms;
		snprintf(s->last_fail, sizeof s->last_fail, "next step held: %s: %s", g->name, g->detail);
		snprintf(s->last_gate, sizeof s->last_gate, "%s", g->name);
	}
	*n = k;
}

static size_t collect(struct rollouts *r, bool rollback, struct plan_move *mv)
{
	size_t n = 0;
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct ro_svc *s = &r->s[i];
		if (s->queued && s->move_rollback == rollback)
			mv[n++] = (struct plan_move){ i, r->snap.svc[i].weight, s->move_to };
	}
	return n;
}

/* One plan of every queued change of one kind, announced in the journal
 * before the executor's own intents follow. */
static void submit(struct rollouts *r, bool rollback, uint64_t now)
{
	struct plan_move *mv = calloc(r->cfg->n_services + 1, sizeof *mv);
	size_t n = mv ? collect(r, rollback, mv) : 0;
	struct plan p;
	struct co_error err;
	if (!n || plan_build_moves(&r->snap, mv, n, rollback, &p, &err) < 0) {
		free(mv);
		return;
	}
	if (!rollback && p.n_blockers) {
		hold_blocked(r, mv, &n, &p, now);
		plan_done(&p);
		if (!n || plan_build_moves(&r->snap, mv, n, false, &p, &err) < 0) {
			free(mv);
			return;
		}
	}
	for (size_t k = 0; !rollback && k < n; k++)
		if (!r->s[mv[k].service].announced) {	/* once, however often it is retried */
			ro_journal_advancing(r, mv[k].service);
			r->s[mv[k].service].announced = true;
		}
	ro_journal_flush(r);
	snprintf(p.actor, sizeof p.actor, "%s", ROLLOUT_ACTOR);
	/* A breach goes back whatever blocks it (blue said down, a router
	 * lost), and says so; an unblocked way back is no forced move. */
	bool forced = rollback && p.n_blockers > 0;
	int rc = executor_submit(r->d.exec, &p, forced,
				 forced ? "rollout breach: back to blue over a blocking gate" : NULL, &err);
	struct executor_progress prog;
	executor_get_progress(r->d.exec, &prog);
	for (size_t k = 0; rc == 0 && k < n; k++) {
		struct ro_svc *s = &r->s[mv[k].service];
		s->queued = false;
		s->move_seq = prog.plan_seq;
	}
	plan_done(&p);
	free(mv);
}

/* --- The model ----------------------------------------------------------- */

/* A service its wave waits on in vain: the waves after it never start
 * until a human starts it again or aborts it out of the wave. */
bool ro_blocks_plan(const struct rollouts *r, size_t i)
{
	const struct ro_svc *s = &r->s[i];
	if (s->wave < 0 || (s->phase != ROLLOUT_ROLLED_BACK && s->phase != ROLLOUT_HALTED))
		return false;
	const struct ro_run *run = &r->runs[s->run];
	return s->wave < run->first_wave + run->n_waves - 1;
}

static void publish(struct rollouts *r, uint64_t now)
{
	for (size_t i = 0; i < r->cfg->n_services; i++) {
		struct ro_svc *s = &r->s[i];
		const struct rollout_conf *rc = ro_conf(r, i);
		struct rollout_view v = { 0 };
		v.bake_left_ms = -1;
		if (s->phase != ROLLOUT_NONE) {
			v.phase = (uint8_t)s->phase;
			v.step = (uint8_t)(s->step + 1 > 255 ? 255 : s->step + 1);
			v.steps = (uint8_t)(rc->n_steps > 255 ? 255 : rc->n_steps);
			v.moving = s->moving;
			v.blocks_plan = ro_blocks_plan(r, i);
			v.held = !s->moving && now < s->held_until_ms;
			v.failed = (int16_t)s->failed;
			v.max_failed = (int16_t)rc->max_failed_checks;
			v.wave = (int16_t)(s->wave >= 0 ? s->wave - r->runs[s->run].first_wave + 1 : 0);
			bool baking = (s->phase == ROLLOUT_BAKING || s->phase == ROLLOUT_PAUSED) &&
				      !s->moving && s->step >= 0;
			if (baking) {
				int64_t left = rc->steps[s->step].bake_ms - s->baked_ms;
				/* Whole 100 ms, so the model changes ten times a second at most. */
				v.bake_left_ms = left > 0 ? (int32_t)(left / 100 * 100) : 0;
			}
			snprintf(v.last_check, sizeof v.last_check, "%s", s->last_fail);
		}
		if (memcmp(&v, &s->shown, sizeof v) != 0) {
			s->shown = v;
			model_set_rollout(r->d.m, i, &v);
		}
	}
}

/* --- The thread ---------------------------------------------------------- */

static void tick(struct rollouts *r, uint64_t now)
{
	/* Progress before the snapshot: the executor sets the model's weights
	 * before it says a plan finished, so a finished plan's weights are in
	 * the snapshot (the other order sees a landed move with its old
	 * weight, and takes it for a hand move). */
	struct executor_progress prog;
	executor_get_progress(r->d.exec, &prog);
	if (model_snapshot(r->d.m, &r->snap) < 0)
		return;
	/* Nothing is decided before the router was read: a restart must know
	 * where the weights really are. */
	if (!r->snap.router_known) {
		ro_controls_run(r, now, false);
		return;
	}
	if (!r->restored) {
		ro_restore_settle(r, now);
		r->restored = true;
	}
	ro_controls_run(r, now, true);
	settle_moves(r, &prog, now);
	for (size_t i = 0; i < r->cfg->n_services; i++)
		if (ro_active(r->s[i].phase))
			ro_step_service(r, i, now);
	settle_waves(r);
	start_pending(r, now);
	ro_journal_flush(r);
	if (executor_idle(r)) {
		submit(r, true, now);
		if (executor_idle(r))
			submit(r, false, now);
	}
	publish(r, now);
	ro_clock_save(r, now);
}

static void wait_tick(struct rollouts *r)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ROLLOUT_TICK_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&r->lock);
	while (!r->stop && !r->controls)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&r->lock);
}

static void *rollouts_main(void *arg)
{
	struct rollouts *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		bool stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			break;
		tick(r, monotonic_ms());
		wait_tick(r);
	}
	return NULL;
}

struct rollouts *rollouts_start(const struct config *cfg, const struct rollouts_deps *d,
				struct co_error *err)
{
	struct rollouts *r = calloc(1, sizeof *r);
	if (r)
		r->s = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *r->s);
	if (!r || !r->s) {
		free(r);
		co_error_set(err, "out of memory starting rollouts");
		return NULL;
	}
	r->cfg = cfg;
	r->d = *d;
	for (size_t i = 0; i < cfg->n_services; i++)
		r->s[i] = (struct ro_svc){ .step = -1, .run = -1, .wave = -1, .expect_weight = -1 };
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->answered, NULL);
	ro_restore_read(r);
	if (pthread_create(&r->thread, NULL, rollouts_main, r) != 0) {
		co_error_set(err, "cannot start the rollouts' thread");
		r->running = false;
		rollouts_free(r);
		return NULL;
	}
	r->running = true;
	return r;
}

void rollouts_stop(struct rollouts *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->running) {
		pthread_join(r->thread, NULL);
		ro_clock_save(r, UINT64_MAX);	/* a clean stop loses no bake time */
	}
	r->running = false;
	/* Controls still waiting are told the engine stops. */
	pthread_mutex_lock(&r->lock);
	for (struct ro_control *c = r->controls; c; c = c->next) {
		c->code = 503;
		c->done = true;
	}
	r->controls = NULL;
	pthread_cond_broadcast(&r->answered);
	pthread_mutex_unlock(&r->lock);
}

void rollouts_free(struct rollouts *r)
{
	if (!r)
		return;
	rollouts_stop(r);
	for (size_t i = 0; i < r->cfg->n_services; i++)
		cJSON_Delete(r->s[i].last_figures);
	ro_journal_flush(r);
	free(r->pending);
	snapshot_done(&r->snap);
	free(r->s);
	free(r->waves);
	free(r->runs);
	pthread_cond_destroy(&r->answered);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

uint64_t rollouts_checks(struct rollouts *r)
{
	pthread_mutex_lock(&r->lock);
	uint64_t n = r->checks;
	pthread_mutex_unlock(&r->lock);
	return n;
}

cJSON *rollouts_status_json(struct rollouts *r)
{
	cJSON *o = NULL;
	if (rollouts_control(r, NULL, NULL, &o) != 200) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
		cJSON_AddArrayToObject(o, "services");
		cJSON_AddArrayToObject(o, "needs_you");
	}
	return o;
}
