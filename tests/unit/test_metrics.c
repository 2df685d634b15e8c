/* Prometheus exposition of the model: promtool's lint, units, escaping,
 * omitted unknowns, one block per family, and speed at 10,000 services. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <math.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cutover/metrics.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

static struct config *make_config(size_t n)
{
	size_t cap = n * 200 + 64, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	len += (size_t)snprintf(buf, cap, "{\"release\":\"m\",\"services\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"s%zu\",\"kind\":\"exposed\","
			"\"blue\":{\"health\":\"http://127.0.0.1/b\"},"
			"\"green\":{\"health\":\"http://127.0.0.1/g\"}}",
			i ? "," : "", i);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("m.json", buf, len, &d);
	assert_non_null(cfg);
	diag_list_done(&d);
	free(buf);
	return cfg;
}

static struct side_stats side(enum health h, double p50, double p95, double p99,
			      double err_pct, int samples)
{
	struct side_stats st;
	memset(&st, 0, sizeof(st));
	st.health = h;
	st.p50_ms = p50;
	st.p95_ms = p95;
	st.p99_ms = p99;
	st.error_pct = err_pct;
	st.samples = samples;
	st.probes = (uint64_t)samples;
	return st;
}

static const struct engine_counters counters = {
	.probes_total = 1234, .probe_failures_total = 56, .probe_rate = 12.5,
	.plans_applied_total = 3, .plans_failed_total = 1, .clients = 2,
	.uptime_s = 3600.25,
};

/* s0: both sides up, green p95 120 ms, weight 25, verdict pass.
 * s1: blue up, green down (every probe failed: NaN quantiles), verdict fail.
 * s2: nothing known yet. */
struct fixture {
	struct config *cfg;
	struct model m;
	struct snapshot snap;
	char *text;
	size_t len;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct co_error err;
	assert_non_null(f);
	f->cfg = make_config(3);
	assert_int_equal(model_init(&f->m, f->cfg, &err), 0);

	struct side_stats b0 = side(HEALTH_UP, 40, 90, 150, 0, 120);
	struct side_stats g0 = side(HEALTH_UP, 50, 120, 310.5, 2.5, 118);
	model_set_side(&f->m, 0, SIDE_BLUE, &b0);
	model_set_side(&f->m, 0, SIDE_GREEN, &g0);
	assert_int_equal(model_set_weight(&f->m, 0, 25, &err), 0);
	model_set_verdict(&f->m, 0, VERDICT_PASS, "within gates");

	struct side_stats b1 = side(HEALTH_UP, 10, 20, 30, 0, 60);
	struct side_stats g1 = side(HEALTH_DOWN, NAN, NAN, NAN, 100, 60);
	model_set_side(&f->m, 1, SIDE_BLUE, &b1);
	model_set_side(&f->m, 1, SIDE_GREEN, &g1);
	assert_int_equal(model_set_weight(&f->m, 1, 0, &err), 0);
	model_set_drift(&f->m, 1, true, "router says 10, journal says 0");
	model_set_verdict(&f->m, 1, VERDICT_FAIL, "green down");

	model_set_routers(&f->m, 1, 2);
	assert_int_equal(model_snapshot(&f->m, &f->snap), 1);
	assert_int_equal(metrics_render(&f->snap, &counters, &f->text, &f->len), 0);
	assert_int_equal(strlen(f->text), f->len);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	free(f->text);
	snapshot_done(&f->snap);
	model_done(&f->m);
	config_free(f->cfg);
	free(f);
	return 0;
}

/* promtool is a build dependency (tests/tools/deps.sh): a missing one is
 * a failure, not a skip, so the lint cannot silently stop running. */
static void assert_promtool_accepts(const char *text, size_t len)
{
	char path[] = "/tmp/cutover-metrics-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);

	char cmd[128], out[4096];
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n)
		fail_msg("promtool check metrics (status %d): %s", status,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127
			 ? "promtool not found; it is a dependency (make deps)" : out);
}

static void assert_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line \"%s\" in:\n%.2000s", line, text);
}

static void assert_no_line_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; (p = strstr(p, prefix)); p += n)
		if (p == text || p[-1] == '\n')
			fail_msg("unexpected line starting \"%s\"", prefix);
}

/* No sample value may be NaN or infinite: the format allows them, but
 * here they would only stand for "not known", which is an absent sample. */
static void assert_no_nan_or_inf(const char *text)
{
	size_t n = strlen(text);
	char *low = malloc(n + 1);
	assert_non_null(low);
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)text[i]);
	static const char *bad[] = { " nan\n", " inf\n", " +inf\n", " -inf\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(low, bad[i]))
			fail_msg("a value%.*s", (int)strlen(bad[i]) - 1, bad[i]);
	free(low);
}

