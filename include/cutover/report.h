/* report: the post-release review, read from a release's journal: what
 * every service went through (each weight and how long, the rollout
 * events between), every breach with the figures of that moment beside
 * their limits, every rollback and forced move with who and why, who did
 * what, and the final state; then written as markdown, JSON or HTML
 * through one table of formats.
 *
 * The model is built in one pass over the journal and keeps what the
 * review shows, not the records: per service a bounded timeline (the last
 * REPORT_TIMELINE_KEPT entries, older ones counted) and the total time at
 * each weight; globally the last REPORT_LIST_KEPT breaches, rollbacks and
 * forced moves (older ones counted). Every text taken from the journal is
 * copied bounded, with control bytes as '?' and URLs through
 * journal_redact_url; the writers escape it for their format. */
#ifndef CUTOVER_REPORT_H
#define CUTOVER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cutover/error.h"
#include "cutover/journal.h"

#define REPORT_NO_WEIGHT (-1)		/* a weight the journal does not say */
#define REPORT_TIMELINE_KEPT 256	/* entries per service */
#define REPORT_LIST_KEPT 1000		/* breaches, rollbacks, forced moves */
#define REPORT_TEXT 200			/* bytes of a reason, a detail */
#define REPORT_NAME 64			/* bytes of a service, an actor, a plan id */

/* Keeps the last max elements of size bytes each; pushing one more drops
 * the oldest and counts it. */
struct report_ring {
	void *v;
	size_t size, cap, max;
	size_t n, start;
	size_t pushed;			/* ever pushed: dropped = pushed - n */
};

size_t report_ring_len(const struct report_ring *r);
size_t report_ring_dropped(const struct report_ring *r);
/* The i-th kept element, oldest first; NULL out of range. */
const void *report_ring_at(const struct report_ring *r, size_t i);

/* A rollout check's figures (include/cutover/rollout.h); NAN where the
 * record had none or null. */
struct report_figures {
	bool present;
	double weight;
	char green_health[24], blue_health[24], verdict[24];
	double green_p95_ms, blue_p95_ms, p95_delta_pct, max_p95_delta_pct;
	double green_error_pct, blue_error_pct, max_error_rate_pct;
	double green_5xx_pct;		/* real traffic in the check's window */
	double routers_up, routers_total;
	int drift;			/* 1, 0, or -1 when not said */
};

enum report_entry_kind {
	REPORT_WEIGHT,		/* the service reached a weight */
	REPORT_EVENT,		/* a rollout event */
};

/* One line of a service's timeline. */
struct report_entry {
	enum report_entry_kind kind;
	int64_t at_ms;			/* Unix ms, from the record's time */
	long long seq;
	int weight;			/* reached, or named by the event; REPORT_NO_WEIGHT */
	int from;			/* WEIGHT: the weight before; REPORT_NO_WEIGHT */
	int64_t held_ms;		/* WEIGHT: until the next change, or the journal's end */
	bool final;			/* WEIGHT: still there at the journal's end */
	bool rollback, forced, reconciled;
	char event[16];			/* EVENT: "started", "baking", ... */
	char plan[REPORT_NAME];
	char actor[REPORT_NAME];
	char detail[REPORT_TEXT];	/* EVENT: its words ("step 2/4: 5 -> 25") */
};

struct report_service {
	char *name;
	int weight;			/* the last known, REPORT_NO_WEIGHT if never */
	int64_t since_ms;		/* at it since */
	/* The weight before its first move (that move's "from"), held from
	 * the journal's first record: the line before its timeline. */
	int start_weight;		/* REPORT_NO_WEIGHT when not said */
	int64_t start_held_ms;
	int64_t at_weight_ms[101];	/* total time at each weight */
	bool was_at[101];
	size_t moves, rollbacks, breaches;
	char rollout[16];		/* its last rollout event, "" if none */
	struct report_ring timeline;	/* struct report_entry */
	/* reading state */
	size_t last_weight_entry;	/* pushed index of its last WEIGHT entry */
	bool has_weight_entry;
};

