/* Unit tests for the post-release review: a journal written here line by
 * line with chosen times (chained and headed as journal.h says), read into
 * the report's model, then written in each format. */
#include <math.h>

#include <openssl/evp.h>

#include "cutover/report.h"
#include "journal_fixture.h"

/* 2025-11-24T10:00:00Z: every record's time is an offset in seconds. */
#define T0 1763978400LL

static void sha256_hex(const char *s, char *hex)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

struct jw {
	const struct fx *f;
	long long seq;
	char prev[JOURNAL_HASH_HEX + 1];
};

static void jw_start(struct jw *w, const struct fx *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	memset(w->prev, '0', JOURNAL_HASH_HEX);
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fclose(fp);
}

/* One record at T0 + secs; plan NULL is JSON null; payload is members
 * without braces ("\"service\":\"api\""), or "". */
static void rec(struct jw *w, double secs, const char *actor, const char *type, const char *plan,
		const char *payload)
{
	char time[40], planj[128], line[4096];
	time_t t = (time_t)(T0 + (long long)secs);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(time + strlen(time), sizeof(time) - strlen(time), ".%03dZ",
		 (int)lround((secs - floor(secs)) * 1000));
	snprintf(planj, sizeof(planj), plan ? "\"%s\"" : "null", plan);
	snprintf(line, sizeof(line), "{\"seq\":%lld,\"time\":\"%s\",\"actor\":\"%s\",\"type\":\"%s\","
		 "\"plan\":%s%s%s,\"prev\":\"%s\"}", w->seq + 1, time, actor, type, planj,
		 payload[0] ? "," : "", payload, w->prev);
	FILE *fp = fopen(w->f->path, "a");
	assert_non_null(fp);
	fprintf(fp, "%s\n", line);
	fclose(fp);
	w->seq++;
	sha256_hex(line, w->prev);
	fp = fopen(w->f->head, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"seq\":%lld,\"hash\":\"%s\"}\n", w->seq, w->prev);
	fclose(fp);
}

#define FIGURES \
	"\"figures\":{\"weight\":25,\"green_health\":\"up\",\"blue_health\":\"up\",\"verdict\":\"fail\"," \
	"\"green_p95_ms\":412,\"blue_p95_ms\":120,\"p95_delta_pct\":243.3,\"max_p95_delta_pct\":25," \
	"\"green_error_pct\":0.4,\"blue_error_pct\":0.1,\"max_error_rate_pct\":1,\"green_5xx_pct\":4.5," \
	"\"routers_up\":2,\"routers_total\":2,\"drift\":false}"

/* The release the tests review: api moves 0 → 5 (two router instances),
 * then 5 → 25 forced past a blocker by bob, a rollout on it fails its
 * check and rolls it back to 0; web is moved to 100 and rolled back by
 * carol by hand; the plan completes; the journal ends at T0 + 1200 s. */
