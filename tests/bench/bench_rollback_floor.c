/* bench_rollback_floor: the floor for `cutover rollback --all` on an
 * HAProxy fleet — a bare runtime-API client with nothing but the socket
 * work — and the stopwatch both are timed with.
 *
 * Usage:
 *   bench_rollback_floor set   --services N --share S SOCKET...
 *   bench_rollback_floor check --services N --share S SOCKET...
 *   bench_rollback_floor time  FILE -- COMMAND [ARG...]
 *
 * The fleet is backends be_svc0000 .. be_svc(N-1), each with one server
 * "blue" and one "green" (what tests/bench/rollback.sh writes). A share S on
 * green is blue at 100-S and green at S, the weights cutover's haproxy
 * driver sets for one server a side.
 *
 * set: on every instance at once (a thread each), one connection carrying
 * one line the way cutover's driver sends it ("c1;c2;...;show servers
 * state\n", non-interactive): the N non-zero weights first, then the zeros
 * (so no backend passes through zero total weight, as the driver orders
 * them), then `show servers state`, whose answer is checked for every
 * weight. check: only the read-back. Exit 0 when every weight on every
 * instance reads back as wanted, 1 otherwise (naming the first wrong one).
 *
 * time: runs COMMAND, waits for it and writes "ms=<wall ms> rc=<exit code>"
 * to FILE (COMMAND keeps stdout and stderr); exits with COMMAND's code. Both
 * the floor and cutover are timed this way, from fork+exec to exit. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct inst {
	const char *path;
	int services, share;
	bool set;
	bool ok;
	char why[256];
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap * 2 : 65536;
		while (nc < *len + n + 1)
			nc *= 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static char *build_line(const struct inst *in, size_t *len)
{
	char *buf = NULL, cmd[96];
	size_t cap = 0;
	int w[2] = { 100 - in->share, in->share };	/* blue, green */
	static const char *const srv[2] = { "blue", "green" };
	*len = 0;
	if (in->set) {
		/* Non-zero weights first, then zeros: the driver's order. */
		for (int zero = 0; zero < 2; zero++)
			for (int i = 0; i < in->services; i++)
				for (int s = 0; s < 2; s++) {
					if ((w[s] == 0) != zero)
						continue;
					snprintf(cmd, sizeof(cmd), "set server be_svc%04d/%s weight %d;",
						 i, srv[s], w[s]);
					if (append(&buf, len, &cap, cmd) < 0)
						goto oom;
				}
	}
	if (append(&buf, len, &cap, "show servers state\n") < 0)
		goto oom;
	return buf;
oom:
	free(buf);
	return NULL;
}

static char *exchange(struct inst *in, const char *line, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", in->path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(in->why, sizeof(in->why), "%s: connect: %s", in->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(in->why, sizeof(in->why), "%s: send: %s", in->path, strerror(errno));
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	size_t got = 0, cap = 1 << 20;
	char *ans = malloc(cap);
	for (;;) {
		if (!ans)
			break;
		if (got + 65537 > cap) {
			char *na = realloc(ans, cap *= 2);
			if (!na) {
				free(ans);
				ans = NULL;
				break;
			}
			ans = na;
		}
		ssize_t r = recv(fd, ans + got, 65536, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!ans)
		snprintf(in->why, sizeof(in->why), "%s: out of memory", in->path);
	else
		ans[got] = '\0';
	return ans;
}

/* Checks every be_svcNNNN/blue|green row of `show servers state`. The
 * format (version 1): "be_id be_name srv_id srv_name srv_addr srv_op_state
 * srv_admin_state srv_uweight ...". */
static void verify(struct inst *in, char *ans)
{
	int want[2] = { 100 - in->share, in->share };
	int seen = 0;
	for (char *ln = ans, *next; ln && *ln; ln = next) {
		next = strchr(ln, '\n');
		if (next)
			*next++ = '\0';
		char be[64], srv[64];
		int id, sid, op, adm, uw;
		char addr[64];
		if (ln[0] == '#' || sscanf(ln, "%d %63s %d %63s %63s %d %d %d", &id, be, &sid, srv,
					   addr, &op, &adm, &uw) != 8 ||
		    strncmp(be, "be_svc", 6) != 0)
			continue;
		int s = strcmp(srv, "green") == 0;
		if (uw != want[s]) {
			snprintf(in->why, sizeof(in->why), "%s: %s/%s weight %d, want %d", in->path,
				 be, srv, uw, want[s]);
			return;
		}
		seen++;
	}
	if (seen != 2 * in->services) {
		snprintf(in->why, sizeof(in->why), "%s: %d of %d servers in the read-back", in->path,
			 seen, 2 * in->services);
		return;
	}
	in->ok = true;
}

static void *run_inst(void *arg)
{
	struct inst *in = arg;
	size_t len;
	char *line = build_line(in, &len);
	if (!line) {
		snprintf(in->why, sizeof(in->why), "%s: out of memory", in->path);
		return NULL;
	}
	char *ans = exchange(in, line, len);
	if (ans) {
		/* The state is the last answer: after the sets' empty answers. */
		verify(in, ans);
		free(ans);
	}
	free(line);
	return NULL;
}

static int fleet(int argc, char **argv, bool set)
{
	int services = -1, share = -1, i = 2;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--services") == 0)
			services = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--share") == 0)
			share = atoi(argv[i + 1]);
		else
			break;
	}
	int n = argc - i;
	if (services < 1 || services > 10000 || share < 0 || share > 100 || n < 1) {
		fprintf(stderr, "usage: bench_rollback_floor set|check --services N --share S SOCKET...\n");
		return 2;
	}
	struct inst *in = calloc((size_t)n, sizeof(*in));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	if (!in || !th)
		return 1;
	for (int k = 0; k < n; k++) {
		in[k] = (struct inst){ .path = argv[i + k], .services = services, .share = share,
				       .set = set };
		if (pthread_create(&th[k], NULL, run_inst, &in[k]) != 0)
			return 1;
	}
	int rc = 0;
	for (int k = 0; k < n; k++) {
		pthread_join(th[k], NULL);
		if (!in[k].ok) {
			fprintf(stderr, "bench_rollback_floor: %s\n", in[k].why);
			rc = 1;
		}
	}
	free(in);
	free(th);
	return rc;
}

static int stopwatch(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: bench_rollback_floor time FILE -- COMMAND [ARG...]\n");
		return 2;
	}
	FILE *out = fopen(argv[2], "w");
	if (!out) {
		fprintf(stderr, "bench_rollback_floor: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	double t1 = now_ms();
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(out, "ms=%.3f rc=%d\n", t1 - t0, rc);
	fclose(out);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return fleet(argc, argv, true);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return fleet(argc, argv, false);
	if (argc >= 2 && strcmp(argv[1], "time") == 0)
		return stopwatch(argc, argv);
	fprintf(stderr, "usage: bench_rollback_floor set|check|time ...\n");
	return 2;
}
