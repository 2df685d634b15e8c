/* metrics: the engine's state in Prometheus text exposition format 0.0.4,
 * for GET /metrics. Pure: a snapshot and counters in, text out. */
#ifndef CUTOVER_METRICS_H
#define CUTOVER_METRICS_H

#include <stdint.h>

#include "cutover/model.h"

/* What the engine counts beside the model. */
struct engine_counters {
	uint64_t probes_total;		/* probes completed since start */
	uint64_t probe_failures_total;
	double probe_rate;		/* probes a second, over the last few seconds */
	uint64_t plans_applied_total;	/* plans the executor finished */
	uint64_t plans_failed_total;	/* of those, ones not ok */
	int clients;			/* attached event-stream clients */
	uint64_t rollout_checks_total;	/* checks the autopilot evaluated */
	uint64_t alerts_posted_total, alerts_delivered_total;
	uint64_t alerts_failed_total, alerts_dropped_total;
	double uptime_s;
};

/* Writes the exposition into a malloc'd, NUL-ended string (*out, *len).
 * Families (each with one # HELP and one # TYPE, in one block; a family
 * with no known sample is left out whole):
 *   cutover_side_up{service,side}              gauge 1/0 (unknown: absent)
 *   cutover_side_latency_p50_seconds{service,side}   gauges; one family per
 *   cutover_side_latency_p95_seconds{service,side}   quantile, since a
 *   cutover_side_latency_p99_seconds{service,side}   quantile label on a gauge
 *                                              fails promtool's lint and the
 *                                              window has no _sum/_count for
 *                                              a summary (no success: absent)
 *   cutover_side_error_ratio{service,side}     gauge 0..1 (no samples: absent)
 *   cutover_side_samples{service,side}         gauge
 *   cutover_service_weight_ratio{service}      gauge 0..1 green share (unknown: absent)
 *   cutover_service_drift{service}             gauge 1/0
 *   cutover_service_verdict{service,verdict}   gauge, a line per verdict
 *                                              (nodata|pass|marginal|fail),
 *                                              1 for the current one
 *   cutover_rollout_phase{service,phase}       gauge, a line per phase, 1 for
 *                                              the current one (services with a
 *                                              rollout only)
 *   cutover_rollout_failed_checks{service}     gauge, cumulative over the rollout
 *   cutover_rollout_bake_left_seconds{service} gauge (no bake running: absent)
 *   cutover_routers_up, cutover_routers        gauges (router not read: absent)
 *   cutover_probes_total, cutover_probe_failures_total  counters
 *   cutover_probe_rate                         gauge, probes/s
 *   cutover_plans_applied_total, cutover_plans_failed_total counters
 *   cutover_rollout_checks_total               counter
 *   cutover_alerts_{posted,delivered,failed,dropped}_total  counters
 *   cutover_clients, cutover_uptime_seconds    gauges
 * Unknown or NaN figures are omitted, never printed as NaN. Label values
 * are escaped (\\, \", \n) as the format requires. c may be NULL (engine
 * families left out). Returns 0, -1 on allocation failure. */
int metrics_render(const struct snapshot *snap, const struct engine_counters *c,
		   char **out, size_t *len);

#endif
