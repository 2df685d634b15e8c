/* Config: rollouts (release-wide, per group, per service), release plans
 * and alerts — their defaults, their layering, and every validation error
 * with its place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cutover/config.h"

#define SVC(name, kind, group) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\",\"group\":\"" group "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/" name "/blue\"}," \
	"\"green\":{\"health\":\"http://127.0.0.1:1/" name "/green\"}"

/* Line 2 holds the sections under test; each service's own "rollout", if
 * any, ends its line (lines 4 to 8). Indices: web 0, api 1, billing 2,
 * search 3, hourly 4. */
#define TEMPLATE \
	"{\"release\": \"r\",\n" \
	" %s%s\n" \
	" \"services\": [\n" \
	"  " SVC("web", "exposed", "front") "%s%s},\n" \
	"  " SVC("api", "exposed", "payments") "%s%s},\n" \
	"  " SVC("billing", "job", "payments") "%s%s},\n" \
	"  " SVC("search", "exposed", "") "%s%s},\n" \
	"  " SVC("hourly", "job", "jobs-hourly") "%s%s}]}\n"

enum { WEB, API, BILLING, SEARCH, HOURLY, N_SVC };

static char text[16384];

/* sections: top-level members without the trailing comma ("" for none);
 * own: each service's own rollout object, or NULL. */
static struct config *load_own(struct diag_list *d, const char *sections, const char *const own[N_SVC])
{
	const char *k[N_SVC], *v[N_SVC];
	for (int i = 0; i < N_SVC; i++) {
		k[i] = own && own[i] ? ",\"rollout\":" : "";
		v[i] = own && own[i] ? own[i] : "";
	}
	snprintf(text, sizeof(text), TEMPLATE, sections, *sections ? "," : "",
		 k[0], v[0], k[1], v[1], k[2], v[2], k[3], v[3], k[4], v[4]);
	diag_list_init(d);
	return config_parse("t.json", text, strlen(text), d);
}

static struct config *load(struct diag_list *d, const char *sections)
{
	return load_own(d, sections, NULL);
}

static void dump(const struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  have %d:%d %s: %s\n", d->items[i].line, d->items[i].col,
			d->items[i].path, d->items[i].msg);
}

static struct config *load_ok(struct diag_list *d, const char *sections, const char *const own[N_SVC])
{
	struct config *cfg = load_own(d, sections, own);
	if (!cfg)
		dump(d);
	assert_non_null(cfg);
	return cfg;
}

static size_t count_at(const struct diag_list *d, const char *path)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += strcmp(d->items[i].path, path) == 0;
	return n;
}

/* Asserts a diagnostic at path containing msg, placed where the needle
 * (unique in the text; NULL: any place) starts. */
static void expect_at(const struct diag_list *d, const char *path, const char *msg,
		      const char *needle)
{
	int line = 1, col = 1;
	if (needle) {
		const char *at = strstr(text, needle);
		assert_non_null(at);
		assert_null(strstr(at + 1, needle));
		for (const char *p = text; p < at; p++, col++)
			if (*p == '\n') {
				line++;
				col = 0;
			}
	}
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].path, path) == 0 && strstr(d->items[i].msg, msg) &&
		    (!needle || (d->items[i].line == line && d->items[i].col == col)))
			return;
	dump(d);
	fail_msg("no diagnostic at %d:%d '%s' containing '%s'", line, col, path, msg);
}

static void rejected_at(const char *sections, const char *const own[N_SVC], const char *path,
			const char *msg, const char *needle)
{
	struct diag_list d;
	assert_null(load_own(&d, sections, own));
	expect_at(&d, path, msg, needle);
	diag_list_done(&d);
}

static void assert_step(const struct rollout_step *s, int weight, int bake_ms, bool pause)
{
	assert_int_equal(s->weight, weight);
	assert_int_equal(s->bake_ms, bake_ms);
	assert_int_equal(s->pause, pause);
}

/* --- Rollouts --------------------------------------------------------- */

