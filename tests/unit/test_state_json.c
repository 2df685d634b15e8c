/* test_state_json: a service's state goes out as JSON and comes back the
 * same on a client, and a delta's new sparkline points extend the line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/state_json.h"

static struct config *one_service(void)
{
	const char *conf = "{\"release\":\"r\",\"services\":["
		"{\"name\":\"api\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},"
		"\"green\":{\"health\":\"http://u:pw@127.0.0.1:1/g\"}}]}";
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", conf, strlen(conf), &d);
	diag_list_done(&d);
	assert_non_null(cfg);
	return cfg;
}

static void a_service_comes_back_as_it_went(void **state)
{
	struct config *cfg = one_service();
	struct service_state st;
	memset(&st, 0, sizeof st);
	st.weight = 25;
	st.target_weight = 25;
	st.drift = true;
	snprintf(st.drift_detail, sizeof st.drift_detail, "inst2 says 0");
	st.side[SIDE_GREEN] = (struct side_stats){ .health = HEALTH_DOWN, .p50_ms = 10, .p95_ms = 120.5,
						   .p99_ms = 300, .error_pct = 12.5, .samples = 40, .probes = 77 };
	snprintf(st.side[SIDE_GREEN].last_error, sizeof st.side[SIDE_GREEN].last_error, "timeout");
	st.side[SIDE_GREEN].spark[0] = 12.5f;
	st.side[SIDE_GREEN].spark[1] = -1.0f;
	st.side[SIDE_GREEN].n_spark = 2;
	st.traffic[SIDE_BLUE] = (struct side_traffic){ .known = true, .rtime_ms = 4, .requests = 9 };
	st.verdict = VERDICT_FAIL;
	snprintf(st.reason, sizeof st.reason, "green down");
	struct snapshot snap = { .cfg = cfg, .svc = &st, .n = 1 };
	cJSON *j = state_service_json(&snap, 0, true);
	char *text = cJSON_PrintUnformatted(j);
	assert_null(strstr(text, ":pw@"));	/* the URL's password stays home */
	struct service_state back;
	memset(&back, 0, sizeof back);
	struct co_error err;
	assert_int_equal(state_service_from_json(j, &back, &err), 0);
	assert_int_equal(back.weight, 25);
	assert_int_equal(back.target_weight, 25);
	assert_true(back.drift);
	assert_string_equal(back.drift_detail, "inst2 says 0");
	assert_int_equal(back.side[SIDE_GREEN].health, HEALTH_DOWN);
	assert_true(fabs(back.side[SIDE_GREEN].p95_ms - 120.5) < 0.01);
	assert_int_equal(back.side[SIDE_GREEN].samples, 40);
	assert_int_equal(back.side[SIDE_GREEN].probes, 77);
	assert_string_equal(back.side[SIDE_GREEN].last_error, "timeout");
	assert_int_equal(back.side[SIDE_GREEN].n_spark, 2);
	assert_true(back.side[SIDE_GREEN].spark[1] < 0);
	assert_true(back.traffic[SIDE_BLUE].known);
	assert_int_equal(back.verdict, VERDICT_FAIL);
	assert_string_equal(back.reason, "green down");
	free(text);
	cJSON_Delete(j);
	config_free(cfg);
}

static void spark_points_of_a_delta_extend_the_line(void **state)
{
	struct service_state st;
	memset(&st, 0, sizeof st);
	for (int i = 0; i < SPARK_LEN; i++)
		st.side[SIDE_BLUE].spark[i] = (float)i;
	st.side[SIDE_BLUE].n_spark = SPARK_LEN;
	cJSON *o = cJSON_Parse("{\"weight\":0,\"blue\":{\"health\":\"up\",\"spark_add\":[100,101]},"
			       "\"green\":{\"health\":\"up\"}}");
	struct co_error err;
	assert_int_equal(state_service_from_json(o, &st, &err), 0);
	assert_int_equal(st.side[SIDE_BLUE].n_spark, SPARK_LEN);
	assert_true(st.side[SIDE_BLUE].spark[0] == 2.0f);	/* the oldest two went */
	assert_true(st.side[SIDE_BLUE].spark[SPARK_LEN - 1] == 101.0f);
	cJSON_Delete(o);
}

static void a_bad_service_object_is_refused_naming_the_field(void **state)
{
	struct service_state st;
	memset(&st, 0, sizeof st);
	struct co_error err;
	cJSON *o = cJSON_Parse("{\"weight\":250,\"blue\":{},\"green\":{}}");
	assert_int_equal(state_service_from_json(o, &st, &err), -1);
	assert_non_null(strstr(err.msg, "weight"));
	cJSON_Delete(o);
	o = cJSON_Parse("{\"weight\":5,\"blue\":3,\"green\":{}}");
	assert_int_equal(state_service_from_json(o, &st, &err), -1);
	assert_non_null(strstr(err.msg, "blue"));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_service_comes_back_as_it_went),
		cmocka_unit_test(spark_points_of_a_delta_extend_the_line),
		cmocka_unit_test(a_bad_service_object_is_refused_naming_the_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
