/* rollout_keys: o p P F X — the autopilot's controls from the console,
 * sent through the source to the engine, never carried out here. A start
 * is shown first (the engine's dry run: who starts, in which wave, which
 * steps) and confirmed with y; abort and promote --full ask for the word. */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *action_of(enum tui_req r)
{
	switch (r) {
	case REQ_RO_START: return "start";
	case REQ_RO_ABORT: return "abort";
	case REQ_RO_PROMOTE: case REQ_RO_FULL: return "promote";
	default: return "pause";
	}
}

static cJSON *targets_body(const struct console *c, enum tui_req r)
{
	size_t *svc = calloc(c->cfg->n_services + 1, sizeof *svc);
	if (!svc)
		return NULL;
	size_t n = request_choose(c, r, svc);
	cJSON *b = cJSON_CreateObject(), *t = cJSON_AddArrayToObject(b, "targets");
	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(t, cJSON_CreateString(c->cfg->services[svc[k]].name));
	free(svc);
	if (r == REQ_RO_FULL)
		cJSON_AddBoolToObject(b, "full", true);
	if (!n) {
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

/* p pauses what runs and resumes what is paused or halted: the service
 * under the cursor (or the first marked one) says which. */
static const char *pause_or_resume(const struct console *c)
{
	size_t i = c->n_rows && !c->group_view ? c->rows[c->sel] : 0;
	for (size_t k = 0; c->n_marked && k < c->cfg->n_services; k++)
		if (c->marked[k]) {
			i = k;
			break;
		}
	enum rollout_phase p = c->snap.n > i ? (enum rollout_phase)c->snap.svc[i].rollout.phase : ROLLOUT_NONE;
	return p == ROLLOUT_PAUSED || p == ROLLOUT_HALTED ? "resume" : "pause";
}

/* The engine's answer in one line: what it did, and what it refused. */
static void tell(struct console *c, const char *action, int code, const cJSON *o, const char *err)
{
	if (code < 0 || (code != 200 && code != 409)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
		console_flash(c, "rollout %s refused: %s", action, cJSON_IsString(e) ? e->valuestring : err);
		return;
	}
	int done = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "services"));
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(o, "refused");
	const cJSON *first = cJSON_GetArrayItem(ref, 0);
	if (!first) {
		console_flash(c, "rollout %s: %d service%s", action, done, done == 1 ? "" : "s");
		return;
	}
	console_flash(c, "rollout %s: %d service%s; %d refused (%s: %s)", action, done, done == 1 ? "" : "s",
		      cJSON_GetArraySize(ref),
		      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "service")),
		      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "detail")));
}

void rollout_submit(struct console *c, const struct tui_request *req)
{
	if (c->readonly || !c->src || !c->src->ops->rollout) {
		console_flash(c, "read-only: this console does not hold the lever");
		return;
	}
	cJSON *out = NULL;
	struct co_error err = { 0 };
	int code = c->src->ops->rollout(c->src, req->action, req->body, &out, &err);
	tell(c, req->action, code, out, err.msg);
	cJSON_Delete(out);
	if (code == 200) {
		memset(c->marked, 0, c->cfg->n_services * sizeof *c->marked);
		c->n_marked = 0;
	}
}

/* o: the dry run first, so the modal names exactly what would start. */
static void preview(struct console *c, struct tui_request *req)
{
	cJSON *dry = cJSON_Duplicate(req->body, true);
	cJSON_AddBoolToObject(dry, "dry_run", true);
	struct co_error err = { 0 };
	int code = c->src->ops->rollout(c->src, "start", dry, &req->preview, &err);
	cJSON_Delete(dry);
	if (code != 200) {
		tell(c, "start", code, req->preview, err.msg);
		request_free(req);
		return;
	}
	confirm_open(c, req);
}

void rollout_request(struct console *c, enum tui_req r)
{
	if (!c->src || !c->src->ops->rollout) {
		console_flash(c, "rollouts run in an engine: this screen has none (cutover serve)");
		return;
	}
	struct tui_request req;
	memset(&req, 0, sizeof req);
	req.kind = REQUEST_ROLLOUT;
	snprintf(req.action, sizeof req.action, "%s", r == REQ_RO_PAUSE ? pause_or_resume(c) : action_of(r));
	if (!(req.body = targets_body(c, r))) {
		console_flash(c, "no service chosen");
		return;
	}
	if (r == REQ_RO_START)
		preview(c, &req);
	else if (r == REQ_RO_ABORT || r == REQ_RO_FULL)
		confirm_open(c, &req);
	else {
		rollout_submit(c, &req);
		request_free(&req);
	}
}
