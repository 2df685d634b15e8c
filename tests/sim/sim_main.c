/* cutover-sim: many fake HTTP services, blue and green, on one port.
 *
 * Usage:
 *   cutover-sim --port P [--host 127.0.0.1] [--services N] [--spec FILE]
 *               [--bind PORT=SERVICE/SIDE ...] [--port-file FILE] [--seed S]
 *               [--max-conns N]
 *
 *   --port P         main port; 0 picks a free one (learn it from --port-file)
 *   --host H         address to listen on (127.0.0.1 default; ::1 works)
 *   --services N     services svc0000 .. svc(N-1), healthy, ~1 ms, both sides
 *   --spec FILE      lines "NAME SIDE key=value ..." (see below); re-read on SIGHUP
 *   --bind P=S/SIDE  extra listener on port P (nonzero) where ANY path is S/SIDE;
 *                    repeatable; this is what a haproxy backend server points at
 *   --port-file F    written (atomically, "PORT\n") once every listener is up;
 *                    removed at start, so a test can simply wait for it
 *   --seed S         seed for jitter and error draws (repeatable runs)
 *   --max-conns N    connections kept at once (20000, capped by RLIMIT_NOFILE);
 *                    beyond it new connections are reset
 *
 * Main port URLs:
 *   ANY /NAME/SIDE/health (any path under /NAME/SIDE/, or /NAME/SIDE itself)
 *       -> the endpoint's answer: {"status":"UP","service":"NAME","side":"green"}
 *          with X-Sim-Side and X-Sim-Service headers; unknown NAME/SIDE -> 404.
 *   GET /_sim/set?svc=NAME|*&side=blue|green|both&KEY=VALUE...  -> "ok\n" | 400
 *   GET /_sim/stats[?svc=NAME] -> JSON counters (and the endpoint settings)
 *   ANY /NAME/SIDE/run  -> on a trigger=routed side: a job run, answered after run_ms
 *   GET /NAME/SIDE/runs -> {"active":K,"runs":N,"last_run":"...Z"|null}
 *   GET /_sim/jobs[?svc=NAME] -> the jobs' record of fires, doubles, misses
 *
 * Keys (spec lines and /_sim/set alike):
 *   lat_ms=1 jitter_ms=0.2 err_pct=0 status=200 err_status=503 body_status=UP
 *   mode=ok|hang|reset|garbage|refuse flap_s=0   (the defaults shown)
 *   suspended=0 trigger=self|routed; per job: every_s=0 run_ms=500 trigger_url=
 *
 * HTTP/1.1 keep-alive by default, "Connection: close" honoured, pipelining
 * answered in order. Request heads over 8 KiB get 431. Signals: SIGHUP
 * re-reads --spec, SIGTERM/SIGINT exit 0. Exit 2 on bad arguments or spec,
 * 1 when a port cannot be opened. Nothing is written to stdout.
 * tests/sim/README.md says the same at more length. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sim.h"

static void usage(FILE *f)
{
	fputs("usage: cutover-sim --port P [--host 127.0.0.1] [--services N] [--spec FILE]\n"
	      "                   [--bind PORT=SERVICE/SIDE ...] [--port-file FILE] [--seed S]\n"
	      "                   [--max-conns N]\n",
	      f);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* PORT=SERVICE/SIDE; the service is created if the spec did not name it. */
