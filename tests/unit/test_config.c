/* Config parsing and every class of validation error, with its place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cutover/config.h"

#define SVC(name, kind, group, backend) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\",\"group\":\"" group "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/" name "/blue\"}," \
	"\"green\":{\"health\":\"http://127.0.0.1:1/" name "/green\"}," \
	"\"route\":{\"backend\":\"" backend "\"}}"

static const char good[] =
	"{\"release\": \"eks-to-fargate\",\n"
	" \"blue\": {\"label\": \"EKS on EC2\"}, \"green\": {\"label\": \"EKS on Fargate\"},\n"
	" \"router\": {\"driver\": \"haproxy\", \"sockets\": [\"/run/haproxy/admin.sock\", \"10.0.0.5:9999\", \"[::1]:9999\"]},\n"
	" \"probe\": {\"interval_ms\": 1000, \"timeout_ms\": 800, \"window\": 120},\n"
	" \"gates\": {\"max_p95_delta_pct\": 25, \"max_error_rate_pct\": 1, \"min_samples\": 20},\n"
	" \"steps\": [1, 5, 25, 50, 100],\n"
	" \"state_dir\": \"./state\",\n"
	" \"services\": [\n"
	"  " SVC("checkout-api", "exposed", "payments", "be_checkout") ",\n"
	"  " SVC("ledger-close", "job", "payments", "be_ledger") ",\n"
	"  " SVC("search", "exposed", "", "be_search") "]}\n";

static struct config *parse(const char *text, struct diag_list *d)
{
	diag_list_init(d);
	return config_parse("test.json", text, strlen(text), d);
}

/* Asserts that some diagnostic has this path and contains this text; returns
 * it so the caller can check the place. */
static const struct diag *find_diag(const struct diag_list *d, const char *path, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].path, path) == 0 && strstr(d->items[i].msg, text))
			return &d->items[i];
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  have %d:%d %s: %s\n", d->items[i].line, d->items[i].col,
			d->items[i].path, d->items[i].msg);
	fail_msg("no diagnostic at '%s' containing '%s'", path, text);
	return NULL;
}

/* Replaces the first occurrence of from in good with to, parses, and
 * expects a failure at path mentioning text. */
static struct diag_list reject_edit(const char *from, const char *to, const char *path,
				    const char *text)
{
	char buf[8192];
	const char *at = strstr(good, from);
	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	struct diag_list d;
	struct config *cfg = parse(buf, &d);
	assert_null(cfg);
	find_diag(&d, path, text);
	return d;
}

static void expect_rejected(const char *from, const char *to, const char *path, const char *text)
{
	struct diag_list d = reject_edit(from, to, path, text);
	diag_list_done(&d);
}

static void readme_example_parses_with_its_values(void **state)
{
	struct diag_list d;
	struct config *cfg = parse(good, &d);
	assert_non_null(cfg);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->release, "eks-to-fargate");
	assert_string_equal(cfg->label[SIDE_BLUE], "EKS on EC2");
	assert_int_equal(cfg->router.driver, DRIVER_HAPROXY);
	assert_int_equal(cfg->router.n_sockets, 3);
	assert_true(cfg->router.sockets[0].is_unix);
	assert_string_equal(cfg->router.sockets[1].host, "10.0.0.5");
	assert_string_equal(cfg->router.sockets[1].port, "9999");
	assert_string_equal(cfg->router.sockets[2].host, "::1");
	assert_int_equal(cfg->probe.timeout_ms, 800);
	assert_int_equal(cfg->n_steps, 5);
	assert_int_equal(cfg->steps[4], 100);
	assert_int_equal(cfg->n_services, 3);
	assert_int_equal(cfg->services[1].kind, KIND_JOB);
	assert_string_equal(cfg->services[0].route.backend, "be_checkout");
	assert_string_equal(cfg->services[0].route.servers[SIDE_GREEN][0], "green");
	assert_int_equal(cfg->services[0].side[0].expect.n_status, 1);
	assert_int_equal(cfg->services[0].side[0].expect.status[0][0], 200);
	/* Only named groups are groups; members keep file order. */
	assert_int_equal(cfg->n_groups, 1);
	assert_string_equal(cfg->groups[0].name, "payments");
	assert_int_equal(cfg->groups[0].n_members, 2);
	assert_int_equal(cfg->groups[0].members[0], 0);
	assert_int_equal(cfg->groups[0].members[1], 1);
	assert_int_equal(config_find_service(cfg, "search"), 2);
	assert_int_equal(config_find_service(cfg, "nope"), -1);
	assert_int_equal(config_find_group(cfg, "payments"), 0);
	config_free(cfg);
	diag_list_done(&d);
}

