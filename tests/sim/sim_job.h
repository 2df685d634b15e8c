/* cutover-sim: a job's insides, shared by its scheduler (sim_job.c) and the
 * request it sends to trigger_url at each fire (sim_call.c). */
#ifndef CUTOVER_SIM_JOB_H
#define CUTOVER_SIM_JOB_H

#include "sim.h"

/* The fires kept for /_sim/jobs: over an hour at every_s=1, and 64 KiB. */
#define SIM_FIRES_MAX 4096
/* A fire nobody ran for is counted missed only this long after it: a routed
 * run reaches its side a little after the fire, through the router. */
#define SIM_SETTLE_MS 1000

struct sim_fire {
	int64_t time_ms; /* epoch ms, a multiple of every_s * 1000 */
	unsigned ran;    /* SIM_SIDE_*_BIT of the sides that started a run for it */
};

struct sim_job {
	struct sim_service *svc;
	struct sim_job_conf c;
	unsigned load_gen;       /* spec load that last reset c to the defaults */
	struct sim_timer fire;   /* the next fire, on the monotonic clock */
	unsigned armed_every_s;  /* every_s the timer was armed for, 0 none */
	int64_t next_fire_ns;    /* the next fire, on the wall clock */
	/* Fire n (counted from 0 since the job was defined) is fires[n % cap];
	 * cap grows by doubling while nothing wrapped, up to SIM_FIRES_MAX. */
	struct sim_fire *fires;
	size_t cap;
	uint64_t nfires;
	uint64_t nsettled; /* fires 0 .. nsettled-1 are older than SIM_SETTLE_MS */
	uint64_t doubles, missed, overlaps;
	uint64_t calls_sent, calls_ok, calls_failed;
	bool calls_failing; /* logs once per streak of failed calls, not per fire */
};

/* sim_call.c reports how a trigger request ended. */
void sim_job_call_done(struct sim_job *j, bool ok, const char *why);

#endif
