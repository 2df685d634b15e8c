/* The haproxy driver against a real haproxy child (unix, TCP and operator
 * sockets) and a listener of our own that never answers. The tests share
 * one haproxy and run in order; each sets the weights it checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cutover/router_haproxy.h"
#include "../../src/haproxy_conn.h"
#include "../../src/haproxy_parse.h"

#define TIMEOUT_MS 500
enum { I_UNIX, I_TCP, I_OPERATOR, I_MISSING, I_STALL };
enum { S_WEB, S_API, S_TYPO, S_STATIC, S_GHOST, N_SVC };

static char dir[64];
static pid_t haproxy_pid;
static int stall_fd = -1;
static int fe_port;
static struct config *cfg;
static struct router *rt;
static const struct router_driver *drv = &router_driver_haproxy;

/* A listening socket on a free 127.0.0.1 port. */
static int listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A free port for haproxy to bind: found by binding, then released. */
static int free_port(void)
{
	int port = 0, fd = listen_any(&port);
	close(fd);
	return port;
}

static void write_haproxy_cfg(const char *path, int admin_port, int ok_port, int bad_port)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "global\n"
		"    stats socket %s/admin.sock mode 600 level admin\n"
		"    stats socket %s/op.sock mode 600 level operator\n"
		"    stats socket 127.0.0.1:%d level admin\n"
		"defaults\n    mode http\n    timeout connect 1s\n"
		"    timeout client 5s\n    timeout server 5s\n"
		"frontend fe_web\n    bind 127.0.0.1:%d\n    default_backend be_web\n"
		"frontend ok\n    bind 127.0.0.1:%d\n"
		"    http-request return status 200 content-type text/plain string ok\n"
		"frontend bad\n    bind 127.0.0.1:%d\n"
		"    http-request return status 503 content-type text/plain string no\n",
		dir, dir, admin_port, fe_port, ok_port, bad_port);
	/* Blue answers 200 and green 503, so 5xx shares tell the sides apart. */
	fprintf(f, "backend be_web\n    server blue 127.0.0.1:%d weight 100\n"
		"    server green 127.0.0.1:%d weight 0\n", ok_port, bad_port);
	fprintf(f, "backend be_api\n    server blue 127.0.0.1:%d weight 100\n"
		"    server green1 127.0.0.1:%d weight 0\n    server green2 127.0.0.1:%d weight 0\n",
		ok_port, ok_port, ok_port);
	fprintf(f, "backend be_typo\n    server blue 127.0.0.1:%d\n    server green 127.0.0.1:%d\n",
		ok_port, ok_port);
	/* static-rr refuses most runtime weights: the partial-failure case. */
	fprintf(f, "backend be_static\n    balance static-rr\n"
		"    server blue 127.0.0.1:%d weight 100\n    server green 127.0.0.1:%d weight 0\n",
		ok_port, ok_port);
	fclose(f);
}

static void load_config(int admin_port, int stall_port)
{
	char json[4096];
#define SVC(name, be, blue, green) \
	"{\"name\":\"" name "\",\"kind\":\"exposed\"," \
	"\"blue\":{\"health\":\"http://127.0.0.1:1/b\"},\"green\":{\"health\":\"http://127.0.0.1:1/g\"}," \
	"\"route\":{\"backend\":\"" be "\",\"blue\":" blue ",\"green\":" green "}}"
	snprintf(json, sizeof(json),
		 "{\"release\":\"t\",\"router\":{\"driver\":\"haproxy\",\"timeout_ms\":%d,\"sockets\":["
		 "\"%s/admin.sock\",\"127.0.0.1:%d\",\"%s/op.sock\",\"%s/missing.sock\","
		 "\"127.0.0.1:%d\"]},\"services\":["
		 SVC("web", "be_web", "[\"blue\"]", "[\"green\"]") ","
		 SVC("api", "be_api", "[\"blue\"]", "[\"green1\",\"green2\"]") ","
		 SVC("typo", "be_typo", "[\"blue\"]", "[\"grene\"]") ","
		 SVC("static", "be_static", "[\"blue\"]", "[\"green\"]") ","
		 SVC("ghost", "be_ghost", "[\"blue\"]", "[\"green\"]") "]}",
		 TIMEOUT_MS, dir, admin_port, dir, dir, stall_port);
#undef SVC
	struct diag_list d;
	diag_list_init(&d);
	cfg = config_parse("test.json", json, strlen(json), &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "config: %s: %s\n", d.items[i].path, d.items[i].msg);
	diag_list_done(&d);
}