static void minimal_config_gets_documented_defaults(void **state)
{
	struct diag_list d;
	struct config *cfg = parse("{\"release\":\"r1\",\"services\":[" SVC("a", "exposed", "", "a") "]}", &d);
	assert_non_null(cfg);
	assert_int_equal(cfg->router.driver, DRIVER_REHEARSAL);
	assert_int_equal(cfg->probe.interval_ms, 1000);
	assert_int_equal(cfg->probe.timeout_ms, 800);
	assert_int_equal(cfg->probe.window, 120);
	assert_int_equal(cfg->probe.fall, 3);
	assert_int_equal(cfg->probe.rise, 2);
	assert_true(cfg->gates.max_p95_delta_pct == 25);
	assert_true(cfg->gates.max_error_rate_pct == 1);
	assert_int_equal(cfg->gates.min_samples, 20);
	assert_int_equal(cfg->gates.jobs_first, JOBS_FIRST_WARN);
	assert_int_equal(cfg->n_steps, 5);
	assert_string_equal(cfg->label[SIDE_GREEN], "green");
	assert_non_null(cfg->state_dir);
	config_free(cfg);
	diag_list_done(&d);
}

static void malformed_json_names_line_and_column(void **state)
{
	struct diag_list d;
	assert_null(parse("{\"release\": \"x\",\n \"services\": [\n   {\"name\": \"a\",, }]}", &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].line, 3);
	assert_true(d.items[0].col >= 16 && d.items[0].col <= 18);
	assert_non_null(strstr(d.items[0].msg, "malformed JSON"));
	diag_list_done(&d);
	assert_null(parse("{\"release\": \"x\"", &d));
	assert_non_null(strstr(d.items[0].msg, "end of file"));
	diag_list_done(&d);
	assert_null(parse("{} trailing", &d));
	assert_int_equal(d.items[0].col, 4);
	diag_list_done(&d);
	assert_null(parse("[1,2]", &d));
	assert_non_null(strstr(d.items[0].msg, "JSON object"));
	diag_list_done(&d);
}

/* Found by the fuzzer: the error excerpt read past a buffer without a NUL. */
static void malformed_input_without_terminator_is_read_within_bounds(void **state)
{
	const char src[] = "{\"green\":{\" {\"lr";
	char *buf = malloc(sizeof(src) - 1);
	memcpy(buf, src, sizeof(src) - 1);
	struct diag_list d;
	diag_list_init(&d);
	assert_null(config_parse("f.json", buf, sizeof(src) - 1, &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0].msg, "malformed JSON"));
	diag_list_done(&d);
	free(buf);
}

static void unknown_key_gets_nearest_known_key_as_hint(void **state)
{
	struct diag_list d = reject_edit("\"timeout_ms\": 800", "\"timeout\": 800", "probe.timeout",
					 "did you mean 'timeout_ms'");
	const struct diag *x = find_diag(&d, "probe.timeout", "unknown key");
	assert_int_equal(x->line, 4);
	assert_int_equal(x->col, 33);
	diag_list_done(&d);
	expect_rejected("\"steps\"", "\"stpes\"", "stpes", "did you mean 'steps'");
	expect_rejected("\"kind\":\"exposed\"", "\"knd\":\"exposed\"", "services[0].knd", "did you mean 'kind'");
	expect_rejected("\"state_dir\"", "\"zzzzzzzz\"", "zzzzzzzz", "known here:");
}

static void wrong_types_are_named_with_path(void **state)
{
	expect_rejected("\"interval_ms\": 1000", "\"interval_ms\": \"1000\"", "probe.interval_ms",
			"expected a number, found a string");
	expect_rejected("\"router\": {", "\"router\": [], \"x\": {", "router", "expected an object");
	expect_rejected("\"min_samples\": 20", "\"min_samples\": 20.5", "gates.min_samples", "whole number");
	expect_rejected("\"window\": 120", "\"window\": 1e400", "probe.window", "");
	expect_rejected("\"health\":\"http://127.0.0.1:1/search/green\"", "\"health\":5",
			"services[2].green.health", "expected a string, found a number");
	expect_rejected("\"services\": [", "\"services\": 3, \"x\": [", "services", "expected an array");
}

