/* source_engine: an engine elsewhere (serve, or another console hosting
 * it). Its event stream keeps a client-side model that the screen reads
 * like a local one; plans and the lever go to it over HTTP. This source
 * sends no probe and touches no router. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/engine_follow.h"

struct remote {
	struct source base;
	struct model m;
	struct engine_link *link;	/* for requests; the follower has its own */
	struct engine_follow *follow;
	uint64_t journal_cursor;
	bool watch;
};

static void poll_engine(struct source *s, struct source_view *v)
{
	struct remote *r = (struct remote *)s;
	struct follow_state f;
	engine_follow_get(r->follow, &f);
	engine_link_set_stream(r->link, f.client);
	v->mode = "engine";
	v->stale = f.link != FOLLOW_ATTACHED;
	v->stale_ms = v->stale ? monotonic_ms() - f.since_ms : 0;
	snprintf(v->why, sizeof v->why, "%s", f.link == FOLLOW_CONNECTING ? "connecting" : f.why);
	v->can_act = !r->watch && !v->stale && f.lever_yours;
	v->lever_held = f.lever.held;
	snprintf(v->holder, sizeof v->holder, "%s (%s) since %.19s", f.lever.holder, f.lever.kind,
		 f.lever.since);
	v->prog = f.prog;
	v->notice_seq = f.notice_seq;
	snprintf(v->notice, sizeof v->notice, "%s", f.notice);
}

static bool journal_engine(struct source *s, char *line, size_t cap)
{
	struct remote *r = (struct remote *)s;
	return engine_follow_journal(r->follow, &r->journal_cursor, line, cap);
}

static int plan_engine(struct source *s, const struct plan_request *rq, struct plan *out,
		       struct co_error *err)
{
	struct remote *r = (struct remote *)s;
	cJSON *body = plan_request_json(rq), *o = NULL;
	int code = engine_link_call(r->link, "POST", "/v1/plans", body, &o, err);
	cJSON_Delete(body);
	int rc = code == 201 ? plan_from_json(o, s->cfg, out, err) : source_refused(code, o, err);
	cJSON_Delete(o);
	return rc;
}

static int apply_engine(struct source *s, const struct plan *p, bool force, const char *reason,
			struct plan *fresh, struct co_error *err)
{
	struct remote *r = (struct remote *)s;
	char path[128];
	snprintf(path, sizeof path, "/v1/plans/%s/apply", p->id);
	cJSON *body = cJSON_CreateObject(), *o = NULL;
	if (force) {
		cJSON_AddBoolToObject(body, "force", true);
		cJSON_AddStringToObject(body, "reason", reason ? reason : "");
	}
	int code = engine_link_call(r->link, "POST", path, body, &o, err);
	cJSON_Delete(body);
	int rc = source_apply_answer(code, o, s->cfg, fresh, err);
	cJSON_Delete(o);
	return rc;
}

static int take_engine(struct source *s, struct co_error *err)
{
	struct remote *r = (struct remote *)s;
	cJSON *body = cJSON_CreateObject(), *o = NULL;
	cJSON_AddBoolToObject(body, "take", true);
	int code = engine_link_call(r->link, "POST", "/v1/lever", body, &o, err);
	cJSON_Delete(body);
	int rc = code == 200 ? 0 : source_refused(code, o, err);
	cJSON_Delete(o);
	return rc;
}

/* An engine that said goodbye and whose socket is gone stopped on purpose
 * (the console hosting it quit): time to find another source. One killed
 * said nothing: wait for it to come back. */
static bool current_engine(struct source *s)
{
	struct remote *r = (struct remote *)s;
	struct follow_state f;
	engine_follow_get(r->follow, &f);
	if (f.link == FOLLOW_ATTACHED || !f.bye)
		return true;
	struct engine_link *probe = NULL;
	struct co_error err;
	struct engine_where w = { .kind = "watch" };
	int rc = engine_link_open(s->cfg, &w, &probe, &err);
	engine_link_free(probe);
	return rc == 0;
}

static void close_engine(struct source *s, const char *why)
{
	struct remote *r = (struct remote *)s;
	engine_follow_stop(r->follow);
	engine_link_free(r->link);
	model_done(&r->m);
	free(r);
}

static int rollout_engine(struct source *s, const char *action, const cJSON *body, cJSON **out,
			  struct co_error *err)
{
	struct remote *r = (struct remote *)s;
	char path[64];
	snprintf(path, sizeof path, "/v1/rollouts/%s", action);
	return engine_link_call(r->link, "POST", path, body, out, err);
}

static int cancel_engine(struct source *s, const char *plan_id, struct co_error *err)
{
	struct remote *r = (struct remote *)s;
	char path[96];
	cJSON *none = cJSON_CreateObject(), *out = NULL;
	snprintf(path, sizeof path, "/v1/plans/%s/cancel", plan_id);
	int st = engine_link_call(r->link, "POST", path, none, &out, err);
	if (st >= 0 && st != 200) {
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "error"));
		co_error_set(err, "%s", e ? e : "the engine refused");
	}
	cJSON_Delete(none);
	cJSON_Delete(out);
	return st == 200 ? 0 : -1;
}

static const struct source_ops engine_ops = {
	.name = "engine",
	.poll = poll_engine,
	.journal_next = journal_engine,
	.plan = plan_engine,
	.apply = apply_engine,
	.take_lever = take_engine,
	.rollout = rollout_engine,
	.cancel = cancel_engine,
	.current = current_engine,
	.close = close_engine,
};

struct source *source_engine_open(const struct config *cfg, struct engine_link *link, bool watch,
				  struct co_error *err)
{
	struct remote *r = calloc(1, sizeof *r);
	struct engine_link *stream = r ? engine_link_dup(link) : NULL;
	if (!r || !stream || model_init(&r->m, cfg, err) < 0) {
		co_error_set(err, "out of memory");
		engine_link_free(stream);
		engine_link_free(link);
		free(r);
		return NULL;
	}
	r->base.ops = &engine_ops;
	r->base.cfg = cfg;
	r->base.model = &r->m;
	r->link = link;
	r->watch = watch;
	r->follow = engine_follow_start(stream, &r->m, !watch, err);
	if (!r->follow) {
		engine_link_free(link);
		model_done(&r->m);
		free(r);
		return NULL;
	}
	/* The first snapshot, so the first frame is not empty: at most 2 s. */
	for (int i = 0; i < 200; i++) {
		struct follow_state f;
		engine_follow_get(r->follow, &f);
		if (f.link == FOLLOW_ATTACHED && f.events)
			break;
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return &r->base;
}
