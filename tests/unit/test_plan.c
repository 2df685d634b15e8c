/* test_plan: targets, goals and gates on hand-made snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/plan.h"

enum { S_API, S_NIGHTLY, S_WEB, S_REPORT, N_SVC };

struct fx {
	struct config *cfg;
	struct model m;
	struct snapshot snap;
};

static struct config *load(const char *jobs_first)
{
#define SVC(name, kind, group) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\",\"group\":\"" group "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}"
	char json[2048];
	snprintf(json, sizeof(json),
		 "{\"release\":\"r1\",\"state_dir\":\"/tmp/cutover-plan-test\","
		 "\"gates\":{\"jobs_first\":\"%s\",\"max_error_rate_pct\":2},"
		 "\"steps\":[1,5,25,50,100],\"services\":["
		 SVC("api", "exposed", "front") "," SVC("nightly", "job", "batch") ","
		 SVC("web", "exposed", "front") "," SVC("report", "job", "batch") "]}",
		 jobs_first);
#undef SVC
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("test.json", json, strlen(json), &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%d:%d %s: %s\n", d.items[i].line, d.items[i].col, d.items[i].path,
			d.items[i].msg);
	diag_list_done(&d);
	return cfg;
}

static void set_up(struct fx *f, enum health h)
{
	struct co_error err;
	for (size_t s = 0; s < N_SVC; s++) {
		model_set_weight(&f->m, s, 0, &err);
		for (int side = 0; side < 2; side++) {
			struct side_stats st = { .health = h, .samples = 10 };
			model_set_side(&f->m, s, (enum side)side, &st);
		}
		model_set_verdict(&f->m, s, VERDICT_PASS, "");
	}
	model_set_routers(&f->m, 2, 2);
}

static int setup_mode(void **state, const char *mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct co_error err;
	f->cfg = load(mode);
	if (!f->cfg || model_init(&f->m, f->cfg, &err) < 0)
		return -1;
	set_up(f, HEALTH_UP);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_mode(state, "warn"); }
static int setup_block(void **state) { return setup_mode(state, "block"); }

static int teardown(void **state)
{
	struct fx *f = *state;
	snapshot_done(&f->snap);
	model_done(&f->m);
	config_free(f->cfg);
	free(f);
	return 0;
}

static struct snapshot *snap(struct fx *f)
{
	assert_true(model_snapshot(&f->m, &f->snap) >= 0);
	return &f->snap;
}

static const struct gate_result *find_gate(const struct plan *p, size_t s, const char *name)
{
	for (size_t i = 0; i < p->n_gates; i++)
		if (p->gates[i].service == s && strcmp(p->gates[i].name, name) == 0)
			return &p->gates[i];
	return NULL;
}

static void test_resolve(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	size_t *v = NULL, n = 0;
	char *t1[] = { "web", "@batch", "web" };
	assert_int_equal(plan_resolve_targets(f->cfg, t1, 3, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], S_NIGHTLY);
	assert_int_equal(v[1], S_WEB);
	assert_int_equal(v[2], S_REPORT);
	free(v);
	char *t2[] = { "api", "nope", "@ghosts" };
	assert_int_equal(plan_resolve_targets(f->cfg, t2, 3, &v, &n, &err), -1);
	assert_non_null(strstr(err.msg, "'nope'"));
	assert_non_null(strstr(err.msg, "'@ghosts'"));
}

static void test_goals(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t api = S_API, all[] = { S_API, S_NIGHTLY, S_WEB };
	struct co_error e2;
	model_set_weight(&f->m, S_WEB, 100, &e2);

	assert_int_equal(plan_build(snap(f), all, 3, GOAL_GREEN, 0, &p, &err), 0);
	assert_int_equal(p.n_moves, 2);	/* web is already there */
	assert_int_equal(p.moves[0].service, S_NIGHTLY);	/* jobs first */
	assert_int_equal(p.moves[0].to, 100);
	assert_int_equal(p.moves[1].service, S_API);
	assert_true(strncmp(p.id, "p-", 2) == 0);
	plan_done(&p);

	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_STEP_GREEN, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].to, 1);
	plan_done(&p);
	model_set_weight(&f->m, S_API, 25, &e2);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_STEP_GREEN, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].from, 25);
	assert_int_equal(p.moves[0].to, 50);
	plan_done(&p);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_STEP_BLUE, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].to, 5);
	plan_done(&p);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_WEIGHT, 42, &p, &err), 0);
	assert_int_equal(p.moves[0].to, 42);
	plan_done(&p);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_BLUE, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].to, 0);
	assert_int_equal(p.n_blockers, 0);
	plan_done(&p);
}

static void test_job_weight(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t job = S_NIGHTLY;
	assert_int_equal(plan_build(snap(f), &job, 1, GOAL_WEIGHT, 25, &p, &err), -1);
	assert_non_null(strstr(err.msg, "nightly"));
	assert_non_null(strstr(err.msg, "25"));
	assert_int_equal(plan_build(snap(f), &job, 1, GOAL_STEP_GREEN, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].to, 100);
	plan_done(&p);
}

