/* The prober against the real simulator over loopback HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "cutover/prober.h"
#include "sim_fixture.h"

struct rig {
	struct sim sim;
	struct config *cfg;
	struct model model;
	struct prober *prober;
	struct snapshot snap;
};

/* Builds a config of services named in names[] (NULL-terminated) whose blue
 * and green live on the simulator, plus optional raw JSON services. */
static int rig_max_body = 65536;	/* probe.max_body_bytes for the next rig */

static struct config *config_for(int port, const char *const *names, const char *extra_svcs,
				 int interval_ms, int timeout_ms, int count)
{
	size_t cap = 4096 + (size_t)count * 400, len = 0;
	char *buf = malloc(cap);
	len += (size_t)snprintf(buf, cap,
		"{\"release\":\"t\",\"probe\":{\"interval_ms\":%d,\"timeout_ms\":%d,\"window\":60,\"fall\":2,\"rise\":2,"
		"\"max_body_bytes\":%d},\"gates\":{\"min_samples\":5},\"services\":[", interval_ms, timeout_ms, rig_max_body);
	const char *sep = "";
	for (int i = 0; names && names[i]; i++, sep = ",")
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"%s\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:%d/%s/blue/health\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:%d/%s/green/health\",\"expect\":{\"json\":\"status\",\"equals\":\"UP\"}}}",
			sep, names[i], port, names[i], port, names[i]);
	for (int i = 0; i < count; i++, sep = ",")
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"svc%04d\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:%d/svc%04d/blue/health\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:%d/svc%04d/green/health\"}}", sep, i, port, i, port, i);
	if (extra_svcs)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, extra_svcs);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", buf, len, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "config: %s: %s\n", d.items[i].path, d.items[i].msg);
	diag_list_done(&d);
	free(buf);
	return cfg;
}

/* The rig a test is using, so teardown stops its prober and simulator even
 * when an assertion jumped out of the test. */
static struct rig *current_rig;

static void rig_start(struct rig *r, const char *spec, const char *const *names,
		      const char *extra, int interval, int timeout, int count, const char *const *sim_args)
{
	struct co_error err;
	memset(r, 0, sizeof(*r));
	current_rig = r;
	assert_int_equal(sim_start(&r->sim, spec, sim_args), 0);
	char *ex = NULL;
	if (extra) {	/* "%PORT%" in extra stands for the simulator's port */
		ex = malloc(strlen(extra) + 64);
		char *o = ex;
		for (const char *p = extra; *p; ) {
			if (strncmp(p, "%PORT%", 6) == 0) {
				o += sprintf(o, "%d", r->sim.port);
				p += 6;
			} else {
				*o++ = *p++;
			}
		}
		*o = '\0';
	}
	r->cfg = config_for(r->sim.port, names, ex, interval, timeout, count);
	free(ex);
	assert_non_null(r->cfg);
	assert_int_equal(model_init(&r->model, r->cfg, &err), 0);
	r->prober = prober_start(&r->model, &err);
	assert_non_null(r->prober);
}

static void rig_run(struct rig *r, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	model_snapshot(&r->model, &r->snap);
}

static void rig_stop(struct rig *r)
{
	current_rig = NULL;
	prober_stop(r->prober);
	snapshot_done(&r->snap);
	if (r->cfg)
		model_done(&r->model);
	config_free(r->cfg);
	sim_stop(&r->sim);
}

static int rig_teardown(void **state)
{
	if (current_rig)
		rig_stop(current_rig);
	return 0;
}

static const struct side_stats *side_of(struct rig *r, const char *name, enum side s)
{
	long i = config_find_service(r->cfg, name);
	assert_true(i >= 0);
	return &r->snap.svc[i].side[s];
}

/* The simulator's timer fires within about a millisecond; loopback HTTP with
 * a reused connection adds well under 2 ms, and sanitizer builds a few more.
 * So a 20 ms endpoint must read 19..30 ms at p50, and a 1 ms one under 8. */
