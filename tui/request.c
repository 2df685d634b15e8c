/* request: turns a mutating key into a plan the screen can compute, and
 * the one place a confirmed request leaves the screen. */
#include "console.h"

#include <stdlib.h>

/* One step from w toward green (up) or blue (down) along cfg->steps;
 * a job only ever sits at 0 or 100. */
static int step(const struct config *cfg, const struct service_conf *sc, int w, bool up)
{
	if (sc->kind == KIND_JOB)
		return up ? 100 : 0;
	int best = up ? 100 : 0;
	for (size_t k = 0; k < cfg->n_steps; k++) {
		int s = cfg->steps[k];
		if (up && s > w && s < best)
			best = s;
		if (!up && s < w && s > best)
			best = s;
	}
	return best;
}

static void add(struct tui_request *req, size_t i, int from, int to)
{
	if (from == to || from == WEIGHT_UNKNOWN)
		return;
	req->items[req->n++] = (struct move_item){ i, from, to };
}

void request_plan(struct console *c, enum tui_req r)
{
	const struct config *cfg = c->cfg;
	struct tui_request req = { r == REQ_ROLLBACK ? REQUEST_ROLLBACK_ALL : REQUEST_MOVE, NULL, 0 };
	req.items = calloc(cfg->n_services ? cfg->n_services : 1, sizeof *req.items);
	if (!req.items) {
		console_flash(c, "out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		bool chosen;
		if (r == REQ_ROLLBACK)
			chosen = true;
		else if (c->n_marked)
			chosen = c->marked[i];
		else if (c->n_rows == 0)
			chosen = false;
		else if (c->group_view) {
			const struct group_conf *g = &cfg->groups[c->rows[c->sel]];
			chosen = false;
			for (size_t k = 0; k < g->n_members; k++)
				chosen |= g->members[k] == i;
		} else
			chosen = c->rows[c->sel] == i;
		if (!chosen)
			continue;
		int w = c->snap.svc[i].weight;
		int to = 0;
		switch (r) {
		case REQ_STEP_GREEN: to = step(cfg, &cfg->services[i], w, true); break;
		case REQ_STEP_BLUE: to = step(cfg, &cfg->services[i], w, false); break;
		case REQ_ALL_GREEN: to = 100; break;
		default: to = 0; break;
		}
		add(&req, i, w, to);
	}
	if (req.n == 0) {
		console_flash(c, "nothing to change (already there, or weight not read yet)");
		request_free(&req);
		return;
	}
	confirm_open(c, &req);
}

void request_submit(struct console *c, const struct tui_request *req)
{
	/* The executor (issue: plan/executor) plugs in here: plan_build() over
	 * req->items, gates, then executor_submit(). Until it is in the build,
	 * nothing leaves the screen. */
	console_flash(c, "executor not in this build: nothing changed (%zu move%s)", req->n,
		      req->n == 1 ? "" : "s");
}

void request_free(struct tui_request *req)
{
	free(req->items);
	req->items = NULL;
	req->n = 0;
}
