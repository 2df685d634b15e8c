/* test_rollout: the autopilot walking services through their steps, with
 * no network: the rehearsal router behind a real executor, health set by
 * hand in the model, bakes of tenths of a second. Failing checks are made
 * with real traffic (green's 5xx between two checks), which the gates of a
 * weight change never look at, so a bad window fails exactly one check and
 * never blocks the move itself. */
#include "rollout_fixture.h"

#include "cutover/state_json.h"

#define STEP(w, s) "{\"weight\":" #w ",\"bake_s\":" #s "}"
#define PAUSE "{\"pause\":true}"

/* One bad window: 20 real responses on green, all 5xx. */
static void bad_window(struct fx *f, size_t i)
{
	fx_traffic(f, i, 20, 20);
}

static struct want at(enum rollout_phase p, int step, int failed, int weight)
{
	return (struct want){ p, step, failed, weight };
}

static const cJSON *item(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		fail_msg("no key %s", key);
	return v;
}

/* The service's entry of the status, a copy; *needs: the needs_you array
 * printed ("[\"api\"]"), when given. */
static cJSON *status_of(struct fx *f, const char *name, char *needs, size_t cap)
{
	cJSON *st = rollouts_status_json(f->r), *found = NULL;
	assert_non_null(st);
	for (const cJSON *s = item(st, "services")->child; s; s = s->next)
		if (strcmp(fx_str(s, "service"), name) == 0)
			found = cJSON_Duplicate(s, true);
	if (needs) {
		char *t = cJSON_PrintUnformatted(item(st, "needs_you"));
		snprintf(needs, cap, "%s", t);
		free(t);
	}
	cJSON_Delete(st);
	if (!found)
		fail_msg("%s: not in the status", name);
	return found;
}

/* The entry of an answer's array (services or refused) for name. */
static const cJSON *answer_of(const cJSON *out, const char *arr, const char *name)
{
	for (const cJSON *s = item(out, arr)->child; s; s = s->next)
		if (strcmp(fx_str(s, "service"), name) == 0)
			return s;
	fail_msg("%s: not in %s", name, arr);
	return NULL;
}

static void assert_history(struct fx *f, const int (*want)[2], size_t n)
{
	size_t len = router_rehearsal_history_len(f->rt);
	bool same = len == n;
	char have[256] = "";
	for (size_t k = 0, at = 0; k < len && at < sizeof have; k++) {
		struct rehearsal_change c;
		assert_true(router_rehearsal_history(f->rt, k, &c));
		same = same && c.from == want[k][0] && c.to == want[k][1];
		at += (size_t)snprintf(have + at, sizeof have - at, " %d->%d", c.from, c.to);
	}
	if (!same)
		fail_msg("the router's changes were%s", have);
}

/* --- Walking ------------------------------------------------------------------ */

static void rollout_walks_every_step_to_done_through_5_25_100(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 0.1) "," STEP(25, 0.1) ","
				      STEP(100, 0.1) "]}", SVC("api", "exposed"));
	char ev[512];
	cJSON *out;
	fx_start(f);
	assert_int_equal(fx_control(f, "start", "{\"targets\":[\"api\"]}", &out), 200);
	const cJSON *a = answer_of(out, "services", "api");
	assert_string_equal(fx_str(a, "result"), "started");
	assert_int_equal(fx_num(a, "wave"), 1);
	char *w = cJSON_PrintUnformatted(item(a, "weights"));
	assert_string_equal(w, "[5,25,100]");
	free(w);
	cJSON_Delete(out);

	fx_wait(f, 0, at(ROLLOUT_DONE, 3, 0, 100), 5000);
	static const int moves[][2] = { { 0, 5 }, { 5, 25 }, { 25, 100 } };
	assert_history(f, moves, 3);
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 advancing:2 baking:2 advancing:3 baking:3 done");

	cJSON *started = fx_last(f, "api", "started"), *done = fx_last(f, "api", "done");
	assert_string_equal(fx_str(started, "actor"), "ana@ops1");	/* who asked */
	assert_string_equal(fx_str(done, "actor"), "autopilot");
	assert_int_equal(fx_num(started, "steps"), 3);
	assert_int_equal(fx_num(started, "max_failed_checks"), 3);
	assert_string_equal(fx_str(started, "on_breach"), "rollback");
	assert_int_equal(fx_num(done, "weight"), 100);
	cJSON_Delete(started);
	cJSON_Delete(done);

	char needs[64];
	cJSON *s = status_of(f, "api", needs, sizeof needs);
	assert_string_equal(fx_str(s, "phase"), "done");
	assert_int_equal(fx_num(s, "weight"), 100);
	assert_true(cJSON_IsNull(item(s, "last_failed_check")));
	assert_string_equal(needs, "[]");
	cJSON_Delete(s);
	assert_true(rollouts_checks(f->r) >= 3);	/* a check at least per bake */
}