/* A job's schedule and zone are checked: the field at fault is named. */
static void a_bad_schedule_or_zone_names_its_field(void **state)
{
	const char *job = "\"name\":\"ledger-close\",\"kind\":\"job\",";
	char to[256];
	snprintf(to, sizeof to, "%s\"schedule\":\"61 * * * *\",", job);
	expect_rejected(job, to, "services[1].schedule", "minute field: 61 is out of range 0-59");
	snprintf(to, sizeof to, "%s\"schedule\":\"0 2 * * FUNDAY\",", job);
	expect_rejected(job, to, "services[1].schedule", "day-of-week field");
	snprintf(to, sizeof to, "%s\"schedule\":\"*/15 * * *\",", job);
	expect_rejected(job, to, "services[1].schedule", "5 or 6 fields expected, found 4");
	snprintf(to, sizeof to, "%s\"schedule\":\"@daily\",\"timezone\":\"Mars/Olympus\",", job);
	expect_rejected(job, to, "services[1].timezone", "no IANA zone");
	snprintf(to, sizeof to, "%s\"timezone\":\"../../etc/passwd\",", job);
	expect_rejected(job, to, "services[1].timezone", "no IANA zone");
	expect_rejected("\"name\":\"search\",", "\"name\":\"search\",\"timezone\":\"UTC\",",
			"services[2].timezone", "only a job has a timezone");
	struct diag_list d;
	char *text = strdup(good);
	const char *at = strstr(text, job);
	assert_non_null(at);
	char buf[4096];
	snprintf(buf, sizeof buf, "%.*s%s\"schedule\":\"0 30 2 * * MON-FRI\",\"timezone\":\"Europe/Berlin\",%s",
		 (int)(at - text), text, job, at + strlen(job));
	struct config *cfg = parse(buf, &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->services[1].timezone, "Europe/Berlin");
	config_free(cfg);
	diag_list_done(&d);
	free(text);
}

static void duplicate_service_names_are_rejected_at_the_second(void **state)
{
	struct diag_list d = reject_edit("\"name\":\"search\"", "\"name\":\"checkout-api\"",
					 "services[2].name", "already used by services[0]");
	assert_int_equal(find_diag(&d, "services[2].name", "already")->line, 11);
	diag_list_done(&d);
}

static void duplicate_backends_and_keys_are_rejected(void **state)
{
	expect_rejected("\"backend\":\"be_search\"", "\"backend\":\"be_ledger\"",
			"services[2].route.backend", "already used by services[1]");
	expect_rejected("\"release\": \"eks-to-fargate\",", "\"release\": \"a\", \"release\": \"b\",",
			"release", "duplicate key");
}

/* Paths are joined by hand, not by snprintf: indices of several digits, and
 * the cut at 255 bytes that the path buffer has always had. */
static void paths_carry_long_indices_and_are_cut_at_255_bytes(void **state)
{
	char buf[8192], key[301];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "{\"release\":\"r\",\"services\":[\n");
	memset(key, 'k', 300);
	key[300] = '\0';
	for (int i = 0; i < 12; i++)	/* services[11] reuses services[10]'s name */
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"%s{\"name\":\"s%d\",\"kind\":\"exposed\",\"route\":{\"backend\":\"b%d\"},"
			"\"blue\":{\"health\":\"http://h/b\"},\"green\":{\"health\":\"http://h/g\"}}\n",
			i ? "," : "", i == 11 ? 10 : i, i);
	snprintf(buf + n, sizeof(buf) - n, ",{\"%s\":1}]}", key);
	struct diag_list d;
	assert_null(parse(buf, &d));
	const struct diag *dup = find_diag(&d, "services[11].name", "already used by services[10]");
	assert_int_equal(dup->line, 13);
	char want[256];
	snprintf(want, sizeof(want), "services[12].%s", key);
	assert_int_equal(strlen(want), 255);
	const struct diag *unk = find_diag(&d, want, "unknown key");
	assert_int_equal(unk->line, 14);
	assert_int_equal(unk->col, 3);
	diag_list_done(&d);
}

