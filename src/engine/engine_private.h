/* engine_private: the engine's parts, shared by its files only. */
#ifndef CUTOVER_ENGINE_PRIVATE_H
#define CUTOVER_ENGINE_PRIVATE_H

#include <pthread.h>

#include "cutover/alert.h"
#include "cutover/engine.h"
#include "cutover/rollout.h"
#include "cutover/hub.h"
#include "cutover/jobs.h"
#include "cutover/journal.h"
#include "cutover/journal_tail.h"
#include "cutover/prober.h"
#include "cutover/router.h"
#include "cutover/router_poller.h"

struct api;

#define ENGINE_PLANS_KEPT 64
#define ENGINE_NOTICES_KEPT 16

struct engine_plan {
	bool used;
	struct plan_request rq;
	struct plan plan;
	char actor[128];
	uint64_t made_ms;
	bool applied;
	uint64_t exec_seq;	/* the executor's plan_seq once submitted */
	bool ended;		/* final holds how it ended */
	struct executor_progress final;
};

struct engine_notice_rec {
	uint64_t seq;
	char text[256];
};

struct engine {
	const struct config *cfg;
	struct engine_opts opts;
	struct model m;
	bool model_ok;
	struct lock *lk;
	struct journal *j;
	struct prober *prober;
	const struct router_driver *drv;
	struct router *router;
	struct router_poller *poller;
	struct executor *exec;
	struct rollouts *rollouts;
	struct alerts *alerts;
	struct jobs *jobs;
	char *clock_path;		/* the rollouts' bake clocks */
	struct hub *hub;
	struct api *api;
	char actor[128];
	uint64_t started_ms;
	bool started_journaled;

	pthread_mutex_t lock;		/* plans, lever, notices, counters */
	struct engine_plan plans[ENGINE_PLANS_KEPT];
	size_t plan_next;
	bool stopping;
	struct lever_state lever;
	uint64_t waiting[32];		/* operator clients in line for the lever */
	char waiting_actor[32][128];
	char waiting_kind[32][16];
	size_t n_waiting;
	uint64_t next_client;
	uint64_t hosted_client;		/* the hosting console's in-process id, 0 none */
	struct engine_notice_rec notices[ENGINE_NOTICES_KEPT];
	uint64_t notice_seq;
	uint64_t plans_applied, plans_failed;

	/* The publisher: deltas, journal records, heartbeats. */
	pthread_t pub;
	bool pub_running;
	pthread_mutex_t pub_lock;
	pthread_cond_t pub_cond;
	bool pub_stop;
	struct snapshot prev;		/* what the last delta went out from */
	struct journal_tail tail;
	uint64_t event_id;
	struct executor_progress last_prog;
	uint64_t lever_gen, lever_gen_sent;
	double probe_rate;
	uint64_t rate_probes, rate_ms;
};

/* engine_publish.c */
int engine_publish_start(struct engine *e, struct co_error *err);
void engine_publish_stop(struct engine *e);
/* "event: NAME\ndata: JSON\n\n" with the next id, malloc'd. */
char *engine_event_text(struct engine *e, const char *name, const cJSON *data, size_t *len);
cJSON *engine_progress_json(const struct executor_progress *p);

/* engine_plans.c: the plan the executor ran ended: keep its result with
 * it and count it, once. Caller holds e->lock. */
void engine_plan_ended_locked(struct engine *e, const struct executor_progress *p);

/* engine_plans.c: who asks, as the journal names them; and a 409 (body in
 * *out) when someone else holds the lever. Caller holds e->lock. */
void engine_actor_text(const struct engine_actor *who, char *out, size_t cap);
int engine_lever_refusal(struct engine *e, const struct engine_actor *who, cJSON **out);

/* engine_watch.c: alerts for what changed between two snapshots (a
 * side's health, the routers, drift). */
void engine_watch(struct engine *e, const struct snapshot *prev, const struct snapshot *cur);

/* engine_lever.c: the lever changed: tell everyone. Caller holds e->lock. */
void engine_lever_changed_locked(struct engine *e);

#endif
