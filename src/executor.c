/* executor: applies confirmed plans on its own thread. For each move it
 * journals an intent (fsync'ed) before anything changes, applies the weight
 * on every router instance at once, and journals one outcome per instance.
 * A move is all-or-nothing per service across the fleet: if an instance
 * fails, the instances that took the change get the old weight back. A
 * rollback plan is best effort and runs as one batch (executor_rollback.c). */
#include "cutover/executor.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cutover/fanout.h"
#include "cutover/journal.h"
#include "executor_private.h"

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

void executor_result_add(struct executor *e, const char *fmt, ...)
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
	if (journal_append_as(e->j, e->plan.actor, type, e->plan.id, payload, &err) < 0)
		fprintf(stderr, "cutover: journal: %s\n", err.msg);
	cJSON_Delete(payload);
}

/* A weight as a raw JSON integer: cJSON prints every number through
 * sprintf("%1.15g") and reads it back with sscanf to check the precision,
 * which was a fifth of journaling a rollback's thousands of records. A
 * weight is an int 0..100 (or unknown: null), so "%d" is exact. */
static void add_weight(cJSON *o, const char *key, int w)
{
	char text[16];
	if (w == WEIGHT_UNKNOWN) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	snprintf(text, sizeof(text), "%d", w);
	cJSON_AddRawToObject(o, key, text);
}

cJSON *executor_intent_json(const struct executor *e, const struct plan_move *mv)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", e->m->cfg->services[mv->service].name);
	add_weight(o, "from", mv->from);
	add_weight(o, "to", mv->to);
	cJSON_AddBoolToObject(o, "rollback", e->plan.rollback);
	cJSON_AddItemToObject(o, "gates", plan_gates_json(&e->plan, mv->service, true));
	cJSON_AddBoolToObject(o, "forced", e->forced);
	if (e->reason[0])
		cJSON_AddStringToObject(o, "reason", e->reason);
	return o;
}

cJSON *executor_outcome_json(const struct executor *e, const struct plan_move *mv,
			   const char *result, const struct instance_result *res)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "service", e->m->cfg->services[mv->service].name);
	cJSON_AddStringToObject(o, "result", result);
	add_weight(o, "from", mv->from);
	add_weight(o, "to", mv->to);
	cJSON_AddStringToObject(o, "instance", res->name);
	if (!res->ok || strcmp(result, "applied") != 0)
		cJSON_AddStringToObject(o, "error", res->error);
	return o;
}

static void journal_outcome(struct executor *e, const struct plan_move *mv, const char *result,
			    const struct instance_result *res)
{
	journal_note(e, "outcome", executor_outcome_json(e, mv, result, res));
}

void executor_batch_add(struct executor_batch *b, const char *type, const char *plan,
			cJSON *payload)
{
	if (!b->oom && b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct journal_entry *v = realloc(b->v, cap * sizeof(*v));
		if (v)
			b->v = v;
		cJSON **pl = v ? realloc(b->payload, cap * sizeof(*pl)) : NULL;
		if (pl)
			b->payload = pl;
		if (!v || !pl)
			b->oom = true;
		else
			b->cap = cap;
	}
	if (b->oom || !payload) {
		b->oom = true;
		cJSON_Delete(payload);
		return;
	}
	b->v[b->n] = (struct journal_entry){ type, plan, payload, NULL };
	b->payload[b->n++] = payload;
}

/* Journals the batch and frees it. -1 with err when nothing was recorded. */
int executor_batch_flush(struct executor *e, struct executor_batch *b, struct co_error *err)
{
	int rc = 0;
	if (b->oom) {
		co_error_set(err, "out of memory building %zu journal records", b->n);
		rc = -1;
	} else {
		for (size_t i = 0; i < b->n; i++)
			b->v[i].actor = e->plan.actor;
		rc = journal_append_many(e->j, b->v, b->n, err);
	}
	for (size_t i = 0; i < b->n; i++)
		cJSON_Delete(b->payload[i]);
	free(b->v);
	free(b->payload);
	memset(b, 0, sizeof(*b));
	return rc;
}

void executor_instance_name(struct executor *e, size_t i, struct instance_result *res)
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
	executor_instance_name(e, i, res);
	(void)ni;
}

static void apply_task_run(void *arg)
{
	struct executor_apply *t = arg;
	memset(&t->res, 0, sizeof(t->res));
	if (t->e->drv->apply(t->e->r, t->instance, t->ch, t->n, &t->res) < 0)
		t->res.ok = false;
	executor_instance_name(t->e, t->instance, &t->res);
}