static void unknown_kind_is_rejected(void **state)
{
	expect_rejected("\"kind\":\"job\"", "\"kind\":\"cron\"", "services[1].kind",
			"unknown kind 'cron' (expected exposed or job)");
	expect_rejected("\"kind\":\"job\",", "", "services[1].kind", "missing required key");
}

static void health_must_be_http_url(void **state)
{
	const char *bad[] = { "ftp://h/x", "not a url", "http://", "/healthz", "" };
	const char *why[] = { "not an http(s) URL", "not an http(s) URL", "", "not an http(s) URL", "empty" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char to[128];
		snprintf(to, sizeof(to), "\"health\":\"%s\"", bad[i]);
		expect_rejected("\"health\":\"http://127.0.0.1:1/search/green\"", to,
				"services[2].green.health", why[i]);
	}
}

static void password_in_health_url_is_masked_for_display(void **state)
{
	struct diag_list d;
	struct config *cfg = parse("{\"release\":\"r\",\"services\":[{\"name\":\"a\",\"kind\":\"exposed\","
				   "\"blue\":{\"health\":\"https://ops:s3cret@h.example/x\"},"
				   "\"green\":{\"health\":\"https://h2.example/x\",\"insecure\":true}}]}", &d);
	assert_non_null(cfg);
	assert_null(strstr(cfg->services[0].side[0].health_display, "s3cret"));
	assert_non_null(strstr(cfg->services[0].side[0].health_display, "ops:***@"));
	assert_string_equal(cfg->services[0].side[1].health_display, "https://h2.example/x");
	assert_true(cfg->services[0].side[1].insecure);
	config_free(cfg);
	diag_list_done(&d);
}

/* Tokens travel in queries and fragments too (?token=, #access_token=,
 * X-Amz-Signature=): the display masks them as the journal does, with or
 * without a password beside them, and keeps what is harmless. */
static void tokens_in_health_url_are_masked_for_display(void **state)
{
	struct diag_list d;
	struct config *cfg = parse("{\"release\":\"r\",\"services\":[{\"name\":\"a\",\"kind\":\"exposed\","
				   "\"blue\":{\"health\":\"http://127.0.0.1:1/h?token=SECRET1&x=1\"},"
				   "\"green\":{\"health\":\"https://u:pw9@h.example/h?X-Amz-Signature=SECRET2#access_token=SECRET3\"}}]}",
				   &d);
	(void)state;
	assert_non_null(cfg);
	const char *b = cfg->services[0].side[0].health_display;
	const char *g = cfg->services[0].side[1].health_display;
	assert_null(strstr(b, "SECRET"));
	assert_string_equal(b, "http://127.0.0.1:1/h?token=***&x=1");
	assert_null(strstr(g, "SECRET"));
	assert_null(strstr(g, "pw9"));
	assert_non_null(strstr(g, "u:***@h.example"));
	assert_non_null(strstr(g, "X-Amz-Signature=***"));
	assert_non_null(strstr(g, "access_token=***"));
	config_free(cfg);
	diag_list_done(&d);
}

static void steps_must_rise_within_1_to_100_and_end_at_100(void **state)
{
	expect_rejected("[1, 5, 25, 50, 100]", "[1, 25, 5, 100]", "steps[2]", "strictly rising");
	expect_rejected("[1, 5, 25, 50, 100]", "[1, 5, 25, 50]", "steps", "last step must be 100");
	expect_rejected("[1, 5, 25, 50, 100]", "[0, 50, 100]", "steps[0]", "1 to 100");
	expect_rejected("[1, 5, 25, 50, 100]", "[5, 101]", "steps[1]", "1 to 100");
	expect_rejected("[1, 5, 25, 50, 100]", "[5, 5, 100]", "steps[1]", "strictly rising");
	expect_rejected("[1, 5, 25, 50, 100]", "[2.5, 100]", "steps[0]", "whole percentage");
	expect_rejected("[1, 5, 25, 50, 100]", "[]", "steps", "at least one");
}

/* Found by the fuzzer: a step beyond int's range was converted to int
 * before the range check, which is undefined behaviour. */
