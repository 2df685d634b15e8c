/* test_plan_request: what a client may ask the engine to plan, and the
 * plan as JSON both ways. Every refusal names the key at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/plan_request.h"

static int parse(const char *body, struct plan_request *r, struct co_error *err)
{
	return plan_request_parse(body, strlen(body), r, err);
}

static void a_move_request_parses_to_its_goal(void **state)
{
	struct plan_request r;
	struct co_error err;
	assert_int_equal(parse("{\"targets\":[\"api\",\"@pay\"],\"to\":\"green\",\"weight\":25}", &r, &err), 0);
	assert_int_equal(r.kind, PLAN_MOVE);
	assert_int_equal(r.goal, GOAL_WEIGHT);
	assert_int_equal(r.weight, 25);
	assert_int_equal(r.n_targets, 2);
	assert_string_equal(r.targets[1], "@pay");
	plan_request_done(&r);
	assert_int_equal(parse("{\"targets\":[\"api\"],\"to\":\"blue\",\"step\":true}", &r, &err), 0);
	assert_int_equal(r.goal, GOAL_STEP_BLUE);
	plan_request_done(&r);
	assert_int_equal(parse("{\"kind\":\"rollback\",\"all\":true}", &r, &err), 0);
	assert_int_equal(r.goal, GOAL_BLUE);
	assert_true(r.all);
	plan_request_done(&r);
}

static void refusals_name_the_key(void **state)
{
	static const struct { const char *body, *want; } cases[] = {
		{ "{\"targets\":[\"a\"],\"to\":\"green\",\"weight\":250}", "weight:" },
		{ "{\"targets\":[\"a\"],\"to\":\"purple\"}", "to:" },
		{ "{\"targets\":[\"a\"],\"to\":\"green\",\"colour\":1}", "colour: unknown key" },
		{ "{\"targets\":[1],\"to\":\"green\"}", "targets[0]:" },
		{ "{\"targets\":[\"a\"],\"to\":\"green\",\"force\":true}", "reason:" },
		{ "{\"targets\":[\"a\"],\"to\":\"green\",\"to\":\"blue\"}", "to: given twice" },
		{ "{\"targets\":[\"a\"],\"to\":\"green\"} trailing", "after the JSON object" },
		{ "{\"targets\":[\"a\"],\"to\":\"green\",\"weight\":5,\"step\":true}", "exclude" },
		{ "{\"kind\":\"rollback\",\"all\":true,\"targets\":[\"a\"]}", "not both" },
		{ "{\"kind\":\"move\",\"all\":true,\"to\":\"green\"}", "all:" },
		{ "[1,2]", "expected a JSON object" },
		{ "{\"targets\":", "malformed JSON" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct plan_request r;
		struct co_error err;
		memset(&err, 0, sizeof err);
		assert_int_equal(parse(cases[i].body, &r, &err), -1);
		if (!strstr(err.msg, cases[i].want)) {
			fprintf(stderr, "body %s: got '%s', want '%s'\n", cases[i].body, err.msg, cases[i].want);
			fail();
		}
	}
}

static void a_request_survives_its_own_json(void **state)
{
	struct plan_request r, back;
	struct co_error err;
	assert_int_equal(parse("{\"targets\":[\"api\"],\"to\":\"green\",\"step\":true,"
			       "\"force\":true,\"reason\":\"on call said so\"}", &r, &err), 0);
	cJSON *j = plan_request_json(&r);
	char *text = cJSON_PrintUnformatted(j);
	assert_int_equal(parse(text, &back, &err), 0);
	assert_int_equal(back.goal, r.goal);
	assert_true(back.force);
	assert_string_equal(back.reason, "on call said so");
	free(text);
	cJSON_Delete(j);
	plan_request_done(&r);
	plan_request_done(&back);
}

static void a_plan_survives_its_own_json(void **state)
{
	const char *conf = "{\"release\":\"r\",\"services\":["
		"{\"name\":\"api\",\"kind\":\"exposed\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},"
		"\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}]}";
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", conf, strlen(conf), &d);
	diag_list_done(&d);
	assert_non_null(cfg);
	struct plan_move mv = { 0, 5, 25 };
	struct gate_result g[2] = {
		{ 0, "verdict", GATE_BLOCK, "verdict fail" },
		{ PLAN_WHOLE, "router", GATE_PASS, "1 of 1" },
	};
	struct plan p = { .moves = &mv, .n_moves = 1, .gates = g, .n_gates = 2, .n_blockers = 1 };
	snprintf(p.id, sizeof p.id, "p-1");
	snprintf(p.actor, sizeof p.actor, "ana@ops1 (cli)");
	cJSON *j = plan_json(&p, cfg);
	struct plan back;
	struct co_error err;
	assert_int_equal(plan_from_json(j, cfg, &back, &err), 0);
	assert_string_equal(back.id, "p-1");
	assert_string_equal(back.actor, "ana@ops1 (cli)");
	assert_int_equal(back.n_moves, 1);
	assert_int_equal(back.moves[0].to, 25);
	assert_int_equal(back.n_gates, 2);
	assert_int_equal(back.gates[1].service, PLAN_WHOLE);
	assert_int_equal(back.n_blockers, 1);
	plan_done(&back);
	cJSON_Delete(j);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_move_request_parses_to_its_goal),
		cmocka_unit_test(refusals_name_the_key),
		cmocka_unit_test(a_request_survives_its_own_json),
		cmocka_unit_test(a_plan_survives_its_own_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
