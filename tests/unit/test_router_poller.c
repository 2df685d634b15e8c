/* The router pass and the poller thread over a fake fleet (a driver table
 * defined here, whose instances say what each test tells them), and once
 * over the rehearsal driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutover/router_poller.h"
#include "cutover/router_rehearsal.h"

enum { S_API, S_NIGHTLY, S_WEB, N_SVC };
#define N_INST 3

/* --- the fake fleet ------------------------------------------------------ */

struct fake {
	pthread_mutex_t mu;
	size_t n;
	bool down[N_INST];
	int weight[N_INST][N_SVC];
	struct side_traffic green[N_INST];
	int delay_ms;
	int observes;
};
static struct fake fk = { .mu = PTHREAD_MUTEX_INITIALIZER };
static const char *const names[N_INST] = { "/run/a.sock", "10.0.0.5:9999", "10.0.0.6:9999" };

static struct router *fake_open(const struct config *cfg, struct co_error *err)
{
	return (struct router *)&fk;
}

static void fake_close(struct router *r)
{
}

static size_t fake_n(const struct router *r)
{
	return fk.n;
}

static int fake_observe(struct router *r, size_t i, struct route_observation *obs,
			struct instance_result *res)
{
	if (fk.delay_ms)
		nanosleep(&(struct timespec){ 0, fk.delay_ms * 1000000L }, NULL);
	pthread_mutex_lock(&fk.mu);
	fk.observes++;
	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", names[i]);
	res->ok = !fk.down[i];
	if (!res->ok)
		snprintf(res->error, sizeof(res->error), "connection refused");
	for (size_t s = 0; s < N_SVC; s++) {
		memset(&obs[s], 0, sizeof(obs[s]));
		obs[s].service = s;
		obs[s].weight = res->ok ? fk.weight[i][s] : WEIGHT_UNKNOWN;
		if (obs[s].weight == WEIGHT_UNKNOWN)
			snprintf(obs[s].detail, sizeof(obs[s].detail), "no server be/green on %s", names[i]);
		if (res->ok)
			obs[s].traffic[SIDE_GREEN] = fk.green[i];
	}
	pthread_mutex_unlock(&fk.mu);
	return res->ok ? 0 : -1;
}

static int fake_apply(struct router *r, size_t i, const struct weight_change *c, size_t n,
		      struct instance_result *res)
{
	return -1;
}

static const struct router_driver fake_driver = {
	.name = "fake", .open = fake_open, .close = fake_close, .n_instances = fake_n,
	.observe = fake_observe, .apply = fake_apply,
};
/* The same fleet under haproxy's name: drift against the journal hints at
 * a reload. */
static const struct router_driver fake_haproxy = {
	.name = "haproxy", .open = fake_open, .close = fake_close, .n_instances = fake_n,
	.observe = fake_observe, .apply = fake_apply,
};

/* --- fixture ------------------------------------------------------------- */

