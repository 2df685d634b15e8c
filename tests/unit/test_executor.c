/* test_executor: intents before outcomes, all-or-nothing per service, best
 * effort for rollback, refusals, on a fake two-instance fleet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cutover/executor.h"
#include "cutover/journal.h"

enum { S_API, S_NIGHTLY, N_SVC };

struct router {
	int w[2][N_SVC];
	bool dead[2];
	int refuse[2];		/* a service (1-based) the instance refuses, 0 none */
	int applies;
	size_t batch[8];	/* changes per apply call, in call order */
	const char *journal;	/* when set, intents journaled before each apply */
	int intents_seen[8];
};

static int count_in(const char *path, const char *needle)
{
	char line[2048];
	FILE *fp = fopen(path, "r");
	int n = 0;
	while (fp && fgets(line, sizeof(line), fp))
		n += strstr(line, needle) != NULL;
	if (fp)
		fclose(fp);
	return n;
}

static size_t fake_n(const struct router *r) { (void)r; return 2; }

static int fake_apply(struct router *r, size_t i, const struct weight_change *c, size_t n,
		      struct instance_result *res)
{
	snprintf(res->name, sizeof(res->name), "inst%zu", i);
	if (r->applies < 8) {
		r->batch[r->applies] = n;
		if (r->journal)
			r->intents_seen[r->applies] = count_in(r->journal, "\"type\":\"intent\"");
	}
	r->applies++;
	if (r->dead[i]) {
		res->ok = false;
		snprintf(res->error, sizeof(res->error), "connection refused");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		if (r->refuse[i] == (int)c[k].service + 1) {	/* like a missing backend */
			res->ok = false;
			snprintf(res->error, sizeof(res->error), "No such backend.");
			return -1;
		}
	}
	for (size_t k = 0; k < n; k++)
		r->w[i][c[k].service] = c[k].weight;
	res->ok = true;
	return 0;
}

static const struct router_driver fake = {
	.name = "fake", .n_instances = fake_n, .apply = fake_apply,
};

struct fx {
	char dir[64];
	struct config *cfg;
	struct model m;
	struct router r;
	struct journal *j;
	struct executor *e;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char json[1024];
	struct diag_list d;
	struct co_error err;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-exec-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
#define SVC(name, kind) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}"
	snprintf(json, sizeof(json), "{\"release\":\"r1\",\"state_dir\":\"%s\",\"services\":["
		 SVC("api", "exposed") "," SVC("nightly", "job") "]}", f->dir);
#undef SVC
	diag_list_init(&d);
	f->cfg = config_parse("test.json", json, strlen(json), &d);
	diag_list_done(&d);
	if (!f->cfg || model_init(&f->m, f->cfg, &err) < 0)
		return -1;
	f->j = journal_open(f->dir, "r1", &err);
	f->e = executor_start(&f->m, &fake, &f->r, f->j, &err);
	*state = f;
	return f->j && f->e ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	executor_stop(f->e);
	journal_close(f->j);
	model_done(&f->m);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void one_move(struct plan *p, struct plan_move *mv, size_t s, int from, int to)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "p-test");
	*mv = (struct plan_move){ s, from, to };
	p->moves = mv;
	p->n_moves = 1;
}

static int count_lines(struct fx *f, const char *needle)
{
	char path[128], line[2048];
	snprintf(path, sizeof(path), "%s/r1.journal.jsonl", f->dir);
	FILE *fp = fopen(path, "r");
	int n = 0;
	while (fp && fgets(line, sizeof(line), fp))
		n += strstr(line, needle) != NULL;
	if (fp)
		fclose(fp);
	return n;
}

static void run(struct fx *f, struct plan *p, struct executor_progress *pr)
{
	struct co_error err;
	assert_int_equal(executor_submit(f->e, p, false, NULL, &err), 0);
	assert_int_equal(executor_wait(f->e, 5000), 0);
	executor_get_progress(f->e, pr);
	assert_true(pr->finished);
}

