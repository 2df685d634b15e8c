/* Unit tests for verdict: Mann-Whitney, Hodges-Lehmann, the gates.
 *
 * Reference figures marked "ref" come from an independent Python script
 * (no scipy here): U by counting all pairs, ties by counting groups, the
 * exact null distribution by the textbook recursion
 * c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1) in exact fractions, and
 * the interval by sorting all pairwise differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/verdict.h"

/* cmocka 1.1 has no double comparison; this one also fails on NAN. */
#define assert_near(a, b, eps) near_at((a), (b), (eps), __FILE__, __LINE__)
static void near_at(double a, double b, double eps, const char *file, int line)
{
	if (a == b || fabs(a - b) <= eps)
		return;
	print_error("%.17g != %.17g (within %g)\n", a, b, eps);
	_fail(file, line);
}

#define assert_contains(text, part) do { \
	if (!strstr((text), (part))) \
		fail_msg("\"%s\" lacks \"%s\"", (text), (part)); \
} while (0)

static const struct gates_conf gates = {
	.max_p95_delta_pct = 10, .max_error_rate_pct = 1, .min_samples = 20,
};

/* A side of n successful probes, none failed; p95 left for the judge. */
static struct verdict_input input(const double *blue, size_t nb,
				  const double *green, size_t ng)
{
	return (struct verdict_input){
		.lat = { blue, green }, .n_lat = { nb, ng },
		.samples = { (int)nb, (int)ng }, .p95_ms = { NAN, NAN },
		.gates = &gates,
	};
}

/* 40 latencies spread evenly over 100..103.9 ms. */
static void spread(double *v, size_t n, double base, double step)
{
	for (size_t i = 0; i < n; i++)
		v[i] = base + (double)i * step;
}

/* ---- Mann-Whitney ------------------------------------------------------- */

/* scipy.stats.mannwhitneyu documentation: males vs females, U = 17 for
 * males, asymptotic two-sided p with continuity correction
 * 0.11134688653314041; ref agrees to 1e-15. */
static void mann_whitney_matches_scipy_documented_example(void **state)
{
	const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
	struct mw_result r;
	(void)state;
	assert_int_equal(mann_whitney(males, 5, females, 4, &r), 0);
	assert_near(r.u, 3, 0);	/* U of the second sample = 20 - 17 */
	assert_near(r.u_min, 3, 0);
	assert_near(r.p, 0.11134688653314041, 1e-12);
	assert_true(r.z < 0);	/* females rank lower */
}

/* Heavy ties: mid-ranks and the tie-corrected variance. ref: U = 61,
 * z = 2.402083018393564, p = 0.01630200829707018. */
static void mann_whitney_corrects_variance_for_ties(void **state)
{
	const double a[] = { 1, 2, 2, 3, 3, 3, 4, 5 }, b[] = { 3, 3, 4, 4, 5, 5, 6, 7, 7 };
	struct mw_result r;
	(void)state;
	assert_int_equal(mann_whitney(a, 8, b, 9, &r), 0);
	assert_near(r.u, 61, 0);
	assert_near(r.z, 2.402083018393564, 1e-12);
	assert_near(r.p, 0.01630200829707018, 1e-12);
	assert_near(r.auc, 61.0 / 72, 1e-15);
}

static void mann_whitney_gives_p_one_when_every_value_ties(void **state)
{
	double a[30], b[30];
	struct mw_result r;
	(void)state;
	spread(a, 30, 5, 0);
	spread(b, 30, 5, 0);
	assert_int_equal(mann_whitney(a, 30, b, 30, &r), 0);
	assert_near(r.p, 1, 0);
	assert_near(r.z, 0, 0);
	assert_near(r.u, 450, 0);
}

static void mann_whitney_refuses_an_empty_side_with_no_evidence(void **state)
{
	const double a[] = { 1, 2 };
	struct mw_result r;
	(void)state;
	assert_int_equal(mann_whitney(a, 2, a, 0, &r), -1);
	assert_near(r.p, 1, 0);
	assert_int_equal(mann_whitney(NULL, 0, a, 2, &r), -1);
	assert_near(r.p, 1, 0);
}

