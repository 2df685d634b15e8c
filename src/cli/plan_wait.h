/* plan_wait: what a CLI says while a plan runs: each new thing it waits
 * for (a job's gap, with a countdown) on stderr, and Ctrl-C to let go of a
 * plan that still waits. */
#ifndef CUTOVER_PLAN_WAIT_H
#define CUTOVER_PLAN_WAIT_H

#include <signal.h>
#include <stdbool.h>

struct plan_wait {
	struct sigaction old_int;
	char said[200];
	bool asked;		/* a cancel was asked already */
};

void plan_wait_begin(struct plan_wait *w);
/* Says waiting when its words (not its countdown) changed; true once after
 * Ctrl-C while the plan waits: the caller then cancels it. */
bool plan_wait_tick(struct plan_wait *w, const char *waiting);
void plan_wait_end(struct plan_wait *w);

#endif