static void test_applies_everywhere(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv;
	struct executor_progress pr;
	one_move(&p, &mv, S_API, 0, 25);
	run(f, &p, &pr);
	assert_true(pr.ok);
	assert_int_equal(f->r.w[0][S_API], 25);
	assert_int_equal(f->r.w[1][S_API], 25);
	assert_int_equal(count_lines(f, "\"type\":\"intent\""), 1);
	assert_int_equal(count_lines(f, "\"result\":\"applied\""), 2);
	struct snapshot s = { 0 };
	model_snapshot(&f->m, &s);
	assert_int_equal(s.svc[S_API].weight, 25);
	assert_int_equal(s.svc[S_API].target_weight, 25);
	assert_false(s.svc[S_API].busy);
	snapshot_done(&s);
}

static void test_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv;
	struct executor_progress pr;
	f->r.dead[1] = true;
	one_move(&p, &mv, S_API, 0, 25);
	run(f, &p, &pr);
	assert_false(pr.ok);
	assert_int_equal(f->r.w[0][S_API], 0);	/* put back */
	assert_non_null(strstr(pr.result, "inst1"));
	assert_non_null(strstr(pr.result, "connection refused"));
	assert_int_equal(count_lines(f, "\"result\":\"reverted\""), 1);
	assert_int_equal(count_lines(f, "\"result\":\"failed\""), 1);
}

/* Intents go to the journal a chunk at a time; a plan stops at the first
 * service that fails, and the ones after it, journaled as intents already,
 * are closed as skipped, so nothing is left open for recovery. */
static void move_stops_at_a_failed_service_and_closes_the_rest_as_skipped(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv[2] = { { S_NIGHTLY, 0, 100 }, { S_API, 0, 25 } };
	struct executor_progress pr;
	memset(&p, 0, sizeof p);
	snprintf(p.id, sizeof p.id, "p-two");
	p.moves = mv;
	p.n_moves = 2;
	f->r.refuse[0] = S_NIGHTLY + 1;
	run(f, &p, &pr);
	assert_false(pr.ok);
	assert_int_equal(pr.done, 0);
	assert_int_equal(f->r.w[0][S_API], 0);
	assert_int_equal(f->r.w[1][S_API], 0);	/* never tried */
	assert_int_equal(count_lines(f, "\"type\":\"intent\""), 2);
	assert_int_equal(count_lines(f, "\"result\":\"skipped\""), 1);
	char path[128];
	snprintf(path, sizeof path, "%s/r1.journal.jsonl", f->dir);
	struct journal_intent *open = NULL;
	size_t n_open = 9;
	struct co_error err;
	assert_int_equal(journal_open_intents(path, &open, &n_open, &err), 0);
	assert_int_equal(n_open, 0);
	journal_intents_free(open, n_open);
}

static void test_rollback_best_effort(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv;
	struct executor_progress pr;
	f->r.w[0][S_API] = f->r.w[1][S_API] = 50;
	f->r.dead[0] = true;
	one_move(&p, &mv, S_API, 50, 0);
	p.rollback = true;
	run(f, &p, &pr);
	assert_false(pr.ok);
	assert_int_equal(f->r.w[1][S_API], 0);
	assert_non_null(strstr(pr.result, "inst0"));
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv;
	struct co_error err;
	struct gate_result g = { .service = S_API, .name = "green-health", .level = GATE_BLOCK };
	one_move(&p, &mv, S_API, 0, 25);
	p.gates = &g;
	p.n_gates = 1;
	p.n_blockers = 1;
	assert_int_equal(executor_submit(f->e, &p, false, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "blocker"));
	assert_int_equal(executor_submit(f->e, &p, true, "", &err), -1);
	assert_non_null(strstr(err.msg, "reason"));
	assert_int_equal(f->r.applies, 0);
	assert_int_equal(executor_submit(f->e, &p, true, "green checked by hand", &err), 0);
	assert_int_equal(executor_wait(f->e, 5000), 0);
	assert_int_equal(count_lines(f, "\"forced\":true"), 1);
	assert_int_equal(count_lines(f, "green checked by hand"), 1);
}

