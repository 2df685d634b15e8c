/* engine_plans: plans made for clients, kept by id until applied, and
 * applied only while what they were made from still holds. */
#include "engine_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/probe_round.h"

static cJSON *error_json(const char *msg, int code)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddNumberToObject(o, "code", code);
	return o;
}

static int fail(cJSON **out, int code, const char *msg)
{
	*out = error_json(msg, code);
	return code;
}

static int resolve(struct engine *e, const struct plan_request *rq, size_t **svc, size_t *n,
		   struct co_error *err)
{
	if (!rq->all)
		return plan_resolve_targets(e->cfg, rq->targets, rq->n_targets, svc, n, err);
	*svc = calloc(e->cfg->n_services ? e->cfg->n_services : 1, sizeof **svc);
	if (!*svc) {
		co_error_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < e->cfg->n_services; i++)
		(*svc)[i] = i;
	*n = e->cfg->n_services;
	return 0;
}

/* A rollback's only gate is blue health. The engine's windows know it
 * already, unless a result is older than three intervals (or missing):
 * then one round of blue probes over those services runs first. */
static void freshen_blue(struct engine *e, const size_t *svc, size_t n)
{
	uint64_t now = monotonic_ms(), max_age = 3 * (uint64_t)e->cfg->probe.interval_ms + 500;
	size_t *stale = calloc(n ? n : 1, sizeof *stale), k = 0;
	if (!stale)
		return;
	pthread_mutex_lock(&e->m.lock);
	for (size_t i = 0; i < n; i++) {
		const struct side_stats *b = &e->m.svc[svc[i]].side[SIDE_BLUE];
		if (b->health == HEALTH_UNKNOWN || !b->probed_ms || now - b->probed_ms > max_age)
			stale[k++] = svc[i];
	}
	pthread_mutex_unlock(&e->m.lock);
	struct co_error err;
	if (k)
		probe_round_run(&e->m, stale, k, SIDE_BLUE, 128, &err);
	free(stale);
}

/* Builds the plan rq asks for from the model as it is now. */
static int build(struct engine *e, const struct plan_request *rq, struct plan *out,
		 struct co_error *err)
{
	size_t *svc = NULL, n = 0;
	if (resolve(e, rq, &svc, &n, err) < 0)
		return -1;
	if (rq->kind == PLAN_ROLLBACK)
		freshen_blue(e, svc, n);
	struct snapshot s = { 0 };
	int rc = model_snapshot(&e->m, &s) < 0 ? -1 : 0;
	if (rc < 0)
		co_error_set(err, "out of memory");
	else
		rc = plan_build(&s, svc, n, rq->goal, rq->weight, out, err);
	if (rc == 0)
		out->rollback = rq->kind == PLAN_ROLLBACK;
	snapshot_done(&s);
	free(svc);
	return rc;
}

static int request_copy(struct plan_request *dst, const struct plan_request *src)
{
	*dst = *src;
	dst->targets = calloc(src->n_targets + 1, sizeof *dst->targets);
	dst->reason = src->reason ? strdup(src->reason) : NULL;
	bool ok = dst->targets && (!src->reason || dst->reason);
	for (size_t i = 0; ok && i < src->n_targets; i++)
		ok = (dst->targets[i] = strdup(src->targets[i])) != NULL;
	if (!ok) {
		dst->n_targets = src->n_targets;
		plan_request_done(dst);
		return -1;
	}
	return 0;
}

/* How many router instances the plan was made against, as the poller last
 * read them: a rollback vouches for the whole fleet and must say so. */
static void add_router(struct engine *e, cJSON *o)
{
	pthread_mutex_lock(&e->m.lock);
	bool known = e->m.router_known;
	int up = e->m.routers_up, total = e->m.routers_total;
	pthread_mutex_unlock(&e->m.lock);
	cJSON *r = cJSON_AddObjectToObject(o, "router");
	if (known) {
		cJSON_AddNumberToObject(r, "up", up);
		cJSON_AddNumberToObject(r, "total", total);
	} else {
		cJSON_AddNullToObject(r, "up");
		cJSON_AddNullToObject(r, "total");
	}
}

/* Keeps the plan (ownership passes) and answers it. Caller holds e->lock. */
static cJSON *keep_locked(struct engine *e, const struct plan_request *rq, struct plan *p,
			  const char *actor)
{
	struct engine_plan *slot = &e->plans[e->plan_next++ % ENGINE_PLANS_KEPT];
	plan_request_done(&slot->rq);
	plan_done(&slot->plan);
	memset(slot, 0, sizeof *slot);
	if (request_copy(&slot->rq, rq) < 0) {
		plan_done(p);
		return NULL;
	}
	slot->used = true;
	slot->plan = *p;
	memset(p, 0, sizeof *p);
	snprintf(slot->actor, sizeof slot->actor, "%s", actor);
	slot->made_ms = monotonic_ms();
	cJSON *o = plan_json(&slot->plan, e->cfg);
	cJSON_AddStringToObject(o, "state", "planned");
	cJSON_AddBoolToObject(o, "force", rq->force);
	add_router(e, o);
	return o;
}