static void test_gates_green(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t api = S_API;
	struct side_stats down = { .health = HEALTH_DOWN, .samples = 10, .error_pct = 50 };
	snprintf(down.last_error, sizeof(down.last_error), "timeout after 800 ms");
	model_set_side(&f->m, S_API, SIDE_GREEN, &down);
	model_set_verdict(&f->m, S_API, VERDICT_FAIL, "green p95 3x blue");
	model_set_drift(&f->m, S_API, true, "a says 25, b says 0");
	model_set_routers(&f->m, 1, 2);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_WEIGHT, 25, &p, &err), 0);
	const struct gate_result *g = find_gate(&p, S_API, "green-health");
	assert_non_null(g);
	assert_int_equal(g->level, GATE_BLOCK);
	assert_non_null(strstr(g->detail, "timeout after 800 ms"));
	assert_int_equal(find_gate(&p, S_API, "verdict")->level, GATE_BLOCK);
	assert_int_equal(find_gate(&p, S_API, "green-errors")->level, GATE_BLOCK);
	assert_int_equal(find_gate(&p, S_API, "drift")->level, GATE_BLOCK);
	assert_int_equal(find_gate(&p, PLAN_WHOLE, "router")->level, GATE_BLOCK);
	assert_int_equal(find_gate(&p, S_API, "jobs-first")->level, GATE_WARN);
	assert_int_equal(p.n_blockers, 5);
	plan_done(&p);

	/* Toward blue only blue's health counts. */
	struct co_error e2;
	model_set_weight(&f->m, S_API, 25, &e2);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_BLUE, 0, &p, &err), 0);
	assert_int_equal(p.n_blockers, 0);
	assert_int_equal(find_gate(&p, S_API, "blue-health")->level, GATE_PASS);
	plan_done(&p);
	model_set_side(&f->m, S_API, SIDE_BLUE, &down);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_BLUE, 0, &p, &err), 0);
	assert_int_equal(find_gate(&p, S_API, "blue-health")->level, GATE_BLOCK);
	assert_int_equal(p.n_blockers, 1);
	plan_done(&p);
}

static void test_unknown_weight(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t api = S_API;
	model_set_weight(&f->m, S_API, WEIGHT_UNKNOWN, &err);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_GREEN, 0, &p, &err), 0);
	assert_int_equal(p.moves[0].from, WEIGHT_UNKNOWN);
	assert_int_equal(find_gate(&p, S_API, "weight-known")->level, GATE_WARN);
	plan_done(&p);
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_STEP_GREEN, 0, &p, &err), -1);
	assert_non_null(strstr(err.msg, "api"));
}

/* reapply: back to the journal's weight where the router drifted; the
 * drift is the reason, not a blocker; never-set services are left alone. */
static void test_reapply(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t all[] = { S_API, S_NIGHTLY, S_WEB, S_REPORT };
	model_set_target(&f->m, S_API, 50, &err);	/* a reload lost it: router says 0 */
	model_set_drift(&f->m, S_API, true, "router says 0, journal says 50");
	model_set_target(&f->m, S_WEB, 25, &err);	/* instances disagree, first agrees */
	model_set_weight(&f->m, S_WEB, 25, &err);
	model_set_drift(&f->m, S_WEB, true, "a says 25, b says 0");
	model_set_target(&f->m, S_NIGHTLY, 0, &err);	/* in step: nothing to do */
	assert_int_equal(plan_build(snap(f), all, 4, GOAL_JOURNAL, 0, &p, &err), 0);
	assert_true(p.reapply);
	assert_int_equal(p.n_moves, 2);
	assert_int_equal(p.moves[0].service, S_API);
	assert_int_equal(p.moves[0].from, 0);
	assert_int_equal(p.moves[0].to, 50);
	assert_int_equal(p.moves[1].service, S_WEB);
	assert_int_equal(p.moves[1].from, 25);
	assert_int_equal(p.moves[1].to, 25);
	assert_int_equal(find_gate(&p, S_API, "drift")->level, GATE_PASS);
	assert_int_equal(find_gate(&p, S_WEB, "drift")->level, GATE_PASS);
	assert_non_null(find_gate(&p, S_WEB, "green-health"));
	assert_int_equal(p.n_blockers, 0);
	plan_done(&p);
	/* The same drift blocks an ordinary move toward green, and says how to mend it. */
	size_t api = S_API;
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_WEIGHT, 50, &p, &err), 0);
	assert_int_equal(find_gate(&p, S_API, "drift")->level, GATE_BLOCK);
	assert_non_null(strstr(find_gate(&p, S_API, "drift")->detail, "reapply"));
	plan_done(&p);
}

static void test_jobs_first_block(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	struct plan p;
	size_t api = S_API, with_jobs[] = { S_API, S_NIGHTLY, S_REPORT };
	assert_int_equal(plan_build(snap(f), &api, 1, GOAL_WEIGHT, 5, &p, &err), 0);
	assert_int_equal(find_gate(&p, S_API, "jobs-first")->level, GATE_BLOCK);
	assert_int_equal(p.n_blockers, 1);
	plan_done(&p);
	/* Jobs moving to 100 in the same plan go first: no blocker. */
	assert_int_equal(plan_build(snap(f), with_jobs, 3, GOAL_GREEN, 0, &p, &err), 0);
	assert_int_equal(find_gate(&p, S_API, "jobs-first")->level, GATE_PASS);
	assert_int_equal(p.n_blockers, 0);
	assert_int_equal(p.moves[2].service, S_API);
	plan_done(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_weight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gates_green, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_weight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reapply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_first_block, setup_block, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