/* Flagger's threshold: the count runs over the whole rollout, not per step. */
static void failed_checks_count_across_steps_and_breach_at_the_threshold(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"max_failed_checks\":3,\"steps\":[" STEP(5, 0.6) ","
				      STEP(25, 3) "," STEP(100, 3) "]}", SVC("api", "exposed"));
	char ev[512];
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	bad_window(f, 0);
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 1, 25), 3000);	/* the step passed on, the count stays */
	bad_window(f, 0);
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 2, 25), 2000);
	bad_window(f, 0);
	fx_wait(f, 0, at(ROLLOUT_ROLLED_BACK, 2, 3, 0), 2000);

	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 check_failed:1 advancing:2 baking:2 "
				"check_failed:2 check_failed:2 rolled_back:2");
	cJSON *arr = fx_records(f, "api");
	int k = 0;
	for (const cJSON *r = arr->child; r; r = r->next) {
		if (strcmp(fx_str(r, "event"), "check_failed") != 0)
			continue;
		k++;
		assert_int_equal(fx_num(r, "failed_checks"), k);
		assert_int_equal(fx_num(r, "max_failed_checks"), 3);
		assert_string_equal(fx_str(r, "gate"), "green-5xx");
		assert_int_equal(fx_num(r, "weight"), k == 1 ? 5 : 25);
	}
	cJSON_Delete(arr);
	assert_int_equal(k, 3);
}

static void rollback_on_breach_puts_the_weight_back_to_zero_with_figures(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"max_failed_checks\":1,\"steps\":[" STEP(5, 3) ","
				      STEP(100, 0.2) "]}", SVC("api", "exposed"));
	char needs[64];
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	fx_probe(f, 0, HEALTH_DOWN);
	fx_wait(f, 0, at(ROLLOUT_ROLLED_BACK, 1, 1, 0), 2000);
	static const int moves[][2] = { { 0, 5 }, { 5, 0 } };
	assert_history(f, moves, 2);

	cJSON *rb = fx_last(f, "api", "rolled_back");
	assert_non_null(rb);
	assert_int_equal(fx_num(rb, "step"), 1);
	assert_int_equal(fx_num(rb, "from"), 5);
	assert_string_equal(fx_str(rb, "gate"), "green-health");
	assert_non_null(strstr(fx_str(rb, "detail"), "green down"));
	const cJSON *fig = item(rb, "figures");
	assert_int_equal(fx_num(fig, "weight"), 5);
	assert_string_equal(fx_str(fig, "green_health"), "down");
	assert_string_equal(fx_str(fig, "blue_health"), "up");
	assert_string_equal(fx_str(fig, "verdict"), "pass");
	assert_int_equal(fx_num(fig, "green_p95_ms"), 40);
	assert_int_equal(fx_num(fig, "routers_up"), 1);
	assert_int_equal(fx_num(fig, "routers_total"), 1);
	assert_true(cJSON_IsNull(item(fig, "green_5xx_pct")));	/* no real traffic in the window */
	assert_true(cJSON_IsFalse(item(fig, "drift")));
	cJSON_Delete(rb);

	cJSON *s = status_of(f, "api", needs, sizeof needs);
	assert_string_equal(fx_str(s, "phase"), "rolled_back");
	const cJSON *lf = item(s, "last_failed_check");
	assert_string_equal(fx_str(lf, "gate"), "green-health");
	assert_string_equal(fx_str(item(lf, "figures"), "green_health"), "down");
	assert_string_equal(needs, "[]");
	cJSON_Delete(s);
}