static void exposition_passes_promtool_check_metrics(void **state)
{
	struct fixture *f = *state;
	assert_promtool_accepts(f->text, f->len);
}

static void p95_of_120_ms_is_written_as_0_12_seconds(void **state)
{
	struct fixture *f = *state;
	assert_has_line(f->text, "cutover_side_latency_p95_seconds{service=\"s0\",side=\"green\"} 0.12");
	assert_has_line(f->text, "cutover_side_latency_p50_seconds{service=\"s0\",side=\"blue\"} 0.04");
	assert_has_line(f->text, "cutover_side_latency_p99_seconds{service=\"s0\",side=\"green\"} 0.3105");
	assert_has_line(f->text, "cutover_side_error_ratio{service=\"s0\",side=\"green\"} 0.025");
	assert_has_line(f->text, "cutover_side_samples{service=\"s0\",side=\"green\"} 118");
}

static void down_side_is_0_and_unknown_side_is_absent(void **state)
{
	struct fixture *f = *state;
	assert_has_line(f->text, "cutover_side_up{service=\"s1\",side=\"green\"} 0");
	assert_has_line(f->text, "cutover_side_up{service=\"s1\",side=\"blue\"} 1");
	assert_no_line_starting(f->text, "cutover_side_up{service=\"s2\"");
	assert_has_line(f->text, "cutover_side_error_ratio{service=\"s1\",side=\"green\"} 1");
}

static void unknown_figures_are_omitted_never_nan(void **state)
{
	struct fixture *f = *state;
	assert_no_nan_or_inf(f->text);
	/* s1 green failed every probe: no latency; s2 has no samples: no
	 * latency, no error ratio, no weight; its sample count is a real 0. */
	assert_no_line_starting(f->text, "cutover_side_latency_p95_seconds{service=\"s1\",side=\"green\"}");
	assert_no_line_starting(f->text, "cutover_side_latency_p50_seconds{service=\"s2\"");
	assert_no_line_starting(f->text, "cutover_side_error_ratio{service=\"s2\"");
	assert_no_line_starting(f->text, "cutover_service_weight_ratio{service=\"s2\"}");
	assert_has_line(f->text, "cutover_side_samples{service=\"s2\",side=\"blue\"} 0");
}

static void weights_drift_verdicts_and_engine_counters_are_exposed(void **state)
{
	struct fixture *f = *state;
	assert_has_line(f->text, "cutover_service_weight_ratio{service=\"s0\"} 0.25");
	assert_has_line(f->text, "cutover_service_weight_ratio{service=\"s1\"} 0");
	assert_has_line(f->text, "cutover_service_drift{service=\"s1\"} 1");
	assert_has_line(f->text, "cutover_service_drift{service=\"s0\"} 0");
	assert_has_line(f->text, "cutover_service_verdict{service=\"s0\",verdict=\"pass\"} 1");
	assert_has_line(f->text, "cutover_service_verdict{service=\"s0\",verdict=\"fail\"} 0");
	assert_has_line(f->text, "cutover_service_verdict{service=\"s1\",verdict=\"fail\"} 1");
	assert_has_line(f->text, "cutover_service_verdict{service=\"s2\",verdict=\"nodata\"} 1");
	assert_has_line(f->text, "# TYPE cutover_probes_total counter");
	assert_has_line(f->text, "cutover_probes_total 1234");
	assert_has_line(f->text, "cutover_probe_failures_total 56");
	assert_has_line(f->text, "cutover_probe_rate 12.5");
	assert_has_line(f->text, "cutover_plans_applied_total 3");
	assert_has_line(f->text, "cutover_plans_failed_total 1");
	assert_has_line(f->text, "cutover_routers_up 1");
	assert_has_line(f->text, "cutover_routers 2");
	assert_has_line(f->text, "cutover_clients 2");
	assert_has_line(f->text, "cutover_uptime_seconds 3600.25");
}

/* Walks the text: every sample belongs to the family whose # TYPE came
 * last, each family has exactly one # HELP and one # TYPE, and no family
 * comes back after another one started. */
static void families_come_in_one_block_each(void **state)
{
	struct fixture *f = *state;
	char seen[64][64];
	size_t n_seen = 0;
	char cur[64] = "";
	int helps = 0, types = 0;

	for (const char *line = f->text; *line;) {
		const char *end = strchr(line, '\n');
		assert_non_null(end);
		size_t len = (size_t)(end - line);
		char name[64];
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			bool help = line[2] == 'H';
			size_t nl = strcspn(line + 7, " ");
			assert_true(nl < sizeof(name));
			memcpy(name, line + 7, nl);
			name[nl] = '\0';
			if (strcmp(name, cur)) {
				for (size_t i = 0; i < n_seen; i++)
					if (!strcmp(seen[i], name))
						fail_msg("family %s appears twice", name);
				assert_true(n_seen < 64);
				strcpy(seen[n_seen++], name);
				strcpy(cur, name);
				assert_true(help);	/* HELP first, then TYPE */
				helps = types = 0;
			}
			if (help)
				assert_int_equal(++helps, 1);
			else
				assert_int_equal(++types, 1);
		} else {
			size_t nl = strcspn(line, "{ ");
			assert_true(nl < len && nl < sizeof(name));
			memcpy(name, line, nl);
			name[nl] = '\0';
			assert_string_equal(name, cur);
			assert_int_equal(types, 1);
		}
		line = end + 1;
	}
	assert_true(n_seen >= 17);
}

