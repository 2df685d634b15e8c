/* The rehearsal driver: an in-memory table that starts at 0 or from the
 * journal's last outcomes, refuses what a real router would, and keeps a
 * history of every apply. Also: router_driver_for picks each table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutover/journal.h"
#include "cutover/router_exec.h"
#include "cutover/router_haproxy.h"
#include "cutover/router_rehearsal.h"

enum { S_API, S_NIGHTLY, S_WEB, N_SVC };

struct fx {
	char dir[64];
	struct config *cfg;
	struct router *r;
};

static const struct router_driver *drv = &router_driver_rehearsal;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char json[2048];
	struct diag_list d;

	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-rehearsal-XXXXXX");
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
	*state = f;
	return f->cfg ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	if (f->r)
		drv->close(f->r);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void open_driver(struct fx *f)
{
	struct co_error err = { "" };
	f->r = drv->open(f->cfg, &err);
	if (!f->r)
		fail_msg("open: %s", err.msg);
}

static void observe(struct fx *f, int *w)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;
	assert_int_equal(drv->observe(f->r, 0, obs, &res), 0);
	assert_true(res.ok);
	assert_string_equal(res.name, "rehearsal");
	for (size_t i = 0; i < N_SVC; i++) {
		assert_int_equal(obs[i].service, i);
		assert_false(obs[i].traffic[0].known);
		w[i] = obs[i].weight;
	}
}

static void every_service_starts_on_blue_without_a_journal(void **state)
{
	struct fx *f = *state;
	int w[N_SVC];
	size_t recs, svcs;

	open_driver(f);
	assert_int_equal(drv->n_instances(f->r), 1);
	observe(f, w);
	for (size_t i = 0; i < N_SVC; i++)
		assert_int_equal(w[i], 0);
	router_rehearsal_seeded(f->r, &recs, &svcs);
	assert_int_equal(recs, 0);
	assert_int_equal(svcs, 0);
}

static void apply_sets_the_table_and_records_each_change(void **state)
{
	struct fx *f = *state;
	struct weight_change c[2] = { { S_API, 25 }, { S_NIGHTLY, 100 } };
	struct instance_result res;
	struct rehearsal_change h;
	int w[N_SVC];

	open_driver(f);
	assert_int_equal(drv->apply(f->r, 0, c, 2, &res), 0);
	assert_true(res.ok);
	c[0].weight = 50;
	assert_int_equal(drv->apply(f->r, 0, c, 1, &res), 0);
	observe(f, w);
	assert_int_equal(w[S_API], 50);
	assert_int_equal(w[S_NIGHTLY], 100);
	assert_int_equal(w[S_WEB], 0);
	assert_int_equal(router_rehearsal_history_len(f->r), 3);
	assert_true(router_rehearsal_history(f->r, 2, &h));
	assert_int_equal(h.service, S_API);
	assert_int_equal(h.from, 25);
	assert_int_equal(h.to, 50);
	assert_false(router_rehearsal_history(f->r, 3, &h));
}

static void a_job_at_25_refuses_the_whole_batch(void **state)
{
	struct fx *f = *state;
	struct weight_change c[2] = { { S_API, 25 }, { S_NIGHTLY, 25 } };
	struct instance_result res;
	int w[N_SVC];

	open_driver(f);
	assert_int_equal(drv->apply(f->r, 0, c, 2, &res), -1);
	assert_false(res.ok);
	assert_string_equal(res.error, "rehearsal: nightly: weight 25 is not 0 or 100, and a job runs on one side only");
	observe(f, w);
	assert_int_equal(w[S_API], 0);	/* nothing of the batch landed */
	assert_int_equal(router_rehearsal_history_len(f->r), 0);
	c[0].weight = 101;
	assert_int_equal(drv->apply(f->r, 0, c, 1, &res), -1);
	assert_string_equal(res.error, "rehearsal: api: weight 101 is outside 0..100");
	assert_int_equal(drv->apply(f->r, 1, c, 1, &res), -1);
}

static void outcome(struct journal *j, const char *svc, const char *result, const char *key,
		    int w, const char *instance)
{
	struct co_error err = { "" };
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "service", svc);
	cJSON_AddStringToObject(p, "result", result);
	cJSON_AddNumberToObject(p, key, w);
	if (instance)
		cJSON_AddStringToObject(p, "instance", instance);
	if (journal_append(j, "outcome", "p1", p, &err) != 0)
		fail_msg("append: %s", err.msg);
	cJSON_Delete(p);
}