static void latencies_match_the_simulator_within_tolerance(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "fast", "slow", NULL };
	rig_start(&r, "fast blue lat_ms=1 jitter_ms=0\nfast green lat_ms=1 jitter_ms=0\n"
		      "slow blue lat_ms=20 jitter_ms=0\nslow green lat_ms=40 jitter_ms=0\n",
		  names, NULL, 100, 1000, 0, NULL);
	rig_run(&r, 1500);
	const struct side_stats *b = side_of(&r, "slow", SIDE_BLUE), *g = side_of(&r, "slow", SIDE_GREEN);
	fprintf(stderr, "slow blue p50 %.2f p95 %.2f n=%d; green p50 %.2f\n", b->p50_ms, b->p95_ms, b->samples, g->p50_ms);
	assert_true(b->samples >= 8);
	assert_true(b->p50_ms >= 19.0 && b->p50_ms <= 30.0);
	assert_true(g->p50_ms >= 39.0 && g->p50_ms <= 50.0);
	assert_true(side_of(&r, "fast", SIDE_BLUE)->p50_ms < 8.0);
	assert_int_equal(b->health, HEALTH_UP);
	assert_true(b->error_pct == 0.0);
	rig_stop(&r);
}

static void expect_error(struct rig *r, const char *name, enum side s, const char *text)
{
	const struct side_stats *st = side_of(r, name, s);
	if (!strstr(st->last_error, text))
		fail_msg("%s %s: last_error '%s', want '%s'", name, side_name(s), st->last_error, text);
	assert_int_equal(st->health, HEALTH_DOWN);
	assert_true(st->error_pct == 100.0);
}

static void every_failure_mode_is_named_in_words(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "hang", "reset", "garbage", "err", "down", NULL };
	/* A closed port for "connection refused": the simulator's --bind
	 * listener in refuse mode. */
	const char *sim_args[] = { "--bind", "47311=refused/blue", NULL };
	rig_start(&r, "hang green mode=hang\nreset green mode=reset\ngarbage green mode=garbage\n"
		      "err green err_pct=100 err_status=503\ndown green body_status=DOWN\n"
		      "refused blue mode=refuse\n",
		  names,
		  "{\"name\":\"refused\",\"kind\":\"job\",\"blue\":{\"health\":\"http://127.0.0.1:47311/\"},"
		  "\"green\":{\"health\":\"http://127.0.0.1:%PORT%/nobody/green/health\"}}",
		  100, 300, 0, sim_args);
	rig_run(&r, 1500);
	expect_error(&r, "hang", SIDE_GREEN, "timeout after 300 ms");
	expect_error(&r, "err", SIDE_GREEN, "HTTP 503");
	expect_error(&r, "down", SIDE_GREEN, "expectation status=UP not met (got DOWN)");
	expect_error(&r, "garbage", SIDE_GREEN, "garbage");
	expect_error(&r, "refused", SIDE_BLUE, "connection refused");
	expect_error(&r, "refused", SIDE_GREEN, "HTTP 404");
	const struct side_stats *rs = side_of(&r, "reset", SIDE_GREEN);
	if (!strstr(rs->last_error, "reset") && !strstr(rs->last_error, "empty reply"))
		fail_msg("reset: '%s'", rs->last_error);
	/* Blue sides stayed healthy beside their sick greens. */
	assert_int_equal(side_of(&r, "hang", SIDE_BLUE)->health, HEALTH_UP);
	rig_stop(&r);
}

static void a_sick_green_mid_run_turns_down_then_up_again(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "api", NULL };
	rig_start(&r, "api green lat_ms=1\n", names, NULL, 50, 500, 0, NULL);
	rig_run(&r, 500);
	assert_int_equal(side_of(&r, "api", SIDE_GREEN)->health, HEALTH_UP);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "curl -s -m 2 -o /dev/null 'http://127.0.0.1:%d/_sim/set?svc=api&side=green&err_pct=100'", r.sim.port);
	assert_int_equal(system(cmd), 0);
	rig_run(&r, 500);
	assert_int_equal(side_of(&r, "api", SIDE_GREEN)->health, HEALTH_DOWN);
	assert_int_equal(side_of(&r, "api", SIDE_BLUE)->health, HEALTH_UP);
	snprintf(cmd, sizeof(cmd), "curl -s -m 2 -o /dev/null 'http://127.0.0.1:%d/_sim/set?svc=api&side=green&err_pct=0'", r.sim.port);
	assert_int_equal(system(cmd), 0);
	rig_run(&r, 500);
	assert_int_equal(side_of(&r, "api", SIDE_GREEN)->health, HEALTH_UP);
	rig_stop(&r);
}

/* 1,000 healthy services probed every 500 ms for 2 s: each side should get
 * about 4 probes whatever one hanging endpoint (2 s timeout) does. */