/* Instances at once, at most: a fleet is a handful to a few dozen. */
#define APPLY_PARALLEL 64

void executor_apply_fleet(struct executor_apply *t, size_t n)
{
	fanout_run(t, n, sizeof(*t), apply_task_run, APPLY_PARALLEL);
}

/* A move of one service, all or nothing across the fleet; its intent is
 * already journaled. The outcomes of a success go into out (journaled with
 * the chunk); a failure's are journaled at once. Returns true when the
 * service reached its target everywhere. */
static bool run_move(struct executor *e, const struct plan_move *mv, struct executor_batch *out)
{
	const struct config *cfg = e->m->cfg;
	const char *name = cfg->services[mv->service].name;
	size_t ni = e->drv->n_instances(e->r);
	struct instance_result *res = calloc(ni ? ni : 1, sizeof(*res));
	/* Every instance at once: a fleet of n costs one round trip, not n.
	 * All or nothing still: any that fails, the others are put back. */
	struct executor_apply *t = calloc(ni ? ni : 1, sizeof(*t));
	if (!res || !t) {
		executor_result_add(e, "%s: out of memory, nothing changed; ", name);
		free(res);
		free(t);
		return false;
	}
	model_set_busy(e->m, mv->service, true);
	struct weight_change ch = { mv->service, mv->to };
	size_t failed = 0;
	for (size_t i = 0; i < ni; i++)
		t[i] = (struct executor_apply){ .e = e, .instance = i, .ch = &ch, .n = 1 };
	executor_apply_fleet(t, ni);
	for (size_t i = 0; i < ni; i++) {
		res[i] = t[i].res;
		failed += !res[i].ok;
	}
	free(t);
	bool ok;
	struct co_error err;
	if (!failed) {
		for (size_t i = 0; i < ni; i++)
			executor_batch_add(out, "outcome", e->plan.id, executor_outcome_json(e, mv, "applied", &res[i]));
		model_set_target(e->m, mv->service, mv->to, &err);
		model_set_weight(e->m, mv->service, mv->to, &err);
		ok = true;
	} else {
		/* Which instances broke, and put back the ones that took it. */
		for (size_t i = 0; i < ni; i++) {
			if (!res[i].ok) {
				journal_outcome(e, mv, "failed", &res[i]);
				executor_result_add(e, "%s: %s failed: %s; ", name, res[i].name,
						    router_instance_reason(&res[i]));
				continue;
			}
			struct instance_result back;
			if (mv->from == WEIGHT_UNKNOWN) {
				memset(&back, 0, sizeof(back));
				snprintf(back.name, sizeof(back.name), "%s", res[i].name);
				snprintf(back.error, sizeof(back.error),
					 "cannot put back: the weight before was unknown (now %d)", mv->to);
				journal_outcome(e, mv, "failed", &back);
				executor_result_add(e, "%s: %s %s; ", name, back.name, back.error);
				continue;
			}
			struct weight_change old = { mv->service, mv->from };
			apply_one(e, ni, old, i, &back);
			if (back.ok) {
				journal_outcome(e, mv, "reverted", &back);
				executor_result_add(e, "%s: %s put back to %d; ", name, back.name,
					   mv->from);
			} else {
				journal_outcome(e, mv, "failed", &back);
				executor_result_add(e, "%s: %s could not be put back: %s; ", name, back.name,
					   router_instance_reason(&back));
			}
		}
		ok = false;
	}
	model_set_busy(e->m, mv->service, false);
	free(res);
	return ok;
}

/* Services whose intents are journaled but that the plan stopped short of:
 * closed as skipped, so recovery never takes them for a crash. */