static void halt_holds_the_weight_resume_rebakes_from_zero_and_promote_goes_on(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"on_breach\":\"halt\",\"max_failed_checks\":1,\"steps\":["
				      STEP(5, 2) "," STEP(25, 2) "," STEP(100, 2) "]}", SVC("api", "exposed"));
	char needs[64];
	int w;
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	bad_window(f, 0);
	fx_wait(f, 0, at(ROLLOUT_HALTED, 1, 1, 5), 2000);
	fx_sleep_ms(300);
	struct rollout_view v = fx_view(f, 0, &w);
	assert_int_equal(v.phase, ROLLOUT_HALTED);
	assert_int_equal(w, 5);			/* held, not rolled back */
	assert_int_equal(router_rehearsal_history_len(f->rt), 1);

	cJSON *h = fx_last(f, "api", "halted");
	assert_non_null(h);
	assert_string_equal(fx_str(h, "gate"), "green-5xx");
	assert_int_equal(fx_num(h, "weight"), 5);
	assert_int_equal(fx_num(item(h, "figures"), "green_5xx_pct"), 100);
	cJSON_Delete(h);
	cJSON *s = status_of(f, "api", needs, sizeof needs);
	assert_string_equal(needs, "[\"api\"]");
	assert_string_equal(fx_str(item(s, "last_failed_check"), "gate"), "green-5xx");
	cJSON_Delete(s);

	/* Resume: the same step bakes again from zero, the count back to 0. */
	fx_do(f, "resume", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 1000);
	v = fx_view(f, 0, NULL);
	assert_true(v.bake_left_ms >= 1500 && v.bake_left_ms <= 2000);

	/* Halted again; promote accepts it and goes on at once. */
	bad_window(f, 0);
	fx_wait(f, 0, at(ROLLOUT_HALTED, 1, 1, 5), 2000);
	fx_do(f, "promote", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 0, 25), 1000);	/* well before the 2 s bake */
	fx_do(f, "promote", "{\"targets\":[\"api\"],\"full\":true}");
	fx_wait(f, 0, at(ROLLOUT_DONE, 3, 0, 100), 1500);
}

/* marginal fails nothing but holds the step until pass comes back. */
static void marginal_verdict_holds_the_step_without_failing_a_check(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 0.2) "," STEP(100, 0.1) "]}",
			       SVC("api", "exposed"));
	char ev[256];
	int w;
	model_set_verdict(&f->m, 0, VERDICT_MARGINAL, "p95 +12%");
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	fx_sleep_ms(500);	/* the bake ran out long ago */
	for (int k = 0; k < 3; k++) {
		fx_probe(f, 0, HEALTH_UP);
		fx_sleep_ms(60);
	}
	struct rollout_view v = fx_view(f, 0, &w);
	assert_int_equal(v.phase, ROLLOUT_BAKING);
	assert_int_equal(v.step, 1);
	assert_int_equal(v.failed, 0);
	assert_int_equal(v.bake_left_ms, 0);
	assert_int_equal(w, 5);
	model_set_verdict(&f->m, 0, VERDICT_PASS, "");
	fx_wait(f, 0, at(ROLLOUT_DONE, 2, 0, 100), 2000);
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 advancing:2 baking:2 done");
}

static void pause_step_waits_until_promote_and_full_skips_every_bake_and_pause_left(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 0.2) "," PAUSE "," STEP(25, 5) ","
				      PAUSE "," STEP(100, 5) "]}", SVC("api", "exposed"));
	char ev[512], needs[64];
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_WAITING, 2, 0, 5), 3000);
	fx_sleep_ms(300);
	int w;
	struct rollout_view v = fx_view(f, 0, &w);
	assert_int_equal(v.phase, ROLLOUT_WAITING);
	assert_int_equal(v.bake_left_ms, -1);
	assert_int_equal(w, 5);
	cJSON *s = status_of(f, "api", needs, sizeof needs);
	assert_string_equal(needs, "[\"api\"]");
	assert_true(cJSON_IsNull(item(s, "bake_left_s")));
	cJSON_Delete(s);

	fx_do(f, "promote", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 3, 0, 25), 1500);
	fx_do(f, "promote", "{\"targets\":[\"api\"],\"full\":true}");
	fx_wait(f, 0, at(ROLLOUT_DONE, 5, 0, 100), 1500);	/* two 5 s bakes and a pause skipped */
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 waiting:2 promoted advancing:3 baking:3 "
				"promoted advancing:5 baking:5 done");
	cJSON *arr = fx_records(f, "api");
	int k = 0;
	for (const cJSON *r = arr->child; r; r = r->next)
		if (strcmp(fx_str(r, "event"), "promoted") == 0) {
			assert_true(k++ == 0 ? cJSON_IsFalse(item(r, "full")) : cJSON_IsTrue(item(r, "full")));
			assert_string_equal(fx_str(r, "actor"), "ana@ops1");
		}
	cJSON_Delete(arr);
	assert_int_equal(k, 2);
}