/* Complete separation, 40 vs 40: U = 1600, z = (800 - 0.5) / sqrt(10933.3)
 * = 7.6463..., p = erfc(z / sqrt 2) ~ 2.07e-14. */
static void mann_whitney_finds_complete_separation(void **state)
{
	double a[40], b[40];
	struct mw_result r;
	(void)state;
	spread(a, 40, 10, 0.1);
	spread(b, 40, 20, 0.1);
	mann_whitney(a, 40, b, 40, &r);
	assert_near(r.u, 1600, 0);
	assert_near(r.z, 799.5 / sqrt(1600.0 * 81 / 12), 1e-12);
	assert_true(r.p < 1e-13);
	assert_near(r.auc, 1, 0);
}

/* ---- Hodges-Lehmann ------------------------------------------------------ */

static void hodges_lehmann_recovers_a_known_shift_of_ten(void **state)
{
	double a[40], b[40];
	struct hl_result h;
	(void)state;
	for (size_t i = 0; i < 40; i++) {
		a[i] = 50 + (double)((i * 17) % 40) * 0.7;	/* unordered */
		b[i] = a[i] + 10;
	}
	assert_int_equal(hodges_lehmann(a, 40, b, 40, 0.95, &h), 0);
	assert_near(h.shift, 10, 1e-9);
	assert_true(h.lo < 10 && h.hi > 10);
	assert_true(h.conf >= 0.95);
	assert_true(h.pairs == 1600);
}

/* R's wilcox.test help example (Hollander & Wolfe 1973, p. 69,
 * chorioamnion permeability): difference in location 0.305. Exact interval
 * from ref: k = 9 (the tabled two-sided 5% critical U for 5 and 10 is 8),
 * so [D(9), D(42)] = [-0.15, 0.76] with coverage 0.96004. */
static void hodges_lehmann_exact_interval_matches_order_statistics(void **state)
{
	const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	struct hl_result h;
	(void)state;
	assert_int_equal(hodges_lehmann(y, 5, x, 10, 0.95, &h), 0);
	assert_near(h.shift, 0.305, 1e-12);
	assert_near(h.lo, -0.15, 1e-12);
	assert_near(h.hi, 0.76, 1e-12);
	assert_near(h.conf, 0.9600399600399601, 1e-9);
}

/* 60 x 60 = 3,600 pairs takes the normal approximation. ref: k = 1427,
 * shift 4.4, interval [-6.7, 15.3], coverage 0.95005. */
static void hodges_lehmann_normal_interval_for_large_samples(void **state)
{
	double a[60], b[60];
	struct hl_result h;
	(void)state;
	for (size_t i = 0; i < 60; i++) {
		a[i] = (double)((i * 7919) % 1000) / 10.0;
		b[i] = (double)((i * 104729) % 1000) / 10.0 + 5;
	}
	hodges_lehmann(a, 60, b, 60, 0.95, &h);
	assert_near(h.shift, 4.4, 1e-9);
	assert_near(h.lo, -6.7, 1e-9);
	assert_near(h.hi, 15.3, 1e-9);
	assert_near(h.conf, 0.9500470427264741, 1e-9);
}

static void hodges_lehmann_averages_the_middle_pair_of_an_even_count(void **state)
{
	const double a[] = { 0 }, b[] = { 2, 1 };
	struct hl_result h;
	(void)state;
	hodges_lehmann(a, 1, b, 2, 0.95, &h);
	assert_near(h.shift, 1.5, 0);
	assert_near(h.lo, 1, 0);	/* too few pairs: the whole range */
	assert_near(h.hi, 2, 0);
}

