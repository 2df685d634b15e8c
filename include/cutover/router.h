/* router: one interface over every way of moving traffic (haproxy fleet,
 * exec tool, rehearsal). A driver is a const table of functions; adding one
 * never touches another. */
#ifndef CUTOVER_ROUTER_H
#define CUTOVER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cutover/config.h"
#include "cutover/model.h"

/* What one router instance reports for one service. */
struct route_observation {
	size_t service;			/* index into cfg->services */
	int weight;			/* share on green 0..100, WEIGHT_UNKNOWN if unreadable */
	char detail[160];		/* why unknown, or "" */
	struct side_traffic traffic[2];
};

/* One router instance's answer (a socket of the haproxy fleet; the tool for
 * exec; the in-memory table for rehearsal). */
struct instance_result {
	char name[128];			/* "/run/haproxy.sock", "10.0.0.5:9999", "exec" */
	bool ok;
	char error[512];		/* verbatim router text where there is one */
	char warning[160];		/* shown even when ok: "TLS not verified (context lab)" */
};

/* One requested change. */
struct weight_change {
	size_t service;
	int weight;			/* target share on green */
};

struct router;

/* Calls may come from several threads at once: the poller observes a
 * fleet's instances in parallel while the executor applies. A driver
 * guards whatever its calls share. */
struct router_driver {
	const char *name;
	/* Creates the driver's state for cfg (nothing is contacted yet). */
	struct router *(*open)(const struct config *cfg, struct co_error *err);
	void (*close)(struct router *r);
	size_t (*n_instances)(const struct router *r);
	/* Reads every service's state from instance i into obs[cfg->n_services]. */
	int (*observe)(struct router *r, size_t instance, struct route_observation *obs,
		       struct instance_result *res);
	/* Applies a batch on instance i: one connection, ordered so no backend
	 * passes through zero total weight. */
	int (*apply)(struct router *r, size_t instance, const struct weight_change *changes,
		     size_t n, struct instance_result *res);
	/* Optional (NULL: the driver reads no traffic): whether observe also
	 * reads per-side traffic. Off for a command that only needs weights
	 * (a rollback: at 1,000 services haproxy's stat table is most of the
	 * read). Call before other threads use r. */
	void (*want_traffic)(struct router *r, bool want);
};

const struct router_driver *router_driver_for(enum driver_kind kind);

/* Why an instance failed, for a line that names the instance itself: a
 * driver's error usually starts by naming it ("haproxy /run/a.sock: cannot
 * connect: ..."), and that part is skipped so the name is not said twice. */
const char *router_instance_reason(const struct instance_result *r);

#endif
