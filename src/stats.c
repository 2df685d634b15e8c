/* stats: probe windows, health hysteresis and percentiles. */
#include "cutover/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SIDE_ERROR_LEN == sizeof(((struct side_stats *)0)->last_error),
	       "side_window keeps exactly what side_stats can show");

int side_window_init(struct side_window *w, int window, int fall, int rise,
		     struct co_error *err)
{
	memset(w, 0, sizeof(*w));
	if (window < 1) {
		co_error_set(err, "probe window %d: must be at least 1 sample", window);
		return -1;
	}
	w->latency = calloc((size_t)window, sizeof(*w->latency));
	w->ok = calloc((size_t)window, sizeof(*w->ok));
	w->sorted = calloc((size_t)window, sizeof(*w->sorted));
	if (!w->latency || !w->ok || !w->sorted) {
		co_error_set(err, "probe window of %d samples: out of memory", window);
		side_window_done(w);
		return -1;
	}
	w->cap = (size_t)window;
	/* A streak of zero would flip the state before any probe; treat
	 * nonsense as the most eager sane setting rather than fail. */
	w->fall = fall < 1 ? 1 : fall;
	w->rise = rise < 1 ? 1 : rise;
	w->health = HEALTH_UNKNOWN;
	return 0;
}

void side_window_done(struct side_window *w)
{
	if (!w)
		return;
	free(w->latency);
	free(w->ok);
	free(w->sorted);
	memset(w, 0, sizeof(*w));
}

void side_window_clear(struct side_window *w)
{
	w->n = 0;
	w->head = 0;
	w->n_failed = 0;
	w->n_sorted = 0;
	w->run_ok = 0;
	w->run_failed = 0;
	w->health = HEALTH_UNKNOWN;
	w->last_error[0] = '\0';
}

/* Hysteresis: a single blip never flips the state; only a streak of
 * `fall` failures makes it down and a streak of `rise` successes up. */
static void update_health(struct side_window *w, bool ok)
{
	if (ok) {
		w->run_failed = 0;
		if (w->run_ok < w->rise)
			w->run_ok++;
		if (w->run_ok >= w->rise)
			w->health = HEALTH_UP;
	} else {
		w->run_ok = 0;
		if (w->run_failed < w->fall)
			w->run_failed++;
		if (w->run_failed >= w->fall)
			w->health = HEALTH_DOWN;
	}
}