/* A million pairs are all used (no subsampling) and cost no pair array. */
static void hodges_lehmann_uses_every_pair_of_large_samples(void **state)
{
	size_t n = 1000;
	double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	struct hl_result h;
	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		a[i] = (double)((i * 7919) % n);
		b[i] = a[i] + 3;
	}
	assert_int_equal(hodges_lehmann(a, n, b, n, 0.95, &h), 0);
	assert_true(h.pairs == (uint64_t)n * n);
	assert_near(h.shift, 3, 0);
	assert_true(h.lo < 3 && h.hi > 3);
	free(a);
	free(b);
}

static int cmp_d(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static uint32_t lcg(uint32_t *seed)
{
	return (*seed = *seed * 1103515245u + 12345u) >> 8;
}

/* Latency-like values: integers 0..31 (many ties) or a heavy right tail
 * (exponential, times 1000 for one sample in 50). */
static double draw(uint32_t *seed, bool tied)
{
	if (tied)
		return (double)(lcg(seed) >> 19);
	double u = ((double)lcg(seed) + 1) / 16777217.0;
	return -log(u) * 10 * (lcg(seed) % 50 == 0 ? 1000 : 1);
}

/* Selection without the pair array must agree with sorting all pairs:
 * the shift is the sorted median and the bounds sit at mirrored ranks k
 * and N+1-k, for many sizes, with negative, zero and tied differences
 * and skewed tails. */
static void hodges_lehmann_selection_agrees_with_a_full_sort(void **state)
{
	double a[37], b[41], d[37 * 41];
	uint32_t seed = 12345;
	(void)state;
	for (int tied = 0; tied < 2; tied++) {
		for (size_t na = 1; na <= 37; na += 4) {
			for (size_t nb = 1; nb <= 41; nb += 5) {
				struct hl_result h;
				for (size_t i = 0; i < na; i++)
					a[i] = draw(&seed, tied);
				for (size_t j = 0; j < nb; j++)
					b[j] = draw(&seed, tied) + 3;
				size_t n = 0;
				for (size_t j = 0; j < nb; j++)
					for (size_t i = 0; i < na; i++)
						d[n++] = b[j] - a[i];
				qsort(d, n, sizeof(*d), cmp_d);
				hodges_lehmann(a, na, b, nb, 0.95, &h);
				assert_near(h.shift, (d[(n - 1) / 2] + d[n / 2]) / 2, 0);
				bool mirrored = false;
				for (size_t k = 1; k <= n; k++)
					mirrored |= d[k - 1] == h.lo && d[n - k] == h.hi;
				assert_true(mirrored);
			}
		}
	}
}

static void hodges_lehmann_refuses_an_empty_side(void **state)
{
	const double a[] = { 1 };
	struct hl_result h;
	(void)state;
	assert_int_equal(hodges_lehmann(a, 1, a, 0, 0.95, &h), -1);
	assert_true(isnan(h.shift));
}

/* ---- p95 delta ----------------------------------------------------------- */

static void delta_formats_ms_and_percent(void **state)
{
	char buf[48];
	(void)state;
	assert_string_equal(verdict_format_delta(verdict_delta(19, 53.2), buf, sizeof(buf)),
			    "+34 ms (+180%)");
	assert_string_equal(verdict_format_delta(verdict_delta(100, 95.9), buf, sizeof(buf)),
			    "-4.1 ms (-4.1%)");
	assert_string_equal(verdict_format_delta(verdict_delta(0, 3), buf, sizeof(buf)),
			    "+3.0 ms (blue p95 0 ms)");
	assert_true(isnan(verdict_delta(0, 3).pct));
	assert_string_equal(verdict_format_delta(verdict_delta(NAN, 3), buf, sizeof(buf)),
			    "n/a");
}

/* ---- the judge ----------------------------------------------------------- */

static void identical_distributions_pass(void **state)
{
	double x[80], blue[40], green[40];
	struct verdict_out o;
	(void)state;
	/* One smooth distribution dealt alternately to the two sides. */
	for (size_t i = 0; i < 80; i++)
		x[i] = 20 + 5 * sin((double)i * 0.37) + (double)(i % 7);
	for (size_t i = 0; i < 40; i++) {
		blue[i] = x[2 * i];
		green[i] = x[2 * i + 1];
	}
	struct verdict_input in = input(blue, 40, green, 40);
	assert_int_equal(verdict_judge(&in, &o), 0);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_true(o.p > 0.05);
	assert_contains(o.reason, "no significant difference");
	assert_contains(o.reason, "n=40/40");
}

static void green_slower_by_180_percent_fails_with_the_numbers(void **state)
{
	double blue[40], green[40];
	struct verdict_out o;
	(void)state;
	spread(blue, 40, 10, 0.25);
	for (size_t i = 0; i < 40; i++)
		green[i] = blue[i] * 2.8;
	struct verdict_input in = input(blue, 40, green, 40);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_near(o.delta.pct, 180, 1e-9);
	assert_contains(o.reason, "green p95 +35 ms (+180%) > 10%");	/* 19.26 -> 53.94 */
	assert_contains(o.reason, "p<0.001");
	assert_contains(o.reason, "n=40/40");
	assert_null(strchr(o.reason, '\n'));
}

/* +1.5 ms on ~102 ms: ref p = 2.8e-6, shift 1.5, CI [1.0, 2.0]. */
static void small_significant_shift_is_marginal(void **state)
{
	double blue[40], green[40];
	struct verdict_out o;
	(void)state;
	spread(blue, 40, 100, 0.1);
	for (size_t i = 0; i < 40; i++)
		green[i] = blue[i] + 1.5;
	struct verdict_input in = input(blue, 40, green, 40);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_MARGINAL);
	assert_near(o.p, 2.774470447699596e-06, 1e-12);
	assert_near(o.shift_ms, 1.5, 1e-9);
	assert_near(o.shift_lo_ms, 1.0, 1e-9);
	assert_near(o.shift_hi_ms, 2.0, 1e-9);
	assert_contains(o.reason, "green slower by 1.5 ms (CI 1.0..2.0)");
	assert_contains(o.reason, "within 10%");
}