static void without_a_section_every_service_walks_the_top_level_steps(void **state)
{
	struct diag_list d;
	struct config *cfg = load_ok(&d, "\"steps\": [10, 50, 100]", NULL);
	const struct rollout_conf *rc = &cfg->rollout;
	assert_int_equal(rc->n_steps, 3);
	assert_step(&rc->steps[0], 10, 60000, false);
	assert_step(&rc->steps[2], 100, 60000, false);
	assert_int_equal(rc->bake_ms, 60000);
	assert_int_equal(rc->max_failed_checks, 3);
	assert_int_equal(rc->on_breach, BREACH_ROLLBACK);
	assert_int_equal(rc->parallel, 1);
	assert_int_equal(cfg->services[WEB].rollout.n_steps, 3);
	assert_step(&cfg->services[SEARCH].rollout.steps[1], 50, 60000, false);
	assert_int_equal(cfg->services[BILLING].rollout.n_steps, 1);
	assert_step(&cfg->services[BILLING].rollout.steps[0], 100, 60000, false);
	assert_false(cfg->plan.configured);
	assert_true(cfg->plan.jobs_first);
	assert_int_equal(cfg->n_alerts, 0);
	for (size_t g = 0; g < cfg->n_groups; g++)
		assert_false(cfg->groups[g].has_rollout);
	config_free(cfg);
	diag_list_done(&d);

	cfg = load_ok(&d, "", NULL);	/* no steps either: 1, 5, 25, 50, 100 */
	assert_int_equal(cfg->services[API].rollout.n_steps, 5);
	assert_step(&cfg->services[API].rollout.steps[0], 1, 60000, false);
	config_free(cfg);
	diag_list_done(&d);
}

static void steps_mix_plain_weights_objects_and_pauses(void **state)
{
	struct diag_list d;
	struct config *cfg = load_ok(&d,
		"\"rollout\": {\"steps\": [5, {\"weight\": 25, \"bake_s\": 300}, {\"pause\": true},"
		" {\"weight\": 100, \"bake_s\": 0.5}], \"bake_s\": 2, \"max_failed_checks\": 7,"
		" \"on_breach\": \"halt\", \"parallel\": 5}", NULL);
	const struct rollout_conf *rc = &cfg->services[WEB].rollout;
	assert_int_equal(rc->n_steps, 4);
	assert_step(&rc->steps[0], 5, 2000, false);
	assert_step(&rc->steps[1], 25, 300000, false);
	assert_step(&rc->steps[2], 0, 0, true);
	assert_step(&rc->steps[3], 100, 500, false);
	assert_int_equal(rc->bake_ms, 2000);
	assert_int_equal(rc->max_failed_checks, 7);
	assert_int_equal(rc->on_breach, BREACH_HALT);
	assert_int_equal(rc->parallel, 5);
	assert_int_equal(cfg->rollout.n_steps, 4);
	config_free(cfg);
	diag_list_done(&d);

	/* A pause may come first (a go-ahead before any traffic) or last. */
	cfg = load_ok(&d, "\"rollout\": {\"steps\": [{\"pause\": true}, 50, 100, {\"pause\": true}]}", NULL);
	assert_step(&cfg->rollout.steps[0], 0, 0, true);
	assert_step(&cfg->rollout.steps[3], 0, 0, true);
	config_free(cfg);
	diag_list_done(&d);
}

static void release_group_and_service_layer_key_by_key(void **state)
{
	const char *own[N_SVC] = {
		[API] = "{\"parallel\": 4, \"steps\": [50, {\"weight\": 100, \"bake_s\": 30}]}"
	};
	struct diag_list d;
	struct config *cfg = load_ok(&d,
		"\"rollout\": {\"steps\": [10, 100], \"bake_s\": 1, \"max_failed_checks\": 5},"
		" \"groups\": {\"payments\": {\"rollout\": {\"bake_s\": 2, \"on_breach\": \"halt\"}},"
		" \"front\": {\"rollout\": {\"steps\": [1, 100]}}}", own);
	const struct rollout_conf *api = &cfg->services[API].rollout;
	assert_int_equal(api->n_steps, 2);
	assert_step(&api->steps[0], 50, 2000, false);	/* the group's bake */
	assert_step(&api->steps[1], 100, 30000, false);
	assert_int_equal(api->max_failed_checks, 5);	/* the release's */
	assert_int_equal(api->on_breach, BREACH_HALT);	/* the group's */
	assert_int_equal(api->parallel, 4);		/* its own */
	const struct rollout_conf *web = &cfg->services[WEB].rollout;
	assert_int_equal(web->n_steps, 2);		/* the group's list, whole */
	assert_step(&web->steps[0], 1, 1000, false);
	assert_int_equal(web->on_breach, BREACH_ROLLBACK);
	const struct rollout_conf *search = &cfg->services[SEARCH].rollout;
	assert_step(&search->steps[0], 10, 1000, false);
	assert_int_equal(search->parallel, 1);
	assert_step(&cfg->rollout.steps[0], 10, 1000, false);
	assert_true(cfg->groups[config_find_group(cfg, "payments")].has_rollout);
	assert_true(cfg->groups[config_find_group(cfg, "front")].has_rollout);
	assert_false(cfg->groups[config_find_group(cfg, "jobs-hourly")].has_rollout);
	config_free(cfg);
	diag_list_done(&d);
}

