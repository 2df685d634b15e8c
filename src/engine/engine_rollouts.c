/* engine_rollouts: the autopilot's controls as clients reach them, under
 * the same rules as a plan: only an operator, only the lever's holder. */
#include "engine_private.h"

#include <stdio.h>

static int fail(cJSON **out, int code, const char *msg)
{
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "error", msg);
	cJSON_AddNumberToObject(*out, "code", code);
	return code;
}

int engine_rollout_control(struct engine *e, const char *action, const char *body, size_t len,
			   const struct engine_actor *who, cJSON **out)
{
	struct rollout_request rq;
	struct co_error err;
	if (rollout_request_parse(action, body, len, &rq, &err) < 0)
		return fail(out, 400, err.msg);
	int code = 0;
	if (!rq.dry_run && !who->may_operate)
		code = fail(out, 403, "this client may watch but not act");
	pthread_mutex_lock(&e->lock);
	if (!code && e->stopping)
		code = fail(out, 503, "the engine is stopping");
	if (!code && !rq.dry_run)
		code = engine_lever_refusal(e, who, out);
	pthread_mutex_unlock(&e->lock);
	if (!code) {
		char actor[160];
		engine_actor_text(who, actor, sizeof actor);
		code = e->rollouts ? rollouts_control(e->rollouts, &rq, actor, out)
				   : fail(out, 503, "the engine is stopping");
	}
	rollout_request_done(&rq);
	return code;
}

cJSON *engine_rollouts_json(struct engine *e)
{
	return rollouts_status_json(e->rollouts);
}
