/* cutover-sim: job schedulers — fires on the wall clock, runs, and the truth
 * about which side ran for which fire.
 *
 * A job fires at every wall-clock instant whose epoch seconds are a multiple
 * of every_s, like a cron schedule with seconds. Each fire is one timer on the
 * loop's heap (armed on the monotonic clock, re-checked against the wall
 * clock when due); each run is one more timer, for its end. At a fire a `self`
 * side starts a run by itself; a `routed` side starts one when a request for
 * /run reaches it, and the simulator, when trigger_url is set, sends that
 * request itself as the job's one scheduler (sim_call.c).
 *
 * The record of fires is the truth a test compares cutover's hand-over with:
 * a fire both sides ran for is a double, one nobody ran for (once it is
 * SIM_SETTLE_MS old) a miss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_job.h"

#define NS_PER_MS ((int64_t)SIM_NS_PER_MS)

struct sim_run {
	struct sim_timer end;
	struct sim_service *svc;
	int side;
	struct sim_run *prev, *next;
};

void sim_job_conf_default(struct sim_job_conf *c)
{
	memset(c, 0, sizeof *c);
	c->every_s = 0;
	/* Long enough to see a run as "active" from outside (scur=1 in a
	 * haproxy), short enough to end well before the next fire at 1 s. */
	c->run_ms = 500;
}

static void job_fire_due(struct sim_loop *L, struct sim_timer *tm);

struct sim_job *sim_job_get(struct sim_service *s)
{
	if (s->job)
		return s->job;
	struct sim_job *j = sim_xmalloc(sizeof *j);
	memset(j, 0, sizeof *j);
	j->svc = s;
	sim_job_conf_default(&j->c);
	j->fire.slot = SIM_TIMER_IDLE;
	j->fire.fn = job_fire_due;
	s->job = j;
	return j;
}

void sim_job_free(struct sim_job *j)
{
	if (!j)
		return;
	free(j->fires);
	free(j);
}

unsigned sim_job_run_ms(const struct sim_service *s)
{
	return s->job ? s->job->c.run_ms : 500;
}

void sim_job_apply(struct sim_service *s, unsigned mask, const struct sim_job_conf *c)
{
	if (!(mask & SIM_P_JOB_KEYS))
		return;
	struct sim_job *j = sim_job_get(s);
	if (mask & SIM_P_EVERY)
		j->c.every_s = c->every_s;
	if (mask & SIM_P_RUN_MS)
		j->c.run_ms = c->run_ms;
	if (mask & SIM_P_URL)
		j->c.url = c->url;
}

void sim_job_load_reset(struct sim_service *s, unsigned load_gen)
{
	if (!s->job || s->job->load_gen == load_gen)
		return;
	sim_job_conf_default(&s->job->c);
	s->job->load_gen = load_gen;
}

/* --- the record of fires ------------------------------------------------- */

static uint64_t oldest_kept(const struct sim_job *j)
{
	return j->nfires > j->cap ? j->nfires - j->cap : 0;
}

static struct sim_fire *fire_at(const struct sim_job *j, uint64_t seq)
{
	return &j->fires[seq % j->cap];
}

/* Counts the misses among fires that just became old enough to judge. */
static void settle(struct sim_job *j, int64_t now_ms)
{
	if (j->nsettled < oldest_kept(j))
		j->nsettled = oldest_kept(j);
	while (j->nsettled < j->nfires) {
		const struct sim_fire *f = fire_at(j, j->nsettled);
		if (f->time_ms + SIM_SETTLE_MS > now_ms)
			break;
		if (f->ran == 0)
			j->missed++;
		j->nsettled++;
	}
}

static void record_fire(struct sim_job *j, int64_t time_ms)
{
	/* Growing only while nothing wrapped keeps fire n at index n. */
	if (j->nfires == j->cap && j->cap < SIM_FIRES_MAX) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->fires = sim_xrealloc(j->fires, j->cap * sizeof *j->fires);
	}
	struct sim_fire *f = fire_at(j, j->nfires++);
	f->time_ms = time_ms;
	f->ran = 0;
}

