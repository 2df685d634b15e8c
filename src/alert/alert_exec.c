/* alert_exec: exec hooks, their argv templates filled per event and run by
 * exec_run: no shell, so a detail like "; rm -rf / $(id)" stays one
 * literal argument. */
#include "alert_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_run.h"

/* The value of the placeholder at t ("{event}..."), its length in *len;
 * NULL if t starts no placeholder we know (it is then kept as written). */
static const char *placeholder(const char *t, size_t *len, const struct alert_event *ev,
			       const char *release)
{
	static const char *const names[] = { "{event}", "{service}", "{detail}", "{release}",
					     "{time}", NULL };
	for (size_t k = 0; names[k]; k++) {
		*len = strlen(names[k]);
		if (strncmp(t, names[k], *len) != 0)
			continue;
		switch (k) {
		case 0: return ev->event;
		case 1: return ev->service;
		case 2: return ev->detail;
		case 3: return release;
		default: return ev->time;
		}
	}
	return NULL;
}

/* One argument with its placeholders replaced; two passes (measure, fill)
 * so that no value, however long, can overrun anything. A value is put in
 * as it is and never scanned again: a detail holding "{release}" stays so. */
static char *fill_arg(const char *t, const struct alert_event *ev, const char *release)
{
	char *out = NULL;
	for (int pass = 0; pass < 2; pass++) {
		size_t o = 0, len = 0;
		for (const char *p = t; *p; ) {
			const char *v = *p == '{' ? placeholder(p, &len, ev, release) : NULL;
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

static void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

static char **argv_build(char *const *tmpl, const struct alert_event *ev, const char *release)
{
	size_t n = 0;
	while (tmpl[n])
		n++;
	char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; argv && i < n; i++) {
		if (!(argv[i] = fill_arg(tmpl[i], ev, release))) {
			argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

/* How the hook ended, in words. What it said on stderr goes through
 * exec_excerpt, which masks URL credentials; its arguments are never
 * quoted back, as they may hold tokens. */
static void describe(const struct exec_job *j, int timeout_ms, char *why, size_t cap)
{
	char said[256] = "";
	if (j->err.data)
		exec_excerpt(j->err.data, j->err.len, said, sizeof(said));
	const char *sep = said[0] ? ": " : "";
	switch (j->end) {
	case EXEC_EXITED:
		snprintf(why, cap, "exit %d%s%s", j->code, sep, said);
		break;
	case EXEC_SIGNALED:
		snprintf(why, cap, "killed by signal %d%s%s", j->code, sep, said);
		break;
	case EXEC_TIMED_OUT:
		snprintf(why, cap, "killed after %d ms", timeout_ms);
		break;
	case EXEC_SPAWN_FAILED:
		/* strerror_r: workers of several receivers may fail at once. */
		if (strerror_r(j->code, said, sizeof(said)) != 0)
			snprintf(said, sizeof(said), "errno %d", j->code);
		snprintf(why, cap, "cannot run: %s", said);
		break;
	default:
		snprintf(why, cap, "did not end");
	}
}

int alert_exec_once(char *const *tmpl, const struct alert_event *ev, const char *release,
		    int timeout_ms, char *why, size_t cap)
{
	if (!tmpl || !tmpl[0]) {
		snprintf(why, cap, "no program given");
		return -1;
	}
	char **argv = argv_build(tmpl, ev, release);
	if (!argv) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	/* Its output is read (bounded) and dropped, stderr kept for the error
	 * line: nothing of a hook ever reaches the terminal. */
	struct exec_job job = { .argv = argv };
	exec_run(&job, 1, 1, timeout_ms);
	int rc = job.end == EXEC_EXITED && job.code == 0 ? 0 : -1;
	if (rc < 0)
		describe(&job, timeout_ms, why, cap);
	exec_job_done(&job);
	argv_free(argv);
	return rc;
}
