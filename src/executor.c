/* executor: applies confirmed plans on its own thread. For each move it
 * journals an intent (fsync'ed by journal_append) before anything changes,
 * applies the weight on every router instance, and journals one outcome per
 * instance. A move is all-or-nothing per service across the fleet: if an
 * instance fails, the instances that took the change get the old weight
 * back. A rollback plan is best effort: every instance is tried, and every
 * one that could not be reached is named. */
#include "cutover/executor.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cutover/journal.h"

struct executor {
	struct model *m;
	const struct router_driver *drv;
	struct router *r;
	struct journal *j;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool pending;
	struct plan plan;		/* the copy being run */
	bool forced;
	char reason[256];
	struct executor_progress prog;
};

static int plan_copy(struct plan *dst, const struct plan *src)
{
	*dst = *src;
	dst->moves = calloc(src->n_moves ? src->n_moves : 1, sizeof(*dst->moves));
	dst->gates = calloc(src->n_gates ? src->n_gates : 1, sizeof(*dst->gates));
	if (!dst->moves || !dst->gates) {
		free(dst->moves);
		free(dst->gates);
		memset(dst, 0, sizeof(*dst));
		return -1;
	}
	if (src->n_moves)
		memcpy(dst->moves, src->moves, src->n_moves * sizeof(*dst->moves));
	if (src->n_gates)
		memcpy(dst->gates, src->gates, src->n_gates * sizeof(*dst->gates));
	return 0;
}

static void result_add(struct executor *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result_add(struct executor *e, const char *fmt, ...)
{
	pthread_mutex_lock(&e->lock);
	size_t len = strlen(e->prog.result);
	if (len < sizeof(e->prog.result) - 1) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->prog.result + len, sizeof(e->prog.result) - len, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

static void journal_note(struct executor *e, const char *type, cJSON *payload)
{
	struct co_error err;
	if (journal_append(e->j, type, e->plan.id, payload, &err) < 0)
		fprintf(stderr, "cutover: journal: %s\n", err.msg);
	cJSON_Delete(payload);
}

static cJSON *gates_json(const struct plan *p, size_t s)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < p->n_gates; i++) {
		const struct gate_result *g = &p->gates[i];
		if (g->service != s && g->service != PLAN_WHOLE)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "gate", g->name);
		cJSON_AddStringToObject(o, "level", gate_level_name(g->level));
		cJSON_AddStringToObject(o, "detail", g->detail);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static int journal_intent(struct executor *e, const struct plan_move *mv)
{
	const char *name = e->m->cfg->services[mv->service].name;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", name);
	if (mv->from == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "from");
	else
		cJSON_AddNumberToObject(o, "from", mv->from);
	cJSON_AddNumberToObject(o, "to", mv->to);
	cJSON_AddBoolToObject(o, "rollback", e->plan.rollback);
	cJSON_AddItemToObject(o, "gates", gates_json(&e->plan, mv->service));
	cJSON_AddBoolToObject(o, "forced", e->forced);
	if (e->reason[0])
		cJSON_AddStringToObject(o, "reason", e->reason);
	struct co_error err;
	int rc = journal_append(e->j, "intent", e->plan.id, o, &err);
	cJSON_Delete(o);
	if (rc < 0) {
		result_add(e, "%s: journal refused the intent, nothing changed: %s; ", name,
			   err.msg);
		return -1;
	}
	return 0;
}

static void journal_outcome(struct executor *e, const struct plan_move *mv, const char *result,
			    const struct instance_result *res)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", e->m->cfg->services[mv->service].name);
	cJSON_AddStringToObject(o, "result", result);
	if (mv->from == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "from");
	else
		cJSON_AddNumberToObject(o, "from", mv->from);
	cJSON_AddNumberToObject(o, "to", mv->to);
	cJSON_AddStringToObject(o, "instance", res->name);
	if (!res->ok || strcmp(result, "applied") != 0)
		cJSON_AddStringToObject(o, "error", res->error);
	journal_note(e, "outcome", o);
}

static void instance_name(struct executor *e, size_t i, struct instance_result *res)
{
	if (!res->name[0]) {
		if (i < e->m->cfg->router.n_sockets)
			snprintf(res->name, sizeof(res->name), "%s", e->m->cfg->router.sockets[i].text);
		else
			snprintf(res->name, sizeof(res->name), "%s#%zu", e->drv->name, i);
	}
}

static void apply_one(struct executor *e, size_t ni, struct weight_change ch, size_t i,
		      struct instance_result *res)
{
	memset(res, 0, sizeof(*res));
	if (e->drv->apply(e->r, i, &ch, 1, res) < 0)
		res->ok = false;
	instance_name(e, i, res);
	(void)ni;
}

/* Returns true when the service reached its target everywhere (or, for a
 * rollback, wherever an instance could be reached). */
