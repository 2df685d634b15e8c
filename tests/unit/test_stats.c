/* Unit tests for stats: probe windows, health hysteresis, percentiles. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/stats.h"

/* cmocka 1.1 has no double comparison; this one also fails on NAN. */
#define assert_near(a, b, eps) near_at((a), (b), (eps), __FILE__, __LINE__)
static void near_at(double a, double b, double eps, const char *file, int line)
{
	if (a == b || fabs(a - b) <= eps)
		return;
	print_error("%.17g != %.17g (within %g)\n", a, b, eps);
	_fail(file, line);
}

static void window(struct side_window *w, int size, int fall, int rise)
{
	struct co_error err = { "" };
	assert_int_equal(side_window_init(w, size, fall, rise, &err), 0);
}

static void add_ok(struct side_window *w, double ms)
{
	side_window_add(w, true, ms, NULL);
}

static void add_fail(struct side_window *w, const char *error)
{
	side_window_add(w, false, 999, error);
}

/* Type 7 on 1..10: h = 9q; p50 = 5.5, p95 = 9 + 0.55, p99 = 9 + 0.91
 * (numpy.percentile([1..10], [50, 95, 99]) gives the same). */
static void quantile_type7_interpolates_between_order_statistics(void **state)
{
	double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	(void)state;
	assert_near(stats_quantile_sorted(v, 10, 0.50), 5.5, 1e-12);
	assert_near(stats_quantile_sorted(v, 10, 0.95), 9.55, 1e-12);
	assert_near(stats_quantile_sorted(v, 10, 0.99), 9.91, 1e-12);
	assert_near(stats_quantile_sorted(v, 10, 0.0), 1, 0);
	assert_near(stats_quantile_sorted(v, 10, 1.0), 10, 0);
	assert_near(stats_quantile_sorted(v, 1, 0.95), 1, 0);
	assert_true(isnan(stats_quantile_sorted(v, 0, 0.5)));
}

static void summarize_sorts_unordered_samples_before_percentiles(void **state)
{
	struct side_window w;
	struct side_stats st;
	double in[] = { 40, 10, 30, 20 };	/* sorted: 10 20 30 40 */
	(void)state;
	window(&w, 10, 3, 2);
	for (size_t i = 0; i < 4; i++)
		add_ok(&w, in[i]);
	assert_int_equal(side_window_summarize(&w, &st), 0);
	assert_near(st.p50_ms, 25, 1e-12);
	assert_near(st.p95_ms, 38.5, 1e-12);	/* h = 2.85 */
	assert_near(st.p99_ms, 39.7, 1e-12);	/* h = 2.97 */
	side_window_done(&w);
}

static void percentiles_ignore_failed_probes(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 10, 3, 2);
	add_ok(&w, 10);
	add_fail(&w, "timeout");	/* its 999 ms must not count */
	add_ok(&w, 20);
	side_window_summarize(&w, &st);
	assert_near(st.p99_ms, 19.9, 1e-12);
	assert_int_equal(st.samples, 3);
	side_window_done(&w);
}

static void percentiles_are_nan_when_no_probe_succeeded(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 5, 3, 2);
	add_fail(&w, "refused");
	side_window_summarize(&w, &st);
	assert_true(isnan(st.p50_ms) && isnan(st.p95_ms) && isnan(st.p99_ms));
	assert_near(st.error_pct, 100, 0);
	side_window_done(&w);
}

static void ring_wraparound_keeps_only_the_last_window_samples(void **state)
{
	struct side_window w;
	struct side_stats st;
	double lat[8];
	(void)state;
	window(&w, 4, 3, 2);
	for (int i = 1; i <= 6; i++)
		add_ok(&w, i);
	assert_int_equal(side_window_latencies(&w, lat, 8), 4);
	assert_near(lat[0], 3, 0);
	assert_near(lat[3], 6, 0);
	side_window_summarize(&w, &st);
	assert_int_equal(st.samples, 4);
	assert_int_equal(st.probes, 6);
	assert_near(st.p50_ms, 4.5, 1e-12);
	side_window_done(&w);
}

