/* Rollout regressions: restarts (a resumed halt, a completed plan, a
 * router at no step), waves (an emptied wave, a group's parallel) and a
 * gate that holds a step. Each failed before its fix. */
#include "rollout_fixture.h"

#include <string.h>

#define STEP(w, s) "{\"weight\":" #w ",\"bake_s\":" #s "}"

static struct want at(enum rollout_phase p, int step, int failed, int weight)
{ return (struct want){ p, step, failed, weight }; }

static int count_ev(struct fx *f, const char *svc, const char *ev)
{
	cJSON *arr = fx_records(f, svc); int n = 0;
	for (cJSON *r = arr->child; r; r = r->next) n += strcmp(fx_str(r, "event"), ev) == 0;
	cJSON_Delete(arr); return n;
}

static void restart(struct fx *f)
{
	fx_stop(f);
	struct rollout_view none = { .bake_left_ms = -1 };
	for (size_t i = 0; i < f->cfg->n_services; i++) model_set_rollout(&f->m, i, &none);
	fx_start(f);
}

static void restart_after_a_resumed_halt_bakes_the_step_from_zero(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"on_breach\":\"halt\",\"max_failed_checks\":1,\"steps\":[" STEP(5, 3) "," STEP(100, 0.1) "]}", SVC("api", "exposed"));
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	fx_traffic(f, 0, 20, 20);
	fx_wait(f, 0, at(ROLLOUT_HALTED, 1, 1, 5), 2000);
	fx_do(f, "resume", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 1000);
	fx_sleep_ms(200);
	restart(f);
	fx_sleep_ms(500);
	int w; struct rollout_view v = fx_view(f, 0, &w);
	char ev[512]; fx_events(f, "api", "", ev, sizeof ev);
	assert_int_equal(v.phase, ROLLOUT_BAKING);
	assert_true(v.bake_left_ms > 2000);	/* from zero, not skipped */
	assert_int_equal(v.step, 1);
	assert_int_equal(w, 5);
}

static void a_completed_plan_is_journaled_once_across_restarts(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(100, 0.1) "]}", SVC("api", "exposed"));
	fx_start(f);
	fx_do(f, "start", "{\"plan\":true}");
	fx_wait(f, 0, at(ROLLOUT_DONE, 1, 0, 100), 3000);
	fx_sleep_ms(200);
	assert_int_equal(count_ev(f, NULL, "plan_completed"), 1);
	restart(f);
	fx_sleep_ms(400);
	assert_int_equal(count_ev(f, NULL, "plan_completed"), 1);
}

static void aborting_the_only_job_lets_the_next_wave_go(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(50, 0.1) "," STEP(100, 3) "]}", SVC("api", "exposed") "," SVC("nightly", "job"));
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\",\"nightly\"]}");
	fx_wait(f, 1, at(ROLLOUT_BAKING, 1, 0, 100), 3000);
	fx_do(f, "abort", "{\"targets\":[\"nightly\"]}");
	fx_wait(f, 1, at(ROLLOUT_ROLLED_BACK, ANY, 0, 0), 2000);
	fx_sleep_ms(600);
	/* The wave of jobs is empty now: done, so the exposed wave goes on. */
	fx_wait(f, 0, at(ROLLOUT_BAKING, ANY, 0, ANY), 3000);
	assert_int_equal(fx_view(f, 0, NULL).step >= 1, 1);
}

static void a_groups_parallel_bounds_its_wave(void **state)
{
	struct fx *f = fx_open(state, "\"groups\":{\"front\":{\"rollout\":{\"parallel\":3,\"steps\":[" STEP(50, 0.3) "," STEP(100, 0.1) "]}}}",
		"{\"name\":\"a\",\"kind\":\"exposed\",\"group\":\"front\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}},"
		"{\"name\":\"b\",\"kind\":\"exposed\",\"group\":\"front\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}},"
		"{\"name\":\"c\",\"kind\":\"exposed\",\"group\":\"front\",\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}");
	assert_int_equal(f->cfg->services[0].rollout.parallel, 3);
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"@front\"]}");
	fx_sleep_ms(300);
	int n = 0;
	for (size_t i = 0; i < 3; i++) n += fx_view(f, i, NULL).phase == ROLLOUT_BAKING;
	cJSON *s = fx_last(f, "a", "started");
	assert_int_equal(n, 3);
	assert_int_equal((int)fx_num(s, "parallel"), 3);
	cJSON_Delete(s);
}

