/* rollout_request: a control as a client sends it, POST
 * /v1/rollouts/ACTION with {"targets": [...], "plan": true, "full": true,
 * "dry_run": true}; every error names its JSON path. */
#include "cutover/rollout.h"

#include <stdlib.h>
#include <string.h>

#include "cutover/plan_request.h"

static const char *const actions[] = {
	[ROLLOUT_START] = "start", [ROLLOUT_PAUSE] = "pause", [ROLLOUT_RESUME] = "resume",
	[ROLLOUT_ABORT] = "abort", [ROLLOUT_PROMOTE] = "promote",
};

const char *rollout_action_name(enum rollout_action a)
{
	return (size_t)a < sizeof actions / sizeof actions[0] ? actions[a] : "?";
}

static int parse_action(const char *name, struct rollout_request *out, struct co_error *err)
{
	for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++)
		if (strcmp(actions[k], name) == 0) {
			out->action = (enum rollout_action)k;
			return 0;
		}
	co_error_set(err, "%.64s: no such rollout action (start, pause, resume, abort, promote)", name);
	return -1;
}

static int flag(const cJSON *o, const char *key, bool *out, struct co_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return 0;
	if (!cJSON_IsBool(v)) {
		co_error_set(err, "%s: expected true or false", key);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static int check_keys(const cJSON *o, struct co_error *err)
{
	static const char *const known[] = { "targets", "plan", "full", "dry_run", NULL };
	return plan_body_keys(o, known, "targets, plan, full, dry_run", err);
}

/* Which keys make sense with which action, so a typo'd intent fails loud. */
static int check_shape(const cJSON *o, struct rollout_request *r, struct co_error *err)
{
	bool start = r->action == ROLLOUT_START;
	if (r->plan && !start) {
		co_error_set(err, "plan: only start takes the release plan");
		return -1;
	}
	if (r->dry_run && !start) {
		co_error_set(err, "dry_run: only start has a dry run");
		return -1;
	}
	if (r->full && r->action != ROLLOUT_PROMOTE) {
		co_error_set(err, "full: only promote takes full");
		return -1;
	}
	bool has_targets = cJSON_GetObjectItemCaseSensitive(o, "targets") != NULL;
	if (r->plan == has_targets || (!r->plan && r->n_targets == 0)) {
		co_error_set(err, start ? "targets: give service names and @groups, or plan: true"
					: "targets: give service names and @groups");
		return -1;
	}
	return 0;
}

int rollout_request_parse(const char *action, const char *body, size_t len,
			  struct rollout_request *out, struct co_error *err)
{
	memset(out, 0, sizeof *out);
	if (parse_action(action, out, err) < 0)
		return -1;
	cJSON *o = plan_body_parse(body, len, err);
	if (!o)
		return -1;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "targets");
	int rc = check_keys(o, err);
	if (rc == 0 && t)
		rc = plan_targets_parse(t, &out->targets, &out->n_targets, err);
	if (rc == 0)
		rc = flag(o, "plan", &out->plan, err) < 0 || flag(o, "full", &out->full, err) < 0 ||
		     flag(o, "dry_run", &out->dry_run, err) < 0 ? -1 : 0;
	if (rc == 0)
		rc = check_shape(o, out, err);
	cJSON_Delete(o);
	if (rc < 0)
		rollout_request_done(out);
	return rc < 0 ? -1 : 0;
}

void rollout_request_done(struct rollout_request *rq)
{
	for (size_t i = 0; rq->targets && i < rq->n_targets; i++)
		free(rq->targets[i]);
	free(rq->targets);
	memset(rq, 0, sizeof *rq);
}
