/* Unit tests for the jobs' pure parts: the handoff gap (when a job may
 * change sides) and the ledger (which side ran each tick), on a fixed
 * clock; and the runs URL's time format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <unistd.h>

#include "cutover/config.h"
#include "cutover/job_gap.h"
#include "cutover/job_ledger.h"
#include "cutover/jobs.h"
#include "../../src/jobs/job_runs.h"

#define assert_contains(text, part) do { \
	if (!strstr((text), (part))) \
		fail_msg("\"%s\" lacks \"%s\"", (text), (part)); \
} while (0)

/* 2026-12-05T12:00:00Z */
#define T0 1796472000.0

static struct cron parsed(const char *text)
{
	struct cron c;
	char why[160];
	assert_int_equal(cron_parse(text, &c, why, sizeof why), 0);
	return c;
}

static struct job_gap judge(const struct cron *c, const struct job_conf *jc, double now,
			    int active_old, double active_at, double switch_s)
{
	struct job_gap_input in = { c, NULL, jc, now, active_old, active_at, switch_s };
	struct job_gap g;
	job_gap_judge(&in, &g);
	return g;
}

/* Every minute with runs up to a minute leaves no gap at all. */
static void every_minute_with_minute_long_runs_is_refused(void **state)
{
	(void)state;
	struct cron c = parsed("* * * * *");
	struct job_conf jc = { .max_run_s = 60, .guard_s = 30 };
	struct job_gap g = judge(&c, &jc, T0 + 10, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_NEVER);
	assert_contains(g.why, "leaves no gap");
	assert_contains(g.why, "max_run_s 60");
	assert_contains(g.why, "guard_s 30");
	/* Shorter runs leave one: 60 - 20 - 30 - 0.5 > 0. */
	jc.max_run_s = 20;
	g = judge(&c, &jc, T0 + 25, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
}

/* Unobserved runs: max_run_s after the fire, then open until the guard. */
static void unobserved_runs_wait_max_run_s_then_the_guard(void **state)
{
	(void)state;
	struct cron c = parsed("*/15 * * * *");	/* 12:00, 12:15, ... */
	struct job_conf jc = { .max_run_s = 120, .guard_s = 30 };
	struct job_gap g = judge(&c, &jc, T0 + 60, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_WAIT);
	assert_true(g.until == T0 + 120);
	assert_contains(g.why, "waits for the 12:00:00 run to end");
	assert_contains(g.why, "next fire 12:15:00");
	g = judge(&c, &jc, T0 + 121, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
	assert_true(g.next_fire == (time_t)(T0 + 900));
	/* Inside guard_s + switch before 12:15: wait past that fire. */
	g = judge(&c, &jc, T0 + 900 - 30, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_WAIT);
	assert_true(g.until == T0 + 900 + JOB_SETTLE_S);
	assert_contains(g.why, "within guard_s 30 s");
	g = judge(&c, &jc, T0 + 900 - 31, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
}

/* Observed runs: an active run on the old side holds the handoff however
 * long it lasts; a reading from before the fire settled is not believed. */
static void an_observed_active_run_holds_the_handoff(void **state)
{
	(void)state;
	struct cron c = parsed("*/15 * * * *");
	struct job_conf jc = { .guard_s = 30 };
	struct job_gap g = judge(&c, &jc, T0 + 300, 1, T0 + 300, 0.5);
	assert_int_equal(g.state, JOB_GAP_WAIT);
	assert_contains(g.why, "waits for the");
	g = judge(&c, &jc, T0 + 300, 0, T0 + 300, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
	/* Just after a fire, a reading older than the fire says nothing. */
	g = judge(&c, &jc, T0 + 0.5, 0, T0 - 1, 0.5);
	assert_int_equal(g.state, JOB_GAP_WAIT);
	g = judge(&c, &jc, T0 + 1.5, 0, T0 + 1.2, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
}

/* A slow tool widens what the gap must hold: handoff_s, or the longest
 * switch measured. */
static void the_switch_time_counts_against_the_guard(void **state)
{
	(void)state;
	struct cron c = parsed("*/10 * * * * *");	/* seconds: every 10 s */
	struct job_conf jc = { .max_run_s = 2, .guard_s = 2 };
	assert_true(job_gap_switch_s(NULL, &jc, 0) == 0.5);
	assert_true(job_gap_switch_s(NULL, &jc, 3.2) == 3.2);
	struct config cfg = { .router = { .driver = DRIVER_EXEC, .exec_timeout_ms = 5000 } };
	assert_true(job_gap_switch_s(&cfg, &jc, 0) == 5);	/* the tool's timeout */
	assert_true(job_gap_switch_s(&cfg, &jc, 6) == 6);
	struct job_gap g = judge(&c, &jc, T0 + 4, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);	/* 6 s left >= 2.5 */
	g = judge(&c, &jc, T0 + 4, -1, 0, 4.5);
	assert_int_equal(g.state, JOB_GAP_WAIT);	/* 6 s left < 6.5 */
	jc.handoff_s = 7;
	assert_true(job_gap_switch_s(&cfg, &jc, 3.2) == 7);
	g = judge(&c, &jc, T0 + 2, -1, 0, job_gap_switch_s(&cfg, &jc, 0));
	assert_int_equal(g.state, JOB_GAP_NEVER);	/* 10 - 2 - 2 - 7 < 0 */
}

/* A schedule with no fire ahead (Feb 30) is always in a gap. */
static void no_fire_ahead_is_always_open(void **state)
{
	(void)state;
	struct cron c = parsed("0 0 30 2 *");
	struct job_conf jc = { .guard_s = 30 };
	struct job_gap g = judge(&c, &jc, T0, -1, 0, 0.5);
	assert_int_equal(g.state, JOB_GAP_OPEN);
	assert_true(g.next_fire == (time_t)-1);
}

static void ledger_ok_double_missed_pending(void **state)
{
	(void)state;
	struct cron c = parsed("*/10 * * * * *");
	struct job_ledger l;
	job_ledger_init(&l, &c, NULL, 3, T0 - 20.5);
	/* Nothing is seen yet: ticks pass unjudged. */
	job_ledger_advance(&l, T0 - 9);
	assert_int_equal(l.n, 0);
	/* First readings are the base: no run; observing begins. */
	job_ledger_runs(&l, SIDE_BLUE, 7, T0 - 0.4, T0 - 0.4);
	job_ledger_runs(&l, SIDE_GREEN, 2, T0 - 0.4, T0 - 0.4);
	job_ledger_advance(&l, T0 + 0.1);
	assert_int_equal(l.n, 1);
	assert_int_equal(job_ledger_tick(&l, 0)->status, TICK_PENDING);
	job_ledger_runs(&l, SIDE_BLUE, 8, T0 + 0.4, T0 + 0.4);
	assert_int_equal(job_ledger_tick(&l, 0)->status, TICK_OK);
	assert_int_equal(job_ledger_tick(&l, 0)->ran, 1u << SIDE_BLUE);
	/* 12:00:10: both sides. */
	job_ledger_advance(&l, T0 + 10.2);
	job_ledger_runs(&l, SIDE_BLUE, 9, T0 + 10.3, T0 + 10.3);
	job_ledger_runs(&l, SIDE_GREEN, 3, T0 + 10.4, T0 + 10.4);
	assert_int_equal(job_ledger_tick(&l, 1)->status, TICK_DOUBLE);
	assert_int_equal(l.doubles, 1);
	/* 12:00:20: nobody; pending until the tolerance, then missed. */
	job_ledger_advance(&l, T0 + 22);
	assert_int_equal(job_ledger_tick(&l, 2)->status, TICK_PENDING);
	job_ledger_advance(&l, T0 + 23.1);
	assert_int_equal(job_ledger_tick(&l, 2)->status, TICK_MISSED);
	assert_int_equal(l.missed, 1);
	/* A counter that went down (a restart) is a new base, not a run. */
	job_ledger_advance(&l, T0 + 30.1);
	job_ledger_runs(&l, SIDE_GREEN, 0, T0 + 30.2, T0 + 30.2);
	assert_int_equal(job_ledger_tick(&l, 3)->status, TICK_PENDING);
	assert_string_equal(tick_status_name(TICK_DOUBLE), "double");
}

/* A run's own time (a runs URL's last_run) puts it on its tick even when
 * it is read after the next fire. */
static void a_late_reading_with_its_time_lands_on_its_tick(void **state)
{
	(void)state;
	struct cron c = parsed("*/2 * * * * *");
	struct job_ledger l;
	job_ledger_init(&l, &c, NULL, 3, T0 - 0.1);
	job_ledger_runs(&l, SIDE_GREEN, 0, T0 - 0.1, T0 - 0.1);
	job_ledger_advance(&l, T0 + 2.5);
	job_ledger_runs(&l, SIDE_GREEN, 1, T0 + 0.05, T0 + 2.5);
	assert_int_equal(job_ledger_tick(&l, 0)->status, TICK_OK);
	assert_int_equal(job_ledger_tick(&l, 1)->status, TICK_PENDING);
	/* A run read before the clock moved the ledger on still finds its
	 * tick: 12:00:04 is added by the run itself. */
	job_ledger_runs(&l, SIDE_GREEN, 2, T0 + 4.0, T0 + 4.0);
	assert_int_equal(l.n, 3);
	assert_int_equal(job_ledger_tick(&l, 2)->status, TICK_OK);
	/* Runs from before observing began are nobody's. */
	job_ledger_ran(&l, SIDE_BLUE, T0 - 5);
	assert_int_equal(job_ledger_tick(&l, 0)->ran, 1u << SIDE_GREEN);
}

/* The ring keeps the latest JOB_TICKS_KEPT ticks, even across a jump. */
static void the_ledger_keeps_the_latest_ticks(void **state)
{
	(void)state;
	struct cron c = parsed("* * * * * *");
	struct job_ledger l;
	job_ledger_init(&l, &c, NULL, 3, T0 - 0.5);
	job_ledger_runs(&l, SIDE_BLUE, 0, T0 - 0.5, T0 - 0.5);
	job_ledger_advance(&l, T0 + 10000);
	assert_int_equal(l.n, JOB_TICKS_KEPT);
	assert_true(l.next > (time_t)(T0 + 10000));
}

static void runs_times_parse_strictly(void **state)
{
	(void)state;
	assert_true(job_runs_time("2026-12-05T12:00:00Z") == T0);
	assert_true(job_runs_time("2026-12-05T12:00:00.250Z") == T0 + 0.25);
	assert_true(job_runs_time("2026-12-05T13:00:00+01:00") == T0);
	assert_true(job_runs_time("2026-12-05T07:00:00-05:00") == T0);
	assert_true(job_runs_time("2026-12-05 12:00:00Z") < 0);
	assert_true(job_runs_time("2026-12-05T12:00:00") < 0);
	assert_true(job_runs_time("2026-13-05T12:00:00Z") < 0);
	assert_true(job_runs_time("2026-12-05T12:00:00Zjunk") < 0);
	assert_true(job_runs_time("") < 0);
}

/* Wall times in the job's zone, with the date when not today there. */
static void clock_words_are_in_the_jobs_zone(void **state)
{
	(void)state;
	char out[40];
	time_t far = (time_t)T0 - 400 * 86400;
	job_gap_clock(far, T0, "Europe/Berlin", out, sizeof out);
	assert_string_equal(out, "2025-10-31 13:00:00");
	job_gap_clock(far, T0, NULL, out, sizeof out);
	assert_string_equal(out, "2025-10-31 12:00:00");
	job_gap_clock((time_t)T0 + 3600, T0, NULL, out, sizeof out);	/* the judge's today */
	assert_string_equal(out, "13:00:00");
}

/* The jobs thread reads the model's router counters while this thread
 * writes them and reads /v1/jobs: the runs it sees land in the ledger and
 * the job's view (run under ThreadSanitizer by make check). */
static void the_jobs_thread_reads_runs_from_the_model(void **state)
{
	(void)state;
	const char *json = "{\"release\":\"jt\",\"services\":[{\"name\":\"tick\",\"kind\":\"job\","
		"\"schedule\":\"* * * * * *\",\"max_run_s\":1,"
		"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}}]}";
	struct diag_list d;
	diag_list_init(&d);
	struct config *cfg = config_parse("t.json", json, strlen(json), &d);
	diag_list_done(&d);
	assert_non_null(cfg);
	struct model m;
	struct co_error err;
	assert_int_equal(model_init(&m, cfg, &err), 0);
	struct jobs_deps deps = { &m, NULL, NULL, true };
	struct jobs *js = jobs_start(cfg, &deps, &err);
	assert_non_null(js);
	struct side_traffic t = { .known = true };
	for (int k = 0; k < 30; k++) {	/* 3 s: a run a second, on blue */
		t.requests = (uint64_t)(k / 10);
		t.sessions = k % 10 < 3;
		model_set_traffic(&m, 0, SIDE_BLUE, &t);
		struct side_traffic g = { .known = true };
		model_set_traffic(&m, 0, SIDE_GREEN, &g);
		cJSON_Delete(jobs_json(js));
		usleep(100000);
	}
	struct service_state st;
	model_get(&m, 0, &st);
	assert_true(st.job.on);
	assert_int_equal(st.job.source, JOB_SRC_ROUTER);
	assert_true(st.job.next_fire > 0);
	assert_true(st.job.n_recent >= 1);
	bool blue = false;
	for (unsigned i = 0; i < st.job.n_recent; i++)
		blue |= st.job.recent[i].ran == 1u << SIDE_BLUE;
	assert_true(blue);
	assert_int_equal(st.job.doubles, 0);
	jobs_stop(js);
	model_done(&m);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_minute_with_minute_long_runs_is_refused),
		cmocka_unit_test(unobserved_runs_wait_max_run_s_then_the_guard),
		cmocka_unit_test(an_observed_active_run_holds_the_handoff),
		cmocka_unit_test(the_switch_time_counts_against_the_guard),
		cmocka_unit_test(no_fire_ahead_is_always_open),
		cmocka_unit_test(ledger_ok_double_missed_pending),
		cmocka_unit_test(a_late_reading_with_its_time_lands_on_its_tick),
		cmocka_unit_test(the_ledger_keeps_the_latest_ticks),
		cmocka_unit_test(runs_times_parse_strictly),
		cmocka_unit_test(clock_words_are_in_the_jobs_zone),
		cmocka_unit_test(the_jobs_thread_reads_runs_from_the_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