static void a_restart_that_finds_no_step_halts_once_with_its_reason(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 0.3) "," STEP(25, 3) "," STEP(100, 0.2) "]}", SVC("api", "exposed"));
	struct co_error err;
	fx_append(f, "{\"event\":\"started\",\"service\":\"api\",\"run\":\"r-test-1\",\"wave\":1,\"parallel\":1,\"steps\":3,\"weights\":[5,25,100],\"max_failed_checks\":3,\"on_breach\":\"rollback\",\"release_plan\":false}");
	fx_append(f, "{\"event\":\"advancing\",\"service\":\"api\",\"step\":1,\"steps\":3,\"from\":0,\"to\":5}");
	model_set_weight(&f->m, 0, 40, &err);
	fx_start(f);
	fx_wait(f, 0, at(ROLLOUT_HALTED, ANY, ANY, 40), 1000);
	cJSON *h = fx_last(f, "api", "halted");
	assert_string_equal(fx_str(h, "gate"), "restart");
	assert_non_null(strstr(fx_str(h, "detail"), "reads 40%"));
	cJSON_Delete(h);
	restart(f);
	fx_sleep_ms(300);
	struct rollout_view v = fx_view(f, 0, NULL);
	assert_int_equal(v.phase, ROLLOUT_HALTED);
	assert_non_null(strstr(v.last_check, "restart"));
	assert_int_equal(count_ev(f, "api", "halted"), 1);	/* settled once, not per restart */
}

static void a_blocking_jobs_first_gate_holds_the_first_step_until_the_job_is_on_green(void **state)
{
	struct fx *f = fx_open(state, "\"gates\":{\"jobs_first\":\"block\"},\"rollout\":{\"steps\":[" STEP(50, 0.1) "," STEP(100, 0.1) "]}", SVC("api", "exposed") "," SVC("nightly", "job"));
	struct co_error err;
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_sleep_ms(600);
	int w; struct rollout_view v = fx_view(f, 0, &w);
	assert_int_equal(w, 0);
	assert_non_null(strstr(v.last_check, "next step held: jobs-first"));
	assert_int_equal(count_ev(f, "api", "advancing"), 0);	/* held, not retried in the journal */
	model_set_weight(&f->m, 1, 100, &err);
	fx_wait(f, 0, at(ROLLOUT_DONE, 2, 0, 100), 3000);
}

/* A journal written under other steps (the config was edited between two
 * engines) names step 4 of 2: the step is settled by the router's weight,
 * never used as an index. */
static void a_journal_step_the_config_lost_is_settled_by_the_router(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(50, 3) "," STEP(100, 0.1) "]}",
			       SVC("api", "exposed"));
	struct co_error err;
	fx_append(f, "{\"event\":\"started\",\"service\":\"api\",\"run\":\"r-old\",\"wave\":1,\"parallel\":1,\"steps\":5,\"weights\":[5,10,25,50,100],\"max_failed_checks\":3,\"on_breach\":\"rollback\",\"release_plan\":false}");
	fx_append(f, "{\"event\":\"baking\",\"service\":\"api\",\"step\":4,\"steps\":5,\"weight\":50,\"bake_s\":9,\"bake_id\":\"x\"}");
	model_set_weight(&f->m, 0, 50, &err);
	fx_start(f);
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 50), 2000);
	assert_true(fx_view(f, 0, NULL).bake_left_ms > 2000);	/* from zero */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(restart_after_a_resumed_halt_bakes_the_step_from_zero, fx_teardown),
		cmocka_unit_test_teardown(a_completed_plan_is_journaled_once_across_restarts, fx_teardown),
		cmocka_unit_test_teardown(aborting_the_only_job_lets_the_next_wave_go, fx_teardown),
		cmocka_unit_test_teardown(a_groups_parallel_bounds_its_wave, fx_teardown),
		cmocka_unit_test_teardown(a_restart_that_finds_no_step_halts_once_with_its_reason, fx_teardown),
		cmocka_unit_test_teardown(a_blocking_jobs_first_gate_holds_the_first_step_until_the_job_is_on_green, fx_teardown),
		cmocka_unit_test_teardown(a_journal_step_the_config_lost_is_settled_by_the_router, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
