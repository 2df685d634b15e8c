/* executor: applies confirmed plans through the router driver on its own
 * thread, journaling every intent before and every outcome after, so that
 * front ends only ever submit requests and read progress. */
#ifndef CUTOVER_EXECUTOR_H
#define CUTOVER_EXECUTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "cutover/plan.h"
#include "cutover/router.h"

struct journal;
struct executor;

struct executor_progress {
	uint64_t plan_seq;	/* increments per submitted plan; 0 before any */
	char plan_id[40];
	bool running;
	size_t done, total;	/* services handled so far */
	bool finished;
	bool ok;		/* every move applied (or, for rollback, every instance reached) */
	char result[512];	/* plain words, naming every instance that failed and why */
	char waiting[200];	/* a move held for a job's gap: why, with wall times; "" */
	bool cancelled;		/* executor_cancel stopped it */
};

/* Asked before each move of a plan (not a rollback's: the way back never
 * waits). before blocks until the move may go (0) or refuses it (-1, why
 * filled); it polls executor_cancelled and says what it waits for with
 * executor_say_waiting. took tells how long the move's apply took. */
struct executor_gate {
	int (*before)(void *ctx, size_t service, int from, int to, struct executor *e,
		      char *why, size_t cap);
	void (*took)(void *ctx, size_t service, double seconds);
	void *ctx;
};

/* The executor owns no model state: it writes weights/busy marks through the
 * model's setters and reads nothing but the plan it was given. */
struct executor *executor_start(struct model *m, const struct router_driver *drv,
				struct router *r, struct journal *j, struct co_error *err);
void executor_stop(struct executor *e);
/* Set before any plan is submitted. */
void executor_set_gate(struct executor *e, const struct executor_gate *g);
/* Cancels the running plan if it is still waiting (plan_id NULL: any):
 * moves not yet applied are skipped and journaled so. 0, or -1 with err
 * when no such plan waits. */
int executor_cancel(struct executor *e, const char *plan_id, struct co_error *err);
bool executor_cancelled(struct executor *e);
void executor_say_waiting(struct executor *e, const char *text);

/* Queues a copy of the plan. Refused (-1, err filled) when the plan has
 * blockers and force is false, when another plan is running, or when force
 * is given without a reason. */
int executor_submit(struct executor *e, const struct plan *p, bool force, const char *reason,
		    struct co_error *err);
void executor_get_progress(struct executor *e, struct executor_progress *out);
/* Waits until the current plan finishes or timeout_ms passes; 0 finished. */
int executor_wait(struct executor *e, int timeout_ms);

#endif
