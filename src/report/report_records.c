/* report_records: one journal record at a time into the review's model.
 * The records and their fields are the ones their writers journal:
 * intent and outcome (src/executor.c), reconcile and note (recovery.c),
 * engine (engine/engine.c), lever (engine/engine_lever.c) and rollout
 * (include/cutover/rollout.h). A field of the wrong type is taken as
 * absent: the journal may have been edited by hand. */
#include "report_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int report_rec_oom(struct report_rec *c)
{
	co_error_set(c->err, "%s: out of memory at seq %lld", c->r->path, c->seq);
	return -1;
}

void report_addf(char *out, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(out);
	if (len + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + len, cap - len, fmt, ap);
	va_end(ap);
}

void report_add_text(char *out, size_t cap, const char *text)
{
	size_t len = strlen(out);
	if (text && len + 1 < cap)
		report_text_copy(out + len, cap - len, text);
}

/* --- Weights ------------------------------------------------------------- */

/* The time at the weight being left is added up, and set on its entry. */
static void close_weight(struct report *r, struct report_service *s, int64_t at)
{
	if (s->weight == REPORT_NO_WEIGHT)
		return;
	int64_t held = at > s->since_ms ? at - s->since_ms : 0;
	s->at_weight_ms[s->weight] += held;
	s->was_at[s->weight] = true;
	struct report_entry *e = s->has_weight_entry
		? report_ring_pushed(&s->timeline, s->last_weight_entry) : NULL;
	if (e)
		e->held_ms = held;
	else if (s->weight == s->start_weight && !s->has_weight_entry)
		s->start_held_ms = held;
}

static int change(struct report_rec *c, struct report_service *s, int from, int to, bool reconciled)
{
	struct report *r = c->r;
	struct report_plan_mark *m = NULL;
	if (c->plan && !(m = report_plan_get(r, c->plan)))
		return report_rec_oom(c);
	if (s->weight == REPORT_NO_WEIGHT && !s->has_weight_entry && from != REPORT_NO_WEIGHT) {
		/* Before its first move it was at that move's "from", as far as
		 * the journal knows since its first record. */
		s->start_weight = from;
		s->weight = from;
		s->since_ms = r->first_ms;
	}
	if (to == s->weight)
		return 0;
	close_weight(r, s, c->at);
	struct report_entry *e = report_ring_push(&s->timeline);
	if (!e)
		return report_rec_oom(c);
	e->kind = REPORT_WEIGHT;
	e->at_ms = c->at;
	e->seq = c->seq;
	e->weight = to;
	e->from = s->weight;
	e->rollback = m && m->rollback;
	e->forced = m && m->forced;
	e->reconciled = reconciled;
	e->final = false;
	report_text_copy(e->plan, sizeof(e->plan), c->plan);
	report_text_copy(e->actor, sizeof(e->actor), c->actor);
	s->last_weight_entry = s->timeline.pushed - 1;
	s->has_weight_entry = true;
	s->weight = to;
	s->since_ms = c->at;
	s->moves++;
	s->rollbacks += e->rollback;
	r->counts.moves++;
	c->a->moves++;
	return 0;
}

static int take_outcome(struct report_rec *c)
{
	const char *name = rec_str(c->o, "service"), *result = rec_str(c->o, "result");
	struct report_service *s;
	if (!name)
		return 0;
	if (!(s = report_service_get(c->r, name)))
		return report_rec_oom(c);
	int to;
	if (rec_is(result, "applied")) {
		/* One outcome per router instance: the first moves the weight,
		 * the others find it there already (change() counts no move). */
		to = rec_weight(c->o, "to");
		return to == REPORT_NO_WEIGHT ? 0 : change(c, s, rec_weight(c->o, "from"), to, false);
	}
	if (rec_is(result, "reconciled")) {
		c->r->counts.reconciled++;
		to = rec_weight(c->o, "found");	/* what recovery found on the router */
		return to == REPORT_NO_WEIGHT ? 0 : change(c, s, REPORT_NO_WEIGHT, to, true);
	}
	return 0;	/* failed, reverted, skipped: the weight did not change */
}

/* --- Plans: rollbacks and forced moves ---------------------------------- */

static struct report_plan *plan_entry(struct report_rec *c, struct report_ring *ring, size_t *mark_entry,
				      const char *service)
{
	struct report_plan *p = *mark_entry ? report_ring_pushed(ring, *mark_entry - 1) : NULL;
	if (*mark_entry) {
		if (p)
			p->services++;
		return p;
	}
	if (!(p = report_ring_push(ring)))
		return NULL;
	*mark_entry = ring->pushed;
	p->at_ms = c->at;
	p->services = 1;
	report_text_copy(p->plan, sizeof(p->plan), c->plan);
	report_text_copy(p->actor, sizeof(p->actor), c->actor);
	report_text_copy(p->reason, sizeof(p->reason), rec_str(c->o, "reason"));
	report_text_copy(p->first_service, sizeof(p->first_service), service);
	return p;
}

