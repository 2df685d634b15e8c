/* model: the one owner of a migration's mutable state, and its snapshots.
 *
 * Writers (prober, router poller, executor) call model_* setters, which take
 * the lock briefly and bump a version. Readers (screens, status) take a
 * snapshot: a private copy they can read without any lock. The config is
 * immutable and shared by pointer. */
#ifndef CUTOVER_MODEL_H
#define CUTOVER_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cutover/config.h"

enum health { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };
enum verdict { VERDICT_NODATA, VERDICT_PASS, VERDICT_MARGINAL, VERDICT_FAIL };

#define WEIGHT_UNKNOWN (-1)
#define SPARK_LEN 60		/* recent latencies kept per side for sparklines */

/* Probe figures for one side of one service. */
struct side_stats {
	enum health health;
	double p50_ms, p95_ms, p99_ms;
	double error_pct;
	int samples;		/* samples in the window */
	uint64_t probes;	/* probes ever completed */
	char last_error[128];	/* "" when the last probe succeeded */
	float spark[SPARK_LEN];	/* recent latencies, oldest first; <0: failed probe */
	int n_spark;
	uint64_t probed_ms;	/* monotonic ms of the last result; 0: never */
};

/* Figures the router itself reports for one side (real user traffic). */
struct side_traffic {
	bool known;
	double rtime_ms;	/* average response time */
	double err5xx_pct;
	long sessions;		/* current sessions */
	uint64_t requests;	/* total requests seen */
	uint64_t responses;	/* total HTTP responses, and of them 5xx: a */
	uint64_t err5xx;	/* bake compares two readings for its window */
	bool endpoints_known;	/* the router reads the side's ready endpoints */
	int endpoints_ready;	/* how many (kubernetes: its EndpointSlices); -1: the
				 * read failed (the gate then warns) */
};

/* A service's rollout as the screens see it (rollout.h has the phases). */
struct rollout_view {
	uint8_t phase;		/* enum rollout_phase; 0: no rollout */
	uint8_t step, steps;	/* step is 1-based, 0 before the first */
	bool moving;		/* a weight change is being applied */
	bool blocks_plan;	/* rolled back or halted while later waves wait on it */
	bool held;		/* a gate blocks its next step (last_check says which) */
	int16_t failed, max_failed;	/* failed checks, cumulative */
	int16_t wave;		/* 1-based; 0: not part of a plan */
	int32_t bake_left_ms;	/* -1: no bake running */
	char last_check[176];	/* the last failed check with its figures */
};

#define JOB_VIEW_TICKS 8

/* Where a job's runs are seen (jobs.h). */
enum job_source { JOB_SRC_NONE, JOB_SRC_ROUTER, JOB_SRC_RUNS_URL, JOB_SRC_MAX_RUN };

/* A job's schedule and runs as the screens see it. For a job, a side's
 * traffic.sessions is its runs active and traffic.requests its runs
 * started (haproxy's scur/stot on a routed trigger; exec's "active"/"runs";
 * the rehearsal driver's simulation). */
struct job_view {
	bool on;		/* a job with a schedule the engine observes */
	uint8_t source;		/* enum job_source */
	uint8_t last_ran;	/* sides that ran the latest tick: 1 << side */
	uint8_t last_status;	/* enum tick_status of the latest tick */
	int16_t active[2];	/* runs active per side; -1 unknown */
	uint16_t doubles, missed;
	int64_t next_fire;	/* epoch s; 0 none */
	int64_t last_tick;	/* epoch s; 0 none yet */
	char wait[160];		/* a handoff waiting: why, with wall times */
	uint8_t n_recent;	/* the latest ticks, oldest first */
	struct job_tick_view {
		int64_t time;
		uint8_t ran, status;
	} recent[JOB_VIEW_TICKS];
};

struct service_state {
	int weight;		/* share on green 0..100, WEIGHT_UNKNOWN until read */
	int target_weight;	/* what the journal says was set, WEIGHT_UNKNOWN if never */
	bool drift;
	char drift_detail[128];
	struct side_stats side[2];
	struct side_traffic traffic[2];
	enum verdict verdict;
	char reason[160];
	bool busy;		/* a plan is applying to this service */
	uint32_t applies;	/* bumped as an apply starts and ends: a router
				 * read that began before a bump is stale */
	struct rollout_view rollout;
	struct job_view job;
	uint64_t changed_at_ms;	/* monotonic ms of the last weight/health/verdict change */
};

struct model {
	pthread_mutex_t lock;
	const struct config *cfg;
	struct service_state *svc;	/* cfg->n_services entries */
	uint64_t *ver;			/* per service: the version of its last change */
	uint64_t version;
	bool router_known;
	int routers_up;			/* instances reachable */
	int routers_total;
	char router_warning[160];	/* an instance's warning (router.h), or "" */
};

/* A reader's private, lock-free copy. */
struct snapshot {
	const struct config *cfg;
	struct service_state *svc;
	size_t n;
	uint64_t version;
	bool router_known;
	int routers_up;
	int routers_total;
	char router_warning[160];
	const struct model *from;	/* the model it copies: only changes are copied */
};

int model_init(struct model *m, const struct config *cfg, struct co_error *err);
void model_done(struct model *m);

/* Setters: index is a position in cfg->services. Return 0, or -1 with err
 * filled (bad index, a job given a weight other than 0/100, out of range). */
int model_set_weight(struct model *m, size_t index, int weight, struct co_error *err);
int model_set_target(struct model *m, size_t index, int weight, struct co_error *err);
void model_set_drift(struct model *m, size_t index, bool drift, const char *detail);
void model_set_side(struct model *m, size_t index, enum side s, const struct side_stats *st);
void model_set_traffic(struct model *m, size_t index, enum side s, const struct side_traffic *t);
void model_set_verdict(struct model *m, size_t index, enum verdict v, const char *reason);
/* The whole state of one service at once: a client mirroring an engine. */
void model_put(struct model *m, size_t index, const struct service_state *st);
void model_set_busy(struct model *m, size_t index, bool busy);
/* Every service's applies count now, into out (cfg->n_services). */
void model_applies(struct model *m, uint32_t *out);
void model_set_rollout(struct model *m, size_t index, const struct rollout_view *rv);
void model_set_job(struct model *m, size_t index, const struct job_view *jv);
/* One service's state, copied under the lock. */
void model_get(struct model *m, size_t index, struct service_state *out);
void model_set_routers(struct model *m, int up, int total);
void model_set_router_warning(struct model *m, const char *warning);

uint64_t model_version(struct model *m);

/* Copies the state into snap, reusing its buffer. Returns 1 if it copied,
 * 0 if snap was already at the current version, -1 on allocation failure. */
int model_snapshot(struct model *m, struct snapshot *snap);
void snapshot_done(struct snapshot *snap);

/* Counts for the header: how many services of a kind are fully on green. */
size_t snapshot_count_on_green(const struct snapshot *snap, enum svc_kind kind);

const char *health_name(enum health h);		/* "up" / "down" / "unknown" */
const char *verdict_name(enum verdict v);	/* "pass" / "marginal" / "fail" / "nodata" */
uint64_t monotonic_ms(void);

#endif