static void a_job_gets_one_step_to_100_with_its_last_steps_bake(void **state)
{
	const char *own[N_SVC] = {
		[BILLING] = "{\"steps\": [{\"weight\": 100, \"bake_s\": 2}]}",
		[HOURLY] = "{\"bake_s\": 3}",
	};
	struct diag_list d;
	struct config *cfg = load_ok(&d,
		"\"rollout\": {\"steps\": [5, {\"weight\": 100, \"bake_s\": 90}]},"
		" \"groups\": {\"jobs-hourly\": {\"rollout\": {\"steps\": [20, 100]}}}", own);
	assert_int_equal(cfg->services[BILLING].rollout.n_steps, 1);
	assert_step(&cfg->services[BILLING].rollout.steps[0], 100, 2000, false);
	/* The group's plain 100, baked as the service's own bake_s says. */
	assert_int_equal(cfg->services[HOURLY].rollout.n_steps, 1);
	assert_step(&cfg->services[HOURLY].rollout.steps[0], 100, 3000, false);
	assert_int_equal(cfg->services[API].rollout.n_steps, 2);
	config_free(cfg);
	diag_list_done(&d);

	cfg = load_ok(&d, "\"rollout\": {\"steps\": [5, {\"weight\": 100, \"bake_s\": 90}]}", NULL);
	assert_step(&cfg->services[BILLING].rollout.steps[0], 100, 90000, false);
	config_free(cfg);
	diag_list_done(&d);
}

static void a_job_with_steps_of_its_own_is_named(void **state)
{
	const char *own[N_SVC] = { [BILLING] = "{\"steps\": [50, 100]}" };
	rejected_at("", own, "services[2].rollout.steps",
		    "'billing' is a job: it moves 0 or 100 only", "[50, 100]");
	const char *pause[N_SVC] = { [HOURLY] = "{\"steps\": [{\"pause\": true}, 100]}" };
	rejected_at("", pause, "services[4].rollout.steps", "it moves 0 or 100 only", "[{\"pause");
}

static void steps_must_rise_end_at_100_and_not_pause_twice(void **state)
{
	rejected_at("\"rollout\": {\"steps\": [5, 50, 25, 100]}", NULL, "rollout.steps[2]",
		    "strictly rising (25 after 50)", "25, 100]");
	rejected_at("\"rollout\": {\"steps\": [5, 50]}", NULL, "rollout.steps",
		    "the last step with a weight must be 100", "[5, 50]");
	rejected_at("\"rollout\": {\"steps\": [5, {\"pause\": true}, {\"pause\": true}, 100]}", NULL,
		    "rollout.steps[2]", "two pauses in a row", "{\"pause\": true}, 100");
	rejected_at("\"rollout\": {\"steps\": [{\"pause\": true}]}", NULL, "rollout.steps",
		    "needs a step with a weight", "[{");
	rejected_at("\"rollout\": {\"steps\": []}", NULL, "rollout.steps", "at least one step", "[]");
	rejected_at("\"rollout\": {\"steps\": [5, 100.5]}", NULL, "rollout.steps[1]",
		    "whole percentage from 1 to 100", "100.5");
	rejected_at("\"rollout\": {\"steps\": [5, {\"bake_s\": 3}, 100]}", NULL, "rollout.steps[1].weight",
		    "missing required key 'weight'", "{\"bake_s\": 3}");
	rejected_at("\"rollout\": {\"steps\": [5, \"25\", 100]}", NULL, "rollout.steps[1]",
		    "expected a weight", "\"25\"");
}