static void write_release(struct jw *w, const struct fx *f)
{
	jw_start(w, f);
	rec(w, 0, "ana@ops1", "engine", NULL, "\"event\":\"start\",\"pid\":7,\"mode\":\"serve\"");
	rec(w, 5, "ana@ops1", "rollout", NULL, "\"event\":\"started\",\"service\":\"api\",\"wave\":1,"
	    "\"steps\":4,\"weights\":[5,25,null,100],\"max_failed_checks\":3,\"on_breach\":\"rollback\"");
	rec(w, 10, "ana@ops1", "intent", "p-1", "\"service\":\"api\",\"from\":0,\"to\":5,\"rollback\":false,"
	    "\"gates\":[],\"forced\":false");
	rec(w, 10, "ana@ops1", "outcome", "p-1", "\"service\":\"api\",\"result\":\"applied\",\"from\":0,"
	    "\"to\":5,\"instance\":\"/run/a.sock\"");
	rec(w, 10, "ana@ops1", "outcome", "p-1", "\"service\":\"api\",\"result\":\"applied\",\"from\":0,"
	    "\"to\":5,\"instance\":\"/run/b.sock\"");
	rec(w, 11, "autopilot", "rollout", NULL, "\"event\":\"baking\",\"service\":\"api\",\"step\":1,"
	    "\"steps\":4,\"weight\":5,\"bake_s\":600");
	rec(w, 610, "autopilot", "rollout", "p-2", "\"event\":\"advancing\",\"service\":\"api\",\"step\":2,"
	    "\"steps\":4,\"from\":5,\"to\":25");
	rec(w, 610, "bob@ops2", "intent", "p-2", "\"service\":\"api\",\"from\":5,\"to\":25,\"rollback\":false,"
	    "\"gates\":[{\"gate\":\"p95\",\"level\":\"block\",\"detail\":\"green p95 +40 % over blue\"},"
	    "{\"gate\":\"parity\",\"level\":\"pass\",\"detail\":\"ok\"}],\"forced\":true,"
	    "\"reason\":\"green p95 known noisy | <script>alert(1)</script> see "
	    "https://ops:hunter2@wiki.example/x?token=s3cr3t\"");
	rec(w, 610, "bob@ops2", "outcome", "p-2", "\"service\":\"api\",\"result\":\"applied\",\"from\":5,"
	    "\"to\":25,\"instance\":\"/run/a.sock\"");
	rec(w, 611, "autopilot", "rollout", NULL, "\"event\":\"baking\",\"service\":\"api\",\"step\":2,"
	    "\"steps\":4,\"weight\":25,\"bake_s\":600");
	rec(w, 700, "autopilot", "rollout", NULL, "\"event\":\"check_failed\",\"service\":\"api\",\"step\":2,"
	    "\"weight\":25,\"failed_checks\":3,\"max_failed_checks\":3,\"gate\":\"p95\","
	    "\"detail\":\"green p95 412 ms vs blue 120 ms\"," FIGURES);
	rec(w, 700, "autopilot", "rollout", "p-3", "\"event\":\"rolled_back\",\"service\":\"api\",\"step\":2,"
	    "\"from\":25,\"gate\":\"p95\",\"detail\":\"green p95 412 ms vs blue 120 ms\"," FIGURES);
	rec(w, 701, "autopilot", "intent", "p-3", "\"service\":\"api\",\"from\":25,\"to\":0,\"rollback\":true,"
	    "\"gates\":[],\"forced\":false");
	rec(w, 701, "autopilot", "outcome", "p-3", "\"service\":\"api\",\"result\":\"applied\",\"from\":25,"
	    "\"to\":0,\"instance\":\"/run/a.sock\"");
	rec(w, 800, "dan@ops3", "intent", "p-4", "\"service\":\"web\",\"from\":0,\"to\":100,\"rollback\":false,"
	    "\"gates\":[],\"forced\":false");
	rec(w, 800, "dan@ops3", "outcome", "p-4", "\"service\":\"web\",\"result\":\"applied\",\"from\":0,"
	    "\"to\":100,\"instance\":\"/run/a.sock\"");
	rec(w, 900, "carol@ops4", "intent", "p-5", "\"service\":\"web\",\"from\":100,\"to\":0,\"rollback\":true,"
	    "\"gates\":[],\"forced\":false,\"reason\":\"users report 502s\"");
	rec(w, 900, "carol@ops4", "outcome", "p-5", "\"service\":\"web\",\"result\":\"applied\",\"from\":100,"
	    "\"to\":0,\"instance\":\"/run/a.sock\"");
	rec(w, 901, "carol@ops4", "lever", NULL, "\"from\":\"\",\"kind\":\"console\",\"note\":\"took it\"");
	rec(w, 1200, "autopilot", "rollout", NULL, "\"event\":\"plan_completed\",\"services\":2,"
	    "\"checks\":4000,\"cpu_s\":0.5");
}

static struct report *build(const struct fx *f)
{
	struct co_error err = { "" };
	struct report *r = report_build(f->path, NULL, &err);
	if (!r)
		fail_msg("report_build: %s", err.msg);
	return r;
}

/* The review in one format, as a malloc'ed string. */
static char *render(const struct report *r, const char *format)
{
	char *buf = NULL;
	size_t len = 0;
	struct co_error err = { "" };
	FILE *m = open_memstream(&buf, &len);
	const struct report_format *fmt = report_format_find(format);

	assert_non_null(m);
	assert_non_null(fmt);
	assert_int_equal(fmt->write(m, r, &err), 0);
	fclose(m);
	return buf;
}

