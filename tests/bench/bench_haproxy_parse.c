/* bench_haproxy_parse: CPU cost of reading HAProxy's runtime-API tables the
 * way the haproxy driver does on a rollback's hot path.
 *
 * Usage:
 *   bench_haproxy_parse parse STATE_FILE [STAT_FILE|-] [RUNS]
 *   bench_haproxy_parse observe|observe-state RUNS SOCKET...
 *
 * parse: haproxy_parse_servers on the captured answer to `show servers
 * state` (and haproxy_parse_stat on `show stat -1 4 -1` when given), then a
 * find of every row — what observe and apply's read-back do per instance.
 * observe: what hap_observe does for every instance in turn (one exchange of
 * both commands, both parses, a find of every row), timed as a whole;
 * observe-state reads weights only, as a rollback's observe does.
 * Prints the median and the fastest run in microseconds of CPU time.
 *
 * The files are answers captured from a real haproxy, e.g. one configured
 * as tests/bench/rollback.sh does (1,000 backends be_svcNNNN of servers blue
 * and green, a unix admin socket): `echo 'show servers state' | socat -
 * UNIX:SOCK > state.txt`, and the same for `show stat -1 4 -1`.
 *
 * Build (from the top of the tree, after `make`):
 *   cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
 *      -o build/bench_haproxy_parse tests/bench/bench_haproxy_parse.c \
 *      build/libcutover.a $(pkg-config --libs libcurl libcjson libcrypto) -lm -pthread */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/haproxy_conn.h"
#include "../../src/haproxy_parse.h"

struct names {
	char **be, **srv;
	size_t n;
};

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		exit(2);
	buf[len] = '\0';
	fclose(f);
	/* A reply's answer ends at its last '\n': drop the empty line after it. */
	if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

/* The (backend, server) names of every row, to find them all later. */
static struct names names_of(const char *state)
{
	struct haproxy_servers sv;
	struct co_error err = { "" };
	struct names nm = { 0 };
	if (haproxy_parse_servers(state, &sv, &err) < 0) {
		fprintf(stderr, "parse: %s\n", err.msg);
		exit(2);
	}
	nm.be = calloc(sv.n, sizeof(char *));
	nm.srv = calloc(sv.n, sizeof(char *));
	for (size_t i = 0; i < sv.n; i++) {
		nm.be[i] = strdup(sv.items[i].backend);
		nm.srv[i] = strdup(sv.items[i].server);
	}
	nm.n = sv.n;
	haproxy_servers_done(&sv);
	return nm;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int runs)
{
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	printf("%-28s median %8.1f us   min %8.1f us   (%d runs)\n", what, t[runs / 2], t[0], runs);
}

static long parse_once(const char *state, const char *stat, const struct names *nm)
{
	struct haproxy_servers sv;
	struct haproxy_stats st = { 0 };
	struct co_error err = { "" };
	long found = 0;
	if (haproxy_parse_servers(state, &sv, &err) < 0 ||
	    (stat && haproxy_parse_stat(stat, &st, &err) < 0)) {
		fprintf(stderr, "parse: %s\n", err.msg);
		exit(2);
	}
	for (size_t i = 0; i < nm->n; i++) {
		found += haproxy_servers_find(&sv, nm->be[i], nm->srv[i]) != NULL;
		if (stat)
			found += haproxy_stats_find(&st, nm->be[i], nm->srv[i]) != NULL;
	}
	haproxy_servers_done(&sv);
	haproxy_stats_done(&st);
	return found;
}

static int bench_parse(int argc, char **argv)
{
	char *state = slurp(argv[2]), *stat = argc > 3 && strcmp(argv[3], "-") ? slurp(argv[3]) : NULL;
	int runs = argc > 4 ? atoi(argv[4]) : 500;
	struct names nm = names_of(state);
	double *t = calloc((size_t)runs, sizeof(*t));
	long found = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *stat_now = pass ? stat : NULL;
		if (pass && !stat)
			break;
		for (int r = 0; r < runs; r++) {
			double t0 = cpu_us();
			found += parse_once(state, stat_now, &nm);
			t[r] = cpu_us() - t0;
		}
		report(pass ? "servers+stat parse+finds" : "servers parse+finds", t, runs);
	}
	printf("%zu rows, %ld found\n", nm.n, found);
	return 0;
}

static void observe_one(const char *path, size_t n_cmds, const struct names *nm)
{
	static const char *const cmds[] = { "show servers state", "show stat -1 4 -1" };
	struct socket_conf sock = { .is_unix = true };
	struct haproxy_reply reply;
	struct co_error err = { "" };
	sock.text = (char *)path;
	if (haproxy_exchange(&sock, haproxy_now_ms() + 5000, cmds, n_cmds, &reply, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(2);
	}
	parse_once(reply.answer[0], n_cmds > 1 ? reply.answer[1] : NULL, nm);
	haproxy_reply_done(&reply);
}

static int bench_observe(int argc, char **argv)
{
	int runs = atoi(argv[2]);
	struct names nm = { 0 };
	double *t = calloc((size_t)runs, sizeof(*t));
	{
		static const char *const cmd = "show servers state";
		struct socket_conf sock = { .is_unix = true };
		struct haproxy_reply reply;
		struct co_error err = { "" };
		sock.text = argv[3];
		if (haproxy_exchange(&sock, haproxy_now_ms() + 5000, &cmd, 1, &reply, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 2;
		}
		nm = names_of(reply.answer[0]);
		haproxy_reply_done(&reply);
	}
	for (int r = 0; r < runs; r++) {
		double t0 = cpu_us();
		for (int i = 3; i < argc; i++)
			observe_one(argv[i], strcmp(argv[1], "observe") ? 1 : 2, &nm);
		t[r] = cpu_us() - t0;
	}
	report(strcmp(argv[1], "observe") ? "observe-state (client CPU)" : "observe (client CPU)",
	       t, runs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "parse") == 0)
		return bench_parse(argc, argv);
	if (argc >= 4 && (strcmp(argv[1], "observe") == 0 || strcmp(argv[1], "observe-state") == 0))
		return bench_observe(argc, argv);
	fprintf(stderr, "usage: %s parse STATE [STAT|-] [RUNS] | observe[-state] RUNS SOCKET...\n", argv[0]);
	return 2;
}
