/* The exec driver against small shell tools written into a temporary
 * directory: one that works, one that fails with words on stderr, one that
 * hangs with a helper in its process group, one that prints garbage, one
 * whose weight is out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cutover/router_exec.h"

enum { S_API, S_NIGHTLY, S_WEB, N_SVC };

static char dir[64];
static struct config *cfg;
static struct router *rt;
static const struct router_driver *drv = &router_driver_exec;

#define assert_contains(hay, needle) do { \
	if (!strstr((hay), (needle))) \
		fail_msg("'%s' does not contain '%s'", (hay), (needle)); \
} while (0)

static void write_tool(const char *name, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nD='%s'\n%s\n", dir, body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cutover-exec-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* ok: set logs its arguments; get answers per service. */
	write_tool("ok.sh",
		   "if [ \"$1\" = set ]; then printf '%s\\n' \"$*\" >> \"$D/set.log\"; exit 0; fi\n"
		   "case \"$2\" in api) echo '{\"weight\": 25, \"traffic\": {\"green\": {\"requests\": 7}}}';;\n"
		   "nightly) printf '  {\"weight\":100}\\n\\n';; *) echo '{\"weight\": 0}';; esac");
	write_tool("fail.sh", "echo 'boom: token rejected by' \"$2\" >&2\n"
		   "echo 'see https://admin:hunter2@k8s.example/api' >&2\nexit 3");
	write_tool("hang.sh", "sleep 30 &\necho $! > \"$D/helper.pid\"\nsleep 30");
	write_tool("garbage.sh", "echo '<html>502 Bad Gateway</html>'");
	write_tool("range.sh", "echo '{\"weight\": 250}'");
	write_tool("args.sh", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > \"$D/args\"\n"
		   "echo '{\"weight\": 0}'");
	write_tool("leaver.sh", "sleep 30 &\necho $! > \"$D/leaver.pid\"\necho '{\"weight\": 0}'");
	write_tool("chatty.sh", "yes '{\"weight\": 0}' | head -c 300000; echo 'and more' >&2");
	write_tool("slow.sh", "sleep 0.3; echo '{\"weight\": 0}'");
	write_tool("flaky.sh", "[ \"$2\" = web ] && { echo 'no such deployment' >&2; exit 1; }\n"
		   "[ \"$3\" = 50 ] && exit 4\necho '{\"weight\": 0}'");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Opens the driver over a config whose set and get run tool. */
static void open_with(const char *set_args, const char *get_args, int timeout_ms)
{
	char json[4096];
#define SVC(name, kind, group) \
	"{\"name\":\"" name "\",\"kind\":\"" kind "\",\"group\":\"" group "\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}," \
	"\"route\":{\"backend\":\"be_" name "\"}}"
	snprintf(json, sizeof(json),
		 "{\"release\":\"t\",\"state_dir\":\"%s\",\"router\":{\"driver\":\"exec\",\"exec\":"
		 "{\"set\":[%s],\"get\":[%s],\"timeout_ms\":%d}},\"services\":["
		 SVC("api", "exposed", "payments") "," SVC("nightly", "job", "batch") ","
		 SVC("web", "exposed", "") "]}", dir, set_args, get_args, timeout_ms);
#undef SVC
	struct diag_list d;
	struct co_error err = { "" };
	diag_list_init(&d);
	cfg = config_parse("test.json", json, strlen(json), &d);
	for (size_t i = 0; i < d.n; i++)
		print_error("config: %s: %s\n", d.items[i].path, d.items[i].msg);
	diag_list_done(&d);
	assert_non_null(cfg);
	rt = drv->open(cfg, &err);
	if (!rt)
		fail_msg("open: %s", err.msg);
}

static void open_tool(const char *tool, int timeout_ms)
{
	char set[256], get[256];
	snprintf(set, sizeof(set), "\"%s/%s\",\"set\",\"{service}\",\"{weight}\"", dir, tool);
	snprintf(get, sizeof(get), "\"%s/%s\",\"get\",\"{service}\"", dir, tool);
	open_with(set, get, timeout_ms);
}

