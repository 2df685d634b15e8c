/* exec_run: spawning tools with bounded output and a group-killing
 * deadline (see exec_run.h). */
#define _GNU_SOURCE	/* pipe2: pipes that are close-on-exec from birth */
#include "exec_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cutover/journal.h"	/* journal_redact_url */
#include "cutover/model.h"	/* monotonic_ms */

extern char **environ;

/* How long to keep reading a pipe after the group is killed: a writer
 * outside the group (a tool that daemonised with setsid) could hold it
 * open forever. */
#define DRAIN_MS 200
/* Without a pidfd (kernels before 5.3, some sandboxes) a tool's exit is
 * noticed by looking at this pace. */
#define LOOK_MS 20

static void buf_append(struct exec_buf *b, const char *data, size_t n, size_t max)
{
	if (b->len + n > max) {
		b->cut = true;
		n = max - b->len;
	}
	if (n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (!p) {
			b->cut = true;	/* keep what we have; the tool is still drained */
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads once from stream k (0 stdout, 1 stderr); closes it at EOF. */
static void read_stream(struct exec_job *j, int k)
{
	char tmp[4096];
	ssize_t n = read(j->fd[k], tmp, sizeof(tmp));
	if (n > 0)
		buf_append(k ? &j->err : &j->out, tmp, (size_t)n, k ? EXEC_ERR_MAX : EXEC_OUT_MAX);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		close_fd(&j->fd[k]);
}

static int spawn_attrs(posix_spawnattr_t *at)
{
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD,
				     SIGALRM, SIGUSR1, SIGUSR2, SIGWINCH };
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaddset(&dfl, reset[i]);
	if (posix_spawnattr_init(at) != 0)
		return -1;
	/* Group 0: the tool leads a new group, so kill(-pid) reaches its helpers. */
	if (posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					 POSIX_SPAWN_SETSIGDEF) != 0 ||
	    posix_spawnattr_setpgroup(at, 0) != 0 ||
	    posix_spawnattr_setsigmask(at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(at, &dfl) != 0) {
		posix_spawnattr_destroy(at);
		return -1;
	}
	return 0;
}

static int spawn_files(posix_spawn_file_actions_t *fa, int out_w, int err_w)
{
	if (posix_spawn_file_actions_init(fa) != 0)
		return -1;
	if (posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, out_w, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, err_w, 2) != 0) {
		posix_spawn_file_actions_destroy(fa);
		return -1;
	}
	return 0;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		return (int)fd;
	}
#endif
	(void)pid;
	return -1;	/* old kernel or a sandbox: fall back to looking (LOOK_MS) */
}

static void spawn_failed(struct exec_job *j, int e, int *p)
{
	for (int i = 0; i < 4; i++)
		if (p[i] >= 0)
			close(p[i]);
	j->end = EXEC_SPAWN_FAILED;
	j->code = e;
}

static void spawn(struct exec_job *j, int timeout_ms)
{
	int p[4] = { -1, -1, -1, -1 };	/* out r/w, err r/w */
	posix_spawnattr_t at;
	posix_spawn_file_actions_t fa;

	j->fd[0] = j->fd[1] = j->fd[2] = -1;
	j->end = EXEC_PENDING;
	/* +1: monotonic_ms truncates, and a tool is never cut short of its time. */
	j->deadline_ms = monotonic_ms() + (uint64_t)timeout_ms + 1;
	/* Close-on-exec from birth: another thread may spawn a tool at the same
	 * moment, and a write end it inherited would keep our read from ever
	 * seeing EOF. dup2 into 1 and 2 clears the flag for our own child. */
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(p + 2, O_CLOEXEC) < 0)
		return spawn_failed(j, errno, p);
	if (spawn_attrs(&at) < 0)
		return spawn_failed(j, ENOMEM, p);
	if (spawn_files(&fa, p[1], p[3]) < 0) {
		posix_spawnattr_destroy(&at);
		return spawn_failed(j, ENOMEM, p);
	}
	int rc = posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, j->envp ? j->envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return spawn_failed(j, rc, p);
	close(p[1]);
	close(p[3]);
	j->fd[0] = p[0];
	j->fd[1] = p[2];
	j->fd[2] = open_pidfd(j->pid);
}

