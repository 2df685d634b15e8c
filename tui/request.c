/* request: turns a mutating key into a plan (the engine's planner and
 * gates, over the engine's state) and is the one place a confirmed request
 * leaves the screen: to the engine, through the source. */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static enum move_goal goal_of(enum tui_req r)
{
	switch (r) {
	case REQ_STEP_GREEN: return GOAL_STEP_GREEN;
	case REQ_STEP_BLUE: return GOAL_STEP_BLUE;
	case REQ_ALL_GREEN: return GOAL_GREEN;
	case REQ_REAPPLY: return GOAL_JOURNAL;
	default: return GOAL_BLUE;
	}
}

/* R and A take every service (the planner keeps, for A, those that
 * drifted). */
size_t request_choose(const struct console *c, enum tui_req r, size_t *out)
{
	const struct config *cfg = c->cfg;
	size_t n = 0;
	if (r == REQ_ROLLBACK || r == REQ_REAPPLY) {
		for (size_t i = 0; i < cfg->n_services; i++)
			out[n++] = i;
	} else if (c->n_marked) {
		for (size_t i = 0; i < cfg->n_services; i++)
			if (c->marked[i])
				out[n++] = i;
	} else if (c->n_rows && c->group_view) {
		const struct group_conf *g = &cfg->groups[c->rows[c->sel]];
		for (size_t k = 0; k < g->n_members; k++)
			out[n++] = g->members[k];
	} else if (c->n_rows) {
		out[n++] = c->rows[c->sel];
	}
	return n;
}

void request_plan(struct console *c, enum tui_req r)
{
	if (request_running(c)) {
		console_flash(c, "plan %s is still applying: wait for it", c->prog.plan_id);
		return;
	}
	size_t *svc = calloc(c->cfg->n_services ? c->cfg->n_services : 1, sizeof *svc);
	if (!svc) {
		console_flash(c, "out of memory");
		return;
	}
	size_t n = request_choose(c, r, svc);
	struct tui_request req;
	memset(&req, 0, sizeof req);
	req.kind = r == REQ_ROLLBACK ? REQUEST_ROLLBACK_ALL : REQUEST_MOVE;
	struct co_error err;
	struct plan_request rq;
	int rc = 0;
	if (n && source_request(c->cfg, svc, n, goal_of(r), r == REQ_ROLLBACK, &rq) < 0) {
		co_error_set(&err, "out of memory");
		rc = -1;
	} else if (n) {
		rc = c->src->ops->plan(c->src, &rq, &req.plan, &err);
		plan_request_done(&rq);
	}
	free(svc);
	if (rc < 0) {
		console_flash(c, "%s", err.msg);
		return;
	}
	if (req.plan.n_moves == 0) {
		console_flash(c, "nothing to change: %s",
			      r == REQ_REAPPLY ? "no router drifted from the journal"
			      : n ? "already there (or the weight is not read yet)" : "no service chosen");
		request_free(&req);
		return;
	}
	confirm_open(c, &req);
}

/* The plan's inputs changed between the modal and the key: what runs must
 * be what was confirmed, so the new plan is shown to be confirmed again. */
static void reconfirm(struct console *c, const struct tui_request *req, struct plan *fresh)
{
	struct tui_request again;
	memset(&again, 0, sizeof again);
	again.kind = req->kind;
	again.plan = *fresh;
	confirm_open(c, &again);
	console_flash(c, "the plan changed since it was shown (a weight or a gate moved): confirm it again");
}

void request_submit(struct console *c, const struct tui_request *req, bool force,
		    const char *reason)
{
	if (c->readonly || !c->src->ops->apply) {	/* the lever went elsewhere meanwhile */
		console_flash(c, "read-only: this console does not hold the lever");
		return;
	}
	char why[200];
	if (force && (!reason || !*reason)) {
		snprintf(why, sizeof why, "forced in the console, no reason typed");
		reason = why;
	}
	struct co_error err;
	struct plan fresh;
	memset(&fresh, 0, sizeof fresh);
	int rc = c->src->ops->apply(c->src, &req->plan, force, reason, &fresh, &err);
	if (rc == 1) {
		reconfirm(c, req, &fresh);
		return;
	}
	if (rc < 0) {
		console_flash(c, "not applied: %s", err.msg);
		return;
	}
	/* Marks chose this plan; kept, the next key would move them again. */
	memset(c->marked, 0, c->cfg->n_services * sizeof *c->marked);
	c->n_marked = 0;
	for (size_t i = 0; i < c->cfg->n_services; i++)
		c->plan_pos[i] = -1;
	for (size_t k = 0; k < req->plan.n_moves; k++)
		c->plan_pos[req->plan.moves[k].service] = (long)k;
	/* The engine says "applying" at its next event: until then, this. */
	c->prog.running = true;
	c->prog.finished = false;
	c->prog.done = 0;
	c->prog.total = req->plan.n_moves;
	snprintf(c->prog.plan_id, sizeof c->prog.plan_id, "%s", req->plan.id);
	c->awaiting_plan = true;
}

bool request_running(const struct console *c)
{
	return c->prog.running;
}

const char *request_row_state(const struct console *c, size_t service)
{
	if (c->snap.svc[service].busy)
		return "busy";
	if (!request_running(c) || !c->plan_pos || c->plan_pos[service] < 0)
		return NULL;
	return (size_t)c->plan_pos[service] < c->prog.done ? "done" : "wait";
}

/* The source's word on the plan; until it names the one just submitted,
 * the local "applying" stands. */
bool request_poll(struct console *c)
{
	const struct executor_progress *p = &c->view.prog;
	if (c->awaiting_plan) {
		if (strcmp(p->plan_id, c->prog.plan_id) != 0)
			return false;
		c->awaiting_plan = false;
	}
	bool changed = p->plan_seq != c->prog.plan_seq || p->done != c->prog.done ||
		       p->finished != c->prog.finished || strcmp(p->plan_id, c->prog.plan_id) != 0;
	c->prog = *p;
	return changed;
}

void request_free(struct tui_request *req)
{
	plan_done(&req->plan);
	cJSON_Delete(req->body);
	cJSON_Delete(req->preview);
	req->body = req->preview = NULL;
}