static void restart_resumes_from_the_journal_last_outcomes(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal *j = journal_open(f->dir, "r1", &err);
	int w[N_SVC];
	size_t recs, svcs;

	assert_non_null(j);
	outcome(j, "api", "applied", "to", 25, NULL);
	outcome(j, "api", "applied", "to", 50, "rehearsal");
	outcome(j, "api", "applied", "to", 75, "10.0.0.5:9999");	/* another driver's */
	outcome(j, "api", "failed", "to", 100, NULL);
	outcome(j, "nightly", "applied", "to", 100, NULL);
	outcome(j, "nightly", "applied", "to", 25, NULL);		/* not a job's weight */
	outcome(j, "web", "applied", "to", 5, NULL);
	outcome(j, "web", "reverted", "from", 0, NULL);
	outcome(j, "gone", "applied", "to", 100, NULL);		/* since removed */
	assert_int_equal(journal_append(j, "intent", "p2", NULL, &err), 0);
	journal_close(j);

	open_driver(f);
	observe(f, w);
	assert_int_equal(w[S_API], 50);
	assert_int_equal(w[S_NIGHTLY], 100);
	assert_int_equal(w[S_WEB], 0);
	router_rehearsal_seeded(f->r, &recs, &svcs);
	assert_int_equal(recs, 10);
	assert_int_equal(svcs, 3);
}

static void unreadable_journal_fails_open_with_its_name(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	char path[128];

	snprintf(path, sizeof(path), "%s/r1.journal.jsonl", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);	/* reading a directory fails */
	assert_null(drv->open(f->cfg, &err));
	assert_non_null(strstr(err.msg, "rehearsal driver: cannot seed weights"));
	assert_non_null(strstr(err.msg, "r1.journal.jsonl"));
}

static void driver_for_each_kind_is_its_table(void **state)
{
	assert_ptr_equal(router_driver_for(DRIVER_HAPROXY), &router_driver_haproxy);
	assert_ptr_equal(router_driver_for(DRIVER_EXEC), &router_driver_exec);
	assert_ptr_equal(router_driver_for(DRIVER_REHEARSAL), &router_driver_rehearsal);
	assert_string_equal(router_driver_for(DRIVER_REHEARSAL)->name, "rehearsal");
}

/* A scheduled job's runs are simulated: each fire runs on the side the job
 * is on at that moment, counted like sessions (total and current). */
static void a_scheduled_job_runs_on_the_side_it_is_on(void **state)
{
	(void)state;
	const char *json = "{\"release\":\"r2\",\"services\":[{\"name\":\"tick\",\"kind\":\"job\","
		"\"schedule\":\"* * * * * *\",\"max_run_s\":1,"
		"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}]}";
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", json, strlen(json), &d);
	diag_list_done(&d);
	assert_non_null(cfg);
	struct co_error err = { "" };
	struct router *r = drv->open(cfg, &err);
	assert_non_null(r);
	struct route_observation o;
	struct instance_result res;
	usleep(1200000);	/* at least one fire */
	assert_int_equal(drv->observe(r, 0, &o, &res), 0);
	assert_true(o.traffic[SIDE_BLUE].known && o.traffic[SIDE_GREEN].known);
	uint64_t blue = o.traffic[SIDE_BLUE].requests;
	assert_true(blue >= 1);
	assert_int_equal(o.traffic[SIDE_GREEN].requests, 0);
	struct weight_change c = { 0, 100 };
	assert_int_equal(drv->apply(r, 0, &c, 1, &res), 0);
	usleep(1200000);
	assert_int_equal(drv->observe(r, 0, &o, &res), 0);
	assert_true(o.traffic[SIDE_GREEN].requests >= 1);
	assert_int_equal(o.traffic[SIDE_GREEN].sessions, 1);	/* within max_run_s */
	assert_int_equal(o.traffic[SIDE_BLUE].sessions, 0);
	assert_true(o.traffic[SIDE_BLUE].requests <= blue + 1);	/* a fire before the apply */
	drv->close(r);
	config_free(cfg);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_service_starts_on_blue_without_a_journal),
		T(apply_sets_the_table_and_records_each_change),
		T(a_job_at_25_refuses_the_whole_batch),
		T(restart_resumes_from_the_journal_last_outcomes),
		T(unreadable_journal_fails_open_with_its_name),
		T(driver_for_each_kind_is_its_table),
		cmocka_unit_test(a_scheduled_job_runs_on_the_side_it_is_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
