/* router_poller: reads every router instance, merges what they say per
 * service, and publishes it into the model: the observed weight, drift
 * (instances that disagree, or a router that disagrees with the journal),
 * per-side traffic and how many instances answered. A thread does it every
 * interval for the console; router_observe_all does one pass for the CLI.
 *
 * Driver calls may run on several threads at once: the poller observes a
 * fleet's instances in parallel while the executor applies. */
#ifndef CUTOVER_ROUTER_POLLER_H
#define CUTOVER_ROUTER_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover/model.h"
#include "cutover/router.h"

/* What every instance said in one pass. */
struct router_view {
	const struct config *cfg;
	const struct router_driver *drv;
	size_t n_instances;
	struct instance_result *inst;	/* [n_instances] */
	struct route_observation *obs;	/* [n_instances * n_services], instance-major */
	size_t up;			/* instances whose observe succeeded */
};

/* One pass: observe() on every instance, at most 32 at a time in parallel
 * (a dead instance costs its timeout once, not once per instance). view
 * starts zeroed and is reused across passes. An unreachable instance is not
 * an error (it is in view->inst); -1 with err means memory ran out. */
int router_observe_all(const struct router_driver *drv, struct router *r,
		       const struct config *cfg, struct router_view *view,
		       struct co_error *err);
void router_view_done(struct router_view *view);

/* Instance i's observation of service s. */
const struct route_observation *router_view_obs(const struct router_view *v, size_t i,
						size_t s);

/* One service, fleet-wide. */
struct router_merged {
	/* What the first instance (in config order) that could read it says;
	 * WEIGHT_UNKNOWN if none could. */
	int weight;
	bool drift;
	char detail[160];	/* "haproxy /run/a.sock says 25, 10.0.0.5:9999 says 0" */
	/* Sums over the instances that answered; rtime and 5xx share are
	 * weighted by each instance's requests. */
	struct side_traffic traffic[2];
};

/* Merges service s. target is the journal's weight (WEIGHT_UNKNOWN: never
 * set); while busy (a plan is applying) differences are the plan in
 * flight, not drift. An instance that could not be reached at all is not
 * drift either: it shows in the reachable count. */
void router_view_merge(const struct router_view *v, size_t s, int target, bool busy,
		       struct router_merged *out);

/* Publishes a pass into the model: weight, drift, traffic per service and
 * the reachable count. Calls only the model's setters (which lock
 * briefly), and only for what changed, judged against a snapshot: scratch
 * (zeroed at first, reused across calls, the caller's to snapshot_done) or,
 * if NULL, a temporary one. Returns -1 with err if memory ran out. */
int router_view_publish(const struct router_view *v, struct model *m, struct snapshot *scratch,
			struct co_error *err);
/* The same for a pass that began when the services' applies counts were
 * before[] (model_applies): a service an apply touched since then keeps
 * its weight and drift, since what was read may predate the apply (the
 * next pass reads it again). before NULL: as router_view_publish. */
int router_view_publish_since(const struct router_view *v, struct model *m, struct snapshot *scratch,
			      const uint32_t *before, struct co_error *err);

struct router_poller;

/* Starts a thread that observes and publishes every interval_ms (>= 10;
 * 1000 is a good pace for a screen). The first pass starts at once.
 * drv and r stay the caller's and must outlive the poller. */
struct router_poller *router_poller_start(struct model *m, const struct router_driver *drv,
					  struct router *r, int interval_ms,
					  struct co_error *err);

/* Asks for a pass now (after a move, so screens need not wait for the
 * next tick). */
void router_poller_kick(struct router_poller *p);

/* Passes completed so far. */
uint64_t router_poller_passes(struct router_poller *p);

/* Waits until at least n passes are complete; 0, or -1 after timeout_ms. */
int router_poller_wait(struct router_poller *p, uint64_t n, int timeout_ms);

/* Stops and frees. A wait between passes ends at once; a pass in flight is
 * finished first, which the router's own timeouts bound (router.timeout_ms,
 * router.exec.timeout_ms). NULL is a no-op. */
void router_poller_stop(struct router_poller *p);

#endif