static void pause_stops_the_bake_clock_and_resume_restarts_it(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 3) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed"));
	cJSON *out;
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	fx_sleep_ms(200);
	fx_do(f, "pause", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_PAUSED, 1, 0, 5), 1000);
	int left = fx_view(f, 0, NULL).bake_left_ms;
	assert_true(left > 0 && left < 3000);
	fx_sleep_ms(500);
	assert_int_equal(fx_view(f, 0, NULL).bake_left_ms, left);

	assert_int_equal(fx_control(f, "pause", "{\"targets\":[\"api\"]}", &out), 409);
	assert_string_equal(fx_str(answer_of(out, "refused", "api"), "detail"), "paused already");
	cJSON_Delete(out);
	assert_int_equal(fx_control(f, "promote", "{\"targets\":[\"api\"]}", &out), 409);
	assert_string_equal(fx_str(answer_of(out, "refused", "api"), "detail"), "paused: resume first");
	cJSON_Delete(out);

	fx_do(f, "resume", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 1000);
	fx_sleep_ms(500);
	int after = fx_view(f, 0, NULL).bake_left_ms;
	assert_true(after <= left - 300 && after > 0);
	char ev[256];
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 paused resumed");
}

static void abort_goes_back_to_zero_and_refuses_where_no_rollout_runs(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 3) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed") "," SVC("web", "exposed"));
	cJSON *out;
	char ev[256];
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);

	assert_int_equal(fx_control(f, "abort", "{\"targets\":[\"web\"]}", &out), 409);
	assert_string_equal(fx_str(answer_of(out, "refused", "web"), "detail"), "no rollout running");
	assert_int_equal(cJSON_GetArraySize(item(out, "services")), 0);
	cJSON_Delete(out);

	assert_int_equal(fx_control(f, "abort", "{\"targets\":[\"api\",\"web\"]}", &out), 200);
	assert_string_equal(fx_str(answer_of(out, "services", "api"), "result"), "aborted");
	assert_string_equal(fx_str(answer_of(out, "refused", "web"), "result"), "refused");
	cJSON_Delete(out);
	fx_wait(f, 0, at(ROLLOUT_ROLLED_BACK, 1, 0, 0), 2000);
	static const int moves[][2] = { { 0, 5 }, { 5, 0 } };
	assert_history(f, moves, 2);
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 aborted rolled_back:1");
	cJSON *ab = fx_last(f, "api", "aborted");
	assert_string_equal(fx_str(ab, "actor"), "ana@ops1");
	cJSON_Delete(ab);

	assert_int_equal(fx_control(f, "abort", "{\"targets\":[\"api\"]}", &out), 409);
	cJSON_Delete(out);
	assert_int_equal(fx_view(f, fx_svc(f, "web"), NULL).phase, ROLLOUT_NONE);
}

static void weight_moved_by_hand_halts_a_baking_rollout(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 3) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed"));
	struct co_error err = { "" };
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	assert_int_equal(model_set_weight(&f->m, 0, 40, &err), 0);	/* a hand on the router */
	fx_wait(f, 0, at(ROLLOUT_HALTED, 1, 0, 40), 1000);
	cJSON *h = fx_last(f, "api", "halted");
	assert_non_null(h);
	assert_string_equal(fx_str(h, "gate"), "weight-moved");
	assert_non_null(strstr(fx_str(h, "detail"), "40%"));
	assert_non_null(strstr(fx_str(h, "detail"), "5%"));
	cJSON_Delete(h);
	fx_sleep_ms(300);
	int w;
	assert_int_equal(fx_view(f, 0, &w).phase, ROLLOUT_HALTED);
	assert_int_equal(w, 40);
	assert_int_equal(router_rehearsal_history_len(f->rt), 1);	/* nothing moved it back */
}

/* --- Waves ----------------------------------------------------------------- */

static void jobs_go_first_and_the_exposed_wave_starts_when_the_job_is_done(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(50, 0.1) "," STEP(100, 0.3) "]}",
			       SVC("api", "exposed") "," SVC("nightly", "job"));
	size_t api = fx_svc(f, "api"), job = fx_svc(f, "nightly");
	cJSON *out;
	fx_start(f);
	assert_int_equal(fx_control(f, "start", "{\"targets\":[\"api\",\"nightly\"]}", &out), 200);
	assert_int_equal(fx_num(answer_of(out, "services", "nightly"), "wave"), 1);
	assert_int_equal(fx_num(answer_of(out, "services", "api"), "wave"), 2);
	cJSON_Delete(out);

	fx_wait(f, job, at(ROLLOUT_BAKING, 1, 0, 100), 3000);	/* a job: one step to 100 */
	int w;
	struct rollout_view v = fx_view(f, api, &w);
	assert_int_equal(v.phase, ROLLOUT_PENDING);
	assert_int_equal(v.wave, 2);
	assert_int_equal(w, 0);
	fx_wait(f, job, at(ROLLOUT_DONE, 1, 0, 100), 3000);
	fx_wait(f, api, at(ROLLOUT_DONE, 2, 0, 100), 3000);

	cJSON *arr = fx_records(f, NULL);
	int k = 0, job_done = -1, api_first = -1;
	for (const cJSON *r = arr->child; r; r = r->next, k++) {
		const char *ev = fx_str(r, "event"), *svc = fx_str(r, "service");
		if (strcmp(svc, "nightly") == 0 && strcmp(ev, "done") == 0)
			job_done = k;
		if (strcmp(svc, "api") == 0 && strcmp(ev, "started") != 0 && api_first < 0)
			api_first = k;
	}
	cJSON_Delete(arr);
	assert_true(job_done >= 0 && api_first > job_done);
}