static void keep_error(struct side_window *w, const char *error)
{
	if (!error || !*error)
		error = "failed";
	size_t len = strlen(error);
	if (len >= sizeof(w->last_error)) {
		/* Cut on a UTF-8 boundary so the screen never gets half a
		 * character from a long curl or HTTP error text. */
		len = sizeof(w->last_error) - 1;
		while (len > 0 && ((unsigned char)error[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(w->last_error, error, len);
	w->last_error[len] = '\0';
}

/* First position in sorted whose value is >= v. */
static size_t lower_bound(const float *sorted, size_t n, float v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sorted[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The sorted copy moves by one insert and at most one removal per probe
 * (a memmove of under a window of doubles), so percentiles cost a lookup
 * instead of a sort on every probe; the benchmark measured the sort at
 * 7 us per probe for 120 samples. */
static void sorted_remove(struct side_window *w, float v)
{
	size_t i = lower_bound(w->sorted, w->n_sorted, v);
	if (i >= w->n_sorted)
		return;
	memmove(&w->sorted[i], &w->sorted[i + 1], (w->n_sorted - i - 1) * sizeof(float));
	w->n_sorted--;
}

static void sorted_insert(struct side_window *w, float v)
{
	size_t i = lower_bound(w->sorted, w->n_sorted, v);
	memmove(&w->sorted[i + 1], &w->sorted[i], (w->n_sorted - i) * sizeof(float));
	w->sorted[i] = v;
	w->n_sorted++;
}

void side_window_add(struct side_window *w, bool ok, double latency_ms,
		     const char *error)
{
	if (w->cap == 0)
		return;
	if (w->n == w->cap) {
		/* Overwriting the oldest: take it out of the counts. */
		if (!w->ok[w->head])
			w->n_failed--;
		else
			sorted_remove(w, w->latency[w->head]);
	} else {
		w->n++;
	}
	/* A negative or non-finite latency from a broken clock would poison
	 * every percentile; clamp it to 0 rather than drop the success. */
	if (ok && !(latency_ms >= 0.0 && isfinite(latency_ms)))
		latency_ms = 0.0;
	w->latency[w->head] = ok ? (float)latency_ms : 0.0f;
	w->ok[w->head] = ok;
	if (!ok)
		w->n_failed++;
	else
		sorted_insert(w, w->latency[w->head]);	/* the stored float, so removal finds it */
	w->head = (w->head + 1) % w->cap;
	w->probes++;
	update_health(w, ok);
	if (ok)
		w->last_error[0] = '\0';
	else
		keep_error(w, error);
}

/* Position of the i-th oldest sample held (0 = oldest). */
static size_t ring_index(const struct side_window *w, size_t i)
{
	return (w->head + w->cap - w->n + i) % w->cap;
}

size_t side_window_latencies(const struct side_window *w, double *out, size_t cap)
{
	size_t n_ok = w->n - w->n_failed;
	size_t skip = n_ok > cap ? n_ok - cap : 0;	/* keep the newest */
	size_t k = 0;

	for (size_t i = 0; i < w->n && k < cap; i++) {
		size_t at = ring_index(w, i);
		if (!w->ok[at])
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		out[k++] = w->latency[at];
	}
	return k;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

void stats_sort(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_double);
}

/* Type 7 (R's default, numpy's "linear"): h = (n-1)q, interpolate between
 * the order statistics around h. Chosen because it is defined for any n
 * >= 1, moves smoothly as samples arrive instead of jumping a whole sample
 * like nearest-rank, never leaves [min, max], and is what an operator gets
 * from numpy or R when checking our numbers by hand. */
double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	if (q <= 0.0)
		return sorted[0];
	if (q >= 1.0)
		return sorted[n - 1];
	double h = (double)(n - 1) * q;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* stats_quantile_sorted over the window's float copy, computed in double. */
static double quantile_sorted_f(const float *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double h = (double)(n - 1) * (q < 0 ? 0 : q > 1 ? 1 : q);
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * ((double)sorted[lo + 1] - sorted[lo]);
}

static void fill_spark(const struct side_window *w, struct side_stats *out)
{
	size_t n = w->n < SPARK_LEN ? w->n : SPARK_LEN;
	size_t first = w->n - n;	/* the oldest of the newest n */

	for (size_t i = 0; i < n; i++) {
		size_t at = ring_index(w, first + i);
		out->spark[i] = w->ok[at] ? (float)w->latency[at] : -1.0f;
	}
	for (size_t i = n; i < SPARK_LEN; i++)
		out->spark[i] = 0.0f;
	out->n_spark = (int)n;
}

static int fill_percentiles(const struct side_window *w, struct side_stats *out)
{
	out->p50_ms = quantile_sorted_f(w->sorted, w->n_sorted, 0.50);
	out->p95_ms = quantile_sorted_f(w->sorted, w->n_sorted, 0.95);
	out->p99_ms = quantile_sorted_f(w->sorted, w->n_sorted, 0.99);
	return 0;
}

int side_window_summarize(const struct side_window *w, struct side_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->health = w->health;
	out->samples = (int)w->n;
	out->probes = w->probes;
	out->error_pct = w->n ? 100.0 * (double)w->n_failed / (double)w->n : 0.0;
	memcpy(out->last_error, w->last_error, sizeof(out->last_error));
	fill_spark(w, out);
	return fill_percentiles(w, out);
}