static const struct report_service *service(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_services; i++)
		if (strcmp(r->services[i]->name, name) == 0)
			return r->services[i];
	fail_msg("no service %s in the report", name);
	return NULL;
}

static const struct report_entry *weight_entry(const struct report_service *s, size_t k)
{
	for (size_t i = 0; i < report_ring_len(&s->timeline); i++) {
		const struct report_entry *e = report_ring_at(&s->timeline, i);
		if (e->kind == REPORT_WEIGHT && k-- == 0)
			return e;
	}
	fail_msg("%s has no weight entry %zu", s->name, k);
	return NULL;
}

/* --- The model ----------------------------------------------------------- */

static void timeline_says_each_weight_and_how_long(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);
	const struct report_service *api = service(r, "api");

	assert_true(r->intact);
	assert_int_equal(r->records, 20);
	assert_int_equal(r->last_ms - r->first_ms, 1200 * 1000);
	assert_int_equal(api->start_weight, 0);
	assert_int_equal(api->start_held_ms, 10 * 1000);
	/* Two instances took p-1: one move. */
	assert_int_equal(api->moves, 3);
	assert_int_equal(r->counts.moves, 5);
	assert_int_equal(r->counts.plans, 5);
	const struct report_entry *e = weight_entry(api, 0);
	assert_int_equal(e->from, 0);
	assert_int_equal(e->weight, 5);
	assert_int_equal(e->held_ms, 600 * 1000);
	assert_string_equal(e->actor, "ana@ops1");
	e = weight_entry(api, 1);
	assert_int_equal(e->weight, 25);
	assert_true(e->forced);
	assert_int_equal(e->held_ms, 91 * 1000);
	e = weight_entry(api, 2);
	assert_int_equal(e->weight, 0);
	assert_true(e->rollback);
	assert_true(e->final);
	assert_int_equal(e->held_ms, (1200 - 701) * 1000);
	assert_int_equal(api->at_weight_ms[0], (10 + 1200 - 701) * 1000);
	assert_int_equal(api->at_weight_ms[5], 600 * 1000);
	assert_int_equal(api->at_weight_ms[25], 91 * 1000);
	assert_false(api->was_at[50]);
	report_free(r);
}

static void rollout_events_are_interleaved_in_journal_order(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);
	const struct report_service *api = service(r, "api");
	static const char *const want[] = { "started", "", "baking", "advancing", "", "baking",
					    "check_failed", "rolled_back", "" };

	assert_int_equal(report_ring_len(&api->timeline), 9);
	for (size_t i = 0; i < 9; i++) {
		const struct report_entry *e = report_ring_at(&api->timeline, i);
		assert_string_equal(e->event, want[i]);
		assert_int_equal(e->kind, want[i][0] ? REPORT_EVENT : REPORT_WEIGHT);
	}
	const struct report_entry *adv = report_ring_at(&api->timeline, 3);
	assert_non_null(strstr(adv->detail, "step 2/4: 5 \xe2\x86\x92 25 %"));
	assert_string_equal(api->rollout, "rolled_back");
	report_free(r);
}

static void breach_keeps_its_figures_and_limits(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);

	assert_int_equal(r->counts.breaches, 1);
	assert_int_equal(r->counts.rollout_rollbacks, 1);
	assert_int_equal(report_ring_len(&r->breaches), 2);
	const struct report_breach *b = report_ring_at(&r->breaches, 0);
	assert_string_equal(b->service, "api");
	assert_string_equal(b->event, "check_failed");
	assert_string_equal(b->gate, "p95");
	assert_int_equal(b->step, 2);
	assert_int_equal(b->weight, 25);
	assert_int_equal(b->failed_checks, 3);
	assert_true(b->fig.present);
	assert_true(b->fig.green_p95_ms == 412 && b->fig.blue_p95_ms == 120);
	assert_true(b->fig.max_p95_delta_pct == 25 && b->fig.max_error_rate_pct == 1);
	assert_true(b->fig.green_5xx_pct == 4.5);
	assert_string_equal(b->fig.green_health, "up");
	assert_int_equal(b->fig.drift, 0);
	b = report_ring_at(&r->breaches, 1);
	assert_string_equal(b->event, "rolled_back");
	assert_string_equal(b->plan, "p-3");
	assert_int_equal(b->weight, 25);
	report_free(r);
}