static void parallel_two_never_has_more_than_two_services_changing(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"parallel\":2,\"steps\":[" STEP(50, 0.1) "," STEP(100, 0.1) "]}",
			       SVC("s1", "exposed") "," SVC("s2", "exposed") "," SVC("s3", "exposed") ","
			       SVC("s4", "exposed") "," SVC("s5", "exposed"));
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"s1\",\"s2\",\"s3\",\"s4\",\"s5\"]}");
	for (size_t i = 0; i < 5; i++)
		fx_wait(f, i, at(ROLLOUT_DONE, 2, 0, 100), 6000);

	/* In flight: from a service's first "advancing" to its "done". */
	cJSON *arr = fx_records(f, NULL);
	bool begun[5] = { false };
	int now = 0, most = 0, done = 0;
	for (const cJSON *r = arr->child; r; r = r->next) {
		const char *ev = fx_str(r, "event");
		size_t i = fx_svc(f, fx_str(r, "service"));
		if (strcmp(ev, "started") == 0)
			assert_int_equal(fx_num(r, "parallel"), 2);
		if (strcmp(ev, "advancing") == 0 && !begun[i]) {
			begun[i] = true;
			now++;
		} else if (strcmp(ev, "done") == 0) {
			now--;
			done++;
		}
		most = now > most ? now : most;
	}
	cJSON_Delete(arr);
	assert_int_equal(done, 5);
	assert_int_equal(most, 2);
}

/* --- Restarts ---------------------------------------------------------------- */

static void restart_resumes_a_bake_with_the_time_it_had_left(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 2.5) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed"));
	char ev[256];
	cJSON *out;
	fx_start(f);
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 3000);
	for (int t = 0; fx_view(f, 0, NULL).bake_left_ms > 1000; t += 10) {
		assert_true(t < 3000);
		fx_sleep_ms(10);
	}
	cJSON *before = fx_last(f, "api", "baking");
	char bake_id[64];
	snprintf(bake_id, sizeof bake_id, "%s", fx_str(before, "bake_id"));
	cJSON_Delete(before);
	assert_true(bake_id[0] != '\0');

	rollouts_stop(f->r);	/* stopped, not freed: the handle still answers */
	assert_int_equal(fx_control(f, "pause", "{\"targets\":[\"api\"]}", &out), 503);
	cJSON_Delete(out);
	fx_stop(f);
	/* The model keeps the view the stopped rollouts left: wipe it, so
	 * the wait below sees what the new ones publish. */
	struct rollout_view none = { .bake_left_ms = -1 };
	model_set_rollout(&f->m, 0, &none);
	fx_start(f);	/* the same journal, clock file and router */
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 1000);
	int left = fx_view(f, 0, NULL).bake_left_ms;
	/* The clock is saved once a second: up to a second of bake is lost,
	 * never all of it, and never more than it had. */
	assert_true(left >= 300 && left <= 2300);
	cJSON *again = fx_last(f, "api", "baking");
	assert_string_equal(fx_str(again, "bake_id"), bake_id);
	double resumed = fx_num(again, "resumed_s");
	assert_true(resumed >= 0.3 && resumed <= 2.3);
	cJSON_Delete(again);
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 baking:1");
	assert_int_equal(router_rehearsal_history_len(f->rt), 1);
	fx_do(f, "promote", "{\"targets\":[\"api\"]}");
	fx_wait(f, 0, at(ROLLOUT_DONE, 2, 0, 100), 2000);
}

/* A crash between "advancing" and the change's end: the journal says no
 * more than that it was going from 5 to 25. */
