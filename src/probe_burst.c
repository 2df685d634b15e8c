/* probe_burst: a prober run fast over chosen services until each has a
 * verdict (see probe_burst.h). */
#include "cutover/probe_burst.h"

#include <time.h>

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int probe_burst_start(struct probe_burst *b, struct model *m, const size_t *services, size_t n,
		      int max_ms, struct co_error *err)
{
	const struct config *cfg = m->cfg;
	size_t count = services ? n : cfg->n_services;
	long pace = prober_pace_ms(cfg, count);
	long wait = (long)cfg->gates.min_samples * pace * 3 / 2 + cfg->probe.timeout_ms;
	if (wait < 2000)
		wait = 2000;
	if (wait > max_ms)
		wait = max_ms;
	*b = (struct probe_burst){ .svc = services, .n = count, .interval_ms = (int)pace,
				   .until_ms = monotonic_ms() + (uint64_t)wait };
	struct prober_opts po = { .interval_ms = (int)pace, .services = services, .n_services = n };
	b->prober = prober_start_with(m, &po, err);
	return b->prober ? 0 : -1;
}

/* Whether every service of the burst has what a verdict needs. */
static bool judged(const struct probe_burst *b, const struct snapshot *s, int min_samples)
{
	for (size_t k = 0; k < b->n; k++) {
		const struct service_state *st = &s->svc[b->svc ? b->svc[k] : k];
		if (st->verdict == VERDICT_NODATA)
			return false;
		for (int side = 0; side < 2; side++)
			if (st->side[side].samples < min_samples)
				return false;
	}
	return true;
}

void probe_burst_wait(struct probe_burst *b, struct model *m)
{
	struct snapshot s = { 0 };
	while (b->prober && monotonic_ms() < b->until_ms) {
		sleep_ms(50);
		if (model_snapshot(m, &s) < 0 || judged(b, &s, m->cfg->gates.min_samples))
			break;
	}
	snapshot_done(&s);
}

void probe_burst_stop(struct probe_burst *b)
{
	prober_stop(b->prober);
	b->prober = NULL;
}