static pid_t start_haproxy(const char *conf, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlive a crashed test */
		if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
			_exit(126);
		execlp("haproxy", "haproxy", "-W", "-db", "-f", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Ready when the admin socket answers; a dead child is a failure at once. */
static int wait_ready(void)
{
	const char *cmd = "show info";
	struct socket_conf sock = { .text = NULL, .is_unix = true };
	char path[128];
	snprintf(path, sizeof(path), "%s/admin.sock", dir);
	sock.text = path;
	for (int i = 0; i < 500; i++) {
		struct haproxy_reply reply;
		struct co_error err;
		if (haproxy_exchange(&sock, haproxy_now_ms() + 200, &cmd, 1, &reply, &err) == 0) {
			haproxy_reply_done(&reply);
			return 0;
		}
		if (waitpid(haproxy_pid, NULL, WNOHANG) == haproxy_pid) {
			haproxy_pid = 0;
			return -1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return -1;
}

static int setup(void **state)
{
	(void)state;
	char conf[128], log[128];
	int stall_port, ok_port = free_port(), bad_port = free_port();
	int admin_port = free_port();
	fe_port = free_port();
	snprintf(dir, sizeof(dir), "/tmp/cutover-hap-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	stall_fd = listen_any(&stall_port);
	snprintf(conf, sizeof(conf), "%s/haproxy.cfg", dir);
	snprintf(log, sizeof(log), "%s/haproxy.log", dir);
	write_haproxy_cfg(conf, admin_port, ok_port, bad_port);
	load_config(admin_port, stall_port);
	haproxy_pid = start_haproxy(conf, log);
	struct co_error err = { "" };
	if (!cfg || haproxy_pid < 0 || wait_ready() < 0 || !(rt = drv->open(cfg, &err))) {
		fprintf(stderr, "setup failed: %s (haproxy log in %s)\n", err.msg, log);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[160];
	if (haproxy_pid > 0) {
		kill(haproxy_pid, SIGTERM);
		waitpid(haproxy_pid, NULL, 0);
	}
	drv->close(rt);
	config_free(cfg);
	close(stall_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Observes instance i; returns service s's observation. */
static struct route_observation observe(size_t instance, size_t s)
{
	struct route_observation obs[N_SVC];
	struct instance_result res;
	int rc = drv->observe(rt, instance, obs, &res);
	if (rc != 0)
		fail_msg("observe %zu failed: %s", instance, res.error);
	assert_true(res.ok);
	return obs[s];
}

static int apply1(size_t instance, size_t service, int weight, struct instance_result *res)
{
	struct weight_change ch = { .service = service, .weight = weight };
	return drv->apply(rt, instance, &ch, 1, res);
}

static void apply_ok(size_t instance, size_t service, int weight)
{
	struct instance_result res;
	if (apply1(instance, service, weight, &res) != 0)
		fail_msg("apply failed: %s", res.error);
	assert_true(res.ok);
	assert_string_equal(res.error, "");
}

/* uweight of one server, read straight from the admin socket. */
static int server_weight(const char *be, const char *srv)
{
	const char *cmd = "show servers state";
	struct haproxy_reply reply;
	struct haproxy_servers sv;
	struct co_error err;
	assert_int_equal(haproxy_exchange(&cfg->router.sockets[I_UNIX], haproxy_now_ms() + 1000,
					  &cmd, 1, &reply, &err), 0);
	assert_int_equal(haproxy_parse_servers(reply.answer[0], &sv, &err), 0);
	const struct haproxy_server *row = haproxy_servers_find(&sv, be, srv);
	int w = row ? row->uweight : -2;
	haproxy_servers_done(&sv);
	haproxy_reply_done(&reply);
	return w;
}

static void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("'%s' does not contain '%s'", text, needle);
}

static void spread_inverts_exactly_for_every_share_and_side_size(void **state)
{
	(void)state;
	int blue[8], green[8];
	for (size_t nb = 1; nb <= 8; nb++) {
		for (size_t ng = 1; ng <= 8; ng++) {
			for (int share = 0; share <= 100; share++) {
				assert_int_equal(router_haproxy_spread(share, nb, ng, blue, green), 0);
				assert_int_equal(router_haproxy_share(blue, nb, green, ng), share);
				for (size_t i = 0; i < nb + ng; i++) {
					int w = i < nb ? blue[i] : green[i - nb];
					int first = i < nb ? blue[0] : green[0];
					assert_in_range(w, 0, ROUTER_HAPROXY_WEIGHT_MAX);
					assert_in_range(first - w, 0, 1);	/* even within one unit */
				}
			}
		}
	}
	assert_int_equal(router_haproxy_spread(25, 1, 1, blue, green), 0);
	assert_int_equal(blue[0], 75);	/* equal sides: weight is the percentage */
	assert_int_equal(green[0], 25);
	assert_int_equal(router_haproxy_spread(101, 1, 1, blue, green), -1);
	assert_int_equal(router_haproxy_spread(5, 0, 1, blue, green), -1);
	blue[0] = 0, green[0] = 0;
	assert_int_equal(router_haproxy_share(blue, 1, green, 1), WEIGHT_UNKNOWN);
}

/* Runs first: the weights are still those of the haproxy config file. */
static void observe_reads_configured_weights_and_names_missing_servers(void **state)
{
	(void)state;
	assert_int_equal(drv->n_instances(rt), 5);
	assert_int_equal(observe(I_UNIX, S_WEB).weight, 0);
	assert_int_equal(observe(I_TCP, S_API).weight, 0);
	struct route_observation typo = observe(I_UNIX, S_TYPO);
	assert_int_equal(typo.weight, WEIGHT_UNKNOWN);
	assert_contains(typo.detail, "no server be_typo/grene on ");
	assert_contains(typo.detail, "admin.sock");
	struct route_observation ghost = observe(I_UNIX, S_GHOST);
	assert_int_equal(ghost.weight, WEIGHT_UNKNOWN);
	assert_contains(ghost.detail, "no server be_ghost/");
	assert_false(ghost.traffic[SIDE_GREEN].known);
	assert_true(observe(I_OPERATOR, S_WEB).traffic[SIDE_BLUE].known);	/* reads need no admin */
}

static void apply_25_reads_back_25_on_unix_and_tcp_sockets(void **state)
{
	(void)state;
	apply_ok(I_UNIX, S_WEB, 25);
	assert_int_equal(server_weight("be_web", "green"), 25);
	assert_int_equal(server_weight("be_web", "blue"), 75);
	assert_int_equal(observe(I_UNIX, S_WEB).weight, 25);
	assert_int_equal(observe(I_TCP, S_WEB).weight, 25);
	apply_ok(I_TCP, S_WEB, 100);	/* blue drops to 0: a second phase */
	assert_int_equal(observe(I_UNIX, S_WEB).weight, 100);
	assert_int_equal(server_weight("be_web", "blue"), 0);
	apply_ok(I_TCP, S_WEB, 0);
	assert_int_equal(observe(I_TCP, S_WEB).weight, 0);
}

static void two_green_servers_share_the_green_weight_evenly(void **state)
{
	(void)state;
	apply_ok(I_UNIX, S_API, 25);
	assert_int_equal(server_weight("be_api", "green1"), 25);
	assert_int_equal(server_weight("be_api", "green2"), 25);
	assert_int_equal(server_weight("be_api", "blue"), 150);
	assert_int_equal(observe(I_TCP, S_API).weight, 25);
}

static int http_get(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	ssize_t w = write(fd, req, sizeof(req) - 1);
	while (w > 0 && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return w > 0 ? 0 : -1;
}

static void traffic_per_side_comes_from_show_stat(void **state)
{
	(void)state;
	apply_ok(I_UNIX, S_WEB, 50);
	struct route_observation before = observe(I_UNIX, S_WEB);
	for (int i = 0; i < 20; i++)
		assert_int_equal(http_get(fe_port), 0);
	struct route_observation after = observe(I_UNIX, S_WEB);
	assert_true(after.traffic[SIDE_BLUE].known && after.traffic[SIDE_GREEN].known);
	assert_int_equal(after.traffic[SIDE_BLUE].requests - before.traffic[SIDE_BLUE].requests, 10);
	assert_int_equal(after.traffic[SIDE_GREEN].requests - before.traffic[SIDE_GREEN].requests, 10);
	assert_true(after.traffic[SIDE_GREEN].err5xx_pct == 100.0);	/* green answers 503 */
	assert_true(after.traffic[SIDE_BLUE].err5xx_pct == 0.0);
	assert_true(after.traffic[SIDE_BLUE].rtime_ms >= 0);
	apply_ok(I_UNIX, S_WEB, 0);
}

static void no_such_server_is_surfaced_verbatim_with_instance_and_command(void **state)
{
	(void)state;
	struct instance_result res;
	assert_int_equal(apply1(I_UNIX, S_TYPO, 50, &res), -1);
	assert_false(res.ok);
	assert_contains(res.name, "admin.sock");
	assert_contains(res.error, "admin.sock: No such server. [set server be_typo/grene weight 50]");
	assert_contains(res.error, "1 of 2 weight sets applied");	/* blue's went through */
}

static void permission_denied_on_an_operator_socket_is_surfaced(void **state)
{
	(void)state;
	struct instance_result res;
	assert_int_equal(apply1(I_OPERATOR, S_WEB, 5, &res), -1);
	assert_contains(res.error, "op.sock: Permission denied [set server be_web/");
	assert_contains(res.error, "0 of 2 weight sets applied");
	assert_int_equal(observe(I_UNIX, S_WEB).weight, 0);
}

/* static-rr refuses green's raise; sending blue's drop to 0 anyway would
 * leave be_static with no weight at all. */
static void refused_raise_withholds_the_drop_to_zero(void **state)
{
	(void)state;
	struct instance_result res;
	assert_int_equal(apply1(I_UNIX, S_STATIC, 100, &res), -1);
	assert_contains(res.error, "static LB algorithm");
	assert_contains(res.error, "sets to weight 0 withheld");
	assert_int_equal(server_weight("be_static", "blue"), 100);
}

/* A rollback sends its whole plan as one batch: the zeros of every
 * service wait until every raise of every service was accepted, so one
 * refused raise (be_static) keeps be_web's blue from dropping to 0 too. */
static void batch_withholds_every_zero_until_every_raise_took(void **state)
{
	(void)state;
	struct instance_result res;
	apply_ok(I_UNIX, S_WEB, 0);
	struct weight_change two[] = { { S_WEB, 100 }, { S_STATIC, 100 } };
	assert_int_equal(drv->apply(rt, I_UNIX, two, 2, &res), -1);
	assert_contains(res.error, "static LB algorithm");
	assert_contains(res.error, "sets to weight 0 withheld");
	assert_int_equal(server_weight("be_web", "green"), 100);	/* raised in phase 1 */
	assert_int_equal(server_weight("be_web", "blue"), 100);		/* its drop withheld */
	assert_int_equal(server_weight("be_static", "blue"), 100);
	/* Without the refusal the same batch shape goes through and reads back. */
	struct weight_change back[] = { { S_WEB, 0 }, { S_API, 0 } };
	assert_int_equal(drv->apply(rt, I_TCP, back, 2, &res), 0);
	assert_true(res.ok);
	assert_int_equal(server_weight("be_web", "green"), 0);
	assert_int_equal(server_weight("be_web", "blue"), 100);
	assert_int_equal(server_weight("be_api", "green1"), 0);
	assert_int_equal(server_weight("be_api", "blue"), 200);	/* K = 2: one blue, two green */
}

/* A batch that names a service twice, or a service or weight out of
 * range, is refused whole before a command is sent. */
static void batch_with_a_service_twice_or_out_of_range_sends_nothing(void **state)
{
	(void)state;
	struct instance_result res;
	apply_ok(I_UNIX, S_WEB, 0);
	struct weight_change twice[] = { { S_API, 0 }, { S_WEB, 100 }, { S_API, 100 } };
	assert_int_equal(drv->apply(rt, I_UNIX, twice, 3, &res), -1);
	assert_contains(res.error, "service");
	assert_contains(res.error, "is changed twice in one batch");
	assert_int_equal(server_weight("be_web", "green"), 0);	/* nothing was sent */
	struct weight_change range[] = { { S_WEB, 100 }, { N_SVC, 5 } };
	assert_int_equal(drv->apply(rt, I_UNIX, range, 2, &res), -1);
	assert_contains(res.error, "change #1 is out of range");
	struct weight_change heavy[] = { { S_WEB, 101 } };
	assert_int_equal(drv->apply(rt, I_UNIX, heavy, 1, &res), -1);
	assert_contains(res.error, "change #0 is out of range (service 0, weight 101)");
	assert_int_equal(server_weight("be_web", "green"), 0);
}

static void missing_unix_socket_is_named_in_the_error(void **state)
{
	(void)state;
	struct route_observation obs[N_SVC];
	struct instance_result res;
	assert_int_equal(drv->observe(rt, I_MISSING, obs, &res), -1);
	assert_false(res.ok);
	assert_contains(res.error, "missing.sock: cannot connect: No such file or directory");
	assert_int_equal(obs[S_WEB].weight, WEIGHT_UNKNOWN);
	assert_contains(obs[S_WEB].detail, "missing.sock");
	assert_int_equal(apply1(I_MISSING, S_WEB, 5, &res), -1);
	assert_contains(res.error, "missing.sock");
	assert_int_equal(drv->observe(rt, 99, obs, &res), -1);
}

/* The kernel completes the handshake on a listening socket nobody accepts
 * from: to the driver that is a router that connects and never answers. */
static void stalled_listener_fails_within_the_timeout(void **state)
{
	(void)state;
	struct route_observation obs[N_SVC];
	struct instance_result res;
	uint64_t t0 = haproxy_now_ms();
	assert_int_equal(drv->observe(rt, I_STALL, obs, &res), -1);
	uint64_t took = haproxy_now_ms() - t0;
	print_message("stalled listener: error after %llu ms (timeout %d ms)\n",
		      (unsigned long long)took, TIMEOUT_MS);
	assert_in_range(took, TIMEOUT_MS - 20, TIMEOUT_MS + 200);
	assert_contains(res.error, cfg->router.sockets[I_STALL].text);
	assert_contains(res.error, "no complete answer within");
	t0 = haproxy_now_ms();
	assert_int_equal(apply1(I_STALL, S_WEB, 100, &res), -1);	/* two phases, one budget */
	assert_in_range(haproxy_now_ms() - t0, TIMEOUT_MS - 20, TIMEOUT_MS + 200);
	assert_contains(res.error, "0 of 2 weight sets done, the next 1 unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spread_inverts_exactly_for_every_share_and_side_size),
		cmocka_unit_test(observe_reads_configured_weights_and_names_missing_servers),
		cmocka_unit_test(apply_25_reads_back_25_on_unix_and_tcp_sockets),
		cmocka_unit_test(two_green_servers_share_the_green_weight_evenly),
		cmocka_unit_test(traffic_per_side_comes_from_show_stat),
		cmocka_unit_test(no_such_server_is_surfaced_verbatim_with_instance_and_command),
		cmocka_unit_test(permission_denied_on_an_operator_socket_is_surfaced),
		cmocka_unit_test(refused_raise_withholds_the_drop_to_zero),
		cmocka_unit_test(batch_withholds_every_zero_until_every_raise_took),
		cmocka_unit_test(batch_with_a_service_twice_or_out_of_range_sends_nothing),
		cmocka_unit_test(missing_unix_socket_is_named_in_the_error),
		cmocka_unit_test(stalled_listener_fails_within_the_timeout),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