static void a_pause_holds_no_other_key(void **state)
{
	rejected_at("\"rollout\": {\"steps\": [{\"pause\": true, \"bake_s\": 3}, 100]}", NULL,
		    "rollout.steps[0].bake_s", "a pause step holds no other key", "\"bake_s\": 3");
	rejected_at("\"rollout\": {\"steps\": [{\"pause\": false}, 100]}", NULL,
		    "rollout.steps[0].pause", "expected true", "false");
}

static void bad_values_are_reported_where_written(void **state)
{
	rejected_at("\"rollout\": {\"on_breach\": \"revert\"}", NULL, "rollout.on_breach",
		    "unknown value 'revert' (expected rollback or halt)", "\"revert\"");
	rejected_at("\"groups\": {\"payments\": {\"rollout\": {\"bake_s\": -1}}}", NULL,
		    "groups.payments.rollout.bake_s", "out of range", "-1");
	rejected_at("\"rollout\": {\"bake_s\": 604801}", NULL, "rollout.bake_s", "out of range", "604801");
	rejected_at("\"rollout\": {\"steps\": [{\"weight\": 100, \"bake_s\": -0.5}]}", NULL,
		    "rollout.steps[0].bake_s", "out of range", "-0.5");
	rejected_at("\"groups\": {\"payments\": {\"rollout\": {\"max_failed_checks\": 0}}}", NULL,
		    "groups.payments.rollout.max_failed_checks", "out of range 1..1000", "0}}}");
	rejected_at("\"rollout\": {\"parallel\": 10001}", NULL, "rollout.parallel",
		    "out of range 1..10000", "10001");
	const char *own[N_SVC] = { [SEARCH] = "{\"steps\": [5, 5, 100]}" };
	rejected_at("", own, "services[3].rollout.steps[1]", "strictly rising (5 after 5)", "5, 100]");
}

static void unknown_keys_get_the_nearest_as_hint(void **state)
{
	const char *own[N_SVC] = { [API] = "{\"max_failed\": 2}" };
	rejected_at("", own, "services[1].rollout.max_failed", "did you mean 'max_failed_checks'?",
		    "\"max_failed\"");
	rejected_at("\"rollout\": {\"steps\": [{\"wieght\": 100}]}", NULL, "rollout.steps[0].wieght",
		    "did you mean 'weight'?", "\"wieght\"");
	rejected_at("\"rollout\": {\"bake\": 3}", NULL, "rollout.bake", "did you mean 'bake_s'?", "\"bake\"");
	rejected_at("\"groups\": {\"payments\": {\"rollot\": {}}}", NULL, "groups.payments.rollot",
		    "did you mean 'rollout'?", "\"rollot\"");
	const char *svc[N_SVC] = { [WEB] = "3" };
	rejected_at("", svc, "services[0].rollout", "expected an object", "3}");
}

/* Five services inherit the release-wide section: its problem is one. */
static void a_bad_release_wide_key_is_reported_once(void **state)
{
	struct diag_list d;
	assert_null(load(&d, "\"rollout\": {\"on_breach\": \"undo\", \"steps\": [50, 10, 100]},"
			 " \"groups\": {\"payments\": {\"rollout\": {\"parallel\": 0}}}"));
	assert_int_equal(count_at(&d, "rollout.on_breach"), 1);
	assert_int_equal(count_at(&d, "rollout.steps[1]"), 1);
	assert_int_equal(count_at(&d, "groups.payments.rollout.parallel"), 1);
	assert_int_equal(d.n, 3);
	diag_list_done(&d);
}

static void groups_must_name_a_group_some_service_is_in(void **state)
{
	rejected_at("\"groups\": {\"paymnts\": {\"rollout\": {}}}", NULL, "groups.paymnts",
		    "no service is in group 'paymnts' (did you mean 'payments'?)", "\"paymnts\"");
	rejected_at("\"groups\": {\"zzz\": {}}", NULL, "groups.zzz", "no service is in group 'zzz'",
		    "\"zzz\"");
	rejected_at("\"groups\": {\"front\": {}, \"front\": {}}", NULL, "groups.front",
		    "duplicate key", "\"front\": {}}");
	rejected_at("\"groups\": {\"front\": []}", NULL, "groups.front", "expected an object", "[]");
}

