/* plan: turns targets and a goal into the moves of one cutover, from a
 * snapshot, and has the gates judge them (gates.c). */
#include "cutover/plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gates_private.h"

static int add_index(size_t **v, size_t *n, size_t idx)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == idx)
			return 0;
	size_t *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -1;
	nv[(*n)++] = idx;
	*v = nv;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

int plan_resolve_targets(const struct config *cfg, char *const *targets, size_t n,
			 size_t **out, size_t *n_out, struct co_error *err)
{
	size_t *v = NULL, nv = 0;
	char unknown[400] = "";
	size_t n_unknown = 0;
	for (size_t t = 0; t < n; t++) {
		const char *name = targets[t];
		int rc = 0;
		if (name[0] == '@') {
			long g = config_find_group(cfg, name + 1);
			if (g < 0)
				goto unknown;
			const struct group_conf *gc = &cfg->groups[g];
			for (size_t k = 0; k < gc->n_members && rc == 0; k++)
				rc = add_index(&v, &nv, gc->members[k]);
		} else {
			long s = config_find_service(cfg, name);
			if (s < 0)
				goto unknown;
			rc = add_index(&v, &nv, (size_t)s);
		}
		if (rc < 0) {
			free(v);
			co_error_set(err, "out of memory resolving targets");
			return -1;
		}
		continue;
unknown:
		n_unknown++;
		size_t len = strlen(unknown);
		snprintf(unknown + len, sizeof(unknown) - len, "%s'%s'", len ? ", " : "", name);
	}
	if (n_unknown) {
		free(v);
		co_error_set(err, "unknown %s %s (see `cutover check` for the list)",
			     n_unknown == 1 ? "target" : "targets", unknown);
		return -1;
	}
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_size);
	*out = v;
	*n_out = nv;
	return 0;
}

static int step_target(const struct config *cfg, int from, bool up)
{
	if (up) {
		for (size_t i = 0; i < cfg->n_steps; i++)
			if (cfg->steps[i] > from)
				return cfg->steps[i];
		return 100;
	}
	int best = 0;
	for (size_t i = 0; i < cfg->n_steps; i++)
		if (cfg->steps[i] < from && cfg->steps[i] > best)
			best = cfg->steps[i];
	return best;
}

/* The weight a service should reach, or -1 with err. */
static int target_for(const struct snapshot *snap, size_t s, enum move_goal goal, int weight,
		      struct co_error *err)
{
	const struct service_conf *sc = &snap->cfg->services[s];
	int from = snap->svc[s].weight;
	bool job = service_all_or_nothing(sc);
	switch (goal) {
	case GOAL_GREEN: return 100;
	case GOAL_BLUE: return 0;
	case GOAL_STEP_GREEN:
	case GOAL_STEP_BLUE:
		if (job)	/* a job has no steps: all on one side */
			return goal == GOAL_STEP_GREEN ? 100 : 0;
		if (from == WEIGHT_UNKNOWN) {
			co_error_set(err, "%s: cannot step from an unknown weight; "
				     "name one with --weight", sc->name);
			return -1;
		}
		return step_target(snap->cfg, from, goal == GOAL_STEP_GREEN);
	case GOAL_WEIGHT:
		if (weight < 0 || weight > 100) {
			co_error_set(err, "weight %d is outside 0..100", weight);
			return -1;
		}
		if (job && weight != 0 && weight != 100 && sc->kind == KIND_JOB) {
			co_error_set(err, "%s is a job: it runs on one side only, so its weight "
				     "is 0 or 100, not %d", sc->name, weight);
			return -1;
		}
		if (job && weight != 0 && weight != 100) {
			co_error_set(err, "%s is routed by a Service selector, which selects one "
				     "side's pods: its weight is 0 or 100, not %d", sc->name, weight);
			return -1;
		}
		return weight;
	case GOAL_JOURNAL:
		return snap->svc[s].target_weight;	/* may be WEIGHT_UNKNOWN */
	}
	co_error_set(err, "unknown goal");
	return -1;
}

static void make_id(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	unsigned char rnd[4] = { 0 };
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t t = monotonic_ms() ^ (uint64_t)now;
		memcpy(rnd, &t, sizeof(rnd));
	}
	snprintf(out, cap, "p-%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x%02x", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1],
		 rnd[2], rnd[3]);
}

int plan_build(const struct snapshot *snap, const size_t *services, size_t n,
	       enum move_goal goal, int weight, struct plan *out, struct co_error *err)
{
	memset(out, 0, sizeof(*out));
	make_id(out->id, sizeof(out->id));
	out->reapply = goal == GOAL_JOURNAL;
	out->moves = calloc(n ? n : 1, sizeof(*out->moves));
	if (!out->moves) {
		co_error_set(err, "out of memory building a plan");
		return -1;
	}
	/* Toward green jobs go first (the method's order); toward blue users
	 * come back first. Each kind keeps config order. */
	bool green = goal == GOAL_GREEN || goal == GOAL_STEP_GREEN ||
		     (goal == GOAL_WEIGHT && weight > 0);
	for (int pass = 0; pass < 2; pass++) {
		enum svc_kind kind = (pass == 0) == green ? KIND_JOB : KIND_EXPOSED;
		for (size_t i = 0; i < n; i++) {
			size_t s = services[i];
			if (s >= snap->n) {
				co_error_set(err, "service index %zu out of range", s);
				goto fail;
			}
			if (snap->cfg->services[s].kind != kind)
				continue;
			int to = target_for(snap, s, goal, weight, err);
			if (to == WEIGHT_UNKNOWN && goal == GOAL_JOURNAL)
				continue;	/* never set: nothing to re-apply */
			if (to < 0)
				goto fail;
			int from = snap->svc[s].weight;
			/* A drifted service at its target on the first instance
			 * may not be there on the others (a crash between them):
			 * setting it again everywhere is what makes it true. */
			if (from == to && !snap->svc[s].drift)
				continue;
			out->moves[out->n_moves++] = (struct plan_move){ s, from, to };
		}
	}
	if (gates_evaluate(snap, out, err) < 0)
		goto fail;
	return 0;
fail:
	plan_done(out);
	return -1;
}

int plan_build_moves(const struct snapshot *snap, const struct plan_move *moves, size_t n,
		     bool rollback, struct plan *out, struct co_error *err)
{
	memset(out, 0, sizeof(*out));
	make_id(out->id, sizeof(out->id));
	out->rollback = rollback;
	out->moves = calloc(n ? n : 1, sizeof(*out->moves));
	if (!out->moves) {
		co_error_set(err, "out of memory building a plan");
		return -1;
	}
	memcpy(out->moves, moves, n * sizeof(*moves));
	out->n_moves = n;
	if (gates_evaluate(snap, out, err) < 0) {
		plan_done(out);
		return -1;
	}
	return 0;
}

void plan_done(struct plan *p)
{
	if (!p)
		return;
	free(p->moves);
	free(p->gates);
	memset(p, 0, sizeof(*p));
}

cJSON *plan_gates_json(const struct plan *p, size_t service, bool with_whole)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < p->n_gates; i++) {
		const struct gate_result *g = &p->gates[i];
		if (g->service != service && !(with_whole && g->service == PLAN_WHOLE))
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "gate", g->name);
		cJSON_AddStringToObject(o, "level", gate_level_name(g->level));
		cJSON_AddStringToObject(o, "detail", g->detail);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}