/* Config names are restricted, but the renderer must not trust that: a
 * hand-built config carries a quote, a backslash and a line feed. */
static void service_name_with_a_quote_is_escaped(void **state)
{
	struct service_conf svcs[1];
	memset(svcs, 0, sizeof(svcs));
	svcs[0].name = "we\"b\\x\ny";
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.services = svcs;
	cfg.n_services = 1;
	struct service_state st[1];
	memset(st, 0, sizeof(st));
	st[0].weight = 100;
	st[0].side[SIDE_GREEN] = side(HEALTH_UP, 1, 2, 3, 0, 5);
	struct snapshot snap = { .cfg = &cfg, .svc = st, .n = 1 };

	char *text;
	size_t len;
	assert_int_equal(metrics_render(&snap, NULL, &text, &len), 0);
	assert_has_line(text, "cutover_side_up{service=\"we\\\"b\\\\x\\ny\",side=\"green\"} 1");
	assert_has_line(text, "cutover_service_weight_ratio{service=\"we\\\"b\\\\x\\ny\"} 1");
	assert_promtool_accepts(text, len);
	free(text);
}

static void empty_snapshot_renders_engine_families_only(void **state)
{
	struct snapshot snap = { 0 };
	struct engine_counters c = counters;
	c.probe_rate = NAN;
	char *text;
	size_t len;
	assert_int_equal(metrics_render(&snap, &c, &text, &len), 0);
	assert_null(strstr(text, "service="));
	assert_null(strstr(text, "cutover_routers"));	/* router never read */
	assert_null(strstr(text, "cutover_probe_rate"));
	assert_has_line(text, "cutover_probes_total 1234");
	assert_promtool_accepts(text, len);
	free(text);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The engine renders on every scrape while the prober writes; at 10,000
 * services that must stay far from a scrape interval. Fractional figures
 * everywhere, so the slow (snprintf) path is what gets measured. */
static void ten_thousand_services_render_in_under_50_ms(void **state)
{
	enum { N = 10000 };
	struct config *cfg = make_config(N);
	struct model m;
	struct co_error err;
	assert_int_equal(model_init(&m, cfg, &err), 0);
	for (size_t i = 0; i < N; i++) {
		struct side_stats st = side(i % 7 ? HEALTH_UP : HEALTH_DOWN, 10.25 + i % 13,
					    100.125 + i % 17, 230.5 + i % 19, (double)(i % 9) / 3, 120);
		model_set_side(&m, i, SIDE_BLUE, &st);
		model_set_side(&m, i, SIDE_GREEN, &st);
		model_set_weight(&m, i, (int)(i % 101), &err);
		model_set_verdict(&m, i, (enum verdict)(i % 4), "");
	}
	model_set_routers(&m, 2, 2);
	struct snapshot snap = { 0 };
	model_snapshot(&m, &snap);

	double best = 1e9;
	char *text = NULL;
	size_t len = 0;
	for (int run = 0; run < 3; run++) {
		free(text);
		double t0 = now_ms();
		assert_int_equal(metrics_render(&snap, &counters, &text, &len), 0);
		double dt = now_ms() - t0;
		if (dt < best)
			best = dt;
	}
	print_message("10,000 services: %zu bytes in %.1f ms\n", len, best);
#ifndef SANITIZED
	assert_true(best < 50.0);
#endif
	assert_no_nan_or_inf(text);
	assert_has_line(text, "cutover_side_latency_p95_seconds{service=\"s9999\",side=\"green\"} 0.103125");
	free(text);
	snapshot_done(&snap);
	model_done(&m);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(exposition_passes_promtool_check_metrics,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(p95_of_120_ms_is_written_as_0_12_seconds,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(down_side_is_0_and_unknown_side_is_absent,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(unknown_figures_are_omitted_never_nan,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(weights_drift_verdicts_and_engine_counters_are_exposed,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(families_come_in_one_block_each,
						fixture_setup, fixture_teardown),
		cmocka_unit_test(service_name_with_a_quote_is_escaped),
		cmocka_unit_test(empty_snapshot_renders_engine_families_only),
		cmocka_unit_test(ten_thousand_services_render_in_under_50_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
