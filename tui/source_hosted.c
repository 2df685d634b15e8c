/* source_hosted: an engine inside this console, the embedded default. It
 * serves the release's socket too, so wall screens and scripts attach to
 * it; it stops when this console quits (no engine outlives its last user
 * unless started with serve). */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cutover/journal.h"

struct hosted {
	struct source base;
	struct engine *e;
	struct engine_actor who;
	uint64_t notice_seq;
};

static void poll_hosted(struct source *s, struct source_view *v)
{
	struct hosted *h = (struct hosted *)s;
	struct lever_state l;
	engine_lever_get(h->e, &l);
	v->mode = "hosted";
	v->can_act = l.held && l.client == h->who.client;
	v->lever_held = l.held;
	snprintf(v->holder, sizeof v->holder, "%s (%s) since %.19s", l.holder, l.kind, l.since);
	engine_progress(h->e, &v->prog);
	h->notice_seq = engine_notice_since(h->e, h->notice_seq, v->notice, sizeof v->notice);
	v->notice_seq = h->notice_seq;
}

static int plan_hosted(struct source *s, const struct plan_request *rq, struct plan *out,
		       struct co_error *err)
{
	struct hosted *h = (struct hosted *)s;
	cJSON *o = NULL;
	int code = engine_plan_make(h->e, rq, &h->who, &o);
	int rc = code == 201 ? plan_from_json(o, s->cfg, out, err) : source_refused(code, o, err);
	cJSON_Delete(o);
	return rc;
}

static int apply_hosted(struct source *s, const struct plan *p, bool force, const char *reason,
			struct plan *fresh, struct co_error *err)
{
	struct hosted *h = (struct hosted *)s;
	cJSON *o = NULL;
	int code = engine_plan_apply(h->e, p->id, &h->who, force, reason, &o);
	int rc = source_apply_answer(code, o, s->cfg, fresh, err);
	cJSON_Delete(o);
	return rc;
}

static int take_hosted(struct source *s, struct co_error *err)
{
	struct hosted *h = (struct hosted *)s;
	return engine_lever_take(h->e, h->who.client, h->who.name, h->who.kind, err);
}

static int rollout_hosted(struct source *s, const char *action, const cJSON *body, cJSON **out,
			  struct co_error *err)
{
	struct hosted *h = (struct hosted *)s;
	char *text = cJSON_PrintUnformatted(body);
	if (!text) {
		co_error_set(err, "out of memory");
		return -1;
	}
	int code = engine_rollout_control(h->e, action, text, strlen(text), &h->who, out);
	free(text);
	return code;
}

static int cancel_hosted(struct source *s, const char *plan_id, struct co_error *err)
{
	struct hosted *h = (struct hosted *)s;
	cJSON *out = NULL;
	int code = engine_plan_cancel(h->e, plan_id, &h->who, &out);
	if (code != 200) {
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "error"));
		co_error_set(err, "%s", e ? e : "refused");
	}
	cJSON_Delete(out);
	return code == 200 ? 0 : -1;
}

static bool current_hosted(struct source *s)
{
	return true;
}

static void close_hosted(struct source *s, const char *why)
{
	struct hosted *h = (struct hosted *)s;
	engine_lever_drop(h->e, h->who.client);
	engine_stop(h->e, why ? why : "the console that hosted it quit");
	free(s->journal_file);
	free(h);
}

static const struct source_ops hosted_ops = {
	.name = "hosted",
	.poll = poll_hosted,
	.plan = plan_hosted,
	.apply = apply_hosted,
	.take_lever = take_hosted,
	.rollout = rollout_hosted,
	.cancel = cancel_hosted,
	.current = current_hosted,
	.close = close_hosted,
};

struct source *source_hosted_open(const struct config *cfg, const struct source_want *w,
				  struct lock_owner *holder, struct co_error *err)
{
	struct hosted *h = calloc(1, sizeof *h);
	if (!h) {
		co_error_set(err, "out of memory");
		return NULL;
	}
	struct engine_opts o = {
		.command = "cutover (console, hosting the engine)",
		.hosted = true,
		.report = w->report,
		.report_ctx = w->report_ctx,
	};
	int rc = engine_start(cfg, &o, &h->e, holder, err);
	if (rc != ENGINE_OK) {
		free(h);
		if (rc == ENGINE_BUSY)
			co_error_set(err, "busy");
		return NULL;
	}
	h->base.ops = &hosted_ops;
	h->base.cfg = cfg;
	h->base.model = engine_model(h->e);
	h->base.journal_file = strdup(engine_journal_path(h->e));
	snprintf(h->who.name, sizeof h->who.name, "%s", engine_actor(h->e));
	snprintf(h->who.kind, sizeof h->who.kind, "console");
	h->who.client = engine_hosted_client(h->e);
	h->who.may_operate = true;
	engine_lever_want(h->e, h->who.client, h->who.name, h->who.kind);
	return &h->base;
}