static void a_hanging_endpoint_does_not_delay_a_thousand_healthy_ones(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "stuck", NULL };
	rig_start(&r, "stuck green mode=hang\n", names, NULL, 500, 2000, 1000, NULL);
	rig_run(&r, 2300);
	int starved = 0, min = 1 << 30;
	for (size_t i = 0; i < r.snap.n; i++) {
		if (strcmp(r.cfg->services[i].name, "stuck") == 0)
			continue;
		for (int s = 0; s < 2; s++) {
			int n = r.snap.svc[i].side[s].samples;
			min = n < min ? n : min;
			starved += n < 3;
		}
	}
	fprintf(stderr, "fewest samples on a healthy side: %d\n", min);
	assert_int_equal(starved, 0);
	/* Its first probe starts somewhere in the first interval and times
	 * out 2 s later: by now it has at most that one sample. */
	assert_true(side_of(&r, "stuck", SIDE_GREEN)->samples <= 1);
	rig_stop(&r);
}

/* The equal pair sits at 20 ms, well above what a loaded host adds to a
 * handful of samples' p95 (2 ms of 3 under ASan in CI): this checks that
 * the prober feeds the verdict, not the verdict's noise floor. */
static void verdict_fails_a_much_slower_green_and_passes_an_equal_one(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "slowgreen", "same", NULL };
	rig_start(&r, "slowgreen blue lat_ms=2 jitter_ms=0.2\nslowgreen green lat_ms=30 jitter_ms=1\n"
		      "same blue lat_ms=20 jitter_ms=0.5\nsame green lat_ms=20 jitter_ms=0.5\n",
		  names, NULL, 50, 1000, 0, NULL);
	rig_run(&r, 1500);
	long a = config_find_service(r.cfg, "slowgreen"), b = config_find_service(r.cfg, "same");
	fprintf(stderr, "slowgreen: %s (%s); same: %s (%s)\n", verdict_name(r.snap.svc[a].verdict),
		r.snap.svc[a].reason, verdict_name(r.snap.svc[b].verdict), r.snap.svc[b].reason);
	assert_int_equal(r.snap.svc[a].verdict, VERDICT_FAIL);
	assert_non_null(strstr(r.snap.svc[a].reason, "green p95"));
	assert_int_not_equal(r.snap.svc[b].verdict, VERDICT_FAIL);
	assert_int_not_equal(r.snap.svc[b].verdict, VERDICT_NODATA);
	rig_stop(&r);
}

/* The simulator's health body is about 50 bytes: a 16-byte cap must cut
 * it off and say so, on the plain and on the JSON-expectation path. */
static void a_response_over_the_size_cap_is_an_error_in_words(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "big", NULL };	/* green has a JSON expectation */
	rig_max_body = 16;
	rig_start(&r, "big blue lat_ms=1\n", names, NULL, 100, 1000, 0, NULL);
	rig_max_body = 65536;
	rig_run(&r, 600);
	for (int s = 0; s < 2; s++) {
		const char *e = side_of(&r, "big", (enum side)s)->last_error;
		if (!strstr(e, "response larger than 16 bytes"))
			fail_msg("%s: '%s'", side_name((enum side)s), e);
	}
	rig_stop(&r);
}

static void stop_is_prompt_even_with_probes_hanging(void **state)
{
	static struct rig r;	/* static: teardown reaches it after a failed assertion */
	const char *names[] = { "h", NULL };
	rig_start(&r, "h blue mode=hang\nh green mode=hang\n", names, NULL, 100, 30000, 0, NULL);
	rig_run(&r, 300);
	uint64_t t0 = monotonic_ms();
	prober_stop(r.prober);
	r.prober = NULL;
	assert_true(monotonic_ms() - t0 < 500);
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(latencies_match_the_simulator_within_tolerance, rig_teardown),
		cmocka_unit_test_teardown(every_failure_mode_is_named_in_words, rig_teardown),
		cmocka_unit_test_teardown(a_sick_green_mid_run_turns_down_then_up_again, rig_teardown),
		cmocka_unit_test_teardown(a_hanging_endpoint_does_not_delay_a_thousand_healthy_ones, rig_teardown),
		cmocka_unit_test_teardown(verdict_fails_a_much_slower_green_and_passes_an_equal_one, rig_teardown),
		cmocka_unit_test_teardown(a_response_over_the_size_cap_is_an_error_in_words, rig_teardown),
		cmocka_unit_test_teardown(stop_is_prompt_even_with_probes_hanging, rig_teardown),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