static void error_pct_forgets_failures_that_left_the_window(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 4, 3, 2);
	add_fail(&w, "x");
	add_fail(&w, "x");
	add_ok(&w, 1);
	add_ok(&w, 1);
	side_window_summarize(&w, &st);
	assert_near(st.error_pct, 50, 1e-12);
	add_ok(&w, 1);
	side_window_summarize(&w, &st);
	assert_near(st.error_pct, 25, 1e-12);
	add_ok(&w, 1);
	side_window_summarize(&w, &st);
	assert_near(st.error_pct, 0, 0);
	side_window_done(&w);
}

static void latencies_keep_the_newest_when_cap_is_small(void **state)
{
	struct side_window w;
	double lat[2] = { -1, -1 };
	(void)state;
	window(&w, 8, 3, 2);
	add_ok(&w, 1);
	add_ok(&w, 2);
	add_fail(&w, "x");
	add_ok(&w, 3);
	assert_int_equal(side_window_latencies(&w, lat, 2), 2);
	assert_near(lat[0], 2, 0);
	assert_near(lat[1], 3, 0);
	side_window_done(&w);
}

static void health_is_unknown_before_any_streak_completes(void **state)
{
	struct side_window w;
	(void)state;
	window(&w, 10, 3, 2);
	assert_int_equal(w.health, HEALTH_UNKNOWN);
	add_ok(&w, 1);
	add_fail(&w, "x");
	add_fail(&w, "x");
	assert_int_equal(w.health, HEALTH_UNKNOWN);
	side_window_done(&w);
}

static void health_goes_down_after_fall_consecutive_failures(void **state)
{
	struct side_window w;
	(void)state;
	window(&w, 10, 3, 2);
	add_ok(&w, 1);
	add_ok(&w, 1);
	assert_int_equal(w.health, HEALTH_UP);
	add_fail(&w, "x");
	add_fail(&w, "x");
	assert_int_equal(w.health, HEALTH_UP);
	add_fail(&w, "x");
	assert_int_equal(w.health, HEALTH_DOWN);
	side_window_done(&w);
}

static void health_goes_up_after_rise_consecutive_successes(void **state)
{
	struct side_window w;
	(void)state;
	window(&w, 10, 1, 3);
	add_fail(&w, "x");
	assert_int_equal(w.health, HEALTH_DOWN);
	add_ok(&w, 1);
	add_ok(&w, 1);
	assert_int_equal(w.health, HEALTH_DOWN);
	add_ok(&w, 1);
	assert_int_equal(w.health, HEALTH_UP);
	side_window_done(&w);
}

/* Hysteresis: an interrupted streak starts over. */
static void health_ignores_blips_shorter_than_the_streak(void **state)
{
	struct side_window w;
	(void)state;
	window(&w, 10, 2, 2);
	add_ok(&w, 1);
	add_ok(&w, 1);
	for (int i = 0; i < 5; i++) {
		add_fail(&w, "x");
		add_ok(&w, 1);
	}
	assert_int_equal(w.health, HEALTH_UP);
	add_fail(&w, "x");
	add_fail(&w, "x");
	for (int i = 0; i < 5; i++) {
		add_ok(&w, 1);
		add_fail(&w, "x");
	}
	assert_int_equal(w.health, HEALTH_DOWN);
	side_window_done(&w);
}

static void fall_and_rise_below_one_act_as_one(void **state)
{
	struct side_window w;
	(void)state;
	window(&w, 10, 0, -4);
	add_ok(&w, 1);
	assert_int_equal(w.health, HEALTH_UP);
	add_fail(&w, "x");
	assert_int_equal(w.health, HEALTH_DOWN);
	side_window_done(&w);
}

static void last_error_is_carried_until_a_probe_succeeds(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 10, 3, 2);
	add_fail(&w, "HTTP 503 from green");
	side_window_summarize(&w, &st);
	assert_string_equal(st.last_error, "HTTP 503 from green");
	add_fail(&w, NULL);
	side_window_summarize(&w, &st);
	assert_string_equal(st.last_error, "failed");
	add_ok(&w, 3);
	side_window_summarize(&w, &st);
	assert_string_equal(st.last_error, "");
	side_window_done(&w);
}

static void long_error_is_cut_on_a_character_boundary(void **state)
{
	struct side_window w;
	char msg[300];
	(void)state;
	/* 126 ASCII bytes then "é" (2 bytes) straddling the 127-byte budget. */
	memset(msg, 'a', 126);
	strcpy(msg + 126, "\xc3\xa9 and more");
	window(&w, 4, 3, 2);
	add_fail(&w, msg);
	assert_int_equal(strlen(w.last_error), 126);
	side_window_done(&w);
}