/* A check_failed, halted or rolled_back rollout record. */
struct report_breach {
	int64_t at_ms;
	long long seq;
	char service[REPORT_NAME];
	char event[16];
	char actor[REPORT_NAME];
	char plan[REPORT_NAME];		/* rolled_back: the plan that moved it back */
	int step, weight;		/* -1 when not said */
	int failed_checks, max_failed_checks;	/* -1 when not said */
	char gate[64];
	char detail[REPORT_TEXT];
	struct report_figures fig;
};

/* A rollback plan or a forced plan, from its intents. */
struct report_plan {
	int64_t at_ms;
	char plan[REPORT_NAME];
	char actor[REPORT_NAME];
	char reason[REPORT_TEXT];	/* "" when none was given */
	char blockers[REPORT_TEXT];	/* forced: the blockers it went past */
	char first_service[REPORT_NAME];
	size_t services;
	bool rollback, forced;
	bool autopilot;			/* a rollout's rollback (actor autopilot, or a
					 * rolled_back record names the plan) */
};

struct report_actor {
	char *name;
	size_t plans, moves, rollbacks, forced, lever, controls;
};

struct report_counts {
	size_t plans;			/* distinct plans with intents */
	size_t moves;			/* weight changes, once per plan and service */
	size_t rollbacks;		/* rollback plans (manual and a rollout's) */
	size_t forced;			/* plans applied past their blockers (--force) */
	size_t breaches;		/* failed rollout checks */
	size_t halts;			/* rollouts halted on a breach */
	size_t rollout_rollbacks;	/* rollouts rolled back (breach or abort) */
	size_t reconciled;		/* intents a recovery closed */
	size_t engine_starts;
	size_t lever_takes;
	size_t notes;
};

struct report {
	char *path;
	char *release;
	/* The chain, as journal_verify sees it; intact as `cutover journal
	 * --verify` judges (a line torn by a crash is a warning, not a fault). */
	struct journal_verify_result verify;
	bool intact;
	char integrity[400];		/* one sentence for the header */
	int64_t first_ms, last_ms;	/* 0 when no record had a time */
	size_t records;
	size_t skipped_lines;		/* lines that were no record */
	struct report_counts counts;
	struct report_service **services;	/* in the order the journal first names them */
	size_t n_services;
	struct report_ring breaches;	/* struct report_breach */
	struct report_ring rollbacks;	/* struct report_plan */
	struct report_ring forced;	/* struct report_plan */
	struct report_actor **actors;	/* in the order of their first record */
	size_t n_actors;
	size_t plans_completed;		/* "plan_completed" rollout records */
	long long checks;		/* their checks, summed */
	double cpu_s;			/* their cpu_s, summed */
	struct report_index *index;	/* reading state: names to entries */
};

/* Reads the journal at path (and checks its chain) into a new report.
 * release names it (NULL: taken from the file name, "R.journal.jsonl").
 * A missing or unreadable journal is an error naming the path. Returns
 * NULL with err filled. */
struct report *report_build(const char *path, const char *release, struct co_error *err);
void report_free(struct report *r);		/* NULL: no-op */

/* The engine's CPU per evaluated check in microseconds, or a negative
 * number when no plan_completed record counted any check. */
double report_cpu_us_per_check(const struct report *r);

/* The seconds from the first record to the last. */
double report_duration_s(const struct report *r);

struct report_format {
	const char *name;	/* "md", "json", "html" */
	int (*write)(FILE *out, const struct report *r, struct co_error *err);
};

extern const struct report_format report_format_md;
extern const struct report_format report_format_json;
extern const struct report_format report_format_html;

/* The format called name, or NULL. */
const struct report_format *report_format_find(const char *name);
/* "md, json, html", for a usage line. */
const char *report_format_names(void);

#endif