static void step_far_outside_int_range_is_rejected_without_overflow(void **state)
{
	expect_rejected("[1, 5, 25, 50, 100]", "[250000000000, 100]", "steps[0]", "1 to 100");
	expect_rejected("[1, 5, 25, 50, 100]", "[5, -1e300, 100]", "steps[1]", "1 to 100");
	expect_rejected("[1, 5, 25, 50, 100]", "[5, 2147483648, 100]", "steps[1]", "1 to 100");
}

static void names_outside_the_allowed_set_are_rejected(void **state)
{
	expect_rejected("\"name\":\"search\"", "\"name\":\"se arch\"", "services[2].name", "not a valid name");
	expect_rejected("\"name\":\"search\"", "\"name\":\"a/b\"", "services[2].name", "not a valid name");
	expect_rejected("\"group\":\"payments\"", "\"group\":\"pay;ments\"", "services[0].group", "not a valid group");
	expect_rejected("\"release\": \"eks-to-fargate\"", "\"release\": \"../etc\"", "release", "not a valid name");
	expect_rejected("\"name\":\"search\"", "\"name\":\"\"", "services[2].name", "empty");
}

static void empty_service_list_is_rejected(void **state)
{
	struct diag_list d;
	assert_null(parse("{\"release\":\"r\",\"services\":[]}", &d));
	find_diag(&d, "services", "no services");
	diag_list_done(&d);
	assert_null(parse("{\"release\":\"r\"}", &d));
	find_diag(&d, "services", "missing required key");
	diag_list_done(&d);
}

static void router_sockets_and_driver_are_checked(void **state)
{
	expect_rejected("\"driver\": \"haproxy\"", "\"driver\": \"nginx\"", "router.driver", "unknown driver");
	expect_rejected("\"10.0.0.5:9999\"", "\"10.0.0.5\"", "router.sockets[1]", "host:port");
	expect_rejected("\"10.0.0.5:9999\"", "\"10.0.0.5:99999\"", "router.sockets[1]", "port");
	expect_rejected("\"[::1]:9999\"", "\"::1:9999\"", "router.sockets[2]", "brackets");
	expect_rejected("\"10.0.0.5:9999\"", "\"/run/haproxy/admin.sock\"", "router.sockets[1]", "twice");
	expect_rejected("\"sockets\": [", "\"sockets\": [], \"x\": [", "router.sockets", "at least one");
	expect_rejected("\"driver\": \"haproxy\"", "\"driver\": \"exec\"", "router.exec", "missing required key");
}

static void every_problem_is_reported_not_only_the_first(void **state)
{
	struct diag_list d;
	assert_null(parse("{\"release\":\"a b\",\"probe\":{\"window\":-1},\"steps\":[50],"
			  "\"services\":[{\"name\":\"x\",\"kind\":\"nope\",\"blue\":{\"health\":\"ftp://x\"}}]}", &d));
	assert_true(d.n >= 5);
	for (size_t i = 1; i < d.n; i++)	/* sorted by place */
		assert_true(d.items[i - 1].line < d.items[i].line ||
			    (d.items[i - 1].line == d.items[i].line && d.items[i - 1].col <= d.items[i].col));
	diag_list_done(&d);
}

static void expectations_parse_status_sets_and_json_field(void **state)
{
	struct diag_list d;
	struct config *cfg = parse("{\"release\":\"r\",\"services\":[{\"name\":\"a\",\"kind\":\"exposed\","
				   "\"blue\":{\"health\":\"http://h/x\",\"expect\":{\"status\":[200,\"3xx\",\"401-403\"],"
				   "\"json\":\"status\",\"equals\":\"UP\"}},\"green\":{\"health\":\"http://h/y\"}}]}", &d);
	assert_non_null(cfg);
	const struct expect_conf *e = &cfg->services[0].side[0].expect;
	assert_int_equal(e->n_status, 3);
	assert_int_equal(e->status[1][0], 300);
	assert_int_equal(e->status[1][1], 399);
	assert_int_equal(e->status[2][1], 403);
	assert_string_equal(e->json_field, "status");
	config_free(cfg);
	diag_list_done(&d);
	expect_rejected("\"blue\":{\"health\":\"http://127.0.0.1:1/search/blue\"}",
			"\"blue\":{\"health\":\"http://127.0.0.1:1/search/blue\",\"expect\":{\"status\":\"2xy\"}}",
			"services[2].blue.expect.status", "HTTP status");
}