/* Reads what is left in the pipes once the group is dead, for at most
 * DRAIN_MS. */
static void drain(struct exec_job *j)
{
	uint64_t until = monotonic_ms() + DRAIN_MS;
	while (j->fd[0] >= 0 || j->fd[1] >= 0) {
		uint64_t now = monotonic_ms();
		struct pollfd pf[2] = { { j->fd[0], POLLIN, 0 }, { j->fd[1], POLLIN, 0 } };
		if (now >= until || poll(pf, 2, (int)(until - now)) == 0)
			break;
		for (int k = 0; k < 2; k++)
			if (pf[k].revents)
				read_stream(j, k);
	}
	close_fd(&j->fd[0]);
	close_fd(&j->fd[1]);
	close_fd(&j->fd[2]);
}

/* The tool has ended or its time is up. Its pid is not reaped yet, so the
 * group id cannot have been reused: killing -pid reaches only its group. */
static void finish(struct exec_job *j, bool timed_out)
{
	int status = 0;
	kill(-j->pid, SIGKILL);
	drain(j);
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		j->end = EXEC_TIMED_OUT;
	} else if (WIFSIGNALED(status)) {
		j->end = EXEC_SIGNALED;
		j->code = WTERMSIG(status);
	} else {
		j->end = EXEC_EXITED;
		j->code = WEXITSTATUS(status);
	}
}

/* Whether the tool's main process has exited (it stays a zombie, unreaped). */
static bool has_exited(struct exec_job *j)
{
	if (j->fd[2] >= 0)
		return j->exited;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0;
}

static bool running(const struct exec_job *j)
{
	return j->end == EXEC_PENDING && j->pid > 0;
}

/* When the next thing can happen to a running job: its deadline, or the
 * next look at it when it has no pidfd to say that it exited. */
static uint64_t next_wake(const struct exec_job *j, uint64_t now)
{
	if (j->fd[2] < 0 && now + LOOK_MS < j->deadline_ms)
		return now + LOOK_MS;
	return j->deadline_ms;
}

/* One poll over every running job's descriptors; then each job is read,
 * and finished if it exited or ran out of time. Returns jobs finished. */
static size_t step(struct exec_job *jobs, size_t n)
{
	struct pollfd pf[EXEC_PARALLEL_MAX * 3];
	size_t who[EXEC_PARALLEL_MAX * 3];
	size_t np = 0, done = 0;
	uint64_t now = monotonic_ms(), wake = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		if (!running(&jobs[i]))
			continue;
		for (size_t k = 0; k < 3; k++) {
			if (jobs[i].fd[k] >= 0) {
				pf[np] = (struct pollfd){ .fd = jobs[i].fd[k], .events = POLLIN };
				who[np++] = i * 3 + k;
			}
		}
		uint64_t w = next_wake(&jobs[i], now);
		wake = w < wake ? w : wake;
	}
	/* On a failed poll (EINTR) nothing is read; deadlines are still checked. */
	int ready = poll(pf, np, wake <= now ? 0 : (int)(wake - now));
	for (size_t e = 0; ready > 0 && e < np; e++) {
		struct exec_job *j = &jobs[who[e] / 3];
		if (!pf[e].revents)
			continue;
		if (who[e] % 3 < 2)
			read_stream(j, (int)(who[e] % 3));
		else
			j->exited = true;	/* a pidfd polls readable once its process has ended */
	}
	now = monotonic_ms();
	for (size_t i = 0; i < n; i++) {
		if (!running(&jobs[i]))
			continue;
		if (has_exited(&jobs[i]))
			finish(&jobs[i], false), done++;
		else if (now >= jobs[i].deadline_ms)
			finish(&jobs[i], true), done++;
	}
	return done;
}

void exec_run(struct exec_job *jobs, size_t n, size_t parallel, int timeout_ms)
{
	size_t next = 0, active = 0;

	if (parallel < 1)
		parallel = 1;
	if (parallel > EXEC_PARALLEL_MAX)
		parallel = EXEC_PARALLEL_MAX;
	for (size_t i = 0; i < n; i++) {
		jobs[i].end = EXEC_PENDING;
		jobs[i].pid = 0;
		jobs[i].exited = false;
	}
	while (next < n || active > 0) {
		while (active < parallel && next < n) {
			spawn(&jobs[next], timeout_ms);
			active += running(&jobs[next]) ? 1 : 0;
			next++;
		}
		if (active > 0)
			active -= step(jobs, next);
	}
}

