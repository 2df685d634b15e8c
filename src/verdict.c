/* verdict: rank tests on blue vs green latencies, and the gates. */
#include "cutover/verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover/stats.h"

_Static_assert(VERDICT_REASON_LEN == sizeof(((struct service_state *)0)->reason),
	       "a verdict reason must fit the model's field unchanged");

/* ---- Mann-Whitney U ---------------------------------------------------- */

struct tagged {
	double v;
	int from_b;
};

static int cmp_tagged(const void *pa, const void *pb)
{
	double a = ((const struct tagged *)pa)->v, b = ((const struct tagged *)pb)->v;
	return (a > b) - (a < b);
}

static void mw_no_evidence(struct mw_result *out)
{
	*out = (struct mw_result){ .u = 0, .u_min = 0, .z = 0, .p = 1, .auc = 0.5 };
}

/* Sums the mid-ranks of b's values in the pooled sorted sample, and the
 * tie term sum(t^3 - t) over groups of t equal values. */
static void rank_sums(const struct tagged *all, size_t n, double *rank_b, double *ties)
{
	*rank_b = 0;
	*ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		size_t in_b = 0;
		while (j < n && all[j].v == all[i].v)
			in_b += (size_t)all[j++].from_b;
		double t = (double)(j - i);
		double mid = ((double)i + 1 + (double)j) / 2;	/* ranks i+1..j */
		*rank_b += mid * (double)in_b;
		*ties += t * t * t - t;
		i = j;
	}
}

int mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		 struct mw_result *out)
{
	mw_no_evidence(out);
	if (na == 0 || nb == 0)
		return -1;
	size_t n = na + nb;
	struct tagged *all = malloc(n * sizeof(*all));
	if (!all)
		return -1;
	for (size_t i = 0; i < na; i++)
		all[i] = (struct tagged){ a[i], 0 };
	for (size_t j = 0; j < nb; j++)
		all[na + j] = (struct tagged){ b[j], 1 };
	qsort(all, n, sizeof(*all), cmp_tagged);
	double rank_b, ties;
	rank_sums(all, n, &rank_b, &ties);
	free(all);

	double dna = (double)na, dnb = (double)nb, dn = (double)n;
	double pairs = dna * dnb;
	out->u = rank_b - dnb * (dnb + 1) / 2;
	out->u_min = fmin(out->u, pairs - out->u);
	out->auc = out->u / pairs;
	/* Variance with the tie correction (Lehmann 1975, eq. 1.45). */
	double var = pairs / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
	if (!(var > 0))
		return 0;	/* every value tied: no evidence either way */
	double d = out->u - pairs / 2;
	/* Continuity correction: move half a unit toward the mean, never
	 * across it (as scipy.stats.mannwhitneyu does). */
	double cc = fmax(fabs(d) - 0.5, 0.0);
	out->z = copysign(cc / sqrt(var), d);
	out->p = fmin(1.0, erfc(fabs(out->z) / sqrt(2.0)));
	return 0;
}

/* ---- Hodges-Lehmann shift and its interval ---------------------------- */

/* z with P(Z > z) = tail, by bisection on erfc: 60 halvings of [0, 40]
 * reach double precision, and this runs once per verdict. */
