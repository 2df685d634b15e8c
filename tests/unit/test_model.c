/* Model operations and snapshot consistency under concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cutover/model.h"

static struct config *make_config(size_t n)
{
	size_t cap = n * 220 + 64, len = 0;
	char *buf = malloc(cap);
	len += (size_t)snprintf(buf, cap, "{\"release\":\"m\",\"services\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
			"%s{\"name\":\"s%zu\",\"kind\":\"%s\",\"group\":\"g%zu\","
			"\"blue\":{\"health\":\"http://127.0.0.1/b\"},\"green\":{\"health\":\"http://127.0.0.1/g\"}}",
			i ? "," : "", i, i % 4 == 3 ? "job" : "exposed", i % 2);
	len += (size_t)snprintf(buf + len, cap - len, "]}");
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("m.json", buf, len, &d);
	assert_non_null(cfg);
	diag_list_done(&d);
	free(buf);
	return cfg;
}

static void new_model_has_unknown_weights_and_health(void **state)
{
	struct config *cfg = make_config(4);
	struct model m;
	struct co_error err;
	assert_int_equal(model_init(&m, cfg, &err), 0);
	struct snapshot s = { 0 };
	assert_int_equal(model_snapshot(&m, &s), 1);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.svc[0].weight, WEIGHT_UNKNOWN);
	assert_int_equal(s.svc[0].side[SIDE_GREEN].health, HEALTH_UNKNOWN);
	assert_int_equal(s.svc[0].verdict, VERDICT_NODATA);
	assert_false(s.router_known);
	snapshot_done(&s);
	model_done(&m);
	config_free(cfg);
}

static void weights_are_checked_and_jobs_only_take_0_or_100(void **state)
{
	struct config *cfg = make_config(4);
	struct model m;
	struct co_error err;
	model_init(&m, cfg, &err);
	assert_int_equal(model_set_weight(&m, 0, 25, &err), 0);
	assert_int_equal(model_set_weight(&m, 0, 101, &err), -1);
	assert_non_null(strstr(err.msg, "s0"));
	assert_int_equal(model_set_weight(&m, 3, 25, &err), -1);	/* s3 is a job */
	assert_non_null(strstr(err.msg, "job"));
	assert_int_equal(model_set_weight(&m, 3, 100, &err), 0);
	assert_int_equal(model_set_weight(&m, 9, 0, &err), -1);
	assert_int_equal(model_set_target(&m, 3, 50, &err), -1);
	struct snapshot s = { 0 };
	model_snapshot(&m, &s);
	assert_int_equal(s.svc[0].weight, 25);
	assert_int_equal(s.svc[3].weight, 100);
	assert_int_equal(snapshot_count_on_green(&s, KIND_JOB), 1);
	assert_int_equal(snapshot_count_on_green(&s, KIND_EXPOSED), 0);
	snapshot_done(&s);
	model_done(&m);
	config_free(cfg);
}

static void snapshot_copies_only_when_the_version_moved(void **state)
{
	struct config *cfg = make_config(2);
	struct model m;
	struct co_error err;
	model_init(&m, cfg, &err);
	struct snapshot s = { 0 };
	assert_int_equal(model_snapshot(&m, &s), 1);
	assert_int_equal(model_snapshot(&m, &s), 0);
	model_set_verdict(&m, 1, VERDICT_FAIL, "green p95 +34 ms");
	model_set_drift(&m, 0, true, "haproxy-2 says 0, journal says 25");
	model_set_routers(&m, 2, 3);
	assert_int_equal(model_snapshot(&m, &s), 1);
	assert_int_equal(s.svc[1].verdict, VERDICT_FAIL);
	assert_string_equal(s.svc[1].reason, "green p95 +34 ms");
	assert_true(s.svc[0].drift);
	assert_int_equal(s.routers_up, 2);
	/* A reader's copy does not move under it. */
	model_set_verdict(&m, 1, VERDICT_PASS, "ok");
	assert_int_equal(s.svc[1].verdict, VERDICT_FAIL);
	snapshot_done(&s);
	model_done(&m);
	config_free(cfg);
}

/* A snapshot brought up to date copies what changed; the rest it already
 * holds must still equal the model, and one taken from another model
 * (a console that switched source) is copied whole. */