static void green_error_share_over_the_gate_fails(void **state)
{
	double lat[40];
	struct verdict_out o;
	(void)state;
	spread(lat, 40, 10, 0.1);
	struct verdict_input in = input(lat, 40, lat, 35);
	in.samples[SIDE_GREEN] = 40;
	in.error_pct[SIDE_GREEN] = 12.5;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "green errors 12.5% > 1% (blue 0.0%)");
}

/* Blue as bad is named in the reason but does not excuse green. */
static void green_errors_fail_even_when_blue_is_as_bad(void **state)
{
	double lat[40];
	struct verdict_out o;
	(void)state;
	spread(lat, 40, 10, 0.1);
	struct verdict_input in = input(lat, 30, lat, 30);
	in.samples[SIDE_BLUE] = in.samples[SIDE_GREEN] = 40;
	in.error_pct[SIDE_BLUE] = in.error_pct[SIDE_GREEN] = 25;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_contains(o.reason, "blue 25.0%, as bad");
}

static void too_few_samples_is_nodata_whatever_the_latencies(void **state)
{
	double blue[40], green[40];
	struct verdict_out o;
	(void)state;
	spread(blue, 40, 10, 0.1);
	spread(green, 40, 90, 0.1);
	struct verdict_input in = input(blue, 7, green, 40);
	in.error_pct[SIDE_GREEN] = 50;	/* counts come before errors */
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_NODATA);
	assert_string_equal(o.reason, "not enough samples: blue 7, green 40 (need 20)");
	assert_true(isnan(o.shift_ms));
	assert_near(o.p, 1, 0);
}