/* --- Plans ------------------------------------------------------------ */

/* Members in config order, each once, whatever order and overlap the
 * targets are written in. */
static void waves_resolve_names_and_groups_in_config_order(void **state)
{
	struct diag_list d;
	struct config *cfg = load_ok(&d,
		"\"plan\": {\"waves\": [{\"targets\": [\"@jobs-hourly\", \"billing\"]},"
		" {\"targets\": [\"search\", \"api\", \"@front\", \"api\"], \"parallel\": 2}]}", NULL);
	const struct release_plan_conf *p = &cfg->plan;
	assert_true(p->configured);
	assert_true(p->jobs_first);
	assert_int_equal(p->n_waves, 2);
	assert_int_equal(p->waves[0].n_targets, 2);
	assert_string_equal(p->waves[0].targets[0], "@jobs-hourly");
	assert_string_equal(p->waves[0].targets[1], "billing");
	assert_int_equal(p->waves[0].n_members, 2);
	assert_int_equal(p->waves[0].members[0], BILLING);
	assert_int_equal(p->waves[0].members[1], HOURLY);
	assert_int_equal(p->waves[0].parallel, 0);
	assert_int_equal(p->waves[1].n_targets, 4);
	assert_int_equal(p->waves[1].n_members, 3);
	assert_int_equal(p->waves[1].members[0], WEB);
	assert_int_equal(p->waves[1].members[1], API);
	assert_int_equal(p->waves[1].members[2], SEARCH);
	assert_int_equal(p->waves[1].parallel, 2);
	config_free(cfg);
	diag_list_done(&d);
}

static void a_service_in_two_waves_names_the_first(void **state)
{
	rejected_at("\"plan\": {\"waves\": [{\"targets\": [\"@payments\"]}, {\"targets\": [\"api\"]}]}",
		    NULL, "plan.waves[1].targets[0]", "service 'api' is already in waves[0]", "\"api\"]");
	/* Through a group, at the group's target, once. */
	struct diag_list d;
	assert_null(load(&d, "\"plan\": {\"waves\": [{\"targets\": [\"billing\"]},"
			 " {\"targets\": [\"@payments\", \"billing\"]}]}"));
	expect_at(&d, "plan.waves[1].targets[0]", "service 'billing' is already in waves[0]",
		  "\"@payments\"");
	assert_int_equal(d.n, 1);
	diag_list_done(&d);
	rejected_at("\"plan\": {\"waves\": [{\"targets\": [\"api\"], \"parallel\": 0}]}", NULL,
		    "plan.waves[0].parallel", "out of range 1..10000", "0}]}");
}

static void unknown_targets_are_named_with_a_hint(void **state)
{
	const char *sec = "\"plan\": {\"waves\": [{\"targets\": [\"web\", \"serch\", \"@payment\", \"payments\", 7,"
			  " \"@search\"]}]}";
	struct diag_list d;
	assert_null(load(&d, sec));
	expect_at(&d, "plan.waves[0].targets[1]", "no service named 'serch' (did you mean 'search'?)",
		  "\"serch\"");
	expect_at(&d, "plan.waves[0].targets[2]", "no group 'payment' (did you mean '@payments'?)",
		  "\"@payment\"");
	expect_at(&d, "plan.waves[0].targets[3]", "for the group, write '@payments'", "\"payments\", 7");
	expect_at(&d, "plan.waves[0].targets[4]", "expected a service name or @group", "7,");
	expect_at(&d, "plan.waves[0].targets[5]", "no group 'search' (for the service, write 'search')",
		  "\"@search\"");
	diag_list_done(&d);
	rejected_at("\"plan\": {\"waves\": []}", NULL, "plan.waves", "lists no waves", "[]");
	rejected_at("\"plan\": {\"waves\": [{\"parallel\": 2}]}", NULL, "plan.waves[0].targets",
		    "missing required key", NULL);
	rejected_at("\"plan\": {\"wave\": []}", NULL, "plan.wave", "did you mean 'waves'?", "\"wave\"");
}