static void forced_move_keeps_reason_blockers_and_who(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);

	assert_int_equal(r->counts.forced, 1);
	assert_int_equal(report_ring_len(&r->forced), 1);
	const struct report_plan *p = report_ring_at(&r->forced, 0);
	assert_string_equal(p->actor, "bob@ops2");
	assert_string_equal(p->plan, "p-2");
	assert_non_null(strstr(p->reason, "green p95 known noisy"));
	assert_string_equal(p->blockers, "p95: green p95 +40 % over blue");
	assert_int_equal(p->at_ms, (T0 + 610) * 1000);
	/* The URL's password and token never reach the review. */
	assert_null(strstr(p->reason, "hunter2"));
	assert_null(strstr(p->reason, "s3cr3t"));
	assert_non_null(strstr(p->reason, "ops:***@wiki.example"));
	report_free(r);
}

static void rollbacks_say_who_when_and_whether_by_hand(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);

	assert_int_equal(r->counts.rollbacks, 2);
	assert_int_equal(report_ring_len(&r->rollbacks), 2);
	const struct report_plan *p = report_ring_at(&r->rollbacks, 0);
	assert_string_equal(p->plan, "p-3");
	assert_true(p->autopilot);
	p = report_ring_at(&r->rollbacks, 1);
	assert_string_equal(p->plan, "p-5");
	assert_string_equal(p->actor, "carol@ops4");
	assert_string_equal(p->reason, "users report 502s");
	assert_false(p->autopilot);
	assert_int_equal(p->at_ms, (T0 + 900) * 1000);
	report_free(r);
}

static void actors_final_state_and_cpu_per_check(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);

	assert_int_equal(service(r, "api")->weight, 0);
	assert_int_equal(service(r, "web")->weight, 0);
	assert_int_equal(service(r, "web")->at_weight_ms[100], 100 * 1000);
	assert_true(fabs(report_cpu_us_per_check(r) - 125.0) < 1e-9);
	assert_true(report_duration_s(r) == 1200);
	bool seen_carol = false, seen_bob = false;
	for (size_t i = 0; i < r->n_actors; i++) {
		const struct report_actor *a = r->actors[i];
		if (strcmp(a->name, "carol@ops4") == 0) {
			seen_carol = true;
			assert_int_equal(a->rollbacks, 1);
			assert_int_equal(a->lever, 1);
			assert_int_equal(a->moves, 1);
		}
		if (strcmp(a->name, "bob@ops2") == 0) {
			seen_bob = true;
			assert_int_equal(a->forced, 1);
			assert_int_equal(a->plans, 1);
		}
		if (strcmp(a->name, "ana@ops1") == 0)
			assert_int_equal(a->controls, 1);	/* started */
	}
	assert_true(seen_carol && seen_bob);
	report_free(r);
}

/* --- The formats -------------------------------------------------------- */

static void markdown_has_the_timeline_breach_table_and_escapes(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);
	char *md = render(r, "md");

	assert_non_null(strstr(md, "# Release review: r1"));
	assert_non_null(strstr(md, "**Journal chain: intact.**"));
	assert_non_null(strstr(md, "### api"));
	assert_non_null(strstr(md, "| moved 0 % \xe2\x86\x92 5 % | 5 % | 10m 00s | ana@ops1 |"));
	assert_non_null(strstr(md, "| p95 latency | 412.0 ms | 120.0 ms | green vs blue +243.3 %, "
			       "max +25.0 % | OVER the limit |"));
	assert_non_null(strstr(md, "| real-traffic 5xx | 4.5 % |"));
	assert_non_null(strstr(md, "known noisy \\| \\<script\\>"));
	assert_non_null(strstr(md, "| api | 0 % | 100 % |"));
	assert_non_null(strstr(md, "Autopilot CPU per evaluated check: 125.0 \xc2\xb5s"));
	assert_null(strstr(md, "hunter2"));
	free(md);
	report_free(r);
}