static void skip_rest(struct executor *e, size_t from, size_t to, const char *why,
		      struct executor_batch *out)
{
	struct instance_result none;
	memset(&none, 0, sizeof(none));
	snprintf(none.name, sizeof(none.name), "-");
	snprintf(none.error, sizeof(none.error), "not applied: %s", why);
	for (size_t k = from; k < to; k++)
		executor_batch_add(out, "outcome", e->plan.id,
				   executor_outcome_json(e, &e->plan.moves[k], "skipped", &none));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The gate's word on a move (a job waits for its gap here). True when it
 * refused: why says so, for the result and the skipped outcomes. */
static bool gate_refuses(struct executor *e, const struct plan_move *mv, char *why, size_t cap)
{
	if (!e->gate.before)
		return false;
	char said[200] = "";
	int rc = e->gate.before(e->gate.ctx, mv->service, mv->from, mv->to, e, said, sizeof said);
	executor_say_waiting(e, "");
	if (rc == 0)
		return false;
	snprintf(why, cap, "%s", said);
	executor_result_add(e, "%s: %s; ", e->m->cfg->services[mv->service].name, said);
	return true;
}

/* Intents and outcomes go to the journal a chunk at a time, each chunk one
 * fsync: a move of a thousand services spent two disk flushes on each
 * (15 s); now it spends eight. A crash in between leaves intents that
 * recovery reconciles against the router, as before. */
#define MOVE_CHUNK 256

static bool run_moves(struct executor *e)
{
	struct co_error err;
	for (size_t at = 0; at < e->plan.n_moves; at += MOVE_CHUNK) {
		size_t end = at + MOVE_CHUNK < e->plan.n_moves ? at + MOVE_CHUNK : e->plan.n_moves;
		struct executor_batch in = { 0 }, out = { 0 };
		for (size_t k = at; k < end; k++)
			executor_batch_add(&in, "intent", e->plan.id, executor_intent_json(e, &e->plan.moves[k]));
		if (executor_batch_flush(e, &in, &err) < 0) {
			executor_result_add(e, "the journal refused the intents, nothing changed: %s; ", err.msg);
			return false;
		}
		bool ok = true;
		size_t k = at;
		char why[256] = "an earlier service of the plan failed";
		for (; k < end && ok; k++) {
			if (gate_refuses(e, &e->plan.moves[k], why, sizeof why)) {
				ok = false;
				break;
			}
			double t0 = now_s();
			ok = run_move(e, &e->plan.moves[k], &out);
			if (ok && e->gate.took)
				e->gate.took(e->gate.ctx, e->plan.moves[k].service, now_s() - t0);
			pthread_mutex_lock(&e->lock);
			e->prog.done = ok ? k + 1 : k;
			pthread_mutex_unlock(&e->lock);
		}
		if (!ok)
			skip_rest(e, k, end, why, &out);
		if (executor_batch_flush(e, &out, &err) < 0)
			executor_result_add(e, "applied, but the journal refused the outcomes: %s; ", err.msg);
		if (!ok)
			return false;	/* stop the plan at the first service that failed */
	}
	return true;
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
		if (e->plan.rollback) {
			all_ok = executor_run_rollback(e);
			pthread_mutex_lock(&e->lock);
			e->prog.done = e->plan.n_moves;
			pthread_mutex_unlock(&e->lock);
		}
		else
			all_ok = run_moves(e);
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
	/* The thread blocks every signal: they are the main thread's to take
	 * (the console's SIGWINCH and SIGINT). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&e->thread, NULL, executor_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
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
	if (e->prog.waiting[0])	/* a plan still waiting for a gap is let go */
		e->cancel = true;
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

/* Cancels the plan waiting for a gap and waits (at most 5 s: its gate
 * looks every 100 ms) for it to end. Called with e->lock held. */
static void preempt_waiting(struct executor *e)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	e->cancel = true;
	e->prog.cancelled = true;
	while (e->pending)
		if (pthread_cond_timedwait(&e->cond, &e->lock, &until) != 0)
			break;
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
	/* The way back never waits behind a job's gap: the waiting plan is
	 * let go (its moves not made are journaled as skipped) first. */
	if (e->pending && p->rollback && e->prog.waiting[0])
		preempt_waiting(e);
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
	e->cancel = false;
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

void executor_set_gate(struct executor *e, const struct executor_gate *g)
{
	pthread_mutex_lock(&e->lock);
	e->gate = *g;
	pthread_mutex_unlock(&e->lock);
}

int executor_cancel(struct executor *e, const char *plan_id, struct co_error *err)
{
	pthread_mutex_lock(&e->lock);
	bool match = e->pending && (!plan_id || strcmp(plan_id, e->prog.plan_id) == 0);
	bool waits = match && e->prog.waiting[0];
	if (waits) {
		e->cancel = true;
		e->prog.cancelled = true;
	}
	pthread_mutex_unlock(&e->lock);
	if (!waits)
		co_error_set(err, match ? "plan %s is applying, not waiting: it can no longer be cancelled"
				   : "no plan %s is running", plan_id ? plan_id : "");
	return waits ? 0 : -1;
}

bool executor_cancelled(struct executor *e)
{
	pthread_mutex_lock(&e->lock);
	bool c = e->cancel || e->stop;
	pthread_mutex_unlock(&e->lock);
	return c;
}

void executor_say_waiting(struct executor *e, const char *text)
{
	pthread_mutex_lock(&e->lock);
	snprintf(e->prog.waiting, sizeof e->prog.waiting, "%s", text);
	pthread_mutex_unlock(&e->lock);
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
