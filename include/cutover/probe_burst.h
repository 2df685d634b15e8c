/* probe_burst: probing chosen services faster than the steady prober until
 * each has a verdict, for a command that decides or reports now (a move's
 * gates, `status`). At the defaults (1 s interval, 20 samples a side) the
 * steady prober needs twenty seconds for a verdict; a burst needs about
 * half a second for a few services, and paces itself for many. */
#ifndef CUTOVER_PROBE_BURST_H
#define CUTOVER_PROBE_BURST_H

#include <stddef.h>
#include <stdint.h>

#include "cutover/model.h"
#include "cutover/prober.h"

struct probe_burst {
	struct prober *prober;
	const size_t *svc;	/* NULL: every service */
	size_t n;
	int interval_ms;	/* the pace chosen */
	uint64_t until_ms;	/* monotonic_ms() after which waiting stops */
};

/* Starts probing services[0..n) of m->cfg (NULL: every service) at
 * prober_pace_ms (PROBER_BURST_PACE_MS, slowed to PROBER_BURST_RATE probes
 * a second in all, never slower than probe.interval_ms). The wait ends after
 * min_samples paced intervals and a half plus a timeout, at least 2 s and
 * at most max_ms. services must outlive the burst. -1 with err. */
int probe_burst_start(struct probe_burst *b, struct model *m, const size_t *services, size_t n,
		      int max_ms, struct co_error *err);

/* Waits until every service probed has min_samples a side and a verdict,
 * or the burst's time is up. */
void probe_burst_wait(struct probe_burst *b, struct model *m);

/* Stops the prober. The figures stay in the model. */
void probe_burst_stop(struct probe_burst *b);

#endif