void exec_job_done(struct exec_job *job)
{
	free(job->out.data);
	free(job->err.data);
	memset(&job->out, 0, sizeof(job->out));
	memset(&job->err, 0, sizeof(job->err));
	job->end = EXEC_PENDING;
	job->pid = 0;
}

/* --- what a tool said, made fit for an error line ---------------------- */

/* Appends as much of s as fits; returns false if some did not. */
static bool put(char *out, size_t cap, size_t *o, const char *s, size_t len)
{
	size_t room = cap - 1 - *o;
	size_t n = len < room ? len : room;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return n == len;
}

/* Appends a word, redacted if it looks like a URL. */
static bool put_word(char *out, size_t cap, size_t *o, const char *w, size_t len)
{
	char raw[512], red[512];
	if (len >= sizeof(raw))
		len = sizeof(raw) - 1;
	memcpy(raw, w, len);
	raw[len] = '\0';
	if (!strstr(raw, "://"))
		return put(out, cap, o, raw, len);
	journal_redact_url(raw, red, sizeof(red));
	return put(out, cap, o, red, strlen(red));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Words are placed one by one so that a URL is redacted whole, never
 * cut before the redaction could see its password. */
void exec_excerpt(const char *text, size_t len, char *out, size_t cap)
{
	size_t o = 0, lines = 0;
	bool fits = true;
	out[0] = '\0';
	if (cap < 8)
		return;
	cap -= 3;	/* keeps room for "..." */
	for (size_t i = 0; i < len && fits; ) {
		size_t e = i, words = 0;
		while (e < len && text[e] != '\n' && text[e] != '\r')
			e++;
		for (size_t w = i; fits; ) {
			while (w < e && is_blank(text[w]))
				w++;
			if (w >= e)
				break;
			size_t end = w;
			while (end < e && !is_blank(text[end]))
				end++;
			if (words == 0 && lines == 3) {
				fits = false;	/* a 4th line: say there is more */
				break;
			}
			if (words > 0 || lines > 0)
				fits = put(out, cap, &o, words ? " " : " | ", words ? 1 : 3);
			fits = fits && put_word(out, cap, &o, text + w, end - w);
			words++;
			w = end;
		}
		lines += words ? 1 : 0;
		i = e + 1;
	}
	for (size_t k = 0; k < o; k++)
		if ((unsigned char)out[k] < 0x20 || out[k] == 0x7f)
			out[k] = '?';
	if (!fits)
		memcpy(out + o, "...", 4);
}

/* --- argv templates ---------------------------------------------------- */

void exec_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static const char *var_at(const char *t, const struct exec_var *vars, size_t n, size_t *len)
{
	for (size_t k = 0; k < n; k++) {
		*len = strlen(vars[k].name);
		if (strncmp(t, vars[k].name, *len) == 0)
			return vars[k].value ? vars[k].value : "";
	}
	return NULL;
}

/* Two passes (measure, fill), so no value, however long, overruns. */
static char *expand_one(const char *t, const struct exec_var *vars, size_t n)
{
	char *out = NULL;
	for (int pass = 0; pass < 2; pass++) {
		size_t o = 0, len = 0;
		for (const char *p = t; *p; ) {
			const char *v = *p == '{' ? var_at(p, vars, n, &len) : NULL;
			size_t vl = v ? strlen(v) : 1;
			if (out)
				memcpy(out + o, v ? v : p, vl);
			o += vl;
			p += v ? len : 1;
		}
		if (out) {
			out[o] = '\0';
			break;
		}
		if (!(out = malloc(o + 1)))
			return NULL;
	}
	return out;
}

char **exec_argv_expand(char *const *tmpl, const struct exec_var *vars, size_t n_vars)
{
	size_t n = 0;
	while (tmpl[n])
		n++;
	char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv && i < n; i++)
		if (!(argv[i] = expand_one(tmpl[i], vars, n_vars))) {
			exec_argv_free(argv);
			return NULL;
		}
	return argv;
}