static void close_all(void)
{
	drv->close(rt);
	config_free(cfg);
	rt = NULL;
	cfg = NULL;
}

static int apply1(size_t svc, int weight, struct instance_result *res)
{
	struct weight_change c = { svc, weight };
	return drv->apply(rt, 0, &c, 1, res);
}

static char *slurp(const char *name)
{
	static char buf[1024];
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void set_runs_the_tool_and_get_reads_each_weight(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;

	open_tool("ok.sh", 2000);
	assert_int_equal(drv->n_instances(rt), 1);
	assert_int_equal(apply1(S_API, 25, &res), 0);
	assert_true(res.ok);
	assert_string_equal(res.name, "exec");
	assert_string_equal(slurp("set.log"), "set api 25\n");
	assert_int_equal(drv->observe(rt, 0, obs, &res), 0);
	assert_true(res.ok);
	assert_int_equal(obs[S_API].weight, 25);
	assert_true(obs[S_API].traffic[1].known);
	assert_int_equal(obs[S_API].traffic[1].requests, 7);
	assert_false(obs[S_API].traffic[0].known);
	assert_int_equal(obs[S_NIGHTLY].weight, 100);	/* blanks around the JSON are fine */
	assert_int_equal(obs[S_WEB].weight, 0);
	assert_int_equal(drv->observe(rt, 1, obs, &res), -1);	/* there is one instance */
	close_all();
}

static void placeholders_fill_each_argument_without_a_shell(void **state)
{
	struct instance_result res;
	char set[512];

	snprintf(set, sizeof(set), "\"%s/args.sh\",\"{service}={weight}\",\"{backend}\",\"{group}\","
		 "\"{kind}\",\"a b;c $HOME `id`\",\"\"", dir);
	open_with(set, set, 2000);
	assert_int_equal(apply1(S_API, 5, &res), 0);
	assert_string_equal(slurp("args"), "[api=5]\n[be_api]\n[payments]\n[exposed]\n"
			    "[a b;c $HOME `id`]\n[]\n");
	assert_int_equal(apply1(S_WEB, 100, &res), 0);
	assert_string_equal(slurp("args"), "[web=100]\n[be_web]\n[]\n[exposed]\n"
			    "[a b;c $HOME `id`]\n[]\n");
	close_all();
}

static void failing_set_carries_exit_code_and_stderr_without_secrets(void **state)
{
	struct instance_result res;

	open_tool("fail.sh", 2000);
	assert_int_equal(apply1(S_API, 25, &res), -1);
	assert_false(res.ok);
	print_message("%s\n", res.error);
	assert_contains(res.error, "exec set api 25: exit 3: boom: token rejected by api | see https://admin:");
	assert_contains(res.error, "(0 of 1 changes applied)");
	assert_null(strstr(res.error, "hunter2"));
	close_all();
}

static void apply_stops_at_the_first_failure_and_counts_what_applied(void **state)
{
	struct weight_change c[3] = { { S_API, 25 }, { S_NIGHTLY, 100 }, { S_API, 50 } };
	struct instance_result res;

	open_tool("flaky.sh", 2000);
	assert_int_equal(drv->apply(rt, 0, c, 3, &res), -1);
	assert_contains(res.error, "exec set api 50: exit 4");
	assert_contains(res.error, "(2 of 3 changes applied)");
	close_all();
}

static bool process_gone(pid_t pid)
{
	char path[64], stat[256] = "";
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	/* Killed, but not yet reaped by whoever inherited it: a zombie. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	bool zombie = fgets(stat, sizeof(stat), f) && strstr(stat, ") Z ");
	fclose(f);
	return zombie;
}

static void hanging_tool_is_killed_with_its_process_group(void **state)
{
	struct instance_result res;
	struct timespec t0, t1;

	open_tool("hang.sh", 300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(apply1(S_API, 25, &res), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	print_message("hang: failed after %ld ms: %s\n", ms, res.error);
	assert_in_range(ms, 300, 500);
	assert_contains(res.error, "exec set api 25: timed out after 300 ms (killed)");
	pid_t helper = (pid_t)atol(slurp("helper.pid"));
	assert_true(helper > 1);
	bool gone = false;
	for (int i = 0; i < 50 && !(gone = process_gone(helper)); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(gone);
	close_all();
}

static void garbage_from_get_is_named_with_an_excerpt(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;

	open_tool("garbage.sh", 2000);
	assert_int_equal(drv->observe(rt, 0, obs, &res), -1);	/* no service readable: down */
	assert_false(res.ok);
	assert_int_equal(obs[S_API].weight, WEIGHT_UNKNOWN);
	assert_string_equal(obs[S_API].detail, "exec get api: printed garbage: <html>502 Bad Gateway</html>");
	assert_contains(res.error, "exec get api: printed garbage");
	close_all();
}

static void weight_outside_0_to_100_is_refused(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;

	open_tool("range.sh", 2000);
	assert_int_equal(drv->observe(rt, 0, obs, &res), -1);
	assert_int_equal(obs[S_WEB].weight, WEIGHT_UNKNOWN);
	assert_string_equal(obs[S_WEB].detail, "exec get web: printed weight 250, not a whole number 0..100");
	close_all();
}

static void one_unreadable_service_leaves_the_instance_up(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;

	open_tool("flaky.sh", 2000);
	assert_int_equal(drv->observe(rt, 0, obs, &res), 0);
	assert_true(res.ok);
	assert_int_equal(obs[S_API].weight, 0);
	assert_int_equal(obs[S_WEB].weight, WEIGHT_UNKNOWN);
	assert_string_equal(obs[S_WEB].detail, "exec get web: exit 1: no such deployment");
	close_all();
}

static void missing_tool_is_named(void **state)
{
	struct instance_result res;

	open_tool("nonexistent.sh", 2000);
	assert_int_equal(apply1(S_API, 0, &res), -1);
	assert_contains(res.error, "exec set api 0: cannot run ");
	assert_contains(res.error, "nonexistent.sh: No such file or directory");
	close_all();
}

static void helper_left_holding_the_output_is_killed_when_the_tool_exits(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;
	struct timespec t0, t1;

	open_tool("leaver.sh", 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(drv->observe(rt, 0, obs, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 1000);	/* not the 5 s timeout: the exit is what counts */
	assert_int_equal(obs[S_API].weight, 0);
	bool gone = false;
	pid_t helper = (pid_t)atol(slurp("leaver.pid"));
	for (int i = 0; i < 50 && !(gone = process_gone(helper)); i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_true(gone);
	close_all();
}

static void output_beyond_the_bound_is_drained_and_refused(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;

	open_tool("chatty.sh", 5000);
	assert_int_equal(drv->observe(rt, 0, obs, &res), -1);
	assert_string_equal(obs[S_API].detail, "exec get api: printed more than 64 KiB");
	close_all();
}

static void get_runs_for_several_services_at_once(void **state)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;
	struct timespec t0, t1;

	open_tool("slow.sh", 2000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(drv->observe(rt, 0, obs, &res), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	print_message("3 gets of 300 ms each took %ld ms\n", ms);
	assert_true(ms < 800);	/* one after another would take 900 */
	close_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_runs_the_tool_and_get_reads_each_weight),
		cmocka_unit_test(placeholders_fill_each_argument_without_a_shell),
		cmocka_unit_test(failing_set_carries_exit_code_and_stderr_without_secrets),
		cmocka_unit_test(apply_stops_at_the_first_failure_and_counts_what_applied),
		cmocka_unit_test(hanging_tool_is_killed_with_its_process_group),
		cmocka_unit_test(garbage_from_get_is_named_with_an_excerpt),
		cmocka_unit_test(weight_outside_0_to_100_is_refused),
		cmocka_unit_test(one_unreadable_service_leaves_the_instance_up),
		cmocka_unit_test(missing_tool_is_named),
		cmocka_unit_test(helper_left_holding_the_output_is_killed_when_the_tool_exits),
		cmocka_unit_test(output_beyond_the_bound_is_drained_and_refused),
		cmocka_unit_test(get_runs_for_several_services_at_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