/* The blockers a forced move went past: "gate: detail; ...". */
static void add_blockers(struct report_plan *p, const cJSON *gates)
{
	const cJSON *g;
	cJSON_ArrayForEach(g, gates) {
		if (!rec_is(rec_str(g, "level"), "block"))
			continue;
		char one[REPORT_TEXT] = "";
		report_add_text(one, sizeof(one), rec_str(g, "gate"));
		report_addf(one, sizeof(one), ": ");
		report_add_text(one, sizeof(one), rec_str(g, "detail"));
		if (strstr(p->blockers, one))
			continue;
		report_addf(p->blockers, sizeof(p->blockers), "%s%s", p->blockers[0] ? "; " : "", one);
	}
}

static int take_intent(struct report_rec *c)
{
	struct report *r = c->r;
	const char *name = rec_str(c->o, "service");
	if (name && !report_service_get(r, name))
		return report_rec_oom(c);
	struct report_plan_mark *m = report_plan_get(r, c->plan ? c->plan : "");
	if (!m)
		return report_rec_oom(c);
	if (!m->counted) {
		m->counted = true;
		r->counts.plans++;
		c->a->plans++;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->o, "rollback"))) {
		if (!m->rollback) {
			m->rollback = true;
			r->counts.rollbacks++;
			c->a->rollbacks++;
		}
		bool fresh = !m->rollback_entry;
		struct report_plan *p = plan_entry(c, &r->rollbacks, &m->rollback_entry, name);
		if (!p && fresh)
			return report_rec_oom(c);
		if (p && fresh) {
			p->rollback = true;
			p->autopilot = m->autopilot || rec_is(c->actor, "autopilot");
		}
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->o, "forced"))) {
		if (!m->forced) {
			m->forced = true;
			r->counts.forced++;
			c->a->forced++;
		}
		bool fresh = !m->forced_entry;
		struct report_plan *p = plan_entry(c, &r->forced, &m->forced_entry, name);
		if (!p && fresh)
			return report_rec_oom(c);
		if (p) {
			p->forced = true;
			p->rollback = m->rollback;
			add_blockers(p, cJSON_GetObjectItemCaseSensitive(c->o, "gates"));
		}
	}
	return 0;
}

/* --- The rest ------------------------------------------------------------- */

static int take_lever(struct report_rec *c)
{
	c->r->counts.lever_takes++;
	c->a->lever++;
	return 0;
}

static int take_engine(struct report_rec *c)
{
	c->r->counts.engine_starts += rec_is(rec_str(c->o, "event"), "start");
	return 0;
}

static int take_note(struct report_rec *c)
{
	c->r->counts.notes++;
	return 0;
}

static const struct {
	const char *type;
	int (*take)(struct report_rec *c);
} takers[] = {
	{ "intent", take_intent },
	{ "outcome", take_outcome },
	{ "rollout", report_take_rollout },
	{ "lever", take_lever },
	{ "engine", take_engine },
	{ "note", take_note },
};

int report_take(struct report *r, const cJSON *rec, struct co_error *err)
{
	struct report_rec c = { .r = r, .o = rec, .err = err };
	const char *type = rec_str(rec, "type");
	int64_t at;
	r->records++;
	c.seq = (long long)rec_num(rec, "seq");
	/* A record without a readable time is taken as at the one before. */
	if (report_time_parse(rec_str(rec, "time"), &at)) {
		if (r->records == 1 || (!r->first_ms && !r->last_ms) || at < r->first_ms)
			r->first_ms = at;
		if (at > r->last_ms)
			r->last_ms = at;
	} else {
		at = r->last_ms;
	}
	c.at = at;
	c.actor = rec_str(rec, "actor") ? rec_str(rec, "actor") : "(no actor)";
	c.plan = rec_str(rec, "plan");
	if (!(c.a = report_actor_get(r, c.actor)))
		return report_rec_oom(&c);
	for (size_t i = 0; i < sizeof(takers) / sizeof(takers[0]); i++)
		if (rec_is(type, takers[i].type))
			return takers[i].take(&c);
	return 0;
}

void report_finish(struct report *r)
{
	for (size_t i = 0; i < r->n_services; i++) {
		struct report_service *s = r->services[i];
		if (s->weight == REPORT_NO_WEIGHT)
			continue;
		close_weight(r, s, r->last_ms);
		struct report_entry *e = s->has_weight_entry
			? report_ring_pushed(&s->timeline, s->last_weight_entry) : NULL;
		if (e)
			e->final = true;
	}
}
