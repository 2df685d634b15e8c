/* jobs_json: GET /v1/jobs and `cutover jobs --json` (see jobs.h). */
#include "jobs_private.h"

#include <math.h>
#include <stdio.h>

static void add_count(cJSON *o, const char *key, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

/* One job, with js->lock held. */
static cJSON *job_json(struct jobs *js, struct job_state *k, const struct service_state *st)
{
	const struct service_conf *sc = &js->cfg->services[k->svc];
	char t[40];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", sc->name);
	cJSON_AddStringToObject(o, "schedule", sc->schedule);
	cJSON_AddStringToObject(o, "timezone", sc->timezone ? sc->timezone : "UTC");
	cJSON_AddItemToObject(o, "next", jobs_next_json(&k->cron, sc->timezone, (time_t)floor(jobs_now()), 3));
	if (st->weight == WEIGHT_UNKNOWN)
		cJSON_AddNullToObject(o, "weight");
	else
		cJSON_AddNumberToObject(o, "weight", st->weight);
	cJSON *act = cJSON_AddObjectToObject(o, "active");
	add_count(act, "blue", k->active[SIDE_BLUE]);
	add_count(act, "green", k->active[SIDE_GREEN]);
	cJSON_AddStringToObject(o, "source", job_source_name(k->source));
	if (sc->job.max_run_s > 0)
		cJSON_AddNumberToObject(o, "max_run_s", sc->job.max_run_s);
	cJSON_AddNumberToObject(o, "guard_s", sc->job.guard_s);
	cJSON_AddNumberToObject(o, "doubles", k->ledger.doubles);
	cJSON_AddNumberToObject(o, "missed", k->ledger.missed);
	if (k->wait[0])
		cJSON_AddStringToObject(o, "handoff", k->wait);
	else
		cJSON_AddNullToObject(o, "handoff");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++)
		if (k->runs_error[s][0]) {
			char key[24];
			snprintf(key, sizeof key, "%s_runs_error", side_name((enum side)s));
			cJSON_AddStringToObject(o, key, k->runs_error[s]);
		}
	cJSON *ticks = cJSON_AddArrayToObject(o, "ticks");
	for (size_t i = 0; i < k->ledger.n; i++) {
		struct job_tick *tk = job_ledger_tick(&k->ledger, i);
		cJSON *x = cJSON_CreateObject();
		jobs_rfc3339(tk->time, sc->timezone, t, sizeof t);
		cJSON_AddStringToObject(x, "time", t);
		cJSON_AddItemToObject(x, "ran", job_sides_json(tk->ran));
		cJSON_AddStringToObject(x, "status", tick_status_name((enum tick_status)tk->status));
		cJSON_AddItemToArray(ticks, x);
	}
	return o;
}

cJSON *jobs_json(struct jobs *js)
{
	char now[40];
	cJSON *o = cJSON_CreateObject();
	jobs_rfc3339((time_t)floor(jobs_now()), NULL, now, sizeof now);
	cJSON_AddStringToObject(o, "now", now);
	cJSON *a = cJSON_AddArrayToObject(o, "jobs");
	for (size_t k = 0; js && k < js->n; k++) {
		struct service_state st;
		model_get(js->d.m, js->job[k].svc, &st);
		pthread_mutex_lock(&js->lock);
		cJSON_AddItemToArray(a, job_json(js, &js->job[k], &st));
		pthread_mutex_unlock(&js->lock);
	}
	return o;
}
