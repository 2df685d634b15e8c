/* engine_lever: one hand on the lever. The engine lends the right to act to
 * one operator client at a time; the others wait in line, and the first in
 * line gets it when its holder goes. Taking it over is explicit and
 * journaled. */
#include "engine_private.h"

#include <stdio.h>
#include <string.h>

void engine_lever_changed_locked(struct engine *e)
{
	e->lever_gen++;
}

static void grant_locked(struct engine *e, uint64_t client, const char *actor, const char *kind)
{
	e->lever.held = true;
	e->lever.client = client;
	snprintf(e->lever.holder, sizeof e->lever.holder, "%s", actor);
	snprintf(e->lever.kind, sizeof e->lever.kind, "%s", kind);
	journal_time_iso(e->lever.since, sizeof e->lever.since);
	engine_lever_changed_locked(e);
}

static void unqueue_locked(struct engine *e, uint64_t client)
{
	for (size_t i = 0; i < e->n_waiting; i++)
		if (e->waiting[i] == client) {
			memmove(&e->waiting[i], &e->waiting[i + 1], (e->n_waiting - i - 1) * sizeof e->waiting[0]);
			memmove(e->waiting_actor[i], e->waiting_actor[i + 1],
				(e->n_waiting - i - 1) * sizeof e->waiting_actor[0]);
			memmove(e->waiting_kind[i], e->waiting_kind[i + 1],
				(e->n_waiting - i - 1) * sizeof e->waiting_kind[0]);
			e->n_waiting--;
			return;
		}
}

bool engine_lever_want(struct engine *e, uint64_t client, const char *actor, const char *kind)
{
	pthread_mutex_lock(&e->lock);
	bool mine = true;
	if (!e->lever.held) {
		grant_locked(e, client, actor, kind);
	} else if (e->lever.client != client) {
		mine = false;
		if (e->n_waiting < sizeof e->waiting / sizeof e->waiting[0]) {
			size_t i = e->n_waiting++;
			e->waiting[i] = client;
			snprintf(e->waiting_actor[i], sizeof e->waiting_actor[i], "%s", actor);
			snprintf(e->waiting_kind[i], sizeof e->waiting_kind[i], "%s", kind);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return mine;
}

int engine_lever_take(struct engine *e, uint64_t client, const char *actor, const char *kind,
		      struct co_error *err)
{
	/* The lever goes to a stream that is there, or to the console that
	 * hosts the engine; never to an id nobody holds (it would be held by
	 * no one forever). */
	if (client != e->hosted_client && !hub_has(e->hub, client)) {
		co_error_set(err, "no event stream %llu is attached: the lever goes to a live "
			     "operator stream (GET /v1/events?lever=1)", (unsigned long long)client);
		return 1;
	}
	pthread_mutex_lock(&e->lock);
	struct lever_state before = e->lever;
	unqueue_locked(e, client);
	/* The one it was taken from keeps a place in line. */
	if (before.held && before.client != client && e->n_waiting < 32) {
		size_t i = e->n_waiting++;
		e->waiting[i] = before.client;
		snprintf(e->waiting_actor[i], sizeof e->waiting_actor[i], "%s", before.holder);
		snprintf(e->waiting_kind[i], sizeof e->waiting_kind[i], "%s", before.kind);
	}
	grant_locked(e, client, actor, kind);
	pthread_mutex_unlock(&e->lock);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "from", before.held ? before.holder : "");
	cJSON_AddStringToObject(o, "kind", kind);
	char note[300];
	snprintf(note, sizeof note, "%s (%s) took the lever%s%s", actor, kind,
		 before.held ? " from " : "", before.held ? before.holder : "");
	cJSON_AddStringToObject(o, "note", note);
	int rc = journal_append_as(e->j, actor, "lever", NULL, o, err);
	cJSON_Delete(o);
	engine_notice(e, "%s", note);
	return rc;
}

void engine_lever_drop(struct engine *e, uint64_t client)
{
	pthread_mutex_lock(&e->lock);
	unqueue_locked(e, client);
	bool told = false;
	char gone[128] = "";
	if (e->lever.held && e->lever.client == client) {
		snprintf(gone, sizeof gone, "%s", e->lever.holder);
		memset(&e->lever, 0, sizeof e->lever);
		if (e->n_waiting) {
			uint64_t next = e->waiting[0];
			char actor[128], kind[16];
			snprintf(actor, sizeof actor, "%s", e->waiting_actor[0]);
			snprintf(kind, sizeof kind, "%s", e->waiting_kind[0]);
			unqueue_locked(e, next);
			grant_locked(e, next, actor, kind);
		}
		engine_lever_changed_locked(e);
		told = true;
	}
	struct lever_state now = e->lever;
	pthread_mutex_unlock(&e->lock);
	if (told)
		engine_notice(e, "%s let go of the lever%s%s", gone, now.held ? "; it passes to " : "",
			      now.held ? now.holder : "");
}

void engine_lever_get(struct engine *e, struct lever_state *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->lever;
	pthread_mutex_unlock(&e->lock);
}

cJSON *engine_lever_json(struct engine *e, uint64_t asking)
{
	struct lever_state l;
	engine_lever_get(e, &l);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "held", l.held);
	if (l.held) {
		cJSON_AddStringToObject(o, "holder", l.holder);
		cJSON_AddStringToObject(o, "kind", l.kind);
		cJSON_AddStringToObject(o, "since", l.since);
	}
	if (asking)
		cJSON_AddBoolToObject(o, "yours", l.held && l.client == asking);
	return o;
}