void engine_actor_text(const struct engine_actor *who, char *out, size_t cap)
{
	if (who->kind[0] && !who->by_token)
		snprintf(out, cap, "%s (%s)", who->name, who->kind);
	else
		snprintf(out, cap, "%s", who->name);
}

int engine_plan_make(struct engine *e, const struct plan_request *rq, const struct engine_actor *who,
		     cJSON **out)
{
	struct co_error err;
	struct plan p;
	if (build(e, rq, &p, &err) < 0)
		return fail(out, 400, err.msg);
	engine_actor_text(who, p.actor, sizeof p.actor);
	pthread_mutex_lock(&e->lock);
	*out = e->stopping ? NULL : keep_locked(e, rq, &p, p.actor);
	bool stopping = e->stopping;
	pthread_mutex_unlock(&e->lock);
	if (stopping) {
		plan_done(&p);
		return fail(out, 503, "the engine is stopping: no new plans");
	}
	return *out ? 201 : fail(out, 500, "out of memory");
}

static struct engine_plan *find_locked(struct engine *e, const char *id)
{
	for (size_t i = 0; i < ENGINE_PLANS_KEPT; i++)
		if (e->plans[i].used && strcmp(e->plans[i].plan.id, id) == 0)
			return &e->plans[i];
	return NULL;
}

static bool blocks(const struct plan *p, const struct gate_result *g)
{
	for (size_t i = 0; i < p->n_gates; i++)
		if (p->gates[i].level == GATE_BLOCK && p->gates[i].service == g->service &&
		    strcmp(p->gates[i].name, g->name) == 0)
			return true;
	return false;
}

/* What was confirmed still holds: the same moves (a weight that moved
 * changes one), and the same gates blocking (a verdict turned to fail).
 * A gate going between pass and warn on noise, or a figure in its words,
 * is no reason to confirm again; and a forced plan was confirmed over its
 * blockers, so only its moves count. */
static bool same_inputs(const struct plan *a, const struct plan *b, bool forced)
{
	if (a->n_moves != b->n_moves)
		return false;
	for (size_t i = 0; i < a->n_moves; i++)
		if (a->moves[i].service != b->moves[i].service || a->moves[i].from != b->moves[i].from ||
		    a->moves[i].to != b->moves[i].to)
			return false;
	if (forced)
		return true;
	if (a->n_blockers != b->n_blockers)
		return false;
	for (size_t i = 0; i < b->n_gates; i++)
		if (b->gates[i].level == GATE_BLOCK && !blocks(a, &b->gates[i]))
			return false;
	return true;
}

int engine_lever_refusal(struct engine *e, const struct engine_actor *who, cJSON **out)
{
	if (!e->lever.held || e->lever.client == who->client)
		return 0;
	char msg[400];
	snprintf(msg, sizeof msg, "the lever is held by %s (%s) since %s; only its holder acts",
		 e->lever.holder, e->lever.kind, e->lever.since);
	return fail(out, 409, msg);
}