static void blue_at_zero_ms_judges_green_by_milliseconds(void **state)
{
	double blue[30], green[30];
	struct verdict_out o;
	(void)state;
	spread(blue, 30, 0, 0);
	spread(green, 30, 3, 0.01);
	struct verdict_input in = input(blue, 30, green, 30);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_true(isnan(o.delta.pct));
	assert_contains(o.reason, "(blue p95 0 ms) > 0.1 ms");
	/* 0.05 ms slower is under 10% of the 1 ms floor: only marginal. */
	spread(green, 30, 0.05, 0);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_MARGINAL);
	assert_contains(o.reason, "within 0.1 ms");
}

static void all_latencies_tied_pass_with_p_one(void **state)
{
	double lat[40];
	struct verdict_out o;
	(void)state;
	spread(lat, 40, 12, 0);
	struct verdict_input in = input(lat, 40, lat, 40);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_near(o.p, 1, 0);
	/* No significant difference: the shift is not computed (see verdict.c). */
	assert_true(isnan(o.shift_ms));
}

static void green_faster_passes_and_says_so(void **state)
{
	double blue[40], green[40];
	struct verdict_out o;
	(void)state;
	spread(blue, 40, 50, 0.5);
	spread(green, 40, 30, 0.5);
	struct verdict_input in = input(blue, 40, green, 40);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_PASS);
	assert_contains(o.reason, "green faster by 20 ms (CI ");
	assert_null(strstr(o.reason, "-"));	/* sizes, not signed shifts */
	assert_true(o.z < 0 && o.p < 0.001);
}

static void green_without_a_successful_probe_fails(void **state)
{
	double blue[40];
	struct gates_conf lax = gates;
	struct verdict_out o;
	(void)state;
	lax.max_error_rate_pct = 100;	/* so the error gate cannot catch it */
	spread(blue, 40, 10, 0.1);
	struct verdict_input in = input(blue, 40, NULL, 0);
	in.gates = &lax;
	in.samples[SIDE_GREEN] = 40;
	in.error_pct[SIDE_GREEN] = 100;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_string_equal(o.reason, "green has no successful probes");
}

static void blue_without_a_successful_probe_is_nodata(void **state)
{
	double green[40];
	struct verdict_out o;
	(void)state;
	spread(green, 40, 10, 0.1);
	struct verdict_input in = input(NULL, 0, green, 40);
	in.samples[SIDE_BLUE] = 40;
	in.error_pct[SIDE_BLUE] = 100;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_NODATA);
	assert_contains(o.reason, "blue has no successful probes");
}

/* Significant at 5% but not at VERDICT_ALPHA (ref p = 0.0163, the tie
 * example above): not enough evidence to call green slower. */
/* p=0.016 is not significant at 1%, but green's p95 is over the tolerance:
 * marginal (shown, not blocking), never a reassuring pass. */
static void over_tolerance_significant_only_at_five_percent_is_marginal(void **state)
{
	const double a[] = { 1, 2, 2, 3, 3, 3, 4, 5 }, b[] = { 3, 3, 4, 4, 5, 5, 6, 7, 7 };
	struct gates_conf few = gates;
	struct verdict_out o;
	(void)state;
	few.min_samples = 5;
	struct verdict_input in = input(a, 8, b, 9);
	in.gates = &few;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_MARGINAL);
	assert_near(o.p, 0.01630200829707018, 1e-12);
	assert_contains(o.reason, "not yet significant (p=0.016)");
}

/* Blue at 0.5 ms, green +0.06 ms: +12% is over 10%, but the percent is
 * taken of at least 1 ms, so 0.06 ms is within the 0.1 ms allowed. */
static void sub_millisecond_blue_uses_the_one_ms_floor(void **state)
{
	double blue[30], green[30];
	struct verdict_out o;
	(void)state;
	spread(blue, 30, 0.5, 0);
	spread(green, 30, 0.56, 0);
	struct verdict_input in = input(blue, 30, green, 30);
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_MARGINAL);
	assert_near(o.delta.pct, 12, 1e-9);
	assert_contains(o.reason, "within 0.1 ms");
}