static bool run_move(struct executor *e, const struct plan_move *mv)
{
	const struct config *cfg = e->m->cfg;
	const char *name = cfg->services[mv->service].name;
	size_t ni = e->drv->n_instances(e->r);
	struct instance_result *res = calloc(ni ? ni : 1, sizeof(*res));
	if (!res) {
		result_add(e, "%s: out of memory; ", name);
		return false;
	}
	if (journal_intent(e, mv) < 0) {
		free(res);
		return false;
	}
	model_set_busy(e->m, mv->service, true);
	struct weight_change ch = { mv->service, mv->to };
	size_t failed = 0;
	for (size_t i = 0; i < ni; i++) {
		apply_one(e, ni, ch, i, &res[i]);
		if (!res[i].ok) {
			failed++;
			if (!e->plan.rollback)
				break;	/* all or nothing: put the others back */
		}
	}
	bool ok;
	struct co_error err;
	if (!failed) {
		for (size_t i = 0; i < ni; i++)
			journal_outcome(e, mv, "applied", &res[i]);
		model_set_target(e->m, mv->service, mv->to, &err);
		model_set_weight(e->m, mv->service, mv->to, &err);
		ok = true;
	} else if (e->plan.rollback) {
		for (size_t i = 0; i < ni; i++) {
			journal_outcome(e, mv, res[i].ok ? "applied" : "failed", &res[i]);
			if (!res[i].ok)
				result_add(e, "%s: %s unreachable: %s; ", name, res[i].name,
					   res[i].error);
		}
		model_set_target(e->m, mv->service, mv->to, &err);
		model_set_weight(e->m, mv->service, mv->to, &err);
		ok = false;
	} else {
		/* Which instance broke, and put back the ones before it. */
		for (size_t i = 0; i < ni; i++) {
			if (!res[i].name[0])
				continue;	/* never tried */
			if (!res[i].ok) {
				journal_outcome(e, mv, "failed", &res[i]);
				result_add(e, "%s: %s failed: %s; ", name, res[i].name, res[i].error);
				continue;
			}
			struct instance_result back;
			if (mv->from == WEIGHT_UNKNOWN) {
				memset(&back, 0, sizeof(back));
				snprintf(back.name, sizeof(back.name), "%s", res[i].name);
				snprintf(back.error, sizeof(back.error),
					 "cannot put back: the weight before was unknown (now %d)", mv->to);
				journal_outcome(e, mv, "failed", &back);
				result_add(e, "%s: %s %s; ", name, back.name, back.error);
				continue;
			}
			struct weight_change old = { mv->service, mv->from };
			apply_one(e, ni, old, i, &back);
			if (back.ok) {
				journal_outcome(e, mv, "reverted", &back);
				result_add(e, "%s: %s put back to %d; ", name, back.name,
					   mv->from);
			} else {
				journal_outcome(e, mv, "failed", &back);
				result_add(e, "%s: %s could not be put back: %s; ", name, back.name,
					   back.error);
			}
		}
		ok = false;
	}
	model_set_busy(e->m, mv->service, false);
	free(res);
	return ok;
}

static void *executor_main(void *arg)
{
	struct executor *e = arg;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->stop && !e->pending)
			pthread_cond_wait(&e->cond, &e->lock);
		if (e->stop)
			break;
		pthread_mutex_unlock(&e->lock);
		bool all_ok = true;
		for (size_t k = 0; k < e->plan.n_moves; k++) {
			if (!run_move(e, &e->plan.moves[k])) {
				all_ok = false;
				if (!e->plan.rollback)
					break;	/* stop the plan at the first service that failed */
			}
			pthread_mutex_lock(&e->lock);
			e->prog.done = k + 1;
			pthread_mutex_unlock(&e->lock);
		}
		pthread_mutex_lock(&e->lock);
		e->prog.running = false;
		e->prog.finished = true;
		e->prog.ok = all_ok;
		if (all_ok && !e->prog.result[0])
			snprintf(e->prog.result, sizeof(e->prog.result), "%zu service%s applied",
				 e->plan.n_moves, e->plan.n_moves == 1 ? "" : "s");
		e->pending = false;
		plan_done(&e->plan);
		pthread_cond_broadcast(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct executor *executor_start(struct model *m, const struct router_driver *drv,
				struct router *r, struct journal *j, struct co_error *err)
{
	struct executor *e = calloc(1, sizeof(*e));
	if (!e) {
		co_error_set(err, "out of memory starting the executor");
		return NULL;
	}
	e->m = m;
	e->drv = drv;
	e->r = r;
	e->j = j;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	if (pthread_create(&e->thread, NULL, executor_main, e) != 0) {
		co_error_set(err, "cannot start the executor thread");
		pthread_mutex_destroy(&e->lock);
		pthread_cond_destroy(&e->cond);
		free(e);
		return NULL;
	}
	return e;
}

void executor_stop(struct executor *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	while (e->pending)	/* a plan in flight is finished, never cut */
		pthread_cond_wait(&e->cond, &e->lock);
	e->stop = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	free(e);
}

int executor_submit(struct executor *e, const struct plan *p, bool force, const char *reason,
		    struct co_error *err)
{
	if (p->n_blockers && !force) {
		co_error_set(err, "plan %s has %zu blocker%s; pass --force with --reason to override",
			     p->id, p->n_blockers, p->n_blockers == 1 ? "" : "s");
		return -1;
	}
	if (force && (!reason || !reason[0])) {
		co_error_set(err, "--force needs --reason: a forced move is journaled with why");
		return -1;
	}
	pthread_mutex_lock(&e->lock);
	if (e->pending) {
		pthread_mutex_unlock(&e->lock);
		co_error_set(err, "plan %s is still running", e->prog.plan_id);
		return -1;
	}
	if (plan_copy(&e->plan, p) < 0) {
		pthread_mutex_unlock(&e->lock);
		co_error_set(err, "out of memory copying the plan");
		return -1;
	}
	e->forced = force;
	snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
	uint64_t seq = e->prog.plan_seq + 1;
	memset(&e->prog, 0, sizeof(e->prog));
	e->prog.plan_seq = seq;
	snprintf(e->prog.plan_id, sizeof(e->prog.plan_id), "%s", p->id);
	e->prog.running = true;
	e->prog.total = p->n_moves;
	e->pending = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void executor_get_progress(struct executor *e, struct executor_progress *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->prog;
	pthread_mutex_unlock(&e->lock);
}

int executor_wait(struct executor *e, int timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&e->lock);
	while (e->pending && rc == 0)
		rc = pthread_cond_timedwait(&e->cond, &e->lock, &until);
	bool done = !e->pending;
	pthread_mutex_unlock(&e->lock);
	return done ? 0 : -1;
}