static void missing_and_unreadable_files_are_named(void **state)
{
	struct diag_list d;
	diag_list_init(&d);
	assert_null(config_load("/nonexistent/cutover.json", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0].msg, "No such file"));
	diag_list_done(&d);
	diag_list_init(&d);
	assert_null(config_load("/tmp", &d));
	assert_non_null(strstr(d.items[0].msg, "directory"));
	diag_list_done(&d);
}

static void config_is_located_from_flag_then_env_then_cwd(void **state)
{
	unsetenv("CUTOVER_CONFIG");
	assert_string_equal(config_locate(NULL), "cutover.json");
	setenv("CUTOVER_CONFIG", "/etc/x.json", 1);
	assert_string_equal(config_locate(NULL), "/etc/x.json");
	assert_string_equal(config_locate("a.json"), "a.json");
	unsetenv("CUTOVER_CONFIG");
}

static void relative_state_dir_is_taken_from_the_config_directory(void **state)
{
	struct diag_list d;
	diag_list_init(&d);
	const char *text = "{\"release\":\"r\",\"state_dir\":\"st\",\"services\":[" SVC("a", "job", "", "a") "]}";
	struct config *cfg = config_parse("/etc/cutover/r.json", text, strlen(text), &d);
	assert_non_null(cfg);
	assert_string_equal(cfg->state_dir, "/etc/cutover/st");
	config_free(cfg);
	diag_list_done(&d);
}

static void five_thousand_services_check_well_under_a_second(void **state)
{
	size_t cap = 5000 * 300 + 100, n = 0;
	char *buf = malloc(cap);
	n += (size_t)snprintf(buf + n, cap - n, "{\"release\":\"big\",\"services\":[");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(buf + n, cap - n,
			"%s{\"name\":\"svc%04d\",\"kind\":\"exposed\",\"group\":\"g%d\","
			"\"blue\":{\"health\":\"http://127.0.0.1:8080/svc%04d/blue\"},"
			"\"green\":{\"health\":\"http://127.0.0.1:8080/svc%04d/green\"}}",
			i ? "," : "", i, i % 50, i, i);
	n += (size_t)snprintf(buf + n, cap - n, "]}");
	struct diag_list d;
	diag_list_init(&d);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct config *cfg = config_parse("big.json", buf, n, &d);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	assert_non_null(cfg);
	assert_int_equal(cfg->n_groups, 50);
	/* Generous bound for sanitizer builds; the benchmark prints the real figure. */
	assert_true(ms < 1000.0);
	config_free(cfg);
	diag_list_done(&d);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readme_example_parses_with_its_values),
		cmocka_unit_test(minimal_config_gets_documented_defaults),
		cmocka_unit_test(malformed_json_names_line_and_column),
		cmocka_unit_test(malformed_input_without_terminator_is_read_within_bounds),
		cmocka_unit_test(unknown_key_gets_nearest_known_key_as_hint),
		cmocka_unit_test(wrong_types_are_named_with_path),
		cmocka_unit_test(duplicate_service_names_are_rejected_at_the_second),
		cmocka_unit_test(duplicate_backends_and_keys_are_rejected),
		cmocka_unit_test(paths_carry_long_indices_and_are_cut_at_255_bytes),
		cmocka_unit_test(unknown_kind_is_rejected),
		cmocka_unit_test(health_must_be_http_url),
		cmocka_unit_test(password_in_health_url_is_masked_for_display),
		cmocka_unit_test(tokens_in_health_url_are_masked_for_display),
		cmocka_unit_test(steps_must_rise_within_1_to_100_and_end_at_100),
		cmocka_unit_test(step_far_outside_int_range_is_rejected_without_overflow),
		cmocka_unit_test(names_outside_the_allowed_set_are_rejected),
		cmocka_unit_test(empty_service_list_is_rejected),
		cmocka_unit_test(router_sockets_and_driver_are_checked),
		cmocka_unit_test(every_problem_is_reported_not_only_the_first),
		cmocka_unit_test(expectations_parse_status_sets_and_json_field),
		cmocka_unit_test(missing_and_unreadable_files_are_named),
		cmocka_unit_test(config_is_located_from_flag_then_env_then_cwd),
		cmocka_unit_test(relative_state_dir_is_taken_from_the_config_directory),
		cmocka_unit_test(five_thousand_services_check_well_under_a_second),
		cmocka_unit_test(a_bad_schedule_or_zone_names_its_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