struct fx {
	char dir[64];
	struct config *cfg;
	struct model m;
	struct router_view view;
	struct snapshot snap;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char json[2048];
	struct diag_list d;
	struct co_error err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-poller-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
#define SVC(name, kind) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}"
	snprintf(json, sizeof(json), "{\"release\":\"r1\",\"state_dir\":\"%s\",\"services\":["
		 SVC("api", "exposed") "," SVC("nightly", "job") "," SVC("web", "exposed") "]}", f->dir);
#undef SVC
	diag_list_init(&d);
	f->cfg = config_parse("test.json", json, strlen(json), &d);
	diag_list_done(&d);
	if (!f->cfg || model_init(&f->m, f->cfg, &err) < 0)
		return -1;
	pthread_mutex_lock(&fk.mu);
	memset(fk.down, 0, sizeof(fk.down));
	memset(fk.weight, 0, sizeof(fk.weight));
	memset(fk.green, 0, sizeof(fk.green));
	fk.n = 2;
	fk.delay_ms = 0;
	fk.observes = 0;
	pthread_mutex_unlock(&fk.mu);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	router_view_done(&f->view);
	snapshot_done(&f->snap);
	model_done(&f->m);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* One synchronous pass published into the model; returns a fresh snapshot. */
static const struct snapshot *pass(struct fx *f, const struct router_driver *drv)
{
	struct co_error err = { "" };
	assert_int_equal(router_observe_all(drv, (struct router *)&fk, f->cfg, &f->view, &err), 0);
	assert_int_equal(router_view_publish(&f->view, &f->m, NULL, &err), 0);
	assert_true(model_snapshot(&f->m, &f->snap) >= 0);
	return &f->snap;
}

static void set_all(int s, int w)
{
	for (size_t i = 0; i < N_INST; i++)
		fk.weight[i][s] = w;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* --- one pass ------------------------------------------------------------ */

static void agreeing_fleet_publishes_its_weight_without_drift(void **state)
{
	struct fx *f = *state;
	set_all(S_API, 25);
	set_all(S_NIGHTLY, 100);
	const struct snapshot *s = pass(f, &fake_driver);
	assert_int_equal(f->view.n_instances, 2);
	assert_int_equal(f->view.up, 2);
	assert_string_equal(f->view.inst[1].name, "10.0.0.5:9999");
	assert_int_equal(s->svc[S_API].weight, 25);
	assert_int_equal(s->svc[S_NIGHTLY].weight, 100);
	assert_int_equal(s->svc[S_WEB].weight, 0);
	assert_false(s->svc[S_API].drift);
	assert_true(s->router_known);
	assert_int_equal(s->routers_up, 2);
	assert_int_equal(s->routers_total, 2);
}

/* A pass that read the router before an apply landed must not publish
 * that old weight (nor call it drift) after the apply set the new one. */
static void a_read_older_than_an_apply_is_not_published(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	uint32_t before[8];
	set_all(S_API, 0);
	pass(f, &fake_driver);
	model_applies(&f->m, before);
	assert_int_equal(router_observe_all(&fake_driver, (struct router *)&fk, f->cfg, &f->view, &err), 0);
	/* The executor applies 25 while that read was in flight. */
	model_set_busy(&f->m, S_API, true);
	model_set_target(&f->m, S_API, 25, &err);
	model_set_weight(&f->m, S_API, 25, &err);
	model_set_busy(&f->m, S_API, false);
	assert_int_equal(router_view_publish_since(&f->view, &f->m, NULL, before, &err), 0);
	assert_true(model_snapshot(&f->m, &f->snap) >= 0);
	assert_int_equal(f->snap.svc[S_API].weight, 25);
	assert_false(f->snap.svc[S_API].drift);
	/* The next pass, begun after it, reads what the router holds. */
	set_all(S_API, 25);
	const struct snapshot *s = pass(f, &fake_driver);
	assert_int_equal(s->svc[S_API].weight, 25);
	assert_false(s->svc[S_API].drift);
}

static void instances_that_disagree_are_drift_naming_each(void **state)
{
	struct fx *f = *state;
	fk.weight[0][S_API] = 25;
	fk.weight[1][S_WEB] = WEIGHT_UNKNOWN;
	const struct snapshot *s = pass(f, &fake_haproxy);
	assert_int_equal(s->svc[S_API].weight, 25);	/* the first instance's */
	assert_true(s->svc[S_API].drift);
	assert_string_equal(s->svc[S_API].drift_detail, "haproxy /run/a.sock says 25, 10.0.0.5:9999 says 0");
	assert_true(s->svc[S_WEB].drift);
	assert_string_equal(s->svc[S_WEB].drift_detail, "haproxy /run/a.sock says 0, 10.0.0.5:9999 cannot "
			    "tell (no server be/green on 10.0.0.5:9999)");
	assert_false(s->svc[S_NIGHTLY].drift);
}

static void router_against_the_journal_target_is_drift(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	assert_int_equal(model_set_target(&f->m, S_API, 25, &err), 0);
	assert_int_equal(model_set_target(&f->m, S_WEB, 0, &err), 0);
	const struct snapshot *s = pass(f, &fake_haproxy);
	assert_true(s->svc[S_API].drift);
	assert_string_equal(s->svc[S_API].drift_detail,
			    "router says 0, journal says 25 \xe2\x80\x94 runtime weights lost on reload?");
	assert_false(s->svc[S_WEB].drift);
	s = pass(f, &fake_driver);	/* other drivers lose nothing on reload */
	assert_string_equal(s->svc[S_API].drift_detail, "router says 0, journal says 25");
	set_all(S_API, 25);
	s = pass(f, &fake_driver);
	assert_false(s->svc[S_API].drift);
	assert_string_equal(s->svc[S_API].drift_detail, "");
}

static void a_service_being_moved_is_not_drift(void **state)
{
	struct fx *f = *state;
	struct co_error err;
	model_set_target(&f->m, S_API, 25, &err);
	model_set_busy(&f->m, S_API, true);
	fk.weight[0][S_API] = 25;	/* the plan has reached one instance so far */
	const struct snapshot *s = pass(f, &fake_driver);
	assert_false(s->svc[S_API].drift);
	assert_int_equal(s->svc[S_API].weight, 25);
}

static void unreachable_instance_is_counted_not_drift(void **state)
{
	struct fx *f = *state;
	set_all(S_API, 50);
	fk.down[0] = true;
	const struct snapshot *s = pass(f, &fake_driver);
	assert_int_equal(s->routers_up, 1);
	assert_int_equal(s->routers_total, 2);
	assert_int_equal(s->svc[S_API].weight, 50);	/* from the instance that answered */
	assert_false(s->svc[S_API].drift);
	fk.down[1] = true;
	s = pass(f, &fake_driver);
	assert_int_equal(s->routers_up, 0);
	assert_int_equal(s->svc[S_API].weight, WEIGHT_UNKNOWN);
	assert_false(s->svc[S_API].drift);
}

static void traffic_sums_requests_and_weights_rtime_by_them(void **state)
{
	struct fx *f = *state;
	fk.green[0] = (struct side_traffic){ .known = true, .rtime_ms = 10, .err5xx_pct = 0,
					     .sessions = 3, .requests = 100 };
	fk.green[1] = (struct side_traffic){ .known = true, .rtime_ms = 30, .err5xx_pct = 4,
					     .sessions = 5, .requests = 300 };
	const struct snapshot *s = pass(f, &fake_driver);
	const struct side_traffic *t = &s->svc[S_WEB].traffic[SIDE_GREEN];
	assert_true(t->known);
	assert_int_equal(t->requests, 400);
	assert_int_equal(t->sessions, 8);
	assert_float_equal(t->rtime_ms, 25.0, 1e-9);
	assert_float_equal(t->err5xx_pct, 3.0, 1e-9);
	assert_false(s->svc[S_WEB].traffic[SIDE_BLUE].known);
}

static void a_job_split_by_hand_is_drift_with_unknown_weight(void **state)
{
	struct fx *f = *state;
	set_all(S_NIGHTLY, 37);
	const struct snapshot *s = pass(f, &fake_driver);
	assert_int_equal(s->svc[S_NIGHTLY].weight, WEIGHT_UNKNOWN);
	assert_true(s->svc[S_NIGHTLY].drift);
	assert_string_equal(s->svc[S_NIGHTLY].drift_detail,
			    "router says 37, but nightly is a job: it runs on one side only");
}

static void an_unchanged_pass_leaves_the_model_version_alone(void **state)
{
	struct fx *f = *state;
	fk.weight[0][S_API] = 25;	/* drift, so its detail is compared too */
	pass(f, &fake_driver);
	uint64_t v = model_version(&f->m);
	pass(f, &fake_driver);
	assert_int_equal(model_version(&f->m), v);
}

static void instances_are_observed_in_parallel(void **state)
{
	struct fx *f = *state;
	struct timespec t0;
	fk.n = 3;
	fk.delay_ms = 200;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pass(f, &fake_driver);
	long ms = ms_since(&t0);
	print_message("3 instances of 200 ms each: %ld ms\n", ms);
	assert_true(ms < 400);
	assert_int_equal(fk.observes, 3);
}

/* --- the thread ---------------------------------------------------------- */

static void poller_publishes_and_a_kick_reads_at_once(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	set_all(S_API, 5);
	struct router_poller *p = router_poller_start(&f->m, &fake_driver, (struct router *)&fk, 60000, &err);
	assert_non_null(p);
	assert_int_equal(router_poller_wait(p, 1, 2000), 0);
	model_snapshot(&f->m, &f->snap);
	assert_int_equal(f->snap.svc[S_API].weight, 5);
	pthread_mutex_lock(&fk.mu);
	set_all(S_API, 25);
	pthread_mutex_unlock(&fk.mu);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	router_poller_kick(p);
	assert_int_equal(router_poller_wait(p, 2, 2000), 0);
	assert_true(ms_since(&t0) < 500);	/* not the 60 s interval */
	model_snapshot(&f->m, &f->snap);
	assert_int_equal(f->snap.svc[S_API].weight, 25);
	assert_int_equal(router_poller_wait(p, 3, 50), -1);	/* no pass without a kick */
	router_poller_stop(p);
}

static void poller_reads_every_interval(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct router_poller *p = router_poller_start(&f->m, &fake_driver, (struct router *)&fk, 20, &err);
	assert_non_null(p);
	assert_int_equal(router_poller_wait(p, 5, 2000), 0);
	router_poller_stop(p);
}

static void stop_is_prompt_between_passes(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct timespec t0;
	struct router_poller *p = router_poller_start(&f->m, &fake_driver, (struct router *)&fk, 60000, &err);
	assert_non_null(p);
	assert_int_equal(router_poller_wait(p, 1, 2000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	router_poller_stop(p);
	long ms = ms_since(&t0);
	print_message("stop took %ld ms\n", ms);
	assert_true(ms < 50);
	router_poller_stop(NULL);
}

static void poller_over_the_rehearsal_driver(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	const struct router_driver *drv = &router_driver_rehearsal;
	struct router *r = drv->open(f->cfg, &err);
	struct instance_result res;
	struct weight_change c = { S_API, 25 };
	assert_non_null(r);
	struct router_poller *p = router_poller_start(&f->m, drv, r, 60000, &err);
	assert_non_null(p);
	assert_int_equal(router_poller_wait(p, 1, 2000), 0);
	assert_int_equal(drv->apply(r, 0, &c, 1, &res), 0);
	router_poller_kick(p);
	assert_int_equal(router_poller_wait(p, 2, 2000), 0);
	model_snapshot(&f->m, &f->snap);
	assert_int_equal(f->snap.svc[S_API].weight, 25);
	assert_int_equal(f->snap.routers_up, 1);
	router_poller_stop(p);
	drv->close(r);
}

/* A line that names the instance gets its reason without the name again. */
static void instance_reason_does_not_repeat_the_name(void **state)
{
	(void)state;
	struct instance_result r = { .name = "/run/a.sock" };
	snprintf(r.error, sizeof(r.error), "haproxy /run/a.sock: cannot connect: Connection refused");
	assert_string_equal(router_instance_reason(&r), "cannot connect: Connection refused");
	snprintf(r.error, sizeof(r.error), "exit status 3: no such service");
	assert_string_equal(router_instance_reason(&r), "exit status 3: no such service");
	snprintf(r.error, sizeof(r.error), "tool said /run/a.sock: busy is fine");
	assert_string_equal(router_instance_reason(&r), "tool said /run/a.sock: busy is fine");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instance_reason_does_not_repeat_the_name),
		T(agreeing_fleet_publishes_its_weight_without_drift),
		T(instances_that_disagree_are_drift_naming_each),
		T(a_read_older_than_an_apply_is_not_published),
		T(router_against_the_journal_target_is_drift),
		T(a_service_being_moved_is_not_drift),
		T(unreachable_instance_is_counted_not_drift),
		T(traffic_sums_requests_and_weights_rtime_by_them),
		T(a_job_split_by_hand_is_drift_with_unknown_weight),
		T(an_unchanged_pass_leaves_the_model_version_alone),
		T(instances_are_observed_in_parallel),
		T(poller_publishes_and_a_kick_reads_at_once),
		T(poller_reads_every_interval),
		T(stop_is_prompt_between_passes),
		T(poller_over_the_rehearsal_driver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
