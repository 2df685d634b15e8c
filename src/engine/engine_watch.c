/* engine_watch: what the room must hear about even with no rollout
 * running — a side's health going down or up, router instances lost or
 * back, drift — as alerts, from the publisher's two snapshots. Only
 * changes from a known state alert: an engine starting on a dead green
 * says so once on screen, not a thousand times in a chat channel. */
#include "engine_private.h"

#include <stdio.h>

static void health(struct engine *e, size_t i, enum side s, const struct side_stats *a,
		   const struct side_stats *b)
{
	const char *name = e->cfg->services[i].name;
	char d[200];
	if (a->health == HEALTH_UP && b->health == HEALTH_DOWN) {
		snprintf(d, sizeof d, "%s down%s%s", side_name(s), b->last_error[0] ? ": " : "", b->last_error);
		alerts_post(e->alerts, ALERT_HEALTH_DOWN, name, d, NULL);
	} else if (a->health == HEALTH_DOWN && b->health == HEALTH_UP) {
		snprintf(d, sizeof d, "%s up again", side_name(s));
		alerts_post(e->alerts, ALERT_HEALTH_UP, name, d, NULL);
	}
}

void engine_watch(struct engine *e, const struct snapshot *prev, const struct snapshot *cur)
{
	if (!prev->svc || prev->n != cur->n)
		return;
	char d[200];
	if (prev->router_known && cur->router_known && prev->routers_up != cur->routers_up) {
		snprintf(d, sizeof d, "%d of %d router instances reachable", cur->routers_up, cur->routers_total);
		alerts_post(e->alerts, cur->routers_up < prev->routers_up ? ALERT_ROUTER_UNREACHABLE
									   : ALERT_ROUTER_REACHABLE, "", d, NULL);
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct service_state *a = &prev->svc[i], *b = &cur->svc[i];
		for (int s = 0; s < 2; s++)
			health(e, i, (enum side)s, &a->side[s], &b->side[s]);
		if (!a->drift && b->drift)
			alerts_post(e->alerts, ALERT_DRIFT, e->cfg->services[i].name, b->drift_detail, NULL);
	}
}