static double normal_upper_quantile(double tail)
{
	double lo = 0, hi = 40;
	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;
		if (0.5 * erfc(mid / sqrt(2.0)) > tail)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Exact null distribution of U for sizes m, n without ties: the
 * coefficients of the Gaussian binomial [m+n choose m]_q, built by
 * Harding's (1984) multiply-by-(1-q^(n+i)), divide-by-(1-q^i) recurrence
 * in O(m * mn). Leaves F(x) = P(U <= x) for x = 0..mn in cdf, which must
 * hold mn + m + 1 doubles. */
static void u_exact_cdf(size_t m, size_t n, double *cdf)
{
	size_t top = m * n, deg = 0;
	memset(cdf, 0, (top + m + 1) * sizeof(*cdf));
	cdf[0] = 1;
	for (size_t i = 1; i <= m; i++) {
		for (size_t k = deg + n + i; k >= n + i; k--)
			cdf[k] -= cdf[k - n - i];
		deg += n + i;
		for (size_t k = i; k <= deg - i; k++)
			cdf[k] += cdf[k - i];
		for (size_t k = deg - i + 1; k <= deg; k++)
			cdf[k] = 0;	/* exact division: rounding dust only */
		deg -= i;
	}
	double total = 0;
	for (size_t k = 0; k <= top; k++)
		cdf[k] = (total += cdf[k]);
	for (size_t k = 0; k <= top; k++)
		cdf[k] /= total;
}

/* Order-statistic rank k (1-based) of the interval [D(k), D(N+1-k)]: the
 * smallest k with P(U <= k) >= alpha/2, as R's wilcox.test takes it, so
 * the coverage 1 - 2 P(U <= k-1) is at least conf. Exact up to 2,500
 * pairs (both sides ~50); beyond, the normal approximation of the same
 * rule with a continuity correction (Hollander & Wolfe, sec. 4.3). */
static size_t ci_rank(size_t na, size_t nb, double conf, double *achieved)
{
	double pairs = (double)na * (double)nb, half_alpha = (1 - conf) / 2;
	size_t k = 0;

	if (na * nb <= 2500) {
		/* Room for the intermediate product's degree, mn + m. */
		double *cdf = malloc((na * nb + na + nb + 1) * sizeof(*cdf));
		if (cdf) {
			u_exact_cdf(na < nb ? na : nb, na < nb ? nb : na, cdf);
			while (cdf[k] < half_alpha)
				k++;
			if (k == 0)
				k = 1;	/* even D(1)..D(N) falls short of conf */
			*achieved = 1 - 2 * cdf[k - 1];
			free(cdf);
			return k;
		}
		free(cdf);	/* no memory for exact: approximate instead */
	}
	double sd = sqrt(pairs * (double)(na + nb + 1) / 12);
	double z = normal_upper_quantile(half_alpha);
	double kd = floor(pairs / 2 + 0.5 - z * sd);
	k = kd < 1 ? 1 : (size_t)kd;
	*achieved = 1 - erfc((pairs / 2 - ((double)k - 0.5)) / sd / sqrt(2.0));
	return k;
}

/* An integer that orders like the double it came from, so bisection can
 * halve the doubles between two values whatever their scale. -0 maps to
 * +0's key (they compare equal; two keys for one value would stall the
 * bisection), and no key decodes to -0. */
static uint64_t order_key(double x)
{
	const uint64_t sign = UINT64_C(1) << 63;
	uint64_t u;
	memcpy(&u, &x, sizeof(u));
	return (u & sign) ? ~u + 1 : u | sign;
}

static double from_key(uint64_t k)
{
	const uint64_t sign = UINT64_C(1) << 63;
	uint64_t u = (k & sign) ? k & ~sign : ~(k - 1);
	double x;
	memcpy(&x, &u, sizeof(x));
	return x;
}

/* Differences b[j] - a[i] at or below t: how many, the largest of them,
 * and the smallest above t. With a and b ascending, and rounded
 * subtraction monotone, the qualifying a[i] of row j are a suffix that
 * only shrinks as b[j] grows: one pass, O(na + nb). */
struct split {
	uint64_t le;
	double max_le, min_gt;
};

static struct split count_le(const double *a, size_t na, const double *b, size_t nb,
			     double t)
{
	struct split s = { 0, -INFINITY, INFINITY };
	size_t i = 0;

	for (size_t j = 0; j < nb; j++) {
		while (i < na && b[j] - a[i] > t)
			i++;
		s.le += na - i;
		if (i < na)
			s.max_le = fmax(s.max_le, b[j] - a[i]);
		if (i > 0)
			s.min_gt = fmin(s.min_gt, b[j] - a[i - 1]);
	}
	return s;
}

/* The k-th smallest (1-based) D(k) of all b[j] - a[i], without building
 * them. [lo, hi] are differences bracketing D(k), with below = how many
 * lie under lo and upto = how many at or under hi; each count at a t
 * between them narrows the bracket to differences on one side of t, and
 * ends when exactly k or k-1 lie at or below t. The first rounds guess t
 * by interpolating the counts, alternating with halving the values so a
 * skewed tail cannot stall them; later rounds halve the doubles' order
 * keys, which ends within 64 more whatever the data. No pair array,
 * nothing to subsample: a quickselect over 120 x 120 materialized pairs
 * measured ~200 us per verdict; this is several times faster. */
static double kth_diff(const double *a, size_t na, const double *b, size_t nb,
		       uint64_t k)
{
	double lo = b[0] - a[na - 1], hi = b[nb - 1] - a[0];	/* D(1), D(N) */
	uint64_t below = 0, upto = (uint64_t)na * nb;

	for (int round = 0; lo < hi && round < 40 + 64 + 1; round++) {
		double t;
		if (round >= 40) {
			uint64_t kl = order_key(lo), kh = order_key(hi);
			t = from_key(kl + (kh - kl) / 2);
		} else if (round % 2 == 0) {
			double f = ((double)(k - below) - 0.5) / (double)(upto - below);
			t = lo + (hi - lo) * f;
		} else {
			t = lo + (hi - lo) / 2;
		}
		struct split s = count_le(a, na, b, nb, t);
		if (s.le == k)
			return s.max_le + 0.0;
		if (s.le + 1 == k)
			return s.min_gt + 0.0;
		if (s.le > k) {
			hi = s.max_le;
			upto = s.le;
		} else {
			lo = s.min_gt;
			below = s.le;
		}
	}
	return lo + 0.0;	/* + 0.0: a -0 would print as "-0.00" */
}

static double *sorted_copy(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c));
	if (c) {
		memcpy(c, v, n * sizeof(*c));
		stats_sort(c, n);
	}
	return c;
}

