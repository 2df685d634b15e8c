/* executor_rollback: a rollback plan as one batch — every intent in one
 * journal flush, the whole plan in one apply per instance, all instances
 * at once, every outcome in one flush — best effort everywhere: an
 * instance that refuses the batch gets each service alone, and every
 * instance that failed is named once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "executor_private.h"

/* Consecutive single-service failures, from the start, after which an
 * instance whose batch failed counts as unreachable rather than as one
 * that refused some services. */
#define UNREACHABLE_AFTER 3

/* After instance i refused the batch: best effort means every service it
 * will take should still get there, so each is tried alone, in plan order.
 * An instance that fails the first UNREACHABLE_AFTER of them is taken as
 * unreachable (a dead socket costs a few fast refusals, not one per
 * service), and the whole retry is bounded by twice the router timeout.
 * per[k] gets each service's result; returns true if any went through. */
static bool retry_singly(struct executor *e, size_t i, const struct weight_change *ch, size_t n,
			 const struct instance_result *batch, struct instance_result *per)
{
	int tmo = e->m->cfg->router.timeout_ms > 0 ? e->m->cfg->router.timeout_ms : 2000;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t k = 0, failed = 0;
	bool any_ok = false;
	for (; k < n; k++) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
		if (ms > 2L * tmo || (!any_ok && failed >= UNREACHABLE_AFTER))
			break;
		memset(&per[k], 0, sizeof(per[k]));
		if (e->drv->apply(e->r, i, &ch[k], 1, &per[k]) < 0)
			per[k].ok = false;
		executor_instance_name(e, i, &per[k]);
		if (per[k].ok)
			any_ok = true;
		else
			failed++;
	}
	for (; k < n; k++) {	/* never tried: the batch's failure stands for them */
		per[k] = *batch;
		per[k].ok = false;
	}
	return any_ok;
}

/* Names the instance's failure in the result: once per instance, not once
 * per service, so a dead instance reads as one line for 1,000 services. */
static void report_instance(struct executor *e, const struct executor_apply *t,
			    const struct instance_result *per, size_t n, bool reachable)
{
	if (!reachable) {
		executor_result_add(e, "%s unreachable: %s (%zu service%s not confirmed there); ", t->res.name,
			   router_instance_reason(&t->res), n, n == 1 ? "" : "s");
		return;
	}
	size_t bad = 0, first = n;
	for (size_t k = 0; k < n; k++)
		if (!per[k].ok && bad++ == 0)
			first = k;
	if (bad)
		executor_result_add(e, "%s: %zu of %zu services failed (first %s: %s); ", t->res.name, bad, n,
			   e->m->cfg->services[e->plan.moves[first].service].name,
			   router_instance_reason(&per[first]));
}

bool executor_run_rollback(struct executor *e)
{
	size_t n = e->plan.n_moves, ni = e->drv->n_instances(e->r);
	struct weight_change *ch = calloc(n ? n : 1, sizeof(*ch));
	struct executor_apply *t = calloc(ni ? ni : 1, sizeof(*t));
	struct instance_result **per = calloc(ni ? ni : 1, sizeof(*per));
	struct co_error err;
	bool ok = false;
	if (!ch || !t || !per) {
		executor_result_add(e, "out of memory; nothing changed; ");
		goto out;
	}
	struct executor_batch b = { 0 };
	for (size_t k = 0; k < n; k++) {
		ch[k] = (struct weight_change){ e->plan.moves[k].service, e->plan.moves[k].to };
		executor_batch_add(&b, "intent", e->plan.id, executor_intent_json(e, &e->plan.moves[k]));
	}
	if (executor_batch_flush(e, &b, &err) < 0) {
		executor_result_add(e, "journal refused the intents, nothing changed: %s; ", err.msg);
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		model_set_busy(e->m, ch[k].service, true);
	for (size_t i = 0; i < ni; i++)
		t[i] = (struct executor_apply){ .e = e, .instance = i, .ch = ch, .n = n };
	executor_apply_fleet(t, ni);
	ok = true;
	for (size_t i = 0; i < ni; i++) {
		if (t[i].res.ok)
			continue;
		ok = false;
		per[i] = calloc(n ? n : 1, sizeof(**per));
		bool reachable = per[i] && retry_singly(e, i, ch, n, &t[i].res, per[i]);
		report_instance(e, &t[i], per[i], n, reachable);
	}
	for (size_t k = 0; k < n; k++) {
		const struct plan_move *mv = &e->plan.moves[k];
		for (size_t i = 0; i < ni; i++) {
			const struct instance_result *r = per[i] ? &per[i][k] : &t[i].res;
			executor_batch_add(&b, "outcome", e->plan.id,
				  executor_outcome_json(e, mv, r->ok ? "applied" : "failed", r));
		}
		/* Best effort: the model takes the target even where an instance
		 * missed it, so the screen shows those as drift to chase. */
		model_set_target(e->m, mv->service, mv->to, &err);
		model_set_weight(e->m, mv->service, mv->to, &err);
		model_set_busy(e->m, mv->service, false);
	}
	if (executor_batch_flush(e, &b, &err) < 0)
		executor_result_add(e, "journal refused the outcomes: %s; ", err.msg);
out:
	for (size_t i = 0; per && i < ni; i++)
		free(per[i]);
	free(per);
	free(t);
	free(ch);
	return ok;
}
