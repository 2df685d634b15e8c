/* prober: probes every service's blue and green health URL on one thread
 * driving libcurl's multi interface, and publishes figures and verdicts into
 * the model. */
#ifndef CUTOVER_PROBER_H
#define CUTOVER_PROBER_H

#include <stdint.h>

#include "cutover/model.h"

struct prober;

struct prober_counters {
	uint64_t probes;	/* completed */
	uint64_t failures;
	uint64_t verdicts;	/* verdicts computed */
	int in_flight;
};

/* Starts the probe thread over m (and m->cfg). Returns NULL with err filled. */
struct prober *prober_start(struct model *m, struct co_error *err);

/* The fastest a side is probed, during a target's warm-up (its first
 * gates.min_samples probes) or a burst (probe_burst.h)... */
#define PROBER_BURST_PACE_MS 25
/* ...slowed so the services probed see at most this many probes a second
 * in all: a warm-up over ten thousand services does not flood anyone. */
#define PROBER_BURST_RATE 4000

/* That pace for n_services, never slower than probe.interval_ms. */
int prober_pace_ms(const struct config *cfg, size_t n_services);

/* What a one-off decision may ask of the prober instead of its steady
 * watch: a move's gates need min_samples per side now, not in twenty
 * intervals. Zeroed means as prober_start. */
struct prober_opts {
	int interval_ms;		/* 0: probe.interval_ms */
	const size_t *services;		/* NULL: every service; else only these */
	size_t n_services;
};
struct prober *prober_start_with(struct model *m, const struct prober_opts *o,
				 struct co_error *err);
/* Stops the thread within one poll wakeup and frees everything. NULL is a no-op. */
void prober_stop(struct prober *p);
void prober_get_counters(struct prober *p, struct prober_counters *out);

#endif
