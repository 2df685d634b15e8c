/* probe_round: one round of health probes over chosen services' sides, all
 * at once, for a decision that cannot wait for the prober's windows to fill
 * (a rollback's blue-health gate: the prober needs `rise` probes an interval
 * apart before it calls a side up, seconds at the default interval). */
#ifndef CUTOVER_PROBE_ROUND_H
#define CUTOVER_PROBE_ROUND_H

#include <stddef.h>

#include "cutover/model.h"

/* Probes side of each of services[0..n) of m->cfg, up to max_in_flight at
 * once (0: 256). A probe that fails is retried at once, up to probe.fall
 * tries in all: a side is down after `fall` failures in a row, as the
 * prober would call it, and up after one success (a rollback asks whether
 * the side answers, not whether it has been stable for `rise` intervals).
 * Each result goes into the model with model_set_side (health, samples = 1
 * when up, last_error). The round takes at most fall x probe.timeout_ms.
 * Returns 0, or -1 with err if libcurl could not be set up (nothing set). */
int probe_round_run(struct model *m, const size_t *services, size_t n, enum side side,
		    int max_in_flight, struct co_error *err);

#endif
