/* source: choosing the console's source (see source.h). */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source *source_open(const struct config *cfg, struct source_want *w,
			   struct co_error *err)
{
	struct engine_link *link = NULL;
	int rc = engine_link_open(cfg, w->where, &link, err);
	if (rc < 0)
		return NULL;
	if (rc == 0)
		return source_engine_open(cfg, link, w->watch, err);
	if (w->where->url)	/* named, so required */
		return NULL;
	if (!w->watch) {
		struct lock_owner holder;
		struct source *s = source_hosted_open(cfg, w, &holder, err);
		if (s)
			return s;
		/* No journal, no hands: the dashboard still serves, read-only,
		 * and says why (a state_dir it cannot write, a broken journal). */
		if (strcmp(err->msg, "busy") != 0)
			snprintf(w->why_readonly, sizeof w->why_readonly, "read-only: %s", err->msg);
	}
	if (w->better_only) {
		co_error_set(err, "no engine yet");
		return NULL;
	}
	return source_standalone_open(cfg, err);
}

void source_close(struct source *s, const char *why)
{
	if (s)
		s->ops->close(s, why);
}

int source_request(const struct config *cfg, const size_t *svc, size_t n, enum move_goal goal,
		   bool rollback, struct plan_request *out)
{
	memset(out, 0, sizeof *out);
	out->kind = rollback ? PLAN_ROLLBACK : goal == GOAL_JOURNAL ? PLAN_REAPPLY : PLAN_MOVE;
	out->goal = goal;
	if (out->kind != PLAN_MOVE && n == cfg->n_services) {
		out->all = true;	/* ten thousand names say no more than this */
		return 0;
	}
	out->targets = calloc(n + 1, sizeof *out->targets);
	if (!out->targets)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(out->targets[i] = strdup(cfg->services[svc[i]].name))) {
			plan_request_done(out);
			return -1;
		}
		out->n_targets++;
	}
	return 0;
}

int source_refused(int code, const cJSON *o, struct co_error *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (code > 0)	/* <= 0: err already says why the engine was not reached */
		co_error_set(err, "%s", cJSON_IsString(m) ? m->valuestring : "the engine refused");
	return -1;
}

int source_apply_answer(int code, const cJSON *o, const struct config *cfg, struct plan *fresh,
			struct co_error *err)
{
	const cJSON *np = cJSON_GetObjectItemCaseSensitive(o, "plan");
	if (code == 202)
		return 0;
	if (code == 409 && np)
		return plan_from_json(np, cfg, fresh, err) == 0 ? 1 : -1;
	return source_refused(code, o, err);
}
