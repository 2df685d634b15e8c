/* kube_cronjob: a job's two CronJobs (blue's and green's, perhaps in two
 * clusters). Reading them gives the side the job is on (the one not
 * suspended), its runs in progress and its runs started (its Jobs, found
 * by owner reference). Handing it over suspends the old side first, waits
 * for its run to end, keeps the new side's unsuspend from firing a
 * catch-up run, then unsuspends the new side and verifies both. Private to
 * src/k8s. */
#ifndef CUTOVER_KUBE_CRONJOB_H
#define CUTOVER_KUBE_CRONJOB_H

#include <stdint.h>

#include "cutover/config.h"
#include "cutover/router.h"
#include "kube_client.h"

/* What the driver remembers of a side between readings: runs are counted
 * as Jobs with a scheduled time later than any seen before. */
struct kcron_runs {
	double last_scheduled;	/* epoch s */
	uint64_t runs;
	bool read;
};

/* Fills ob (weight, traffic[].sessions = active Jobs, .requests = runs
 * started) from both CronJobs and their Jobs. Returns 0, or -1 when a
 * side could not be read (ob->detail says which and why). */
int kcron_observe(struct kube_client *c[2], const struct kube_route_conf *k,
		  struct kcron_runs runs[2], struct route_observation *ob);

/* Puts the job on green (weight 100) or blue (0). wait_s bounds the wait
 * for the old side's run to end. Returns 0, or -1 with why; on failure
 * the old side is left running the job as before. */
int kcron_handoff(struct kube_client *c[2], const struct kube_route_conf *k, int weight,
		  double wait_s, char *why, size_t cap);

/* "/apis/batch/v1/namespaces/NS/cronjobs/NAME" of side s. */
void kcron_path(const struct kube_route_conf *k, enum side s, char *out, size_t cap);

#endif