/* A rollback of every service, from the weights the fleet holds now. */
static void rollback_all(struct fx *f, struct plan *p, struct plan_move *mv)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "p-rb");
	p->rollback = true;
	for (size_t s = 0; s < N_SVC; s++) {
		f->r.w[0][s] = f->r.w[1][s] = 100;
		mv[s] = (struct plan_move){ s, 100, 0 };
	}
	p->moves = mv;
	p->n_moves = N_SVC;
}

static void rollback_is_one_batch_per_instance_after_every_intent(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv[N_SVC];
	struct executor_progress pr;
	char path[128];
	snprintf(path, sizeof(path), "%s/r1.journal.jsonl", f->dir);
	f->r.journal = path;
	rollback_all(f, &p, mv);
	run(f, &p, &pr);
	assert_true(pr.ok);
	assert_int_equal(pr.done, N_SVC);
	assert_int_equal(f->r.applies, 2);		/* one call per instance */
	assert_int_equal(f->r.batch[0], N_SVC);		/* carrying every service */
	assert_int_equal(f->r.batch[1], N_SVC);
	assert_int_equal(f->r.intents_seen[0], N_SVC);	/* every intent durable first */
	assert_int_equal(f->r.intents_seen[1], N_SVC);
	for (size_t s = 0; s < N_SVC; s++) {
		assert_int_equal(f->r.w[0][s], 0);
		assert_int_equal(f->r.w[1][s], 0);
	}
	assert_int_equal(count_lines(f, "\"result\":\"applied\""), 2 * N_SVC);
	struct snapshot sn = { 0 };
	model_snapshot(&f->m, &sn);
	for (size_t s = 0; s < N_SVC; s++) {
		assert_int_equal(sn.svc[s].weight, 0);
		assert_false(sn.svc[s].busy);
	}
	snapshot_done(&sn);
	struct journal_verify_result vr;
	struct co_error err;
	assert_int_equal(journal_verify(path, &vr, &err), 0);
	assert_true(vr.ok);
	assert_int_equal(vr.records, 3 * N_SVC);
}

static void rollback_batch_names_an_unreachable_instance_once(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv[N_SVC];
	struct executor_progress pr;
	rollback_all(f, &p, mv);
	f->r.dead[0] = true;
	run(f, &p, &pr);
	assert_false(pr.ok);
	assert_non_null(strstr(pr.result, "inst0 unreachable: connection refused"));
	assert_null(strstr(strstr(pr.result, "inst0") + 1, "inst0"));	/* once, not per service */
	for (size_t s = 0; s < N_SVC; s++)
		assert_int_equal(f->r.w[1][s], 0);	/* the live one still rolled back */
	assert_int_equal(count_lines(f, "\"result\":\"failed\""), N_SVC);
	assert_int_equal(count_lines(f, "\"result\":\"applied\""), N_SVC);
	/* The batch, then a few single tries to tell dead from refusing: bounded. */
	assert_true(f->r.applies <= 2 + N_SVC);
}

static void rollback_retries_singly_where_an_instance_refused_one_service(void **state)
{
	struct fx *f = *state;
	struct plan p;
	struct plan_move mv[N_SVC];
	struct executor_progress pr;
	rollback_all(f, &p, mv);
	f->r.refuse[1] = S_NIGHTLY + 1;
	run(f, &p, &pr);
	assert_false(pr.ok);
	assert_int_equal(f->r.w[1][S_API], 0);		/* best effort: the rest still went */
	assert_int_equal(f->r.w[1][S_NIGHTLY], 100);
	assert_int_equal(f->r.w[0][S_NIGHTLY], 0);
	assert_non_null(strstr(pr.result, "inst1: 1 of 2 services failed (first nightly: No such backend.)"));
	assert_int_equal(count_lines(f, "\"result\":\"failed\""), 1);
	assert_int_equal(count_lines(f, "\"result\":\"applied\""), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_applies_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_best_effort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_is_one_batch_per_instance_after_every_intent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_batch_names_an_unreachable_instance_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(move_stops_at_a_failed_service_and_closes_the_rest_as_skipped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_retries_singly_where_an_instance_refused_one_service,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
