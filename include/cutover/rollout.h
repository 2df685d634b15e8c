/* rollout: services walking their steps on autopilot inside the engine:
 * go to a step's weight, bake it while the gates are checked at every
 * probe interval, advance, wait for a human at a pause, and on too many
 * failed checks roll back (or halt). A release plan runs waves of them.
 *
 * Journal records (type "rollout", plan null unless said), one per event,
 * in the name of whoever caused it (the operator, or "autopilot"):
 *   {"event":"started","service":S,"run":ID,"wave":W,"parallel":P,"steps":N,
 *    "weights":[5,25,null,100],"max_failed_checks":K,"on_breach":"rollback"|"halt",
 *    "release_plan":BOOL}
 *   {"event":"advancing","service":S,"step":I,"steps":N,"from":A,"to":B}
 *        (before the weight change; I is 1-based; the plan's own intents
 *         and outcomes follow, by actor "autopilot")
 *   {"event":"baking","service":S,"step":I,"steps":N,"weight":W,"bake_s":B,"bake_id":ID}
 *        (the weight is in place: the bake starts; "resumed_s" when a
 *         restarted engine resumes it with that much left)
 *   {"event":"check_failed","service":S,"step":I,"weight":W,"failed_checks":K,
 *    "max_failed_checks":N,"gate":G,"detail":D,"figures":{...}}
 *   {"event":"waiting","service":S,"step":I,"weight":W}        (a pause step)
 *   {"event":"halted","service":S,"step":I,"weight":W,"gate":G,"detail":D,"figures":{...}}
 *   {"event":"rolled_back","service":S,"step":I,"from":W,"gate":G,"detail":D,
 *    "figures":{...}}   (a breach, at once; after "aborted" for an abort)
 *   {"event":"done","service":S,"weight":100}
 *   {"event":"paused"|"resumed"|"aborted","service":S}
 *   {"event":"promoted","service":S,"full":BOOL}
 *   {"event":"plan_completed","run":ID,"services":N,"checks":C,"cpu_s":X,"engine_cpu_s":Y}
 *        (every service of a release plan done; C checks evaluated,
 *         X CPU seconds of the autopilot's thread and Y of the whole engine
 *         since the plan started; both absent when it began in an earlier
 *         engine)
 * figures: {"weight","green_health","blue_health","verdict","green_p95_ms",
 *   "blue_p95_ms","p95_delta_pct","max_p95_delta_pct","green_error_pct",
 *   "blue_error_pct","max_error_rate_pct","green_5xx_pct" (real traffic
 *   in the check's window, null when the router saw none),
 *   "routers_up","routers_total","drift"} */
#ifndef CUTOVER_ROLLOUT_H
#define CUTOVER_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cutover/error.h"

enum rollout_phase {
	ROLLOUT_NONE,		/* no rollout for this service */
	ROLLOUT_PENDING,	/* started, waiting for its wave or a parallel slot */
	ROLLOUT_BAKING,		/* at a step (or moving to it), checks running */
	ROLLOUT_WAITING,	/* at a pause step: promote to go on */
	ROLLOUT_HALTED,		/* a breach held the weight: a human decides */
	ROLLOUT_ROLLED_BACK,	/* back at 0 after a breach or an abort */
	ROLLOUT_DONE,		/* at 100, baked */
	ROLLOUT_PAUSED,		/* paused by a human: no checks count, no step */
};

const char *rollout_phase_name(enum rollout_phase p);	/* "pending", "baking", ... */
/* A glyph that says the phase without colour, for the console. */
const char *rollout_phase_glyph(enum rollout_phase p);
/* -1 when the name is no phase. */
int rollout_phase_parse(const char *name);

struct model;
struct executor;
struct journal;
struct alerts;
struct config;
struct rollouts;

/* What the rollouts drive and report to; all outlive them. */
struct rollouts_deps {
	struct model *m;
	struct executor *exec;
	struct journal *j;
	struct alerts *alerts;		/* may be NULL */
	const char *clock_path;		/* where bake clocks are checkpointed */
};

/* Reads the journal's rollout records and carries on where they left off
 * (once the router has been read), on a thread of its own. */
struct rollouts *rollouts_start(const struct config *cfg, const struct rollouts_deps *d,
				struct co_error *err);
/* Stops the thread: no step, no check from here; controls are refused
 * (503) but the handle stays valid for other threads until freed. */
void rollouts_stop(struct rollouts *r);	/* NULL: no-op */
void rollouts_free(struct rollouts *r);	/* stops first; NULL: no-op */

enum rollout_action {
	ROLLOUT_START, ROLLOUT_PAUSE, ROLLOUT_RESUME, ROLLOUT_ABORT, ROLLOUT_PROMOTE,
};

struct rollout_request {
	enum rollout_action action;
	char **targets;		/* names and @groups */
	size_t n_targets;
	bool plan;		/* start: the config's release plan (waves) */
	bool full;		/* promote: skip every bake and pause left */
	bool dry_run;		/* start: say what would start, start nothing */
};

/* "start" ... "promote" from a path, the body {"targets": [...], "plan":
 * true, "full": true, "dry_run": true} with errors naming the JSON path. */
int rollout_request_parse(const char *action, const char *body, size_t len,
			  struct rollout_request *out, struct co_error *err);
void rollout_request_done(struct rollout_request *rq);
const char *rollout_action_name(enum rollout_action a);

/* Carries a request out on the rollouts' thread, in actor's name, and
 * answers like the API: 200 with {"action", "services": [{"service",
 * "result": "started"|..., "detail"}], "refused": [...]}; 400 a bad
 * request; 409 when every service was refused. */
int rollouts_control(struct rollouts *r, const struct rollout_request *rq, const char *actor,
		     cJSON **out);

/* {"services": [{"service", "phase", "step", "steps", "weight",
 *  "bake_left_s", "failed_checks", "max_failed_checks", "wave",
 *  "last_failed_check": {"gate", "detail", "figures"}|null}],
 *  "needs_you": [names], "checks": N} for every service with a rollout. */
cJSON *rollouts_status_json(struct rollouts *r);

/* Checks evaluated since the engine started. */
uint64_t rollouts_checks(struct rollouts *r);

#endif
