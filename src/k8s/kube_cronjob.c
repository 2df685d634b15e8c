/* kube_cronjob: reading and handing over a job's two CronJobs (see
 * kube_cronjob.h). The catch-up rule is the CronJob controller's: on
 * unsuspend it starts the most recent schedule missed since
 * status.lastScheduleTime (or creation), if it is within
 * startingDeadlineSeconds. The run the old side has just made is such a
 * schedule for the new side, so the new side is told it was scheduled
 * then, and has nothing to catch up. */
#include "kube_cronjob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../jobs/job_runs.h"
#include "kube_write.h"

#define POLL_NS 100000000L

void kcron_path(const struct kube_route_conf *k, enum side s, char *out, size_t cap)
{
	snprintf(out, cap, "/apis/batch/v1/namespaces/%s/cronjobs/%s", k->side[s].namespace,
		 k->side[s].cronjob);
}

static void object_name(const struct kube_route_conf *k, enum side s, char *out, size_t cap)
{
	snprintf(out, cap, "cronjobs.batch %s/%s", k->side[s].namespace, k->side[s].cronjob);
}

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
	return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static bool suspended(const cJSON *cj)
{
	return cJSON_IsTrue(at(cj, "spec", "suspend"));
}

static double time_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *t = at(o, a, b);
	return cJSON_IsString(t) ? job_runs_time(t->valuestring) : -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_poll(void)
{
	struct timespec ts = { 0, POLL_NS };
	nanosleep(&ts, NULL);
}

/* --- reading ------------------------------------------------------------- */

/* When a Job of the CronJob was scheduled: the controller's annotation, else
 * its name's suffix (minutes since the epoch; seconds for the test double's
 * six-field schedules). */
static double job_scheduled(const cJSON *job)
{
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(
		at(job, "metadata", "annotations"), "batch.kubernetes.io/cronjob-scheduled-timestamp");
	if (cJSON_IsString(ts))
		return job_runs_time(ts->valuestring);
	const cJSON *name = at(job, "metadata", "name");
	const char *dash = cJSON_IsString(name) ? strrchr(name->valuestring, '-') : NULL;
	char *end;
	double v = dash ? strtod(dash + 1, &end) : -1;
	if (!dash || *end || v <= 0)
		return -1;
	return v > 1e9 ? v : v * 60;
}

static bool owned_by(const cJSON *job, const char *uid)
{
	const cJSON *refs = at(job, "metadata", "ownerReferences");
	for (const cJSON *r = cJSON_IsArray(refs) ? refs->child : NULL; r; r = r->next) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "uid");
		if (cJSON_IsString(u) && strcmp(u->valuestring, uid) == 0)
			return true;
	}
	return false;
}

/* The side's Jobs: those running, and runs started since the last reading. */
static int read_jobs(struct kube_client *c, const struct kube_route_conf *k, enum side s,
		     const cJSON *cj, struct kcron_runs *runs, struct side_traffic *t,
		     char *why, size_t cap)
{
	const cJSON *uid = at(cj, "metadata", "uid");
	char path[400], object[300];
	cJSON *list;
	snprintf(path, sizeof path, "/apis/batch/v1/namespaces/%s/jobs", k->side[s].namespace);
	snprintf(object, sizeof object, "jobs.batch in %s", k->side[s].namespace);
	if (!cJSON_IsString(uid) || kube_read(c, path, object, &list, why, cap) < 0)
		return -1;
	double newest = runs->last_scheduled;
	uint64_t started = 0;
	long active = 0;
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
	for (const cJSON *j = cJSON_IsArray(items) ? items->child : NULL; j; j = j->next) {
		if (!owned_by(j, uid->valuestring))
			continue;
		const cJSON *a = at(j, "status", "active");
		if (cJSON_IsNumber(a) && a->valuedouble > 0)
			active++;
		double sched = job_scheduled(j);
		if (sched > runs->last_scheduled) {
			started++;
			newest = fmax(newest, sched);
		}
	}
	cJSON_Delete(list);
	runs->runs += started;
	runs->last_scheduled = newest;
	runs->read = true;
	t->known = true;
	t->sessions = active;
	t->requests = runs->runs;
	return 0;
}

int kcron_observe(struct kube_client *c[2], const struct kube_route_conf *k,
		  struct kcron_runs runs[2], struct route_observation *ob)
{
	cJSON *cj[2] = { NULL, NULL };
	char path[400], object[300];
	int rc = 0;
	for (int s = SIDE_BLUE; s <= SIDE_GREEN && rc == 0; s++) {
		kcron_path(k, (enum side)s, path, sizeof path);
		object_name(k, (enum side)s, object, sizeof object);
		rc = kube_read(c[s], path, object, &cj[s], ob->detail, sizeof ob->detail);
		if (rc == 0)
			rc = read_jobs(c[s], k, (enum side)s, cj[s], &runs[s], &ob->traffic[s],
				       ob->detail, sizeof ob->detail);
	}
	ob->weight = WEIGHT_UNKNOWN;
	if (rc == 0) {
		bool sb = suspended(cj[SIDE_BLUE]), sg = suspended(cj[SIDE_GREEN]);
		if (!sb && sg)
			ob->weight = 0;
		else if (sb && !sg)
			ob->weight = 100;
		else
			snprintf(ob->detail, sizeof ob->detail, "cronjobs %s and %s are both %s",
				 k->side[SIDE_BLUE].cronjob, k->side[SIDE_GREEN].cronjob,
				 sb ? "suspended: no side runs the job" : "unsuspended: every tick runs twice");
	}
	cJSON_Delete(cj[0]);
	cJSON_Delete(cj[1]);
	return rc;
}