static int parse_bind(struct sim_world *w, const char *arg, struct sim_listener *l)
{
	unsigned long port;
	const char *eq = strchr(arg, '=');
	const char *slash = eq ? strrchr(eq, '/') : NULL;
	char num[8];
	unsigned mask;
	if (!eq || !slash || (size_t)(eq - arg) >= sizeof num)
		goto bad;
	memcpy(num, arg, (size_t)(eq - arg));
	num[eq - arg] = '\0';
	if (parse_ulong(num, 65535, &port) < 0 || port == 0)
		goto bad;
	const char *name = eq + 1;
	size_t nlen = (size_t)(slash - name);
	if (!sim_name_valid(name, nlen) || sim_side_parse(slash + 1, strlen(slash + 1), &mask) < 0 ||
	    mask == (SIM_SIDE_BLUE_BIT | SIM_SIDE_GREEN_BIT))
		goto bad;
	memset(l, 0, sizeof *l);
	l->fd = -1;
	l->port = (int)port;
	l->side = mask == SIM_SIDE_GREEN_BIT ? SIM_GREEN : SIM_BLUE;
	l->svc = sim_world_get(w, name, nlen, sim_now_ns());
	return 0;
bad:
	sim_log("bad --bind '%s': want PORT=SERVICE/SIDE, PORT 1-65535, SIDE blue or green", arg);
	return -1;
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static int write_port_file(const char *path, int port)
{
	size_t n = strlen(path) + 32;
	char *tmp = sim_xmalloc(n);
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;
	if (f) {
		fprintf(f, "%d\n", port);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		sim_log("cannot write --port-file %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* Each connection is a descriptor; take all the kernel allows us. */
static size_t raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (size_t)rl.rlim_cur;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},      {"host", required_argument, NULL, 'H'},
		{"services", required_argument, NULL, 'n'},  {"spec", required_argument, NULL, 's'},
		{"bind", required_argument, NULL, 'b'},      {"port-file", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 'S'},      {"max-conns", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
	};
	struct sim_world world;
	struct sim_loop loop;
	sim_world_init(&world);
	unsigned long port = 0, nsvc = 0, max_conns = SIM_DEFAULT_MAX_CONNS;
	unsigned long long seed = 0;
	bool have_port = false, have_seed = false;
	const char *host = "127.0.0.1", *spec = NULL, *port_file = NULL;
	char **binds = sim_xmalloc((size_t)argc * sizeof *binds);
	size_t nbinds = 0;
	int ch, rc = 2, idx = 0;
	char *end;
	while ((ch = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		switch (ch) {
		case 'p':
			if (parse_ulong(optarg, 65535, &port) < 0)
				goto bad_arg;
			have_port = true;
			break;
		case 'H': host = optarg; break;
		case 'n':
			if (parse_ulong(optarg, 1000000, &nsvc) < 0)
				goto bad_arg;
			break;
		case 's': spec = optarg; break;
		case 'b': binds[nbinds++] = optarg; break;
		case 'f': port_file = optarg; break;
		case 'S':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg)
				goto bad_arg;
			have_seed = true;
			break;
		case 'm':
			if (parse_ulong(optarg, 10000000, &max_conns) < 0 || max_conns == 0)
				goto bad_arg;
			break;
		case 'h': usage(stdout); free(binds); return 0;
		default: usage(stderr); free(binds); return 2;
		}
	}
	if (optind < argc || !have_port) {
		sim_log(optind < argc ? "unexpected argument '%s'" : "--port is required%s",
		        optind < argc ? argv[optind] : "");
		usage(stderr);
		free(binds);
		return 2;
	}

	/* Before any thread or descriptor: these signals are read from a
	 * signalfd, and a peer that vanishes must not kill us with SIGPIPE. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	uint64_t now = sim_now_ns();
	sim_world_add_numbered(&world, nsvc, now);
	if (spec) {
		char err[512];
		if (sim_spec_load(&world, spec, now, err, sizeof err) < 0) {
			sim_log("%s", err);
			goto out_world;
		}
	}
	if (sim_loop_init(&loop, &world) < 0) {
		sim_log("cannot set up the event loop: %s", strerror(errno));
		rc = 1;
		goto out_loop;
	}
	loop.host = host;
	loop.spec_path = spec;
	sim_rand_seed(&loop.rng, have_seed ? seed : now ^ ((uint64_t)getpid() << 32));
	loop.nlisteners = 1 + nbinds;
	loop.listeners = sim_xmalloc(loop.nlisteners * sizeof *loop.listeners);
	memset(&loop.listeners[0], 0, sizeof loop.listeners[0]);
	loop.listeners[0].fd = -1;
	loop.listeners[0].port = (int)port;
	for (size_t i = 0; i < nbinds; i++) {
		if (parse_bind(&world, binds[i], &loop.listeners[1 + i]) < 0) {
			loop.nlisteners = 1 + i;
			goto out_loop;
		}
		for (size_t j = 0; j < i; j++)
			if (loop.listeners[1 + j].port == loop.listeners[1 + i].port) {
				sim_log("--bind port %d given twice", loop.listeners[1 + i].port);
				loop.nlisteners = 1 + i;
				goto out_loop;
			}
	}
	size_t fd_limit = raise_fd_limit();
	/* Listeners, the loop's own descriptors and stdio need a few. */
	size_t room = fd_limit > loop.nlisteners + 32 ? fd_limit - loop.nlisteners - 32 : 16;
	loop.max_conns = max_conns < room ? max_conns : room;

	if (port_file)
		unlink(port_file);
	rc = 1;
	for (size_t i = 0; i < loop.nlisteners; i++) {
		struct sim_listener *l = &loop.listeners[i];
		char err[256];
		/* A --bind endpoint that starts in mode=refuse starts closed. */
		if (l->svc && l->svc->side[l->side].b.mode == SIM_MODE_REFUSE)
			continue;
		if (sim_listen_open(&loop, l, err, sizeof err) < 0) {
			sim_log("cannot listen: %s", err);
			goto out_loop;
		}
	}
	if (port_file && write_port_file(port_file, loop.listeners[0].port) < 0)
		goto out_loop;
	sim_log("listening on %s port %d (%zu services, %zu --bind, max %zu connections)", host,
	        loop.listeners[0].port, world.n, nbinds, loop.max_conns);
	sim_loop_run(&loop);
	rc = 0;
out_loop:
	sim_loop_done(&loop);
	free(loop.listeners);
out_world:
	sim_world_done(&world);
	free(binds);
	return rc;
bad_arg:
	sim_log("bad value '%s' for --%s", optarg, opts[idx].name);
	usage(stderr);
	free(binds);
	return 2;
}
