/* probe_burst's pace and time limit: fast for a few services, slowed for
 * many so the endpoints see at most PROBER_BURST_RATE probes a second, never
 * slower than the config's own interval, and bounded in time. The services
 * point at a closed port: only the arithmetic is under test here (the
 * burst itself is driven end to end by tests/integration/move_gates.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/config.h"
#include "cutover/probe_burst.h"

/* n services on 127.0.0.1:1, with the given probe interval (0: default). */
static struct config *make_config(size_t n, int interval_ms)
{
	size_t cap = 256 + n * 200;
	char *json = malloc(cap);
	assert_non_null(json);
	int len = snprintf(json, cap, "{\"release\":\"pb\",\"state_dir\":\"/tmp/cutover-pb-none\",");
	if (interval_ms)
		len += snprintf(json + len, cap - (size_t)len,
				"\"probe\":{\"interval_ms\":%d,\"timeout_ms\":%d},", interval_ms,
				interval_ms * 4 / 5);
	len += snprintf(json + len, cap - (size_t)len, "\"services\":[");
	for (size_t i = 0; i < n; i++)
		len += snprintf(json + len, cap - (size_t)len,
				"%s{\"name\":\"s%zu\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},"
				"\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}", i ? "," : "", i);
	snprintf(json + len, cap - (size_t)len, "]}");
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("pb.json", json, strlen(json), &d);
	diag_list_done(&d);
	free(json);
	assert_non_null(cfg);
	return cfg;
}

/* Starts and stops a burst over the first n_named services (all: NULL);
 * returns its pace, and its time limit in *wait_ms. */
static int pace_of(const struct config *cfg, size_t n_named, int max_ms, long *wait_ms)
{
	struct model m;
	struct co_error err;
	struct probe_burst b;
	size_t *svc = calloc(n_named ? n_named : 1, sizeof(*svc));
	assert_non_null(svc);
	for (size_t i = 0; i < n_named; i++)
		svc[i] = i;
	assert_int_equal(model_init(&m, cfg, &err), 0);
	uint64_t t0 = monotonic_ms();
	assert_int_equal(probe_burst_start(&b, &m, n_named ? svc : NULL, n_named, max_ms, &err), 0);
	int pace = b.interval_ms;
	*wait_ms = (long)(b.until_ms - t0);
	probe_burst_stop(&b);
	model_done(&m);
	free(svc);
	return pace;
}

static void a_few_services_are_probed_every_25_ms(void **state)
{
	(void)state;
	struct config *cfg = make_config(3, 0);
	long wait;
	assert_int_equal(pace_of(cfg, 1, 15000, &wait), PROBER_BURST_PACE_MS);
	/* 20 samples x 25 ms x 1.5 + an 800 ms timeout is under the 2 s floor */
	assert_in_range(wait, 1990, 2010);
	config_free(cfg);
}

static void many_services_are_paced_to_the_rate(void **state)
{
	(void)state;
	struct config *cfg = make_config(1000, 0);
	long wait;
	/* 2 x 1,000 probes per round at 4,000 a second: a round per 500 ms */
	assert_int_equal(pace_of(cfg, 0, 15000, &wait), 500);
	assert_in_range(wait, 14990, 15010);	/* 20 x 500 x 1.5 + 800, capped */
	assert_int_equal(pace_of(cfg, 10, 15000, &wait), PROBER_BURST_PACE_MS);	/* only those named */
	config_free(cfg);
}

static void never_slower_than_the_config(void **state)
{
	(void)state;
	struct config *cfg = make_config(1000, 100);
	long wait;
	/* the rate would allow a round per 500 ms; the config asks for 100 */
	assert_int_equal(pace_of(cfg, 0, 15000, &wait), 100);
	assert_in_range(wait, 3070, 3090);	/* 20 x 100 x 1.5 + 80 */
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_few_services_are_probed_every_25_ms),
		cmocka_unit_test(many_services_are_paced_to_the_rate),
		cmocka_unit_test(never_slower_than_the_config),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	printf("%zu passed, %d failed\n", sizeof(tests) / sizeof(tests[0]) - (size_t)failed, failed);
	return failed;
}
