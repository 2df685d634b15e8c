/* job_ledger: which side ran each tick (see job_ledger.h). */
#include "cutover/job_ledger.h"

#include <math.h>
#include <string.h>

const char *tick_status_name(enum tick_status s)
{
	static const char *const names[] = { "pending", "ok", "double", "missed" };
	return (unsigned)s < 4 ? names[s] : "pending";
}

void job_ledger_init(struct job_ledger *l, const struct cron *c, const char *tz,
		     double tolerance_s, double now)
{
	memset(l, 0, sizeof *l);
	l->cron = c;
	l->tz = tz;
	l->tolerance_s = tolerance_s;
	l->next = cron_next(c, (time_t)floor(now), tz);
}

struct job_tick *job_ledger_tick(struct job_ledger *l, size_t i)
{
	return &l->ticks[(l->head + i) % JOB_TICKS_KEPT];
}

static void push(struct job_ledger *l, time_t t)
{
	if (l->n == JOB_TICKS_KEPT) {
		l->head = (l->head + 1) % JOB_TICKS_KEPT;
		l->n--;
	}
	struct job_tick *k = job_ledger_tick(l, l->n++);
	*k = (struct job_tick){ .time = t };
}

/* Adds the ticks fired by `at`; a clock that jumped far ahead adds at
 * most a ring's worth. */
static void add_ticks(struct job_ledger *l, double at)
{
	for (int i = 0; l->next != (time_t)-1 && (double)l->next <= at; i++) {
		if (i < JOB_TICKS_KEPT)
			push(l, l->next);
		l->next = cron_next(l->cron, l->next, l->tz);
	}
}

static bool observing(const struct job_ledger *l)
{
	return l->runs_known[0] || l->runs_known[1];
}

void job_ledger_advance(struct job_ledger *l, double now)
{
	if (!observing(l)) {	/* no run can be seen: no tick to judge */
		if (l->next != (time_t)-1 && (double)l->next <= now)
			l->next = cron_next(l->cron, (time_t)floor(now), l->tz);
		return;
	}
	add_ticks(l, now);
	for (size_t i = 0; i < l->n; i++) {
		struct job_tick *k = job_ledger_tick(l, i);
		if (k->status == TICK_PENDING && now >= (double)k->time + l->tolerance_s) {
			k->status = TICK_MISSED;
			l->missed++;
		}
	}
}

void job_ledger_ran(struct job_ledger *l, enum side s, double at)
{
	struct job_tick *k = NULL;
	add_ticks(l, at + 1e-3);	/* a run seen before its tick was added */
	for (size_t i = l->n; i-- > 0;) {
		struct job_tick *t = job_ledger_tick(l, i);
		if ((double)t->time <= at + 1e-3) {
			k = t;
			break;
		}
	}
	if (!k)
		return;
	k->ran |= (uint8_t)(1u << s);
	if (k->ran == 3 && k->status != TICK_DOUBLE) {
		if (k->status == TICK_MISSED)
			l->missed--;
		k->status = TICK_DOUBLE;
		k->told = false;
		l->doubles++;
	} else if (k->status == TICK_PENDING || k->status == TICK_MISSED) {
		/* A run seen late (a slow poll) takes back a "missed" not yet told. */
		if (k->status == TICK_MISSED && !k->told)
			l->missed--;
		if (k->status == TICK_PENDING || !k->told)
			k->status = TICK_OK;
	}
}

void job_ledger_runs(struct job_ledger *l, enum side s, uint64_t total, double run_at,
		     double seen_at)
{
	/* The first reading is where observing begins: a tick before it
	 * cannot be judged, whatever the counters say. */
	if (!observing(l)) {
		l->n = l->head = 0;
		l->next = cron_next(l->cron, (time_t)floor(seen_at), l->tz);
	}
	if (l->runs_known[s] && total > l->runs[s])
		job_ledger_ran(l, s, run_at);
	l->runs[s] = total;
	l->runs_known[s] = true;
}
