/* alert_exec: exec hooks, their argv templates filled per event and run by
 * exec_run: no shell, so a detail like "; rm -rf / $(id)" stays one
 * literal argument. */
#include "alert_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_run.h"

static char **argv_build(char *const *tmpl, const struct alert_event *ev, const char *release)
{
	const struct exec_var vars[] = {
		{ "{event}", ev->event }, { "{service}", ev->service }, { "{detail}", ev->detail },
		{ "{release}", release }, { "{time}", ev->time },
	};
	return exec_argv_expand(tmpl, vars, sizeof vars / sizeof vars[0]);
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
	exec_argv_free(argv);
	return rc;
}