static void json_is_one_object_with_stable_keys(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);
	char *text = render(r, "json");
	cJSON *d = cJSON_Parse(text);

	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "release")->valuestring, "r1");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "chain"), "intact")));
	assert_string_equal(cJSON_GetObjectItem(d, "first_time")->valuestring, "2025-11-24T10:00:00.000Z");
	assert_true(cJSON_GetObjectItem(d, "duration_s")->valuedouble == 1200);
	cJSON *counts = cJSON_GetObjectItem(d, "counts");
	assert_int_equal(cJSON_GetObjectItem(counts, "moves")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(counts, "forced")->valueint, 1);
	cJSON *api = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "services"), 0);
	assert_string_equal(cJSON_GetObjectItem(api, "name")->valuestring, "api");
	assert_int_equal(cJSON_GetObjectItem(api, "final_weight")->valueint, 0);
	cJSON *at = cJSON_GetArrayItem(cJSON_GetObjectItem(api, "time_at_weight"), 1);
	assert_int_equal(cJSON_GetObjectItem(at, "weight")->valueint, 5);
	assert_true(cJSON_GetObjectItem(at, "seconds")->valuedouble == 600);
	cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "breaches"), 0);
	cJSON *fig = cJSON_GetObjectItem(b, "figures");
	assert_true(cJSON_GetObjectItem(fig, "green_p95_ms")->valuedouble == 412);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fig, "p95_over_limit")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fig, "error_over_limit")));
	cJSON *eng = cJSON_GetObjectItem(d, "engine");
	assert_true(cJSON_GetObjectItem(eng, "cpu_us_per_check")->valuedouble == 125);
	cJSON_Delete(d);
	free(text);
	report_free(r);
}

static void html_is_self_contained_and_escapes_hostile_text(void **state)
{
	struct jw w;
	write_release(&w, *state);
	struct report *r = build(*state);
	char *html = render(r, "html");

	assert_non_null(strstr(html, "<!DOCTYPE html>"));
	assert_non_null(strstr(html, "<style>"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "http"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "Journal chain: intact."));
	/* Sides in words, not in colour alone. */
	assert_non_null(strstr(html, "<span class=\"side\">green</span> 0 % \xc2\xb7 "
				 "<span class=\"side\">blue</span> 100 %"));
	assert_non_null(strstr(html, "OVER the limit"));
	assert_null(strstr(html, "hunter2"));
	free(html);
	report_free(r);
}

/* --- Integrity, garbage, bounds ------------------------------------------ */

static void an_edited_journal_is_reported_not_intact(void **state)
{
	struct fx *f = *state;
	struct jw w;
	struct lines l;
	write_release(&w, f);
	lines_load(f->path, &l);
	char *edited = strdup(l.v[3]);
	char *at = strstr(edited, "\"to\":5");
	assert_non_null(at);
	at[5] = '1';	/* the outcome now says 1 */
	l.v[3] = edited;
	lines_save(f->path, &l);
	struct report *r = build(f);
	char *md = render(r, "md"), *html = render(r, "html"), *json = render(r, "json");

	assert_false(r->intact);
	assert_non_null(strstr(r->integrity, "NOT INTACT: line 5: prev does not match line 4"));
	assert_non_null(strstr(md, "WARNING: the journal chain is NOT INTACT.** line 5"));
	assert_non_null(strstr(html, "Journal chain: NOT INTACT."));
	assert_non_null(strstr(json, "\"intact\":\tfalse"));
	/* Still a review of what the file says. */
	assert_non_null(strstr(md, "### api"));
	free(md);
	free(html);
	free(json);
	free(edited);
	report_free(r);
}

static void garbage_lines_are_skipped_and_counted(void **state)
{
	struct fx *f = *state;
	struct jw w;
	write_release(&w, f);
	FILE *fp = fopen(f->path, "a");
	fputs("not json at all\n{\"seq\":\"x\"}\n[1,2]\n", fp);
	fclose(fp);
	struct report *r = build(f);

	assert_int_equal(r->records, 20);
	assert_int_equal(r->skipped_lines, 3);
	assert_false(r->intact);	/* lines after the head's record */
	char *md = render(r, "md");
	assert_non_null(strstr(md, "| records | 20 (3 lines that were no record skipped) |"));
	free(md);
	report_free(r);
}