/* A 3 ms service whose green is 1.5 ms slower at p95 (+50%): plainly
 * significant, over 10%, but inside gates.min_p95_delta_ms = 2, so it is
 * marginal, never a failure; at 0 the percent alone judges it and fails. */
static void a_small_absolute_delta_is_within_min_p95_delta_ms(void **state)
{
	double blue[30], green[30];
	struct verdict_out o;
	(void)state;
	spread(blue, 30, 2.0, 0.035);
	spread(green, 30, 3.5, 0.035);
	struct gates_conf floor2 = gates, floor0 = gates;
	floor2.min_p95_delta_ms = 2;
	struct verdict_input in = input(blue, 30, green, 30);
	in.gates = &floor2;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_MARGINAL);
	assert_contains(o.reason, "within 2 ms");
	in.gates = &floor0;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_contains(o.reason, "> 10%");
	/* 2.5 ms over is past the floor: it fails at 2 as well. */
	spread(green, 30, 4.5, 0.035);
	in.gates = &floor2;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_contains(o.reason, "> 2 ms");
}

/* The caller's p95s win over the latencies: the gate is about the figures
 * the operator sees on screen. */
static void given_p95s_decide_the_tolerance(void **state)
{
	double blue[40], green[40];
	struct verdict_out o;
	(void)state;
	spread(blue, 40, 100, 0.1);
	for (size_t i = 0; i < 40; i++)
		green[i] = blue[i] + 1.5;
	struct verdict_input in = input(blue, 40, green, 40);
	in.p95_ms[SIDE_BLUE] = 100;
	in.p95_ms[SIDE_GREEN] = 125;
	verdict_judge(&in, &o);
	assert_int_equal(o.verdict, VERDICT_FAIL);
	assert_contains(o.reason, "+25 ms (+25%) > 10%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mann_whitney_matches_scipy_documented_example),
		cmocka_unit_test(mann_whitney_corrects_variance_for_ties),
		cmocka_unit_test(mann_whitney_gives_p_one_when_every_value_ties),
		cmocka_unit_test(mann_whitney_refuses_an_empty_side_with_no_evidence),
		cmocka_unit_test(mann_whitney_finds_complete_separation),
		cmocka_unit_test(hodges_lehmann_recovers_a_known_shift_of_ten),
		cmocka_unit_test(hodges_lehmann_exact_interval_matches_order_statistics),
		cmocka_unit_test(hodges_lehmann_normal_interval_for_large_samples),
		cmocka_unit_test(hodges_lehmann_averages_the_middle_pair_of_an_even_count),
		cmocka_unit_test(hodges_lehmann_uses_every_pair_of_large_samples),
		cmocka_unit_test(hodges_lehmann_selection_agrees_with_a_full_sort),
		cmocka_unit_test(hodges_lehmann_refuses_an_empty_side),
		cmocka_unit_test(delta_formats_ms_and_percent),
		cmocka_unit_test(identical_distributions_pass),
		cmocka_unit_test(green_slower_by_180_percent_fails_with_the_numbers),
		cmocka_unit_test(small_significant_shift_is_marginal),
		cmocka_unit_test(green_error_share_over_the_gate_fails),
		cmocka_unit_test(green_errors_fail_even_when_blue_is_as_bad),
		cmocka_unit_test(too_few_samples_is_nodata_whatever_the_latencies),
		cmocka_unit_test(blue_at_zero_ms_judges_green_by_milliseconds),
		cmocka_unit_test(all_latencies_tied_pass_with_p_one),
		cmocka_unit_test(green_faster_passes_and_says_so),
		cmocka_unit_test(green_without_a_successful_probe_fails),
		cmocka_unit_test(blue_without_a_successful_probe_is_nodata),
		cmocka_unit_test(over_tolerance_significant_only_at_five_percent_is_marginal),
		cmocka_unit_test(sub_millisecond_blue_uses_the_one_ms_floor),
		cmocka_unit_test(a_small_absolute_delta_is_within_min_p95_delta_ms),
		cmocka_unit_test(given_p95s_decide_the_tolerance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
