/* job_view_json: a job's view in the state the engine publishes, and back. */
#include "cutover/jobs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cutover/cron.h"
#include "cutover/job_ledger.h"

static const char *const source_names[] = { "none", "router", "runs", "max_run_s" };

const char *job_source_name(enum job_source s)
{
	return (unsigned)s < 4 ? source_names[s] : "none";
}

void jobs_rfc3339(time_t t, const char *tz, char *out, size_t cap)
{
	long off = cron_zone_offset(tz, t);
	time_t w = t + off;
	struct tm tm;
	gmtime_r(&w, &tm);
	long a = off < 0 ? -off : off;
	if (off == 0)
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

cJSON *jobs_next_json(const struct cron *c, const char *tz, time_t after, int n)
{
	char t[40];
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < n && (after = cron_next(c, after, tz)) != (time_t)-1; i++) {
		jobs_rfc3339(after, tz, t, sizeof t);
		cJSON_AddItemToArray(a, cJSON_CreateString(t));
	}
	return a;
}

cJSON *job_sides_json(uint8_t mask)
{
	cJSON *a = cJSON_CreateArray();
	if (mask & 1u << SIDE_BLUE)
		cJSON_AddItemToArray(a, cJSON_CreateString("blue"));
	if (mask & 1u << SIDE_GREEN)
		cJSON_AddItemToArray(a, cJSON_CreateString("green"));
	return a;
}

cJSON *job_view_json(const struct job_view *jv)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", job_source_name(jv->source));
	cJSON_AddNumberToObject(o, "next_fire_s", (double)jv->next_fire);
	cJSON_AddNumberToObject(o, "last_tick_s", (double)jv->last_tick);
	cJSON_AddItemToObject(o, "last_ran", job_sides_json(jv->last_ran));
	cJSON_AddStringToObject(o, "last_status", tick_status_name(jv->last_status));
	cJSON *act = cJSON_AddObjectToObject(o, "active");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++) {
		if (jv->active[s] < 0)
			cJSON_AddNullToObject(act, side_name((enum side)s));
		else
			cJSON_AddNumberToObject(act, side_name((enum side)s), jv->active[s]);
	}
	cJSON_AddNumberToObject(o, "doubles", jv->doubles);
	cJSON_AddNumberToObject(o, "missed", jv->missed);
	if (jv->wait[0])
		cJSON_AddStringToObject(o, "wait", jv->wait);
	else
		cJSON_AddNullToObject(o, "wait");
	cJSON *rec = cJSON_AddArrayToObject(o, "recent");
	for (unsigned i = 0; i < jv->n_recent && i < JOB_VIEW_TICKS; i++) {
		cJSON *t = cJSON_CreateObject();
		cJSON_AddNumberToObject(t, "time_s", (double)jv->recent[i].time);
		cJSON_AddItemToObject(t, "ran", job_sides_json(jv->recent[i].ran));
		cJSON_AddStringToObject(t, "status", tick_status_name((enum tick_status)jv->recent[i].status));
		cJSON_AddItemToArray(rec, t);
	}
	return o;
}

static double num(const cJSON *o, const char *key, double lo, double hi, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return dflt;
	return v->valuedouble < lo ? lo : v->valuedouble > hi ? hi : v->valuedouble;
}

static uint8_t sides_of(const cJSON *a)
{
	uint8_t m = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, a) {
		if (cJSON_IsString(x) && strcmp(x->valuestring, "blue") == 0)
			m |= 1u << SIDE_BLUE;
		if (cJSON_IsString(x) && strcmp(x->valuestring, "green") == 0)
			m |= 1u << SIDE_GREEN;
	}
	return m;
}

static uint8_t status_of(const cJSON *st)
{
	for (unsigned i = 0; i < 4 && cJSON_IsString(st); i++)
		if (strcmp(st->valuestring, tick_status_name((enum tick_status)i)) == 0)
			return (uint8_t)i;
	return TICK_PENDING;
}

/* Anything odd reads as "not observed". */
void job_view_from_json(const cJSON *o, struct job_view *jv)
{
	memset(jv, 0, sizeof *jv);
	jv->active[0] = jv->active[1] = -1;
	if (!cJSON_IsObject(o))
		return;
	jv->on = true;
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
	for (unsigned i = 0; i < 4 && cJSON_IsString(src); i++)
		if (strcmp(src->valuestring, source_names[i]) == 0)
			jv->source = (uint8_t)i;
	jv->next_fire = (int64_t)num(o, "next_fire_s", 0, 1e12, 0);
	jv->last_tick = (int64_t)num(o, "last_tick_s", 0, 1e12, 0);
	jv->last_ran = sides_of(cJSON_GetObjectItemCaseSensitive(o, "last_ran"));
	jv->last_status = status_of(cJSON_GetObjectItemCaseSensitive(o, "last_status"));
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "active");
	for (int s = SIDE_BLUE; s <= SIDE_GREEN; s++)
		jv->active[s] = (int16_t)num(act, side_name((enum side)s), -1, 32000, -1);
	jv->doubles = (uint16_t)num(o, "doubles", 0, 65535, 0);
	jv->missed = (uint16_t)num(o, "missed", 0, 65535, 0);
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "wait");
	if (cJSON_IsString(w))
		snprintf(jv->wait, sizeof jv->wait, "%s", w->valuestring);
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(o, "recent")) {
		if (jv->n_recent == JOB_VIEW_TICKS)
			break;
		struct job_tick_view *r = &jv->recent[jv->n_recent++];
		r->time = (int64_t)num(t, "time_s", 0, 1e12, 0);
		r->ran = sides_of(cJSON_GetObjectItemCaseSensitive(t, "ran"));
		r->status = status_of(cJSON_GetObjectItemCaseSensitive(t, "status"));
	}
}