static void a_missing_journal_is_an_error_naming_the_path(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };

	assert_null(report_build(f->path, NULL, &err));
	assert_non_null(strstr(err.msg, f->path));
	assert_non_null(strstr(err.msg, "No such file"));
}

static void timeline_is_bounded_but_totals_count_every_move(void **state)
{
	struct jw w;
	char payload[256];
	jw_start(&w, *state);
	for (int i = 0; i < 300; i++) {
		int from = i % 2 ? 50 : 0, to = i % 2 ? 0 : 50;
		char plan[16];
		snprintf(plan, sizeof(plan), "p-%d", i);
		snprintf(payload, sizeof(payload), "\"service\":\"api\",\"result\":\"applied\",\"from\":%d,"
			 "\"to\":%d,\"instance\":\"a\"", from, to);
		rec(&w, 10.0 * (i + 1), "ana@ops1", "outcome", plan, payload);
	}
	rec(&w, 3010, "ana@ops1", "note", NULL, "\"note\":\"end\"");
	struct report *r = build(*state);
	const struct report_service *api = service(r, "api");

	assert_int_equal(api->moves, 300);
	assert_int_equal(report_ring_len(&api->timeline), REPORT_TIMELINE_KEPT);
	assert_int_equal(report_ring_dropped(&api->timeline), 300 - REPORT_TIMELINE_KEPT);
	const struct report_entry *last = report_ring_at(&api->timeline, REPORT_TIMELINE_KEPT - 1);
	assert_int_equal(last->seq, 300);
	assert_true(last->final);
	assert_int_equal(api->at_weight_ms[50], 150 * 10 * 1000);
	assert_int_equal(api->start_held_ms, 0);
	assert_int_equal(api->at_weight_ms[0], 150 * 10 * 1000);
	char *md = render(r, "md");
	assert_non_null(strstr(md, "44 earlier entries are not shown"));
	free(md);
	report_free(r);
}

static void a_journal_written_by_the_journal_reads_back(void **state)
{
	struct fx *f = *state;
	struct co_error err = { "" };
	struct journal *j = jopen(f);
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "service", "api");
	cJSON_AddStringToObject(p, "result", "applied");
	cJSON_AddNumberToObject(p, "from", 0);
	cJSON_AddNumberToObject(p, "to", 25);
	cJSON_AddStringToObject(p, "instance", "rehearsal");
	assert_int_equal(journal_append_as(j, "eve@ops5", "outcome", "p-9", p, &err), 0);
	cJSON_Delete(p);
	assert_int_equal(journal_append(j, "note", NULL, NULL, &err), 0);
	journal_close(j);
	struct report *r = build(f);

	assert_true(r->intact);
	assert_int_equal(r->records, 2);
	assert_int_equal(service(r, "api")->weight, 25);
	assert_true(r->last_ms >= r->first_ms);
	assert_string_equal(r->actors[0]->name, "eve@ops5");
	assert_int_equal(r->actors[0]->moves, 1);
	assert_string_equal(r->release, RELEASE);
	report_free(r);
}

static void formats_are_found_by_name(void **state)
{
	(void)state;
	assert_string_equal(report_format_find("md")->name, "md");
	assert_string_equal(report_format_find("json")->name, "json");
	assert_string_equal(report_format_find("html")->name, "html");
	assert_null(report_format_find("pdf"));
	assert_null(report_format_find(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(timeline_says_each_weight_and_how_long),
		T(rollout_events_are_interleaved_in_journal_order),
		T(breach_keeps_its_figures_and_limits),
		T(forced_move_keeps_reason_blockers_and_who),
		T(rollbacks_say_who_when_and_whether_by_hand),
		T(actors_final_state_and_cpu_per_check),
		T(markdown_has_the_timeline_breach_table_and_escapes),
		T(json_is_one_object_with_stable_keys),
		T(html_is_self_contained_and_escapes_hostile_text),
		T(an_edited_journal_is_reported_not_intact),
		T(garbage_lines_are_skipped_and_counted),
		T(a_missing_journal_is_an_error_naming_the_path),
		T(timeline_is_bounded_but_totals_count_every_move),
		T(a_journal_written_by_the_journal_reads_back),
		T(formats_are_found_by_name),
	};
	RUN_SUITE(tests);
}
