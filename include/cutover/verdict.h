/* verdict: is green as good as blue? Rank statistics on the two sides'
 * probe latencies (Mann-Whitney U, Hodges-Lehmann shift) and the gates
 * that turn them into pass / marginal / fail / nodata with a reason.
 *
 * Pure computation: no I/O, no locks. Convention throughout: a is blue,
 * b is green, and a positive shift means green is slower. */
#ifndef CUTOVER_VERDICT_H
#define CUTOVER_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover/config.h"
#include "cutover/model.h"

/* Significance level for "green is slower": a 1% false alarm rate per
 * judgement, because verdicts are recomputed every few seconds. */
#define VERDICT_ALPHA 0.01
/* Default confidence of the shift's interval. */
#define VERDICT_CONF 0.95
/* Weaker evidence that still turns an over-tolerance p95 into marginal. */
#define VERDICT_HINT_ALPHA 0.05
/* Below this blue p95, percent deltas are noise; see verdict_judge. */
#define VERDICT_FLOOR_MS 1.0

struct mw_result {
	double u;	/* U of b: pairs with b > a, plus half the ties */
	double u_min;	/* min(U_a, U_b), the figure printed tables use */
	double z;	/* tie-corrected, continuity-corrected; > 0: b larger */
	double p;	/* two-sided, normal approximation; 1 when untestable */
	double auc;	/* u / (na*nb): chance a green sample beats a blue one */
};

/* Two-sample Mann-Whitney U test with mid-ranks for ties. Returns 0, or -1
 * when either sample is empty or memory runs out; out is then p = 1,
 * z = 0, auc = 0.5 ("no evidence"). All values tied also gives p = 1. */
int mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		 struct mw_result *out);

struct hl_result {
	double shift;		/* median of all b[j] - a[i] */
	double lo, hi;		/* confidence interval of the shift */
	double conf;		/* confidence actually achieved (order stats are discrete) */
	uint64_t pairs;		/* na * nb, all of them used */
};

/* Hodges-Lehmann estimate of the shift b - a with a distribution-free
 * interval at confidence conf (0 < conf < 1; anything else means
 * VERDICT_CONF): [D(k), D(N+1-k)] of the N = na*nb sorted differences,
 * k from the exact null distribution of U up to 2,500 pairs, from its
 * normal approximation beyond. Exact order statistics of all N pairs,
 * never subsampled and never materialized: two sorts, then at most ~100
 * O(na + nb) passes per order statistic (~40 us for 120 x 120), memory
 * O(na + nb). Returns 0, or -1 when a side is empty or memory runs out
 * (out then NAN). NaNs are not expected in the input. */
int hodges_lehmann(const double *a, size_t na, const double *b, size_t nb,
		   double conf, struct hl_result *out);

/* Green p95 minus blue p95. pct is NAN when blue's p95 is not > 0 (or
 * either is NAN); ms is NAN when either is NAN. */
struct p95_delta {
	double ms;
	double pct;
};
struct p95_delta verdict_delta(double blue_p95, double green_p95);

/* Writes "+34 ms (+180%)", "-2.5 ms (-4.1%)", "+3.0 ms (blue p95 0 ms)"
 * or "n/a" into buf. Returns buf. */
char *verdict_format_delta(struct p95_delta d, char *buf, size_t len);

struct verdict_input {
	const double *lat[2];	/* successful latencies, by enum side */
	size_t n_lat[2];
	int samples[2];		/* probes in the window, ok or failed */
	double error_pct[2];
	double p95_ms[2];	/* as shown on screen; NAN: computed from lat */
	const struct gates_conf *gates;
	double conf;		/* shift interval confidence; 0: VERDICT_CONF */
};

#define VERDICT_REASON_LEN 160

struct verdict_out {
	enum verdict verdict;
	char reason[VERDICT_REASON_LEN];	/* one line, plain words */
	double p;		/* Mann-Whitney two-sided p; 1 when untested */
	double z;		/* > 0: green ranks slower */
	double shift_ms;	/* Hodges-Lehmann green - blue; NAN when untested */
	double shift_lo_ms, shift_hi_ms;
	struct p95_delta delta;
};

/* Applies the gates, in this order (the tolerance is max_p95_delta_pct of
 * blue's p95, but of at least VERDICT_FLOOR_MS, so a blue p95 of 0 ms
 * still has a defined limit, in ms, and the reason says so; and it is
 * never less than gates.min_p95_delta_ms):
 *   nodata   a side has fewer than max(min_samples, 1) samples;
 *   fail     green's error share > max_error_rate_pct (even when blue is
 *            as bad: the gate is about what users would get on green;
 *            the reason then says blue is as bad), or green has no
 *            successful probe at all;
 *   nodata   blue has no successful probe: nothing to compare with;
 *   fail     green significantly slower (p < VERDICT_ALPHA, z > 0) and
 *            its p95 over blue's by more than max_p95_delta_pct;
 *   marginal green significantly slower, p95 within the tolerance;
 *   pass     otherwise (no significant difference, or green faster).
 * Returns 0, or -1 when memory ran out (out is then nodata, reason says). */
int verdict_judge(const struct verdict_input *in, struct verdict_out *out);

#endif