static struct fx *crashed_mid_change(void **state, int router_weight)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 0.3) "," STEP(25, 3) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed"));
	struct co_error err = { "" };
	fx_append(f, "{\"event\":\"started\",\"service\":\"api\",\"run\":\"r-test-1\",\"wave\":1,\"parallel\":1,"
		     "\"steps\":3,\"weights\":[5,25,100],\"max_failed_checks\":3,\"on_breach\":\"rollback\","
		     "\"release_plan\":false}");
	fx_append(f, "{\"event\":\"advancing\",\"service\":\"api\",\"step\":1,\"steps\":3,\"from\":0,\"to\":5}");
	fx_append(f, "{\"event\":\"baking\",\"service\":\"api\",\"step\":1,\"steps\":3,\"weight\":5,"
		     "\"bake_s\":0.3,\"bake_id\":\"0-test-1\"}");
	fx_append(f, "{\"event\":\"advancing\",\"service\":\"api\",\"step\":2,\"steps\":3,\"from\":5,\"to\":25}");
	assert_int_equal(model_set_weight(&f->m, 0, router_weight, &err), 0);
	fx_start(f);
	return f;
}

static void restart_after_a_change_that_landed_bakes_that_step_again_from_zero(void **state)
{
	struct fx *f = crashed_mid_change(state, 25);
	char ev[256];
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 0, 25), 1000);
	assert_true(fx_view(f, 0, NULL).bake_left_ms >= 2600);
	cJSON *b = fx_last(f, "api", "baking");
	assert_int_equal(fx_num(b, "step"), 2);
	assert_int_equal(fx_num(b, "weight"), 25);
	assert_true(fx_num(b, "resumed_s") == 3);	/* the whole bake again */
	assert_string_not_equal(fx_str(b, "bake_id"), "0-test-1");
	cJSON_Delete(b);
	fx_sleep_ms(400);
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 0, 25), 0);
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 advancing:2 baking:2");
	assert_int_equal(router_rehearsal_history_len(f->rt), 0);	/* nothing was applied again */
}

static void restart_after_a_change_that_did_not_land_bakes_the_step_before(void **state)
{
	struct fx *f = crashed_mid_change(state, 5);
	char ev[256];
	fx_wait(f, 0, at(ROLLOUT_BAKING, 1, 0, 5), 1000);
	cJSON *b = fx_last(f, "api", "baking");
	assert_int_equal(fx_num(b, "step"), 1);
	assert_true(fx_num(b, "resumed_s") == 0.3);
	cJSON_Delete(b);
	fx_wait(f, 0, at(ROLLOUT_BAKING, 2, 0, 25), 2000);	/* then on, as if nothing happened */
	fx_events(f, "api", "", ev, sizeof ev);
	assert_string_equal(ev, "started advancing:1 baking:1 advancing:2 baking:1 advancing:2 baking:2");
	static const int moves[][2] = { { 0, 25 } };	/* the rehearsal table never saw the 5 */
	assert_history(f, moves, 1);
}

/* --- Requests and views -------------------------------------------------------- */