/* --- writing ------------------------------------------------------------- */

static char *suspend_patch(const cJSON *obj, void *ctx, const char **ctype, bool *done,
			   char *why, size_t cap)
{
	(void)why, (void)cap;
	bool want = *(const bool *)ctx;
	if (suspended(obj) == want) {
		*done = true;
		return NULL;
	}
	cJSON *p = cJSON_CreateObject();
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(p, "spec"), "suspend", want);
	return kube_merge_patch(obj, p, ctype);
}

static int set_suspend(struct kube_client *c, const struct kube_route_conf *k, enum side s,
		       bool want, char *why, size_t cap)
{
	char path[400], object[300];
	kcron_path(k, s, path, sizeof path);
	object_name(k, s, object, sizeof object);
	return kube_write(c, path, NULL, object, suspend_patch, &want, why, cap);
}

/* Waits until the side's CronJob lists no active Job. */
static int wait_idle(struct kube_client *c, const struct kube_route_conf *k, enum side s,
		     double wait_s, char *why, size_t cap)
{
	char path[400], object[300];
	kcron_path(k, s, path, sizeof path);
	object_name(k, s, object, sizeof object);
	double until = now_s() + wait_s;
	for (;;) {
		cJSON *cj;
		if (kube_read(c, path, object, &cj, why, cap) < 0)
			return -1;
		int active = cJSON_GetArraySize(at(cj, "status", "active"));
		cJSON_Delete(cj);
		if (active == 0)
			return 0;
		if (now_s() >= until) {
			snprintf(why, cap, "%s still has %d active Job%s after %.0f s", object, active,
				 active == 1 ? "" : "s", wait_s);
			return -1;
		}
		pause_poll();
	}
}

struct schedule_ctx {
	double old_last;	/* the old side's status.lastScheduleTime */
};

static void rfc3339(double t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The new side's status.lastScheduleTime moved up to the old side's, unless
 * no catch-up can happen anyway: it has been scheduled since, or its
 * startingDeadlineSeconds has already passed the old side's run. */
static char *schedule_patch(const cJSON *obj, void *ctx, const char **ctype, bool *done,
			    char *why, size_t cap)
{
	(void)why, (void)cap;
	const struct schedule_ctx *sc = ctx;
	double mine = time_at(obj, "status", "lastScheduleTime");
	if (mine < 0)
		mine = time_at(obj, "metadata", "creationTimestamp");
	const cJSON *dl = at(obj, "spec", "startingDeadlineSeconds");
	bool past_deadline = cJSON_IsNumber(dl) && now_s() - sc->old_last > dl->valuedouble + 1;
	if (sc->old_last <= 0 || mine >= floor(sc->old_last) || past_deadline) {
		*done = true;
		return NULL;
	}
	char when[40];
	rfc3339(sc->old_last, when, sizeof when);
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "status"), "lastScheduleTime", when);
	return kube_merge_patch(obj, p, ctype);
}

static int no_catch_up(struct kube_client *c[2], const struct kube_route_conf *k, enum side from,
		       enum side to, char *why, size_t cap)
{
	char path[440], object[300];
	cJSON *old;
	kcron_path(k, from, path, sizeof path);
	object_name(k, from, object, sizeof object);
	if (kube_read(c[from], path, object, &old, why, cap) < 0)
		return -1;
	struct schedule_ctx sc = { .old_last = time_at(old, "status", "lastScheduleTime") };
	cJSON_Delete(old);
	kcron_path(k, to, path, sizeof path);
	object_name(k, to, object, sizeof object);
	strcat(object, " status");
	return kube_write(c[to], path, "status", object, schedule_patch, &sc, why, cap);
}

static int verify(struct kube_client *c[2], const struct kube_route_conf *k, enum side to,
		  char *why, size_t cap)
{
	struct route_observation ob = { .weight = WEIGHT_UNKNOWN };
	struct kcron_runs scratch[2] = { { 0 } };
	if (kcron_observe(c, k, scratch, &ob) < 0) {
		snprintf(why, cap, "verify: %s", ob.detail);
		return -1;
	}
	if (ob.weight != (to == SIDE_GREEN ? 100 : 0)) {
		snprintf(why, cap, "verify: %s", ob.detail[0] ? ob.detail : "the job is on the other side");
		return -1;
	}
	return 0;
}

int kcron_handoff(struct kube_client *c[2], const struct kube_route_conf *k, int weight,
		  double wait_s, char *why, size_t cap)
{
	enum side to = weight >= 50 ? SIDE_GREEN : SIDE_BLUE;
	enum side from = to == SIDE_GREEN ? SIDE_BLUE : SIDE_GREEN;
	char undo[200];
	if (weight != 0 && weight != 100) {
		snprintf(why, cap, "a job is on one side at a time: weight 0 or 100 (asked %d)", weight);
		return -1;
	}
	if (set_suspend(c[from], k, from, true, why, cap) < 0)
		return -1;
	if (wait_idle(c[from], k, from, wait_s, why, cap) < 0 ||
	    no_catch_up(c, k, from, to, why, cap) < 0 ||
	    set_suspend(c[to], k, to, false, why, cap) < 0) {
		/* The old side runs the job again, as it did: a failed handoff
		 * must not leave no side running it. */
		if (set_suspend(c[from], k, from, false, undo, sizeof undo) < 0) {
			size_t n = strlen(why);
			snprintf(why + n, cap > n ? cap - n : 0, "; and could not resume %s: %s",
				 k->side[from].cronjob, undo);
		}
		return -1;
	}
	return verify(c, k, to, why, cap);
}
