/* One round of probes (a rollback's blue-health gate) against the real
 * simulator over loopback HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "cutover/probe_round.h"
#include "sim_fixture.h"

#define TIMEOUT_MS 200

struct rig {
	struct sim sim;
	struct config *cfg;
	struct model model;
	bool model_ok;
	struct snapshot snap;
};

static struct rig *current_rig;	/* stopped by teardown even after a failed assert */

/* Services a, b, c... from names, then svc0000.. (count of them), all on
 * the simulator; fall 2, so a side is down after two failed tries. */
static void rig_start(struct rig *r, const char *spec, const char *const *names, int count)
{
	struct co_error err;
	char n[16];
	const char *args[] = { "--services", n, NULL };
	snprintf(n, sizeof(n), "%d", count);
	memset(r, 0, sizeof(*r));
	current_rig = r;
	assert_int_equal(sim_start(&r->sim, spec, count ? args : NULL), 0);
	size_t cap = 4096 + (size_t)count * 300, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	len += (size_t)snprintf(buf, cap, "{\"release\":\"t\",\"probe\":{\"timeout_ms\":%d,\"fall\":2,"
				"\"rise\":3},\"services\":[", TIMEOUT_MS);
	const char *sep = "";
	for (int i = 0; names[i]; i++, sep = ",")
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"%s\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:%d/%s/blue/health\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:%d/%s/green/health\"}}",
			sep, names[i], r->sim.port, names[i], r->sim.port, names[i]);
	for (int i = 0; i < count; i++, sep = ",")
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"svc%04d\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:%d/svc%04d/blue/health\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:%d/svc%04d/green/health\"}}",
			sep, i, r->sim.port, i, r->sim.port, i);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	struct diag_list d;
	diag_list_init(&d);
	r->cfg = config_parse("t.json", buf, len, &d);
	diag_list_done(&d);
	free(buf);
	assert_non_null(r->cfg);
	assert_int_equal(model_init(&r->model, r->cfg, &err), 0);
	r->model_ok = true;
}

static void rig_stop(struct rig *r)
{
	current_rig = NULL;
	snapshot_done(&r->snap);
	if (r->model_ok)
		model_done(&r->model);
	config_free(r->cfg);
	sim_stop(&r->sim);
}

static int rig_teardown(void **state)
{
	(void)state;
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

/* Static, not on a test's stack: teardown reaches it after a failed
 * assertion has left the test function. */
static struct rig r;

static void up_after_one_success_down_after_fall_failures(void **state)
{
	(void)state;
	struct co_error err;
	const char *names[] = { "ok", "err", "hang", "other", NULL };
	rig_start(&r, "ok both\nother both\nerr both\nhang both\n"
		  "err blue err_pct=100 err_status=503\nhang blue mode=hang\n", names, 0);
	size_t svc[] = { 0, 1, 2 };	/* not "other" */
	uint64_t t0 = monotonic_ms();
	assert_int_equal(probe_round_run(&r.model, svc, 3, SIDE_BLUE, 0, &err), 0);
	uint64_t took = monotonic_ms() - t0;
	model_snapshot(&r.model, &r.snap);

	const struct side_stats *ok = side_of(&r, "ok", SIDE_BLUE);
	assert_int_equal(ok->health, HEALTH_UP);	/* one success, though rise is 3 */
	assert_int_equal(ok->samples, 1);
	assert_string_equal(ok->last_error, "");
	const struct side_stats *bad = side_of(&r, "err", SIDE_BLUE);
	assert_int_equal(bad->health, HEALTH_DOWN);
	assert_int_equal((int)bad->probes, 2);		/* tried fall times */
	assert_non_null(strstr(bad->last_error, "HTTP 503"));
	const struct side_stats *hang = side_of(&r, "hang", SIDE_BLUE);
	assert_int_equal(hang->health, HEALTH_DOWN);
	assert_non_null(strstr(hang->last_error, "timeout after 200 ms"));
	/* Bounded by fall x timeout: two tries of the hanging one, one after
	 * the other, and nothing else waits on them. */
	print_message("round with a hanging endpoint: %llu ms\n", (unsigned long long)took);
	assert_in_range(took, 2 * TIMEOUT_MS - 20, 2 * TIMEOUT_MS + 300);
	/* Only what was asked: "other" and every green side are untouched. */
	assert_int_equal(side_of(&r, "other", SIDE_BLUE)->health, HEALTH_UNKNOWN);
	assert_int_equal(side_of(&r, "ok", SIDE_GREEN)->health, HEALTH_UNKNOWN);
	assert_int_equal(side_of(&r, "err", SIDE_GREEN)->health, HEALTH_UNKNOWN);
	rig_stop(&r);
}

static void a_thousand_sides_in_one_round(void **state)
{
	(void)state;
	struct co_error err;
	const char *names[] = { NULL };
	rig_start(&r, "", names, 1000);
	size_t *svc = malloc(1000 * sizeof(*svc));
	assert_non_null(svc);
	for (size_t i = 0; i < 1000; i++)
		svc[i] = i;
	uint64_t t0 = monotonic_ms();
	assert_int_equal(probe_round_run(&r.model, svc, 1000, SIDE_BLUE, 0, &err), 0);
	uint64_t took = monotonic_ms() - t0;
	free(svc);
	model_snapshot(&r.model, &r.snap);
	size_t up = 0;
	for (size_t i = 0; i < r.snap.n; i++)
		up += r.snap.svc[i].side[SIDE_BLUE].health == HEALTH_UP;
	print_message("1,000 blue sides: %llu ms\n", (unsigned long long)took);
	assert_int_equal(up, 1000);
	assert_true(took < 3000);
	assert_int_equal(probe_round_run(&r.model, NULL, 0, SIDE_BLUE, 0, &err), 0);	/* none: no-op */
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(up_after_one_success_down_after_fall_failures, rig_teardown),
		cmocka_unit_test_teardown(a_thousand_sides_in_one_round, rig_teardown),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