static void jobs_first_refuses_exposed_waves_before_a_job_unless_off(void **state)
{
	const char *waves = "\"waves\": [{\"targets\": [\"web\"]}, {\"targets\": [\"search\"]},"
			    " {\"targets\": [\"billing\", \"api\"]}]";
	char sec[512];
	struct diag_list d;
	snprintf(sec, sizeof(sec), "\"plan\": {%s}", waves);
	assert_null(load(&d, sec));
	expect_at(&d, "plan.waves[0]", "waves[0] moves exposed service 'web' before job 'billing' "
		  "in waves[2]; set plan.jobs_first to false to allow it", "{\"targets\": [\"web\"");
	expect_at(&d, "plan.waves[1]", "waves[1] moves exposed service 'search' before job 'billing'",
		  "{\"targets\": [\"search\"");
	assert_int_equal(d.n, 2);
	diag_list_done(&d);

	snprintf(sec, sizeof(sec), "\"plan\": {%s, \"jobs_first\": false}", waves);
	struct config *cfg = load_ok(&d, sec, NULL);
	assert_false(cfg->plan.jobs_first);
	assert_int_equal(cfg->plan.waves[2].n_members, 2);
	config_free(cfg);
	diag_list_done(&d);
}

/* --- Alerts ----------------------------------------------------------- */

static void alerts_parse_with_their_secrets_masked(void **state)
{
	struct diag_list d;
	struct config *cfg = load_ok(&d, "\"alerts\": ["
		"{\"webhook\": \"https://hooks.slack.com/services/T0001/B0002/XXXXsecret\","
		" \"format\": \"slack\", \"events\": [\"rolled_back\", \"halted\"]},"
		" {\"exec\": [\"/usr/local/bin/page\", \"{event}\", \"{service}\", \"{detail}\"]},"
		" {\"webhook\": \"https://ops:hunter2@alerts.example.com/in?token=abc123&team=x\"},"
		" {\"webhook\": \"https://chat.example.com/hooks/mmkey123\", \"events\": [\"drift\"]}]", NULL);
	assert_int_equal(cfg->n_alerts, 4);
	const struct alert_conf *a = cfg->alerts;
	assert_string_equal(a[0].webhook, "https://hooks.slack.com/services/T0001/B0002/XXXXsecret");
	assert_string_equal(a[0].webhook_display, "https://hooks.slack.com/services/***/***/***");
	assert_int_equal(a[0].format, ALERT_FORMAT_SLACK);
	assert_string_equal(a[0].events[0], "rolled_back");
	assert_string_equal(a[0].events[1], "halted");
	assert_null(a[0].events[2]);
	assert_null(a[0].exec);
	assert_null(a[1].webhook);
	assert_string_equal(a[1].exec[0], "/usr/local/bin/page");
	assert_string_equal(a[1].exec[3], "{detail}");
	assert_null(a[1].exec[4]);
	assert_null(a[1].events);
	assert_int_equal(a[2].format, ALERT_FORMAT_JSON);
	assert_null(strstr(a[2].webhook_display, "hunter2"));
	assert_null(strstr(a[2].webhook_display, "abc123"));
	assert_non_null(strstr(a[2].webhook_display, "alerts.example.com/in?token=***&team=x"));
	assert_string_equal(a[3].webhook_display, "https://chat.example.com/hooks/***");
	config_free(cfg);
	diag_list_done(&d);
}

