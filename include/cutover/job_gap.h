/* job_gap: when a job may change sides. A handoff is safe in the gap
 * between ticks: after the last fire's run has ended on the old side, and
 * at least guard_s plus the switch's own time before the next fire. Pure
 * functions of the schedule, the clock and what is observed, so the gates
 * (before a plan is confirmed) and the executor (while it waits) agree. */
#ifndef CUTOVER_JOB_GAP_H
#define CUTOVER_JOB_GAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cutover/config.h"
#include "cutover/cron.h"
#include "cutover/model.h"

/* A fresh observation must come this long after a fire before "no run is
 * active" is believed: a trigger and a poll both take a moment. */
#define JOB_SETTLE_S 1.0

struct job_gap_input {
	const struct cron *cron;
	const char *tz;
	const struct job_conf *jc;
	double now;		/* epoch seconds */
	int active_old;		/* runs active on the side being left; -1 unknown */
	double active_at;	/* epoch seconds of that observation */
	double switch_s;	/* how long the switch takes (measured or handoff_s) */
};

enum job_gap_state {
	JOB_GAP_OPEN,		/* switch now */
	JOB_GAP_WAIT,		/* wait until `until`, then ask again */
	JOB_GAP_NEVER,		/* the schedule leaves no gap wide enough */
};

struct job_gap {
	enum job_gap_state state;
	double until;		/* WAIT: when to ask again */
	time_t next_fire;	/* the next fire after now; -1 none within 5 years */
	char why[200];		/* WAIT and NEVER: in words, with wall times */
};

/* Whether a move takes a job from one side to the other: a job is only
 * ever 0 or 100, and an unknown "from" (WEIGHT_UNKNOWN) may be either. */
bool job_gap_changes_side(int from, int to);

/* The switch time a handoff is planned with: handoff_s when given, else
 * the longest a router call may take (its timeout: a tool that takes
 * longer is killed), or the longest switch measured if that is more; never
 * less than half a second. */
double job_gap_switch_s(const struct config *cfg, const struct job_conf *jc, double measured_s);

/* Whether the schedule ever leaves a gap of guard_s + switch_s after a run
 * (max_run_s, or JOB_SETTLE_S when unknown): NEVER with the reason, else
 * OPEN or WAIT for now. */
void job_gap_judge(const struct job_gap_input *in, struct job_gap *out);

/* "12:30:00" in the job's zone, or with its date too when t is not on
 * the same day there as now (the caller's clock, so that a judge's words
 * follow the judge's time rather than the wall's). */
void job_gap_clock(time_t t, double now, const char *tz, char *out, size_t cap);

#endif