static void start_dry_run_says_what_would_start_and_starts_nothing(void **state)
{
	struct fx *f = fx_open(state, "\"rollout\":{\"steps\":[" STEP(5, 3) "," STEP(100, 0.2) "]}",
			       SVC("api", "exposed") "," SVC("nightly", "job"));
	cJSON *out;
	fx_start(f);
	assert_int_equal(fx_control(f, "start", "{\"plan\":true,\"dry_run\":true}", &out), 200);
	assert_true(cJSON_IsTrue(item(out, "dry_run")));
	assert_string_equal(fx_str(answer_of(out, "services", "api"), "result"), "would start");
	assert_int_equal(fx_num(answer_of(out, "services", "nightly"), "wave"), 1);
	assert_int_equal(fx_num(answer_of(out, "services", "api"), "wave"), 2);
	cJSON_Delete(out);
	fx_sleep_ms(200);
	cJSON *arr = fx_records(f, NULL);
	assert_int_equal(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	cJSON *st = rollouts_status_json(f->r);
	assert_int_equal(cJSON_GetArraySize(item(st, "services")), 0);
	cJSON_Delete(st);

	/* Started for real, a second start is refused. */
	fx_do(f, "start", "{\"targets\":[\"api\"]}");
	assert_int_equal(fx_control(f, "start", "{\"targets\":[\"api\"]}", &out), 409);
	assert_string_equal(fx_str(answer_of(out, "refused", "api"), "detail"),
			    "a rollout is running for it already");
	cJSON_Delete(out);
	assert_int_equal(fx_control(f, "start", "{\"targets\":[\"nope\"]}", &out), 400);
	cJSON_Delete(out);
}

static void request_parse_names_the_path_of_every_error(void **state)
{
	static const struct {
		const char *action, *body, *want;
	} bad[] = {
		{ "launch", "{\"targets\":[\"api\"]}", "launch: no such rollout action" },
		{ "start", "{\"targets\":[\"api\"],\"force\":true}", "force: unknown key" },
		{ "start", "{\"targets\":[\"api\"],\"targets\":[\"web\"]}", "targets: given twice" },
		{ "promote", "{\"targets\":[\"api\"],\"full\":true,\"full\":false}", "full: given twice" },
		{ "pause", "{\"targets\":[\"api\"],\"plan\":true}", "plan: only start" },
		{ "pause", "{\"plan\":true}", "plan: only start" },
		{ "start", "{\"targets\":[\"api\"],\"full\":true}", "full: only promote" },
		{ "resume", "{\"targets\":[\"api\"],\"dry_run\":true}", "dry_run: only start" },
		{ "start", "{}", "targets: give service names and @groups, or plan: true" },
		{ "abort", "{}", "targets: give service names and @groups" },
		{ "promote", "{\"targets\":[]}", "targets: give service names" },
		{ "start", "{\"plan\":true,\"targets\":[\"api\"]}", "targets: " },
		{ "start", "{\"targets\":\"api\"}", "targets: expected an array" },
		{ "start", "{\"targets\":[\"api\",7]}", "targets[1]: expected" },
		{ "start", "{\"targets\":[\"api\"],\"dry_run\":\"yes\"}", "dry_run: expected true or false" },
		{ "promote", "{\"targets\":[\"api\"],\"full\":1}", "full: expected true or false" },
		{ "start", "{\"plan\":null}", "plan: expected true or false" },
		{ "start", "[\"api\"]", "body: expected a JSON object" },
		{ "start", "{\"targets\":[\"api\"]} x", "body: unexpected bytes" },
		{ "start", "{\"targets\":[\"api\"", "body: malformed JSON" },
	};
	struct rollout_request rq;
	struct co_error err;
	(void)state;
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		memset(&err, 0, sizeof err);
		int rc = rollout_request_parse(bad[k].action, bad[k].body, strlen(bad[k].body), &rq, &err);
		if (rc != -1 || strncmp(err.msg, bad[k].want, strlen(bad[k].want)) != 0)
			fail_msg("%s %s: rc %d, \"%s\", want \"%s...\"", bad[k].action, bad[k].body, rc, err.msg,
				 bad[k].want);
		assert_null(rq.targets);	/* nothing left to free */
		assert_int_equal(rq.n_targets, 0);
	}

	const char *body = "{\"plan\":true,\"dry_run\":true}";
	assert_int_equal(rollout_request_parse("start", body, strlen(body), &rq, &err), 0);
	assert_int_equal(rq.action, ROLLOUT_START);
	assert_true(rq.plan && rq.dry_run && !rq.full);
	assert_int_equal(rq.n_targets, 0);
	rollout_request_done(&rq);
	body = "{\"targets\":[\"api\",\"@front\"],\"full\":true}";
	assert_int_equal(rollout_request_parse("promote", body, strlen(body), &rq, &err), 0);
	assert_int_equal(rq.action, ROLLOUT_PROMOTE);
	assert_true(rq.full && !rq.plan);
	assert_int_equal(rq.n_targets, 2);
	assert_string_equal(rq.targets[1], "@front");
	rollout_request_done(&rq);
	body = "{\"targets\":[\"api\"],\"plan\":false}";
	assert_int_equal(rollout_request_parse("pause", body, strlen(body), &rq, &err), 0);
	assert_int_equal(rq.action, ROLLOUT_PAUSE);
	rollout_request_done(&rq);
	rollout_request_done(&rq);	/* twice: a no-op */
	for (int a = ROLLOUT_START; a <= ROLLOUT_PROMOTE; a++) {
		body = "{\"targets\":[\"api\"]}";
		assert_int_equal(rollout_request_parse(rollout_action_name((enum rollout_action)a), body,
						       strlen(body), &rq, &err), 0);
		assert_int_equal(rq.action, a);
		rollout_request_done(&rq);
	}
	for (int p = ROLLOUT_NONE; p <= ROLLOUT_PAUSED; p++)
		assert_int_equal(rollout_phase_parse(rollout_phase_name((enum rollout_phase)p)), p);
	assert_int_equal(rollout_phase_parse("cooking"), -1);
}

static void assert_views_equal(const struct rollout_view *a, const struct rollout_view *b)
{
	assert_int_equal(a->phase, b->phase);
	assert_int_equal(a->step, b->step);
	assert_int_equal(a->steps, b->steps);
	assert_int_equal(a->moving, b->moving);
	assert_int_equal(a->failed, b->failed);
	assert_int_equal(a->max_failed, b->max_failed);
	assert_int_equal(a->wave, b->wave);
	assert_int_equal(a->bake_left_ms, b->bake_left_ms);
	assert_string_equal(a->last_check, b->last_check);
}

