/* rollout_start: a start request made into waves (the config's release
 * plan, or the targets given with jobs first), and the request's JSON. */
#include "rollout_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *weights_json(const struct rollout_conf *rc)
{
	cJSON *w = cJSON_CreateArray();
	for (size_t k = 0; k < rc->n_steps; k++)
		cJSON_AddItemToArray(w, rc->steps[k].pause ? cJSON_CreateNull()
							   : cJSON_CreateNumber(rc->steps[k].weight));
	return w;
}

static void answer_start(cJSON *arr, const char *svc, const char *result, const char *detail,
			 int wave_no, const struct rollout_conf *rc)
{
	cJSON *o = ro_answer(arr, svc, result, detail);
	cJSON_AddNumberToObject(o, "wave", wave_no);
	if (rc)
		cJSON_AddItemToObject(o, "weights", weights_json(rc));
}

static const char *refusal(struct rollouts *r, size_t i)
{
	if (ro_active(r->s[i].phase))
		return "a rollout is running for it already";
	if (r->snap.svc[i].weight == WEIGHT_UNKNOWN)
		return "its weight is unknown: the router could not be read for it";
	return NULL;
}

static void start_one(struct ro_act *a, size_t i, int run, int wave, int wave_no)
{
	struct rollouts *r = a->r;
	const struct rollout_conf *rc = ro_conf(r, i);
	char d[96];
	snprintf(d, sizeof d, "wave %d, %zu steps, from %d%%", wave_no, rc->n_steps, r->snap.svc[i].weight);
	if (a->rq->dry_run) {
		answer_start(a->done, ro_name(r, i), "would start", d, wave_no, rc);
		return;
	}
	struct ro_svc *s = &r->s[i];
	cJSON_Delete(s->last_figures);
	*s = (struct ro_svc){ .phase = ROLLOUT_PENDING, .step = -1, .run = run, .wave = wave,
			      .expect_weight = r->snap.svc[i].weight, .shown = s->shown };
	cJSON *o = ro_record(r, i, "started");
	cJSON_AddStringToObject(o, "run", r->runs[run].id);
	cJSON_AddNumberToObject(o, "wave", wave_no);
	cJSON_AddNumberToObject(o, "parallel", r->waves[wave].parallel);
	cJSON_AddNumberToObject(o, "steps", (double)rc->n_steps);
	cJSON_AddItemToObject(o, "weights", weights_json(rc));
	cJSON_AddNumberToObject(o, "max_failed_checks", rc->max_failed_checks);
	cJSON_AddStringToObject(o, "on_breach", rc->on_breach == BREACH_HALT ? "halt" : "rollback");
	cJSON_AddBoolToObject(o, "release_plan", r->runs[run].plan);
	ro_journal(r, a->actor, NULL, o);
	ro_alert(r, ALERT_STARTED, i, d, NULL);
	answer_start(a->done, ro_name(r, i), "started", d, wave_no, rc);
}

/* A wave that names no bound takes the tightest of its members' own: a
 * group's rollout.parallel applies to its services. */
static int wave_parallel(struct rollouts *r, const size_t *m, size_t n, int given)
{
	if (given > 0)
		return given;
	int p = 0;
	for (size_t k = 0; k < n; k++) {
		int q = ro_conf(r, m[k])->parallel;
		if (!p || q < p)
			p = q;
	}
	return p > 0 ? p : 1;
}

/* One wave of the members that can start; returns whether any did. */
static bool start_wave(struct ro_act *a, const size_t *m, size_t n, int parallel, int *run, int wave_no)
{
	struct rollouts *r = a->r;
	size_t ok = 0;
	for (size_t k = 0; k < n; k++) {
		const char *why = refusal(r, m[k]);
		if (why)
			answer_start(a->refused, ro_name(r, m[k]), "refused", why, wave_no, NULL);
		else
			ok++;
	}
	if (!ok)
		return false;
	parallel = wave_parallel(r, m, n, parallel);
	int wave = -1;
	if (!a->rq->dry_run) {
		if (*run < 0)
			*run = ro_new_run(r, a->rq->plan);
		wave = *run < 0 ? -1 : ro_new_wave(r, *run, parallel);
		if (wave < 0)
			return false;
	}
	for (size_t k = 0; k < n; k++)
		if (!refusal(r, m[k]))
			start_one(a, m[k], *run, wave, wave_no);
	return true;
}

/* The targets as waves: jobs first (the method's order), then the rest. */
static void start_targets(struct ro_act *a, const size_t *svc, size_t n)
{
	const struct config *cfg = a->r->cfg;
	size_t *m = calloc(n + 1, sizeof *m);
	int run = -1, wave_no = 0;
	bool split = cfg->plan.jobs_first;
	for (int pass = 0; m && pass < (split ? 2 : 1); pass++) {
		size_t k = 0;
		for (size_t j = 0; j < n; j++)
			if (!split || (cfg->services[svc[j]].kind == KIND_JOB) == (pass == 0))
				m[k++] = svc[j];
		if (k && start_wave(a, m, k, 0, &run, wave_no + 1))
			wave_no++;
	}
	free(m);
}

void ro_start(struct ro_act *a, const size_t *svc, size_t n)
{
	const struct config *cfg = a->r->cfg;
	if (!a->rq->plan) {
		start_targets(a, svc, n);
		return;
	}
	if (!cfg->plan.configured) {	/* the default plan: jobs, then the rest */
		size_t *all = calloc(cfg->n_services + 1, sizeof *all);
		for (size_t i = 0; all && i < cfg->n_services; i++)
			all[i] = i;
		if (all)
			start_targets(a, all, cfg->n_services);
		free(all);
		return;
	}
	int run = -1, wave_no = 0;
	for (size_t w = 0; w < cfg->plan.n_waves; w++) {
		const struct wave_conf *wc = &cfg->plan.waves[w];
		if (start_wave(a, wc->members, wc->n_members, wc->parallel, &run, wave_no + 1))
			wave_no++;
	}
}
