/* request: turns a mutating key into a plan (the core's planner and gates,
 * over the snapshot on screen), and is the one place a confirmed request
 * leaves the screen: to the executor, through operate. */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operate.h"

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

/* The marked services, else the group under the cursor in group view,
 * else the service under the cursor; R and A take every service (the
 * planner keeps, for A, those that drifted). */
static size_t choose(const struct console *c, enum tui_req r, size_t *out)
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
	size_t n = choose(c, r, svc);
	struct tui_request req;
	memset(&req, 0, sizeof req);
	req.kind = r == REQ_ROLLBACK ? REQUEST_ROLLBACK_ALL : REQUEST_MOVE;
	struct co_error err;
	int rc = n ? plan_build(&c->snap, svc, n, goal_of(r), 0, &req.plan, &err) : 0;
	free(svc);
	if (rc < 0) {
		console_flash(c, "%s", err.msg);
		return;
	}
	req.plan.rollback = r == REQ_ROLLBACK;
	if (req.plan.n_moves == 0) {
		console_flash(c, "nothing to change: %s",
			      r == REQ_REAPPLY ? "no router drifted from the journal"
			      : n ? "already there (or the weight is not read yet)" : "no service chosen");
		request_free(&req);
		return;
	}
	confirm_open(c, &req);
}

void request_submit(struct console *c, const struct tui_request *req, bool force,
		    const char *reason)
{
	if (!c->op) {	/* unreachable by construction: read-only has no modal */
		console_flash(c, "read-only: this screen changes nothing");
		return;
	}
	char why[200];
	if (force && (!reason || !*reason)) {
		snprintf(why, sizeof why, "forced in the console by %s, no reason typed",
			 operate_actor(c->op));
		reason = why;
	}
	struct co_error err;
	if (operate_submit(c->op, &req->plan, force, reason, &err) < 0) {
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
	request_poll(c);
}

bool request_running(const struct console *c)
{
	return c->op && c->prog.running;
}

const char *request_row_state(const struct console *c, size_t service)
{
	if (c->snap.svc[service].busy)
		return "busy";
	if (!request_running(c) || !c->plan_pos || c->plan_pos[service] < 0)
		return NULL;
	return (size_t)c->plan_pos[service] < c->prog.done ? "done" : "wait";
}

bool request_poll(struct console *c)
{
	if (!c->op)
		return false;
	struct executor_progress p;
	operate_progress(c->op, &p);
	bool changed = p.plan_seq != c->prog.plan_seq || p.done != c->prog.done ||
		       p.finished != c->prog.finished;
	c->prog = p;
	return changed;
}

void request_free(struct tui_request *req)
{
	plan_done(&req->plan);
}
