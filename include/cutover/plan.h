/* plan: the moves of one cutover and the gates that judge them, built from
 * a snapshot so that what the engineer confirms is exactly what runs. */
#ifndef CUTOVER_PLAN_H
#define CUTOVER_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cutover/model.h"

enum move_goal {
	GOAL_GREEN,		/* all the way: 100 */
	GOAL_BLUE,		/* all the way: 0 */
	GOAL_STEP_GREEN,	/* next value of cfg->steps above the weight */
	GOAL_STEP_BLUE,		/* next value of cfg->steps below it, else 0 */
	GOAL_WEIGHT,		/* exactly the given weight */
	GOAL_JOURNAL,		/* back to what the journal last set, where the
				 * router drifted from it (a reload lost it) */
};

enum gate_level { GATE_PASS, GATE_WARN, GATE_BLOCK };

#define PLAN_WHOLE SIZE_MAX	/* a gate about the whole plan, not one service */

struct gate_result {
	size_t service;		/* index, or PLAN_WHOLE */
	char name[32];		/* "green-health", "verdict", "jobs-first", ... */
	enum gate_level level;
	char detail[160];	/* plain words, e.g. "green down: timeout after 800 ms" */
};

struct plan_move {
	size_t service;
	int from;		/* observed weight, WEIGHT_UNKNOWN if unread */
	int to;
};

struct plan {
	char id[40];		/* ties journal intents to outcomes */
	char actor[128];	/* who asked, as journaled; "" = the journal's own */
	bool rollback;		/* toward blue as an emergency: best effort everywhere */
	bool reapply;		/* GOAL_JOURNAL: drift is the reason, not a blocker */
	struct plan_move *moves;
	size_t n_moves;
	struct gate_result *gates;
	size_t n_gates;
	size_t n_blockers;
	size_t n_warnings;
};

/* "name" or "@group" to service indices, in config order, without repeats.
 * Unknown names are an error naming them. */
int plan_resolve_targets(const struct config *cfg, char *const *targets, size_t n,
			 size_t **out, size_t *n_out, struct co_error *err);

/* Builds moves toward the goal for the given services and evaluates every
 * gate. A service already at its target is left out, unless it drifted (its
 * instances may disagree: the first one's weight is all a snapshot has);
 * for GOAL_JOURNAL so is one the journal never set. A job asked for a
 * weight other than 0/100 is an error naming it. */
int plan_build(const struct snapshot *snap, const size_t *services, size_t n,
	       enum move_goal goal, int weight, struct plan *out, struct co_error *err);
void plan_done(struct plan *p);

/* A plan of exactly these moves (from/to as given; from is read from the
 * snapshot when WEIGHT_UNKNOWN is not what the caller means, so pass the
 * snapshot's weight), gates evaluated as plan_build does: the autopilot's
 * steps, each service to its own next weight. */
int plan_build_moves(const struct snapshot *snap, const struct plan_move *moves, size_t n,
		     bool rollback, struct plan *out, struct co_error *err);

/* The checks of a bake for service s at its weight: the gates a move
 * toward green meets (green health, verdict, green errors, drift, router
 * reachable), appended to p's gates; p needs no moves. */
int gates_bake_check(const struct snapshot *snap, size_t s, struct plan *p, struct co_error *err);

const char *gate_level_name(enum gate_level l);	/* "pass" / "warn" / "block" */

/* The gates that judged service (PLAN_WHOLE: the plan-wide ones) as a JSON
 * array of {"gate", "level", "detail"}, the plan-wide ones too when
 * with_whole: the journal's intents and the CLI's --json say it alike. */
cJSON *plan_gates_json(const struct plan *p, size_t service, bool with_whole);

#endif
