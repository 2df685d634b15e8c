/* rollout_journal: what the autopilot does goes into the journal (the
 * record of the release, read back on a restart) and out to the alerts.
 * A tick's records go out together, in one write and one fsync, before
 * the weight changes they announce are handed to the executor. */
#include "rollout_private.h"

#include <stdlib.h>
#include <string.h>

cJSON *ro_record(struct rollouts *r, size_t i, const char *event)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", event);
	cJSON_AddStringToObject(o, "service", ro_name(r, i));
	return o;
}

void ro_journal(struct rollouts *r, const char *actor, const char *plan, cJSON *payload)
{
	if (r->n_pending == r->cap_pending) {
		size_t cap = r->cap_pending ? r->cap_pending * 2 : 64;
		struct ro_pending *v = realloc(r->pending, cap * sizeof *v);
		if (!v) {
			cJSON_Delete(payload);
			return;
		}
		r->pending = v;
		r->cap_pending = cap;
	}
	struct ro_pending *p = &r->pending[r->n_pending++];
	snprintf(p->actor, sizeof p->actor, "%s", actor ? actor : ROLLOUT_ACTOR);
	snprintf(p->plan, sizeof p->plan, "%s", plan ? plan : "");
	p->payload = payload;
}

/* A record that cannot be written is no reason to stop a rollout midway:
 * the executor journals every weight change itself, and a restart that
 * misses a rollout record bakes again, never less. */
void ro_journal_flush(struct rollouts *r)
{
	if (!r->n_pending)
		return;
	struct journal_entry *v = calloc(r->n_pending, sizeof *v);
	struct co_error err;
	if (v) {
		for (size_t k = 0; k < r->n_pending; k++)
			v[k] = (struct journal_entry){ "rollout", r->pending[k].plan[0] ? r->pending[k].plan : NULL,
						       r->pending[k].payload, r->pending[k].actor };
		if (journal_append_many(r->d.j, v, r->n_pending, &err) < 0)
			snprintf(r->journal_error, sizeof r->journal_error, "%s", err.msg);
	}
	free(v);
	for (size_t k = 0; k < r->n_pending; k++)
		cJSON_Delete(r->pending[k].payload);
	r->n_pending = 0;
}

void ro_alert(struct rollouts *r, const char *event, size_t i, const char *detail, const cJSON *fig)
{
	alerts_post(r->d.alerts, event, ro_name(r, i), detail, fig);
}
