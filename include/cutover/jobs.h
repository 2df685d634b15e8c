/* jobs: the engine's watch over scheduled jobs. One thread per engine
 * reads each job's runs (router counters, a runs URL, or nothing but
 * max_run_s), keeps its ledger (job_ledger.h), journals and alerts on a
 * double or missed tick, and publishes a job_view per job into the model.
 * The executor asks it, through a hook, to hold a job's move until the
 * safe gap (job_gap.h). */
#ifndef CUTOVER_JOBS_H
#define CUTOVER_JOBS_H

#include <cjson/cJSON.h>

#include "cutover/config.h"
#include "cutover/model.h"

struct jobs;
struct journal;
struct alerts;
struct executor;

struct jobs_deps {
	struct model *m;
	struct journal *j;
	struct alerts *alerts;	/* may be NULL */
	bool router_live;	/* a poller keeps the model's traffic fresh; false
				 * (a one-shot CLI move): only runs URLs are read */
};

/* NULL with err when it cannot start; a release without scheduled jobs
 * still gets one (it answers /v1/jobs with an empty list). */
struct jobs *jobs_start(const struct config *cfg, const struct jobs_deps *d, struct co_error *err);
void jobs_stop(struct jobs *js);

/* The executor's hook before a job's move: blocks until its gap opens
 * (0), or the executor cancels the plan (-1, why filled), or the schedule
 * never leaves one (-1). Moves that do not change a job's side return 0 at
 * once. after_ms is the time the previous switch of the job took, or -1. */
int jobs_handoff_wait(void *jobs, size_t service, int from, int to, struct executor *e,
		      char *why, size_t cap);
/* The executor tells how long a job's switch took, to plan the next. */
void jobs_handoff_took(void *jobs, size_t service, double seconds);

/* GET /v1/jobs: {"now", "jobs": [{"name", "schedule", "timezone", "next":
 * [3 RFC3339], "weight", "active", "source", "ticks": [...]}]} */
cJSON *jobs_json(struct jobs *js);

/* The "job" object of a service's state, and its reading back by a client. */
cJSON *job_view_json(const struct job_view *jv);
void job_view_from_json(const cJSON *o, struct job_view *jv);
const char *job_source_name(enum job_source s);
/* ["blue", "green"]: the sides set in a mask of 1 << side. */
cJSON *job_sides_json(uint8_t mask);

/* The next n fires after `after` as RFC 3339 strings in the job's zone. */
struct cron;
cJSON *jobs_next_json(const struct cron *c, const char *tz, time_t after, int n);

/* "2026-12-05T12:30:00+01:00": an instant in the job's zone. */
void jobs_rfc3339(time_t t, const char *tz, char *out, size_t cap);

#endif