/* The view through state_service_json and back, as a client rebuilds it. */
static void round_trip(struct fx *f, const struct rollout_view *v, struct rollout_view *back)
{
	struct service_state out;
	struct co_error err = { "" };
	model_set_rollout(&f->m, 0, v);
	assert_true(model_snapshot(&f->m, &f->snap) >= 0);
	cJSON *o = state_service_json(&f->snap, 0, true);
	memset(&out, 0, sizeof out);
	out.rollout.phase = ROLLOUT_DONE;	/* a stale view must not survive */
	if (state_service_from_json(o, &out, &err) < 0)
		fail_msg("state_service_from_json: %s", err.msg);
	cJSON_Delete(o);
	*back = out.rollout;
}

static void state_json_round_trip_keeps_the_rollout_view(void **state)
{
	struct fx *f = fx_open(state, "", SVC("api", "exposed"));
	struct rollout_view v, back;
	memset(&v, 0, sizeof v);
	v.phase = ROLLOUT_HALTED;
	v.step = 2;
	v.steps = 4;
	v.moving = true;
	v.failed = 3;
	v.max_failed = 3;
	v.wave = 2;
	v.bake_left_ms = 1200;
	snprintf(v.last_check, sizeof v.last_check, "green-5xx: real traffic: green answered 100.0%% 5xx");
	round_trip(f, &v, &back);
	assert_views_equal(&v, &back);

	/* Every phase, and no bake at all. */
	v.bake_left_ms = -1;
	v.last_check[0] = '\0';
	for (int p = ROLLOUT_PENDING; p <= ROLLOUT_PAUSED; p++) {
		v.phase = (uint8_t)p;
		v.moving = p % 2;
		round_trip(f, &v, &back);
		assert_views_equal(&v, &back);
	}
	/* Every bake left the rollouts publish (whole 100 ms) up to ten
	 * minutes, exactly (rollout_from_json rounds, never truncates). */
	v.phase = ROLLOUT_BAKING;
	for (int32_t ms = 0; ms <= 600 * 1000; ms += 100) {
		v.bake_left_ms = ms;
		round_trip(f, &v, &back);
		if (back.bake_left_ms != ms)
			fail_msg("bake_left_ms %d came back as %d", (int)ms, (int)back.bake_left_ms);
	}
	/* No rollout: none comes back, whatever the client held before. */
	memset(&v, 0, sizeof v);
	v.bake_left_ms = -1;
	round_trip(f, &v, &back);
	assert_int_equal(back.phase, ROLLOUT_NONE);
	assert_int_equal(back.bake_left_ms, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rollout_walks_every_step_to_done_through_5_25_100, fx_teardown),
		cmocka_unit_test_teardown(failed_checks_count_across_steps_and_breach_at_the_threshold, fx_teardown),
		cmocka_unit_test_teardown(rollback_on_breach_puts_the_weight_back_to_zero_with_figures, fx_teardown),
		cmocka_unit_test_teardown(halt_holds_the_weight_resume_rebakes_from_zero_and_promote_goes_on,
					  fx_teardown),
		cmocka_unit_test_teardown(marginal_verdict_holds_the_step_without_failing_a_check, fx_teardown),
		cmocka_unit_test_teardown(pause_step_waits_until_promote_and_full_skips_every_bake_and_pause_left,
					  fx_teardown),
		cmocka_unit_test_teardown(pause_stops_the_bake_clock_and_resume_restarts_it, fx_teardown),
		cmocka_unit_test_teardown(abort_goes_back_to_zero_and_refuses_where_no_rollout_runs, fx_teardown),
		cmocka_unit_test_teardown(weight_moved_by_hand_halts_a_baking_rollout, fx_teardown),
		cmocka_unit_test_teardown(jobs_go_first_and_the_exposed_wave_starts_when_the_job_is_done,
					  fx_teardown),
		cmocka_unit_test_teardown(parallel_two_never_has_more_than_two_services_changing, fx_teardown),
		cmocka_unit_test_teardown(restart_resumes_a_bake_with_the_time_it_had_left, fx_teardown),
		cmocka_unit_test_teardown(restart_after_a_change_that_landed_bakes_that_step_again_from_zero,
					  fx_teardown),
		cmocka_unit_test_teardown(restart_after_a_change_that_did_not_land_bakes_the_step_before,
					  fx_teardown),
		cmocka_unit_test_teardown(start_dry_run_says_what_would_start_and_starts_nothing, fx_teardown),
		cmocka_unit_test(request_parse_names_the_path_of_every_error),
		cmocka_unit_test_teardown(state_json_round_trip_keeps_the_rollout_view, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