int hodges_lehmann(const double *a, size_t na, const double *b, size_t nb,
		   double conf, struct hl_result *out)
{
	*out = (struct hl_result){ NAN, NAN, NAN, NAN, 0 };
	if (na == 0 || nb == 0)
		return -1;
	if (!(conf > 0 && conf < 1))
		conf = VERDICT_CONF;
	double *sa = sorted_copy(a, na), *sb = sorted_copy(b, nb);
	int rc = -1;
	if (sa && sb) {
		uint64_t n = (uint64_t)na * nb;
		uint64_t k = ci_rank(na, nb, conf, &out->conf);
		if (k > (n + 1) / 2)
			k = (n + 1) / 2;	/* tiny conf: keep lo <= hi */
		double upper_mid = kth_diff(sa, na, sb, nb, n / 2 + 1);
		out->shift = n % 2 ? upper_mid
				   : (kth_diff(sa, na, sb, nb, n / 2) + upper_mid) / 2;
		out->lo = kth_diff(sa, na, sb, nb, k);
		out->hi = kth_diff(sa, na, sb, nb, n + 1 - k);
		out->pairs = n;
		rc = 0;
	}
	free(sa);
	free(sb);
	return rc;
}

/* ---- p95 delta ---------------------------------------------------------- */

struct p95_delta verdict_delta(double blue_p95, double green_p95)
{
	struct p95_delta d = { NAN, NAN };
	if (isnan(blue_p95) || isnan(green_p95))
		return d;
	d.ms = green_p95 - blue_p95;
	if (blue_p95 > 0)
		d.pct = 100 * d.ms / blue_p95;
	return d;
}

/* Milliseconds with the precision a reader can use: "34", "3.4", "0.34". */
static void fmt_ms(char *buf, size_t len, double ms, const char *sign)
{
	double a = fabs(ms);
	snprintf(buf, len, a >= 10 ? "%s%.0f" : a >= 1 ? "%s%.1f" : "%s%.2f",
		 sign, ms);
}