static void webhook_display_masks_path_secrets_of_known_hook_shapes(void **state)
{
	static const char *const cases[][2] = {
		{ "https://discord.com/api/webhooks/123/tok", "https://discord.com/api/webhooks/***/***" },
		{ "https://HOOKS.SLACK.COM/workflows/T1/A2/s3?x=1", "https://HOOKS.SLACK.COM/workflows/***/***/***?x=1" },
		{ "http://h:8080/in/hooks/k#frag", "http://h:8080/in/hooks/***#frag" },
		{ "https://example.com/services/a/b", "https://example.com/services/a/b" },
		{ "https://example.com", "https://example.com" },
		{ "https://u:p@example.com/hooks/", "https://u:***@example.com/hooks/" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *shown = config_webhook_display(cases[i][0]);
		assert_string_equal(shown, cases[i][1]);
		free(shown);
	}
}

static void alert_entries_are_checked_without_showing_the_url(void **state)
{
	struct diag_list d;
	assert_null(load(&d, "\"alerts\": [{\"webhook\": \"ftp://x/hooks/s3cr3t\"}]"));
	expect_at(&d, "alerts[0].webhook", "not an http(s) URL", "\"ftp:");
	for (size_t i = 0; i < d.n; i++)
		assert_null(strstr(d.items[i].msg, "s3cr3t"));
	diag_list_done(&d);
	rejected_at("\"alerts\": [{\"webhook\": \"https://h/x\", \"events\": [\"rolledback\"]}]", NULL,
		    "alerts[0].events[0]", "unknown event 'rolledback' (did you mean 'rolled_back'?)",
		    "\"rolledback\"");
	rejected_at("\"alerts\": [{\"exec\": [\"/bin/x\"], \"events\": [\"zzzzzz\"]}]", NULL,
		    "alerts[0].events[0]", "unknown event 'zzzzzz' (known: started", "\"zzzzzz\"");
	rejected_at("\"alerts\": [{\"exec\": [\"/bin/x\"], \"events\": []}]", NULL,
		    "alerts[0].events", "lists no events", "[]}");
	rejected_at("\"alerts\": [{\"webhook\": \"https://h/x\", \"format\": \"xml\"}]", NULL,
		    "alerts[0].format", "unknown format 'xml'", "\"xml\"");
	rejected_at("\"alerts\": [{\"exec\": [\"/bin/x\"], \"format\": \"json\"}]", NULL,
		    "alerts[0].format", "only a webhook has a format", "\"format\"");
	rejected_at("\"alerts\": [{\"webhook\": \"https://h/x\", \"exec\": [\"/bin/x\"]}]", NULL,
		    "alerts[0]", "not both", "{\"webhook\"");
	rejected_at("\"alerts\": [{\"events\": [\"drift\"]}]", NULL, "alerts[0]",
		    "needs a 'webhook' URL or an 'exec' argv", "{\"events\"");
	rejected_at("\"alerts\": [{\"exec\": [\"\", \"x\"]}]", NULL, "alerts[0].exec",
		    "needs a program path", "[\"\"");
	rejected_at("\"alerts\": [{\"exec\": []}]", NULL, "alerts[0].exec", "needs a program path", "[]}");
	rejected_at("\"alerts\": [{\"exec\": \"/bin/x\"}]", NULL, "alerts[0].exec",
		    "expected an array", "\"/bin/x\"");
	rejected_at("\"alerts\": [{\"webhok\": \"https://h/x\"}]", NULL, "alerts[0].webhok",
		    "did you mean 'webhook'?", "\"webhok\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(without_a_section_every_service_walks_the_top_level_steps),
		cmocka_unit_test(steps_mix_plain_weights_objects_and_pauses),
		cmocka_unit_test(release_group_and_service_layer_key_by_key),
		cmocka_unit_test(a_job_gets_one_step_to_100_with_its_last_steps_bake),
		cmocka_unit_test(a_job_with_steps_of_its_own_is_named),
		cmocka_unit_test(steps_must_rise_end_at_100_and_not_pause_twice),
		cmocka_unit_test(a_pause_holds_no_other_key),
		cmocka_unit_test(bad_values_are_reported_where_written),
		cmocka_unit_test(unknown_keys_get_the_nearest_as_hint),
		cmocka_unit_test(a_bad_release_wide_key_is_reported_once),
		cmocka_unit_test(groups_must_name_a_group_some_service_is_in),
		cmocka_unit_test(waves_resolve_names_and_groups_in_config_order),
		cmocka_unit_test(a_service_in_two_waves_names_the_first),
		cmocka_unit_test(unknown_targets_are_named_with_a_hint),
		cmocka_unit_test(jobs_first_refuses_exposed_waves_before_a_job_unless_off),
		cmocka_unit_test(alerts_parse_with_their_secrets_masked),
		cmocka_unit_test(webhook_display_masks_path_secrets_of_known_hook_shapes),
		cmocka_unit_test(alert_entries_are_checked_without_showing_the_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