/* The plan as it would be now; 409 with it when it differs. */
static int recheck(struct engine *e, const char *id, const struct engine_actor *who, cJSON **out,
		   struct plan_request *rq, struct plan *now)
{
	struct co_error err;
	if (build(e, rq, now, &err) < 0)
		return fail(out, 409, err.msg);
	engine_actor_text(who, now->actor, sizeof now->actor);
	pthread_mutex_lock(&e->lock);
	struct engine_plan *ep = find_locked(e, id);
	if (ep && same_inputs(&ep->plan, now, rq->force)) {
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	cJSON *fresh = keep_locked(e, rq, now, now->actor);
	pthread_mutex_unlock(&e->lock);
	*out = error_json("the plan's inputs changed since it was made (a weight moved or a gate "
			  "changed); here is the plan as it stands now: confirm it again", 409);
	if (fresh)
		cJSON_AddItemToObject(*out, "plan", fresh);
	return 409;
}

/* The plan the executor ran last has finished (a new one is being
 * submitted): keep how it ended with it, so a client that asks late still
 * gets its result. Caller holds e->lock. */
void engine_plan_ended_locked(struct engine *e, const struct executor_progress *p)
{
	for (size_t i = 0; i < ENGINE_PLANS_KEPT; i++) {
		struct engine_plan *ep = &e->plans[i];
		if (ep->used && ep->applied && !ep->ended && ep->exec_seq == p->plan_seq && p->finished) {
			ep->final = *p;
			ep->ended = true;
			e->plans_applied++;	/* counted once, when it is seen ended */
			e->plans_failed += !p->ok;
		}
	}
}

static int submit(struct engine *e, const char *id, cJSON **out)
{
	pthread_mutex_lock(&e->lock);
	struct executor_progress before;
	executor_get_progress(e->exec, &before);
	engine_plan_ended_locked(e, &before);
	struct engine_plan *ep = find_locked(e, id);
	if (!ep || ep->applied || e->stopping) {
		pthread_mutex_unlock(&e->lock);
		return fail(out, 409, !ep ? "the plan was replaced while it was checked"
				      : e->stopping ? "the engine is stopping" : "the plan was applied already");
	}
	struct co_error err;
	if (executor_submit(e->exec, &ep->plan, ep->rq.force, ep->rq.reason, &err) < 0) {
		pthread_mutex_unlock(&e->lock);
		return fail(out, 409, err.msg);
	}
	ep->applied = true;
	struct executor_progress p;
	executor_get_progress(e->exec, &p);
	ep->exec_seq = p.plan_seq;
	*out = plan_json(&ep->plan, e->cfg);
	cJSON_AddStringToObject(*out, "state", "applying");
	pthread_mutex_unlock(&e->lock);
	return 202;
}

int engine_plan_apply(struct engine *e, const char *id, const struct engine_actor *who,
		      bool force, const char *reason, cJSON **out)
{
	if (!who->may_operate)
		return fail(out, 403, "this client may watch but not act");
	if (force && (!reason || !*reason))
		return fail(out, 400, "reason: force needs a reason (it is journaled)");
	pthread_mutex_lock(&e->lock);
	struct engine_plan *ep = find_locked(e, id);
	/* Force is decided once the plan and its blockers were seen. */
	if (ep && !ep->applied && force) {
		char *r = strdup(reason);
		if (r) {
			free(ep->rq.reason);
			ep->rq.reason = r;
			ep->rq.force = true;
		}
	}
	int code = !ep ? 404 : ep->applied ? 409 : engine_lever_refusal(e, who, out);
	struct plan_request rq = { 0 };
	if (!code && request_copy(&rq, &ep->rq) < 0)
		code = 500;
	bool blocked = !code && ep->plan.n_blockers && !ep->rq.force;
	size_t nb = ep ? ep->plan.n_blockers : 0;
	pthread_mutex_unlock(&e->lock);
	if (code == 404)
		return fail(out, 404, "no such plan (plans are kept until 64 newer ones are made)");
	if (code == 409 && !*out)
		return fail(out, 409, "the plan was applied already");
	if (code == 500)
		return fail(out, 500, "out of memory");
	if (code)
		return code;
	if (blocked) {
		plan_request_done(&rq);
		char msg[200];
		snprintf(msg, sizeof msg, "refusing: %zu blocker%s; plan again with force and a reason",
			 nb, nb == 1 ? "" : "s");
		return fail(out, 409, msg);
	}
	struct plan now;
	memset(&now, 0, sizeof now);
	code = recheck(e, id, who, out, &rq, &now);
	plan_done(&now);
	plan_request_done(&rq);
	return code ? code : submit(e, id, out);
}

void engine_progress(struct engine *e, struct executor_progress *out)
{
	if (e->exec)
		executor_get_progress(e->exec, out);
	else
		memset(out, 0, sizeof *out);
}

int engine_plan_get(struct engine *e, const char *id, bool brief, cJSON **out)
{
	struct executor_progress p;
	engine_progress(e, &p);
	pthread_mutex_lock(&e->lock);
	engine_plan_ended_locked(e, &p);
	struct engine_plan *ep = find_locked(e, id);
	if (!ep) {
		pthread_mutex_unlock(&e->lock);
		return fail(out, 404, "no such plan (plans are kept until 64 newer ones are made)");
	}
	if (brief) {
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "id", ep->plan.id);
	} else {
		*out = plan_json(&ep->plan, e->cfg);
	}
	const char *state = "planned";
	const struct executor_progress *shown = ep->ended ? &ep->final
						: ep->applied && p.plan_seq == ep->exec_seq ? &p : NULL;
	if (shown) {
		state = shown->finished ? (shown->ok ? "done" : "failed") : "applying";
		cJSON_AddItemToObject(*out, "progress", engine_progress_json(shown));
	} else if (ep->applied) {
		state = "applying";
	}
	cJSON_AddStringToObject(*out, "state", state);
	pthread_mutex_unlock(&e->lock);
	return 200;
}

int engine_plan_cancel(struct engine *e, const char *id, const struct engine_actor *who,
		       cJSON **out)
{
	if (!who->may_operate)
		return fail(out, 403, "this client may watch but not act");
	pthread_mutex_lock(&e->lock);
	struct engine_plan *ep = find_locked(e, id);
	bool applied = ep && ep->applied;
	pthread_mutex_unlock(&e->lock);
	if (!ep)
		return fail(out, 404, "no such plan (plans are kept until 64 newer ones are made)");
	if (!applied)
		return fail(out, 409, "the plan was not applied: nothing waits");
	struct co_error err;
	if (executor_cancel(e->exec, id, &err) < 0)
		return fail(out, 409, err.msg);
	engine_notice(e, "%s cancelled plan %s while it waited for a job's gap", who->name, id);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "id", id);
	cJSON_AddStringToObject(*out, "state", "cancelling");
	return 200;
}

cJSON *engine_jobs_json(struct engine *e)
{
	return jobs_json(e->jobs);
}
