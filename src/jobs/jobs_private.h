/* jobs_private: what the jobs thread, the handoff hook and /v1/jobs share.
 * Internal to src/jobs/. */
#ifndef CUTOVER_JOBS_PRIVATE_H
#define CUTOVER_JOBS_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "cutover/cron.h"
#include "cutover/job_gap.h"
#include "cutover/job_ledger.h"
#include "cutover/jobs.h"

struct job_state {
	size_t svc;			/* index into cfg->services */
	struct cron cron;
	struct job_ledger ledger;
	int active[2];			/* -1 unknown */
	double active_at;		/* epoch s of the reading */
	enum job_source source;
	double switch_s;		/* the longest switch measured, 0 none */
	double poll_at;			/* the runs URLs' next reading */
	CURL *curl[2];
	char runs_error[2][200];	/* the last runs URL failure, "" */
	char wait[160];			/* a handoff waiting, "" */
};

struct jobs {
	const struct config *cfg;
	struct jobs_deps d;
	struct job_state *job;
	size_t n;
	pthread_mutex_t lock;		/* job[] */
	pthread_cond_t cond;
	bool stop;
	pthread_t thread;
	bool running;
};

double jobs_now(void);
/* The job watching service i, or NULL. Call with js->lock held. */
struct job_state *jobs_find(struct jobs *js, size_t service);

#endif
