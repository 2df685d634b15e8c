/* job_ledger: for every tick of a job since it was first observed, which
 * side(s) ran it. One side: ok; both: double; neither once the tolerance
 * has passed: missed; until then, pending. Pure: the caller feeds it the
 * clock and run observations, and reads the ticks back. */
#ifndef CUTOVER_JOB_LEDGER_H
#define CUTOVER_JOB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cutover/cron.h"
#include "cutover/model.h"

#define JOB_TICKS_KEPT 64

enum tick_status { TICK_PENDING, TICK_OK, TICK_DOUBLE, TICK_MISSED };

struct job_tick {
	time_t time;
	uint8_t ran;		/* bit 1 << SIDE_BLUE, 1 << SIDE_GREEN */
	uint8_t status;		/* enum tick_status */
	bool told;		/* a double or missed has been journaled */
};

struct job_ledger {
	const struct cron *cron;
	const char *tz;
	double tolerance_s;
	time_t next;		/* the first fire not yet in ticks; -1 none */
	struct job_tick ticks[JOB_TICKS_KEPT];	/* a ring, oldest at head */
	size_t head, n;
	uint64_t runs[2];	/* last counter seen per side */
	bool runs_known[2];
	unsigned doubles, missed;	/* since observing began */
};

/* Observing begins at now: ticks are the fires after it. */
void job_ledger_init(struct job_ledger *l, const struct cron *c, const char *tz,
		     double tolerance_s, double now);

/* Adds the ticks that fired by now and settles the pending ones older than
 * the tolerance as missed. Before any run counter was read nothing is
 * added: a tick nobody could see is no tick of the ledger. */
void job_ledger_advance(struct job_ledger *l, double now);

/* A side started a run at `at` (epoch s): it belongs to the latest tick at
 * or before it. Runs before the first tick are not the ledger's. */
void job_ledger_ran(struct job_ledger *l, enum side s, double at);

/* A side's run counter, read at seen_at: an increase since the last reading
 * is a run started at run_at (its own time where the source says it, else
 * seen_at). A first reading, or one that went down, is a new base; the
 * first of either side begins the ledger. */
void job_ledger_runs(struct job_ledger *l, enum side s, uint64_t total, double run_at,
		     double seen_at);

/* The i-th tick, oldest first (i < l->n). */
struct job_tick *job_ledger_tick(struct job_ledger *l, size_t i);

const char *tick_status_name(enum tick_status s);

#endif