char *verdict_format_delta(struct p95_delta d, char *buf, size_t len)
{
	char ms[32];

	if (len == 0)
		return buf;
	if (isnan(d.ms)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	fmt_ms(ms, sizeof(ms), d.ms, d.ms >= 0 ? "+" : "");
	if (isnan(d.pct))
		snprintf(buf, len, "%s ms (blue p95 0 ms)", ms);
	else
		snprintf(buf, len, fabs(d.pct) >= 10 ? "%s ms (%+.0f%%)" : "%s ms (%+.1f%%)",
			 ms, d.pct);
	return buf;
}

/* ---- the gates ---------------------------------------------------------- */

static void say(struct verdict_out *out, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct verdict_out *out, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void fmt_p(char *buf, size_t len, double p)
{
	if (p < 0.001)
		snprintf(buf, len, "p<0.001");
	else
		snprintf(buf, len, "p=%.2g", p);
}

/* The p95 of a side: the caller's figure, or computed from the latencies
 * when the caller had none (NAN). */
static double side_p95(const struct verdict_input *in, enum side s)
{
	if (!isnan(in->p95_ms[s]))
		return in->p95_ms[s];
	double *tmp = malloc(in->n_lat[s] * sizeof(*tmp));
	if (!tmp)
		return NAN;
	memcpy(tmp, in->lat[s], in->n_lat[s] * sizeof(*tmp));
	stats_sort(tmp, in->n_lat[s]);
	double p95 = stats_quantile_sorted(tmp, in->n_lat[s], 0.95);
	free(tmp);
	return p95;
}

/* Counts and error shares; returns true when they already decided. */
static bool judge_counts(const struct verdict_input *in, struct verdict_out *out)
{
	const struct gates_conf *g = in->gates;
	int need = g->min_samples > 1 ? g->min_samples : 1;
	double eb = in->error_pct[SIDE_BLUE], eg = in->error_pct[SIDE_GREEN];

	if (in->samples[SIDE_BLUE] < need || in->samples[SIDE_GREEN] < need) {
		say(out, VERDICT_NODATA, "not enough samples: blue %d, green %d (need %d)",
		    in->samples[SIDE_BLUE], in->samples[SIDE_GREEN], need);
		return true;
	}
	/* Blue being as bad does not excuse green: users moved to green get
	 * green's error rate. The reason says so, to point at a shared cause. */
	if (eg > g->max_error_rate_pct) {
		if (eb >= eg)
			say(out, VERDICT_FAIL, "green errors %.1f%% > %g%% (blue %.1f%%, as bad: shared cause?)",
			    eg, g->max_error_rate_pct, eb);
		else
			say(out, VERDICT_FAIL, "green errors %.1f%% > %g%% (blue %.1f%%)",
			    eg, g->max_error_rate_pct, eb);
		return true;
	}
	if (in->n_lat[SIDE_GREEN] == 0) {
		say(out, VERDICT_FAIL, "green has no successful probes");
		return true;
	}
	if (in->n_lat[SIDE_BLUE] == 0) {
		say(out, VERDICT_NODATA, "blue has no successful probes: nothing to compare green with");
		return true;
	}
	return false;
}

/* The tolerance in ms. The percent is taken of blue's p95 but never of
 * less than VERDICT_FLOOR_MS: a blue p95 of 0 ms makes any percent
 * infinite, and sub-millisecond percents are noise. It is never less than
 * gates.min_p95_delta_ms either: a couple of ms on a 3 ms service is what
 * the prober host's own scheduling adds under load, and no user notices
 * it. Otherwise this is exactly "delta percent > max_p95_delta_pct". tol
 * gets it in words. */
static double tolerance_ms(const struct gates_conf *g, double blue_p95, char *tol, size_t len)
{
	double of = blue_p95 >= VERDICT_FLOOR_MS ? blue_p95 : VERDICT_FLOOR_MS;
	double ms = g->max_p95_delta_pct / 100 * of;
	if (ms < g->min_p95_delta_ms)
		snprintf(tol, len, "%g ms", g->min_p95_delta_ms);
	else if (blue_p95 >= VERDICT_FLOOR_MS)
		snprintf(tol, len, "%g%%", g->max_p95_delta_pct);
	else
		snprintf(tol, len, "%g ms", ms);
	return ms < g->min_p95_delta_ms ? g->min_p95_delta_ms : ms;
}

/* Direction from the rank test's z rather than the shift's sign: with
 * latencies quantized to whole ms the median difference can be 0 while
 * the ranks plainly show green slower. A delta we cannot compute (NAN)
 * counts as over: a slower green gets no benefit of the doubt. */
static void judge_latency(const struct verdict_input *in, const struct mw_result *mw,
			  struct verdict_out *out)
{
	char delta[48], p[16], shift[24], lo[24], hi[24], tol[32];
	double blue_p95 = side_p95(in, SIDE_BLUE);
	double allowed = tolerance_ms(in->gates, blue_p95, tol, sizeof(tol));
	size_t nb = in->n_lat[SIDE_BLUE], ng = in->n_lat[SIDE_GREEN];

	out->delta = verdict_delta(blue_p95, side_p95(in, SIDE_GREEN));
	verdict_format_delta(out->delta, delta, sizeof(delta));
	fmt_p(p, sizeof(p), mw->p);
	/* Words say "faster by" or "slower by", so the numbers are sizes. */
	double sign = mw->z < 0 ? -1 : 1;
	fmt_ms(shift, sizeof(shift), sign * out->shift_ms, "");
	fmt_ms(lo, sizeof(lo), sign * (sign < 0 ? out->shift_hi_ms : out->shift_lo_ms), "");
	fmt_ms(hi, sizeof(hi), sign * (sign < 0 ? out->shift_lo_ms : out->shift_hi_ms), "");
	/* Small windows cannot reach VERDICT_ALPHA at all (5 vs 5 in complete
	 * separation gives p~0.012), so a green that is plainly slower and over
	 * the p95 tolerance, with weaker evidence, is marginal — shown, never
	 * blocking — rather than a reassuring "pass". */
	if (mw->p >= VERDICT_ALPHA && mw->p < VERDICT_HINT_ALPHA && mw->z > 0 &&
	    !(out->delta.ms <= allowed))
		say(out, VERDICT_MARGINAL, "green p95 %s > %s, not yet significant (%s), n=%zu/%zu",
		    delta, tol, p, nb, ng);
	else if (mw->p >= VERDICT_ALPHA)
		say(out, VERDICT_PASS, "no significant difference (%s), green p95 %s, n=%zu/%zu",
		    p, delta, nb, ng);
	else if (mw->z < 0)
		say(out, VERDICT_PASS, "green faster by %s ms (CI %s..%s), %s, n=%zu/%zu",
		    shift, lo, hi, p, nb, ng);
	else if (!(out->delta.ms <= allowed))
		say(out, VERDICT_FAIL, "green p95 %s > %s, slower by %s ms, %s, n=%zu/%zu",
		    delta, tol, shift, p, nb, ng);
	else
		say(out, VERDICT_MARGINAL, "green slower by %s ms (CI %s..%s), p95 %s within %s, %s, n=%zu/%zu",
		    shift, lo, hi, delta, tol, p, nb, ng);
}

int verdict_judge(const struct verdict_input *in, struct verdict_out *out)
{
	struct mw_result mw;
	struct hl_result hl;
	const double *b = in->lat[SIDE_BLUE], *g = in->lat[SIDE_GREEN];
	size_t nb = in->n_lat[SIDE_BLUE], ng = in->n_lat[SIDE_GREEN];

	*out = (struct verdict_out){ .verdict = VERDICT_NODATA, .p = 1, .z = 0,
		.shift_ms = NAN, .shift_lo_ms = NAN, .shift_hi_ms = NAN,
		.delta = verdict_delta(in->p95_ms[SIDE_BLUE], in->p95_ms[SIDE_GREEN]) };
	if (judge_counts(in, out))
		return 0;
	if (mann_whitney(b, nb, g, ng, &mw) != 0) {
		say(out, VERDICT_NODATA, "out of memory comparing latencies");
		return -1;
	}
	out->p = mw.p;
	out->z = mw.z;
	/* The shift and its interval are most of a verdict's cost and are only
	 * worded when the rank test found a difference (the bench showed them
	 * dominating the prober's CPU); otherwise they stay NAN. */
	if (mw.p < VERDICT_ALPHA) {
		if (hodges_lehmann(b, nb, g, ng, in->conf, &hl) != 0) {
			say(out, VERDICT_NODATA, "out of memory comparing latencies");
			return -1;
		}
		out->shift_ms = hl.shift;
		out->shift_lo_ms = hl.lo;
		out->shift_hi_ms = hl.hi;
	}
	judge_latency(in, &mw, out);
	return 0;
}
