/* stats: the recent probe results of one side of one service, its health
 * state machine, and the percentiles the screens and the verdict read.
 *
 * Pure computation: no I/O, no locks. The prober owns one side_window per
 * side per service and publishes side_window_summarize()'s output through
 * model_set_side(). */
#ifndef CUTOVER_STATS_H
#define CUTOVER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover/error.h"
#include "cutover/model.h"

/* Longest error text kept; the same size as side_stats.last_error. */
#define SIDE_ERROR_LEN 128

/* A ring of the last `cap` probe results. Only the most recent error text
 * is kept, not one per sample: with 20,000 windows of 120 samples, a text
 * per sample would cost ~300 MB, and nothing shows more than the last. */
struct side_window {
	/* float, not double: microseconds up to hours fit its 24-bit mantissa,
	 * and 20,000 windows of 120 samples then take 22 MiB, not 40. */
	float *latency;		/* ring of cap entries; meaningful where ok[i] */
	bool *ok;
	float *sorted;		/* the held successes' latencies, kept in order */
	size_t n_sorted;
	size_t cap;		/* the window, in samples */
	size_t n;		/* samples held, <= cap */
	size_t head;		/* where the next sample goes */
	size_t n_failed;	/* failures among the n held */
	int fall, rise;		/* from probe_conf; values < 1 act as 1 */
	int run_ok, run_failed;	/* current streak of successes / failures */
	enum health health;
	uint64_t probes;	/* probes ever added */
	char last_error[SIDE_ERROR_LEN];	/* "" when the last probe succeeded */
};

/* window >= 1. Returns 0, or -1 with err filled (bad window, no memory);
 * on failure w is left safe to pass to side_window_done(). */
int side_window_init(struct side_window *w, int window, int fall, int rise,
		     struct co_error *err);
void side_window_done(struct side_window *w);

/* Forgets the samples and the health (back to unknown), keeping the sizes
 * and the probe count; for a side that was redeployed. */
void side_window_clear(struct side_window *w);

/* Records one probe. latency_ms is ignored for a failed probe; error may
 * be NULL or "" (recorded as "failed"), and is truncated to fit. */
void side_window_add(struct side_window *w, bool ok, double latency_ms,
		     const char *error);

/* Fills out: health, percentiles (NAN when no probe in the window
 * succeeded), error_pct, samples, probes, last_error, spark. Returns 0, or
 * -1 only if a window larger than SIDE_WINDOW_STACK could not get scratch
 * memory; out is then filled except the percentiles, which are NAN. */
int side_window_summarize(const struct side_window *w, struct side_stats *out);

/* Copies the latencies of successful probes, oldest first, into out; when
 * more than cap exist, the newest cap. Returns how many it wrote. */
size_t side_window_latencies(const struct side_window *w, double *out, size_t cap);

/* Windows up to this size summarize with no allocation. */
#define SIDE_WINDOW_STACK 512

/* The q-quantile (0 <= q <= 1) of n ascending values, by linear
 * interpolation between order statistics (Hyndman & Fan type 7); NAN when
 * n is 0. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* Sorts n doubles ascending in place (qsort; NaNs are not expected). */
void stats_sort(double *v, size_t n);

#endif