static void snapshot_brings_only_changed_services_up_to_date(void **state)
{
	struct config *cfg = make_config(6);
	struct model m, other;
	struct co_error err;
	assert_int_equal(model_init(&m, cfg, &err), 0);
	assert_int_equal(model_init(&other, cfg, &err), 0);
	struct snapshot s = { 0 };
	for (size_t i = 0; i < 6; i++)
		model_set_verdict(&m, i, VERDICT_PASS, "first");
	assert_int_equal(model_snapshot(&m, &s), 1);
	model_set_verdict(&m, 3, VERDICT_FAIL, "changed");
	assert_int_equal(model_set_weight(&m, 4, 25, &err), 0);
	assert_int_equal(model_snapshot(&m, &s), 1);
	assert_int_equal(s.svc[3].verdict, VERDICT_FAIL);
	assert_string_equal(s.svc[3].reason, "changed");
	assert_int_equal(s.svc[4].weight, 25);
	pthread_mutex_lock(&m.lock);
	for (size_t i = 0; i < 6; i++)
		assert_memory_equal(&s.svc[i], &m.svc[i], sizeof s.svc[i]);
	pthread_mutex_unlock(&m.lock);
	/* Another model at a higher version: nothing of m may remain. */
	for (int k = 0; k < 20; k++)
		model_set_verdict(&other, 0, VERDICT_MARGINAL, "other");
	assert_int_equal(model_snapshot(&other, &s), 1);
	assert_int_equal(s.svc[3].verdict, VERDICT_NODATA);
	assert_int_equal(s.svc[4].weight, WEIGHT_UNKNOWN);
	snapshot_done(&s);
	model_done(&other);
	model_done(&m);
	config_free(cfg);
}

static void names_of_states_are_the_documented_words(void **state)
{
	assert_string_equal(health_name(HEALTH_UP), "up");
	assert_string_equal(health_name(HEALTH_DOWN), "down");
	assert_string_equal(health_name(HEALTH_UNKNOWN), "unknown");
	assert_string_equal(verdict_name(VERDICT_MARGINAL), "marginal");
	assert_string_equal(verdict_name(VERDICT_NODATA), "nodata");
	assert_string_equal(side_name(SIDE_GREEN), "green");
	assert_string_equal(kind_name(KIND_JOB), "job");
}

/* Writers publish side stats whose fields all carry the same counter; a torn
 * copy would show a struct mixing two counters. */
struct stress {
	struct model *m;
	int writer;

};

#define STRESS_SERVICES 64
#define STRESS_ROUNDS 20000

static void *writer_main(void *arg)
{
	struct stress *st = arg;
	struct side_stats ss;
	memset(&ss, 0, sizeof(ss));
	for (int k = 1; k <= STRESS_ROUNDS; k++) {
		size_t i = (size_t)(k * 7 + st->writer) % STRESS_SERVICES;
		ss.samples = k;
		ss.p50_ms = ss.p95_ms = ss.p99_ms = k;
		ss.probes = (uint64_t)k;
		snprintf(ss.last_error, sizeof(ss.last_error), "e%d", k);
		model_set_side(st->m, i, (enum side)(st->writer & 1), &ss);
	}
	return NULL;
}

static void snapshots_are_never_torn_under_concurrent_writers(void **state)
{
	struct config *cfg = make_config(STRESS_SERVICES);
	struct model m;
	struct co_error err;
	model_init(&m, cfg, &err);
	pthread_t w[4];
	struct stress st[4];
	for (int i = 0; i < 4; i++) {
		st[i] = (struct stress){ &m, i };
		pthread_create(&w[i], NULL, writer_main, &st[i]);
	}
	struct snapshot s = { 0 };
	uint64_t last = 0;
	int copies = 0;
	for (int round = 0; round < 2000; round++) {
		if (model_snapshot(&m, &s) == 1) {
			copies++;
			assert_true(s.version >= last);
			last = s.version;
		}
		for (size_t i = 0; i < s.n; i++)
			for (int side = 0; side < 2; side++) {
				const struct side_stats *x = &s.svc[i].side[side];
				char want[16];
				snprintf(want, sizeof(want), "e%d", x->samples);
				assert_true(x->p95_ms == x->samples && x->probes == (uint64_t)x->samples);
				if (x->samples)
					assert_string_equal(x->last_error, want);
			}
	}
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	assert_true(copies > 0);
	model_snapshot(&m, &s);
	assert_int_equal(s.version, 4 * STRESS_ROUNDS);
	snapshot_done(&s);
	model_done(&m);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_model_has_unknown_weights_and_health),
		cmocka_unit_test(weights_are_checked_and_jobs_only_take_0_or_100),
		cmocka_unit_test(snapshot_copies_only_when_the_version_moved),
		cmocka_unit_test(snapshot_brings_only_changed_services_up_to_date),
		cmocka_unit_test(names_of_states_are_the_documented_words),
		cmocka_unit_test(snapshots_are_never_torn_under_concurrent_writers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