static void spark_is_oldest_first_with_minus_one_for_failures(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 10, 3, 2);
	add_ok(&w, 5);
	add_fail(&w, "x");
	add_ok(&w, 7.5);
	side_window_summarize(&w, &st);
	assert_int_equal(st.n_spark, 3);
	assert_float_equal(st.spark[0], 5, 0);
	assert_float_equal(st.spark[1], -1, 0);
	assert_float_equal(st.spark[2], 7.5, 0);
	side_window_done(&w);
}

static void spark_holds_the_newest_spark_len_of_a_larger_window(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 1000, 3, 2);	/* also takes the heap path past SIDE_WINDOW_STACK */
	for (int i = 0; i < 700; i++)
		add_ok(&w, i);
	assert_int_equal(side_window_summarize(&w, &st), 0);
	assert_int_equal(st.n_spark, SPARK_LEN);
	assert_float_equal(st.spark[0], 700 - SPARK_LEN, 0);
	assert_float_equal(st.spark[SPARK_LEN - 1], 699, 0);
	assert_near(st.p50_ms, 349.5, 1e-9);
	side_window_done(&w);
}

static void broken_latencies_are_clamped_to_zero(void **state)
{
	struct side_window w;
	double lat[2];
	(void)state;
	window(&w, 4, 3, 2);
	add_ok(&w, -3);
	add_ok(&w, NAN);
	assert_int_equal(side_window_latencies(&w, lat, 2), 2);
	assert_near(lat[0], 0, 0);
	assert_near(lat[1], 0, 0);
	side_window_done(&w);
}

static void init_rejects_an_empty_window_and_says_why(void **state)
{
	struct side_window w;
	struct co_error err = { "" };
	(void)state;
	assert_int_equal(side_window_init(&w, 0, 3, 2, &err), -1);
	assert_non_null(strstr(err.msg, "window 0"));
	side_window_done(&w);	/* safe after a failed init */
	side_window_done(NULL);
}

static void clear_forgets_samples_and_health_but_not_probe_count(void **state)
{
	struct side_window w;
	struct side_stats st;
	(void)state;
	window(&w, 4, 1, 1);
	add_fail(&w, "x");
	side_window_clear(&w);
	side_window_summarize(&w, &st);
	assert_int_equal(st.health, HEALTH_UNKNOWN);
	assert_int_equal(st.samples, 0);
	assert_int_equal(st.probes, 1);
	assert_near(st.error_pct, 0, 0);
	assert_string_equal(st.last_error, "");
	side_window_done(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantile_type7_interpolates_between_order_statistics),
		cmocka_unit_test(summarize_sorts_unordered_samples_before_percentiles),
		cmocka_unit_test(percentiles_ignore_failed_probes),
		cmocka_unit_test(percentiles_are_nan_when_no_probe_succeeded),
		cmocka_unit_test(ring_wraparound_keeps_only_the_last_window_samples),
		cmocka_unit_test(error_pct_forgets_failures_that_left_the_window),
		cmocka_unit_test(latencies_keep_the_newest_when_cap_is_small),
		cmocka_unit_test(health_is_unknown_before_any_streak_completes),
		cmocka_unit_test(health_goes_down_after_fall_consecutive_failures),
		cmocka_unit_test(health_goes_up_after_rise_consecutive_successes),
		cmocka_unit_test(health_ignores_blips_shorter_than_the_streak),
		cmocka_unit_test(fall_and_rise_below_one_act_as_one),
		cmocka_unit_test(last_error_is_carried_until_a_probe_succeeds),
		cmocka_unit_test(long_error_is_cut_on_a_character_boundary),
		cmocka_unit_test(spark_is_oldest_first_with_minus_one_for_failures),
		cmocka_unit_test(spark_holds_the_newest_spark_len_of_a_larger_window),
		cmocka_unit_test(broken_latencies_are_clamped_to_zero),
		cmocka_unit_test(init_rejects_an_empty_window_and_says_why),
		cmocka_unit_test(clear_forgets_samples_and_health_but_not_probe_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