/* The fire at fire_ms (-1: the latest), as its number; UINT64_MAX if none
 * is kept. Runs come for recent fires, so the search starts at the end. */
static uint64_t find_fire(const struct sim_job *j, int64_t fire_ms)
{
	if (j->nfires == 0)
		return UINT64_MAX;
	if (fire_ms < 0)
		return j->nfires - 1;
	for (uint64_t seq = j->nfires; seq-- > oldest_kept(j);) {
		int64_t t = fire_at(j, seq)->time_ms;
		if (t == fire_ms)
			return seq;
		if (t < fire_ms)
			break;
	}
	return UINT64_MAX;
}

static void mark_ran(struct sim_job *j, uint64_t seq, int side)
{
	struct sim_fire *f = fire_at(j, seq);
	unsigned before = f->ran;
	f->ran |= 1u << side;
	if (before != f->ran && f->ran == (SIM_SIDE_BLUE_BIT | SIM_SIDE_GREEN_BIT))
		j->doubles++;
	/* A run that came after its fire was judged: it was not missed after all. */
	if (before == 0 && seq < j->nsettled)
		j->missed--;
}

/* --- runs ---------------------------------------------------------------- */

static void run_end(struct sim_loop *L, struct sim_timer *tm)
{
	struct sim_run *r = SIM_CONTAINER(tm, struct sim_run, end);
	r->svc->side[r->side].r.active--;
	if (r->prev)
		r->prev->next = r->next;
	else
		L->runs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

/* Starts a run on s/side now, counted for the fire at fire_ms (-1: the
 * latest one). Returns the fire it was counted for, -1 if none. */
int64_t sim_job_run_start(struct sim_loop *L, struct sim_service *s, int side, int64_t fire_ms)
{
	struct sim_endpoint *ep = &s->side[side];
	int64_t found = -1;
	struct sim_job *j = s->job;
	if (j) {
		if (s->side[!side].r.active > 0)
			j->overlaps++;
		uint64_t seq = find_fire(j, fire_ms);
		if (seq != UINT64_MAX) {
			mark_ran(j, seq, side);
			found = fire_at(j, seq)->time_ms;
		}
	}
	ep->r.runs++;
	ep->r.active++;
	ep->r.last_run_ms = sim_wall_ns() / NS_PER_MS;
	struct sim_run *r = sim_xmalloc(sizeof *r);
	memset(r, 0, sizeof *r);
	r->svc = s;
	r->side = side;
	r->end.slot = SIM_TIMER_IDLE;
	r->end.fn = run_end;
	r->next = L->runs;
	if (L->runs)
		L->runs->prev = r;
	L->runs = r;
	sim_timers_add(&L->timers, &r->end, sim_now_ns() + (uint64_t)sim_job_run_ms(s) * SIM_NS_PER_MS);
	return found;
}

void sim_job_runs_done(struct sim_loop *L)
{
	while (L->runs) {
		struct sim_run *r = L->runs;
		L->runs = r->next;
		sim_timers_cancel(&L->timers, &r->end);
		free(r);
	}
}

/* --- fires ----------------------------------------------------------------- */

/* Arms the timer for the first multiple of every_s after the wall clock's
 * now. The heap runs on the monotonic clock, so the distance is what is
 * carried over; the wall clock is checked again when it is due. */
static void arm_next(struct sim_loop *L, struct sim_job *j)
{
	int64_t period = (int64_t)j->c.every_s * 1000 * NS_PER_MS;
	int64_t wall = sim_wall_ns();
	j->next_fire_ns = (wall / period + 1) * period;
	sim_timers_add(&L->timers, &j->fire, sim_now_ns() + (uint64_t)(j->next_fire_ns - wall));
}

static void job_fire(struct sim_loop *L, struct sim_job *j, int64_t time_ms)
{
	settle(j, time_ms);
	record_fire(j, time_ms);
	struct sim_service *s = j->svc;
	for (int side = SIM_BLUE; side <= SIM_GREEN; side++) {
		const struct sim_behaviour *b = &s->side[side].b;
		if (b->trigger == SIM_TRIGGER_SELF && !b->suspended)
			sim_job_run_start(L, s, side, time_ms);
	}
	if (j->c.url.set)
		sim_call_start(L, j, time_ms);
}

static void job_fire_due(struct sim_loop *L, struct sim_timer *tm)
{
	struct sim_job *j = SIM_CONTAINER(tm, struct sim_job, fire);
	int64_t wall = sim_wall_ns();
	if (wall < j->next_fire_ns) {
		/* The two clocks drifted apart (or the wall clock went back):
		 * wait for the wall clock, which is what the schedule means. */
		sim_timers_add(&L->timers, &j->fire, sim_now_ns() + (uint64_t)(j->next_fire_ns - wall));
		return;
	}
	int64_t period = (int64_t)j->c.every_s * 1000 * NS_PER_MS;
	int64_t at = wall - wall % period;
	if (at > j->next_fire_ns)
		sim_log("job %s: the wall clock jumped; %lld fire(s) skipped", j->svc->name,
		        (long long)((at - j->next_fire_ns) / period));
	job_fire(L, j, at / NS_PER_MS);
	arm_next(L, j);
}

/* Makes the fire timer follow every_s after a change. An unchanged every_s
 * keeps its timer, so a reload that restates it moves nothing. */
void sim_job_sync(struct sim_loop *L, struct sim_service *s)
{
	struct sim_job *j = s->job;
	if (!j || j->c.every_s == j->armed_every_s)
		return;
	j->armed_every_s = j->c.every_s;
	sim_timers_cancel(&L->timers, &j->fire);
	if (j->c.every_s > 0)
		arm_next(L, j);
}

void sim_job_sync_all(struct sim_loop *L)
{
	for (size_t i = 0; i < L->world->n; i++)
		sim_job_sync(L, L->world->svc[i]);
}

/* Runs a fire that is due but still waiting for its turn in the loop, so a
 * change about to be applied (suspended=1, say) comes after it, as it did in
 * time: the fire sees the state it had at its instant. */
void sim_job_catch_up(struct sim_loop *L, struct sim_service *s)
{
	struct sim_job *j = s->job;
	if (!j || j->fire.slot == SIM_TIMER_IDLE || j->fire.due_ns > sim_now_ns())
		return;
	sim_timers_cancel(&L->timers, &j->fire);
	job_fire_due(L, &j->fire);
}

void sim_job_catch_up_all(struct sim_loop *L)
{
	for (size_t i = 0; i < L->world->n; i++)
		sim_job_catch_up(L, L->world->svc[i]);
}

/* --- JSON -------------------------------------------------------------------- */

void sim_job_runs_json(const struct sim_endpoint *ep, char *out, size_t cap)
{
	char last[40] = "null";
	if (ep->r.runs > 0) {
		last[0] = '"';
		size_t n = sim_format_ms(last + 1, sizeof last - 2, ep->r.last_run_ms);
		last[1 + n] = '"';
		last[2 + n] = '\0';
	}
	snprintf(out, cap, "{\"active\":%u,\"runs\":%llu,\"last_run\":%s}\n", ep->r.active,
	         (unsigned long long)ep->r.runs, last);
}

static const char *const RAN[] = {"[]", "[\"blue\"]", "[\"green\"]", "[\"blue\",\"green\"]"};

static void put_fires(struct sim_buf *b, const struct sim_job *j, int64_t now_ms)
{
	sim_buf_printf(b, ",\"fires\":[");
	for (uint64_t seq = oldest_kept(j); seq < j->nfires; seq++) {
		const struct sim_fire *f = fire_at(j, seq);
		sim_buf_printf(b, "%s{\"time_ms\":%lld,\"ran\":%s,\"settled\":%s}",
		               seq == oldest_kept(j) ? "" : ",", (long long)f->time_ms, RAN[f->ran & 3],
		               f->time_ms + SIM_SETTLE_MS <= now_ms ? "true" : "false");
	}
	sim_buf_printf(b, "]");
}

/* One job as JSON; fires lists the kept fires, or only counts them. A
 * service that is no job answers too, with every_s 0 and nothing fired. */
static void put_job(struct sim_buf *b, const struct sim_service *s, bool fires, int64_t now_ms)
{
	static const struct sim_job none = {.c = {.run_ms = 500}};
	const struct sim_job *j = s->job ? s->job : &none;
	const struct sim_endpoint *bl = &s->side[SIM_BLUE], *gr = &s->side[SIM_GREEN];
	sim_buf_printf(b, "{\"service\":\"%s\",\"every_s\":%u,\"run_ms\":%u,\"fires_total\":%llu",
	               s->name, j->c.every_s, j->c.run_ms, (unsigned long long)j->nfires);
	if (fires)
		put_fires(b, j, now_ms);
	sim_buf_printf(b,
	               ",\"doubles\":%llu,\"missed\":%llu,\"overlaps\":%llu,"
	               "\"runs\":{\"blue\":%llu,\"green\":%llu},"
	               "\"active\":{\"blue\":%u,\"green\":%u},"
	               "\"suspended\":{\"blue\":%s,\"green\":%s},"
	               "\"trigger\":{\"blue\":\"%s\",\"green\":\"%s\"},",
	               (unsigned long long)j->doubles, (unsigned long long)j->missed,
	               (unsigned long long)j->overlaps, (unsigned long long)bl->r.runs,
	               (unsigned long long)gr->r.runs, bl->r.active, gr->r.active,
	               bl->b.suspended ? "true" : "false", gr->b.suspended ? "true" : "false",
	               bl->b.trigger == SIM_TRIGGER_ROUTED ? "routed" : "self",
	               gr->b.trigger == SIM_TRIGGER_ROUTED ? "routed" : "self");
	/* The URL's characters were checked when it was set: nothing to escape. */
	if (j->c.url.set)
		sim_buf_printf(b, "\"trigger_url\":\"%s\"", j->c.url.text);
	else
		sim_buf_printf(b, "\"trigger_url\":null");
	sim_buf_printf(b, ",\"calls\":{\"sent\":%llu,\"ok\":%llu,\"failed\":%llu}}",
	               (unsigned long long)j->calls_sent, (unsigned long long)j->calls_ok,
	               (unsigned long long)j->calls_failed);
}

void sim_job_json(struct sim_loop *L, const struct sim_service *s, struct sim_buf *b)
{
	int64_t now_ms = sim_wall_ns() / NS_PER_MS;
	if (s->job)
		settle(s->job, now_ms);
	put_job(b, s, true, now_ms);
	sim_buf_printf(b, "\n");
}

/* Every service that is, or has been, a job. */
void sim_job_list_json(struct sim_loop *L, struct sim_buf *b)
{
	int64_t now_ms = sim_wall_ns() / NS_PER_MS;
	bool first = true;
	sim_buf_printf(b, "{\"jobs\":[");
	for (size_t i = 0; i < L->world->n; i++) {
		struct sim_service *s = L->world->svc[i];
		if (!s->job || (s->job->c.every_s == 0 && s->job->nfires == 0))
			continue;
		settle(s->job, now_ms);
		if (!first)
			sim_buf_printf(b, ",");
		put_job(b, s, false, now_ms);
		first = false;
	}
	sim_buf_printf(b, "]}\n");
}

/* How a trigger_url request ended; a failure is logged once per streak. */
void sim_job_call_done(struct sim_job *j, bool ok, const char *why)
{
	if (ok) {
		j->calls_ok++;
		if (j->calls_failing)
			sim_log("job %s: %s answers again", j->svc->name, j->c.url.text);
		j->calls_failing = false;
		return;
	}
	j->calls_failed++;
	if (!j->calls_failing)
		sim_log("job %s: trigger %s failed: %s (logged once until it works)", j->svc->name,
		        j->c.url.text, why);
	j->calls_failing = true;
}
