/* rollout_private: the rollouts' state, owned by their one thread, and the
 * parts of it shared by the files of src/rollout/ only. */
#ifndef CUTOVER_ROLLOUT_PRIVATE_H
#define CUTOVER_ROLLOUT_PRIVATE_H

#include <pthread.h>

#include "cutover/alert.h"
#include "cutover/config.h"
#include "cutover/executor.h"
#include "cutover/journal.h"
#include "cutover/model.h"
#include "cutover/rollout.h"
#include "cutover/state_json.h"

#define ROLLOUT_TICK_MS 100
#define ROLLOUT_ACTOR "autopilot"

/* One service's walk. step indexes cfg->services[i].rollout.steps; -1
 * before the first. */
struct ro_svc {
	enum rollout_phase phase;
	enum rollout_phase before_pause;
	int step;
	int run, wave;			/* indices into r->runs and r->waves; -1 none */
	int failed;
	int expect_weight;		/* what the rollout last set; -1 unknown */
	/* A weight change in flight. */
	bool moving, move_rollback;
	int move_to, move_step;
	uint64_t move_seq;		/* the executor's plan_seq; 0 queued only */
	bool queued;			/* in this tick's batch */
	bool announced;			/* its "advancing" record is written */
	bool unsure;			/* restored mid-change: read the router first */
	bool rb_unsure;			/* restored after "rolled_back" with no outcome since */
	/* The bake. */
	int64_t baked_ms;
	uint64_t bake_tick_ms;		/* monotonic ms the bake was last counted */
	char bake_id[32];
	bool checked, last_ok, hold;
	uint64_t last_probes, last_check_ms;
	bool traffic_base;
	uint64_t base_responses, base_5xx;
	bool promote, promote_full;
	uint64_t held_until_ms;		/* a gate blocked its next step until then */
	char last_gate[32];
	char last_fail[176];
	cJSON *last_figures;		/* owned */
	struct rollout_view shown;	/* what the model has */
};

struct ro_wave {
	int run;
	int parallel;
	bool complete;			/* every member done and baked */
};

struct ro_run {
	char id[32];
	bool plan;			/* the config's release plan */
	bool ended;
	int first_wave, n_waves;
	double cpu_start;		/* the rollouts thread's CPU s at its start; <0 unknown */
	double engine_cpu_start;	/* the whole process's */
	uint64_t checks_start;
};

/* A journal record waiting for the end of the tick. */
struct ro_pending {
	char actor[160];
	char plan[40];
	cJSON *payload;
};

/* A request waiting for the thread; rq NULL asks for the status. */
struct ro_control {
	const struct rollout_request *rq;
	const char *actor;
	cJSON *out;
	int code;
	bool done;
	struct ro_control *next;
};

struct rollouts {
	const struct config *cfg;
	struct rollouts_deps d;
	struct ro_svc *s;		/* cfg->n_services */
	struct ro_wave *waves;
	size_t n_waves, cap_waves;
	struct ro_run *runs;
	size_t n_runs, cap_runs;
	struct snapshot snap;
	uint64_t checks;		/* read by others: guarded by lock */
	char journal_error[256];	/* the last record that could not be written */
	struct ro_pending *pending;
	size_t n_pending, cap_pending;
	uint64_t last_clock_ms;
	bool restored;
	bool had_clocks;		/* the clock file holds bakes */
	cJSON *clocks;			/* the bake clocks read at start, until settled */
	unsigned id_counter;
	/* Requests from other threads, answered on this one. */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* the thread waits on it between ticks */
	pthread_cond_t answered;
	struct ro_control *controls;
	bool stop;
	pthread_t thread;
	bool running;
};

/* rollout_step.c: one service's machine, run each tick. */
void ro_step_service(struct rollouts *r, size_t i, uint64_t now);
/* Starts service i's walk at its current weight (it is pending). */
void ro_begin(struct rollouts *r, size_t i, uint64_t now);
/* Queues service i's weight change toward step k, or to 0. */
void ro_queue_move(struct rollouts *r, size_t i, int step, bool rollback);
void ro_journal_advancing(struct rollouts *r, size_t i);
/* A queued or applied change finished (ok or not). */
void ro_landed(struct rollouts *r, size_t i, bool ok, const char *why, uint64_t now);
/* The bake of the current step starts from zero (left_ms: resumed). */
void ro_bake_start(struct rollouts *r, size_t i, int64_t baked_ms, uint64_t now);
bool ro_active(enum rollout_phase p);
/* Holds the weight for a human: journaled, alerted, the reason kept. */
void ro_halt(struct rollouts *r, size_t i, const char *gate, const char *detail, const cJSON *fig);
/* After a restart: the step the router shows bakes again from zero, or
 * the bake that ran resumes with what it had baked. */
void ro_landed_again(struct rollouts *r, size_t i, uint64_t now);
void ro_bake_resume(struct rollouts *r, size_t i, int64_t baked_ms, uint64_t now);

/* rollout_check.c: one check of a bake. */
struct ro_check {
	bool failed, hold;
	char gate[32];
	char detail[176];
	cJSON *figures;			/* owned by the caller */
};
void ro_check_eval(struct rollouts *r, size_t i, struct ro_check *out);
/* The figures of service i now (the journal's "figures"). */
cJSON *ro_figures(struct rollouts *r, size_t i, const double *green_5xx_pct);

/* rollout_journal.c: records, in actor's name (NULL: the autopilot). */
cJSON *ro_record(struct rollouts *r, size_t i, const char *event);
void ro_journal(struct rollouts *r, const char *actor, const char *plan, cJSON *payload);
void ro_journal_flush(struct rollouts *r);
void ro_alert(struct rollouts *r, const char *event, size_t i, const char *detail, const cJSON *fig);

/* rollout_restore.c: the journal read back, and the bake clocks. */
void ro_restore_read(struct rollouts *r);
void ro_restore_settle(struct rollouts *r, uint64_t now);
/* At most once a second; now UINT64_MAX: at once (a clean stop). */
void ro_clock_save(struct rollouts *r, uint64_t now);

/* rollout_control.c: one request being carried out. */
struct ro_act {
	struct rollouts *r;
	const struct rollout_request *rq;
	const char *actor;
	uint64_t now;
	cJSON *done, *refused;		/* arrays of answers */
};
cJSON *ro_answer(cJSON *arr, const char *svc, const char *result, const char *detail);
/* rollout_start.c */
void ro_start(struct ro_act *a, const size_t *svc, size_t n);

/* rollout_control.c */
/* ready: the router was read; before that only the status is answered. */
void ro_controls_run(struct rollouts *r, uint64_t now, bool ready);
cJSON *ro_status_json(struct rollouts *r);
int ro_new_run(struct rollouts *r, bool plan);
int ro_new_wave(struct rollouts *r, int run, int parallel);

/* rollout.c */
bool ro_blocks_plan(const struct rollouts *r, size_t i);
const struct rollout_conf *ro_conf(const struct rollouts *r, size_t i);
const char *ro_name(const struct rollouts *r, size_t i);
double ro_cpu_seconds(bool thread);	/* this thread's CPU s, or the process's */

#endif
